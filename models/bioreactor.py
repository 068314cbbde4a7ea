"""Fed-batch bioreactor (penicillin-like) with its local control and a Raman PAT analyser.

A 100 l pilot fermenter, 58 l of broth at inoculation: IndPenSim's 100 m³ vessel and 58 m³
starting volume (Goldrick et al. 2015) scaled 1:1000, so its published 230 h sugar-feed
recipe applies unchanged in l/h ÷ 1000 and the batch ends near 80 l, inside the vessel.
That is the usual size of a GMP training pilot plant (tens of litres, a real jacket and
agitator, in-situ sterilisable) and keeps every flow in the range of lab pumps.

Model (states: biomass, glucose, titre, DO, broth and jacket temperature, pH, volume)
---------------------------------------------------------------------------------
Balances are written on masses in the vessel (``m_X = X·V``…), so feed, harvest and
evaporation enter without dilution terms and the glucose balance closes exactly.

* Growth (Monod in glucose and DO, cardinal in T and pH):
  ``μ = μmax·fT(T)·fpH(pH)·S/(Ks+S)·DO/(Ko+DO)``; death ``kd``. ``fT`` is the cardinal
  temperature model with inflection (CTMI, Rosso et al. 1993), ``fpH`` the cardinal pH
  model (Rosso et al. 1995); both are 1 at the optimum and 0 outside [min, max].
* Product (penicillin-like, non-growth-associated, substrate-inhibited, Bajpai & Reuss 1980
  as used in PenSim, Birol et al. 2002): ``qp = qpmax·fT·fpH·S/(Kp+S+S²/Ki)·DO/(Kop+DO)``,
  hydrolysed at ``kh·P``.
* Glucose uptake (Pirt): ``σ = μ/Yxs + ms·S/(Km+S)·DO/(Ko+DO) + qp/Yps``; maintenance
  needs glucose and oxygen, so nothing is consumed from an empty broth, but with
  ``Km ≪ Ks`` it is served first: a glucose-limited culture keeps respiring.
* Oxygen: ``OUR = X·(μ·a_xo + ms'·a_mo + qp·a_po)``, ``dDO/dt = kLa·(DO* − DO) − OUR/C*``
  with DO in % of air saturation at 1 atm. ``C*(T)`` from the APHA solubility polynomial;
  ``DO*`` scales with head pressure and the O₂ fraction of the (well-mixed) off-gas.
  ``kLa = c·(Pg/V)^α·vs^β·f_broth`` (van 't Riet 1979, coalescing: c = 0.026, α = 0.4,
  β = 0.5, SI units, ``kLa`` in 1/s); ``Pg`` from the ungassed power ``n·Np·ρ·N³·D⁵`` of
  the Rushton turbines times the gassed-power ratio of Cui et al. (1996) from the flow
  number; ``vs`` the superficial gas velocity at vessel pressure and temperature.
* Heat: metabolic heat 460 kJ per mol O₂ (Cooney et al. 1969), the gassed agitation power,
  the feed's sensible heat, losses to ambient, and the jacket ``UA·(T − Tj)``. The jacket
  water (a state) is a split-range loop: controller output > 0 opens the hot-water valve
  (60 °C), < 0 the cooling-water valve (10 °C), each up to ``jacket_max_flow_l_min``.
* pH: growth releases protons (ammonium uptake, ``acid_per_biomass_mmol_g``), penicillin
  is an acid; base (NH₄OH) neutralises them; the buffer capacity is a background plus a
  phosphate buffer, ``β = β0 + 2.303·C·r/(1+r)²``, ``r = 10^(pH−pKa)``, so an overdose
  beyond the buffer moves the pH fast.
* Volume: feed + base − evaporation (saturated off-gas at the condenser temperature)
  − harvest − leak. ``continuous_harvest`` draws broth at the inflow rate (constant volume,
  chemostat-like, used to check the analytic steady state).

Integration: classic RK4 on plain floats, with the number of sub-steps chosen from a bound
of the fastest eigenvalue (DO uptake near DO = 0, glucose uptake near S = 0, the jacket) so
that ``h·λ ≤ 2`` (RK4 is stable to 2.78) and ``h ≤`` :data:`MAX_SUBSTEP_S`; a 1 s step is one
RK4 step in normal operation. Feed (exact mean of the recipe over the step), base, jacket
flows, agitation (ramped), ``kLa``, ``fT``, ``fpH``, ``C*`` and the buffer capacity are held
over a step; they change by far less than 0.1 % in a second.

Faults (:mod:`models.disturbances`)
-----------------------------------
Disturbances (:attr:`Bioreactor.DISTURBANCES`), nominal 0, held over a step:

* ``fouling.jacket``: fraction of the jacket's ``UA`` lost (``heat_jacket`` shows the rest).
* ``fouling.kla``: fraction of ``kLa`` lost (sparger fouling), down to the surface aeration.
* ``contamination``: fraction of the specific growth rate ``μ`` lost (a contaminant or
  inhibitor); production and maintenance are untouched.
* ``feed_concentration``: relative error of the feed's glucose concentration; the glucose
  balance counts what really went in (``glucose_fed_total``).
* ``leak``: broth lost, l/h, at the broth's composition (like a harvest); it stops at
  :data:`LEAK_MIN_VOLUME_L`. Its own totals (``leak_total``, ``glucose_leaked_total``) keep the
  volume and glucose balances closed.
* ``heater_failure``: fraction of the hot-water (heating) side of the split-range jacket
  lost: the hot-water flow is scaled, the cooling side is untouched.

Actuator hooks (:attr:`Bioreactor.ACTUATORS`) sit where the command becomes physical:
``jacket_valve`` on the temperature controller's output before the split range, ``base_pump``
on the pH controller's output, ``agitator`` on the DO controller's output (the drive's speed
setpoint, before its ramp), ``feed_pump`` on the recipe or manual feed rate. The ``*_out``
tags show the command, the ``*_position`` tags the effective actuator.

Control (the "virtual PLC")
---------------------------
PID loops (:class:`models.pid.Pid`): ``temperature`` (split-range jacket, −100…100 %),
``ph`` (base pump 0…100 %) and ``do`` in cascade on agitation (its output, in rpm, is the
agitator speed setpoint; the drive ramps at ``agitation_ramp_rpm_s``). The glucose feed
follows a :class:`FeedRecipe` (``feed_mode = 1``) or a manual rate (``feed_mode = 0``).
Aeration and head pressure are setpoints of their (ideal) flow and pressure controllers.
The loops regulate on what their probes show (:attr:`Bioreactor.feedback`): a pH probe
drifting up makes the loop add less base, so the real pH falls while the reading stays on
its setpoint; base addition and growth tell the story. A failed probe holds its loop's output.

PAT
---
A Raman analyser (:class:`models.pat.PatAnalyser`) scans every ``pat.scan_interval_s``
(60 s) and publishes PLS predictions of glucose and titre (``glucose_pat``, ``titre_pat``),
held between scans, each with its prediction interval, the spectrum's Hotelling T² and Q
against the calibration set with their limits, and a flag (``..._ok``) that makes the twin
publish it *Uncertain* outside the calibrated space (:mod:`models.pat_tags`). Off-line lab
samples (``glucose_lab``, ``titre_lab``) are taken every ``pat.lab_sample_interval_s``. The
``raman_out_of_calibration`` disturbance is a new raw-material lot's interferent (g/l) that
the calibration never saw: the spectra change, the process does not.

Examples
--------
>>> br = Bioreactor()
>>> br.unit_type, br.read()["volume"], br.read()["ph_sp"]
('bioreactor', 58.0, 6.5)
>>> for _ in range(3600):  # one hour at 1 s
...     br.step(1.0)
>>> r = br.read()
>>> round(r["temperature"], 2), round(r["ph"], 2), r["biomass"] > 0.5
(25.0, 6.5, True)
>>> br.write("ph_sp", 20)
Traceback (most recent call last):
...
ValueError: ph_sp = 20 is outside the allowed range [3, 9] pH
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

import numpy as np

from models import bioreactor_core as core
from models.bioreactor_core import (
    LEAK_MIN_VOLUME_L,
    MAX_SUBSTEP_S,
    advance,
    cardinal_ph,
    cardinal_temperature,
    kla_per_s,
    o2_saturation_mmol_l,
    segment_volume,
)
from models.disturbances import Disturbance
from models.params import Params, check_fields, check_range, check_write, plain_as, require_manual
from models.pat import PatAnalyser, PatParams, calibrated_ranges
from models.pat_tags import PAT_TAGS, bioreactor_pat_specs
from models.pid import Pid, PidTuning
from models.unit import FaultHookDefaults, TagSpec, declare_fault_hooks

LOOPS: tuple[str, ...] = ("temperature", "ph", "do")

#: Allowed ranges of setpoints (tag name -> (lo, hi, unit)); parameters use the same.
SETPOINT_RANGES: dict[str, tuple[float, float, str]] = {
    "temperature_sp": (10.0, 40.0, "°C"),
    "ph_sp": (3.0, 9.0, "pH"),
    "do_sp": (0.0, 100.0, "%"),
}

_P_ATM_BAR = core.P_ATM_BAR
_Y_O2_AIR = core.Y_O2_AIR
_Y_CO2_AIR = 0.0004
_MOLAR_VOLUME_NL = core.MOLAR_VOLUME_NL


# --- recipe ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedStep:
    """One step of a feed recipe.

    Parameters
    ----------
    duration_h : float
        Length of the step, hours (> 0).
    feed_rate_l_h : float
        Glucose-feed rate, l/h (>= 0): held for the whole step, or reached at its end when
        ``ramp`` is true.
    ramp : bool
        Ramp linearly from the previous step's final rate (0 before the first step).
    name : str
        Optional label, used in error messages and shown to students.
    """

    duration_h: float
    feed_rate_l_h: float
    ramp: bool = False
    name: str = ""

    def __post_init__(self) -> None:
        d, r = self.duration_h, self.feed_rate_l_h
        if not isinstance(d, int | float) or not (math.isfinite(d) and d > 0.0):
            raise ValueError(f"duration_h = {d!r} must be a number of hours > 0")
        if not isinstance(r, int | float) or not (math.isfinite(r) and r >= 0.0):
            raise ValueError(f"feed_rate_l_h = {r!r} must be a number of l/h >= 0")


@dataclass(frozen=True)
class FeedRecipe:
    """A feed profile: steps of given durations, held or ramped; no feed after the last step.

    Build it from plain data with :meth:`from_steps` (what a plant file holds).

    Examples
    --------
    >>> r = FeedRecipe.from_steps([
    ...     {"name": "batch", "duration_h": 10, "feed_rate_l_h": 0.0},
    ...     {"name": "ramp", "duration_h": 10, "feed_rate_l_h": 0.1, "ramp": True},
    ...     (20, 0.1),
    ... ])
    >>> r.total_h, r.rate_l_h(15 * 3600), r.mean_rate_l_h(0, 20 * 3600), r.rate_l_h(50 * 3600)
    (40.0, 0.05, 0.025, 0.0)
    >>> FeedRecipe.from_steps([{"name": "fed", "feed_rate_l_h": 0.1}])
    Traceback (most recent call last):
    ...
    ValueError: recipe step 1 ('fed'): no duration_h; every step needs a duration_h in hours > 0
    """

    steps: tuple[FeedStep, ...]
    # Derived in __post_init__: step start times (s), start/end rates (l/h), cumulative
    # volume (l) at each step start.
    _starts: tuple[float, ...] = field(init=False, repr=False, compare=False)
    _r0: tuple[float, ...] = field(init=False, repr=False, compare=False)
    _r1: tuple[float, ...] = field(init=False, repr=False, compare=False)
    _cum: tuple[float, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.steps:
            raise ValueError("a recipe needs at least one step")
        starts = [0.0]
        rate0 = [0.0]
        rate1 = []
        prev = 0.0
        for s in self.steps:
            if not isinstance(s, FeedStep):
                raise TypeError(f"recipe steps must be FeedStep, got {type(s).__name__}")
            r0 = prev if s.ramp else s.feed_rate_l_h
            rate0[-1] = r0
            rate1.append(s.feed_rate_l_h)
            starts.append(starts[-1] + s.duration_h * 3600.0)
            rate0.append(0.0)
            prev = s.feed_rate_l_h
        # Cumulative volume (l) at each step start, for exact means over any interval.
        cum = [0.0]
        for i in range(len(self.steps)):
            cum.append(cum[-1] + 0.5 * (rate0[i] + rate1[i]) * (starts[i + 1] - starts[i]) / 3600.0)
        object.__setattr__(self, "_starts", tuple(starts))
        object.__setattr__(self, "_r0", tuple(rate0[:-1]))
        object.__setattr__(self, "_r1", tuple(rate1))
        object.__setattr__(self, "_cum", tuple(cum))

    @classmethod
    def from_steps(cls, steps: Iterable[Mapping[str, Any] | Sequence[Any] | FeedStep]) -> FeedRecipe:
        """Recipe from mappings (``duration_h``, ``feed_rate_l_h``, optional ``ramp``,
        ``name``), ``(duration_h, feed_rate_l_h[, ramp])`` tuples or :class:`FeedStep`.

        Raises
        ------
        ValueError
            Naming the step (1-based index and name) and what is wrong with it.
        """
        out: list[FeedStep] = []
        allowed = {"duration_h", "feed_rate_l_h", "ramp", "name"}
        for i, raw in enumerate(steps, start=1):
            if isinstance(raw, FeedStep):
                out.append(raw)
                continue
            if isinstance(raw, Mapping):
                label = f"recipe step {i} ({raw['name']!r})" if raw.get("name") else f"recipe step {i}"
                unknown = sorted(set(raw) - allowed)
                if unknown:
                    raise ValueError(
                        f"{label}: unknown field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
                    )
                if raw.get("duration_h") is None:
                    raise ValueError(f"{label}: no duration_h; every step needs a duration_h in hours > 0")
                if raw.get("feed_rate_l_h") is None:
                    raise ValueError(f"{label}: no feed_rate_l_h; every step needs a feed_rate_l_h in l/h >= 0")
                kwargs = {
                    "duration_h": raw["duration_h"],
                    "feed_rate_l_h": raw["feed_rate_l_h"],
                    "ramp": bool(raw.get("ramp", False)),
                    "name": str(raw.get("name", "")),
                }
            else:
                label = f"recipe step {i}"
                seq = list(raw)
                if len(seq) < 2:
                    raise ValueError(f"{label}: {seq!r} needs (duration_h, feed_rate_l_h[, ramp]); no duration_h")
                kwargs = {
                    "duration_h": seq[0],
                    "feed_rate_l_h": seq[1],
                    "ramp": bool(seq[2]) if len(seq) > 2 else False,
                }
            try:
                out.append(FeedStep(**kwargs))
            except ValueError as exc:
                raise ValueError(f"{label}: {exc}") from None
        return cls(tuple(out))

    def to_list(self) -> list[dict[str, Any]]:
        """Plain data, the inverse of :meth:`from_steps`."""
        return [asdict(step) for step in self.steps]

    @property
    def total_h(self) -> float:
        """Length of the recipe, hours."""
        return float(self._starts[-1]) / 3600.0

    def step_index(self, t_s: float) -> int:
        """0-based index of the step running at ``t_s`` seconds; ``len(steps)`` after the end."""
        return bisect.bisect_right(self._starts, t_s) - 1

    def rate_l_h(self, t_s: float) -> float:
        """Feed rate at time ``t_s`` (seconds since the batch start), l/h."""
        starts = self._starts
        i = bisect.bisect_right(starts, t_s) - 1
        if i < 0 or i >= len(self.steps):
            return 0.0
        frac = (t_s - starts[i]) / (starts[i + 1] - starts[i])
        return float(self._r0[i] + (self._r1[i] - self._r0[i]) * frac)

    def volume_l(self, t_s: float) -> float:
        """Feed volume delivered from the batch start to ``t_s``, l (the integral of the rate)."""
        starts = self._starts
        if t_s <= 0.0:
            return 0.0
        i = bisect.bisect_right(starts, t_s) - 1
        if i >= len(self.steps):
            return float(self._cum[-1])
        return float(segment_volume(self._cum[i], self._r0[i], self._r1[i], starts[i], starts[i + 1], t_s))

    def as_array(self) -> np.ndarray:
        """Rows of step starts (and the end), start rates, end rates and cumulative volumes:
        the recipe as :func:`models.bioreactor_core.run_steps` reads it (rates padded with 0)."""
        n = len(self.steps)
        return np.array([self._starts, (*self._r0, 0.0), (*self._r1, 0.0), self._cum], dtype=float).reshape(4, n + 1)

    def mean_rate_l_h(self, t0_s: float, t1_s: float) -> float:
        """Exact mean feed rate over ``[t0_s, t1_s]``, l/h."""
        return (self.volume_l(t1_s) - self.volume_l(t0_s)) * 3600.0 / (t1_s - t0_s)


#: IndPenSim's default sugar-feed recipe (PenSimPy ``Recipe.get_default``, Fs in l/h on
#: 100 m³) scaled 1:1000: (hours until, l/h).
INDPENSIM_FEED_L_H: tuple[tuple[float, float], ...] = (
    (3, 0.008), (12, 0.015), (16, 0.030), (20, 0.075), (24, 0.150), (28, 0.030), (32, 0.037),
    (36, 0.043), (40, 0.047), (44, 0.051), (48, 0.057), (52, 0.061), (56, 0.065), (60, 0.072),
    (64, 0.076), (68, 0.080), (72, 0.084), (76, 0.090), (80, 0.116), (160, 0.090), (230, 0.080),
)  # fmt: skip


def indpensim_recipe() -> FeedRecipe:
    """IndPenSim's 230 h sugar-feed profile, scaled 1:1000 (see :data:`INDPENSIM_FEED_L_H`)."""
    steps, prev = [], 0.0
    for until, rate in INDPENSIM_FEED_L_H:
        steps.append(FeedStep(duration_h=until - prev, feed_rate_l_h=rate, name=f"until {until:g} h"))
        prev = until
    return FeedRecipe(tuple(steps))


