"""The live drift detectors file (``config/detectors.yaml``): which tag, which chart, which limits.

Each entry watches one tag (Shewhart, EWMA, CUSUM) or several tags of one unit (PCA) on the
live values the bridge writes to the historian. The detector sees one value per
``sample_s`` seconds, the mean of the raw samples in that window, so its run lengths are
counted in windows and its ``sigma`` is the standard deviation of one window mean.

Limits come from exactly one source:

* ``mean`` and ``sigma`` (known, e.g. validated values);
* ``reference_s``: learn them from the first N seconds of data after start (Phase I); a given
  ``mean`` or ``sigma`` is kept and only the other is estimated. ``warmup_s`` skips data
  first (a heater warming up), so the reference is taken in steady state;
* ``lsl`` and ``usl`` (specification; ``centre = (LSL+USL)/2``, ``sigma = (USL−LSL)/(6·cp)``).

A unit or tag that no tag map knows stops start-up with the file, the line and the valid
names, as every other configuration file does.

Examples
--------
>>> import pathlib, tempfile
>>> p = pathlib.Path(tempfile.mkdtemp()) / "detectors.yaml"
>>> _ = p.write_text('''
... detectors:
...   - name: level-ewma
...     unit: mps-pa
...     tag: B101_levl
...     method: ewma
...     mean: 15.0
...     sigma: 0.1
... ''')
>>> try:
...     load_detectors(p, {"mps-pa": ["B101_level", "B102_flow"]})
... except ConfigError as e:
...     print(str(e).split("/")[-1])
detectors.yaml:5: 'detectors[0].tag': unknown tag 'B101_levl' in unit 'mps-pa'; valid tags: B101_level, B102_flow
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from analytics.spc_rules import resolve_rules
from config_schema.files import ConfigError, load_yaml_model

__all__ = ["ConfigError", "DetectorConfig", "DetectorsFile", "OeeMachineConfig", "load_detectors"]

Method = Literal["shewhart", "ewma", "cusum", "pca"]
PriorityName = Literal["low", "medium", "high"]

#: Parameters that only make sense for some methods (a stray one is an error, not ignored).
_ONLY_FOR: dict[str, set[str]] = {
    "rules": {"shewhart"},
    "lambda_": {"ewma"},
    "L": {"shewhart", "ewma"},
    "k": {"cusum"},
    "h": {"cusum"},
    "headstart": {"cusum"},
    "arl0": {"ewma", "cusum"},
    "mean": {"shewhart", "ewma", "cusum"},
    "sigma": {"shewhart", "ewma", "cusum"},
    "lsl": {"shewhart", "ewma", "cusum"},
    "usl": {"shewhart", "ewma", "cusum"},
    "cp": {"shewhart", "ewma", "cusum"},
    "tag": {"shewhart", "ewma", "cusum"},
    "tags": {"pca"},
    "n_components": {"pca"},
    "variance": {"pca"},
    "alpha": {"pca"},
    "limits": {"pca"},
    "lags": {"pca"},
    "signal": {"pca"},
}
_ALIASES = {"lambda_": "lambda"}


def _known(info: ValidationInfo) -> Mapping[str, Sequence[str]] | None:
    """Unit name -> tag names from the validation context (None: not checked)."""
    units = (info.context or {}).get("units")
    return units if isinstance(units, Mapping) else None


def _check_tag(name: str, unit: str | None, info: ValidationInfo) -> None:
    units = _known(info)
    if units is None or unit is None or unit not in units:
        return
    if name not in units[unit]:
        raise ValueError(f"unknown tag {name!r} in unit {unit!r}; valid tags: {', '.join(units[unit])}")


class DetectorConfig(BaseModel):
    """One live detector (see the module docstring and ``config/detectors.yaml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_.\-]*$", max_length=80, description="unique; the alarm id")
    unit: str = Field(min_length=1, description="unit of the tag map (the historian's `unit` tag)")
    method: Method
    tag: str | None = None
    tags: list[str] | None = Field(None, min_length=2)
    description: str = Field("", max_length=200, description="alarm message (default: generated)")
    sample_s: float = Field(1.0, gt=0, le=3600, description="window of the mean the detector sees")
    # Limits: known, reference period, or specification.
    mean: float | None = None
    sigma: float | None = Field(None, gt=0)
    reference_s: float | None = Field(None, gt=0, le=7 * 24 * 3600)
    warmup_s: float = Field(0.0, ge=0, le=7 * 24 * 3600)
    lsl: float | None = None
    usl: float | None = None
    cp: float = Field(1.0, gt=0)
    # Chart parameters.
    rules: Literal["we", "nelson", "none"] | list[str] | None = None
    lambda_: float = Field(0.2, alias="lambda", gt=0, le=1)
    L: float | None = Field(None, gt=0)
    arl0: float = Field(370.4, gt=1)
    k: float = Field(0.5, ge=0)
    h: float | None = Field(None, gt=0)
    headstart: float = Field(0.0, ge=0)
    reset_on_alarm: bool = True
    # PCA parameters.
    n_components: int | None = Field(None, ge=1)
    variance: float = Field(0.9, gt=0, le=1)
    alpha: float = Field(0.01, gt=0, lt=1)
    limits: Literal["analytic", "empirical"] = "analytic"
    lags: int = Field(0, ge=0, le=10)
    signal: Literal["either", "t2", "spe", "combined"] = "either"
    # Alarm.
    priority: PriorityName = "medium"
    clear_after_s: float = Field(60.0, gt=0, description="alarm returns to normal after this long without a signal")

    @field_validator("unit")
    @classmethod
    def _unit_known(cls, unit: str, info: ValidationInfo) -> str:
        units = _known(info)
        if units is not None and unit not in units:
            raise ValueError(f"unknown unit {unit!r}; units of the tag maps: {', '.join(units) or 'none'}")
        return unit

    @field_validator("tag")
    @classmethod
    def _tag_known(cls, tag: str | None, info: ValidationInfo) -> str | None:
        if tag is not None:
            _check_tag(tag, info.data.get("unit"), info)
        return tag

    @field_validator("tags")
    @classmethod
    def _tags_known(cls, tags: list[str] | None, info: ValidationInfo) -> list[str] | None:
        if tags is None:
            return None
        if len(set(tags)) != len(tags):
            raise ValueError(f"a tag is listed twice in {tags}")
        for tag in tags:
            _check_tag(tag, info.data.get("unit"), info)
        return tags

    @field_validator("rules")
    @classmethod
    def _rules_valid(cls, rules: str | list[str] | None) -> str | list[str] | None:
        if isinstance(rules, list):
            resolve_rules(rules)  # unknown ids raise with the valid list
        return rules

    @model_validator(mode="after")
    def _consistent(self) -> DetectorConfig:
        for param, methods in _ONLY_FOR.items():
            if param in self.model_fields_set and self.method not in methods:
                key = _ALIASES.get(param, param)
                allowed = ", ".join(sorted(methods))
                raise ValueError(f"'{key}' does not apply to method {self.method!r} (only to {allowed})")
        if self.method == "pca":
            if self.tags is None:
                raise ValueError("method 'pca' needs 'tags' (two or more tags of the unit)")
            if self.reference_s is None:
                raise ValueError("method 'pca' needs 'reference_s' (the model is fitted on the first N seconds)")
            return self
        if self.tag is None:
            raise ValueError(f"method {self.method!r} needs 'tag'")
        if self.method == "shewhart" and self.rules is None:
            raise ValueError("method 'shewhart' needs 'rules': we, nelson, none or a list of rule ids (explicit)")
        spec = self.lsl is not None or self.usl is not None
        if spec and (self.lsl is None or self.usl is None):
            raise ValueError("specification limits need both 'lsl' and 'usl'")
        if spec and self.lsl is not None and self.usl is not None and self.lsl >= self.usl:
            raise ValueError(f"lsl ({self.lsl}) must be below usl ({self.usl})")
        known = self.mean is not None and self.sigma is not None
        sources = [
            n
            for n, on in (("mean+sigma", known), ("reference_s", self.reference_s is not None), ("lsl+usl", spec))
            if on
        ]
        if known and self.reference_s is not None:
            sources = ["mean+sigma", "reference_s"]
        if len(sources) != 1:
            raise ValueError(
                "give the limits from exactly one source: 'mean' and 'sigma', 'reference_s' (optionally with "
                f"a fixed 'mean' or 'sigma'), or 'lsl' and 'usl'; got {', '.join(sources) or 'none'}"
            )
        if spec and (self.mean is not None or self.sigma is not None):
            raise ValueError("'mean'/'sigma' cannot be combined with 'lsl'/'usl'")
        return self

    @property
    def watched(self) -> list[str]:
        """The tag(s) this detector reads."""
        return list(self.tags) if self.tags is not None else [self.tag or ""]

    @property
    def label(self) -> str:
        """Tag label for points and charts: the tag, or the PCA tags joined by ``+``."""
        return "+".join(self.watched)


class OeeMachineConfig(BaseModel):
    """Settings of one machine's OEE (found by its ``<machine>_state`` and counter tags)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    unit: str = Field(min_length=1)
    machine: str = Field(min_length=1)
    ideal_rate_per_min: float | None = Field(None, gt=0, description="nameplate rate; without it no performance")
    small_stop_s: float = Field(300.0, gt=0)

    @field_validator("unit")
    @classmethod
    def _unit_known(cls, unit: str, info: ValidationInfo) -> str:
        units = _known(info)
        if units is not None and unit not in units:
            raise ValueError(f"unknown unit {unit!r}; units of the tag maps: {', '.join(units) or 'none'}")
        return unit


class DetectorsFile(BaseModel):
    """The whole file: a list of detectors and optional OEE settings per machine."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    detectors: list[DetectorConfig] = Field(default_factory=list)
    oee: list[OeeMachineConfig] = Field(default_factory=list)
    #: Seconds between two ``oee`` points per machine.
    oee_interval_s: float = Field(10.0, gt=0, le=3600)

    @field_validator("detectors")
    @classmethod
    def _unique(cls, detectors: list[DetectorConfig], info: ValidationInfo) -> list[DetectorConfig]:
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
