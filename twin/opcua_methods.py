"""OPC UA methods of the twin: instructor controls and the operator's write with a reason.

Objects ``Objects/Twin/Instructor`` and ``Objects/Twin/Operator`` (node ids
``ns=<urn:gmp-twin:plant>;s=Twin.<Object>``), methods ``s=Twin.<Object>.<Name>``:

========================================================  =============================================
``Instructor.InjectFault(faultJson: String, hidden: Boolean)``  ``faultId: String``
``Instructor.ClearFault(faultId: String)``                 ``cleared: Boolean`` (false: it had ended)
``Instructor.ListFaults()``                                ``faults: String`` (JSON list, hidden ones too)
``Instructor.StartScenario(name: String, hidden: Boolean)``  ``scenario: String`` (JSON state)
``Instructor.StopScenario(password: String, meaning: String)``  ``scenario: String`` (JSON or ``null``)
``Operator.WriteWithReason(tag: String, value: Double, reason: String)``  ``old: Double`` (NaN: none)
``Service.Call(request: String)``                          ``result: String`` (JSON)
========================================================  =============================================

``Service.Call`` exists when the twin is given a :class:`twin.delegation.DelegationVerifier`:
it is how the dashboard of the compose split acts for its logged-in person (a request signed
with the shared session secret, see :mod:`twin.delegation`). The result is
``{"ok": <value>}`` or ``{"error": {"type": "ValueError", "message": "..."}}`` with the
exception :class:`TwinControl` raised (``ValueError``, ``KeyError``, ``PermissionError``,
``AuditUnavailable``, ``ConfigError``), so the dashboard answers as if the twin ran in its process.

Who may call what is :data:`METHOD_ROLES`; the permission ruleset refuses anyone else
(``BadUserAccessDenied``, audited ``access.denied``) and every handler checks again. Every
change goes through :class:`TwinControl` as the session's user, and so into the audit trail.

Status codes: a refusal by role, policy or signature is ``BadUserAccessDenied``; a bad
argument (invalid JSON, unknown kind, unit, fault or scenario, a name that is a path) is
``BadInvalidArgument`` with the reason in the log and in the argument's diagnostic info;
``WriteWithReason`` answers like a plain write (``BadOutOfRange``, ``BadNodeIdUnknown``); an
audit trail that cannot be written refuses the change with ``BadResourceUnavailable``
(nothing is done without its record).

``StopScenario`` is an electronic signature (21 CFR Part 11 §11.200) when the plant file
marks ``scenario.stop`` (the default): the caller types their password again with a meaning
(``reviewed``, ``approved``, ``performed``). Over the current unencrypted endpoint (security
policy None) that password crosses the network in clear, like the login's; encrypted endpoints
are issue #12. Fault state is never a plain variable: a student browsing the address space
learns nothing of hidden faults.
"""

from __future__ import annotations

import inspect
import json
import logging
import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from asyncua import ua

from access import Authenticator, LoginRefused
from audit import Actor, AuditUnavailable, Signature
from twin.delegation import POLICY_WIRE, SPECS_WIRE, Delegated, DelegationVerifier, signature_from
from twin.faults.service import Role, TwinControl
from twin.opcua_users import TwinUser, caller, deny, refusal

log = logging.getLogger(__name__)

PARENT_NAME = "Twin"
INSTRUCTOR = "Instructor"
OPERATOR = "Operator"
SERVICE = "Service"
#: Kept for callers of the former single object.
OBJECT_NAME = INSTRUCTOR

#: The role each method needs (a student may also call what a student may; admin what an instructor may).
METHOD_ROLES: dict[str, str] = {
    "InjectFault": "instructor",
    "ClearFault": "instructor",
    "ListFaults": "instructor",
    "StartScenario": "instructor",
    "StopScenario": "instructor",
    "WriteWithReason": "student",
    # Any logged-in session may call it; the signed request decides (twin.delegation).
    "Call": "student",
}

