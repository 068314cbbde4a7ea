"""PAT analyser for the bioreactor: simulated Raman spectra and a PLS calibration.

A Raman probe in the broth measures a spectrum every scan; a PLS model, calibrated offline
on simulated calibration batches, turns it into glucose and titre (penicillin) predictions.
This is the classic PAT case of FDA (2004) / ICH Q8: a multivariate model on an in-line
spectrometer, with a prediction error that students can see and quantify (RMSEP).

Spectrum model (counts on a fixed wavenumber grid, fingerprint region 400-1800 cm⁻¹)
---------------------------------------------------------------------------------
``s(ν) = L·[Σ_c c_c·k_c·b_c(ν) + W(T)·w(ν)] + F·f(ν) + ε``

* ``b_c``: pure-component band shapes, each a sum of pseudo-Voigt bands (50 % Gaussian,
  50 % Lorentzian) at literature positions: glucose 1125 (strongest), 1060, 911, 1365, 1460,
  520, 425 cm⁻¹; penicillin G the phenyl ring breathing at 1003 cm⁻¹, 1030, 1585/1605, the
  β-lactam C=O at 1775 and amide I at 1680 cm⁻¹; biomass (cells) broad protein/lipid bands:
  phenylalanine 1003 (overlapping penicillin's strongest band: the interferent that makes
  titre harder than glucose), CH₂ 1450, amide I 1660, amide III 1250 cm⁻¹. ``k_c`` in counts
  per g/l at the band maximum. Relative heights are assumed, band positions are the usual
  assignments (e.g. glucose 1125 cm⁻¹, phenylalanine/phenyl 1003 cm⁻¹).
* Water: the bending band at 1640 cm⁻¹ plus a librational rise towards 400 cm⁻¹; its
  intensity falls by ``water_temperature_coeff_per_k`` per kelvin (hydrogen bonding).
* ``F·f(ν)``: fluorescence background, smooth (quadratic in ν, rising to the red), growing
  with biomass, with random per-scan amplitude and slope drift.
* ``L``: laser power / collection efficiency, ``1 + N(0, laser_power_sd)`` per scan.
* ``ε``: shot noise, Gaussian with sd ``sqrt(counts)·shot_noise_factor``, plus read noise.

Calibration (built once per :class:`PatParams`, cached)
-------------------------------------------------------
Calibration batches are simulated as concentration trajectories of typical batches
(glucose consumed in the batch phase then kept low by the feed, titre rising after a lag,
logistic biomass) with batch-to-batch variation, sampled a few times a day; half the samples
are spiked with glucose and a quarter with penicillin standard, as is done in practice to
break the correlation between analytes (titre and biomass both rise with time). Spectra are
preprocessed by a Savitzky–Golay first derivative (removes offsets and flattens the
fluorescence) and mean-centred; a PLS1 model (NIPALS) per analyte keeps the number of latent
variables chosen by leave-one-batch-out cross-validation (the smallest within 5 % of the
minimum RMSECV). The derivative and the centring are linear, so they are folded into one
regression vector on the raw spectrum: predicting is one dot product. RMSEP is reported on
independent validation batches (another seed, no spikes), as a validation report would.

Diagnostics, lab samples and a new lot (issue #15)
-------------------------------------------------
Every prediction comes with its 95 % prediction interval and the spectrum's Hotelling T² and
residual Q against the model's calibration set, with 99 % limits
(:mod:`models.pat_diagnostics`; the Q limit from leave-one-batch-out residuals). A prediction
is trusted only inside the calibrated space (T² and Q under their limits) and range
(:class:`~models.pat_diagnostics.PatPrediction`); the twin publishes the others *Uncertain*
(:mod:`twin.sensors`). Off-line reference samples are taken every ``lab_sample_interval_s``
(:mod:`models.pat_lab`). A new raw-material lot may bring an interferent no calibration lot
had (:data:`INTERFERENT_BANDS`, ``measure(..., interferent_g_l=...)``): the predictions go
wrong and Q rises far over its limit. The tags are listed in :mod:`models.pat_tags`.

Examples
--------
>>> cal = calibrate(PatParams())
>>> sorted(cal.models), cal.models["glucose"].n_components > 0
(['glucose', 'titre'], True)
>>> pat = PatAnalyser(PatParams(), seed=1)
>>> g, p = pat.scan(glucose_g_l=5.0, titre_g_l=10.0, biomass_g_l=20.0, temperature_c=25.0)
>>> abs(g - 5.0) < 2.0, abs(p - 10.0) < 3.0
(True, True)
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from models.params import Params, check_fields
from models.pat_diagnostics import PatPrediction, PlsSpace, SpaceStack, fit_space
from models.pat_lab import LabMethod, LabSampler
from models.pat_tags import PAT_ANALYTES

#: Band tables: (centre cm⁻¹, FWHM cm⁻¹, relative height). Positions from the usual Raman
#: assignments; widths and relative heights assumed.
GLUCOSE_BANDS: tuple[tuple[float, float, float], ...] = (
    (1125.0, 30.0, 1.00), (1060.0, 30.0, 0.70), (911.0, 25.0, 0.60), (1365.0, 30.0, 0.45),
    (1460.0, 35.0, 0.40), (520.0, 25.0, 0.50), (425.0, 25.0, 0.35),
)  # fmt: skip
PENICILLIN_BANDS: tuple[tuple[float, float, float], ...] = (
    (1003.0, 12.0, 1.00), (1030.0, 15.0, 0.35), (1605.0, 20.0, 0.45), (1585.0, 15.0, 0.20),
    (1775.0, 20.0, 0.15), (1680.0, 25.0, 0.25), (1210.0, 20.0, 0.20), (620.0, 15.0, 0.20),
)  # fmt: skip
BIOMASS_BANDS: tuple[tuple[float, float, float], ...] = (
    (1003.0, 12.0, 0.35), (1450.0, 40.0, 1.00), (1660.0, 50.0, 0.80), (1250.0, 60.0, 0.40),
    (1100.0, 60.0, 0.30), (780.0, 25.0, 0.20),
)  # fmt: skip
WATER_BANDS: tuple[tuple[float, float, float], ...] = ((1640.0, 100.0, 1.00), (400.0, 300.0, 0.60))
#: A new raw-material lot's interferent, absent from every calibration lot: a disaccharide
#: (maltose-like, from a glucose syrup of lower dextrose equivalent): the α-1,4 glycosidic
#: band at 940 cm⁻¹ and C-O stretches beside glucose's. Positions and heights assumed.
INTERFERENT_BANDS: tuple[tuple[float, float, float], ...] = (
    (940.0, 20.0, 1.00), (1085.0, 30.0, 0.80), (850.0, 20.0, 0.40), (1340.0, 30.0, 0.35),
    (1460.0, 35.0, 0.30), (440.0, 25.0, 0.40),
)  # fmt: skip

ANALYTES: tuple[str, ...] = ("glucose", "titre")


@dataclass(frozen=True)
class PatParams(Params):
    """Spectrometer, spectrum and calibration parameters of :class:`PatAnalyser`.

    Intensities are detector counts of one scan; values are assumed for a 785 nm process
    Raman analyser with an immersion probe, tuned so that the prediction errors fall in the
    range reported for in-line Raman in bioreactors (glucose RMSEP of a few tenths of a g/l).

    Examples
    --------
    >>> PatParams(scan_interval_s=0)
    Traceback (most recent call last):
    ...
    ValueError: scan_interval_s must be > 0, got 0
    """

    coerce_scalars = True

    #: Wavenumber grid (Raman shift): fingerprint region, 4 cm⁻¹ spacing.
    wavenumber_min_cm1: float = 400.0
    wavenumber_max_cm1: float = 1800.0
    n_points: int = 351
    #: Time between scans (exposure and read-out of a process Raman analyser: ~1 min).
    scan_interval_s: float = 60.0
    #: Band maxima in counts per g/l; water in counts.
    glucose_counts_per_g_l: float = 150.0
    titre_counts_per_g_l: float = 200.0
    biomass_counts_per_g_l: float = 50.0
    water_counts: float = 4000.0
    water_temperature_coeff_per_k: float = -0.003
    #: Fluorescence background: counts at 1100 cm⁻¹ without cells, and per g/l of biomass.
    fluorescence_counts: float = 15000.0
    fluorescence_counts_per_g_l: float = 250.0
    #: Relative sd of the per-scan fluorescence amplitude and of its slope across the grid.
    fluorescence_drift_sd: float = 0.03
    #: Relative sd of the laser power / collection efficiency per scan.
    laser_power_sd: float = 0.003
    #: Shot noise multiplier (1 = Poisson) and detector read noise (counts).
    shot_noise_factor: float = 1.0
    read_noise_counts: float = 10.0
    #: Savitzky–Golay first-derivative window (odd number of points, quadratic fit).
    derivative_window: int = 15
    #: Calibration design: simulated batches, samples per batch, validation batches.
    calibration_batches: int = 8
    samples_per_batch: int = 30
    validation_batches: int = 4
    max_components: int = 12
    #: Fixed number of latent variables; 0 = choose by leave-one-batch-out cross-validation.
    n_components: int = 0
    calibration_seed: int = 2015
    #: Diagnostics: coverage of the prediction interval, confidence of the T² and Q limits.
    interval_confidence: float = 0.95
    limit_confidence: float = 0.99
    #: A new raw-material lot's interferent (absent from the calibration lots), counts per g/l.
    interferent_counts_per_g_l: float = 150.0
    #: Off-line reference samples: every 4 h; glucose (enzymatic analyser) and penicillin
    #: (HPLC) with 2 % relative error plus 0.05 / 0.02 g/l (assumed, typical of both methods).
    lab_sample_interval_s: float = 14400.0
    lab_relative_sd: float = 0.02
    lab_glucose_sd_g_l: float = 0.05
    lab_titre_sd_g_l: float = 0.02

    def __post_init__(self) -> None:
        check_fields(
            self,
            positive=(
                "scan_interval_s", "glucose_counts_per_g_l", "titre_counts_per_g_l", "water_counts",
                "shot_noise_factor", "calibration_batches", "samples_per_batch", "validation_batches",
                "max_components", "lab_sample_interval_s",
            ),
            # Any sign here, or checked below with their own range.
            signed=("wavenumber_min_cm1", "wavenumber_max_cm1", "water_temperature_coeff_per_k", "n_points",
                    "derivative_window", "calibration_seed"),
            got=True,
        )  # fmt: skip
        if not self.wavenumber_min_cm1 < self.wavenumber_max_cm1:
            raise ValueError("wavenumber_min_cm1 must be below wavenumber_max_cm1")
        if not 50 <= self.n_points <= 5000 or self.n_points != int(self.n_points):
            raise ValueError(f"n_points must be an integer in 50-5000, got {self.n_points!r}")
        w = self.derivative_window
        if w != int(w) or w < 5 or w % 2 == 0 or w > self.n_points // 4:
            raise ValueError(f"derivative_window must be an odd integer in 5-{self.n_points // 4}, got {w!r}")
        for name in ("interval_confidence", "limit_confidence"):
            if not 0.5 < getattr(self, name) < 1.0:
                raise ValueError(f"{name} must be between 0.5 and 1 (e.g. 0.95), got {getattr(self, name)!r}")
        if self.calibration_batches < 3:
            raise ValueError("calibration_batches must be >= 3 (leave-one-batch-out cross-validation)")


def _bands(nu: np.ndarray, table: tuple[tuple[float, float, float], ...]) -> np.ndarray:
    """Sum of pseudo-Voigt bands (50/50 Gaussian/Lorentzian) normalised to height 1 at the
    strongest band's centre height ``h``."""
    out = np.zeros_like(nu)
    for centre, fwhm, height in table:
        x = (nu - centre) / (0.5 * fwhm)
        out += height * (0.5 * np.exp(-math.log(2.0) * x * x) + 0.5 / (1.0 + x * x))
    return out