# --- parameters -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BioreactorParams(Params):
    """Parameters of :class:`Bioreactor`; units in the field names.

    Sources: IndPenSim (Goldrick et al. 2015, via PenSimPy) for the scale, recipe, feed
    concentration, pH and temperature setpoints; PenSim (Birol, Ündey & Çinar 2002, after
    Bajpai & Reuss 1980) for yields, maintenance and the product kinetics; van 't Riet
    (1979) and Cui et al. (1996) for mass transfer and power; Cooney et al. (1969) for the
    heat of respiration. Values marked *assumed* are engineering estimates for a 100 l
    pilot fermenter, not data-sheet values.

    Examples
    --------
    >>> BioreactorParams(initial_volume_l=-5)
    Traceback (most recent call last):
    ...
    ValueError: initial_volume_l = -5 is outside the allowed range (0, 100] l
    >>> BioreactorParams(ph_setpoint=20)
    Traceback (most recent call last):
    ...
    ValueError: ph_setpoint = 20 is outside the allowed range [3, 9] pH
    """

    coerce_scalars = True

    # --- vessel and agitation (100 l total, H/T ≈ 2; assumed) --------------------------------
    vessel_volume_l: float = 100.0
    vessel_diameter_m: float = 0.40
    #: Two Rushton turbines, D = T/3, turbulent power number 5.
    impeller_diameter_m: float = 0.133
    impeller_count: float = 2.0
    impeller_power_number: float = 5.0
    agitation_min_rpm: float = 200.0
    agitation_max_rpm: float = 800.0
    #: Drive (VFD) ramp rate.
    agitation_ramp_rpm_s: float = 50.0
    initial_agitation_rpm: float = 200.0

    # --- gas --------------------------------------------------------------------------------
    #: Initial air-flow setpoint (tag ``aeration_sp``), normal l/min: ~0.75 vvm on 58 l
    #: (IndPenSim's 30-75 m³/min on 100 m³, scaled).
    aeration_l_min: float = 45.0
    #: Initial head-pressure setpoint (tag ``pressure_sp``); IndPenSim runs 0.6-1.1 bar g.
    head_pressure_bar_g: float = 0.5
    #: van 't Riet (1979), coalescing broth: kLa[1/s] = c·(P/V [W/m³])^α·vs[m/s]^β.
    kla_coefficient: float = 0.026
    kla_power_exponent: float = 0.4
    kla_gas_velocity_exponent: float = 0.5
    #: Reduction for a viscous mycelial broth (assumed).
    kla_broth_factor: float = 0.8
    #: Surface aeration when the sparger is off or the agitator stopped, 1/h (assumed).
    kla_min_1_h: float = 1.0
    #: Off-gas condenser outlet temperature: the off-gas leaves saturated with water at it.
    condenser_temperature_c: float = 8.0
    #: Respiratory quotient, mol CO₂ per mol O₂ (glucose oxidation).
    respiratory_quotient: float = 1.0

    # --- broth and heat -------------------------------------------------------------------
    broth_density_kg_l: float = 1.02
    broth_cp_j_kg_k: float = 4000.0
    #: Jacket: ~0.9 m² wetted wall at ~330 W/(m²·K) (assumed); 10 l of jacket water.
    jacket_ua_w_k: float = 300.0
    jacket_volume_l: float = 10.0
    jacket_max_flow_l_min: float = 10.0
    cooling_water_temperature_c: float = 10.0
    hot_water_temperature_c: float = 60.0
    ambient_temperature_c: float = 20.0
    ambient_ua_w_k: float = 3.0
    feed_temperature_c: float = 20.0
    #: Heat of respiration, kJ per mol O₂ (Cooney et al. 1969).
    heat_per_o2_kj_mol: float = 460.0

    # --- kinetics ---------------------------------------------------------------------------
    #: PenSim μx = 0.092 1/h.
    mu_max_1_h: float = 0.09
    #: Monod constant for glucose (PenSim's Contois Kx = 0.15 used as Ks in g/l; assumed).
    ks_glucose_g_l: float = 0.15
    #: DO half-saturation for growth and maintenance (IndPenSim's critical 10 % for growth).
    ko_do_pct: float = 5.0
    #: Cardinal temperatures (P. chrysogenum grows ~5-35 °C, optimum 25; assumed).
    t_min_c: float = 5.0
    t_opt_c: float = 25.0
    t_max_c: float = 35.0
    #: Cardinal pH values (assumed for a filamentous fungus; optimum at IndPenSim's 6.5).
    ph_min: float = 3.0
    ph_opt: float = 6.5
    ph_max: float = 9.0
    yxs_g_g: float = 0.45
    maintenance_g_g_h: float = 0.014
    #: Glucose half-saturation of maintenance: served first, down to a trace of glucose, so
    #: a starving culture keeps respiring while it stops growing (assumed).
    maintenance_ks_glucose_g_l: float = 0.002
    death_rate_1_h: float = 0.0
    #: Specific production rate: PenSim's μp = 0.005 raised so that the titre reaches
    #: IndPenSim's order of magnitude (tens of g/l) in 230 h (assumed).
    qp_max_g_g_h: float = 0.008
    #: Substrate saturation and inhibition of production (PenSim: Kp = 2e-4, KI = 0.1 g/l).
    kp_glucose_g_l: float = 0.0002
    ki_glucose_g_l: float = 0.1
    #: DO half-saturation of production (IndPenSim: critical 30 % for production).
    kop_do_pct: float = 15.0
    yps_g_g: float = 0.9
    #: Penicillin hydrolysis (PenSim 0.04 1/h; lower with a modern, buffered process; assumed).
    hydrolysis_1_h: float = 0.002
    #: O₂ demand, mmol O₂ per g of biomass formed / per g glucose for maintenance / per g
    #: product: PenSim Yx/o = 0.04, complete oxidation of glucose (6 mol O₂ per 180 g, which
    #: gives PenSim's mo = 0.467 mmol/(g·h) with ms = 0.014), PenSim Yp/o = 0.2.
    o2_per_biomass_mmol_g: float = 25.0
    o2_per_glucose_mmol_g: float = 33.3
    o2_per_product_mmol_g: float = 5.0

    # --- pH ---------------------------------------------------------------------------------
    #: Protons released per g of biomass formed (ammonium uptake, ~0.2 N per C-mol) and per
    #: g of penicillin (a carboxylic acid, 334 g/mol).
    acid_per_biomass_mmol_g: float = 8.0
    acid_per_product_mmol_g: float = 3.0
    #: Base titrant: 25 % ammonia solution (13.3 mol/l); peristaltic pump up to 0.2 l/h.
    base_concentration_mol_l: float = 13.3
    base_pump_max_l_h: float = 0.2
    #: Buffer: background capacity plus a phosphate buffer (pKa2 7.2), mmol/l.
    buffer_background_mmol_l_ph: float = 10.0
    buffer_phosphate_mmol_l: float = 50.0
    buffer_pka: float = 7.2

    # --- feed ---------------------------------------------------------------------------------
    #: Glucose in the feed (IndPenSim c_s = 600 g/l).
    glucose_feed_g_l: float = 600.0
    feed_pump_max_l_h: float = 0.5
    recipe: FeedRecipe = field(
        default_factory=indpensim_recipe, metadata=plain_as(FeedRecipe.to_list, FeedRecipe.from_steps)
    )
    continuous_harvest: bool = False

    # --- initial state (IndPenSim: 58 m³, pH 6.5, ~25 °C; 15 g/l batch glucose as PenSim) ---
    initial_volume_l: float = 58.0
    initial_biomass_g_l: float = 0.5
    initial_glucose_g_l: float = 15.0
    initial_titre_g_l: float = 0.0
    initial_temperature_c: float = 25.0
    initial_ph: float = 6.5

    # --- setpoints and tunings ----------------------------------------------------------------
    temperature_setpoint_c: float = 25.0
    ph_setpoint: float = 6.5
    do_setpoint_pct: float = 30.0
    #: Split range, −100 % full cooling … +100 % full heating. PID (Ti = 20 min, Td = 60 s):
    #: the derivative brakes the approach while the jacket still holds heat, so a 2 K step
    #: overshoots by ~0.1 K instead of ~0.8 K with PI.
    temperature_tuning: PidTuning = field(
        default_factory=lambda: PidTuning(
            kp=80.0, ki=80.0 / 1200.0, kd=80.0 * 60.0, out_min=-100.0, out_max=100.0, derivative_filter_s=10.0
        )
    )
    #: Base pump %: an integrating process (~5e-6 pH/s per %) with base only (no acid), so
    #: P-dominant: a small integral removes the offset of the acid load without overshoot.
    ph_tuning: PidTuning = field(default_factory=lambda: PidTuning(kp=600.0, ki=0.02, out_min=0.0, out_max=100.0))
    #: Output in rpm (the agitation setpoint); limits set from the agitation range.
    do_tuning: PidTuning = field(default_factory=lambda: PidTuning(kp=3.0, ki=0.1, out_min=200.0, out_max=800.0))

    # --- PAT and randomness -----------------------------------------------------------------
    pat: PatParams = field(default_factory=PatParams)
    #: Seed of the unit's random numbers (the analyser's spectral noise).
    seed: int = 0

    def __post_init__(self) -> None:
        if not isinstance(self.recipe, FeedRecipe):
            raise ValueError("recipe must be a FeedRecipe (use FeedRecipe.from_steps)")
        temps = ("ambient_temperature_c", "feed_temperature_c", "cooling_water_temperature_c",
                 "hot_water_temperature_c", "condenser_temperature_c", "t_min_c", "t_opt_c", "t_max_c",
                 "initial_temperature_c", "temperature_setpoint_c")  # fmt: skip
        # Checked below with their allowed range in the message.
        ranged = ("initial_volume_l", "ph_setpoint", "do_setpoint_pct", "initial_ph", "aeration_l_min",
                  "head_pressure_bar_g")  # fmt: skip
        check_fields(
            self,
            positive=(
                "vessel_volume_l", "vessel_diameter_m", "impeller_diameter_m", "impeller_count",
                "impeller_power_number", "agitation_max_rpm", "agitation_ramp_rpm_s", "kla_coefficient",
                "kla_broth_factor", "broth_density_kg_l", "broth_cp_j_kg_k", "jacket_volume_l",
                "mu_max_1_h", "ks_glucose_g_l", "yxs_g_g", "kp_glucose_g_l", "ki_glucose_g_l",
                "yps_g_g", "maintenance_ks_glucose_g_l", "base_concentration_mol_l", "buffer_background_mmol_l_ph",
                "glucose_feed_g_l", "feed_pump_max_l_h", "base_pump_max_l_h", "heat_per_o2_kj_mol",
            ),
            signed=temps + ranged,
            whole=("seed",),
            flags=("continuous_harvest",),
            got=True,
        )  # fmt: skip
        check_range("initial_volume_l", self.initial_volume_l, 0.0, self.vessel_volume_l, "l", open_lo=True)
        check_range("ph_setpoint", self.ph_setpoint, *SETPOINT_RANGES["ph_sp"])
        check_range("temperature_setpoint_c", self.temperature_setpoint_c, *SETPOINT_RANGES["temperature_sp"])
        check_range("do_setpoint_pct", self.do_setpoint_pct, *SETPOINT_RANGES["do_sp"])
        check_range("initial_ph", self.initial_ph, 2.0, 12.0, "pH")
        check_range("initial_temperature_c", self.initial_temperature_c, 0.0, 60.0, "°C")
        check_range("aeration_l_min", self.aeration_l_min, 0.0, 150.0, "l/min")
        check_range("head_pressure_bar_g", self.head_pressure_bar_g, 0.0, 1.5, "bar g")
        check_range("condenser_temperature_c", self.condenser_temperature_c, 0.0, 40.0, "°C")
        if not self.t_min_c < self.t_opt_c < self.t_max_c:
            raise ValueError("cardinal temperatures must satisfy t_min_c < t_opt_c < t_max_c")
        if not self.t_opt_c > 0.5 * (self.t_min_c + self.t_max_c):
            raise ValueError("the CTMI model needs t_opt_c above the mid-point of t_min_c and t_max_c")
        if not self.ph_min < self.ph_opt < self.ph_max:
            raise ValueError("cardinal pH values must satisfy ph_min < ph_opt < ph_max")
        if not self.agitation_min_rpm < self.agitation_max_rpm:
            raise ValueError("agitation_min_rpm must be below agitation_max_rpm")
        check_range(
            "initial_agitation_rpm", self.initial_agitation_rpm, self.agitation_min_rpm, self.agitation_max_rpm, "rpm"
        )
        if not self.impeller_diameter_m < self.vessel_diameter_m:
            raise ValueError("impeller_diameter_m must be smaller than vessel_diameter_m")
        for i, s in enumerate(self.recipe.steps, start=1):
            if s.feed_rate_l_h > self.feed_pump_max_l_h:
                name = f" ({s.name!r})" if s.name else ""
                raise ValueError(
                    f"recipe step {i}{name}: feed_rate_l_h = {s.feed_rate_l_h} exceeds the feed pump's "
                    f"{self.feed_pump_max_l_h} l/h (feed_pump_max_l_h)"
                )
        self.temperature_tuning.check_limits("temperature_tuning", -100.0, 100.0)  # split range: cooling < 0
        self.ph_tuning.check_limits("ph_tuning", 0.0, 100.0)


