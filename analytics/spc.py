"""Univariate statistical process control: Shewhart, EWMA and CUSUM control charts.

A control chart compares each new value with limits computed from the in-control behaviour
of the process (its ``mean`` and ``sigma``; see :mod:`analytics.spc_limits` for where
they come from). A point outside the limits, or an unlikely pattern of points (run rules,
:mod:`analytics.spc_rules`), is an alarm: the process has probably changed.

* **Shewhart charts** (:class:`IndividualsChart`, :class:`XbarRChart`, :class:`XbarSChart`)
  plot each value (or subgroup mean) against ``centre ± L·σ``. They catch large shifts
  at once, but a 1σ shift takes 44 samples on average.
* **EWMA** (:class:`EWMAChart`) plots an exponentially weighted moving average; it
  remembers the past, so small persistent shifts add up and are caught far sooner.
* **CUSUM** (:class:`CUSUMChart`) accumulates deviations beyond a slack ``k``; it is the
  fastest chart for a shift of about ``2k`` sigma.

Every chart is a streaming detector in the style of river: the constructor arguments are
public attributes, :meth:`update` takes one value and returns the chart, the read-only
``drift_detected`` says whether *that* value raised an alarm, and ``fired_rules`` says why.
After an alarm the chart restarts on the next update (``reset_on_alarm=True``, as river does,
like a process that was investigated and corrected) or keeps going (``False``, the classic
paper chart). ``chart.run(values)`` is the array form: the same computation over a whole
series, returned as a :class:`ChartResult`; :func:`run_chart` builds a chart and runs it in
one call (used by ``gmp-twin analyze spc``).

Missing values: with ``nan_policy="skip"`` (default) a NaN is skipped — the chart state is
unchanged, the row is reported as skipped with a NaN statistic and no alarm, and runs of
the run rules are neither extended nor broken; ``nan_policy="raise"`` raises instead.
Infinite values always raise.

Examples
--------
>>> chart = IndividualsChart(mean=10.0, sigma=0.5, rules="we")
>>> for x in [10.2, 9.9, 10.1, 11.8]:
...     _ = chart.update(x)
>>> chart.drift_detected, chart.fired_rules
(True, ('WE1',))
>>> res = run_chart([0.1, -0.3, 0.2, 4.0, 0.0], "shewhart", mean=0.0, sigma=1.0)
>>> res.first_alarm, res.rules[3]
(3, ('limit',))
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from analytics.spc_chart import SHEWHART_ARL0, Chart, FloatArray, NanPolicy
from analytics.spc_cusum import CUSUMChart, cusum_step
from analytics.spc_ewma import EWMAChart, ewma_step
from analytics.spc_limits import ProcessParameters, from_specification
from analytics.spc_result import ChartResult
from analytics.spc_rules import RuleSpec, describe_rules, resolve_rules
from analytics.spc_shewhart import IndividualsChart, XbarRChart, XbarSChart

__all__ = [
    "SHEWHART_ARL0",
    "CUSUMChart",
    "Chart",
    "ChartResult",
    "EWMAChart",
    "IndividualsChart",
    "XbarRChart",
    "XbarSChart",
    "cusum_step",
    "ewma_step",
    "make_chart",
    "run_chart",
]

_METHODS = {
    "shewhart": IndividualsChart,
    "individuals": IndividualsChart,
    "xbar_r": XbarRChart,
    "xbar_s": XbarSChart,
    "ewma": EWMAChart,
    "cusum": CUSUMChart,
}


def _chart_class(method: str) -> type[Chart]:
    key = method.strip().lower()
    if key not in _METHODS:
        raise ValueError(f"method must be one of {sorted(_METHODS)}, got {method!r}")
    return _METHODS[key]


def make_chart(
    method: str,
    *,
    mean: float,
    sigma: float,
    rules: RuleSpec = "none",
    L: float | None = None,
    lambda_: float = 0.2,
    exact_limits: bool = False,
    k: float = 0.5,
    h: float | None = None,
    headstart: float = 0.0,
    arl0: float = SHEWHART_ARL0,
    subgroup_size: int | None = None,
    reset_on_alarm: bool = True,
    nan_policy: NanPolicy = "skip",
) -> Chart:
    """Build a streaming chart by method name, e.g. from a detector entry in a YAML file.

    Arguments as in :func:`run_chart`; ``subgroup_size`` is required for ``xbar_r`` and
    ``xbar_s``. Parameters that do not apply to the method are ignored, except ``rules``,
    which must be ``"none"`` for EWMA and CUSUM.

    Examples
    --------
    >>> chart = make_chart("cusum", mean=20.0, sigma=0.5, k=0.5, h=5.0)
    >>> [chart.update(x).drift_detected for x in (20.1, 21.5, 21.4, 21.6, 21.3)]
    [False, False, False, True, False]
    >>> round(chart.upper, 6)  # restarted after the alarm, then z = 2.6 → C⁺ = 2.6 − 0.5
    2.1
    >>> make_chart("shewhart", mean=0.0, sigma=1.0, rules="nelson").rule_ids == resolve_rules("nelson")
    True
    """
    cls = _chart_class(method)
    rule_ids = resolve_rules(rules)
    common: dict[str, Any] = {"reset_on_alarm": reset_on_alarm, "nan_policy": nan_policy}
    if cls in (EWMAChart, CUSUMChart) and rule_ids:
        raise ValueError(f"run rules apply to Shewhart charts only; use rules='none' with method {method!r}")
    if cls is EWMAChart:
        return EWMAChart(mean, sigma, lambda_, L, arl0, exact_limits, **common)
    if cls is CUSUMChart:
        return CUSUMChart(mean, sigma, k, h, arl0, headstart, **common)
    width = 3.0 if L is None else L
    if cls is IndividualsChart:
        return IndividualsChart(mean, sigma, rule_ids, width, **common)
    if subgroup_size is None:
        raise ValueError(f"method {method!r} needs subgroup_size")
    xbar = XbarRChart if cls is XbarRChart else XbarSChart
    return xbar(mean, sigma, subgroup_size, rule_ids, width, **common)


def run_chart(
    x: npt.ArrayLike,
    method: str,
    *,
    mean: float | None = None,
    sigma: float | None = None,
    reference_rows: int | None = None,
    lsl: float | None = None,
    usl: float | None = None,
    cp: float = 1.0,
    rules: RuleSpec = "none",
    L: float | None = None,
    lambda_: float = 0.2,
    exact_limits: bool = False,
    k: float = 0.5,
    h: float | None = None,
    headstart: float = 0.0,
    arl0: float = SHEWHART_ARL0,
    reset_on_alarm: bool = True,
    nan_policy: NanPolicy = "skip",
) -> ChartResult:
    """Build a chart and run it over a series: the array API behind ``gmp-twin analyze spc``.

    Parameters
    ----------
    x
        1-D series (``shewhart``/``individuals``, ``ewma``, ``cusum``) or 2-D subgroups ×
        size (``xbar_r``, ``xbar_s``).
    method
        ``"shewhart"`` (alias ``"individuals"``), ``"xbar_r"``, ``"xbar_s"``, ``"ewma"`` or
        ``"cusum"``.
    mean, sigma
        Known in-control mean and sigma of one observation. Either may be combined with
        ``reference_rows`` (e.g. a known target mean, sigma estimated).
    reference_rows
        Estimate what is not given from the first N rows (MR̄/d2, R̄/d2 or S̄/c4). The chart
        still covers all rows, so the reference period is checked against its own limits
        (Phase I); alarms inside it are reported in ``notes``.
    lsl, usl, cp
        Specification limits instead (``centre = (LSL+USL)/2``, ``sigma = (USL−LSL)/(6·cp)``).
    rules
        Run rules for Shewhart charts: ``"we"``, ``"nelson"``, ``"none"`` (control limits
        only) or a set of ids; must be ``"none"`` for EWMA and CUSUM, whose points are
        autocorrelated so run rules do not apply.
    L
        Limit width: Shewhart default 3; EWMA default designed for ``arl0``.
    lambda_, exact_limits
        EWMA weight and limit type.
    k, h, headstart
        CUSUM reference value, decision interval (default designed for ``arl0``) and FIR.
    arl0
        In-control ARL that an unspecified EWMA ``L`` or CUSUM ``h`` is designed for.
    reset_on_alarm, nan_policy
        As for the chart classes.

    Returns
    -------
    ChartResult
        Per-row statistic, limits, alarms and rules; ``to_dict()`` gives JSON.

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> data = np.r_[rng.normal(50, 2, 40), rng.normal(52, 2, 30)]  # +1σ shift at row 40
    >>> res = run_chart(data, "cusum", reference_rows=40, k=0.5, h=4.0)
    >>> res.parameters["source"], round(res.parameters["sigma"], 2), res.alarm_rows.tolist()
    ('reference', 2.33, [47, 56])
    >>> res.to_dict()["alarms"][0]
    {'row': 47, 'rules': ['C+']}
    >>> run_chart(data, "ewma", mean=50.0, sigma=2.0, rules="we")
    Traceback (most recent call last):
    ...
    ValueError: run rules apply to Shewhart charts only; use rules='none' with method 'ewma'
    """
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"data must be numeric: {exc}") from None
    cls = _chart_class(method)
    p = _resolve_parameters(arr, cls, mean, sigma, reference_rows, lsl, usl, cp)
    subgroup_size = None
    if cls in (XbarRChart, XbarSChart):
        if arr.ndim != 2:
            raise ValueError(f"method {method!r} needs 2-D data (subgroups × size), got shape {arr.shape}")
        subgroup_size = arr.shape[1]
    chart = make_chart(
        method,
        mean=p.mean,
        sigma=p.sigma,
        rules=rules,
        L=L,
        lambda_=lambda_,
        exact_limits=exact_limits,
        k=k,
        h=h,
        headstart=headstart,
        arl0=arl0,
        subgroup_size=subgroup_size,
        reset_on_alarm=reset_on_alarm,
        nan_policy=nan_policy,
    )
    rule_ids = resolve_rules(rules)
    method = method.strip().lower()
    result = chart.run(arr)
    result.method = method
    result.parameters.update(
        source=p.source,
        reference_rows=reference_rows,
        rules_label=describe_rules(rule_ids) if cls not in (EWMAChart, CUSUMChart) else "n/a",
    )
    result.notes[:0] = list(p.notes)
    if reference_rows and result.alarm[:reference_rows].any():
        n_ref = int(result.alarm[:reference_rows].sum())
        result.notes.append(
            f"{n_ref} alarm(s) inside the reference period (rows 0..{reference_rows - 1}): it may not "
            "be in control; investigate, exclude those rows and re-estimate"
        )
    return result


def _resolve_parameters(
    arr: FloatArray,
    cls: type[Chart],
    mean: float | None,
    sigma: float | None,
    reference_rows: int | None,
    lsl: float | None,
    usl: float | None,
    cp: float,
) -> ProcessParameters:
    if reference_rows is not None and (lsl is not None or usl is not None):
        raise ValueError("give either reference_rows or specification limits (lsl, usl), not both")
    if reference_rows is not None:
        n = arr.shape[0] if arr.ndim else 0
        if not (isinstance(reference_rows, int | np.integer) and 2 <= reference_rows <= n):
            raise ValueError(
                f"reference_rows must be an integer in [2, {n}] (the number of rows), got {reference_rows!r}"
            )
        est = cls._estimate(arr[:reference_rows], {})
        source = "reference"
    elif lsl is not None or usl is not None:
        if lsl is None or usl is None:
            raise ValueError("specification limits need both lsl and usl")
        est = from_specification(lsl, usl, cp)
        source = "specification"
    elif mean is not None and sigma is not None:
        return ProcessParameters(mean, sigma, "known")
    else:
        raise ValueError("chart limits need mean and sigma, reference_rows, or lsl and usl")
    m = est.mean if mean is None else mean
    s = est.sigma if sigma is None else sigma
    notes = est.notes
    if mean is not None or sigma is not None:
        given = " and ".join(n for n, v in (("mean", mean), ("sigma", sigma)) if v is not None)
        notes = (*notes, f"{given} given explicitly; the rest estimated ({source})")
        if mean is not None and sigma is not None:
            source = "known"
    return ProcessParameters(m, s, source, est.n_used, notes)  # type: ignore[arg-type]