class RamanModel:
    """Noise-free spectra and their random effects on a fixed wavenumber grid.

    Parameters
    ----------
    params : PatParams

    Attributes
    ----------
    wavenumbers : numpy.ndarray
        Raman shift of each point, cm⁻¹.
    components : dict[str, numpy.ndarray]
        Pure spectra in counts per g/l (``glucose``, ``titre``, ``biomass``, and a new lot's
        ``interferent``), counts for ``water`` (at 25 °C), and the fluorescence shape
        ``fluorescence`` (1 at 1100 cm⁻¹) with its slope shape ``fluorescence_slope``.

    Examples
    --------
    >>> m = RamanModel(PatParams())
    >>> int(m.wavenumbers[np.argmax(m.components["glucose"])])
    1124
    """

    def __init__(self, params: PatParams) -> None:
        p = params
        self.params = p
        nu = np.linspace(p.wavenumber_min_cm1, p.wavenumber_max_cm1, int(p.n_points))
        self.wavenumbers = nu
        z = (nu - 1100.0) / 700.0
        self.components = {
            "glucose": p.glucose_counts_per_g_l * _bands(nu, GLUCOSE_BANDS),
            "titre": p.titre_counts_per_g_l * _bands(nu, PENICILLIN_BANDS),
            "biomass": p.biomass_counts_per_g_l * _bands(nu, BIOMASS_BANDS),
            "water": p.water_counts * _bands(nu, WATER_BANDS),
            "interferent": p.interferent_counts_per_g_l * _bands(nu, INTERFERENT_BANDS),
            "fluorescence": 1.0 + 0.35 * z + 0.10 * z * z,
            "fluorescence_slope": z,
        }

    def spectra(
        self,
        glucose: np.ndarray,
        titre: np.ndarray,
        biomass: np.ndarray,
        temperature: np.ndarray,
        rng: np.random.Generator,
        interferent: np.ndarray | float = 0.0,
    ) -> np.ndarray:
        """Measured spectra, one row per sample (vectorised; used for calibration sets).

        ``interferent``: g/l of a new lot's interferent (:data:`INTERFERENT_BANDS`), 0 in
        every calibration lot.
        """
        p, c = self.params, self.components
        g, t, x, temp = (np.asarray(a, dtype=float).reshape(-1, 1) for a in (glucose, titre, biomass, temperature))
        n = g.shape[0]
        raman = g * c["glucose"] + t * c["titre"] + x * c["biomass"]
        raman = raman + np.asarray(interferent, dtype=float).reshape(-1, 1) * c["interferent"]
        raman = raman + (1.0 + p.water_temperature_coeff_per_k * (temp - 25.0)) * c["water"]
        laser = 1.0 + p.laser_power_sd * rng.standard_normal((n, 1))
        amp = (p.fluorescence_counts + p.fluorescence_counts_per_g_l * x) * (
            1.0 + p.fluorescence_drift_sd * rng.standard_normal((n, 1))
        )
        slope = p.fluorescence_drift_sd * rng.standard_normal((n, 1))
        mean = laser * raman + amp * (c["fluorescence"] + slope * c["fluorescence_slope"])
        sd = np.sqrt(p.shot_noise_factor**2 * np.maximum(mean, 0.0) + p.read_noise_counts**2)
        return mean + sd * rng.standard_normal(mean.shape)


