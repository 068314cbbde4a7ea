"""Parameter dataclasses and tag writes: one dict round trip, one range check, one write check.

Every unit keeps its parameters in a frozen dataclass that mixes in :class:`Params` (plain
data for snapshots and plant files, nested tunings, recipes and analysers included) and
validates them in ``__post_init__`` with :func:`check_fields` (every number: finite, sign,
whole numbers, flags) and :func:`check_range` (named ranges). Every unit's ``write()``
starts with :func:`check_write`, so an unknown tag, a read-only tag, a value that is not a
number, a mode that is not 0/1 and a value outside the tag's range are refused with the same
words on every unit.

The range messages keep the few wordings the units have always used (tests and the README
quote some of them): :data:`OUTSIDE` (``x = 20 is outside the allowed range [3, 9] pH``),
:data:`OUT_OF_RANGE`, :data:`ALLOWED` and :data:`WITHIN`.

Examples
--------
>>> check_range("ph_setpoint", 20, 3.0, 9.0, "pH")
Traceback (most recent call last):
...
ValueError: ph_setpoint = 20 is outside the allowed range [3, 9] pH
>>> check_range("initial_volume_l", 0.0, 0.0, 100.0, "l", open_lo=True)
Traceback (most recent call last):
...
ValueError: initial_volume_l = 0.0 is outside the allowed range (0, 100] l
>>> check_range("recipe step 1: inlet_temperature_c", 120.0, 30, 90, "°C", message=ALLOWED)
Traceback (most recent call last):
...
ValueError: recipe step 1: inlet_temperature_c = 120.0, allowed 30-90 °C
"""

from __future__ import annotations

import copy
import functools
import math
import numbers
import typing
from collections.abc import Callable, Collection, Mapping
from dataclasses import asdict, fields, is_dataclass
from typing import Any, ClassVar, Self

from models.unit import TagSpec

__all__ = [
    "ALLOWED",
    "OUTSIDE",
    "OUT_OF_RANGE",
    "WITHIN",
    "Params",
    "check_fields",
    "check_range",
    "check_write",
    "plain_as",
    "require_manual",
]

#: ``name = value is outside the allowed range [lo, hi] unit`` (``(lo`` when ``lo`` is excluded).
OUTSIDE = "{name} = {value!r} is outside the allowed range {left}{lo}, {hi}{right} {unit}"
#: ``name = value is out of range, allowed lo-hi unit`` (autoclave recipes).
OUT_OF_RANGE = "{name} = {value!r} is out of range, allowed {lo}-{hi} {unit}"
#: ``name = value, allowed lo-hi unit`` (dryer parameters and recipes).
ALLOWED = "{name} = {value!r}, allowed {lo}-{hi} {unit}"
#: ``name = value must be within lo-hi unit``.
WITHIN = "{name} = {value!r} must be within {lo}-{hi} {unit}"

_PLAIN = "params.plain"


def check_range(
    name: str,
    value: float,
    lo: float,
    hi: float,
    unit: str,
    *,
    open_lo: bool = False,
    open_hi: bool = False,
    message: str = OUTSIDE,
    number_format: str = "g",
    shown: Any = None,
) -> None:
    """Raise ``ValueError`` (naming the field, its value and the range) unless ``lo ≤ value ≤ hi``.

    ``open_lo`` / ``open_hi`` exclude the bound; NaN is always outside. ``number_format``
    formats the bounds in the message; ``shown`` is the value as the caller gave it, when
    ``value`` is its conversion to float.

    Examples
    --------
    >>> check_range("level_sp", 40.0, 0.0, 25.0, "cm", number_format="")
    Traceback (most recent call last):
    ...
    ValueError: level_sp = 40.0 is outside the allowed range [0.0, 25.0] cm
    """
    above_lo = value > lo if open_lo else value >= lo
    below_hi = value < hi if open_hi else value <= hi
    if above_lo and below_hi:
        return
    text = message.format(
        name=name,
        value=value if shown is None else shown,
        lo=format(lo, number_format),
        hi=format(hi, number_format),
        unit=unit,
        left="(" if open_lo else "[",
        right=")" if open_hi else "]",
    )
    raise ValueError(text.rstrip())  # a field without a unit ends with its range


