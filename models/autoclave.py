"""Steam autoclave (porous-load cycle): pre-vacuum pulses, heat-up, hold, exhaust, drying; F0.

Model (states: air and steam partial pressures, chamber and load temperatures)
------------------------------------------------------------------------------
* Pressures in bar absolute; the chamber holds air and steam, ``P = p_air + p_steam``. The
  steam valve adds steam at ``k_steam·u·(P_supply − P)``; the vacuum pump, the exhaust valve
  and the always-open drain vent remove the mixture at ``k·(P − P_sink)`` in proportion to
  its composition (so each vacuum pulse removes air); the air-admission valve breaks the
  vacuum at the end. Steam that heats the load condenses: ``m·c_p·dT_load/dt / h_fg``.
* Saturated steam: the chamber temperature relaxes (time constant ``chamber_time_constant_s``)
  to the saturation temperature of the *steam partial pressure* (IAPWS-IF97, :mod:`models.steam`,
  ±0.025 %; 121.1 °C ↔ 2.057 bar abs), never below the jacket-warmed wall temperature. Air left
  in the chamber lowers the temperature at a given pressure (Dalton), which is what a failed
  air removal looks like; ``theoretical_temperature`` is the saturation temperature of the
  total pressure, to compare as EN 285 does.
* The load (probe in the coldest item) lags behind: ``dT_load/dt = (T_chamber − T_load)/τ_load``.
* F0 on the **load** temperature: ``F0 = Σ 10^((T_load − 121.1)/10)·Δt`` in minutes
  (z = 10 K), integrated by the trapezoidal rule over every sub-step from cycle start to end.
  ``f0`` is the controller's, on what the load probe shows (it logs it and passes the cycle
  on it); ``f0_true`` is what the load received. A probe reading 2 K high makes ``f0`` about
  1.6 times ``f0_true``: the cycle passes while the load is under-sterilised.
* Integration: classic RK4, sub-steps of at most :data:`MAX_SUBSTEP_S`; phase logic and the
  steam-valve PID (on the chamber temperature, setpoint hold temperature + control offset)
  run at each sub-step start, on what the probes show (``feedback``: the drain probe for the
  loop, the pressure transmitter for the pulses and the exhaust, the load probe for the start
  of the hold), so a sensor fault there changes the cycle as on a real sterilizer.

Phases (``phase`` tag)
----------------------
0 idle, 1 pre-vacuum (``vacuum_pulses`` × evacuate to ``pulse_low_bar`` then steam to
``pulse_high_bar``), 2 heat-up (until the load reaches the hold temperature), 3 sterilisation
hold (``hold_time``), 4 exhaust (to ``exhaust_end_bar``), 5 drying (vacuum for ``drying_time``,
then air admission to atmospheric), 6 complete, 7 aborted (after an abort: steam off, exhaust).
``cycle_ok`` = 1 at the end of a cycle whose load probe never fell below the hold temperature
during the hold and whose F0 (the controller's) reached ``f0_required_min``.

Faults (:mod:`models.disturbances`)
-----------------------------------
* ``fouling.load``: fraction of the heat-transfer coefficient to the load lost (a dense or
  wrapped load): ``τ_load`` becomes ``τ_load/(1 − f)``. The heat-up phase ends on the load
  probe, so a fouled load stretches the heat-up; set during a hold, the load stays near the
  hold temperature and F0 at the end of the hold falls short of a clean load's.
* ``leak``: air in-leak from the compressed-air line of the inflatable door seal (about
  6 bar: choked flow, so the same flow whatever the chamber pressure) while the door is
  locked (a cycle runs), as the rise of the air partial pressure in mbar/min (EN 285's
  vacuum leak test allows 1.3 mbar/min). The drain vent purges air only slowly, so air
  builds up through the hold and the chamber runs below the saturation temperature of its
  pressure (``theoretical_temperature``): a Bowie-Dick failure, about 3 K after a 20-min hold
  at 10 mbar/min. Past about 90 mbar/min the pump cannot reach the pulses' low pressure.
* ``heater_failure``: fraction of the steam supply's capacity lost (the valve's flow at a
  given opening and pressure difference).
* Actuator ``steam_valve``: the steam valve's effective opening (``steam_valve`` tag) is what
  a stuck or sticking valve lets through; ``steam_valve_cmd`` is what the controller (or the
  sequencer, in the pulses) asks.

Commands: ``cycle_cmd`` = 1 starts a cycle (from idle, complete or aborted; a new cold load
is put in), 2 aborts a running one. A step that waits too long aborts the cycle by itself, as
a sterilizer's controller does rather than wait for ever (``abort_reason`` says which): half a
vacuum pulse longer than ``pulse_timeout_min`` (a pressure transmitter reading high never sees
the vacuum reached), a heat-up longer than ``heatup_timeout_min``, an exhaust or the drying's
final air admission longer than ``exhaust_timeout_min``. The recipe tags (``hold_temperature_sp``,
``hold_time_sp``, ``vacuum_pulses_sp``, ``drying_time_sp``) are locked while a cycle runs.

Examples
--------
>>> ac = Autoclave()
>>> for _ in range(3600):
...     ac.step(1.0)
>>> r = ac.read()
>>> r["phase"], r["cycle_ok"], r["f0"] > 20.0
(6.0, 1.0, True)
>>> ac.write("hold_temperature_sp", 150.0)
Traceback (most recent call last):
...
ValueError: hold_temperature_sp = 150.0 is outside the allowed range [110.0, 135.0] °C
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from enum import IntEnum
from typing import Any, ClassVar

from models.disturbances import Disturbance
from models.params import WITHIN, Params, check_fields, check_range, check_write
from models.pid import Pid, PidTuning
from models.steam import latent_heat_kj_kg, saturation_temperature_c
from models.sterilisation import F0_REFERENCE_C, RECIPE_LIMITS, AutoclaveRecipe, F0Integrator, lethal_rate
from models.unit import FaultHookDefaults, TagSpec, declare_fault_hooks

#: Longest RK4 sub-step, seconds.
MAX_SUBSTEP_S = 1.0
_R = 8.314462618
_M_WATER = 0.01801528
_P_MIN_BAR = 0.00612  # triple point: the saturation curve's lower end


class Phase(IntEnum):
    IDLE = 0
    PREVACUUM = 1
    HEATUP = 2
    HOLD = 3
    EXHAUST = 4
    DRYING = 5
    COMPLETE = 6
    ABORTED = 7


class AbortReason(IntEnum):
    """Why the last cycle was aborted (``abort_reason``): by the operator, or a step's time-out."""

    NONE = 0
    OPERATOR = 1
    VACUUM_TIMEOUT = 2
    HEATUP_TIMEOUT = 3
    EXHAUST_TIMEOUT = 4
    AIR_TIMEOUT = 5


