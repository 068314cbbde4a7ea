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

Limits
------
*Analytic* limits assume independent, Gaussian rows: T² uses the F distribution,
``k (n−1)(n+1) / (n (n−k)) · F_{1−α}(k, n−k)`` for a new observation; SPE uses
Jackson & Mudholkar (1979) from the residual eigenvalues; φ uses the ``g χ²_h``
approximation of Yue & Qin. Process data are autocorrelated, so analytic limits give more
false alarms than ``α`` (about 7 % instead of 1 % for SPE on the Tennessee Eastman data).
*Empirical* limits are the ``1 − α`` quantiles of the statistics on normal data not used
to fit the model: ``calibration`` data when given, otherwise held-out contiguous blocks of
the reference data (5-fold, blocks keep the autocorrelation inside each fold).

Contributions
-------------
Every alarm comes with per-variable contributions that add up to the statistic:
T² uses the complete decomposition ``c_j = z_j (P Λ⁻¹ Pᵀ z)_j`` (a term can be negative:
that variable pulls the point back toward normal); SPE uses ``c_j = e_j²``. With lagged
variables, contributions of the lags of one variable are summed to that variable.

Dynamic PCA (``lags=L``) augments each row with the ``L`` previous rows (Ku, Storer &
Georgakis, 1995), so the model also captures the process dynamics; the first ``L`` rows of
a data set have no statistic.

Batch-wise (unfolded) PCA (:class:`BatchPcaMonitor`) follows Nomikos & MacGregor (1994):
each golden batch ``(time × variable)`` is unfolded into one row, the average trajectory is
removed, and a finished batch is judged against the golden ones.

Examples
--------
>>> rng = np.random.default_rng(0)
>>> latent = rng.normal(size=(300, 2))
>>> mixing = np.array([[1.0, 0.8, 0.0, 0.5], [0.0, 0.6, 1.0, -0.5]])
>>> ref = latent @ mixing + 0.1 * rng.normal(size=(300, 4))
>>> mon = PcaMonitor(n_components=2, names=["F", "T", "P", "L"]).fit(ref)
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

import itertools
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Self

import numpy as np
from scipy import stats

Limits = Literal["analytic", "empirical"]
Signal = Literal["t2", "spe", "either", "combined"]
_FOLDS = 5


class PcaError(ValueError):
    """The data cannot give a valid PCA model; the message says why and what to do."""


@dataclass(frozen=True)
class Contribution:
    """One variable's contribution to a statistic.

    ``share`` is ``value`` divided by the statistic (the shares of all variables add up to
    1); ``time_index`` is set by batch-wise PCA (the time of the largest contribution).
    """

    variable: str
    value: float
    share: float
    time_index: int | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"variable": self.variable, "value": self.value, "share": self.share}
        if self.time_index is not None:
            d["time_index"] = self.time_index
        return d


@dataclass(frozen=True)
class PcaAlarm:
    """An alarm row with the statistics and the top contributing variables."""

    row: int
    t2: float
    spe: float
    combined: float
    t2_alarm: bool
    spe_alarm: bool
    combined_alarm: bool
    t2_top: tuple[Contribution, ...]
    spe_top: tuple[Contribution, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "t2": self.t2,
            "spe": self.spe,
            "combined": self.combined,
            "t2_alarm": self.t2_alarm,
            "spe_alarm": self.spe_alarm,
            "combined_alarm": self.combined_alarm,
            "t2_top": [c.to_dict() for c in self.t2_top],
            "spe_top": [c.to_dict() for c in self.spe_top],
        }


