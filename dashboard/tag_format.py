"""How every page shows a tag's value: state names, local numbers, quality and calibration flags.

One function, :func:`format_value`, turns a tag's latest value and OPC UA status into what an
ISA-101 display shows:

- a discrete tag (PackML state, phase, mode, switch) shows the name of its state, never a number;
- numbers use the language's decimal separator (comma in French) with a fixed number of
  decimals per tag, taken from its engineering range so the digits do not jump;
- a bad or uncertain status gives the status name and the css class ``q-bad`` or
  ``q-uncertain`` (the stylesheet greys or hatches them); a missing or NaN value shows ``—``;
- a soft-sensor (PAT) prediction outside its calibrated range is clipped to that range,
  prefixed with ``<`` or ``>`` and flagged (class ``q-outcal`` and a note);
- a model state or actuator position is clipped to its physical range (a valve is never
  at −0.05 %).

Examples
--------
>>> from config_schema.tagmap import TagEntry
>>> level = TagEntry(name="B101_level", node="ns=2;s=l", unit="cm", lo=0, hi=30)
>>> format_value(level, 12.3456, 0, "fr")
Formatted(text='12,35 cm', css_class='q-good', status_name=None, note=None)
>>> format_value(level, float("nan"), 0x80310000, "en")
Formatted(text='—', css_class='q-bad', status_name='BadNoCommunication', note=None)
>>> mode = TagEntry(name="level_mode", node="ns=2;s=m", kind="mode", lo=0, hi=1)
>>> format_value(mode, 1.0, 0, "fr").text, format_value(mode, 0.0, 0, "en").text
('auto', 'manual')
>>> titre = TagEntry(name="titre_pat", node="ns=2;s=t", unit="g/l", lo=0, hi=100, calibrated=(0, 40))
>>> f = format_value(titre, -0.62, 0, "fr")
>>> f.text, f.css_class, f.note
('< 0,0 g/l', 'q-good q-outcal', "hors plage d'étalonnage (0,0 – 40,0 g/l)")
"""

from __future__ import annotations

import math
from typing import NamedTuple, Protocol

from asyncua import ua

from dashboard.i18n import fmt_number, t

#: Default state labels of boolean kinds that declare none.
DEFAULT_STATES: dict[str, dict[int, str]] = {
    "mode": {0: "state.mode.manual", 1: "state.mode.auto"},
    "switch": {0: "state.switch.off", 1: "state.switch.on"},
}
# Kinds whose range is physical (a model state, an actuator): values outside it are numerical noise.
_PHYSICAL_KINDS = frozenset({"state", "output", "setpoint"})