@dataclass(frozen=True)
class AutoclaveParams(Params):
    """Parameters of :class:`Autoclave`; units in the field names. Values *assumed* for a
    ~200 l laboratory/pilot steam steriliser on plant steam, unless a source is named.

    Examples
    --------
    >>> AutoclaveParams(chamber_volume_l=-1.0)
    Traceback (most recent call last):
    ...
    ValueError: chamber_volume_l = -1.0 must be > 0
    """

    chamber_volume_l: float = 200.0
    #: Steam supply (clean steam at about 3 bar gauge).
    steam_supply_pressure_bar: float = 4.0
    #: Valve/pump rate constants: ``dP/dt = k·(P_source − P)`` fully open, 1/s.
    steam_valve_rate_per_s: float = 0.05
    vacuum_rate_per_s: float = 0.03
    vacuum_ultimate_bar: float = 0.03
    exhaust_rate_per_s: float = 0.008
    air_admission_rate_per_s: float = 0.02
    #: Always-open drain vent (steam trap with air vent) to atmosphere.
    drain_vent_rate_per_s: float = 0.0005
    atmospheric_pressure_bar: float = 1.01325
    #: Jacket-warmed chamber walls: the chamber does not cool below this.
    wall_temperature_c: float = 90.0
    chamber_time_constant_s: float = 5.0
    #: Load: mass, specific heat and lumped heat-transfer time constant (wrapped porous load).
    load_mass_kg: float = 20.0
    load_cp_kj_kg_k: float = 1.5
    load_time_constant_s: float = 240.0
    load_initial_temperature_c: float = 20.0
    #: Pre-vacuum pulse limits.
    pulse_low_bar: float = 0.08
    pulse_high_bar: float = 1.0
    #: End of exhaust, and drying vacuum.
    exhaust_end_bar: float = 1.1
    #: Step time-outs: half a vacuum pulse (evacuate or inject; about 1.5 min nominal), the heat-up
    #: (about 15 min), the exhaust or the final air admission (about 5 min). Longer aborts the cycle.
    pulse_timeout_min: float = 10.0
    heatup_timeout_min: float = 60.0
    exhaust_timeout_min: float = 30.0
    #: Chamber temperature setpoint = hold temperature + this (centre of EN 285's 0/+3 K band).
    control_offset_c: float = 1.5
    steam_tuning: PidTuning = field(default_factory=lambda: PidTuning(kp=10.0, ki=0.2))
    #: A cycle passes when F0 reached this (and the load stayed at temperature during the hold).
    f0_required_min: float = 15.0
    #: Initial recipe.
    hold_temperature_c: float = 121.1
    hold_time_min: float = 20.0
    vacuum_pulses: int = 3
    drying_time_min: float = 10.0
    #: Start a cycle at t = 0, and a new one this long after each completes (0 = no repeat).
    autostart: bool = True
    repeat_interval_min: float = 30.0

    def __post_init__(self) -> None:
        check_fields(
            self,
            # Temperatures, and the recipe (checked with its own ranges below).
            signed=("wall_temperature_c", "load_initial_temperature_c", *(r[0] for r in RECIPE_LIMITS)),
            zero_ok=("repeat_interval_min", "drain_vent_rate_per_s", "control_offset_c", "f0_required_min"),
            flags=("autostart",),
        )
        self.recipe()  # validates the recipe fields
        object.__setattr__(self, "vacuum_pulses", int(self.vacuum_pulses))
        if not self.vacuum_ultimate_bar < self.pulse_low_bar < self.pulse_high_bar < self.steam_supply_pressure_bar:
            raise ValueError("need vacuum_ultimate_bar < pulse_low_bar < pulse_high_bar < steam_supply_pressure_bar")
        check_range(
            "wall_temperature_c", self.wall_temperature_c, 1.0, 110.0, "°C", open_lo=True, open_hi=True, message=WITHIN
        )

    def recipe(self) -> AutoclaveRecipe:
        return AutoclaveRecipe(self.hold_temperature_c, self.hold_time_min, self.vacuum_pulses, self.drying_time_min)


