"""Multivariate drift detection: PCA with Hotelling T², SPE (Q) and a combined index.

A PCA model of normal operation splits each (standardised) observation ``z`` into a part
in the model plane, the scores ``t = z P`` on ``k`` principal components, and a residual
``e = z − t Pᵀ``. Two statistics watch the two parts:

- **Hotelling T²** ``= Σ t_i² / λ_i`` — an unusual combination *inside* the usual
  correlation structure (a big but consistent move);
- **SPE** or **Q** ``= ‖e‖²`` — the correlation structure itself broke (a sensor drift, a
  new disturbance direction).

The combined index of Yue & Qin (2001), ``φ = SPE/δ² + T²/τ²`` with ``δ²``, ``τ²`` the
SPE and T² limits, watches both with one limit.

Defaults, and why
-----------------
- **Components** by parallel analysis (``component_rule="parallel"``, Horn 1965), or by
  row-wise cross-validation (``"cv"``); see :mod:`analytics.pca_select`. A fixed share of
  variance keeps noise in the model (31 of 52 components on the Tennessee Eastman data at
  90 %; parallel analysis keeps 11).
- **Limits** from block cross-validation, never below the analytic limits
  (``limits="cv"``); ``"empirical"`` (quantiles only: of ``calibration`` data when given,
  otherwise of held-out blocks) and ``"analytic"`` (F, Jackson & Mudholkar, Yue & Qin)
  remain; see :mod:`analytics.pca_limits`.
- **alpha is the false-alarm rate of the alarm**: with ``signal="either"`` (T² or SPE)
  each limit is set at ``alpha/2`` (``split_alpha=True``, Bonferroni), so the alarm's rate
  is at most ``alpha`` instead of up to ``2·alpha``. :attr:`PcaMonitor.held_out_rate_`
  says the rate the limits gave on the held-out rows.
- **Constant columns are dropped** and listed in :attr:`PcaMonitor.notes_`.

On the Tennessee Eastman benchmark (reference d00, 500 rows) these defaults give 1.7 %
false alarms on the independent normal run d00_te (``python -m bench tep``).

Contributions
-------------
Every alarm comes with per-variable contributions that add up to the statistic:
T² uses the complete decomposition ``c_j = z_j (P Λ⁻¹ Pᵀ z)_j`` (a term can be negative:
that variable pulls the point back toward normal); SPE uses ``c_j = e_j²``. With lagged
variables, contributions of the lags of one variable are summed to that variable.

Dynamic PCA (``lags=L``) augments each row with the ``L`` previous rows (Ku, Storer &
Georgakis, 1995), so the model also captures the process dynamics; the first ``L`` rows of
a data set have no statistic.

Batch-wise (unfolded) PCA: :class:`BatchPcaMonitor` (:mod:`analytics.pca_batch`).

Examples
--------
>>> rng = np.random.default_rng(0)
>>> latent = rng.normal(size=(300, 2))
>>> mixing = np.array([[1.0, 0.8, 0.0, 0.5], [0.0, 0.6, 1.0, -0.5]])
>>> ref = latent @ mixing + 0.1 * rng.normal(size=(300, 4))
>>> mon = PcaMonitor(names=["F", "T", "P", "L"]).fit(ref)
>>> mon.n_components_, mon.component_rule_, mon.limit_alpha_
(2, 'parallel', 0.005)
>>> test = latent[:50] @ mixing + 0.1 * rng.normal(size=(50, 4))
>>> test[30:, 3] += 1.0    # a drift on L breaks the correlation structure
>>> res = mon.score(test)
>>> int(res.spe_alarm[:30].sum()), int(res.spe_alarm[30:].sum())
(0, 20)
>>> res.alarms[0].spe_top[0].variable
'L'

Streaming form, river style:

>>> mon._reset()
>>> for row in test:
...     if mon.update(row).drift_detected:
...         break
>>> mon.n_seen
31
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any, Literal, Self

import numpy as np

from analytics.pca_batch import BatchPcaMonitor, BatchScore
from analytics.pca_core import (
    Contribution,
    PcaError,
    PcaModel,
    as_2d,
    check_finite,
    eigen,
    lag_matrix,
    top_contributions,
)
from analytics.pca_limits import (
    FOLDS,
    LIMIT_METHODS,
    HeldOut,
    LimitMethod,
    block_cv_statistics,
    combined_limit_yq,
    compute_limits,
    spe_limit_jm,
    t2_limit_f,
)
from analytics.pca_result import PcaAlarm, PcaScores
from analytics.pca_select import (
    RULES,
    ComponentChoice,
    Rule,
    ekf_cross_validation,
    parallel_analysis,
    variance_share,
)

__all__ = [
    "BatchPcaMonitor",
    "BatchScore",
    "Contribution",
    "PcaAlarm",
    "PcaError",
    "PcaMonitor",
    "PcaScores",
    "choose_components",
    "combined_limit_yq",
    "lag_matrix",
    "spe_limit_jm",
    "t2_limit_f",
]

Limits = LimitMethod
Signal = Literal["t2", "spe", "either", "combined"]
SIGNALS: tuple[Signal, ...] = ("either", "t2", "spe", "combined")
#: Fewer independent values of a score than this in the reference is reported (a rule of thumb:
#: about 30 independent values estimate a variance within ±25 %).
MIN_EFFECTIVE_ROWS = 30
#: Parallel analysis simulates at most about this many values (rows × columns × runs).
_PA_BUDGET = 2e8


def choose_components(eigenvalues: np.ndarray, variance: float) -> int:
    """Smallest ``k`` whose components explain at least ``variance`` of the total (capped at ``p − 1``).

    >>> choose_components(np.array([3.0, 0.6, 0.3, 0.1]), 0.9)
    2
    """
    try:
        return variance_share(eigenvalues, variance).k
    except ValueError as exc:
        raise PcaError(str(exc)) from None


class PcaMonitor:
    """PCA monitor with T², SPE and combined limits, array and streaming forms.

    Parameters
    ----------
    n_components : int, optional
        Number of principal components; default: chosen by ``variance`` if given, otherwise
        by ``component_rule``.
    variance : float, optional
        Choose the fewest components explaining this share of the variance.
    component_rule : {"parallel", "cv", "variance"}
        How ``k`` is chosen when neither ``n_components`` nor ``variance`` is given:
        parallel analysis (default) or row-wise cross-validation (``variance`` needs
        ``variance``); see :mod:`analytics.pca_select`.
    alpha : float
        False-alarm probability per row of the alarm (0.01 = 1 %); see ``split_alpha``.
    limits : {"cv", "empirical", "analytic"}
        How the limits are set (see :mod:`analytics.pca_limits`).
    split_alpha : bool
        With ``signal="either"``, set each of the T² and SPE limits at ``alpha/2`` so that
        the alarm's false-alarm rate is at most ``alpha`` (default). ``False``: each limit
        at ``alpha`` (the alarm's rate is then up to ``2·alpha``).
    lags : int
        Dynamic PCA: number of previous rows added to each row (0 = static PCA).
    names : sequence of str, optional
        Variable names used in contributions (default ``x1 .. xp``).
    drop_constant : bool
        Drop constant reference columns (listed in :attr:`notes_`, default) instead of raising.
    top_k : int
        Number of contributing variables reported per alarm.
    signal : {"either", "t2", "spe", "combined"}
        Which statistic raises ``drift_detected`` / ``alarm``: ``either`` = T² or SPE.

    Attributes
    ----------
    n_components_ : int
    component_rule_ : str
        ``given``, ``parallel``, ``cv`` or ``variance``: what chose ``n_components_``.
    component_choice_ : ComponentChoice or None
        The rule's figures (``None`` when ``n_components`` was given).
    explained_variance_ratio_ : numpy.ndarray
        Of the retained components.
    t2_limit_, spe_limit_, combined_limit_ : float
    limit_sources_ : dict
        ``t2``/``spe``/``combined`` → ``analytic`` or ``held-out``.
    limit_alpha_ : float
        False-alarm probability of each of the T² and SPE limits.
    alarm_alpha_ : float
        The false-alarm rate to expect from the alarm (``signal``): at most this.
    effective_rows_ : numpy.ndarray
        Per component, about how many independent values of its score the reference
        holds (``n (1 − ρ)/(1 + ρ)``, ρ its lag-1 autocorrelation); below 30 is reported.
    held_out_rate_ : dict or None
        Share of held-out rows (block cross-validation, or the calibration rows) beyond
        each limit with the final limits: ``t2``, ``spe``, ``combined``, ``either`` and
        ``alarm`` (the one ``signal`` picks). ``None`` if the reference is too short.
    names_ : list of str
        Variables used by the model (after dropping constant columns).
    notes_ : list of str
        What was chosen, dropped, assumed or approximated, for reports.
    """

    def __init__(
        self,
        n_components: int | None = None,
        variance: float | None = None,
        alpha: float = 0.01,
        limits: Limits = "cv",
        lags: int = 0,
        names: Sequence[str] | None = None,
        drop_constant: bool = True,
        top_k: int = 3,
        signal: Signal = "either",
        component_rule: Rule = "parallel",
        split_alpha: bool = True,
    ) -> None:
        self.n_components = n_components
        self.variance = variance
        self.alpha = alpha
        self.limits = limits
        self.lags = lags
        self.names = names
        self.drop_constant = drop_constant
        self.top_k = top_k
        self.signal = signal
        self.component_rule = component_rule
        self.split_alpha = split_alpha
        if not 0 < alpha < 1:
            raise PcaError(f"alpha must be in (0, 1), got {alpha}")
        if lags < 0:
            raise PcaError(f"lags must be >= 0, got {lags}")
        if limits not in LIMIT_METHODS:
            raise PcaError(f"limits must be one of {', '.join(LIMIT_METHODS)}; got {limits!r}")
        if signal not in SIGNALS:
            raise PcaError(f"signal must be one of {', '.join(SIGNALS)}; got {signal!r}")
        if component_rule not in RULES:
            raise PcaError(f"component_rule must be one of {', '.join(RULES)}; got {component_rule!r}")
        if component_rule == "variance" and variance is None and n_components is None:
            raise PcaError("component_rule='variance' needs variance (e.g. 0.9)")
        self._model: PcaModel | None = None
        self.notes_: list[str] = []
        self._buffer: deque[np.ndarray] = deque(maxlen=lags + 1)
        self._drift = False
        self.n_seen = 0
        #: Statistics of the last streamed row (``None`` before the first full row).
        self.t2: float | None = None
        self.spe: float | None = None
        self.combined: float | None = None
        #: The last row's alarm with its contributions (``None`` when it is normal).
        self.last_alarm: PcaAlarm | None = None

    # -- fitting -------------------------------------------------------------------------

    def fit(self, reference: Any, calibration: Any | None = None) -> Self:
        """Fit the model on normal ``reference`` rows and set the limits.

        Parameters
        ----------
        reference : array-like, shape (n, p)
            Normal operating data, rows = time.
        calibration : array-like, shape (m, p), optional
            Other normal data: the ``cv`` and ``empirical`` limits come from its statistics
            instead of held-out blocks of the reference.

        Raises
        ------
        PcaError
            NaN, constant columns (with ``drop_constant=False``), fewer rows than variables,
            or a component count that leaves no residual space.
        """
        x = as_2d(reference, "reference")
        p_raw = x.shape[1]
        names = list(self.names) if self.names is not None else [f"x{j + 1}" for j in range(p_raw)]
        if len(names) != p_raw:
            raise PcaError(f"{len(names)} names given for {p_raw} reference columns")
        check_finite(x, "reference")
        self.notes_ = []
        std = x.std(axis=0, ddof=1) if x.shape[0] > 1 else np.zeros(p_raw)
        const = np.flatnonzero(~(std > 1e-12 * np.maximum(1.0, np.abs(x).max(axis=0))))
        if const.size:
            listed = ", ".join(names[j] for j in const)
            if not self.drop_constant:
                raise PcaError(
                    f"constant reference column(s) {listed}: they carry no information "
                    "and cannot be standardised; remove them or drop them "
                    "(drop_constant=True / --drop-constant)"
                )
            self.notes_.append(f"dropped constant column(s) {listed}")
        self._keep = np.setdiff1d(np.arange(p_raw), const)
        self._p_raw = p_raw
        self.names_ = [names[j] for j in self._keep]
        xl = lag_matrix(x[:, self._keep], self.lags)
        n, p = xl.shape
        if n <= p:
            what = f"{p} variables"
            if self.lags:
                what += f" ({len(self._keep)} variables × {self.lags + 1} lags)"
            raise PcaError(
                f"reference has {n} usable rows for {what}; PCA needs more rows than "
                "variables: give more reference rows or fewer variables/lags"
            )
        if p < 2:
            raise PcaError(
                f"PCA needs at least 2 variables; the reference has {p} that vary ({', '.join(self.names_)})"
            )
        mean, scale = xl.mean(axis=0), xl.std(axis=0, ddof=1)
        z = (xl - mean) / scale
        lam, vecs = eigen(z)
        k = self._choose(z, lam)
        self._model = PcaModel(mean, scale, vecs[:, :k], lam)
        self.n_components_ = k
        self.explained_variance_ratio_ = lam[:k] / lam.sum()
        self._lagged_names = [n_ if j == 0 else f"{n_}[t-{j}]" for j in range(self.lags + 1) for n_ in self.names_]
        self._base = np.tile(np.arange(len(self.names_)), self.lags + 1)
        self._set_limits(xl, z, calibration)
        self._check_effective_rows(z @ vecs[:, :k])
        self._reset()
        return self

    def _check_effective_rows(self, scores: np.ndarray) -> None:
        # Slowly varying scores: n rows hold only about n (1 − ρ)/(1 + ρ) independent values
        # (ρ = lag-1 autocorrelation), too few to know their variance, so T² and its limit
        # are uncertain and new normal data may alarm more than stated (TEP d00: 11 and 27).
        n = scores.shape[0]
        c = scores - scores.mean(axis=0)
        rho = np.sum(c[1:] * c[:-1], axis=0) / np.maximum(np.sum(c**2, axis=0), 1e-300)
        self.effective_rows_ = n * (1 - rho) / (1 + rho)
        low = np.flatnonzero(self.effective_rows_ < MIN_EFFECTIVE_ROWS)
        if low.size:
            comps = ", ".join(str(i + 1) for i in low)
            self.notes_.append(
                f"the scores of component(s) {comps} change slowly (lag-1 autocorrelation up to {rho[low].max():.3f}): "
                f"the {n} reference rows hold only about {int(max(1, self.effective_rows_[low].min()))} independent "
                "values of them, so T² and its limit are uncertain and new normal data may alarm more than stated; "
                "give a longer reference that covers the process's slow swings"
            )

    def _choose(self, z: np.ndarray, lam: np.ndarray) -> int:
        n, p = z.shape
        self.component_choice_: ComponentChoice | None = None
        if self.n_components is not None:
            k = int(self.n_components)
            if not 1 <= k < p:
                raise PcaError(
                    f"n_components={k}: must be between 1 and {p - 1} (the number of "
                    "variables minus one, so that SPE keeps a residual space)"
                )
            self.component_rule_ = "given"
            return k
        if self.variance is not None:
            choice = variance_share(lam, self.variance)
        elif self.component_rule == "cv":
            choice = ekf_cross_validation(z, folds=FOLDS)
        else:
            n_sim = int(max(10, min(50, _PA_BUDGET // (n * p))))
            choice = parallel_analysis(z, n_sim=n_sim)
        self.component_choice_ = choice
        self.component_rule_ = choice.rule
        self.notes_.append(choice.note)
        return choice.k

    def _set_limits(self, xl: np.ndarray, z: np.ndarray, calibration: Any | None) -> None:
        model = self._model
        assert model is not None
        n, k = z.shape[0], model.k
        split = self.split_alpha and self.signal == "either"
        self.limit_alpha_ = self.alpha / 2 if split else self.alpha
        self.alarm_alpha_ = self.alpha if split or self.signal != "either" else min(1.0, 2 * self.alpha)
        held: HeldOut | None
        if calibration is not None:
            c = as_2d(calibration, "calibration")
            if c.shape[1] != self._p_raw:
                raise PcaError(f"calibration has {c.shape[1]} columns, reference {self._p_raw}")
            check_finite(c, "calibration")
            cl = lag_matrix(c[:, self._keep], self.lags)
            _, _, t2, spe = model.scores(cl)
            held = HeldOut(t2, spe, "calibration", cl.shape[0])
        else:
            cv = block_cv_statistics(z, k, FOLDS)
            if cv is not None:
                held = HeldOut(cv[0], cv[1], "cross-validation", n, FOLDS)
            elif self.limits != "analytic":
                _, _, t2, spe = model.scores(xl)
                held = HeldOut(t2, spe, "fitted", n)
            else:
                held = None
        lim = compute_limits(
            self.limits,
            k=k,
            n=n,
            residual_eigenvalues=model.eigenvalues[k:],
            alpha=self.limit_alpha_,
            held=held,
            combined_alpha=self.alpha,
        )
        self.t2_limit_, self.spe_limit_, self.combined_limit_ = lim.t2, lim.spe, lim.combined
        self.limit_sources_ = lim.sources
        self.held_out_rate_: dict[str, float] | None = None
        if lim.held_out_rate is not None and held is not None and held.source != "fitted":
            rate = dict(lim.held_out_rate)
            rate["alarm"] = rate["either" if self.signal == "either" else self.signal]
            self.held_out_rate_ = rate
        self.notes_.extend(lim.notes)

    # -- array form ------------------------------------------------------------------------

    def _require(self) -> PcaModel:
        if self._model is None:
            raise PcaError("the monitor is not fitted: call fit(reference) first")
        return self._model

    def _prepare(self, x: Any, what: str) -> np.ndarray:
        arr = as_2d(x, what)
        if arr.shape[1] != self._p_raw:
            raise PcaError(f"{what} has {arr.shape[1]} columns, the reference had {self._p_raw}")
        check_finite(arr, what)
        return arr[:, self._keep]

    def contributions(self, z: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """T² and SPE contributions of standardised rows ``z`` with scores ``t``.

        Returns two arrays of shape ``(rows, variables)`` summed over lags; each row adds up
        to that row's T² (resp. SPE).
        """
        model = self._require()
        c_t2 = z * ((t / model.eigenvalues[: model.k]) @ model.loadings.T)
        c_spe = (z - t @ model.loadings.T) ** 2
        m = len(self.names_)
        agg = np.zeros((z.shape[0], m, 2))
        for j in range(self.lags + 1):  # sum the lags of one variable
            agg[:, :, 0] += c_t2[:, j * m : (j + 1) * m]
            agg[:, :, 1] += c_spe[:, j * m : (j + 1) * m]
        return agg[:, :, 0], agg[:, :, 1]

    def score(self, data: Any) -> PcaScores:
        """Statistics, alarm flags and contributions for every row of ``data``."""
        model = self._require()
        xl = lag_matrix(self._prepare(data, "data"), self.lags)
        if xl.shape[0] == 0:
            raise PcaError(f"data has too few rows for lags={self.lags}")
        z, t, t2, spe = model.scores(xl)
        phi = spe / self.spe_limit_ + t2 / self.t2_limit_
        t2a, spea, phia = t2 > self.t2_limit_, spe > self.spe_limit_, phi > self.combined_limit_
        alarm = self._signal(t2a, spea, phia)
        rows = np.arange(self.lags, self.lags + xl.shape[0])
        hit = np.flatnonzero(alarm | t2a | spea | phia)
        c_t2, c_spe = self.contributions(z[hit], t[hit])
        alarms = [
            PcaAlarm(
                int(rows[i]),
                float(t2[i]),
                float(spe[i]),
                float(phi[i]),
                bool(t2a[i]),
                bool(spea[i]),
                bool(phia[i]),
                top_contributions(c_t2[r], self.names_, float(t2[i]), self.top_k),
                top_contributions(c_spe[r], self.names_, float(spe[i]), self.top_k),
            )
            for r, i in enumerate(hit)
        ]
        return PcaScores(
            rows, t2, spe, phi, self.t2_limit_, self.spe_limit_, self.combined_limit_, t2a, spea, phia, alarm, alarms
        )

    def _signal(self, t2a: Any, spea: Any, phia: Any) -> Any:
        if self.signal == "t2":
            return t2a
        if self.signal == "spe":
            return spea
        if self.signal == "combined":
            return phia
        return t2a | spea

    # -- streaming form ----------------------------------------------------------------------

    def update(self, x: Any) -> Self:
        """Take one row (array-like of the reference columns, or a mapping name → value)."""
        model = self._require()
        if isinstance(x, Mapping):
            names = list(self.names) if self.names is not None else [f"x{j + 1}" for j in range(self._p_raw)]
            missing = [n for n in names if n not in x]
            if missing:
                raise PcaError(f"update: no value for variable(s) {', '.join(missing)}")
            row = np.array([float(x[n]) for n in names])
        else:
            row = np.asarray(x, dtype=float).ravel()
        if row.size != self._p_raw:
            raise PcaError(f"update: {row.size} values for {self._p_raw} variables")
        if not np.all(np.isfinite(row)):
            raise PcaError("update: the row has missing/non-finite values; skip or fill it")
        self._buffer.appendleft(row[self._keep])
        self.n_seen += 1
        if len(self._buffer) <= self.lags:  # dynamic PCA: not enough history yet
            return self
        xl = np.concatenate(list(self._buffer))[None, :]
        z, t, t2, spe = model.scores(xl)
        self.t2, self.spe = float(t2[0]), float(spe[0])
        self.combined = self.spe / self.spe_limit_ + self.t2 / self.t2_limit_
        flags = (self.t2 > self.t2_limit_, self.spe > self.spe_limit_, self.combined > self.combined_limit_)
        self._drift = bool(self._signal(*flags))
        self.last_alarm = None
        if any(flags):
            c_t2, c_spe = self.contributions(z, t)
            self.last_alarm = PcaAlarm(
                self.n_seen - 1,
                self.t2,
                self.spe,
                self.combined,
                *flags,
                top_contributions(c_t2[0], self.names_, self.t2, self.top_k),
                top_contributions(c_spe[0], self.names_, self.spe, self.top_k),
            )
        return self

    @property
    def drift_detected(self) -> bool:
        """Whether the last row is beyond the limit chosen by ``signal``."""
        return self._drift

    def _reset(self) -> None:
        """Forget the streamed rows (the fitted model stays)."""
        self._buffer = deque(maxlen=self.lags + 1)
        self._drift = False
        self.n_seen = 0
        self.t2 = self.spe = self.combined = None
        self.last_alarm = None
