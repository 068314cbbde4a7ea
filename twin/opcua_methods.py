"""Instructor methods on the OPC UA server: faults and scenarios through :class:`TwinControl`.

Object ``Objects/Twin/Instructor`` (node id ``ns=<urn:gmp-twin:plant>;s=Twin.Instructor``),
methods ``s=Twin.Instructor.<Name>``:

=================================================  ==============================================
``InjectFault(faultJson: String, hidden: Boolean)``  ``faultId: String``
``ClearFault(faultId: String)``                      ``cleared: Boolean`` (false: it had ended already)
``ListFaults()``                                     ``faults: String`` (JSON list, hidden ones too)
``StartScenario(name: String, hidden: Boolean)``     ``scenario: String`` (JSON state)
``StopScenario()``                                   ``scenario: String`` (JSON state or ``null``)
=================================================  ==============================================

Only an instructor identity may call them: the permission ruleset refuses anyone else
(``BadUserAccessDenied``) and every handler checks the caller's role again. A bad argument
(invalid JSON, unknown kind, unit or fault, magnitude out of range) is ``BadInvalidArgument``
with the reason in the log and in the argument's diagnostic info. Fault state is never a
plain variable: a student browsing the address space learns nothing of hidden faults.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from asyncua import ua

from twin.faults.service import TwinControl
from twin.opcua_users import caller_name, caller_role

log = logging.getLogger(__name__)

OBJECT_NAME = "Instructor"
PARENT_NAME = "Twin"

Handler = Callable[..., Awaitable[ua.CallMethodResult]]


@dataclass(frozen=True)
class Arg:
    """One method argument: name, OPC UA type, description."""

    name: str
    vtype: ua.VariantType
    description: str

    def argument(self) -> ua.Argument:
        return ua.Argument(
            Name=self.name,
            DataType=ua.NodeId(self.vtype.value),
            ValueRank=-1,
            ArrayDimensions=[],
            Description=ua.LocalizedText(self.description),
        )


@dataclass(frozen=True)
class MethodSpec:
    name: str
    description: str
    inputs: tuple[Arg, ...]
    outputs: tuple[Arg, ...]
    #: The python values of the inputs -> the python values of the outputs.
    run: Callable[..., Sequence[Any]]


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


class InstructorMethods:
    """The method specs and handlers over one :class:`TwinControl`."""

    def __init__(self, control: TwinControl) -> None:
        self.control = control
        self.specs: tuple[MethodSpec, ...] = (
            MethodSpec(
                "InjectFault",
                "Inject a fault (JSON as in the fault catalog); hidden faults are not shown to students",
                (
                    Arg(
                        "faultJson",
                        ua.VariantType.String,
                        'e.g. {"kind": "sensor_bias", "target": {"unit": '
                        '"mps-pa", "tag": "B101_level"}, "magnitude": 3}',
                    ),
                    Arg("hidden", ua.VariantType.Boolean, "hide the fault from students"),
                ),
                (Arg("faultId", ua.VariantType.String, "id of the injected fault"),),
                self._inject,
            ),
            MethodSpec(
                "ClearFault",
                "End a fault now and restore nominal behaviour",
                (Arg("faultId", ua.VariantType.String, "id from InjectFault or ListFaults"),),
                (Arg("cleared", ua.VariantType.Boolean, "false when the fault had already ended"),),
                self._clear,
            ),
            MethodSpec(
                "ListFaults",
                "Every fault of this run, hidden ones included, as a JSON list",
                (),
                (Arg("faults", ua.VariantType.String, "JSON list of faults"),),
                lambda: [_json(self.control.faults("instructor"))],
            ),
            MethodSpec(
                "StartScenario",
                "Start a scenario of the library (stops the running one)",
                (
                    Arg("name", ua.VariantType.String, "scenario file name without .yaml"),
                    Arg("hidden", ua.VariantType.Boolean, "hide the scenario's faults from students"),
                ),
                (Arg("scenario", ua.VariantType.String, "JSON state of the scenario"),),
                lambda name, hidden: [_json(self.control.start_scenario(name, hidden))],
            ),
            MethodSpec(
                "StopScenario",
                "Stop the running scenario and clear its faults",
                (),
                (Arg("scenario", ua.VariantType.String, "JSON state of the stopped scenario, or null"),),
                lambda: [_json(self.control.stop_scenario())],
            ),
        )

    def _inject(self, fault_json: str, hidden: bool) -> list[Any]:
        try:
            fault = json.loads(fault_json)
        except json.JSONDecodeError as exc:
            raise ValueError(f"faultJson is not JSON: {exc}") from None
        if not isinstance(fault, dict):
            raise ValueError("faultJson must be a JSON object with kind, target and magnitude")
        view = self.control.inject(fault, hidden=hidden)
        return [view["id"]]

    def _clear(self, fault_id: str) -> list[Any]:
        faults = self.control.faults("instructor", live_only=True)
        live = any(f["id"] == fault_id for f in faults)
        self.control.clear(fault_id)
        return [live]

    def handler(self, spec: MethodSpec) -> Handler:
        """The asyncua handler of ``spec``: role check, argument check, call, errors as status codes."""

        async def handle(parent: ua.NodeId, *args: ua.Variant) -> ua.CallMethodResult:
            role = caller_role()
            if role != "instructor":
                # Fail closed: also when no client request is being served (role None).
                log.warning("OPC UA %s refused to %s (%s)", spec.name, caller_name(), role or "no session")
                return ua.CallMethodResult(StatusCode=ua.StatusCode(ua.StatusCodes.BadUserAccessDenied))
            bad = _check_args(spec, args)
            if bad is not None:
                return bad
            values = [a.Value for a in args]
            try:
                out = spec.run(*values)
            except (ValueError, KeyError) as exc:
                reason = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
                log.warning("OPC UA %s by %s refused: %s", spec.name, caller_name(), reason)
                return _invalid(len(args), 0, str(reason))
            log.info("OPC UA %s by %s: %s -> %s", spec.name, caller_name(), values, out)
            return ua.CallMethodResult(
                StatusCode=ua.StatusCode(),
                InputArgumentResults=[ua.StatusCode() for _ in args],
                OutputArguments=[ua.Variant(v, a.vtype) for v, a in zip(out, spec.outputs, strict=True)],
            )

        return handle


def _invalid(n_args: int, index: int, reason: str) -> ua.CallMethodResult:
    """BadInvalidArgument on argument ``index`` with ``reason`` as its diagnostic info."""
    results = [ua.StatusCode() for _ in range(n_args)]
    diags = [ua.DiagnosticInfo() for _ in range(n_args)]
    if n_args:
        results[index] = ua.StatusCode(ua.StatusCodes.BadInvalidArgument)
        diags[index] = ua.DiagnosticInfo(AdditionalInfo=reason)
    return ua.CallMethodResult(
        StatusCode=ua.StatusCode(ua.StatusCodes.BadInvalidArgument),
        InputArgumentResults=results,
        InputArgumentDiagnosticInfos=diags,
    )


def _check_args(spec: MethodSpec, args: Sequence[ua.Variant]) -> ua.CallMethodResult | None:
    """A Bad result when the arguments do not match the declared inputs (count, type)."""
    if len(args) < len(spec.inputs):
        return ua.CallMethodResult(StatusCode=ua.StatusCode(ua.StatusCodes.BadArgumentsMissing))
    if len(args) > len(spec.inputs):
        return ua.CallMethodResult(StatusCode=ua.StatusCode(ua.StatusCodes.BadTooManyArguments))
    results = [
        ua.StatusCode() if arg.VariantType == want.vtype and arg.Value is not None
        else ua.StatusCode(ua.StatusCodes.BadTypeMismatch)
        for arg, want in zip(args, spec.inputs, strict=True)
    ]  # fmt: skip
    if all(r.is_good() for r in results):
        return None
    return ua.CallMethodResult(
        StatusCode=ua.StatusCode(ua.StatusCodes.BadInvalidArgument), InputArgumentResults=results
    )


__all__: Sequence[str] = ["OBJECT_NAME", "PARENT_NAME", "InstructorMethods"]
