"""The detectors file (``config/detectors.yaml``): the detector entries and the OEE settings.

Each entry is validated by its method's model (:data:`~analytics.detectors.registry.REGISTRY`).
Errors keep the location of the field in the file (pydantic would add the method between the
entry and the field) and say which method a misplaced parameter belongs to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
)

from analytics.detectors.base import DetectorBase, KnownUnit
from analytics.detectors.registry import REGISTRY, DetectorConfig
from config_schema.files import load_yaml_model

__all__ = ["DetectorsFile", "OeeMachineConfig", "load_detectors"]


class OeeMachineConfig(BaseModel):
    """Settings of one machine's OEE (found by its ``<machine>_state`` and counter tags)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    unit: KnownUnit
    machine: str = Field(min_length=1)
    ideal_rate_per_min: float | None = Field(None, gt=0, description="nameplate rate; without it no performance")
    small_stop_s: float = Field(300.0, gt=0)


#: Keys every entry needs whatever its method (pydantic's "required field is missing" says enough).
_COMMON_REQUIRED = {name for name, f in DetectorBase.model_fields.items() if f.is_required()}


def _keys(model: type[BaseModel]) -> list[str]:
    """The keys an entry of this model may have (aliases as written in the file)."""
    return [f.alias or name for name, f in model.model_fields.items()]


def _readable(err: Any, entries: Any) -> dict[str, Any]:
    """One error of the ``detectors`` list, relative to the list, as the file's reader needs it."""
    loc = tuple(err["loc"])
    entry = entries[loc[0]] if isinstance(entries, list) and loc and isinstance(loc[0], int) else None
    method = entry.get("method") if isinstance(entry, dict) else None
    if len(loc) >= 2 and loc[1] == method:
        loc = (loc[0], *loc[2:])  # pydantic puts the union's tag in the location
    if len(loc) >= 3 and loc[1] == "description":
        loc = (*loc[:2], *loc[3:])  # and the tag of the description's form ("plain" or "langs")
    kind = err["type"]
    if kind == "union_tag_not_found":
        return {"type": "missing", "loc": (*loc, "method"), "input": entry}
    if kind == "union_tag_invalid":
        expected = [repr(m) for m in REGISTRY]
        choices = f"{', '.join(expected[:-1])} or {expected[-1]}"
        return {"type": "literal_error", "loc": (*loc, "method"), "input": method, "ctx": {"expected": choices}}
    model = REGISTRY[method].config if isinstance(method, str) and method in REGISTRY else None
    message = None
    if model is not None and len(loc) == 2 and kind == "extra_forbidden":
        key = loc[-1]
        owners = sorted(m for m, r in REGISTRY.items() if key in _keys(r.config))
        if owners:
            message = f"{key!r} does not apply to method {method!r} (only to {', '.join(owners)})"
        else:
            message = f"{key!r}: unknown key for method {method!r} (allowed keys: {', '.join(_keys(model))})"
    elif model is not None and len(loc) == 2 and kind == "missing" and loc[-1] not in _COMMON_REQUIRED:
        key = loc[-1]
        field = next((f for n, f in model.model_fields.items() if key in (n, f.alias)), None)
        hint = f": {field.description}" if field is not None and field.description else ""
        message = f"method {method!r} needs {key!r}{hint}"
    elif loc[1:] == ("description",) and kind in ("string_type", "model_type"):
        return {
            **err,
            "type": "value_error",
            "loc": loc,
            "ctx": {"error": ValueError("give a text or {fr: ..., en: ...}")},
        }
    if message is not None:  # said of the entry, as the other checks across its fields
        return {"type": "value_error", "loc": loc[:1], "input": entry, "ctx": {"error": ValueError(message)}}
    return {**err, "loc": loc}


class DetectorsFile(BaseModel):
    """The whole file: a list of detectors and optional OEE settings per machine."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    detectors: list[DetectorConfig] = Field(default_factory=list)
    oee: list[OeeMachineConfig] = Field(default_factory=list)
    #: Seconds between two ``oee`` points per machine.
    oee_interval_s: float = Field(10.0, gt=0, le=3600)

    @field_validator("detectors", mode="wrap")
    @classmethod
    def _readable_errors(cls, entries: Any, handler: ValidatorFunctionWrapHandler) -> list[DetectorBase]:
        try:
            detectors: list[DetectorBase] = handler(entries)
        except ValidationError as exc:
            raise ValidationError.from_exception_data(
                exc.title,
                [_readable(e, entries) for e in exc.errors()],  # type: ignore[misc]
            ) from None
        return detectors

    @field_validator("detectors")
    @classmethod
    def _unique(cls, detectors: list[DetectorBase], info: ValidationInfo) -> list[DetectorBase]:
        lines = (info.context or {}).get("lines", {})
        seen: dict[str, int] = {}
        for i, det in enumerate(detectors):
            if det.name in seen:
                first = lines.get(("detectors", seen[det.name]))
                where = f"line {first}" if first else f"detectors[{seen[det.name]}]"
                raise ValueError(
                    f"duplicate detector name {det.name!r} at detectors[{i}] (first at {where}); "
                    "names are alarm ids and must be unique"
                )
            seen[det.name] = i
        return detectors


def load_detectors(path: str | Path, units: Mapping[str, Sequence[str]] | None = None) -> DetectorsFile:
    """Load and validate a detectors file; raise :class:`ConfigError` naming file and line.

    Parameters
    ----------
    path
        The YAML file.
    units
        Unit name -> tag names of the tag maps; every unit and tag of the file must be in it.
        ``None`` skips that check.
    """
    context: dict[str, Any] = {} if units is None else {"units": {u: list(t) for u, t in units.items()}}
    return load_yaml_model(path, DetectorsFile, context=context)