@dataclass(frozen=True)
class PcaScores:
    """Array-form result of :meth:`PcaMonitor.score`.

    ``rows[i]`` is the 0-based index in the scored array of statistic ``i`` (with
    ``lags=L`` the first ``L`` rows have none). ``alarm`` follows the monitor's ``signal``;
    ``alarms`` lists every alarm row with its top contributions.
    """

    rows: np.ndarray
    t2: np.ndarray
    spe: np.ndarray
    combined: np.ndarray
    t2_limit: float
    spe_limit: float
    combined_limit: float
    t2_alarm: np.ndarray
    spe_alarm: np.ndarray
    combined_alarm: np.ndarray
    alarm: np.ndarray
    alarms: list[PcaAlarm] = field(default_factory=list)

    @property
    def first_alarm(self) -> int | None:
        """Row index of the first alarm (``None`` when there is none)."""
        hit = np.flatnonzero(self.alarm)
        return int(self.rows[hit[0]]) if hit.size else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (plain lists, no NaN)."""
        return {
            "rows": self.rows.tolist(),
            "t2": self.t2.tolist(),
            "spe": self.spe.tolist(),
            "combined": self.combined.tolist(),
            "limits": {"t2": self.t2_limit, "spe": self.spe_limit, "combined": self.combined_limit},
            "t2_alarm": self.t2_alarm.tolist(),
            "spe_alarm": self.spe_alarm.tolist(),
            "combined_alarm": self.combined_alarm.tolist(),
            "alarm": self.alarm.tolist(),
            "first_alarm": self.first_alarm,
            "alarms": [a.to_dict() for a in self.alarms],
        }


# ----------------------------------------------------------------------------- helpers


def t2_limit_f(k: int, n: int, alpha: float) -> float:
    """Hotelling T² limit for a new observation, F distribution (``n`` reference rows).

    >>> round(t2_limit_f(2, 100, 0.01), 3)
    9.853
    """
    if n <= k:
        raise PcaError(f"T² limit needs more reference rows ({n}) than components ({k})")
    return float(k * (n - 1) * (n + 1) / (n * (n - k)) * stats.f.ppf(1 - alpha, k, n - k))


def spe_limit_jm(residual_eigenvalues: np.ndarray, alpha: float) -> float:
    """SPE (Q) limit of Jackson & Mudholkar (1979) from the eigenvalues left out of the model.

    Falls back to Box's ``g χ²_h`` approximation when ``h0 ≤ 0`` (very uneven eigenvalues).
    The approximation is slightly conservative when few, uneven eigenvalues are left (here
    4.218 against a Monte Carlo quantile of about 4.11).

    >>> round(spe_limit_jm(np.array([0.5, 0.3, 0.2]), 0.01), 3)
    4.218
    """
    lam = np.asarray(residual_eigenvalues, dtype=float)
    t1, t2, t3 = (float(np.sum(lam**i)) for i in (1, 2, 3))
    if t1 <= 0:
        raise PcaError("no residual variance left: use fewer components")
    h0 = 1 - 2 * t1 * t3 / (3 * t2**2)
    if h0 <= 0:
        return float(t2 / t1 * stats.chi2.ppf(1 - alpha, t1**2 / t2))
    c = stats.norm.ppf(1 - alpha)
    return float(t1 * (c * np.sqrt(2 * t2 * h0**2) / t1 + 1 + t2 * h0 * (h0 - 1) / t1**2) ** (1 / h0))


def combined_limit_yq(k: int, residual_eigenvalues: np.ndarray, t2_lim: float, spe_lim: float, alpha: float) -> float:
    """Limit of Yue & Qin's ``φ = SPE/δ² + T²/τ²``: ``g χ²_h`` with matched moments."""
    lam = np.asarray(residual_eigenvalues, dtype=float)
    t1, t2 = float(lam.sum()), float((lam**2).sum())
    a = k / t2_lim + t1 / spe_lim
    b = k / t2_lim**2 + t2 / spe_lim**2
    return float(b / a * stats.chi2.ppf(1 - alpha, a**2 / b))


def lag_matrix(x: np.ndarray, lags: int) -> np.ndarray:
    """Rows ``[x_t, x_{t−1}, …, x_{t−L}]`` for ``t = L … n−1`` (dynamic PCA).

    >>> lag_matrix(np.arange(6.0).reshape(3, 2), 1)
    array([[2., 3., 0., 1.],
           [4., 5., 2., 3.]])
    """
    if lags == 0:
        return x
    n = x.shape[0]
    return np.hstack([x[lags - j : n - j] for j in range(lags + 1)])


def _check_finite(x: np.ndarray, what: str) -> None:
    bad = ~np.isfinite(x)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise PcaError(
            f"{what}: {int(bad.sum())} missing/non-finite value(s), first at row {i}, "
            f"column {j}; fill or drop them first"
        )


def _as_2d(x: Any, what: str) -> np.ndarray:
    arr = np.asarray(x, dtype=float)
    if arr.ndim != 2:
        raise PcaError(f"{what}: expected a 2-D array (rows × variables), got shape {arr.shape}")
    return arr