# --- PLS ------------------------------------------------------------------------------------


def pls1_nipals(x: np.ndarray, y: np.ndarray, n_components: int) -> tuple[np.ndarray, np.ndarray, float]:
    """PLS1 by NIPALS on mean-centred data (scikit-learn's :class:`~sklearn.cross_decomposition.PLSRegression`).

    One fit with ``A`` components gives the models with ``1 … A`` components too: NIPALS
    makes ``Pᵀ W`` upper triangular, so the first ``a`` columns of the rotations
    ``R = W (Pᵀ W)⁻¹`` are those of the ``a``-component model and its regression vector is
    ``R[:, :a] @ q[:a]``, which cross-validation uses to score every ``a`` at once.

    Parameters
    ----------
    x : ndarray, shape (n, p)
    y : ndarray, shape (n,)
    n_components : int
        Number of latent variables ``A``.

    Returns
    -------
    coefs : ndarray, shape (A, p)
        Row ``a-1`` is the regression vector of the model with ``a`` components, for
        centred ``x``: ``y_hat = y_mean + (x - x_mean) @ coefs[a-1]``.
    x_mean : ndarray, shape (p,)
    y_mean : float

    Examples
    --------
    An exact linear relation is recovered with enough components:

    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((30, 5)); b = np.array([1.0, -2.0, 0.5, 0.0, 3.0])
    >>> coefs, xm, ym = pls1_nipals(x, x @ b + 4.0, 5)
    >>> bool(np.allclose(coefs[-1], b)), round(float(ym - xm @ coefs[-1]), 6)
    (True, 4.0)
    """
    return _coefs(_pls_fit(x, y, n_components), x, y)