def _spec(name: str, desc: str, unit: str, lo: float, hi: float, kind: Any, **kw: Any) -> TagSpec:
    return TagSpec(name, desc, unit, float(lo), float(hi), kind=kind, **kw)


#: Columns of the raw record (internal state) that :meth:`Bioreactor.simulate` stores per row.
RAW_FIELDS: tuple[str, ...] = (
    "t_s", "m_x", "m_s", "m_p", "do", "temp", "tj", "ph", "vol", "cons_g", "harv_g", "agit",
    "feed_l_h", "base_l_h", "evap_l_h", "harvest_l_h", "aer", "pres", "temperature_sp",
    "temperature_mode", "temperature_out", "ph_sp", "ph_mode", "ph_out", "do_sp", "do_mode",
    "do_out", "feed_mode", "glucose_pat", "titre_pat", "feed_tot", "base_tot", "evap_tot",
    "harv_tot", "glc_fed", "recipe_step", "growth_f", "kla_f", "ua_f", "jacket_valve", "base_pump",
    "agitator", "feed_cmd", "leak_tot", "leak_g", *PAT_TAGS,
)  # fmt: skip
_R = {name: i for i, name in enumerate(RAW_FIELDS)}
#: Where the compiled loop's fields (:data:`models.bioreactor_core.ROW_FIELDS`) go in a raw record,
#: and where the analyser's go (filled between scans).
_CORE_COLS = np.array([_R[name] for name in core.ROW_FIELDS], dtype=np.int64)
_PAT_COLS = np.array([_R[name] for name in ("glucose_pat", "titre_pat", *PAT_TAGS)], dtype=np.int64)
assert sorted([*_CORE_COLS, *_PAT_COLS]) == list(range(len(RAW_FIELDS))), "every raw field is written once"


