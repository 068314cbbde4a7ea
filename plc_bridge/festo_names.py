"""Festo MPS PA signal names found in a PLC's variable names, whatever their case and punctuation.

The twin's tag names (``B101_level``, ``S111_overflow``, ``level_sp``...) are what the dashboard
and the analytics expect. A real kit's PLC program names them its own way: ``B101_Level`` in an
S7 data block, ``LevelSetpoint`` or just ``S111`` in a CODESYS GVL. :func:`match_festo` pairs
the browsed names with the signals; a name that fits none keeps its own name in the tag map.

A browsed name is compared after dropping case and everything but letters and digits, with:

- the signal's name (``B101_level`` = ``b101level``), best;
- its words the other way round (``level_B101``) or the loop words spelled out
  (``sp`` = ``setpoint``, ``mode`` = ``auto``, ``out`` = ``output``: ``Flow_Setpoint``);
- the device code alone or as a prefix (``B101``, ``B101_Level_PV``), when only one signal has it.

A signal with several equally good candidates is left unmatched and reported as ambiguous.

Examples
--------
>>> m = match_festo(["B101_Level", "LevelSetpoint", "S111", "Flow_SP", "Heartbeat", "S115_x", "S115_y"])
>>> {signal: m.matched[signal] for signal in ("B101_level", "level_sp", "S111_overflow", "flow_sp")}
{'B101_level': 0, 'level_sp': 1, 'S111_overflow': 2, 'flow_sp': 3}
>>> m.ambiguous["S115_closed"]
['S115_x', 'S115_y']
>>> "B104_temperature" in m.missing
True
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

from models.mps_pa import MpsPaStation
from models.unit import TagSpec

_SYNONYMS = {"sp": ("sp", "setpoint", "sollwert"), "mode": ("mode", "auto"), "out": ("out", "output")}
_DEVICE = re.compile(r"^([A-Za-z]\d{3})_(.+)$")


#: The signals a real kit's PLC has (the twin's other tags are model states a PLC does not hold).
KIT_SIGNALS = (
    "B101_level", "B102_flow", "B103_pressure", "B104_temperature", "B113_min", "B114_max",
    "S111_overflow", "S112_overflow", "S115_closed", "S116_open",
    "level_sp", "level_mode", "level_out", "flow_sp", "flow_mode", "flow_out",
    "pressure_sp", "pressure_mode", "pressure_out", "temperature_sp", "temperature_mode", "temperature_out",
    "V102_cmd", "V106_opening", "P101_speed", "V102_position", "E104_on",
)  # fmt: skip


@cache
def festo_signals() -> tuple[TagSpec, ...]:
    """The kit's signals as the twin names and describes them (:data:`KIT_SIGNALS` order).

    >>> len(festo_signals()), festo_signals()[0].unit
    (27, 'cm')
    """
    specs = {s.name: s for s in MpsPaStation().tag_specs()}
    return tuple(specs[name] for name in KIT_SIGNALS)


def normalize(name: str) -> str:
    """Lower case, letters and digits only.

    >>> normalize('"DB_Process".B101-Level')
    'dbprocessb101level'
    """
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _keys(signal: str, device_counts: dict[str, int]) -> list[tuple[str, int]]:
    """``(normalized key, score)`` pairs a browsed name may equal (prefix keys end with ``*``)."""
    keys = [(normalize(signal), 3)]
    words = signal.split("_")
    if len(words) == 2:
        first, second = words
        keys.append((normalize(second + first), 2))
        for syn in _SYNONYMS.get(second, ()):
            keys += [(normalize(first + syn), 2), (normalize(syn + first), 2)]
    device = _DEVICE.match(signal)
    if device and device_counts[device.group(1).lower()] == 1:
        code = device.group(1).lower()
        keys += [(code, 1), (code + "*", 1)]
    return keys


@dataclass
class FestoMatch:
    """Which browsed name (by index) stands for which signal, and which signals were not found."""

    matched: dict[str, int] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    ambiguous: dict[str, list[str]] = field(default_factory=dict)


def match_festo(names: Sequence[str]) -> FestoMatch:
    """Pair browsed variable names with the Festo MPS PA signals (see the module docstring)."""
    signals = [s.name for s in festo_signals()]
    device_counts: dict[str, int] = {}
    for signal in signals:
        device = _DEVICE.match(signal)
        if device:
            device_counts[device.group(1).lower()] = device_counts.get(device.group(1).lower(), 0) + 1
    normalized = [normalize(n) for n in names]
    best: dict[str, tuple[int, list[int]]] = {}
    for signal in signals:
        top, found = 0, list[int]()
        for key, score in _keys(signal, device_counts):
            if score < top:
                continue
            if key.endswith("*"):
                code = key[:-1]
                hits = [i for i, n in enumerate(normalized) if n.startswith(code) and not n[len(code) :][:1].isdigit()]
            else:
                hits = [i for i, n in enumerate(normalized) if n == key]
            if hits and score > top:
                top, found = score, []
            if hits:
                found += [i for i in hits if i not in found]
        best[signal] = (top, found)
    result = FestoMatch()
    taken: set[int] = set()
    # Exact names claim their variable first, so a prefix match never steals one.
    for signal in sorted(signals, key=lambda s: -best[s][0]):
        _score, found = best[signal]
        free = [i for i in found if i not in taken]
        if len(free) == 1:
            result.matched[signal] = free[0]
            taken.add(free[0])
        elif len(free) > 1:
            result.ambiguous[signal] = [names[i] for i in free]
    result.missing = [s for s in signals if s not in result.matched]
    result.matched = {s: result.matched[s] for s in signals if s in result.matched}
    return result