def _pls_fit(x: np.ndarray, y: np.ndarray, n_components: int) -> Any:
    """The fitted scikit-learn ``PLSRegression`` behind :func:`pls1_nipals`."""
    # Imported here: scikit-learn takes about a second to import, and only calibration needs it.
    from sklearn.cross_decomposition import PLSRegression

    n_comp = min(n_components, min(x.shape) - 1 if x.shape[0] <= x.shape[1] else x.shape[1])
    return PLSRegression(n_components=n_comp, scale=False).fit(x, y)


def _coefs(pls: Any, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    coefs = np.cumsum(pls.x_rotations_ * pls.y_loadings_[0], axis=1).T
    return np.ascontiguousarray(coefs), x.mean(axis=0), float(y.mean())


def derivative_kernel(window: int) -> np.ndarray:
    """The Savitzky–Golay first-derivative filter of :func:`savgol_derivative_matrix`, for
    ``numpy.convolve(spectrum, kernel, "valid")`` (the same values, without the matrix).

    >>> s = np.random.default_rng(0).standard_normal(40)
    >>> bool(np.allclose(np.convolve(s, derivative_kernel(7), "valid"), savgol_derivative_matrix(40, 7) @ s))
    True
    """
    from scipy.signal import savgol_coeffs

    return np.asarray(savgol_coeffs(window, polyorder=2, deriv=1, use="conv"), dtype=float)


def savgol_derivative_matrix(n_points: int, window: int) -> np.ndarray:
    """Savitzky–Golay first derivative (quadratic fit, unit spacing) as an ``(n-w+1, n)`` matrix.

    Examples
    --------
    >>> d = savgol_derivative_matrix(10, 5)
    >>> d.shape, np.allclose(d @ np.arange(10.0), 1.0)
    ((6, 10), True)
    """
    # Imported here: models import without scipy; only calibration needs these.
    from scipy.linalg import convolution_matrix
    from scipy.signal import savgol_coeffs

    # Each row applies the filter at one point where the whole window fits ("valid" mode).
    return convolution_matrix(savgol_coeffs(window, polyorder=2, deriv=1, use="conv"), n_points, mode="valid")


@dataclass(frozen=True)
class PlsModel:
    """A calibrated PLS1 model on raw spectra: ``y = intercept + coef @ spectrum``.

    Attributes
    ----------
    analyte : str
    n_components : int
        Latent variables kept.
    coef : numpy.ndarray
        Regression vector on the raw spectrum (derivative and centring folded in).
    intercept : float
    rmsec, rmsecv, rmsep : float
        Root-mean-square errors of calibration, leave-one-batch-out cross-validation and
        prediction on the independent validation batches, in g/l.
    rmsecv_curve : tuple[float, ...]
        RMSECV for 1, 2, ... components, for a teaching plot.
    space : PlsSpace
        The calibrated space (scores, loadings, T² and Q limits, interval): the diagnostics
        of a new spectrum (:mod:`models.pat_diagnostics`).
    """

    analyte: str
    n_components: int
    coef: np.ndarray
    intercept: float
    rmsec: float
    rmsecv: float
    rmsep: float
    rmsecv_curve: tuple[float, ...]
    space: PlsSpace

    def predict(self, spectra: np.ndarray) -> np.ndarray:
        """Predictions for spectra (one row each), in g/l."""
        return self.intercept + np.asarray(spectra) @ self.coef


@dataclass(frozen=True)
class PatCalibration:
    """The calibrated models and the data sets they were built and validated on.

    ``validation_diagnostics[analyte]`` holds the ``(t2, q, half_width)`` arrays of the
    validation spectra; ``derivative_kernel`` the preprocessing filter and ``stack`` the
    models' spaces in one product (for the diagnostics of every scan).
    """

    models: dict[str, PlsModel]
    calibration_y: dict[str, np.ndarray]
    validation_y: dict[str, np.ndarray]
    validation_pred: dict[str, np.ndarray]
    validation_diagnostics: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]
    derivative_kernel: np.ndarray
    stack: SpaceStack

    def calibrated_range(self, analyte: str) -> tuple[float, float]:
        """Range the ``analyte``'s model is calibrated over, g/l, rounded outwards to whole g/l.

        A prediction outside it is an extrapolation: the dashboard clips and flags it.

        >>> calibrate(PatParams()).calibrated_range("titre")
        (0.0, 33.0)
        """
        return _outward(self.calibration_y[analyte])