class Bioreactor(FaultHookDefaults):
    """Fed-batch bioreactor: process model, PID loops, feed recipe and Raman PAT analyser.

    Implements :class:`models.unit.Unit` (``unit_type = "bioreactor"``). See the module
    docstring for the model, :meth:`tag_specs` for the tags.

    Parameters
    ----------
    params : BioreactorParams, optional
        Physical and kinetic parameters, recipe, initial state, setpoints and tunings.

    Attributes
    ----------
    pids : dict[str, Pid]
        The controllers by loop name (``temperature``, ``ph``, ``do``), for inspection;
        change modes, setpoints and outputs through :meth:`write`.
    pat : PatAnalyser
        The Raman analyser (its latest spectrum, calibration figures such as RMSEP).
    disturbances : Disturbances
        Values of :attr:`DISTURBANCES`, read every step; the fault layer sets them.
    actuators : ActuatorHooks
        Effective positions of :attr:`ACTUATORS`; a fault may hold one (stuck, deadband).

    Notes
    -----
    The controllers see the probes' values through ``feedback`` (a sensor fault moves the
    process), without the sensor noise, which is the runtime's job (``TagSpec.noise_sd``).
    The PAT predictions carry their own error (from the spectral noise and the calibration),
    so their ``noise_sd`` is 0.

    Examples
    --------
    A temperature setpoint step settles within a few minutes:

    >>> br = Bioreactor()
    >>> br.write("temperature_sp", 28.0)
    >>> for _ in range(1800):
    ...     br.step(1.0)
    >>> round(br.read()["temperature"], 1)
    28.0

    Fast batch generation (noise-free values, one row per ``record_every`` steps):

    >>> data = Bioreactor().simulate(600.0, dt_s=1.0, record_every=60)
    >>> float(data["time_s"][-1]), len(data["biomass"])
    (600.0, 10)
    """

    unit_type: str = "bioreactor"

    #: Disturbances the fault layer may set (see the module docstring).
    DISTURBANCES: ClassVar[dict[str, Disturbance]] = {
        "fouling.jacket": Disturbance(
            "Jacket fouling: fraction of the heat-transfer coefficient UA lost", "-", 0.0, 0.95
        ),
        "fouling.kla": Disturbance("Sparger fouling: fraction of kLa lost", "-", 0.0, 0.95),
        "contamination": Disturbance(
            "Contaminant or inhibitor: fraction of the specific growth rate lost", "-", 0.0, 1.0
        ),
        "feed_concentration": Disturbance(
            "Relative error of the feed's glucose concentration (-0.2 = 20 % too dilute)", "-", -0.9, 1.0
        ),
        "leak": Disturbance("Broth leak (volume and weight drop)", "l/h", 0.0, 0.5),
        "raman_out_of_calibration": Disturbance(
            "New raw-material lot: interferent absent from the Raman calibration, in the broth (spectra only)",
            "g/l",
            0.0,
            50.0,
        ),
        "heater_failure": Disturbance(
            "Hot-water supply failure: fraction of the jacket's heating (hot-water) flow lost", "-", 0.0, 1.0
        ),
    }
    #: Actuators whose effective position a fault may take over.
    ACTUATORS: ClassVar[dict[str, str]] = {
        "jacket_valve": "Jacket split-range valves, temperature controller output, % (< 0 cooling, > 0 heating)",
        "base_pump": "Base pump, pH controller output, %",
        "agitator": "Agitator drive speed setpoint, DO controller output, rpm (before the drive's ramp)",
        "feed_pump": "Glucose feed pump rate (recipe or manual), l/h",
    }

    def __init__(self, params: BioreactorParams | None = None) -> None:
        p = params if params is not None else BioreactorParams()
        # The loops regulate on what the probes show: a drifting pH probe moves the real pH.
        declare_fault_hooks(self, self.DISTURBANCES, self.ACTUATORS, feedback=dict.fromkeys(LOOPS, False))
        self._set_params(p)
        self._t = 0.0
        v0 = p.initial_volume_l
        self._m_x = p.initial_biomass_g_l * v0
        self._m_s = p.initial_glucose_g_l * v0
        self._m_p = p.initial_titre_g_l * v0
        self._vol = v0
        self._temp = p.initial_temperature_c
        self._tj = p.initial_temperature_c
        self._ph = p.initial_ph
        self._agit = p.initial_agitation_rpm
        self._aer = p.aeration_l_min
        self._pres = p.head_pressure_bar_g
        self._do = self._do_equilibrium_pct(p.head_pressure_bar_g, _Y_O2_AIR)
        self._cons = 0.0
        self._harv = 0.0
        self._feed_auto = True
        self._feed_manual = 0.0
        self._feed_l_h = 0.0
        self._base_l_h = 0.0
        self._evap_l_h = 0.0
        self._harvest_l_h = 0.0
        self._feed_tot = self._base_tot = self._evap_tot = self._harv_tot = self._glc_fed = 0.0
        self._leak_tot = self._leak_g = 0.0
        self._dist_step = self.disturbances.snapshot()
        # Recipe volume at the end of the last step, keyed by (time, recipe): see step.
        self._feed_vol_key: tuple[float, FeedRecipe] | None = None
        self._feed_vol_end = 0.0
        # Effective actuator positions of the last step (the controllers' initial outputs).
        self._feed_cmd = 0.0
        self._jv_pos = self._bp_pos = 0.0
        self._agit_cmd = p.initial_agitation_rpm
        self.pids: dict[str, Pid] = {
            "temperature": Pid(p.temperature_tuning, p.temperature_setpoint_c, auto=True, output=0.0),
            "ph": Pid(p.ph_tuning, p.ph_setpoint, auto=True, output=0.0),
            "do": Pid(self._do_tuning(p), p.do_setpoint_pct, auto=True, output=p.initial_agitation_rpm),
        }
        self.pat = PatAnalyser(p.pat, seed=int(p.seed))
        self._pat_scan()
        self._specs = self._build_specs()

    # -- parameters ----------------------------------------------------------------------------
    @property
    def params(self) -> BioreactorParams:
        """The parameters; assigning new ones (e.g. a process fault) keeps the state and the
        analyser and applies the ``*_tuning`` fields to the controllers."""
        return self._params

    @params.setter
    def params(self, params: BioreactorParams) -> None:
        self._set_params(params)
        if params.pat != self.pat.params:
            self.pat.set_params(params.pat)
        for loop in LOOPS:
            tuning = self._do_tuning(params) if loop == "do" else getattr(params, f"{loop}_tuning")
            self.pids[loop].tuning = tuning
        self._specs = self._build_specs()

    @staticmethod
    def _do_tuning(p: BioreactorParams) -> PidTuning:
        """The DO controller's output is the agitation setpoint: clip its limits to the drive."""
        t = p.do_tuning
        lo = max(t.out_min, p.agitation_min_rpm)
        hi = min(t.out_max, p.agitation_max_rpm)
        if not lo < hi:
            lo, hi = p.agitation_min_rpm, p.agitation_max_rpm
        return PidTuning(t.kp, t.ki, t.kd, lo, hi, t.derivative_filter_s)

    def _set_params(self, p: BioreactorParams) -> None:
        self._params = p
        self._recipe = p.recipe
        self._recipe_rows: np.ndarray | None = None  # FeedRecipe.as_array, made when the batch loop needs it
        # Sub-expressions that depend on the parameters only, evaluated once (same operations
        # in the same order, so the results are bit-identical).
        self._c = core.constants(p)
        self._kla_min = self._c[core.MASS_TRANSFER][-1]

    # -- algebraic helpers -----------------------------------------------------------------------
    def _do_equilibrium_pct(self, p_g: float, y_o2: float) -> float:
        """DO in equilibrium with the gas, in % of air saturation at 1 atm."""
        return 100.0 * (_P_ATM_BAR + p_g) / _P_ATM_BAR * (y_o2 / _Y_O2_AIR)

    def _kla_per_s(self, n_rpm: float, aer_l_min: float, p_g: float, temp: float, vol_l: float) -> tuple[float, float]:
        """``(kLa [1/s], gassed power [W])`` at the given agitation, aeration and volume."""
        return kla_per_s(self._c, n_rpm, aer_l_min, p_g, temp, vol_l)

    # -- Unit protocol: step -------------------------------------------------------------------
    def step(self, dt_s: float) -> None:
        """Advance process, controllers, feed and analyser by ``dt_s`` simulated seconds.

        1. The controllers act once, on the measured values at the start of the step. 2. The
        actuators are held over the step: feed (the recipe's mean, :meth:`_feed_command`, or
        the manual rate), base pump, agitator ramp. 3. The process
        (:func:`models.bioreactor_core.advance`): mass transfer, jacket, flows and kinetic
        coefficients held over the step, RK4 in as many sub-steps as stability needs, the
        batch totals. 4. The analyser's scan when one is due.
        """
        dt = float(dt_s)
        if not (dt > 0.0 and dt < math.inf):
            raise ValueError(f"dt_s must be a positive finite number of seconds, got {dt_s!r}")
        temp, ph, do = self._temp, self._ph, self._do
        # One call for all of them (cheaper than six look-ups); read() derives kLa, μ and the
        # jacket's heat flow with the same values, held like every other input of the step.
        dist = self._dist_step = self.disturbances.snapshot()
        # 1. Controllers, once per step, on the measurements at the start of the step (what the
        #    probes show: a sensor fault moves the process; None = failed, the output holds);
        #    their outputs reach the process through the actuator hooks (a fault may hold them).
        pids = self.pids
        hook = self.actuators.__call__  # bound once: it is called four times per step
        fb = self.feedback
        if fb.active:
            pv_t, pv_ph, pv_do = fb.measure("temperature", temp), fb.measure("ph", ph), fb.measure("do", do)
        else:  # no sensor fault: no look-ups in the inner loop
            pv_t, pv_ph, pv_do = temp, ph, do
        u_t = hook("jacket_valve", pids["temperature"].update(pv_t, dt))
        u_ph = hook("base_pump", pids["ph"].update(pv_ph, dt))
        n_sp = hook("agitator", pids["do"].update(pv_do, dt))
        # 2. Actuators held over the step.
        feed_cmd = self._feed_command(dt) if self._feed_auto else self._feed_manual
        feed_l_h = hook("feed_pump", feed_cmd)
        # 3. The process.
        inputs = (
            u_t, u_ph, n_sp, feed_l_h, self._aer, self._pres, dist["fouling.kla"], dist["fouling.jacket"],
            dist["heater_failure"], dist["leak"], dist["feed_concentration"], dist["contamination"],
        )  # fmt: skip
        state, (self._base_l_h, self._evap_l_h, self._harvest_l_h) = advance(self._c, self._state(), inputs, dt)
        self._set_state(state)
        self._feed_l_h = feed_l_h
        self._feed_cmd, self._jv_pos, self._bp_pos, self._agit_cmd = feed_cmd, u_t, u_ph, n_sp
        # 4. The analyser, when a scan is due.
        if self._t >= self.pat.next_scan_s:
            self._pat_scan()

    def _state(self) -> tuple[float, ...]:
        """The :data:`models.bioreactor_core.STATE` tuple."""
        return (
            self._t, self._m_x, self._m_s, self._m_p, self._do, self._temp, self._tj, self._ph, self._vol,
            self._agit, self._cons, self._harv, self._feed_tot, self._glc_fed, self._base_tot, self._evap_tot,
            self._harv_tot, self._leak_tot, self._leak_g,
        )  # fmt: skip

    def _set_state(self, s: tuple[float, ...]) -> None:
        (self._t, self._m_x, self._m_s, self._m_p, self._do, self._temp, self._tj, self._ph, self._vol,
         self._agit, self._cons, self._harv, self._feed_tot, self._glc_fed, self._base_tot, self._evap_tot,
         self._harv_tot, self._leak_tot, self._leak_g) = s  # fmt: skip

    def _feed_command(self, dt: float) -> float:
        """The recipe's mean feed rate over the step, l/h."""
        # FeedRecipe.mean_rate_l_h with the recipe volume at t kept from the previous step,
        # where it was the end of the step (same values, one recipe look-up fewer).
        recipe, t = self._recipe, self._t
        t1 = t + dt
        v0 = self._feed_vol_end if self._feed_vol_key == (t, recipe) else recipe.volume_l(t)
        v1 = recipe.volume_l(t1)
        self._feed_vol_key, self._feed_vol_end = (t1, recipe), v1
        return (v1 - v0) * 3600.0 / (t1 - t)

    def _pat_scan(self) -> None:
        v = self._vol
        self.pat.measure(
            self._m_s / v, self._m_p / v, self._m_x / v, self._temp, self.disturbances["raman_out_of_calibration"]
        )

    # -- batch generation ------------------------------------------------------------------------
    def _raw(self) -> tuple[float, ...]:
        """The internal record of :data:`RAW_FIELDS` (everything :meth:`read` derives from)."""
        pids = self.pids
        pt, pp, pd = pids["temperature"], pids["ph"], pids["do"]
        dist = self._dist_step  # the values the last step used
        return (
            self._t, self._m_x, self._m_s, self._m_p, self._do, self._temp, self._tj, self._ph,
            self._vol, self._cons, self._harv, self._agit, self._feed_l_h, self._base_l_h,
            self._evap_l_h, self._harvest_l_h, self._aer, self._pres,
            pt.setpoint, float(pt.auto), pt.output, pp.setpoint, float(pp.auto), pp.output,
            pd.setpoint, float(pd.auto), pd.output, float(self._feed_auto),
            self.pat.glucose, self.pat.titre, self._feed_tot, self._base_tot, self._evap_tot,
            self._harv_tot, self._glc_fed, float(self._recipe.step_index(self._t)),
            1.0 - dist["contamination"], 1.0 - dist["fouling.kla"], 1.0 - dist["fouling.jacket"],
            self._jv_pos, self._bp_pos, self._agit_cmd, self._feed_cmd, self._leak_tot, self._leak_g,
            *self.pat.outputs,
        )  # fmt: skip

    def simulate(
        self,
        duration_s: float,
        dt_s: float = 1.0,
        record_every: int = 1,
        progress: Callable[[int, int], None] | None = None,
    ) -> dict[str, np.ndarray]:
        """Step for ``duration_s`` and return noise-free tag values as arrays.

        The unit is stepped with :meth:`step` exactly as the runtime steps it, so the values
        equal those of :meth:`read` after the same steps; only the derived tags are computed
        in bulk at the end. Rows are taken after steps ``k·record_every``, ``k = 1…n``.

        Parameters
        ----------
        duration_s : float
            Simulated time; ``round(duration_s / dt_s)`` steps are taken.
        dt_s : float
            Step, seconds (the runtime's is 1 s).
        record_every : int
            Keep one row every so many steps.
        progress : callable, optional
            Called as ``progress(steps_done, steps_total)`` about every 1 % of the run.

        Returns
        -------
        dict[str, numpy.ndarray]
            ``time_s`` (seconds since the batch start) and every tag of :meth:`tag_specs`.
        """
        dt = float(dt_s)
        if not (dt > 0.0 and math.isfinite(dt)):
            raise ValueError(f"dt_s must be a positive finite number of seconds, got {dt_s!r}")
        if int(record_every) != record_every or record_every < 1:
            raise ValueError(f"record_every must be an integer >= 1, got {record_every!r}")
        if not (duration_s >= 0.0 and math.isfinite(duration_s)):
            raise ValueError(f"duration_s must be a finite number of seconds >= 0, got {duration_s!r}")
        every = int(record_every)
        n_steps = round(duration_s / dt)
        n_rows = n_steps // every
        mat = np.zeros((n_rows, len(RAW_FIELDS)))
        kernel = self._batch_kernel()
        if kernel is not None:
            self._run_compiled(kernel, n_steps, dt, every, mat, progress)
        else:
            self._run_stepped(n_steps, dt, every, mat, progress)
        return {"time_s": mat[:, _R["t_s"]].copy(), **self._tags(mat)}

    def _run_stepped(
        self, n_steps: int, dt: float, every: int, mat: np.ndarray, progress: Callable[[int, int], None] | None
    ) -> None:
        """:meth:`simulate`'s rows by :meth:`step` and :meth:`_raw` (any fault may act)."""
        n_rows = len(mat)
        chunk = max(1, n_rows // 100)
        step, raw = self.step, self._raw
        for row in range(n_rows):
            for _ in range(every):
                step(dt)
            mat[row] = raw()
            if progress is not None and (row + 1) % chunk == 0:
                progress((row + 1) * every, n_steps)
        for _ in range(n_steps - n_rows * every):
            step(dt)
        if progress is not None:
            progress(n_steps, n_steps)

    def _batch_kernel(self) -> Callable[..., Any] | None:
        """The compiled :func:`models.bioreactor_core.run_steps`, when it gives what :meth:`step` would.

        ``None`` while an actuator or sensor fault is set (their hooks act inside the step, in
        Python), or without Numba.
        """
        if self.actuators.active() or self.feedback.active:
            return None
        try:
            from models import jit, pid
        except ImportError:  # pragma: no cover - numba is a dependency
            return None
        try:
            return jit.compiled(
                core.run_steps,
                helpers=(
                    pid.pid_step, core.cardinal_temperature, core.cardinal_ph, core.o2_saturation_mmol_l,
                    core.offgas_o2, core.segment_volume, core.recipe_volume, core.recipe_step_index, core.constants,
                    core.kla_per_s, core.integrate, core.advance, core._pid_row,
                ),
                modules=(core, pid),
            )  # fmt: skip
        except ImportError:  # pragma: no cover - numba missing: the stepped path
            return None

    def _run_compiled(
        self, kernel: Callable[..., Any], n_steps: int, dt: float, every: int, mat: np.ndarray,
        progress: Callable[[int, int], None] | None,
    ) -> None:  # fmt: skip
        """:meth:`simulate`'s rows by the compiled loop, handing over to the analyser at each scan.

        The loop writes every field but the analyser's; those are constant between scans and
        filled here, row ranges at a time. The result equals :meth:`_run_stepped`'s.
        """
        if self._recipe_rows is None:
            self._recipe_rows = self._recipe.as_array()
        dist = self._dist_step = self.disturbances.snapshot()
        pid = np.array([self.pids[loop].as_row() for loop in LOOPS])
        e = np.array(
            [
                float(self._feed_auto), self._feed_manual, self._feed_cmd, self._feed_l_h, self._base_l_h,
                self._evap_l_h, self._harvest_l_h, self._jv_pos, self._bp_pos, self._agit_cmd, self._aer,
                self._pres, dist["fouling.kla"], dist["fouling.jacket"], dist["heater_failure"], dist["leak"],
                dist["feed_concentration"], dist["contamination"],
            ]
        )  # fmt: skip
        pat, raman = self.pat, dist["raman_out_of_calibration"]
        state, done, filled = self._state(), 0, 0
        report = max(1, n_steps // 100)
        while done < n_steps:
            before = done
            done, state = kernel(self._c, state, pid, e, self._recipe_rows, n_steps, dt, every, done,
                                 pat.next_scan_s, mat, _CORE_COLS)  # fmt: skip
            rows = done // every
            if state[0] >= pat.next_scan_s:  # the scan of the step just taken, as step() makes it
                scan_row = done % every == 0
                mat[filled : rows - scan_row, _PAT_COLS] = self._pat_values()
                v = state[8]
                pat.measure(state[2] / v, state[3] / v, state[1] / v, state[5], raman)
                if scan_row:
                    mat[rows - 1, _PAT_COLS] = self._pat_values()
            else:
                mat[filled:rows, _PAT_COLS] = self._pat_values()
            filled = rows
            if progress is not None and done // report > before // report:
                progress(done, n_steps)
        # Back into the unit: the state, the controllers, the flows and the actuators' positions.
        self._set_state(state)
        for loop, row in zip(LOOPS, pid, strict=True):
            self.pids[loop].load_row(row)
        (self._feed_cmd, self._feed_l_h, self._base_l_h, self._evap_l_h, self._harvest_l_h, self._jv_pos,
         self._bp_pos, self._agit_cmd) = (float(v) for v in e[2:10])  # fmt: skip
        self._feed_vol_key = None
        if done:
            for name, value in zip(self.ACTUATORS, (self._jv_pos, self._bp_pos, self._agit_cmd, self._feed_l_h),
                                   strict=True):  # fmt: skip
                self.actuators(name, value)  # no fault is set: records the position
        if progress is not None:
            progress(n_steps, n_steps)

    def _pat_values(self) -> tuple[float, ...]:
        """The analyser's fields of the raw record (:data:`_PAT_COLS`), as :meth:`_raw` has them."""
        return (self.pat.glucose, self.pat.titre, *self.pat.outputs)

    # -- Unit protocol: tags ---------------------------------------------------------------------
    def tag_specs(self) -> list[TagSpec]:
        """All tags, in display order: sensors, PAT, loop tags, feed and gas, true states.

        The critical process parameters carry ICH Q8 bands around the recipe setpoints
        (``BioreactorParams``): temperature NOR ±0.5 K, PAR ±2 K; pH NOR ±0.1, PAR ±0.3; DO
        NOR from 5 % and PAR from 15 % below its setpoint, no upper limit (assumed; a
        validation campaign would set them).
        """
        return list(self._specs.values())

    def _build_specs(self) -> dict[str, TagSpec]:
        p = self._params
        n_lo, n_hi = p.agitation_min_rpm, p.agitation_max_rpm
        t_sp, ph_sp, do_sp = p.temperature_setpoint_c, p.ph_setpoint, p.do_setpoint_pct
        # The bands hold while the fed-batch recipe runs (recipe_step 1..n; 0 once it has ended).
        fed = ("recipe_step", tuple(range(1, len(p.recipe.steps) + 1)))
        cal = calibrated_ranges(p.pat)  # not the fitted models: building a plant for its tags stays quick
        specs = [
            _spec("temperature", "Broth temperature (PT100)", "°C", 0, 50, "measurement", noise_sd=0.02,
                  loop="temperature", nor=(t_sp - 0.5, t_sp + 0.5), par=(t_sp - 2.0, t_sp + 2.0), bands_when=fed),
            _spec("ph", "Broth pH (glass electrode)", "pH", 2, 12, "measurement", noise_sd=0.005, loop="ph",
                  nor=(ph_sp - 0.1, ph_sp + 0.1), par=(ph_sp - 0.3, ph_sp + 0.3), bands_when=fed),
            _spec("do", "Dissolved oxygen, % of air saturation at 1 atm", "%", 0, 200, "measurement",
                  noise_sd=0.3, loop="do", nor=(max(do_sp - 5.0, 0.0), 200.0), par=(max(do_sp - 15.0, 0.0), 200.0),
                  bands_when=fed),
            _spec("agitation", "Agitator speed (actual)", "rpm", 0, 1000, "measurement", noise_sd=1.0, loop="do"),
            _spec("aeration_flow", "Air flow (mass-flow meter), normal l/min", "l/min", 0, 150, "measurement",
                  noise_sd=0.2),
            _spec("pressure", "Head pressure (gauge)", "bar", 0, 2, "measurement", noise_sd=0.005),
            _spec("weight", "Broth weight (load cells, tare removed)", "kg", 0,
                  round(1.2 * p.vessel_volume_l * p.broth_density_kg_l, 6), "measurement", noise_sd=0.05),
            _spec("feed_flow", "Glucose feed flow (feed balance)", "l/h", 0, p.feed_pump_max_l_h, "measurement",
                  noise_sd=0.001, loop="feed"),
            _spec("base_flow", "Base (NH4OH) flow", "l/h", 0, p.base_pump_max_l_h, "measurement", noise_sd=0.001,
                  loop="ph"),
            _spec("jacket_temperature", "Jacket water temperature", "°C", 0, 100, "measurement", noise_sd=0.05,
                  loop="temperature"),
            _spec("offgas_o2", "Off-gas O2, dry", "%", 0, 25, "measurement", noise_sd=0.01),
            _spec("offgas_co2", "Off-gas CO2, dry", "%", 0, 10, "measurement", noise_sd=0.01),
            _spec("glucose_pat", "Glucose, Raman PAT (PLS prediction, held between scans)", "g/l", -5, 50,
                  "measurement", calibrated=cal["glucose"]),
            _spec("titre_pat", "Penicillin titre, Raman PAT (PLS prediction, held between scans)", "g/l", -5, 50,
                  "measurement", calibrated=cal["titre"]),
            *bioreactor_pat_specs(),
        ]  # fmt: skip
        outs = {
            "temperature": ("%", -100.0, 100.0, "jacket valves, < 0 cooling, > 0 heating"),
            "ph": ("%", 0.0, 100.0, "base pump speed"),
            "do": ("rpm", n_lo, n_hi, "agitation setpoint (cascade)"),
        }
        what = {"temperature": "Broth temperature", "ph": "pH", "do": "DO"}
        for loop in LOOPS:
            lo, hi, unit = SETPOINT_RANGES[f"{loop}_sp"]
            o_unit, o_lo, o_hi, o_what = outs[loop]
            specs += [
                _spec(f"{loop}_sp", f"{what[loop]} setpoint", unit, lo, hi, "setpoint", loop=loop),
                _spec(f"{loop}_mode", f"{loop} loop mode, 0 = manual, 1 = auto", "", 0, 1, "mode", loop=loop),
                _spec(f"{loop}_out", f"{loop} controller output ({o_what})", o_unit, o_lo, o_hi, "output",
                      loop=loop),
            ]  # fmt: skip
        specs += [
            _spec("feed_mode", "Feed mode, 1 = recipe, 0 = manual", "", 0, 1, "mode", loop="feed",
                  states={0: "state.mode.manual", 1: "state.mode.recipe"}),
            _spec("feed_out", "Glucose feed pump rate (recipe or manual)", "l/h", 0, p.feed_pump_max_l_h,
                  "output", loop="feed"),
            _spec("jacket_valve_position", "Jacket valves, actual (< 0 cooling, > 0 heating)", "%", -100, 100,
                  "state", loop="temperature"),
            _spec("base_pump_position", "Base pump speed, actual", "%", 0, 100, "state", loop="ph"),
            _spec("agitator_position", "Agitator drive speed setpoint, actual (the drive ramps to it)", "rpm",
                  n_lo, n_hi, "state", loop="do"),
            _spec("feed_pump_position", "Glucose feed pump rate, actual", "l/h", 0, p.feed_pump_max_l_h, "state",
                  loop="feed"),
            _spec("aeration_sp", "Air flow setpoint, normal l/min", "l/min", 0, 150, "setpoint"),
            _spec("pressure_sp", "Head pressure setpoint (gauge)", "bar", 0, 1.5, "setpoint"),
            _spec("biomass", "Biomass (dry cell weight), true", "g/l", 0, 100, "state"),
            _spec("glucose", "Glucose, true", "g/l", 0, 100, "state"),
            _spec("titre", "Penicillin titre, true", "g/l", 0, 100, "state"),
            _spec("volume", "Broth volume", "l", 0, p.vessel_volume_l, "state"),
            _spec("mu", "Specific growth rate", "1/h", 0, 0.5, "state"),
            _spec("qp", "Specific production rate", "g/(g·h)", 0, 0.05, "state"),
            _spec("our", "Oxygen uptake rate", "mmol/(l·h)", 0, 200, "state"),
            _spec("cer", "CO2 evolution rate", "mmol/(l·h)", 0, 200, "state"),
            _spec("kla", "Volumetric O2 transfer coefficient", "1/h", 0, 1000, "state"),
            _spec("power_per_volume", "Gassed agitation power per volume", "W/m³", 0, 20000, "state"),
            _spec("heat_metabolic", "Metabolic heat", "W", 0, 5000, "state"),
            _spec("heat_jacket", "Heat removed through the jacket (< 0: heating)", "W", -10000, 10000, "state"),
            _spec("batch_time", "Time since inoculation", "h", 0, 1000, "state"),
            _spec("recipe_step", "Recipe step (1-based; 0 after the last step)", "", 0,
                  len(p.recipe.steps), "state"),
            _spec("feed_total", "Glucose feed added", "l", 0, p.vessel_volume_l, "state"),
            _spec("base_total", "Base added", "l", 0, p.vessel_volume_l, "state"),
            _spec("evaporated_total", "Water evaporated with the off-gas", "l", 0, p.vessel_volume_l, "state"),
            _spec("harvest_flow", "Continuous harvest flow", "l/h", 0, 2 * p.feed_pump_max_l_h, "state"),
            _spec("harvest_total", "Broth harvested", "l", 0, 1e6, "state"),
            _spec("glucose_fed_total", "Glucose fed", "g", 0, 1e6, "state"),
            _spec("glucose_consumed_total", "Glucose consumed by the cells", "g", 0, 1e6, "state"),
            _spec("glucose_harvested_total", "Glucose removed with the harvest", "g", 0, 1e6, "state"),
            _spec("leak_total", "Broth lost through a leak", "l", 0, p.vessel_volume_l, "state"),
            _spec("glucose_leaked_total", "Glucose lost through a leak", "g", 0, 1e6, "state"),
        ]  # fmt: skip
        return {s.name: s for s in specs}

    def _tags(self, raw: np.ndarray) -> dict[str, np.ndarray]:
        """Every tag from raw records (rows of :data:`RAW_FIELDS`), in bulk."""
        out = self._derive({name: raw[:, i] for name, i in _R.items()}, _ARRAY_OPS)
        return {name: np.asarray(out[name], dtype=float) for name in self._specs}

    def _derive(self, col: Mapping[str, Any], ops: Any) -> dict[str, Any]:
        """Every tag from the raw record ``col``: floats with ``_SCALAR_OPS`` (read), arrays
        with ``_ARRAY_OPS`` (simulate). One set of formulas, so both paths agree."""
        p = self._params
        vol = col["vol"]
        x = col["m_x"] / vol
        s_true = col["m_s"] / vol
        s = ops.maximum(s_true, 0.0)
        prod = col["m_p"] / vol
        do = ops.maximum(col["do"], 0.0)
        temp, ph, agit, aer, p_g = col["temp"], col["ph"], col["agit"], col["aer"], col["pres"]
        ft = ops.cardinal_temperature(temp, p.t_min_c, p.t_opt_c, p.t_max_c)
        fph = ops.cardinal_ph(ph, p.ph_min, p.ph_opt, p.ph_max)
        fs = s / (p.ks_glucose_g_l + s)
        fo = do / (p.ko_do_pct + do)
        mu = p.mu_max_1_h * ft * fph * fs * fo * col["growth_f"]
        mm = p.maintenance_g_g_h * s / (p.maintenance_ks_glucose_g_l + s) * fo
        qp = (
            p.qp_max_g_g_h * ft * fph * s / (p.kp_glucose_g_l + s + s * s / p.ki_glucose_g_l)
            * do / (p.kop_do_pct + do)
        )  # fmt: skip
        our = x * (mu * p.o2_per_biomass_mmol_g + mm * p.o2_per_glucose_mmol_g + qp * p.o2_per_product_mmol_g)
        cer = p.respiratory_quotient * our
        gas_mmol_s = aer / 60.0 / _MOLAR_VOLUME_NL * 1000.0
        our_tot = our * vol / 3600.0
        dry_out = gas_mmol_s + (p.respiratory_quotient - 1.0) * our_tot
        y_o2 = ops.safe_div(ops.maximum(_Y_O2_AIR * gas_mmol_s - our_tot, 0.0), dry_out)
        y_co2 = ops.safe_div(_Y_CO2_AIR * gas_mmol_s + p.respiratory_quotient * our_tot, dry_out)
        kla, pg = ops.kla(self, agit, aer, p_g, temp, vol)
        kla = ops.maximum(kla * col["kla_f"], self._kla_min)  # unchanged when nominal (factor 1)
        tj = col["tj"]
        recipe_idx = col["recipe_step"]
        n_steps = len(p.recipe.steps)
        out: dict[str, Any] = {
            "temperature": temp,
            "ph": ph,
            "do": do,
            "agitation": agit,
            "aeration_flow": aer,
            "pressure": p_g,
            "weight": vol * p.broth_density_kg_l,
            "feed_flow": col["feed_l_h"],
            "base_flow": col["base_l_h"],
            "jacket_temperature": tj,
            "offgas_o2": 100.0 * y_o2,
            "offgas_co2": 100.0 * y_co2,
            "glucose_pat": col["glucose_pat"],
            "titre_pat": col["titre_pat"],
            **{name: col[name] for name in PAT_TAGS},
        }
        for loop in LOOPS:
            out[f"{loop}_sp"] = col[f"{loop}_sp"]
            out[f"{loop}_mode"] = col[f"{loop}_mode"]
            out[f"{loop}_out"] = col[f"{loop}_out"]
        out.update(
            feed_mode=col["feed_mode"],
            feed_out=col["feed_cmd"],
            jacket_valve_position=col["jacket_valve"],
            base_pump_position=col["base_pump"],
            agitator_position=col["agitator"],
            feed_pump_position=col["feed_l_h"],
            aeration_sp=aer,
            pressure_sp=p_g,
            biomass=x,
            glucose=s,
            titre=prod,
            volume=vol,
            mu=mu,
            qp=qp,
            our=our,
            cer=cer,
            kla=kla * 3600.0,
            power_per_volume=pg / (vol / 1000.0),
            heat_metabolic=our * vol / 3600.0 * p.heat_per_o2_kj_mol,
            heat_jacket=p.jacket_ua_w_k * col["ua_f"] * (temp - tj),
            batch_time=col["t_s"] / 3600.0,
            recipe_step=ops.select(recipe_idx < n_steps, recipe_idx + 1.0, 0.0),
            feed_total=col["feed_tot"],
            base_total=col["base_tot"],
            evaporated_total=col["evap_tot"],
            harvest_flow=col["harvest_l_h"],
            harvest_total=col["harv_tot"],
            glucose_fed_total=col["glc_fed"],
            glucose_consumed_total=col["cons_g"],
            glucose_harvested_total=col["harv_g"],
            leak_total=col["leak_tot"],
            glucose_leaked_total=col["leak_g"],
        )
        return out

    def read(self) -> dict[str, float]:
        """True (noise-free) value of every tag."""
        out = self._derive(dict(zip(RAW_FIELDS, self._raw(), strict=True)), _SCALAR_OPS)
        return {name: float(out[name]) for name in self._specs}

    # -- Unit protocol: write ------------------------------------------------------------------
    def write(self, tag: str, value: float) -> None:
        """Write a setpoint, mode or output tag.

        Besides the checks every unit makes (:func:`models.params.check_write`), an output is
        refused (``ValueError``) while its loop is in auto (``<loop>_mode = 1``,
        ``feed_mode = 1``).
        """
        v = check_write(
            self._specs, self.unit_type, tag, value, binary_text="0 (manual) or 1 (auto)", number_format="g"
        )
        if tag == "aeration_sp":
            self._aer = v
            return
        if tag == "pressure_sp":
            self._pres = v
            return
        if tag == "feed_mode":
            if v == 0.0 and self._feed_auto:
                self._feed_manual = self._feed_cmd  # bumpless: hold the current rate
            self._feed_auto = v == 1.0
            return
        if tag == "feed_out":
            require_manual(self._feed_auto, tag, "feed_mode")
            self._feed_manual = self._feed_cmd = v
            self._feed_l_h = self.actuators("feed_pump", v)  # a manual rate reaches the pump at once
            return
        loop, _, what = tag.rpartition("_")
        pid = self.pids[loop]
        if what == "sp":
            pid.setpoint = v
        elif what == "mode":
            pid.set_auto(v == 1.0)
        else:  # out
            require_manual(pid.auto, tag, f"{loop}_mode")
            pid.set_output(min(max(v, pid.tuning.out_min), pid.tuning.out_max))

    # -- Unit protocol: snapshot / restore -----------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """Whole state (parameters, controllers, analyser and its RNG) as plain JSON-able data."""
        return {
            "unit_type": self.unit_type,
            "version": 1,
            "params": self._params.to_dict(),
            "t_s": self._t,
            "x": [self._m_x, self._m_s, self._m_p, self._do, self._temp, self._tj, self._ph, self._vol],
            "agitation": self._agit,
            "aeration": self._aer,
            "pressure": self._pres,
            "feed_auto": self._feed_auto,
            "feed_manual": self._feed_manual,
            "rates": [self._feed_l_h, self._base_l_h, self._evap_l_h, self._harvest_l_h],
            "totals": [self._cons, self._harv, self._feed_tot, self._base_tot, self._evap_tot, self._harv_tot,
                       self._glc_fed],
            "pids": {loop: pid.snapshot() for loop, pid in self.pids.items()},
            "pat": self.pat.snapshot(),
            "positions": {"jacket_valve": self._jv_pos, "base_pump": self._bp_pos, "agitator": self._agit_cmd,
                          "feed_cmd": self._feed_cmd},
            "leak": [self._leak_tot, self._leak_g],
            "disturbances": self.disturbances.snapshot(),
            "actuators": self.actuators.snapshot(),
            "feedback": self.feedback.snapshot(),
        }  # fmt: skip

    def restore(self, snap: dict[str, Any]) -> None:
        """Restore a state produced by :meth:`snapshot`; continuing is bit-identical."""
        if snap.get("unit_type") != self.unit_type or snap.get("version") != 1:
            raise ValueError("not a bioreactor snapshot (version 1)")
        params = BioreactorParams.from_dict(snap["params"])
        self._set_params(params)
        self._t = float(snap["t_s"])
        x = [float(v) for v in snap["x"]]
        self._m_x, self._m_s, self._m_p, self._do, self._temp, self._tj, self._ph, self._vol = x
        self._agit = float(snap["agitation"])
        self._aer = float(snap["aeration"])
        self._pres = float(snap["pressure"])
        self._feed_auto = bool(snap["feed_auto"])
        self._feed_manual = float(snap["feed_manual"])
        self._feed_l_h, self._base_l_h, self._evap_l_h, self._harvest_l_h = (float(v) for v in snap["rates"])
        (self._cons, self._harv, self._feed_tot, self._base_tot, self._evap_tot, self._harv_tot,
         self._glc_fed) = (float(v) for v in snap["totals"])  # fmt: skip
        for loop in LOOPS:
            self.pids[loop].restore(snap["pids"][loop])
        self.pat.restore(snap["pat"])
        # Older snapshots have no faults: free actuators at the controllers' outputs, no leak.
        self.disturbances.restore(snap.get("disturbances"))
        self._dist_step = self.disturbances.snapshot()
        self.actuators.restore(snap.get("actuators"))
        self.feedback.restore(snap.get("feedback"))
        pos = snap.get("positions") or {}
        self._jv_pos = float(pos.get("jacket_valve", self.pids["temperature"].output))
        self._bp_pos = float(pos.get("base_pump", self.pids["ph"].output))
        self._agit_cmd = float(pos.get("agitator", self.pids["do"].output))
        self._feed_cmd = float(pos.get("feed_cmd", self._feed_l_h))
        self._leak_tot, self._leak_g = (float(v) for v in snap.get("leak", (0.0, 0.0)))
        self._specs = self._build_specs()

    def __repr__(self) -> str:
        v = self._vol
        return (
            f"Bioreactor(t={self._t / 3600:.2f} h, V={v:.2f} l, X={self._m_x / v:.2f} g/l, "
            f"S={self._m_s / v:.3f} g/l, P={self._m_p / v:.2f} g/l, DO={self._do:.1f} %, "
            f"T={self._temp:.2f} °C, pH={self._ph:.2f})"
        )


def _cardinal_t_array(t: np.ndarray, t_min: float, t_opt: float, t_max: float) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        num = (t - t_max) * ((t - t_min) * (t - t_min))
        den = (t_opt - t_min) * ((t_opt - t_min) * (t - t_opt) - (t_opt - t_max) * (t_opt + t_min - 2.0 * t))
        return np.where((t > t_min) & (t < t_max), num / den, 0.0)


def _cardinal_ph_array(ph: np.ndarray, ph_min: float, ph_opt: float, ph_max: float) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        a = (ph - ph_min) * (ph - ph_max)
        return np.where((ph > ph_min) & (ph < ph_max), a / (a - (ph - ph_opt) * (ph - ph_opt)), 0.0)


def _kla_array(
    br: Bioreactor, n_rpm: np.ndarray, aer: np.ndarray, p_g: np.ndarray, temp: np.ndarray, vol: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised :func:`models.bioreactor_core.kla_per_s` (same formulas, same constants)."""
    power_k, d3, d5, area, kla_c, kla_pow, kla_vs, kla_min = br._c[core.MASS_TRANSFER]
    n = n_rpm / 60.0
    p0 = power_k * (n * n * n) * d5
    q_gas = aer / 60000.0 * (_P_ATM_BAR / (_P_ATM_BAR + p_g)) * (temp + 273.15) / 273.15
    with np.errstate(divide="ignore", invalid="ignore"):
        fl = np.where(n > 0, q_gas / (n * d3), 0.0)
    ratio = np.where(fl < 0.035, 1.0 - 12.6 * fl, 0.62 - 1.85 * fl)
    pg = np.where(n > 0, p0 * np.maximum(ratio, 0.1), 0.0)
    vs = q_gas / area
    kla = kla_c * (pg / (vol / 1000.0)) ** kla_pow * vs**kla_vs
    return np.maximum(kla, kla_min), pg


class _ScalarOps:
    """Operations of :meth:`Bioreactor._derive` on floats (the same code as :meth:`step`)."""

    @staticmethod
    def maximum(a: float, b: float) -> float:
        return a if a > b else b

    @staticmethod
    def safe_div(a: float, b: float) -> float:
        return a / b if b > 0.0 else 0.0

    @staticmethod
    def select(cond: bool, a: float, b: float) -> float:
        return a if cond else b

    cardinal_temperature = staticmethod(cardinal_temperature)
    cardinal_ph = staticmethod(cardinal_ph)

    @staticmethod
    def kla(br: Bioreactor, n: float, aer: float, p_g: float, temp: float, vol: float) -> tuple[float, float]:
        return br._kla_per_s(n, aer, p_g, temp, vol)


class _ArrayOps:
    """Operations of :meth:`Bioreactor._derive` on arrays (simulate's bulk path)."""

    maximum = staticmethod(np.maximum)

    @staticmethod
    def safe_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.divide(a, b, out=np.zeros(np.broadcast(a, b).shape), where=b > 0.0)

    @staticmethod
    def select(cond: np.ndarray, a: np.ndarray, b: float) -> np.ndarray:
        return np.where(cond, a, b)

    cardinal_temperature = staticmethod(_cardinal_t_array)
    cardinal_ph = staticmethod(_cardinal_ph_array)
    kla = staticmethod(_kla_array)


_SCALAR_OPS = _ScalarOps()
_ARRAY_OPS = _ArrayOps()


__all__ = [
    "INDPENSIM_FEED_L_H",
    "LEAK_MIN_VOLUME_L",
    "LOOPS",
    "MAX_SUBSTEP_S",
    "SETPOINT_RANGES",
    "Bioreactor",
    "BioreactorParams",
    "FeedRecipe",
    "FeedStep",
    "cardinal_ph",
    "cardinal_temperature",
    "indpensim_recipe",
    "o2_saturation_mmol_l",
]
