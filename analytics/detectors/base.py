"""What every live detector's entry has: its name, unit, window, reference period and alarm.

A method's config model subclasses :class:`DetectorBase`, narrows ``method`` to its own
``Literal`` and adds its parameters; :mod:`analytics.detectors.registry` puts the models in
one discriminated union on ``method``.

Unit and tag names are checked against the tag maps passed in the validation context
(``{"units": {unit: [tags]}}``); without that context they are not checked.

Examples
--------
>>> from pydantic import TypeAdapter
>>> TypeAdapter(KnownUnit).validate_python("mps-pa", context={"units": {"mps-pa": []}})
'mps-pa'
>>> try:
...     TypeAdapter(KnownUnit).validate_python("mps-pb", context={"units": {"mps-pa": []}})
... except ValueError as e:
...     print(e.errors()[0]["msg"])
Value error, unknown unit 'mps-pb'; units of the tag maps: mps-pa
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationInfo

__all__ = ["Description", "DetectorBase", "KnownUnit", "LocalText", "PriorityName", "check_tag"]

PriorityName = Literal["low", "medium", "high"]


class LocalText(BaseModel):
    """A text written in French and English (``description: {fr: ..., en: ...}``).

    Examples
    --------
    >>> text = LocalText(fr="Le niveau dérive", en="The level drifts")
    >>> text.in_lang("fr"), text.in_lang("de")
    ('Le niveau dérive', 'The level drifts')
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    fr: str = Field(min_length=1, max_length=200)
    en: str = Field(min_length=1, max_length=200)

    def in_lang(self, lang: str) -> str:
        """The text in ``lang``; English for a language it does not have."""
        return self.fr if lang == "fr" else self.en


def _units(info: ValidationInfo) -> Mapping[str, Sequence[str]] | None:
    """Unit name -> tag names from the validation context (None: not checked)."""
    units = (info.context or {}).get("units")
    return units if isinstance(units, Mapping) else None


def _unit_known(unit: str, info: ValidationInfo) -> str:
    units = _units(info)
    if units is not None and unit not in units:
        raise ValueError(f"unknown unit {unit!r}; units of the tag maps: {', '.join(units) or 'none'}")
    return unit


#: A unit name that the tag maps of the validation context know.
KnownUnit = Annotated[str, Field(min_length=1), AfterValidator(_unit_known)]


def check_tag(name: str, info: ValidationInfo) -> None:
    """Raise ``ValueError`` if the entry's unit (already validated) has no tag ``name``."""
    units, unit = _units(info), info.data.get("unit")
    if units is None or unit is None or unit not in units:
        return
    if name not in units[unit]:
        raise ValueError(f"unknown tag {name!r} in unit {unit!r}; valid tags: {', '.join(units[unit])}")


def _description_kind(value: Any) -> str:
    return "langs" if isinstance(value, Mapping | LocalText) else "plain"


#: An alarm message: a plain string (the same in every language) or ``{fr: ..., en: ...}``;
#: the discriminator gives one error for a wrong entry, not one per form.
Description = Annotated[
    Annotated[str, Field(max_length=200), Tag("plain")] | Annotated[LocalText, Tag("langs")],
    Discriminator(_description_kind),
]


class DetectorBase(BaseModel):
    """The fields every detector entry has; a method's model adds its own parameters.

    The detector sees one value per ``sample_s`` seconds (the mean of the raw samples in
    that window), ignores the first ``warmup_s`` seconds, and learns its limits from the
    next ``reference_s`` seconds when it needs a reference.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_.\-]*$", max_length=80, description="unique; the alarm id")
    unit: KnownUnit = Field(description="unit of the tag map (the historian's `unit` tag)")
    #: Narrowed to one ``Literal`` by each method's model: the discriminator of the union.
    method: str
    description: Description = Field("", description="alarm message, plain or {fr: ..., en: ...} (default: generated)")
    sample_s: float = Field(1.0, gt=0, le=3600, description="window of the mean the detector sees")
    reference_s: float | None = Field(
        None, gt=0, le=7 * 24 * 3600, description="learn the limits from the first N seconds of data"
    )
    warmup_s: float = Field(0.0, ge=0, le=7 * 24 * 3600, description="data ignored before the reference")
    priority: PriorityName = "medium"
    clear_after_s: float = Field(60.0, gt=0, description="alarm returns to normal after this long without a signal")

    #: Rule id -> plain-language meaning, for the rule ids this method's points carry.
    rule_texts: ClassVar[Mapping[str, str]] = {}

    @property
    def watched(self) -> list[str]:
        """The tag(s) this detector reads."""
        raise NotImplementedError

    def description_in(self, lang: str) -> str:
        """The configured alarm message in ``lang`` ("" when none): a plain string in every language.

        >>> from analytics.detectors import parse_detector
        >>> entry = {"name": "lvl", "unit": "u", "tag": "L", "method": "ewma", "mean": 1, "sigma": 1}
        >>> parse_detector({**entry, "description": {"fr": "Dérive", "en": "Drift"}}).description_in("fr")
        'Dérive'
        >>> parse_detector({**entry, "description": "Level drift"}).description_in("fr")
        'Level drift'
        """
        d = self.description
        return d if isinstance(d, str) else d.in_lang(lang)

    @property
    def label(self) -> str:
        """Tag label for points and charts: the tag, or several tags joined by ``+``."""
        return "+".join(self.watched)