def _outward(y: np.ndarray) -> tuple[float, float]:
    return float(math.floor(y.min())), float(math.ceil(y.max()))


@lru_cache(maxsize=8)
def calibrated_ranges(params: PatParams) -> dict[str, tuple[float, float]]:
    """:meth:`PatCalibration.calibrated_range` of every analyte, without fitting the models.

    The calibration targets are drawn first from the calibration seed, so they are known in
    a millisecond, while :func:`calibrate` takes about a second (scikit-learn's import and
    the fits): a tag map names the ranges without paying for the models.

    >>> calibrated_ranges(PatParams()) == {a: calibrate(PatParams()).calibrated_range(a) for a in ANALYTES}
    True
    """
    rng = np.random.default_rng(params.calibration_seed)
    cal = batch_trajectories(rng, int(params.calibration_batches), int(params.samples_per_batch), spike=True)
    return {analyte: _outward(cal[analyte]) for analyte in ANALYTES}


def batch_trajectories(
    rng: np.random.Generator, n_batches: int, samples_per_batch: int, spike: bool
) -> dict[str, np.ndarray]:
    """Concentrations of samples taken from simulated calibration batches (230 h each).

    Glucose is consumed in a batch phase (8-20 g/l to about 0 within 20-40 h), then held low
    (0.02-1.5 g/l) by the feed; titre rises after a 20-50 h lag towards 10-35 g/l; biomass
    follows a logistic curve to 25-50 g/l; the temperature is 24-26 °C. With ``spike`` half
    of the samples get 0-12 g/l of glucose and a quarter 0-8 g/l of penicillin added.
    Returns arrays ``glucose``, ``titre``, ``biomass``, ``temperature``, ``batch``.
    """
    n = n_batches * samples_per_batch
    batch = np.repeat(np.arange(n_batches), samples_per_batch)
    t = np.tile(np.linspace(0.0, 230.0, samples_per_batch), n_batches) + rng.uniform(-3, 3, n)
    t = np.clip(t, 0.0, 230.0)

    def per_batch(lo: float, hi: float) -> np.ndarray:
        return rng.uniform(lo, hi, n_batches)[batch]

    s0, t_exh, s_fed = per_batch(8, 20), per_batch(20, 40), per_batch(0.02, 1.5)
    p_max, t_lag, tau_p = per_batch(10, 35), per_batch(20, 50), per_batch(60, 160)
    x_max, t_mid, rate = per_batch(25, 50), per_batch(25, 60), per_batch(0.05, 0.12)
    batch_phase = s0 * np.clip(1.0 - (t / t_exh) ** 2, 0.0, None)
    glucose = batch_phase + s_fed * (t > 0.7 * t_exh) * rng.uniform(0.3, 1.7, n)
    titre = p_max * (1.0 - np.exp(-np.clip(t - t_lag, 0.0, None) / tau_p))
    biomass = 0.5 + (x_max - 0.5) / (1.0 + np.exp(-rate * (t - t_mid)))
    temperature = rng.uniform(24.0, 26.0, n)
    if spike:
        glucose = glucose + (rng.random(n) < 0.5) * rng.uniform(0.0, 12.0, n)
        titre = titre + (rng.random(n) < 0.25) * rng.uniform(0.0, 8.0, n)
    return {"glucose": glucose, "titre": titre, "biomass": biomass, "temperature": temperature, "batch": batch}