class TagLike(Protocol):
    """What :func:`format_value` reads of a tag: a tag-map entry or a model's ``TagSpec``."""

    @property
    def name(self) -> str: ...
    @property
    def unit(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def lo(self) -> float | None: ...
    @property
    def hi(self) -> float | None: ...
    @property
    def states(self) -> dict[int, str] | None: ...
    @property
    def calibrated(self) -> tuple[float, float] | None: ...


class Formatted(NamedTuple):
    """A value ready to show.

    Attributes
    ----------
    text : str
        The value with its unit, or the state name, or ``—``.
    css_class : str
        ``q-good``, ``q-uncertain``, ``q-bad`` or ``q-none`` (no value), plus ``q-outcal`` when a
        prediction lies outside its calibrated range.
    status_name : str or None
        The OPC UA status name when the quality is not good (``BadSensorFailure``...).
    note : str or None
        A translated remark to show as a tooltip or beside the value (calibration, unknown state).
    """

    text: str
    css_class: str
    status_name: str | None
    note: str | None = None

    @property
    def label(self) -> str:
        """Text and, when the quality is not good, the status name: ``— (BadNoCommunication)``."""
        return f"{self.text} ({self.status_name})" if self.status_name else self.text


def quality(status: int | None) -> str:
    """``good``, ``uncertain`` or ``bad`` from an OPC UA status code (``None``: good).

    >>> [quality(c) for c in (None, 0, 0x40000000, 0x80000000, 0xC0000000)]
    ['good', 'good', 'uncertain', 'bad', 'bad']
    """
    severity = (status or 0) >> 30
    return "good" if severity == 0 else "uncertain" if severity == 1 else "bad"


def status_name(status: int) -> str:
    """OPC UA status name, e.g. ``BadSensorFailure``; an unknown code by its severity.

    >>> status_name(0x808C0000), status_name(0x8FFF0000)
    ('BadSensorFailure', 'Bad')
    """
    try:
        return str(ua.StatusCode(status).name)
    except Exception:  # an unknown code is still shown
        return f"0x{status:08X}"


def decimals(lo: float | None, hi: float | None) -> int:
    """Decimals a tag shows, from its engineering span: about three significant digits at full scale.

    >>> [decimals(0, s) for s in (1, 14, 30, 100, 400, 2000, 1e9)], decimals(None, None)
    ([3, 2, 2, 1, 1, 0, 0], 2)
    """
    if lo is None or hi is None or not hi > lo:
        return 2
    return max(0, min(3, 2 - math.floor(math.log10((hi - lo) / 10))))


def state_label(tag: TagLike, value: float, lang: str) -> tuple[str, str | None]:
    """The state name of a discrete tag's value, and a note when the value names no state.

    >>> from config_schema.tagmap import TagEntry
    >>> sw = TagEntry(name="S", node="ns=2;s=S", kind="switch", states={0: "state.dry", 1: "state.wet"})
    >>> state_label(sw, 1.0, "fr"), state_label(sw, 3.0, "en")
    (('mouillé', None), ('3', 'unknown state'))
    """
    states = tag.states or DEFAULT_STATES.get(tag.kind, {})
    key = states.get(round(value))
    if key is None:
        return f"{value:g}", t("fmt.unknown_state", lang)
    return t(key, lang), None


def is_discrete(tag: TagLike) -> bool:
    """A tag shown by state name: it declares states, or it is a mode or a switch."""
    return bool(tag.states) or tag.kind in DEFAULT_STATES


def format_value(
    tag: TagLike, value: float | None, status: int | None, lang: str, digits: int | None = None
) -> Formatted:
    """How ``tag`` reading ``value`` with OPC UA ``status`` is shown in ``lang``.

    Parameters
    ----------
    tag : TagLike
        A tag-map entry (:class:`config_schema.tagmap.TagEntry`) or a model ``TagSpec``.
    value : float or None
        The latest value (``None``: no sample yet; NaN: no usable value).
    status : int or None
        The OPC UA status code of the sample (``None``: not known, taken as good).
    lang : str
        ``fr`` or ``en``.
    digits : int, optional
        Decimals to show; default from the tag's range (:func:`decimals`).

    Examples
    --------
    >>> from config_schema.tagmap import TagEntry
    >>> valve = TagEntry(name="V106_position", node="ns=2;s=v", unit="%", lo=0, hi=100, kind="state")
    >>> format_value(valve, -0.054, 0, "en").text
    '0.0 %'
    >>> format_value(valve, None, None, "en")
    Formatted(text='—', css_class='q-none', status_name=None, note=None)
    >>> format_value(valve, 50.0, 0x40930000, "fr").label
    '50,0 % (UncertainSensorNotAccurate)'
    """
    if value is None:
        return Formatted("—", "q-none", None)
    q = quality(status)
    name = None if q == "good" else status_name(status or 0)
    classes = [f"q-{q}"]
    if not math.isfinite(value):
        return Formatted("—", classes[0], name)
    if is_discrete(tag):
        text, note = state_label(tag, value, lang)
        return Formatted(text, classes[0], name, note)
    n = decimals(tag.lo, tag.hi) if digits is None else digits
    prefix, note = "", None
    if tag.kind in _PHYSICAL_KINDS and tag.lo is not None and tag.hi is not None:
        value = min(max(value, tag.lo), tag.hi)
    if tag.calibrated is not None:
        lo, hi = tag.calibrated
        if not lo <= value <= hi:
            prefix = "< " if value < lo else "> "
            value = lo if value < lo else hi
            classes.append("q-outcal")
            span = f"{fmt_number(lo, lang, n)} – {fmt_number(hi, lang, n)} {tag.unit}".strip()
            note = f"{t('fmt.out_of_calibration', lang)} ({span})"
    text = f"{prefix}{fmt_number(value, lang, n)} {tag.unit}".strip()
    return Formatted(text, " ".join(classes), name, note)