def check_fields(
    params: Any,
    *,
    positive: Collection[str] = (),
    zero_ok: Collection[str] | None = None,
    signed: Collection[str] = (),
    whole: Collection[str] = (),
    flags: Collection[str] = (),
    got: bool = False,
    negative_first: bool = False,
) -> None:
    """Check every number field of a (frozen) parameter dataclass; nested dataclasses are skipped.

    Every number must be finite and ``>= 0``, except the ``signed`` fields (any sign) and
    the ``positive`` ones (``> 0``); with ``zero_ok``, every unsigned field not in it must be
    ``> 0``. ``whole`` fields must be whole numbers and ``flags`` 0 or 1; both are converted
    (``int`` / ``bool``) in place. The message names the field and its value, as
    ``name = value must be …`` or, with ``got``, ``name must be …, got value``; with
    ``negative_first`` a negative value is refused as ``>= 0`` even in a ``> 0`` field (the
    dryer's wording).

    Examples
    --------
    >>> from models.pid import PidTuning
    >>> PidTuning(kp=math.inf)
    Traceback (most recent call last):
    ...
    ValueError: kp must be finite, got inf
    """

    def bad(name: str, value: Any, what: str) -> ValueError:
        return ValueError(f"{name} must be {what}, got {value!r}" if got else f"{name} = {value!r} must be {what}")

    for f in fields(params):
        name, value = f.name, getattr(params, f.name)
        if is_dataclass(value):
            continue
        if name in flags:
            if isinstance(value, str) or value not in (0, 1):
                raise bad(name, value, "0 or 1")
            object.__setattr__(params, name, bool(value))
            continue
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise bad(name, value, "a number")
        if not math.isfinite(value):
            raise bad(name, value, "finite")
        if name in whole:
            if not float(value).is_integer():
                raise bad(name, value, "a whole number")
            value = int(typing.cast(float, value))
            object.__setattr__(params, name, value)
        if name in signed:
            continue
        strict = name in positive if zero_ok is None else name not in zero_ok
        if value < 0 and (negative_first or not strict):
            raise bad(name, value, ">= 0")
        if strict and value <= 0:
            raise bad(name, value, "> 0")


def check_write(
    specs: Mapping[str, TagSpec],
    unit_type: str,
    tag: str,
    value: float,
    *,
    binary: Collection[str] = (),
    binary_text: str = "0 or 1",
    number_format: str = "",
) -> float:
    """``value`` as a float if ``tag`` may take it, else the error every unit raises.

    Parameters
    ----------
    specs : mapping of str to TagSpec
        The unit's tags by name.
    unit_type : str
        Named in the ``KeyError``.
    tag, value
        The write.
    binary : collection of str
        Tags that take only 0 or 1 besides the ``mode`` tags (e.g. a valve command).
    binary_text : str
        How the error names the two values (``"0 (manual) or 1 (auto)"``).
    number_format : str
        Format of the range bounds in the message (``""``: ``[0.0, 25.0]``; ``"g"``: ``[0, 25]``).

    Raises
    ------
    KeyError
        Unknown or read-only tag; the message lists the writable tags.
    ValueError
        Not a finite number, not 0/1 for a mode, or outside the tag's range.

    Examples
    --------
    >>> specs = {"level_sp": TagSpec("level_sp", "Level setpoint", "cm", 0.0, 25.0, kind="setpoint"),
    ...          "level": TagSpec("level", "Level", "cm", 0.0, 30.0)}
    >>> check_write(specs, "demo", "level_sp", 12)
    12.0
    >>> check_write(specs, "demo", "level", 1.0)
    Traceback (most recent call last):
    ...
    KeyError: "read-only tag 'level' on demo; writable tags: level_sp"
    >>> check_write(specs, "demo", "level_sp", 40.0)
    Traceback (most recent call last):
    ...
    ValueError: level_sp = 40.0 is outside the allowed range [0.0, 25.0] cm
    """
    spec = specs.get(tag)
    if spec is None or not spec.writable:
        writable = ", ".join(s.name for s in specs.values() if s.writable)
        what = "unknown" if spec is None else "read-only"
        raise KeyError(f"{what} tag {tag!r} on {unit_type}; writable tags: {writable}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{tag} = {value!r} is not a finite number")
    if spec.kind == "mode" or tag in binary:
        if v not in (0.0, 1.0):
            raise ValueError(f"{tag} = {value!r} must be {binary_text}")
    else:
        check_range(tag, v, spec.lo, spec.hi, spec.unit, number_format=number_format, shown=value)
    return v