def _fit(
    xd: np.ndarray, y: np.ndarray, batch: np.ndarray, deriv: np.ndarray, params: PatParams
) -> tuple[int, np.ndarray, float, tuple[float, ...], float, PlsSpace]:
    """Choose components by leave-one-batch-out CV, fit, fold preprocessing into the vector.

    ``xd`` are the preprocessed (derivative) calibration spectra; the fold models also give
    the held-out residuals of the Q limit (:func:`models.pat_diagnostics.fit_space`).
    """
    max_a = int(params.max_components)
    press = np.zeros(max_a)
    folds = []
    for b in np.unique(batch):
        train, test = batch != b, batch == b
        pls = _pls_fit(xd[train], y[train], max_a)
        folds.append((test, pls))
        coefs, xm, ym = _coefs(pls, xd[train], y[train])
        pred = ym + (xd[test] - xm) @ coefs.T  # (n_test, A)
        a_avail = coefs.shape[0]
        press[:a_avail] += ((pred - y[test, None]) ** 2).sum(axis=0)
        press[a_avail:] = np.inf
    rmsecv_curve = np.sqrt(press / y.size)
    if params.n_components > 0:
        n_comp = min(int(params.n_components), max_a)
    else:
        n_comp = int(np.argmax(rmsecv_curve <= 1.05 * rmsecv_curve.min())) + 1
    final = _pls_fit(xd, y, n_comp)
    coefs, xm, ym = _coefs(final, xd, y)
    b_d = coefs[n_comp - 1]
    coef = deriv.T @ b_d  # on the raw spectrum
    intercept = ym - float(xm @ b_d)
    rmsecv = float(rmsecv_curve[n_comp - 1])
    space = fit_space(
        xd, y, batch, n_comp, sigma=rmsecv, interval_confidence=float(params.interval_confidence),
        limit_confidence=float(params.limit_confidence), final=final, folds=folds,
    )  # fmt: skip
    return n_comp, coef, intercept, tuple(float(v) for v in rmsecv_curve), rmsecv, space


@lru_cache(maxsize=8)
def calibrate(params: PatParams) -> PatCalibration:
    """Build and validate the PLS calibration for ``params`` (deterministic, cached).

    Cached in memory and on disk (:mod:`models.build_cache`, keyed on the parameters, this
    module's source and the versions of NumPy, SciPy and scikit-learn): a later process loads
    it in milliseconds without importing scikit-learn or SciPy (about 85 MB and 0.8 s). The
    first fit runs in a forked child that fills the cache, so even then the process that
    asked does not keep those libraries.

    Examples
    --------
    >>> cal = calibrate(PatParams())
    >>> 0.1 < cal.models["glucose"].rmsep < 1.0
    True
    """
    from models import build_cache, pat_diagnostics, pat_lab

    return build_cache.load_or_build(
        "pat-calibration",
        repr(params),
        modules=(sys.modules[__name__], pat_diagnostics, pat_lab),
        libraries=("numpy", "scipy", "scikit-learn"),
        build=lambda: _calibrate(params),
        isolate=True,
    )


def _calibrate(params: PatParams) -> PatCalibration:
    """:func:`calibrate`'s work: simulate the calibration and validation sets, fit, validate."""
    model = RamanModel(params)
    rng = np.random.default_rng(params.calibration_seed)
    cal = batch_trajectories(rng, int(params.calibration_batches), int(params.samples_per_batch), spike=True)
    val = batch_trajectories(rng, int(params.validation_batches), int(params.samples_per_batch), spike=False)
    x_cal = model.spectra(cal["glucose"], cal["titre"], cal["biomass"], cal["temperature"], rng)
    x_val = model.spectra(val["glucose"], val["titre"], val["biomass"], val["temperature"], rng)
    deriv = savgol_derivative_matrix(int(params.n_points), int(params.derivative_window))
    xd_cal, xd_val = x_cal @ deriv.T, x_val @ deriv.T
    models: dict[str, PlsModel] = {}
    val_pred: dict[str, np.ndarray] = {}
    val_diag: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for analyte in ANALYTES:
        y = cal[analyte]
        n_comp, coef, intercept, curve, rmsecv, space = _fit(xd_cal, y, cal["batch"], deriv, params)
        fitted = intercept + x_cal @ coef
        pred = intercept + x_val @ coef
        val_pred[analyte] = pred
        val_diag[analyte] = space.diagnose_many(xd_val - space.x_mean)
        coef.setflags(write=False)
        models[analyte] = PlsModel(
            analyte=analyte,
            n_components=n_comp,
            coef=coef,
            intercept=intercept,
            rmsec=float(np.sqrt(np.mean((fitted - y) ** 2))),
            rmsecv=rmsecv,
            rmsep=float(np.sqrt(np.mean((pred - val[analyte]) ** 2))),
            rmsecv_curve=curve,
            space=space,
        )
    kernel = derivative_kernel(int(params.derivative_window))
    kernel.setflags(write=False)
    return PatCalibration(
        models=models,
        calibration_y={a: cal[a] for a in ANALYTES},
        validation_y={a: val[a] for a in ANALYTES},
        validation_pred=val_pred,
        validation_diagnostics=val_diag,
        derivative_kernel=kernel,
        stack=SpaceStack([models[a].space for a in ANALYTES]),
    )


