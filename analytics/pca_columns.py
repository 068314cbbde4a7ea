"""Which columns of a table are process variables: constant, time, counter, step and held columns are not.

A CSV written by ``gmp-twin simulate`` (or exported from a historian) holds, next to the
process variables, columns that carry no process information or that break a model of
normal variation:

``constant``
    All reference values equal (setpoints, modes, capacities): nothing to standardise.
``time``
    A clock: named like one (``time``, ``time_s``, ``timestamp``, ``batch_time``,
    ``drying_time``...), or evenly spaced and strictly increasing. New data always lie
    outside the reference's time range, so a model that includes time alarms on it.
``counter``
    Monotonic over the reference and either integer-valued (at least 3 distinct values) or
    named like a counter (``feed_total``, ``filler_produced``, ``batches_completed``), or an
    integer counter that is reset to its minimum now and then (a new lot). Like time, it
    leaves the reference range by design.
``step``
    An integer code named as a step, phase, state, mode, command, reason or index
    (``recipe_step``, ``phase``, ``filler_state``): a label, not a measurement.
``held``
    A sample-and-hold column: its value changes in fewer than 1 % of the reference's rows
    (an off-line lab result every few hours, a setpoint moved now and then). Between two
    changes it carries no variation; across files (another batch) it sits at other values,
    so a model that includes it alarms on every row.

Columns the caller names in ``keep`` are kept unless constant (a constant column cannot be
standardised). Every dropped column is reported with its reason. A kept column that is
monotonic over the reference (a trend, such as biomass in a growth phase) is listed in
:attr:`ColumnScreen.trending`: new data will leave its range.

Examples
--------
>>> t = np.arange(6.0)
>>> x = np.column_stack([t * 10, [1.0, 1.2, 0.9, 1.1, 1.0, 1.05], np.full(6, 3.0),
...                      np.cumsum([0.5, 0.1, 0.3, 0.0, 0.2, 0.4]), [1, 1, 2, 2, 2, 3]])
>>> s = screen_columns(x, ["time_s", "flow", "flow_sp", "feed_total", "recipe_step"])
>>> s.kept, s.dropped
(['flow'], {'time_s': 'time', 'flow_sp': 'constant', 'feed_total': 'counter', 'recipe_step': 'step'})
>>> for note in s.notes():
...     print(note)
dropped constant column(s) flow_sp
dropped time column(s) time_s
dropped counter column(s) feed_total (monotonic over the reference)
dropped step/state code column(s) recipe_step
>>> screen_columns(x, ["time_s", "flow", "flow_sp", "feed_total", "recipe_step"], keep=["feed_total"]).kept
['flow', 'feed_total']
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

Reason = Literal["constant", "time", "counter", "step", "held"]

_TIME_NAME = re.compile(
    r"^(t|ts|time|times|timestamp|datetime|date|elapsed|seconds|minutes|hours|time_[smh]|time_min|"
    r"elapsed_[smh]|unix_time|epoch)$|(^|_)time(_[smh]|_min)?$",
    re.IGNORECASE,
)
_COUNTER_NAME = re.compile(
    r"(^|_)(total|totals|count|counts|counter|completed|produced|good|rejected|entered|scans|lots|"
    r"cumulative|cum)$|^(total|count|cumulative|n)_",
    re.IGNORECASE,
)
_STEP_NAME = re.compile(r"(^|_)(step|phase|stage|state|mode|cmd|command|reason|status|index|idx)$", re.IGNORECASE)

#: Note templates per reason; :mod:`gmp_twin.analyze.notes` translates them.
_NOTES: dict[Reason, str] = {
    "constant": "dropped constant column(s) {columns}",
    "time": "dropped time column(s) {columns}",
    "counter": "dropped counter column(s) {columns} (monotonic over the reference)",
    "step": "dropped step/state code column(s) {columns}",
    "held": "dropped held column(s) {columns} (sample-and-hold: they change in under 1 % of the rows)",
}

#: A column whose value changes between fewer than this share of consecutive rows is held.
HELD_CHANGE_SHARE = 0.01


@dataclass(frozen=True)
class ColumnScreen:
    """The result of :func:`screen_columns`.

    Attributes
    ----------
    kept : list of str
        Process variables, in the input order.
    dropped : dict
        Column name → reason (``constant``, ``time``, ``counter``, ``step`` or ``held``).
    kept_on_request : list of str
        Columns in ``keep`` that would have been dropped as time, counter or step columns.
    trending : list of str
        Kept columns that are monotonic over the reference (a trend).
    """

    kept: list[str]
    dropped: dict[str, Reason]
    kept_on_request: list[str] = field(default_factory=list)
    trending: list[str] = field(default_factory=list)

    def indices(self, names: Sequence[str]) -> list[int]:
        """Positions of the kept columns in ``names``."""
        return [list(names).index(n) for n in self.kept]

    def notes(self) -> list[str]:
        """One English note per reason, in the order constant, time, counter, step, held."""
        out = []
        for reason, template in _NOTES.items():
            cols = [n for n, r in self.dropped.items() if r == reason]
            if cols:
                out.append(template.format(columns=", ".join(cols)))
        if self.kept_on_request:
            out.append(
                f"kept column(s) {', '.join(self.kept_on_request)} as asked, though they look like time, "
                "counter or step columns"
            )
        if self.trending:
            out.append(
                f"column(s) {', '.join(self.trending)} only rise or only fall over the reference (a trend): "
                "new data will leave their range; drop them (--exclude) or use a batch-aligned model"
            )
        return out


def _is_integer(x: np.ndarray) -> bool:
    return bool(np.all(np.abs(x - np.round(x)) < 1e-9))


def column_reason(x: np.ndarray, name: str) -> Reason | None:
    """Why column ``x`` (reference values, no NaN) is not a process variable; ``None`` if it is.

    >>> column_reason(np.array([0.0, 1.0, 2.0, 3.0]), "t_col")  # evenly spaced, increasing
    'time'
    >>> column_reason(np.array([0.0, 1.0, 0.5, 3.0]), "batch_time"), column_reason(np.array([2.0, 1.0, 3.0]), "x")
    ('time', None)
    >>> column_reason(np.array([0, 3, 5, 0, 2, 4.0]), "produced")  # an integer counter reset once
    'counter'
    >>> column_reason(np.repeat([4.1, 3.2, 2.7], 400), "glucose_lab")  # a lab result every 400 rows
    'held'
    """
    x = np.asarray(x, dtype=float)
    if x.size == 0 or np.ptp(x) <= 1e-12 * max(1.0, float(np.max(np.abs(x)))):
        return "constant"
    if _TIME_NAME.search(name.strip()):
        return "time"
    d = np.diff(x)
    if d.size >= 2 and np.all(d > 0) and np.ptp(d) <= 1e-6 * max(abs(float(np.median(d))), 1e-12):
        return "time"
    if _STEP_NAME.search(name.strip()) and _is_integer(x):
        return "step"
    distinct = np.unique(x).size
    integer = _is_integer(x)
    if _monotonic(d) and ((integer and distinct >= 3) or _COUNTER_NAME.search(name.strip())):
        return "counter"
    if integer and distinct >= 3:
        up, down = int(np.sum(d > 0)), int(np.sum(d < 0))
        # An integer counter reset now and then (a new lot): it rises, and every drop
        # lands near its minimum.
        low = float(x.min()) + 0.1 * float(np.ptp(x))
        if down and up >= 2 * down and np.all(x[1:][d < 0] <= low):
            return "counter"
    if d.size >= 100 and np.count_nonzero(d) < HELD_CHANGE_SHARE * d.size:
        return "held"
    return None


def _monotonic(d: np.ndarray) -> bool:
    return bool(np.all(d >= 0) or np.all(d <= 0))


def screen_columns(values: np.ndarray, names: Sequence[str], *, keep: Sequence[str] = ()) -> ColumnScreen:
    """Split ``names`` into process variables and dropped columns (see the module docstring).

    Parameters
    ----------
    values : numpy.ndarray
        Reference rows × columns, no NaN.
    names : sequence of str
        Column names.
    keep : sequence of str
        Columns to keep even if they look like time, counter or step columns.
    """
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 2 or arr.shape[1] != len(names):
        raise ValueError(f"values have shape {arr.shape} for {len(names)} names")
    wanted = set(keep)
    kept: list[str] = []
    dropped: dict[str, Reason] = {}
    asked: list[str] = []
    trending: list[str] = []
    for j, name in enumerate(names):
        reason = column_reason(arr[:, j], name)
        if reason is None:
            kept.append(name)
            if np.unique(arr[:, j]).size >= 3 and _monotonic(np.diff(arr[:, j])):
                trending.append(name)
        elif reason != "constant" and name in wanted:
            kept.append(name)
            asked.append(name)
        else:
            dropped[name] = reason
    return ColumnScreen(kept, dropped, asked, trending)
