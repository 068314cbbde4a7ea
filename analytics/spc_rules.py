"""Run rules for Shewhart charts (Western Electric 1–4, Nelson 1–8), evaluated point by point.

A Shewhart chart signals when a point falls beyond its control limits. Run rules add tests
for *patterns* that are unlikely when the process is in control — a run on one side of the
centre line, a trend, points hugging the limits — so small shifts are caught sooner. The
price is more false alarms: with the four Western Electric rules the in-control average run
length drops from 370 to about 92 (Champ & Woodall, 1987). So a chart must always say which
rules it applies, and every alarm says which rule fired.

Zones are measured in sigmas *of the plotted statistic* (σ for individual values, σ/√n for
subgroup means), ``z = (statistic − centre) / sigma_statistic``:

======  ======  ============================================================================
WE      Nelson  pattern (the point that completes the pattern is flagged)
======  ======  ============================================================================
WE1     N1      one point beyond the control limits (|z| > L, L = 3 by default)
WE2     N5      2 of 3 consecutive points beyond 2σ on the same side (current one included)
WE3     N6      4 of 5 consecutive points beyond 1σ on the same side (current one included)
WE4             8 consecutive points on the same side of the centre line
\\       N2      9 consecutive points on the same side of the centre line
\\       N3      6 points in a row steadily increasing or decreasing (5 rising steps)
\\       N4      14 points in a row alternating up and down
\\       N7      15 points in a row within 1σ of the centre line (either side)
\\       N8      8 points in a row none of them within 1σ (either side)
======  ======  ============================================================================

Conventions: a point exactly on the centre line ends a same-side run; equal consecutive
values end a trend and an alternation. The limit test (rule 1) is part of every chart; it is
reported as ``"WE1"``/``"N1"`` when that rule is selected, else as ``"limit"``.

Examples
--------
>>> engine = RuleEngine(resolve_rules("nelson"))
>>> [engine.update(z) for z in [0.5] * 9][-1]
('N2',)
>>> sorted(resolve_rules("we"))
['WE1', 'WE2', 'WE3', 'WE4']
"""

from __future__ import annotations

from collections.abc import Iterable

WE_RULES: frozenset[str] = frozenset({"WE1", "WE2", "WE3", "WE4"})
NELSON_RULES: frozenset[str] = frozenset({f"N{i}" for i in range(1, 9)})
ALL_RULES: frozenset[str] = WE_RULES | NELSON_RULES

#: Human-readable description of each rule id, for reports and dashboards.
RULE_DESCRIPTIONS: dict[str, str] = {
    "limit": "point beyond the control limits",
    "WE1": "1 point beyond the control limits (3σ)",
    "WE2": "2 of 3 consecutive points beyond 2σ, same side",
    "WE3": "4 of 5 consecutive points beyond 1σ, same side",
    "WE4": "8 consecutive points on one side of the centre line",
    "N1": "1 point beyond the control limits (3σ)",
    "N2": "9 consecutive points on one side of the centre line",
    "N3": "6 points in a row steadily increasing or decreasing",
    "N4": "14 points in a row alternating up and down",
    "N5": "2 of 3 consecutive points beyond 2σ, same side",
    "N6": "4 of 5 consecutive points beyond 1σ, same side",
    "N7": "15 points in a row within 1σ of the centre line",
    "N8": "8 points in a row with none within 1σ of the centre line",
    "MR": "moving range above its upper limit",
    "R": "subgroup range outside its limits",
    "S": "subgroup standard deviation outside its limits",
    "C+": "upper CUSUM above h (mean increased)",
    "C-": "lower CUSUM above h (mean decreased)",
}

RuleSpec = str | Iterable[str]


def resolve_rules(rules: RuleSpec) -> frozenset[str]:
    """Turn a rule choice into a set of rule ids.

    Parameters
    ----------
    rules
        ``"we"`` (Western Electric 1–4), ``"nelson"`` (Nelson 1–8), ``"none"`` (no run rules:
        only the control limits), or an iterable of ids such as ``{"WE1", "N3"}``. There is
        no default anywhere in this package: the choice is always explicit.

    Examples
    --------
    >>> resolve_rules("none")
    frozenset()
    >>> sorted(resolve_rules(["N3", "WE2"]))
    ['N3', 'WE2']
    >>> resolve_rules("western")
    Traceback (most recent call last):
    ...
    ValueError: rules must be 'we', 'nelson', 'none' or a set of rule ids, got 'western'
    """
    if isinstance(rules, str):
        named = {"we": WE_RULES, "nelson": NELSON_RULES, "none": frozenset()}
        key = rules.strip().lower()
        if key not in named:
            raise ValueError(f"rules must be 'we', 'nelson', 'none' or a set of rule ids, got {rules!r}")
        return named[key]
    ids = frozenset(str(r).strip().upper() for r in rules)
    unknown = ids - ALL_RULES
    if unknown:
        raise ValueError(f"unknown rule id(s) {sorted(unknown)}; valid ids are {sorted(ALL_RULES)}")
    return ids


