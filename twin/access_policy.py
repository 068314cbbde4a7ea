"""Who may write what on the plant, which writes need a reason, which actions need a signature.

The plant file decides (``config/plant.yaml``), per unit:

- ``operator_writable``: the tags a student (an operator) may write, over OPC UA, HTTP or the
  dashboard. Absent: the unit's setpoints. Instructors and admins may write every writable tag.
- ``gmp_critical``: tags whose every write needs a reason, kept in the audit trail (21 CFR
  Part 11 §11.10(e): who, what, when and why).

and, for the whole plant, ``signatures``: the actions that need an electronic signature (the
user's password again plus a meaning, §11.200). Ending an exercise (``scenario.stop``) is the
default.

Examples
--------
>>> from models.unit import TagSpec
>>> specs = {"tank": [TagSpec("level", "level", "cm", 0, 30), TagSpec("level_sp", "sp", "cm", 0, 30, kind="setpoint"),
...                   TagSpec("pump_out", "pump", "%", 0, 100, kind="output")]}
>>> policy = AccessPolicy.build(specs, operator_writable={}, gmp_critical={"tank": ["level_sp"]}, signatures=[])
>>> policy.may_write("student", "tank", "level_sp"), policy.may_write("student", "tank", "pump_out")
(True, False)
>>> policy.may_write("instructor", "tank", "pump_out"), policy.may_write("admin", "tank", "level")
(True, False)
>>> policy.needs_reason("tank", "level_sp"), policy.needs_signature("scenario.stop")
(True, False)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, get_args

from models.unit import WRITABLE_KINDS, TagSpec

#: Actions the plant file may mark as needing an electronic signature.
SignedAction = Literal[
    "scenario.start", "scenario.stop", "fault.inject", "fault.clear_all", "clock.set", "snapshot.restore"
]
SIGNABLE: tuple[str, ...] = get_args(SignedAction)
DEFAULT_SIGNED: tuple[SignedAction, ...] = ("scenario.stop",)
_PRIVILEGED = frozenset({"instructor", "admin"})


@dataclass(frozen=True)
class AccessPolicy:
    """The write and signature rules of one plant (built by :meth:`build`, checked against its units)."""

    #: (unit, tag) pairs a client may write at all.
    writable: frozenset[tuple[str, str]] = frozenset()
    #: (unit, tag) pairs a student may write.
    operator: frozenset[tuple[str, str]] = frozenset()
    #: (unit, tag) pairs whose writes need a reason.
    critical: frozenset[tuple[str, str]] = frozenset()
    signed: frozenset[str] = field(default_factory=lambda: frozenset(DEFAULT_SIGNED))

    @classmethod
    def build(
        cls,
        specs: Mapping[str, Sequence[TagSpec]],
        operator_writable: Mapping[str, list[str] | None],
        gmp_critical: Mapping[str, list[str]],
        signatures: Iterable[str],
    ) -> AccessPolicy:
        """Rules from the plant file's lists; ``ValueError`` names the unit and tag that cannot be."""
        writable = {(u, s.name) for u, unit_specs in specs.items() for s in unit_specs if s.kind in WRITABLE_KINDS}
        operator: set[tuple[str, str]] = set()
        critical: set[tuple[str, str]] = set()
        for unit, unit_specs in specs.items():
            names = operator_writable.get(unit)
            if names is None:
                names = [s.name for s in unit_specs if s.kind == "setpoint"]
            operator |= _checked(unit, "operator_writable", names, writable)
            critical |= _checked(unit, "gmp_critical", gmp_critical.get(unit, []), writable)
        unknown = sorted(set(signatures) - set(SIGNABLE))
        if unknown:
            raise ValueError(f"signatures: unknown action(s) {', '.join(unknown)}; allowed: {', '.join(SIGNABLE)}")
        return cls(frozenset(writable), frozenset(operator), frozenset(critical), frozenset(signatures))

    def may_write(self, role: str, unit: str, tag: str) -> bool:
        """Whether ``role`` may write ``unit.tag`` (anonymous never; students the operator tags)."""
        if (unit, tag) not in self.writable:
            return False
        if role in _PRIVILEGED:
            return True
        return role == "student" and (unit, tag) in self.operator

    def needs_reason(self, unit: str, tag: str) -> bool:
        return (unit, tag) in self.critical

    def needs_signature(self, action: str) -> bool:
        return action in self.signed

    def operator_tags(self, unit: str) -> list[str]:
        """The tags of ``unit`` a student may write, sorted."""
        return sorted(tag for u, tag in self.operator if u == unit)


def _checked(unit: str, key: str, names: Iterable[str], writable: set[tuple[str, str]]) -> set[tuple[str, str]]:
    pairs = {(unit, name) for name in names}
    bad = sorted(name for u, name in pairs if (u, name) not in writable)
    if bad:
        options = ", ".join(sorted(t for u, t in writable if u == unit))
        raise ValueError(f"unit {unit!r}: {key}: {', '.join(bad)} not a writable tag; writable tags: {options}")
    return pairs