def _spec(name: str, desc: str, unit: str, lo: float, hi: float, kind: Any, **kw: Any) -> TagSpec:
    return TagSpec(name, desc, unit, float(lo), float(hi), kind=kind, **kw)


_RECIPE_TAGS = {
    "hold_temperature_sp": "hold_temperature_c",
    "hold_time_sp": "hold_time_min",
    "vacuum_pulses_sp": "vacuum_pulses",
    "drying_time_sp": "drying_time_min",
}


class Autoclave(FaultHookDefaults):
    """Steam steriliser with its cycle sequencer, as a :class:`models.unit.Unit` (``"autoclave"``).

    Parameters
    ----------
    params : AutoclaveParams, optional

    Attributes
    ----------
    recipe : AutoclaveRecipe
        Recipe of the next (or running) cycle.
    pid : Pid
        Steam-valve controller (chamber temperature).

    Examples
    --------
    Without vacuum pulses the air stays in and the chamber runs colder than its pressure says:

    >>> ac = Autoclave(AutoclaveParams(vacuum_pulses=0, autostart=False))
    >>> ac.write("cycle_cmd", 1)
    >>> for _ in range(300):
    ...     ac.step(1.0)
    >>> r = ac.read()
    >>> r["theoretical_temperature"] - r["chamber_temperature"] > 5.0
    True
    """

    unit_type = "autoclave"

    #: Disturbances a fault may set (see the module docstring).
    DISTURBANCES: ClassVar[dict[str, Disturbance]] = {
        "fouling.load": Disturbance(
            "Dense or wrapped load: fraction of the heat-transfer coefficient to the load lost", "-", 0.0, 0.95
        ),
        "leak": Disturbance(
            "Air in-leak from the door seal's compressed air while a cycle runs: rise of the air partial pressure",
            "mbar/min", 0.0, 50.0,
        ),
        "heater_failure": Disturbance("Fraction of the steam supply capacity lost", "-", 0.0, 1.0),
    }  # fmt: skip
    #: Actuators whose effective position a fault may take over.
    ACTUATORS: ClassVar[dict[str, str]] = {"steam_valve": "Steam inlet valve, % open"}

    def __init__(self, params: AutoclaveParams | None = None) -> None:
        # The load probe starts the hold: a miscalibrated probe starts it early or late. The
        # steam loop regulates on the drain probe and the sequencer's pulses and exhaust end on
        # the pressure transmitter: faults there move the cycle too.
        feedback = dict.fromkeys(("load_temperature", "chamber_temperature", "chamber_pressure"), False)
        declare_fault_hooks(self, self.DISTURBANCES, self.ACTUATORS, feedback=feedback)
        self._set_params(params or AutoclaveParams())
        p = self._params
        self.recipe = p.recipe()
        self.pid = Pid(p.steam_tuning, setpoint=self.recipe.hold_temperature_c + p.control_offset_c)
        self._t = 0.0
        self._p_air = p.atmospheric_pressure_bar
        self._p_steam = 0.0
        self._t_ch = p.wall_temperature_c
        self._t_load = p.load_initial_temperature_c
        # F0 as the controller computes it, from the load probe (what it logs and judges the
        # cycle on), and as the load received it: they part when the probe is wrong.
        self._f0 = F0Integrator(self._t_load)
        self._f0_true = F0Integrator(self._t_load)
        self._phase = Phase.IDLE
        self._phase_t = 0.0
        self._wait_t = 0.0  # in the current half pulse (pre-vacuum)
        self._abort_reason = AbortReason.NONE
        self._pulse = 0
        self._injecting = False
        self._valves = [0.0, 0.0, 0.0, 0.0]  # steam, vacuum, exhaust, air (effective openings)
        self._steam_cmd = 0.0  # steam valve command, %
        self._hold_min_load = math.inf
        self._cycle_ok = 0.0
        self._cycles = 0
        if p.autostart:
            self._start_cycle()

    def _set_params(self, params: AutoclaveParams) -> None:
        self._params = params
        p = params
        # bar/s of steam per kg/s condensed, at 1 K: R·T/(M·V)/1e5 (T applied at use).
        self._cond_k = _R / (_M_WATER * p.chamber_volume_l / 1000.0) / 1e5
        self._load_c = p.load_mass_kg * p.load_cp_kj_kg_k
        self._specs = self._build_specs()
        self._apply_disturbances()

    def _apply_disturbances(self) -> None:
        """Rate constants as the current disturbances make them (exactly the nominal ones at nominal)."""
        p, d = self._params, self.disturbances
        self._k_steam = p.steam_valve_rate_per_s * (1.0 - d["heater_failure"])
        self._tau_load = p.load_time_constant_s / (1.0 - d["fouling.load"])
        self._leak_bar_s = d["leak"] / 60000.0  # mbar/min -> bar/s
        self._leak_now = 0.0  # the sequencer sets it at each sub-step while a cycle runs

    # -- the cycle sequencer -----------------------------------------------------------------
    def _start_cycle(self) -> None:
        p = self._params
        self._t_load = p.load_initial_temperature_c  # a new (cold) load
        self._f0.reset(self.feedback("load_temperature", self._t_load))
        self._f0_true.reset(self._t_load)
        self._pulse = 0
        self._injecting = False
        self._hold_min_load = math.inf
        self._cycle_ok = 0.0
        self._abort_reason = AbortReason.NONE
        self.pid = Pid(p.steam_tuning, setpoint=self.recipe.hold_temperature_c + p.control_offset_c)
        self._enter(Phase.PREVACUUM if self.recipe.vacuum_pulses > 0 else Phase.HEATUP)

    def _enter(self, phase: Phase) -> None:
        self._phase = phase
        self._phase_t = self._wait_t = 0.0

    def _abort(self, reason: AbortReason) -> None:
        self._abort_reason = reason
        self._cycle_ok = 0.0
        self._enter(Phase.ABORTED)

    def _sequence(self, h: float) -> None:
        """Phase transitions and valve positions at the start of a sub-step of ``h`` seconds."""
        p, r = self._params, self.recipe
        pressure = self._p_air + self._p_steam
        t_ch: float | None = self._t_ch
        fb = self.feedback
        if fb.active:  # what the transmitters show (the loop holds its output on a failed probe)
            pressure = fb("chamber_pressure", pressure)
            t_ch = fb.measure("chamber_temperature", self._t_ch)
        ph = self._phase
        if ph == Phase.PREVACUUM:
            if self._injecting and pressure >= p.pulse_high_bar:
                self._injecting = False
                self._wait_t = 0.0
            elif not self._injecting and pressure <= p.pulse_low_bar:
                self._pulse += 1
                self._wait_t = 0.0
                if self._pulse >= r.vacuum_pulses:
                    self._enter(Phase.HEATUP)
                else:
                    self._injecting = True
            elif self._wait_t >= 60.0 * p.pulse_timeout_min - 1e-9:
                self._abort(AbortReason.VACUUM_TIMEOUT)
        elif ph == Phase.HEATUP and self.feedback("load_temperature", self._t_load) >= r.hold_temperature_c:
            self._enter(Phase.HOLD)
        elif ph == Phase.HEATUP and self._phase_t >= 60.0 * p.heatup_timeout_min - 1e-9:
            self._abort(AbortReason.HEATUP_TIMEOUT)
        elif ph == Phase.HOLD and self._phase_t >= 60.0 * r.hold_time_min - 1e-9:
            self._enter(Phase.EXHAUST)
        elif ph in (Phase.EXHAUST, Phase.ABORTED) and pressure <= p.exhaust_end_bar and self._phase_t > 0.0:
            if ph == Phase.EXHAUST:
                self._enter(Phase.DRYING)
        elif ph == Phase.EXHAUST and self._phase_t >= 60.0 * p.exhaust_timeout_min - 1e-9:
            self._abort(AbortReason.EXHAUST_TIMEOUT)
        elif (
            ph == Phase.DRYING
            and pressure >= p.atmospheric_pressure_bar - 0.01
            and self._phase_t > 60.0 * (r.drying_time_min)
        ):
            self._enter(Phase.COMPLETE)
            self._cycles += 1
            f0_ok = self._f0.value >= p.f0_required_min - 1e-9
            self._cycle_ok = float(f0_ok and self._hold_min_load >= r.hold_temperature_c - 1e-9)
        elif ph == Phase.DRYING and self._phase_t >= 60.0 * (r.drying_time_min + p.exhaust_timeout_min) - 1e-9:
            self._abort(AbortReason.AIR_TIMEOUT)
        elif ph == Phase.COMPLETE and p.autostart and p.repeat_interval_min > 0.0:
            if self._phase_t >= 60.0 * p.repeat_interval_min - 1e-9:
                self._start_cycle()
        ph = self._phase
        steam = vac = exh = air = 0.0  # steam: command in %, the others as fractions
        if ph == Phase.PREVACUUM:
            steam, vac = (100.0, 0.0) if self._injecting else (0.0, 1.0)
        elif ph in (Phase.HEATUP, Phase.HOLD):
            steam = self.pid.update(t_ch, h)
        elif ph in (Phase.EXHAUST, Phase.ABORTED):
            exh = 1.0 if pressure > p.atmospheric_pressure_bar else 0.0
            air = 1.0 if pressure < p.atmospheric_pressure_bar - 0.01 and ph == Phase.ABORTED else 0.0
        elif ph == Phase.DRYING:
            if self._phase_t < 60.0 * self.recipe.drying_time_min:
                vac = 1.0
            else:
                air = 1.0
        self._steam_cmd = steam
        if self._leak_bar_s:  # the door seal is inflated, so leaks, while a cycle runs
            self._leak_now = self._leak_bar_s if Phase.PREVACUUM <= ph <= Phase.DRYING or ph == Phase.ABORTED else 0.0
        self._valves = [self.actuators("steam_valve", steam) / 100.0, vac, exh, air]

    # -- physics ---------------------------------------------------------------------------
    def _derivatives(self, p_air: float, p_st: float, t_ch: float, t_load: float) -> tuple[float, float, float, float]:
        p = self._params
        steam, vac, exh, air = self._valves
        pressure = p_air + p_st
        p_atm = p.atmospheric_pressure_bar
        inflow = self._k_steam * steam * max(p.steam_supply_pressure_bar - pressure, 0.0)
        out = p.vacuum_rate_per_s * vac * max(pressure - p.vacuum_ultimate_bar, 0.0) + (
            p.exhaust_rate_per_s * exh + p.drain_vent_rate_per_s
        ) * max(pressure - p_atm, 0.0)
        # The seal leak is 0.0 at nominal (and with the door unlocked): the sum is unchanged.
        air_in = p.air_admission_rate_per_s * air * max(p_atm - pressure, 0.0) + self._leak_now
        y_air = p_air / pressure if pressure > 1e-9 else 1.0
        t_sat = saturation_temperature_c(max(p_st, _P_MIN_BAR))
        d_load = (t_ch - t_load) / self._tau_load
        cond = 0.0
        if t_sat > t_load and d_load > 0.0 and p_st > _P_MIN_BAR:  # steam condenses on the load
            kg_s = self._load_c * d_load / latent_heat_kj_kg(t_sat)
            cond = kg_s * self._cond_k * (t_ch + 273.15)
        d_air = air_in - out * y_air
        d_st = inflow - out * (1.0 - y_air) - cond
        d_ch = (max(t_sat, p.wall_temperature_c) - t_ch) / p.chamber_time_constant_s
        return d_air, d_st, d_ch, d_load

    def step(self, dt_s: float) -> None:
        """Advance by ``dt_s`` simulated seconds (RK4 sub-steps, sequencer at each one)."""
        if not dt_s > 0.0:
            raise ValueError(f"dt_s must be > 0, got {dt_s!r}")
        n = max(1, math.ceil(dt_s / MAX_SUBSTEP_S - 1e-9))
        h = dt_s / n
        f = self._derivatives
        self._apply_disturbances()  # a fault set since the last step acts from now on
        running = Phase.PREVACUUM <= self._phase <= Phase.DRYING
        for _ in range(n):
            self._sequence(h)
            x0, x1, x2, x3 = self._p_air, self._p_steam, self._t_ch, self._t_load
            a0, a1, a2, a3 = f(x0, x1, x2, x3)
            b0, b1, b2, b3 = f(x0 + 0.5 * h * a0, x1 + 0.5 * h * a1, x2 + 0.5 * h * a2, x3 + 0.5 * h * a3)
            c0, c1, c2, c3 = f(x0 + 0.5 * h * b0, x1 + 0.5 * h * b1, x2 + 0.5 * h * b2, x3 + 0.5 * h * b3)
            d0, d1, d2, d3 = f(x0 + h * c0, x1 + h * c1, x2 + h * c2, x3 + h * c3)
            h6 = h / 6.0
            self._p_air = max(x0 + h6 * (a0 + 2 * (b0 + c0) + d0), 0.0)
            self._p_steam = max(x1 + h6 * (a1 + 2 * (b1 + c1) + d1), 0.0)
            self._t_ch = x2 + h6 * (a2 + 2 * (b2 + c2) + d2)
            self._t_load = x3 + h6 * (a3 + 2 * (b3 + c3) + d3)
            self._t += h
            self._phase_t += h
            self._wait_t += h
            running = Phase.PREVACUUM <= self._phase <= Phase.DRYING
            if running:  # (the hold is part of the cycle)
                # The controller's F0 and hold check use the load probe's reading.
                probe = self.feedback("load_temperature", self._t_load) if self.feedback.active else self._t_load
                self._f0.add(probe, h)
                self._f0_true.add(self._t_load, h)
                if self._phase == Phase.HOLD:
                    self._hold_min_load = min(self._hold_min_load, probe)

    # -- Unit protocol: tags -------------------------------------------------------------------
    def tag_specs(self) -> list[TagSpec]:
        """Sensors, cycle state, recipe setpoints and the cycle command."""
        return list(self._specs.values())

    def _build_specs(self) -> dict[str, TagSpec]:
        # EN 285: during the hold the load stays within the sterilisation temperature band,
        # from the hold temperature to 3 K above it (PAR); NOR is the lower 2 K of it.
        t_h = self._params.hold_temperature_c
        band = {"nor": (t_h, t_h + 2.0), "par": (t_h, t_h + 3.0), "bands_when": ("phase", (int(Phase.HOLD),))}
        specs = [
            _spec("chamber_temperature", "Chamber temperature (drain probe)", "°C", 0, 150, "measurement",
                  noise_sd=0.1, **band),
            _spec("chamber_pressure", "Chamber pressure", "bar abs", 0, 4, "measurement", noise_sd=0.003),
            _spec("load_temperature", "Load temperature (probe in the coldest item)", "°C", 0, 150, "measurement",
                  noise_sd=0.1, **band),
            _spec("f0", "F0 since cycle start, as the controller computes it from the load probe (z = 10 K, "
                  "121.1 °C)", "min", 0, 1000, "state"),
            _spec("f0_true", "F0 the load actually received (its true temperature; no instrument shows it)", "min",
                  0, 1000, "state"),
            _spec("phase", "0 idle, 1 pre-vacuum, 2 heat-up, 3 hold, 4 exhaust, 5 drying, 6 complete, 7 aborted",
                  "", 0, 7, "state", states={int(ph): f"state.autoclave.{ph.name.lower()}" for ph in Phase}),
            _spec("vacuum_pulse", "Vacuum pulses done in this cycle", "", 0, 10, "state"),
            _spec("phase_time", "Time in the current phase", "min", 0, 1000, "state"),
            _spec("hold_remaining", "Sterilisation hold time left", "min", 0, 120, "state"),
            _spec("theoretical_temperature", "Saturation temperature of the chamber pressure (EN 285 check)",
                  "°C", 0, 150, "state"),
            _spec("air_partial_pressure", "Air left in the chamber (partial pressure)", "bar", 0, 4, "state"),
            _spec("steam_valve", "Steam valve opening (effective position)", "%", 0, 100, "state"),
            _spec("steam_valve_cmd", "Steam valve command (controller output, or the sequencer in the pulses)", "%",
                  0, 100, "state"),
            _spec("cycle_ok", "1 = the controller passed the last cycle: F0 reached and the load probe held at "
                  "temperature", "", 0, 1, "state",
                  states={0: "state.fail", 1: "state.pass"}),
            _spec("cycles_completed", "Cycles completed", "", 0, 1e9, "state"),
            _spec("abort_reason", "Why the last cycle was aborted: 0 not aborted, 1 operator, 2 vacuum pulse "
                  "time-out, 3 heat-up time-out, 4 exhaust time-out, 5 air admission time-out", "", 0, 5, "state",
                  states={int(a): f"state.autoclave_abort.{a.name.lower()}" for a in AbortReason}),
        ]  # fmt: skip
        for tag, fname in _RECIPE_TAGS.items():
            _, lo, hi, unit = next(r for r in RECIPE_LIMITS if r[0] == fname)
            specs.append(
                _spec(tag, f"Recipe: {fname.replace('_', ' ')}", unit.replace("pulses", ""), lo, hi, "setpoint")
            )
        specs.append(_spec("cycle_cmd", "Cycle command: 1 start, 2 abort; reads 0", "", 0, 2, "setpoint"))
        return {s.name: s for s in specs}

    def read(self) -> dict[str, float]:
        r = self.recipe
        pressure = self._p_air + self._p_steam
        hold_left = 0.0
        if self._phase == Phase.HOLD:
            hold_left = max(r.hold_time_min - self._phase_t / 60.0, 0.0)
        elif self._phase in (Phase.PREVACUUM, Phase.HEATUP):
            hold_left = r.hold_time_min
        return {
            "chamber_temperature": self._t_ch,
            "chamber_pressure": pressure,
            "load_temperature": self._t_load,
            "f0": self._f0.value,
            "f0_true": self._f0_true.value,
            "phase": float(self._phase),
            "vacuum_pulse": float(self._pulse),
            "phase_time": self._phase_t / 60.0,
            "hold_remaining": hold_left,
            "theoretical_temperature": saturation_temperature_c(max(pressure, _P_MIN_BAR)),
            "air_partial_pressure": self._p_air,
            "steam_valve": 100.0 * self._valves[0],
            "steam_valve_cmd": self._steam_cmd,
            "cycle_ok": self._cycle_ok,
            "cycles_completed": float(self._cycles),
            "abort_reason": float(self._abort_reason),
            "hold_temperature_sp": r.hold_temperature_c,
            "hold_time_sp": r.hold_time_min,
            "vacuum_pulses_sp": float(r.vacuum_pulses),
            "drying_time_sp": r.drying_time_min,
            "cycle_cmd": 0.0,
        }

    def write(self, tag: str, value: float) -> None:
        """Write a recipe setpoint (not while a cycle runs) or ``cycle_cmd``.

        Besides the checks every unit makes (:func:`models.params.check_write`), refused with
        ``ValueError``: a recipe change during a cycle, a start while a cycle runs or an abort
        while none does.
        """
        v = check_write(self._specs, self.unit_type, tag, value)
        running = Phase.PREVACUUM <= self._phase <= Phase.DRYING
        if tag == "cycle_cmd":
            if v == 1.0:
                if running:
                    raise ValueError(f"cycle_cmd start: a cycle is running (phase {self._phase.name.lower()})")
                self._start_cycle()
            elif v == 2.0:
                if not running:
                    raise ValueError(f"cycle_cmd abort: no cycle is running (phase {self._phase.name.lower()})")
                self._abort(AbortReason.OPERATOR)
            elif v != 0.0:
                raise ValueError(f"cycle_cmd = {value!r}: allowed 0, 1 start, 2 abort")
            return
        if running:
            raise ValueError(
                f"{tag}: the recipe is locked while a cycle runs (phase {self._phase.name.lower()}); "
                "change it in idle, complete or aborted"
            )
        fname = _RECIPE_TAGS[tag]
        change: dict[str, Any] = {fname: v}  # vacuum_pulses: the recipe makes it a whole number
        self.recipe = replace(self.recipe, **change)

    # -- snapshot --------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        return {
            "unit_type": self.unit_type, "version": 1, "params": self._params.to_dict(),
            "recipe": self.recipe.to_dict(), "pid": self.pid.snapshot(), "t_s": self._t,
            "x": [self._p_air, self._p_steam, self._t_ch, self._t_load],
            "f0": [self._f0.seconds, self._f0._rate], "f0_true": [self._f0_true.seconds, self._f0_true._rate],
            "phase": int(self._phase), "phase_t": self._phase_t, "wait_t": self._wait_t,
            "abort_reason": int(self._abort_reason),
            "pulse": self._pulse, "injecting": self._injecting, "valves": list(self._valves),
            "hold_min_load": None if math.isinf(self._hold_min_load) else self._hold_min_load,
            "cycle_ok": self._cycle_ok, "cycles": self._cycles, "steam_cmd": self._steam_cmd,
            "disturbances": self.disturbances.snapshot(), "actuators": self.actuators.snapshot(),
            "feedback": self.feedback.snapshot(),
        }  # fmt: skip

    def restore(self, snap: dict[str, Any]) -> None:
        if snap.get("unit_type") != self.unit_type or snap.get("version") != 1:
            raise ValueError("not an autoclave snapshot (version 1)")
        self._set_params(AutoclaveParams.from_dict(snap["params"]))
        self.recipe = AutoclaveRecipe(**snap["recipe"])
        self.pid = Pid(self._params.steam_tuning)
        self.pid.restore(snap["pid"])
        self._t = float(snap["t_s"])
        self._p_air, self._p_steam, self._t_ch, self._t_load = (float(v) for v in snap["x"])
        self._f0.seconds, self._f0._rate = (float(v) for v in snap["f0"])
        # Older snapshots: no probe fault could have parted the two.
        self._f0_true.seconds, self._f0_true._rate = (float(v) for v in snap.get("f0_true", snap["f0"]))
        self._phase, self._phase_t = Phase(int(snap["phase"])), float(snap["phase_t"])
        # Older snapshots: no time-outs, so the half pulse started with the phase.
        self._wait_t = float(snap.get("wait_t", self._phase_t))
        self._abort_reason = AbortReason(int(snap.get("abort_reason", 0)))
        self._pulse, self._injecting = int(snap["pulse"]), bool(snap["injecting"])
        self._valves = [float(v) for v in snap["valves"]]
        hm = snap["hold_min_load"]
        self._hold_min_load = math.inf if hm is None else float(hm)
        self._cycle_ok, self._cycles = float(snap["cycle_ok"]), int(snap["cycles"])
        # Snapshots from before fault injection: no command stored (the valve followed it), no faults.
        self._steam_cmd = float(snap.get("steam_cmd", 100.0 * self._valves[0]))
        self.disturbances.restore(snap.get("disturbances"))
        self.actuators.restore(snap.get("actuators"))
        self.feedback.restore(snap.get("feedback"))
        self._apply_disturbances()

    def __repr__(self) -> str:
        return (
            f"Autoclave({self._phase.name.lower()}, T={self._t_ch:.1f} °C, "
            f"P={self._p_air + self._p_steam:.3f} bar, F0={self._f0.value:.2f} min)"
        )


__all__ = [
    "F0_REFERENCE_C",
    "MAX_SUBSTEP_S",
    "AbortReason",
    "Autoclave",
    "AutoclaveParams",
    "AutoclaveRecipe",
    "F0Integrator",
    "Phase",
    "lethal_rate",
]