def describe_rules(rules: frozenset[str]) -> str:
    """A short label for a rule set, e.g. for a chart title.

    Examples
    --------
    >>> describe_rules(WE_RULES), describe_rules(frozenset()), describe_rules(frozenset({"N3"}))
    ('Western Electric 1-4', 'limits only', 'N3')
    """
    if rules == WE_RULES:
        return "Western Electric 1-4"
    if rules == NELSON_RULES:
        return "Nelson 1-8"
    if not rules:
        return "limits only"
    return ",".join(sorted(rules))


class RuleEngine:
    """Streaming evaluation of run rules on standardised points ``z``.

    The state is a handful of counters and bit masks, so one update costs O(1) whatever
    the rules. Missing points are the caller's business: do not call :meth:`update` for them
    (they then neither extend nor break a run).

    Parameters
    ----------
    rules
        Rule ids from :func:`resolve_rules`.
    L
        Control-limit width in sigmas of the statistic (rule 1 tests ``|z| > L``).

    Examples
    --------
    >>> e = RuleEngine(frozenset({"N3"}))
    >>> [e.update(z) for z in [-1.0, -0.5, 0.0, 0.5, 1.0, 1.5]]
    [(), (), (), (), (), ('N3',)]
    >>> RuleEngine(frozenset()).update(3.5)
    ('limit',)
    """

    __slots__ = (
        "L", "_alt", "_hi1", "_hi2", "_last", "_lim_ids", "_lo1", "_lo2", "_out1", "_prev",
        "_prev_sign", "_rules", "_side", "_trend", "_within1", "rules",
    )  # fmt: skip

    def __init__(self, rules: frozenset[str], L: float = 3.0) -> None:
        self.rules = rules
        self.L = L
        lim = tuple(sorted(rules & {"WE1", "N1"}))
        self._lim_ids: tuple[str, ...] = lim or ("limit",)
        # the order in which fired ids are reported
        self._rules = tuple(r for r in ("WE2", "WE3", "WE4", "N2", "N3", "N4", "N5", "N6", "N7", "N8") if r in rules)
        self.reset()

    def reset(self) -> None:
        """Forget all history (after an alarm, or to start afresh)."""
        self._prev: float | None = None
        self._prev_sign = 0
        self._side = 0  # signed length of the current same-side run
        self._trend = 0  # signed number of consecutive rising (+) / falling (−) steps
        self._alt = 0  # number of consecutive alternating steps
        self._hi2 = self._lo2 = 0  # bit masks: last 3 points beyond +2σ / −2σ
        self._hi1 = self._lo1 = 0  # bit masks: last 5 points beyond +1σ / −1σ
        self._within1 = 0  # run length of |z| < 1
        self._out1 = 0  # run length of |z| > 1

    def update(self, z: float) -> tuple[str, ...]:
        """Add one standardised point; return the ids of the rules it makes fire."""
        fired: tuple[str, ...] = self._lim_ids if abs(z) > self.L else ()
        # --- update the state
        if z > 0:
            self._side = self._side + 1 if self._side > 0 else 1
        elif z < 0:
            self._side = self._side - 1 if self._side < 0 else -1
        else:
            self._side = 0
        self._hi2 = ((self._hi2 << 1) | (z > 2)) & 0b111
        self._lo2 = ((self._lo2 << 1) | (z < -2)) & 0b111
        self._hi1 = ((self._hi1 << 1) | (z > 1)) & 0b11111
        self._lo1 = ((self._lo1 << 1) | (z < -1)) & 0b11111
        az = abs(z)
        self._within1 = self._within1 + 1 if az < 1 else 0
        self._out1 = self._out1 + 1 if az > 1 else 0
        prev = self._prev
        if prev is not None:
            sign = (z > prev) - (z < prev)
            if sign > 0:
                self._trend = self._trend + 1 if self._trend > 0 else 1
            elif sign < 0:
                self._trend = self._trend - 1 if self._trend < 0 else -1
            else:
                self._trend = 0
            if sign == 0:
                self._alt = 0
            elif sign == -self._prev_sign:
                self._alt += 1
            else:
                self._alt = 1
            self._prev_sign = sign
        self._prev = z
        if not self._rules:
            return fired
        # --- test the selected rules
        out = list(fired)
        for r in self._rules:
            if r in ("WE2", "N5"):
                hit = (z > 2 and self._hi2.bit_count() >= 2) or (z < -2 and self._lo2.bit_count() >= 2)
            elif r in ("WE3", "N6"):
                hit = (z > 1 and self._hi1.bit_count() >= 4) or (z < -1 and self._lo1.bit_count() >= 4)
            elif r == "WE4":
                hit = abs(self._side) >= 8
            elif r == "N2":
                hit = abs(self._side) >= 9
            elif r == "N3":
                hit = abs(self._trend) >= 5
            elif r == "N4":
                hit = self._alt >= 13
            elif r == "N7":
                hit = self._within1 >= 15
            else:  # N8
                hit = self._out1 >= 8
            if hit:
                out.append(r)
        return tuple(out)