def require_manual(auto: bool, tag: str, mode_tag: str) -> None:
    """Refuse a write of a controller output while its loop is in auto.

    Examples
    --------
    >>> require_manual(True, "level_out", "level_mode")
    Traceback (most recent call last):
    ...
    ValueError: level_out is writable only in manual mode (level_mode = 0)
    """
    if auto:
        raise ValueError(f"{tag} is writable only in manual mode ({mode_tag} = 0)")


def plain_as(to_plain: Callable[[Any], Any], from_plain: Callable[[Any], Any]) -> dict[str, Any]:
    """Field metadata: how a nested value that is not a plain dataclass converts to plain data.

    Examples
    --------
    ``recipe: FeedRecipe = field(default_factory=..., metadata=plain_as(FeedRecipe.to_list,
    FeedRecipe.from_steps))`` keeps a recipe as its list of steps in snapshots and plant files.
    """
    return {_PLAIN: (to_plain, from_plain)}


class Params:
    """Mixin of the frozen parameter dataclasses: plain data in and out.

    Nested dataclasses (PID tunings, analyser parameters) become nested dicts; a field with
    :func:`plain_as` metadata uses its own conversion. With :attr:`coerce_scalars`,
    :meth:`from_dict` converts plain values to the field's type (``float``, ``int``,
    ``bool``); without it they reach ``__post_init__`` as given, so a unit that checks for
    whole numbers refuses ``2.5`` instead of truncating it.

    Examples
    --------
    >>> from models.mps_pa import MpsPaParams
    >>> p = MpsPaParams.from_dict({"level_setpoint_cm": 12, "level_tuning": {"kp": 5.0}})
    >>> p.level_setpoint_cm, p.level_tuning.kp, MpsPaParams.from_dict(p.to_dict()) == p
    (12.0, 5.0, True)
    """

    #: Convert plain scalars to the annotated field type in :meth:`from_dict`.
    coerce_scalars: ClassVar[bool] = False

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (nested dataclasses as dicts)."""
        out: dict[str, Any] = {}
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            plain = f.metadata.get(_PLAIN)
            out[f.name] = plain[0](value) if plain is not None else _to_plain(value)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Inverse of :meth:`to_dict`; missing fields take their defaults."""
        conv = _converters(typing.cast(type, cls))
        return cls(**{k: conv[k](v) if k in conv else v for k, v in data.items()})


def _to_plain(value: Any) -> Any:
    """Plain data as :func:`dataclasses.asdict` makes it, nested :class:`Params` by their own rule."""
    if isinstance(value, Params):
        return value.to_dict()
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, list | tuple):
        return type(value)(_to_plain(v) for v in value)
    return copy.deepcopy(value)


@functools.cache
def _converters(cls: type) -> dict[str, Callable[[Any], Any]]:
    """Per field of ``cls``: plain value -> field value (resolved once per class)."""
    hints = typing.get_type_hints(cls)
    coerce = getattr(cls, "coerce_scalars", False)
    out: dict[str, Callable[[Any], Any]] = {}
    for f in fields(cls):
        typ = hints.get(f.name)
        plain = f.metadata.get(_PLAIN)
        if plain is not None:
            out[f.name] = _keep_or(typ, plain[1])
        elif isinstance(typ, type) and is_dataclass(typ):
            build = typ.from_dict if issubclass(typ, Params) else (lambda v, t=typ: t(**v))
            out[f.name] = _keep_or(typ, build)
        elif coerce and typ in (float, int, bool):
            out[f.name] = typ
    return out


def _keep_or(typ: Any, build: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """An instance of ``typ`` as it is, anything else through ``build``."""
    if not isinstance(typ, type):
        return build
    return lambda v: v if isinstance(v, typ) else build(v)