Handler = Callable[..., Awaitable[ua.CallMethodResult]]
#: Shows a value written through a method on its OPC UA node: (unit, tag, value).
Written = Callable[[str, str, float], Awaitable[None]]


class CallError(Exception):
    """A method refused with a given status (and the argument it is about, if any)."""

    def __init__(self, status: int, reason: str, arg: int | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.arg = arg


def write_status(exc: Exception) -> int:
    """The OPC UA status of a refused :meth:`TwinControl.write_tag` (as the audit trail records it)."""
    if isinstance(exc, PermissionError):
        return ua.StatusCodes.BadUserAccessDenied
    if isinstance(exc, AuditUnavailable):
        return ua.StatusCodes.BadResourceUnavailable
    if isinstance(exc, KeyError):
        return ua.StatusCodes.BadNodeIdUnknown
    return ua.StatusCodes.BadOutOfRange


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
    parent: str
    description: str
    inputs: tuple[Arg, ...]
    outputs: tuple[Arg, ...]
    #: (the calling session's user, the python values of the inputs) -> the python values of the outputs.
    run: Callable[..., Sequence[Any] | Awaitable[Sequence[Any]]]

    @property
    def needs(self) -> str:
        return METHOD_ROLES[self.name]


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


_S, _B, _D = ua.VariantType.String, ua.VariantType.Boolean, ua.VariantType.Double


class TwinMethods:
    """The method specs and handlers over one :class:`TwinControl`.

    Parameters
    ----------
    control : TwinControl
    authenticator : Authenticator, optional
        Checks the password of an electronic signature; None: nobody can sign.
    written : Written, optional
        Called after a successful ``WriteWithReason`` so the node shows the new value.
    delegation : DelegationVerifier, optional
        Opens the dashboard's signed requests; None: no ``Service.Call`` method.
    """

    def __init__(
        self,
        control: TwinControl,
        authenticator: Authenticator | None = None,
        written: Written | None = None,
        delegation: DelegationVerifier | None = None,
    ) -> None:
        self.control = control
        self.authenticator = authenticator
        self.written = written
        self.delegation = delegation
        fault_example = '{"kind": "sensor_bias", "target": {"unit": "mps-pa", "tag": "B101_level"}, "magnitude": 3}'
        self.specs: tuple[MethodSpec, ...] = (
            MethodSpec(
                "InjectFault",
                INSTRUCTOR,
                "Inject a fault (JSON as in the fault catalog); hidden faults are not shown to students",
                (
                    Arg("faultJson", _S, f"e.g. {fault_example}"),
                    Arg("hidden", _B, "hide the fault from students"),
                ),
                (Arg("faultId", _S, "id of the injected fault"),),
                self._inject,
            ),
            MethodSpec(
                "ClearFault",
                INSTRUCTOR,
                "End a fault now and restore nominal behaviour",
                (Arg("faultId", _S, "id from InjectFault or ListFaults"),),
                (Arg("cleared", _B, "false when the fault had already ended"),),
                self._clear,
            ),
            MethodSpec(
                "ListFaults",
                INSTRUCTOR,
                "Every fault of this run, hidden ones included, as a JSON list",
                (),
                (Arg("faults", _S, "JSON list of faults"),),
                lambda who: [_json(self.control.faults("instructor"))],
            ),
            MethodSpec(
                "StartScenario",
                INSTRUCTOR,
                "Start a scenario of the library (stops the running one)",
                (
                    Arg("name", _S, "scenario file name without .yaml (a name of the library, never a path)"),
                    Arg("hidden", _B, "hide the scenario's faults from students"),
                ),
                (Arg("scenario", _S, "JSON state of the scenario"),),
                lambda who, name, hidden: [_json(self.control.start_scenario(name, hidden, actor=who.actor()))],
            ),
            MethodSpec(
                "StopScenario",
                INSTRUCTOR,
                "Stop the running scenario and clear its faults. Signed when the plant file says so "
                "(default): your password again and a meaning. WARNING: over this endpoint (security "
                "policy None) the password crosses the network in clear; encrypted endpoints come with issue #12",
                (
                    Arg("password", _S, "your password again (electronic signature); empty: unsigned"),
                    Arg("meaning", _S, "meaning of the signature: reviewed, approved or performed"),
                ),
                (Arg("scenario", _S, "JSON state of the stopped scenario, or null"),),
                self._stop,
            ),
            MethodSpec(
                "WriteWithReason",
                OPERATOR,
                "Write a setpoint, mode or output with the reason a GMP-critical tag needs (kept in the "
                "audit trail); students may write the operator-writable tags",
                (
                    Arg("tag", _S, "unit.tag, e.g. mps-pa.level_sp"),
                    Arg("value", _D, "new value (modes and switches: 0 or 1)"),
                    Arg("reason", _S, "why (kept in the audit trail)"),
                ),
                (Arg("old", _D, "the value before the write (NaN when unknown)"),),
                self._write,
            ),
        )
        if delegation is not None:
            self.specs += (
                MethodSpec(
                    "Call",
                    SERVICE,
                    "The dashboard acting for its logged-in person: a request signed with the shared "
                    "session secret (operation, arguments, person); changes are checked against the "
                    "users file and audited as that person via the dashboard",
                    (Arg("request", _S, "signed delegation request (twin.delegation.sign_request)"),),
                    (Arg("result", _S, 'JSON: {"ok": value} or {"error": {"type", "message"}}'),),
                    self._service,
                ),
            )

    # -- method bodies ----------------------------------------------------------------------
    def _inject(self, who: TwinUser, fault_json: str, hidden: bool) -> list[Any]:
        try:
            fault = json.loads(fault_json)
        except json.JSONDecodeError as exc:
            raise ValueError(f"faultJson is not JSON: {exc}") from None
        if not isinstance(fault, dict):
            raise ValueError("faultJson must be a JSON object with kind, target and magnitude")
        view = self.control.inject(fault, hidden=hidden, actor=who.actor())
        return [view["id"]]

    def _clear(self, who: TwinUser, fault_id: str) -> list[Any]:
        faults = self.control.faults("instructor", live_only=True)
        live = any(f["id"] == fault_id for f in faults)
        self.control.clear(fault_id, actor=who.actor())
        return [live]

    def _stop(self, who: TwinUser, password: str, meaning: str) -> list[Any]:
        signature: Signature | None = None
        if password:  # no password: TwinControl refuses when the plant file wants a signature
            if self.authenticator is None:
                raise PermissionError("no users file: nobody can sign")
            try:
                signature = self.authenticator.sign(who.principal, password, meaning)
            except ValueError as exc:  # unknown meaning
                raise CallError(ua.StatusCodes.BadInvalidArgument, str(exc), arg=1) from None
        return [_json(self.control.stop_scenario(actor=who.actor(), signature=signature))]

    async def _write(self, who: TwinUser, tag: str, value: float, reason: str) -> list[Any]:
        unit, _, name = tag.rpartition(".")
        try:
            done = self.control.write_tag(unit, name, float(value), actor=who.actor(), reason=reason)
        except (ValueError, KeyError) as exc:
            raise CallError(write_status(exc), str(exc), arg=1 if isinstance(exc, ValueError) else 0) from None
        if self.written is not None:
            await self.written(unit, name, float(value))
        old = done["old"]
        return [math.nan if old is None else float(old)]

    async def _service(self, who: TwinUser, request: str) -> list[Any]:
        assert self.delegation is not None
        try:
            delegated = self.delegation.open(request)
        except PermissionError as exc:
            deny(self.control.audit, who, "Call", str(exc))
            raise
        try:
            result: dict[str, Any] = {"ok": await self._delegated(who, delegated)}
        except (ValueError, KeyError, PermissionError, AuditUnavailable) as exc:
            message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
            result = {"error": {"type": type(exc).__name__, "message": str(message)}}
            log.info("OPC UA Call %s for %s refused: %s", delegated.op, delegated.user, message)
        return [_json(result)]

    async def _delegated(self, who: TwinUser, d: Delegated) -> Any:
        """Run one delegated operation on :class:`TwinControl` (reads as asked, changes as the person)."""
        c, a = self.control, d.args
        view: Role = "instructor" if a.get("role") == "instructor" else "student"
        if d.op == "catalog":
            return c.catalog()
        if d.op == "faults":
            return c.faults(view, bool(a.get("live_only", False)))
        if d.op == "scenario_state":
            return c.scenario_state(view)
        if d.op == "clock":
            return {**c.clock(), "steps": c.runtime.steps, "dt_s": c.runtime.dt_s}
        if d.op == "scenarios":
            return c.scenarios(str(a.get("lang", "en")))
        if d.op == "policy":
            return POLICY_WIRE.dump_python(c.policy, mode="json")
        if d.op == "tag_specs":
            return SPECS_WIRE.dump_python(c.tag_specs(), mode="json")
        if d.op == "read_setting":
            return c.read_setting(str(a["unit"]), str(a["tag"]))
        if d.op in ("reports", "hints", "exercise_state"):
            return self._exercise_read(d.op, view, a)
        actor = self._delegated_actor(who, d)
        if d.op in ("report_deviation", "open_hint", "push_hint", "end_exercise"):
            return self._exercise_change(d, actor)
        if d.op == "inject":
            return c.inject(dict(a["fault"]), bool(a.get("hidden", False)), actor=actor)
        if d.op == "clear":
            return c.clear(str(a["fault_id"]), actor=actor)
        if d.op == "clear_all":
            return c.clear_all(actor=actor)
        signature = signature_from(a.get("signature"))
        if d.op == "start_scenario":
            return c.start_scenario(str(a["name"]), a.get("hidden"), actor=actor, signature=signature)
        if d.op == "stop_scenario":
            return c.stop_scenario(actor=actor, signature=signature)
        if d.op == "hide_scenario":
            return c.hide_scenario(bool(a["hidden"]), actor=actor)
        if d.op == "set_clock":
            speed = a.get("speed")
            pace = math.inf if speed == "max" else None if speed is None else float(speed)
            return c.set_clock(pace, a.get("paused"), actor=actor)
        # write_tag (the only operation left, see twin.delegation.OPERATIONS)
        unit, tag, value = str(a["unit"]), str(a["tag"]), float(a["value"])
        done = c.write_tag(unit, tag, value, actor=actor, reason=str(a.get("reason", "")))
        if self.written is not None:
            await self.written(unit, tag, value)
        return done

    def _exercise_read(self, op: str, view: Role, a: dict[str, Any]) -> Any:
        team = a.get("team")
        if op == "reports":
            return self.control.reports(None if team is None else str(team))
        if op == "hints":
            return self.control.hints(str(team or ""), view)
        return self.control.exercise_state(view, str(team or ""))

    def _exercise_change(self, d: Delegated, actor: Actor) -> Any:
        c, a = self.control, d.args
        assert self.delegation is not None
        if d.op == "report_deviation":
            return c.report_deviation(dict(a["report"]), actor=actor, team=self.delegation.team(d))
        if d.op == "open_hint":
            return c.open_hint(self.delegation.team(d), str(a["hint_id"]), actor=actor)
        if d.op == "push_hint":
            cost = a.get("cost")
            return c.push_hint(a.get("team"), actor=actor, hint_id=a.get("hint_id"), text=a.get("text"),
                               cost=None if cost is None else float(cost))  # fmt: skip
        return c.end_exercise(actor=actor, signature=signature_from(a.get("signature")))

    def _delegated_actor(self, who: TwinUser, d: Delegated) -> Actor:
        assert self.delegation is not None
        try:
            return self.delegation.actor(d, who.principal.client)
        except PermissionError as exc:
            users = self.delegation.users
            entry = users.get(d.user) if users is not None and d.user else None
            role = entry.role if entry is not None else "anonymous"
            stand_in = Actor(d.user or "anonymous", role, d.via, f"{d.client} via dashboard".strip())
            if self.control.audit is not None:
                self.control.audit.append(
                    stand_in, "access.denied", f"method:Call/{d.op}", result="refused",
                    status="BadUserAccessDenied", detail=str(exc),
                )  # fmt: skip
            raise

    # -- the asyncua handler ----------------------------------------------------------------
    def handler(self, spec: MethodSpec) -> Handler:
        """The asyncua handler of ``spec``: role check, argument check, call, errors as status codes."""

        async def handle(parent: ua.NodeId, *args: ua.Variant) -> ua.CallMethodResult:
            who = caller()
            if who is None:  # fail closed: no client request is being served
                log.warning("OPC UA %s refused: no client session", spec.name)
                return _status(ua.StatusCodes.BadUserAccessDenied)
            why = refusal(who.principal, spec.needs)
            if why is not None:  # the ruleset refused it already; defence in depth
                deny(self.control.audit, who, spec.name, why)
                return _status(ua.StatusCodes.BadUserAccessDenied)
            bad = _check_args(spec, args)
            if bad is not None:
                return bad
            values = [a.Value for a in args]
            shown = "***" if spec.name == "StopScenario" else values  # never log a password
            user = who.principal.name
            try:
                out = spec.run(who, *values)
                if inspect.isawaitable(out):
                    out = await out
            except CallError as exc:
                log.warning("OPC UA %s by %s refused: %s", spec.name, user, exc)
                return _invalid(len(args), exc.arg, str(exc), exc.status)
            except (PermissionError, LoginRefused) as exc:
                log.warning("OPC UA %s by %s refused: %s", spec.name, user, exc)
                return _status(ua.StatusCodes.BadUserAccessDenied)
            except AuditUnavailable:
                log.exception("OPC UA %s by %s refused: the audit trail cannot record it", spec.name, user)
                return _status(ua.StatusCodes.BadResourceUnavailable)
            except (ValueError, KeyError) as exc:
                reason = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
                log.warning("OPC UA %s by %s refused: %s", spec.name, user, reason)
                return _invalid(len(args), 0, str(reason))
            log.info("OPC UA %s by %s: %s -> %s", spec.name, user, shown, out)
            return ua.CallMethodResult(
                StatusCode=ua.StatusCode(),
                InputArgumentResults=[ua.StatusCode() for _ in args],
                OutputArguments=[ua.Variant(v, a.vtype) for v, a in zip(out, spec.outputs, strict=True)],
            )

        return handle


def _status(code: int) -> ua.CallMethodResult:
    return ua.CallMethodResult(StatusCode=ua.StatusCode(code))


def _invalid(
    n_args: int, index: int | None, reason: str, status: int = ua.StatusCodes.BadInvalidArgument
) -> ua.CallMethodResult:
    """``status`` (BadInvalidArgument by default) on argument ``index`` with ``reason`` as its diagnostic info."""
    results = [ua.StatusCode() for _ in range(n_args)]
    diags = [ua.DiagnosticInfo() for _ in range(n_args)]
    if index is not None and index < n_args:
        results[index] = ua.StatusCode(status)
        diags[index] = ua.DiagnosticInfo(AdditionalInfo=reason)
    return ua.CallMethodResult(
        StatusCode=ua.StatusCode(status), InputArgumentResults=results, InputArgumentDiagnosticInfos=diags
    )


def _check_args(spec: MethodSpec, args: Sequence[ua.Variant]) -> ua.CallMethodResult | None:
    """A Bad result when the arguments do not match the declared inputs (count, type)."""
    if len(args) < len(spec.inputs):
        return _status(ua.StatusCodes.BadArgumentsMissing)
    if len(args) > len(spec.inputs):
        return _status(ua.StatusCodes.BadTooManyArguments)
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


__all__: Sequence[str] = [
    "INSTRUCTOR",
    "METHOD_ROLES",
    "OBJECT_NAME",
    "OPERATOR",
    "PARENT_NAME",
    "SERVICE",
    "CallError",
    "TwinMethods",
    "write_status",
]
