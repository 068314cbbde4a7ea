"""The machinery every control chart shares: the river-style streaming contract, the
missing-value policy, the array form and the alternative constructors.

Not used directly; see :mod:`analytics.spc` for the charts. A subclass provides
``_clear_state`` (the statistic's starting state), ``_step`` (one valid observation → the ids
of the rules that fired), ``lcl``/``ucl``/``centre`` and optionally ``_extras``.

Examples
--------
>>> from analytics.spc import IndividualsChart
>>> chart = IndividualsChart(mean=0.0, sigma=1.0, rules="none", nan_policy="skip")
>>> chart.update(float("nan")).skipped, chart.n_skipped, chart.drift_detected
(True, 1, False)
"""

from __future__ import annotations

import inspect
import math
from typing import Any, Literal, Self

import numpy as np
import numpy.typing as npt

from analytics.spc_limits import ProcessParameters, check_mean_sigma, estimate_individuals, from_specification
from analytics.spc_result import ChartResult

NanPolicy = Literal["skip", "raise"]
FloatArray = npt.NDArray[np.float64]

#: In-control ARL of a 3σ Shewhart chart; the default design target for EWMA and CUSUM.
SHEWHART_ARL0 = 370.4


class Chart:
    """Base class of the control charts: river-style contract, NaN policy, array form."""

    method = ""
    mean: float
    _stat: float
    sigma: float
    reset_on_alarm: bool
    nan_policy: NanPolicy

    def __init__(self, mean: float, sigma: float, **kwargs: Any) -> None:
        raise NotImplementedError

    @property
    def lcl(self) -> float:
        """Lower control limit of the current statistic."""
        raise NotImplementedError

    @property
    def ucl(self) -> float:
        """Upper control limit of the current statistic."""
        raise NotImplementedError

    def _init_common(self, mean: float, sigma: float, reset_on_alarm: bool, nan_policy: str) -> None:
        check_mean_sigma(mean, sigma)
        if nan_policy not in ("skip", "raise"):
            raise ValueError(f"nan_policy must be 'skip' or 'raise', got {nan_policy!r}")
        self.mean = float(mean)
        self.sigma = float(sigma)
        self.reset_on_alarm = reset_on_alarm
        self.nan_policy = nan_policy  # type: ignore[assignment]
        self.n_updates = 0  # lifetime counts (not cleared by _reset)
        self.n_skipped = 0
        self.n_alarms = 0
        self._skipped = False
        self._reset()

    # --- river-style contract -------------------------------------------------------------
    def _reset(self) -> None:
        """Clear the monitoring state (statistic, run-rule memory, alarm flag); keep the limits."""
        self._drift_detected = False
        self._fired: tuple[str, ...] = ()
        self._clear_state()

    def _clear_state(self) -> None:
        raise NotImplementedError

    def _step(self, value: Any) -> tuple[str, ...]:
        raise NotImplementedError

    def _is_missing(self, x: Any) -> bool:
        return math.isnan(x)

    def update(self, x: Any) -> Self:
        """Add one observation; return the chart (so calls can be chained).

        If the previous update raised an alarm and ``reset_on_alarm`` is true, the chart
        first restarts (:meth:`_reset`). A NaN is skipped (``skipped`` becomes true, nothing
        else changes) or raises, per ``nan_policy``; an infinite value always raises.

        Examples
        --------
        >>> from analytics.spc import IndividualsChart
        >>> chart = IndividualsChart(mean=0.0, sigma=1.0, rules="none")
        >>> chart.update(0.4).update(3.3).fired_rules, chart.n_updates, chart.n_alarms
        (('limit',), 2, 1)
        """
        if self._drift_detected and self.reset_on_alarm:
            self._reset()
        self._drift_detected = False
        self._fired = ()
        value = self._coerce(x)
        if self._is_missing(value):
            if self.nan_policy == "raise":
                raise ValueError(f"missing value (NaN) at update {self.n_updates + self.n_skipped}")
            self.n_skipped += 1
            self._skipped = True
            return self
        self._skipped = False
        self.n_updates += 1
        self._fired = self._step(value)
        if self._fired:
            self._drift_detected = True
            self.n_alarms += 1
        return self

    def _coerce(self, x: Any) -> Any:
        v = float(x)
        if math.isinf(v):
            raise ValueError(f"infinite value {v} passed to {type(self).__name__}.update")
        return v

    @property
    def drift_detected(self) -> bool:
        """Whether the latest update raised an alarm (read-only)."""
        return self._drift_detected

    @property
    def fired_rules(self) -> tuple[str, ...]:
        """Ids of the rules that fired at the latest update (empty if none)."""
        return self._fired

    @property
    def skipped(self) -> bool:
        """Whether the latest update was a missing value that was skipped."""
        return self._skipped

    @property
    def statistic(self) -> float:
        """The plotted statistic after the latest update.

        Before the first update (or after a restart): NaN for Shewhart charts, the starting
        value for EWMA (``mean``) and CUSUM (the headstart).
        """
        return self._stat

    @property
    def centre(self) -> float:
        """Centre line of the plotted statistic."""
        return self.mean

    def _extras(self) -> dict[str, float]:
        return {}

    def clone(self) -> Self:
        """A fresh chart with the same constructor arguments.

        Examples
        --------
        >>> from analytics.spc import EWMAChart
        >>> chart = EWMAChart(mean=1.0, sigma=0.1, lambda_=0.2, L=3.0).update(5.0)
        >>> chart.clone().statistic, chart.clone().parameters() == chart.parameters()
        (1.0, True)
        """
        params = inspect.signature(type(self).__init__).parameters
        return type(self)(**{p: getattr(self, p) for p in params if p != "self"})

    def parameters(self) -> dict[str, Any]:
        """Constructor arguments, for reports.

        Examples
        --------
        >>> from analytics.spc import CUSUMChart
        >>> CUSUMChart(mean=0.0, sigma=1.0, k=0.5, h=4.0).parameters()["h"]
        4.0
        """
        params = inspect.signature(type(self).__init__).parameters
        out = {p: getattr(self, p) for p in params if p != "self"}
        if isinstance(out.get("rules"), frozenset | set):
            out["rules"] = sorted(out["rules"])
        return out

    # --- array form ---------------------------------------------------------------------------
    def run(self, values: npt.ArrayLike) -> ChartResult:
        """Array form: run a fresh copy of this chart over ``values`` (the chart is unchanged).

        Gives, per row, the statistic, centre line, limits, alarm flag, fired rules and
        whether the row was skipped (NaN), exactly as :meth:`update` would one by one.

        Examples
        --------
        >>> from analytics.spc import CUSUMChart
        >>> res = CUSUMChart(mean=0.0, sigma=1.0, k=0.5, h=2.0).run([1.0, 1.5, float("nan"), 1.2])
        >>> res.statistic.tolist(), res.first_alarm, res.rules[3]
        ([0.5, 1.5, nan, 2.2], 3, ('C+',))
        """
        data = self._rows(values)
        n = len(data)
        chart = self.clone()
        stat, centre, lcl, ucl = (np.full(n, np.nan) for _ in range(4))
        alarm = np.zeros(n, dtype=bool)
        skipped = np.zeros(n, dtype=bool)
        rules: list[tuple[str, ...]] = []
        extra: dict[str, FloatArray] = {}
        for i, row in enumerate(data):
            try:
                chart.update(row)
            except ValueError as exc:
                raise ValueError(f"row {i}: {exc}") from None
            rules.append(chart.fired_rules)
            if chart.skipped:
                skipped[i] = True
                continue
            stat[i], centre[i], lcl[i], ucl[i] = chart.statistic, chart.centre, chart.lcl, chart.ucl
            alarm[i] = chart.drift_detected
            for key, v in chart._extras().items():
                if key not in extra:
                    extra[key] = np.full(n, np.nan)
                extra[key][i] = v
        notes = []
        if skipped.any():
            notes.append(f"{int(skipped.sum())} row(s) with missing values skipped (no statistic, no alarm)")
        return ChartResult(
            method=self.method,
            statistic=stat,
            centre=centre,
            lcl=lcl,
            ucl=ucl,
            alarm=alarm,
            rules=rules,
            skipped=skipped,
            parameters=self.parameters(),
            extra=extra,
            notes=notes,
        )

    def _rows(self, values: npt.ArrayLike) -> Any:
        arr = np.asarray(values, dtype=np.float64)
        if arr.ndim != 1:
            raise ValueError(f"{type(self).__name__}.run expects a 1-D array, got shape {arr.shape}")
        return arr.tolist()

    # --- alternative constructors -------------------------------------------------------------
    @classmethod
    def from_reference(cls, reference: npt.ArrayLike, **kwargs: Any) -> Self:
        """Chart with mean and sigma estimated from an in-control reference period.

        Individual values: ``sigma = MR̄/d2``; subgroup charts: ``R̄/d2`` or ``S̄/c4``. Other
        keyword arguments go to the constructor.

        Examples
        --------
        >>> from analytics.spc import IndividualsChart
        >>> chart = IndividualsChart.from_reference([2.0, 2.2, 1.9, 2.1], rules="we")
        >>> round(chart.mean, 3), round(chart.sigma, 4)
        (2.05, 0.2068)
        """
        p = cls._estimate(reference, kwargs)
        return cls(mean=p.mean, sigma=p.sigma, **kwargs)

    @classmethod
    def _estimate(cls, reference: npt.ArrayLike, kwargs: dict[str, Any]) -> ProcessParameters:
        return estimate_individuals(reference)

    @classmethod
    def from_specification(cls, lsl: float, usl: float, cp: float = 1.0, **kwargs: Any) -> Self:
        """Chart centred in the tolerance with ``sigma = (USL − LSL)/(6·cp)`` (a stand-in).

        Examples
        --------
        >>> from analytics.spc import IndividualsChart
        >>> chart = IndividualsChart.from_specification(4.0, 6.0, rules="none")
        >>> chart.lcl, chart.ucl
        (4.0, 6.0)
        """
        p = from_specification(lsl, usl, cp)
        return cls(mean=p.mean, sigma=p.sigma, **kwargs)