class PatAnalyser:
    """An in-line Raman analyser with its PLS models: spectrum in, glucose and titre out.

    Every prediction comes with its interval and the spectrum's diagnostics against the
    calibration set (:class:`~models.pat_diagnostics.PatPrediction`); the off-line reference
    samples of the same broth (:attr:`lab`) are taken at the scans they fall due on.

    Parameters
    ----------
    params : PatParams
    seed : int
        Seed of the analyser's own noise generator (spectral noise, laser and fluorescence
        drift) and of the lab's (a stream of its own). Their states are part of
        :meth:`snapshot`, so restore + continue is identical to an uninterrupted run.

    Attributes
    ----------
    glucose, titre : float
        Latest predictions, g/l (held between scans, as an analyser's output is). Made from
        the spectrum when first read, with the models of the parameters of its scan, so an
        analyser nobody reads (a plant built for its tag maps) never fits its models.
    predictions : dict[str, PatPrediction]
        The same with interval, T², Q, limits and range check, per analyte.
    outputs : tuple[float, ...]
        The values of :data:`models.pat_tags.PAT_TAGS`, in that order.
    lab : LabSampler
        Off-line reference results ``glucose_lab`` and ``titre_lab``.
    last_spectrum : numpy.ndarray
        The latest measured spectrum (counts), for display.
    next_scan_s : float
        Simulated time of the next scan; the owner calls :meth:`scan` (or :meth:`measure`)
        when it is due.
    scans : int
        Number of scans so far.

    Examples
    --------
    >>> a = PatAnalyser(PatParams(), seed=3)
    >>> b = PatAnalyser(PatParams(), seed=3)
    >>> a.scan(2.0, 5.0, 10.0, 25.0) == b.scan(2.0, 5.0, 10.0, 25.0)
    True
    >>> g = a.predictions["glucose"]
    >>> g.ok, 0.3 < g.half_width < 1.5, g.t2 < g.t2_limit
    (True, True, True)

    A new lot's interferent puts the spectrum outside the calibrated space:

    >>> _ = a.scan(2.0, 5.0, 10.0, 25.0, interferent_g_l=10.0)
    >>> a.predictions["glucose"].q > a.predictions["glucose"].q_limit, a.predictions["glucose"].ok
    (True, False)
    """

    def __init__(self, params: PatParams | None = None, seed: int = 0) -> None:
        p = params if params is not None else PatParams()
        self.lab = LabSampler(_lab_methods(p), p.lab_sample_interval_s, seed=int(seed))
        self._setup(p)
        self._rng = np.random.default_rng(int(seed))
        nothing = PatPrediction(0.0, 0.0, 0.0, 0.0, math.inf, math.inf, True)
        self._pred: dict[str, PatPrediction] = dict.fromkeys(ANALYTES, nothing)
        self._outputs: tuple[float, ...] | None = None
        # The spectrum not yet predicted from, with the parameters of its scan.
        self._unpredicted: tuple[np.ndarray, PatParams] | None = None
        self.last_spectrum = np.zeros_like(self.model.wavenumbers)
        self.next_scan_s = 0.0
        self.scans = 0

    def _setup(self, params: PatParams) -> None:
        self.params = params
        self.model = RamanModel(params)
        c = self.model.components
        self._g, self._t, self._x, self._w = c["glucose"], c["titre"], c["biomass"], c["water"]
        self._fl, self._fl_slope, self._i = c["fluorescence"], c["fluorescence_slope"], c["interferent"]
        self.lab.methods = _lab_methods(params)
        self.lab.interval_s = float(params.lab_sample_interval_s)

    @property
    def calibration(self) -> PatCalibration:
        """The PLS models of the current parameters (:func:`calibrate`: fitted once, on first use)."""
        return calibrate(self.params)

    @property
    def predictions(self) -> dict[str, PatPrediction]:
        if self._unpredicted is not None:
            self._predict()
        return self._pred

    @property
    def glucose(self) -> float:
        return self.predictions["glucose"].value

    @property
    def titre(self) -> float:
        return self.predictions["titre"].value

    @property
    def outputs(self) -> tuple[float, ...]:
        if self._outputs is None:
            pred, lab = self.predictions, self.lab.values
            out: list[float] = []
            for a in PAT_ANALYTES:
                d = pred[a]
                out += [d.half_width, d.t2, d.q, 1.0 if d.ok else 0.0]
            out += [lab[f"{a}_lab"] for a in PAT_ANALYTES]
            for a in PAT_ANALYTES:
                out += [pred[a].t2_limit, pred[a].q_limit]
            self._outputs = tuple(out)
        return self._outputs

    def _predict(self) -> None:
        assert self._unpredicted is not None
        spectrum, params = self._unpredicted
        cal = calibrate(params)
        ranges = calibrated_ranges(params)
        xd = np.convolve(spectrum, cal.derivative_kernel, "valid")
        pred = {}
        for (analyte, m), d in zip(cal.models.items(), cal.stack.diagnose(xd), strict=True):
            value = m.intercept + float(spectrum @ m.coef)
            lo, hi = ranges[analyte]
            pred[analyte] = PatPrediction(
                value, d.half_width, d.t2, d.q, m.space.t2_limit, m.space.q_limit, lo <= value <= hi
            )
        self._pred = pred
        self._unpredicted = None

    def set_params(self, params: PatParams) -> None:
        """Use other parameters (and their calibration) from the next scan on; the noise
        generator, held predictions and scan schedule carry on."""
        self._setup(params)

    @property
    def wavenumbers(self) -> np.ndarray:
        return self.model.wavenumbers

    def scan(
        self,
        glucose_g_l: float,
        titre_g_l: float,
        biomass_g_l: float,
        temperature_c: float,
        interferent_g_l: float = 0.0,
    ) -> tuple[float, float]:
        """Measure one spectrum of broth with these true values and predict from it.

        Negative concentrations are taken as zero. Returns ``(glucose, titre)`` in g/l and
        updates the held predictions; the next scan falls due ``scan_interval_s`` later.
        """
        self.measure(glucose_g_l, titre_g_l, biomass_g_l, temperature_c, interferent_g_l)
        return self.glucose, self.titre

    def measure(
        self,
        glucose_g_l: float,
        titre_g_l: float,
        biomass_g_l: float,
        temperature_c: float,
        interferent_g_l: float = 0.0,
    ) -> None:
        """:meth:`scan` without predicting yet: :attr:`glucose` and :attr:`titre` do when read.

        ``interferent_g_l``: a new raw-material lot's interferent in the broth (a fault;
        0 in every calibration lot). A lab sample due at this scan's time is taken too.
        """
        p = self.params
        rng = self._rng
        g = glucose_g_l if glucose_g_l > 0.0 else 0.0
        t = titre_g_l if titre_g_l > 0.0 else 0.0
        x = biomass_g_l if biomass_g_l > 0.0 else 0.0
        r3 = rng.standard_normal(3)
        laser = 1.0 + p.laser_power_sd * float(r3[0])
        amp = (p.fluorescence_counts + p.fluorescence_counts_per_g_l * x) * (
            1.0 + p.fluorescence_drift_sd * float(r3[1])
        )
        water = 1.0 + p.water_temperature_coeff_per_k * (temperature_c - 25.0)
        raman = g * self._g + t * self._t + x * self._x + water * self._w
        if interferent_g_l > 0.0:
            raman = raman + interferent_g_l * self._i
        mean = laser * raman
        mean += amp * (self._fl + p.fluorescence_drift_sd * float(r3[2]) * self._fl_slope)
        sd = np.sqrt(p.shot_noise_factor**2 * np.maximum(mean, 0.0) + p.read_noise_counts**2)
        spectrum = mean + sd * rng.standard_normal(mean.shape[0])
        self.last_spectrum = spectrum
        self._unpredicted = (spectrum, p)
        self._outputs = None
        if self.lab.due(self.next_scan_s):
            self.lab.take(self.next_scan_s, {"glucose_lab": g, "titre_lab": t})
        self.scans += 1
        self.next_scan_s += p.scan_interval_s

    def snapshot(self) -> dict[str, Any]:
        """Analyser state as JSON-able data (RNG states included; models are rebuilt from params)."""
        return {
            "params": self.params.to_dict(),
            "rng": self._rng.bit_generator.state,
            "glucose": self.glucose,
            "titre": self.titre,
            "predictions": {a: list(d) for a, d in self.predictions.items()},
            "lab": self.lab.snapshot(),
            "next_scan_s": self.next_scan_s,
            "scans": self.scans,
            "last_spectrum": [float(v) for v in self.last_spectrum],
        }

    def restore(self, snap: dict[str, Any]) -> None:
        """Restore :meth:`snapshot` output.

        Examples
        --------
        >>> a = PatAnalyser(seed=5); _ = a.scan(1.0, 1.0, 1.0, 25.0)
        >>> b = PatAnalyser(seed=9); b.restore(a.snapshot())
        >>> a.scan(3.0, 4.0, 5.0, 25.0) == b.scan(3.0, 4.0, 5.0, 25.0)
        True
        >>> a.outputs == b.outputs
        True
        """
        params = PatParams.from_dict(snap["params"])
        if params != self.params:
            self._setup(params)
        self._rng.bit_generator.state = snap["rng"]
        self.last_spectrum = np.asarray(snap["last_spectrum"], dtype=float)
        self._outputs = None
        if "predictions" in snap:
            self._pred = {a: _prediction(v) for a, v in snap["predictions"].items()}
            self._unpredicted = None
        else:  # a snapshot from before the diagnostics: made again from the last spectrum
            self._unpredicted = (self.last_spectrum, params)
        self.lab.restore(snap.get("lab"))
        self.next_scan_s = float(snap["next_scan_s"])
        self.scans = int(snap["scans"])


def _prediction(values: list[Any]) -> PatPrediction:
    value, half_width, t2, q, t2_limit, q_limit, in_range = values
    return PatPrediction(
        float(value), float(half_width), float(t2), float(q), float(t2_limit), float(q_limit), bool(in_range)
    )


def _lab_methods(p: PatParams) -> dict[str, LabMethod]:
    return {
        "glucose_lab": LabMethod(p.lab_relative_sd, p.lab_glucose_sd_g_l),
        "titre_lab": LabMethod(p.lab_relative_sd, p.lab_titre_sd_g_l),
    }


__all__ = [
    "ANALYTES",
    "INTERFERENT_BANDS",
    "PatAnalyser",
    "PatCalibration",
    "PatParams",
    "PatPrediction",
    "PlsModel",
    "RamanModel",
    "batch_trajectories",
    "calibrate",
    "calibrated_ranges",
    "derivative_kernel",
    "pls1_nipals",
    "savgol_derivative_matrix",
]