def _top(
    values: np.ndarray, names: Sequence[str], total: float, k: int, times: np.ndarray | None = None
) -> tuple[Contribution, ...]:
    order = np.argsort(-values)[:k]
    denom = total if total != 0 else 1.0
    return tuple(
        Contribution(names[j], float(values[j]), float(values[j] / denom), None if times is None else int(times[j]))
        for j in order
    )


# ----------------------------------------------------------------------------- PCA model


@dataclass
class _Model:
    mean: np.ndarray
    scale: np.ndarray
    loadings: np.ndarray  # (p, k)
    eigenvalues: np.ndarray  # all, descending

    @property
    def k(self) -> int:
        return int(self.loadings.shape[1])

    def scores(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Standardised rows, scores, T², SPE."""
        z = (x - self.mean) / self.scale
        t = z @ self.loadings
        e = z - t @ self.loadings.T
        return z, t, np.sum(t**2 / self.eigenvalues[: self.k], axis=1), np.sum(e**2, axis=1)


def _eig(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues of the covariance of ``z`` (descending, all ``p``) and the loadings.

    scikit-learn's PCA (full SVD of the centred rows). Its sign convention for the loadings
    may differ from another SVD's; T², SPE and the contributions do not depend on the signs.
    """
    # Imported here: scikit-learn takes about a second to import; only fitting needs it.
    from sklearn.decomposition import PCA

    pca = PCA(svd_solver="full").fit(z)
    lam = pca.explained_variance_
    p = z.shape[1]
    if lam.size < p:  # rank-deficient: pad the missing (zero) eigenvalues
        lam = np.concatenate([lam, np.zeros(p - lam.size)])
    return lam, pca.components_.T


def choose_components(eigenvalues: np.ndarray, variance: float) -> int:
    """Smallest ``k`` whose components explain at least ``variance`` of the total.

    Capped at ``p − 1`` so that SPE keeps a residual space.

    >>> choose_components(np.array([3.0, 0.6, 0.3, 0.1]), 0.9)
    2
    """
    if not 0 < variance <= 1:
        raise PcaError(f"variance must be in (0, 1], got {variance}")
    ratio = np.cumsum(eigenvalues) / np.sum(eigenvalues)
    k = int(np.searchsorted(ratio, variance - 1e-12) + 1)
    return max(1, min(k, eigenvalues.size - 1))


class PcaMonitor:
    """PCA monitor with T², SPE and combined limits, array and streaming forms.

    Parameters
    ----------
    n_components : int, optional
        Number of principal components; default: chosen by ``variance``.
    variance : float
        Cumulative explained variance that chooses the components (default 0.9).
    alpha : float
        False-alarm probability per row of each limit (0.01 = 99 % limits).
    limits : {"analytic", "empirical"}
        How the limits are set (see the module docstring).
    lags : int
        Dynamic PCA: number of previous rows added to each row (0 = static PCA).
    names : sequence of str, optional
        Variable names used in contributions (default ``x1 .. xp``).
    drop_constant : bool
        Drop constant reference columns (listed in :attr:`notes_`) instead of raising.
    top_k : int
        Number of contributing variables reported per alarm.
    signal : {"either", "t2", "spe", "combined"}
        Which statistic raises ``drift_detected`` / ``alarm``: ``either`` = T² or SPE.

    Attributes
    ----------
    n_components_ : int
    explained_variance_ratio_ : numpy.ndarray
        Of the retained components.
    t2_limit_, spe_limit_, combined_limit_ : float
    names_ : list of str
        Variables used by the model (after dropping constant columns).
    notes_ : list of str
        What was dropped, assumed or approximated, for reports.
    """

    def __init__(
        self,
        n_components: int | None = None,
        variance: float = 0.9,
        alpha: float = 0.01,
        limits: Limits = "analytic",
        lags: int = 0,
        names: Sequence[str] | None = None,
        drop_constant: bool = False,
        top_k: int = 3,
        signal: Signal = "either",
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
        if not 0 < alpha < 1:
            raise PcaError(f"alpha must be in (0, 1), got {alpha}")
        if lags < 0:
            raise PcaError(f"lags must be >= 0, got {lags}")
        if limits not in ("analytic", "empirical"):
            raise PcaError(f"limits must be 'analytic' or 'empirical', got {limits!r}")
        if signal not in ("either", "t2", "spe", "combined"):
            raise PcaError(f"signal must be one of either, t2, spe, combined; got {signal!r}")
        self._model: _Model | None = None
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
            Other normal data for empirical limits (recommended: the reference data are
            the data the model was fitted on, so their statistics are optimistic).

        Raises
        ------
        PcaError
            NaN, constant columns (unless ``drop_constant``), fewer rows than variables,
            or a component count that leaves no residual space.
        """
        x = _as_2d(reference, "reference")
        p_raw = x.shape[1]
        names = list(self.names) if self.names is not None else [f"x{j + 1}" for j in range(p_raw)]
        if len(names) != p_raw:
            raise PcaError(f"{len(names)} names given for {p_raw} reference columns")
        _check_finite(x, "reference")
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
        mean, scale = xl.mean(axis=0), xl.std(axis=0, ddof=1)
        z = (xl - mean) / scale
        lam, vecs = _eig(z)
        if self.n_components is None:
            k = choose_components(lam, self.variance)
        else:
            k = int(self.n_components)
            if not 1 <= k < p:
                raise PcaError(
                    f"n_components={k}: must be between 1 and {p - 1} (the number of "
                    "variables minus one, so that SPE keeps a residual space)"
                )
        self._model = _Model(mean, scale, vecs[:, :k], lam)
        self.n_components_ = k
        self.explained_variance_ratio_ = lam[:k] / lam.sum()
        self._lagged_names = [n_ if j == 0 else f"{n_}[t-{j}]" for j in range(self.lags + 1) for n_ in self.names_]
        self._base = np.tile(np.arange(len(self.names_)), self.lags + 1)
        self._set_limits(xl, n, calibration)
        self._reset()
        return self

    def _set_limits(self, xl: np.ndarray, n: int, calibration: Any | None) -> None:
        model = self._model
        assert model is not None
        k, a = model.k, self.alpha
        resid = model.eigenvalues[k:]
        if self.limits == "analytic":
            self.t2_limit_ = t2_limit_f(k, n, a)
            self.spe_limit_ = spe_limit_jm(resid, a)
            self.combined_limit_ = combined_limit_yq(k, resid, self.t2_limit_, self.spe_limit_, a)
            return
        if calibration is not None:
            c = _as_2d(calibration, "calibration")
            if c.shape[1] != self._p_raw:
                raise PcaError(f"calibration has {c.shape[1]} columns, reference {self._p_raw}")
            _check_finite(c, "calibration")
            cl = lag_matrix(c[:, self._keep], self.lags)
            if cl.shape[0] < 1 / a:
                self.notes_.append(
                    f"only {cl.shape[0]} calibration rows for alpha={a}: the empirical limit is the largest value seen"
                )
            _, _, t2, spe = model.scores(cl)
            self.notes_.append(f"empirical limits from {cl.shape[0]} calibration rows")
        else:
            t2, spe = self._cv_statistics(xl, k)
        self.t2_limit_ = float(np.quantile(t2, 1 - a))
        self.spe_limit_ = float(np.quantile(spe, 1 - a))
        phi = spe / self.spe_limit_ + t2 / self.t2_limit_
        self.combined_limit_ = float(np.quantile(phi, 1 - a))

    def _cv_statistics(self, xl: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        # Held-out statistics: fit on 4 contiguous blocks, score the 5th. Standardisation
        # stays the full-reference one (a constant column in one fold would break it).
        model = self._model
        assert model is not None
        n, p = xl.shape
        z = (xl - model.mean) / model.scale
        edges = np.linspace(0, n, _FOLDS + 1).astype(int)
        if n - (edges[1] - edges[0]) <= p:
            self.notes_.append(
                "too few reference rows for cross-validated limits: empirical "
                "limits from the fitted rows (optimistic); give calibration data"
            )
            _, _, t2, spe = model.scores(xl)
            return t2, spe
        t2s, spes = [], []
        for lo, hi in itertools.pairwise(edges):
            train = np.vstack([z[:lo], z[hi:]])
            lam, vecs = _eig(train)
            zt = z[lo:hi] - train.mean(axis=0)
            t = zt @ vecs[:, :k]
            t2s.append(np.sum(t**2 / lam[:k], axis=1))
            spes.append(np.sum((zt - t @ vecs[:, :k].T) ** 2, axis=1))
        self.notes_.append(f"empirical limits from {_FOLDS}-fold block cross-validation on {n} reference rows")
        return np.concatenate(t2s), np.concatenate(spes)

    # -- array form ------------------------------------------------------------------------

    def _require(self) -> _Model:
        if self._model is None:
            raise PcaError("the monitor is not fitted: call fit(reference) first")
        return self._model

    def _prepare(self, x: Any, what: str) -> np.ndarray:
        arr = _as_2d(x, what)
        if arr.shape[1] != self._p_raw:
            raise PcaError(f"{what} has {arr.shape[1]} columns, the reference had {self._p_raw}")
        _check_finite(arr, what)
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
                _top(c_t2[r], self.names_, float(t2[i]), self.top_k),
                _top(c_spe[r], self.names_, float(spe[i]), self.top_k),
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
                _top(c_t2[0], self.names_, self.t2, self.top_k),
                _top(c_spe[0], self.names_, self.spe, self.top_k),
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


# ----------------------------------------------------------------------------- batch-wise


@dataclass(frozen=True)
class BatchScore:
    """Judgement of one finished batch against the golden batches.

    ``contributions_t2`` / ``contributions_spe`` have shape ``(time, variable)`` (zero for
    columns dropped as constant); ``t2_top`` / ``spe_top`` sum them over time per variable
    and give the time of the largest term.
    """

    t2: float
    spe: float
    t2_limit: float
    spe_limit: float
    t2_alarm: bool
    spe_alarm: bool
    t2_top: tuple[Contribution, ...]
    spe_top: tuple[Contribution, ...]
    contributions_t2: np.ndarray
    contributions_spe: np.ndarray

    def to_dict(self) -> dict[str, Any]:
        return {
            "t2": self.t2,
            "spe": self.spe,
            "limits": {"t2": self.t2_limit, "spe": self.spe_limit},
            "t2_alarm": self.t2_alarm,
            "spe_alarm": self.spe_alarm,
            "t2_top": [c.to_dict() for c in self.t2_top],
            "spe_top": [c.to_dict() for c in self.spe_top],
        }


class BatchPcaMonitor:
    """Batch-wise unfolded PCA (multiway PCA) over golden batches.

    Each batch ``(T × V)`` is unfolded into one row of ``T·V`` values; centring each column
    removes the average trajectory, scaling gives every (time, variable) unit variance.
    Columns that are constant across the golden batches (e.g. an identical initial
    charge) are dropped and listed in :attr:`notes_`.

    Limits use leave-one-out statistics of the golden batches (a batch the model was fitted
    on looks better than a new one): ``analytic`` = F limit for T² and a ``g χ²_h`` fit to the
    leave-one-out SPE (Nomikos & MacGregor, 1995); ``empirical`` = quantiles of the
    leave-one-out T² and SPE (needs many batches: with 20 batches the 99 % quantile is
    about the largest one).

    Parameters
    ----------
    n_components, variance, alpha, limits, top_k
        As in :class:`PcaMonitor`.
    names : sequence of str, optional
        Variable names (default ``x1 .. xV``).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> time = np.linspace(0, 1, 20)
    >>> def batch(gain, drift=0.0):
    ...     temp = 30 + 10 * time * gain + rng.normal(0, 0.2, 20)
    ...     conc = 5 * (1 - np.exp(-3 * time * gain)) + rng.normal(0, 0.05, 20)
    ...     return np.column_stack([temp, conc + drift * time])
    >>> golden = np.stack([batch(rng.normal(1, 0.05)) for _ in range(25)])
    >>> mon = BatchPcaMonitor(n_components=2, names=["temp", "conc"]).fit(golden)
    >>> mon.score_batch(batch(1.0)).spe_alarm
    False
    >>> bad = mon.score_batch(batch(1.0, drift=0.6))
    >>> bad.spe_alarm, bad.spe_top[0].variable
    (True, 'conc')
    """

    def __init__(
        self,
        n_components: int | None = None,
        variance: float = 0.9,
        alpha: float = 0.01,
        limits: Limits = "analytic",
        names: Sequence[str] | None = None,
        top_k: int = 3,
    ) -> None:
        self.n_components = n_components
        self.variance = variance
        self.alpha = alpha
        self.limits = limits
        self.names = names
        self.top_k = top_k
        self.notes_: list[str] = []
        self._model: _Model | None = None

    def fit(self, golden: Any) -> Self:
        """Fit on golden batches, array of shape ``(batches, time, variables)``."""
        g = np.asarray(golden, dtype=float)
        if g.ndim != 3:
            raise PcaError(f"golden batches: expected shape (batches, time, variables), got {g.shape}")
        b, t_len, v = g.shape
        if b < 5:
            raise PcaError(f"{b} golden batches: batch-wise PCA needs at least 5 (better 20+)")
        _check_finite(g.reshape(b, -1), "golden batches (row = batch)")
        self.names_ = list(self.names) if self.names is not None else [f"x{j + 1}" for j in range(v)]
        if len(self.names_) != v:
            raise PcaError(f"{len(self.names_)} names given for {v} variables")
        self._shape = (t_len, v)
        x = g.reshape(b, t_len * v)  # time-major: column = t * V + v
        std = x.std(axis=0, ddof=1)
        self._keep = np.flatnonzero(std > 1e-12 * np.maximum(1.0, np.abs(x).max(axis=0)))
        self.notes_ = []
        if self._keep.size < t_len * v:
            self.notes_.append(
                f"dropped {t_len * v - self._keep.size} (time, variable) column(s) constant across the golden batches"
            )
        x = x[:, self._keep]
        p = x.shape[1]
        max_k = b - 2  # centred data have rank b - 1; keep one residual direction
        mean, scale = x.mean(axis=0), x.std(axis=0, ddof=1)
        z = (x - mean) / scale
        lam, vecs = _eig(z)
        if self.n_components is None:
            k = min(choose_components(lam[: b - 1], self.variance), max_k)
        else:
            k = int(self.n_components)
            if not 1 <= k <= min(max_k, p - 1):
                raise PcaError(f"n_components={k}: must be between 1 and {min(max_k, p - 1)} with {b} golden batches")
        self._model = _Model(mean, scale, vecs[:, :k], lam)
        self.n_components_ = k
        # Leave-one-out statistics: each golden batch judged by a model without it.
        t2_loo, spe_loo = np.empty(b), np.empty(b)
        for i in range(b):
            train = np.delete(z, i, axis=0)
            lam_i, vec_i = _eig(train)
            zi = z[i] - train.mean(axis=0)
            ti = zi @ vec_i[:, :k]
            t2_loo[i] = np.sum(ti**2 / lam_i[:k])
            spe_loo[i] = np.sum((zi - ti @ vec_i[:, :k].T) ** 2)
        a = self.alpha
        if self.limits == "analytic":
            self.t2_limit_ = t2_limit_f(k, b, a)
            m_, s2 = spe_loo.mean(), spe_loo.var(ddof=1)
            self.spe_limit_ = float(s2 / (2 * m_) * stats.chi2.ppf(1 - a, 2 * m_**2 / s2))
        else:
            self.t2_limit_ = float(np.quantile(t2_loo, 1 - a))
            self.spe_limit_ = float(np.quantile(spe_loo, 1 - a))
        return self

    def score_batch(self, batch: Any) -> BatchScore:
        """Judge one finished batch, array of shape ``(time, variables)``."""
        model = self._model
        if model is None:
            raise PcaError("the monitor is not fitted: call fit(golden) first")
        arr = np.asarray(batch, dtype=float)
        if arr.shape != self._shape:
            raise PcaError(
                f"batch has shape {arr.shape}, the golden batches {self._shape} "
                "(align batches on the same time grid first)"
            )
        _check_finite(arr, "batch")
        z, t, t2, spe = model.scores(arr.reshape(1, -1)[:, self._keep])
        c_t2 = z * ((t / model.eigenvalues[: model.k]) @ model.loadings.T)
        c_spe = (z - t @ model.loadings.T) ** 2
        full_t2, full_spe = np.zeros(arr.size), np.zeros(arr.size)
        full_t2[self._keep], full_spe[self._keep] = c_t2[0], c_spe[0]
        m_t2, m_spe = full_t2.reshape(self._shape), full_spe.reshape(self._shape)
        t2v, spev = float(t2[0]), float(spe[0])
        return BatchScore(
            t2v,
            spev,
            self.t2_limit_,
            self.spe_limit_,
            t2v > self.t2_limit_,
            spev > self.spe_limit_,
            _top(m_t2.sum(axis=0), self.names_, t2v, self.top_k, np.argmax(np.abs(m_t2), axis=0)),
            _top(m_spe.sum(axis=0), self.names_, spev, self.top_k, np.argmax(m_spe, axis=0)),
            m_t2,
            m_spe,
        )

    def score(self, batches: Any) -> list[BatchScore]:
        """Judge several finished batches, array of shape ``(batches, time, variables)``."""
        return [self.score_batch(b) for b in np.asarray(batches, dtype=float)]
