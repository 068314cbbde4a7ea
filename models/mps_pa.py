"""Physics and local control of the Festo MPS PA Compact Workstation.

The kit: a lower reservoir (tank 101) and an upper tank (tank 102), ~10 l each. The
centrifugal pump P101 lifts water from tank 101 through the flow sensor B102, the pressure
vessel with sensor B103 and the proportional valve V106 into the top of tank 102. Tank 102
drains back by gravity through the pneumatic ball valve V102 and an always-open manual drain
valve; above its overflow height it spills back through the overflow pipe. The heater E104
and the PT100 B104 sit in tank 101. The ultrasonic sensor B101 measures the level of tank 102.

Model (states: both volumes, both temperatures, pump speed, vessel pressure)
--------------------------------------------------------------------------
* Pump: affinity-law curve ``Δp = f·p0·s² − a·Q²`` (``s`` speed 0…1, ``p0`` shut-off
  pressure at full speed, ``a = p0 / Q_free²``). ``f`` falls linearly from 1 to 0 when the
  tank-101 level drops below the suction-loss level: the pump draws air and loses its head,
  so it can never empty the tank. First-order lag from speed command to speed.
* Pump line, solved quasi-statically in closed form each derivative evaluation:
  ``f·p0·s² = ρg(z_in − h101) + (a + R_line + 1/(Kv·u)²)·Q²`` with static lift to the inlet
  above tank 102, quadratic line loss and V106 ``Q = Kv·u·√Δp`` (linear characteristic,
  opening ``u``). No real root (pump too slow to lift) means ``Q = 0``.
* Vessel pressure B103 (gauge, at the pump outlet, level with the bottom of tank 101) lags
  the quasi-static pump outlet pressure ``ρg·h101 + f·p0·s² − a·Q²`` with a first-order time
  constant (the compliance of the vessel's air cushion).
* Tank 102 outflow: Torricelli ``Q = Cd·A·√(2g·h102)`` through the manual drain and V102
  (effective area ∝ V102 position), plus a weir law ``k·(h102 − h_overflow)^1.5`` over the
  overflow. All of it returns to tank 101, so water is conserved exactly: the volume
  derivatives are exact negatives of each other, and a round-off undershoot below zero at
  the end of a step is moved back to the other tank.
* Energy: ``m·c_p·dT101/dt = P_heater + ρ·c_p·Q_down·(T102 − T101) − UA101·(T101 − T_amb)``
  and ``m·c_p·dT102/dt = ρ·c_p·Q_pump·(T101 − T102) − UA102·(T102 − T_amb)`` (well-mixed
  tanks, enthalpy carried by the flows; a small minimum thermal mass keeps an almost empty
  tank finite). With no flows and no losses ``dT101/dt = P / (m·c_p)``.
* Integration: classic RK4 with sub-steps of at most :data:`MAX_SUBSTEP_S`; the controller
  outputs, the heater's average power and V102's average position are held over a step.

Faults (:mod:`models.disturbances`)
-----------------------------------
Disturbances (:attr:`MpsPaStation.DISTURBANCES`), all 0 when nominal:

* ``pump_wear``: fraction of the pump head lost; the whole curve is scaled,
  ``Δp = (1 − w)·(f·p0·s² − a·Q²)`` (a worn impeller: less head at every flow).
* ``heater_failure``: fraction of E104's power lost; the relay still switches (``E104_on``),
  ``E104_power`` shows what is left.
* ``leak``: a leak in the pump line between B102 and tank 102 that runs back into tank 101,
  ``min(leak, Q_pump)`` (it cannot lose more than the pump delivers, and stops with the
  pump). It does not change the pump's operating point: B102 still reads the pump flow,
  but only ``Q_pump − Q_leak`` reaches tank 102. The water stays in the kit, so the total
  is conserved exactly; the leak carries tank-101 water back to tank 101, so it only
  changes tank 102's energy balance.

Actuator hooks (:attr:`MpsPaStation.ACTUATORS`) sit where the command becomes physical:
``P101`` on the speed command before the pump's lag, ``V106`` on the opening, ``V102`` on
the open/close command before its travel, ``E104`` on the duty before the relay PWM. The
``*_out``, ``V102_cmd`` and ``V106_opening`` tags show the command; ``P101_speed``,
``V106_position``, ``V102_position`` and ``E104_power`` the effective actuator.

Control (the "virtual PLC")
---------------------------
Four PID loops as on the real kit: ``level`` (B101 → P101), ``flow`` (B102 → P101),
``pressure`` (B103 → P101) and ``temperature`` (B104 → E104, PID with time-proportioning
relay output: the output % is the relay's on-fraction of each ``heater_cycle_s`` cycle,
latched at the cycle start). V106 is a manual actuator (``V106_opening``), which makes it
the natural disturbance or restriction for the flow and pressure loops. Each loop regulates
on what its transmitter shows (:attr:`MpsPaStation.feedback`, :data:`FEEDBACK_TAGS`): a B101
reading 1 cm high makes the level loop hold the real level 1 cm low, with the reading on its
setpoint; a failed transmitter (dropout) holds its loop's output.

**P101 arbitration.** The level, flow and pressure loops all want P101, so exactly one of
them *owns* the pump (state tag ``P101_loop``: 0 = level, 1 = flow, 2 = pressure). Only the
owner may be in auto; the other two are in manual and *track* the pump command (their output
follows it), so whichever takes over does so without a bump. A loop takes the pump when it
is switched to auto (``<loop>_mode = 1``) or when its manual output is written
(``<loop>_out``); the previous owner drops to manual, holding the current pump command.
Writing ``<loop>_out`` while that loop is in auto is refused (``ValueError``). The heater
interlock of the real kit is modelled too: E104 is off while the min switch B113 is dry.

Examples
--------
>>> st = MpsPaStation()
>>> st.unit_type, round(st.read()["B101_level"], 3), st.read()["level_mode"]
('mps_pa', 15.0, 1.0)
>>> for _ in range(600):  # one minute at 0.1 s
...     st.step(0.1)
>>> abs(st.read()["B101_level"] - 15.0) < 0.05
True
>>> st.write("level_sp", 40.0)
Traceback (most recent call last):
...
ValueError: level_sp = 40.0 is outside the allowed range [0.0, 25.0] cm
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from models.disturbances import Disturbance
from models.params import WITHIN, Params, check_fields, check_range, check_write, require_manual
from models.pid import Pid, PidTuning
from models.unit import FaultHookDefaults, TagSpec, declare_fault_hooks

#: Longest RK4 sub-step in seconds; ``step(dt)`` uses ``ceil(dt / MAX_SUBSTEP_S)`` sub-steps.
MAX_SUBSTEP_S = 0.1

PUMP_LOOPS: tuple[str, ...] = ("level", "flow", "pressure")
LOOPS: tuple[str, ...] = (*PUMP_LOOPS, "temperature")
#: The transmitter each loop regulates on (read through ``feedback``: a sensor fault moves the process).
FEEDBACK_TAGS: dict[str, str] = {
    "level": "B101_level", "flow": "B102_flow", "pressure": "B103_pressure", "temperature": "B104_temperature",
}  # fmt: skip


@dataclass(frozen=True)
class MpsPaParams(Params):
    """Parameters of :class:`MpsPaStation`; units in the field names.

    Heights are measured from the bottom of the tank they belong to; elevations from the
    bottom of tank 101 (where the pump and the pressure vessel sit). Values marked
    *assumed* are engineering estimates for the kit's size class, not data-sheet values;
    replace them when the Festo manual's figures are at hand.

    Examples
    --------
    >>> p = MpsPaParams()
    >>> round(p.upper_tank_area_m2 * p.upper_tank_height_m * 1000, 1)  # litres
    10.0
    >>> MpsPaParams(initial_lower_volume_l=9.0)
    Traceback (most recent call last):
    ...
    ValueError: total water 14 l exceeds tank 101's 10 l: an overflow would lose water
    """

    coerce_scalars = True  # every field is a float (plant files may say 15 for 15.0)

    # --- geometry: two ~10 l tanks (plant.md), 30 cm high (B101's 0-30 cm span) ---------
    #: Tank 101 cross-section; 10 l over 30 cm (≈ 183 mm square). Assumed.
    lower_tank_area_m2: float = 1.0 / 30.0
    lower_tank_height_m: float = 0.30
    #: Tank 102 cross-section, same tank type as tank 101.
    upper_tank_area_m2: float = 1.0 / 30.0
    upper_tank_height_m: float = 0.30
    #: Height of the overflow pipe's rim in tank 102. Assumed; low enough (8.3 l) that the
    #: pump can still reach it with the default 9.5 l of water before tank 101 runs dry.
    upper_overflow_height_m: float = 0.25
    #: Overflow weir: flow at 1 cm above the rim (``k·Δh^1.5``); a ~20 mm pipe. Assumed.
    overflow_flow_l_min_at_1cm: float = 10.0
    #: Pump line outlet above the top of tank 102 (upper tank on the frame's top shelf,
    #: ~0.45 m above tank 101's bottom, plus its 0.30 m). Sets the static lift. Assumed.
    upper_inlet_elevation_m: float = 0.75
    #: Switch heights in tank 101: B113 min, B114 max (capacitive), S111 overflow, and the
    #: S112 float in tank 102 (1 cm below the overflow rim). Assumed positions.
    b113_min_switch_m: float = 0.05
    b114_max_switch_m: float = 0.25
    s111_overflow_switch_m: float = 0.28
    s112_overflow_switch_m: float = 0.24

    # --- pump P101 (24 V DC centrifugal pump with speed controller) ----------------------
    #: Shut-off (dead-head) pressure at 100 % speed: ~3.6 m of water, which keeps B103
    #: inside its 0-400 mbar range even when dead-heading. Assumed.
    pump_shutoff_pressure_mbar: float = 350.0
    #: Free-delivery flow at 100 % speed and zero head; with the line below this gives
    #: ~8.6 l/min through the open line, the top of B102's 0.3-9 l/min range. Assumed.
    pump_free_flow_l_min: float = 14.0
    #: Speed-controller ramp plus impeller inertia, first order. Assumed.
    pump_time_constant_s: float = 0.5
    #: Below this tank-101 level the pump draws air; its head falls linearly to 0 at empty.
    pump_suction_loss_level_m: float = 0.02

    # --- pump line, valves ----------------------------------------------------------------
    #: Quadratic friction loss of the pipes, fittings and the flow sensor at 5 l/min.
    line_loss_mbar_at_5_l_min: float = 30.0
    #: Flow coefficient of V106 fully open (m³/h at 1 bar); linear characteristic. Chosen
    #: so that V106 open is not the dominant restriction. Assumed.
    v106_kv_m3_h: float = 2.0
    #: Effective outflow area Cd·A of V102 open: 4.6 l/min at 15 cm. Assumed.
    v102_cd_area_mm2: float = 45.0
    #: Time for V102 (pneumatic quarter-turn actuator) to travel fully open/closed.
    v102_travel_time_s: float = 1.0
    #: Always-open manual drain of tank 102, Cd·A: ~2 l/min at 15 cm. Assumed.
    drain_cd_area_mm2: float = 20.0
    #: Time constant of the pressure vessel (air-cushion compliance × line resistance).
    vessel_time_constant_s: float = 1.5

    # --- thermal ---------------------------------------------------------------------------
    #: Heater E104 rated power (relay-switched immersion heater). Assumed 1 kW.
    heater_power_w: float = 1000.0
    #: Time-proportioning cycle of the heater relay; 0 = continuous (ideal PWM).
    heater_cycle_s: float = 10.0
    #: Heat-loss conductance of each tank to ambient: ~0.25 m² of wall and water surface at
    #: ~8 W/(m²·K) natural convection plus evaporation. Assumed, independent of the level.
    lower_ua_w_k: float = 2.0
    upper_ua_w_k: float = 2.0
    ambient_temperature_c: float = 20.0
    #: Water at 20 °C.
    water_density_kg_m3: float = 998.2
    water_cp_j_kg_k: float = 4182.0
    #: Floor on the thermal mass of a tank (water in the heater well, pipes, wet walls), so
    #: an almost empty tank's temperature stays finite and the ODE stays non-stiff.
    min_thermal_mass_kg: float = 0.1
    gravity_m_s2: float = 9.80665

    # --- initial state and default setpoints ------------------------------------------------
    #: 4.5 l below, 5.0 l above (15 cm): 9.5 l in all, which still fits into tank 101 alone.
    initial_lower_volume_l: float = 4.5
    initial_upper_volume_l: float = 5.0
    initial_temperature_c: float = 20.0
    level_setpoint_cm: float = 15.0
    flow_setpoint_l_min: float = 2.0
    pressure_setpoint_mbar: float = 100.0
    temperature_setpoint_c: float = 30.0
    #: Initial V106 opening (0-100 %).
    v106_initial_opening_pct: float = 100.0

    # --- controller tunings (parallel form, outputs in %) -----------------------------------
    #: Level: ~0.01 cm/s of level rate per % of pump speed near 15 cm, but no flow at all
    #: below ~45 % (static lift): a stiff P part gets through that dead zone quickly.
    level_tuning: PidTuning = field(default_factory=lambda: PidTuning(kp=40.0, ki=1.0))
    #: Flow: static plant (~0.2 l/min per %) behind the 0.5 s pump lag: integral-dominant.
    flow_tuning: PidTuning = field(default_factory=lambda: PidTuning(kp=1.0, ki=3.0))
    #: Pressure: ~2-4 mbar per % behind the pump and vessel lags.
    pressure_tuning: PidTuning = field(default_factory=lambda: PidTuning(kp=0.05, ki=0.1))
    #: Temperature: ~0.05 K/s at full power in 4.5 l, then mixing with tank 102 through the
    #: circulation (~150 s): near-integrating, so a strong P part and a slow I part.
    temperature_tuning: PidTuning = field(default_factory=lambda: PidTuning(kp=40.0, ki=0.05))

    def __post_init__(self) -> None:
        check_fields(
            self,
            positive=(
                "lower_tank_area_m2", "lower_tank_height_m", "upper_tank_area_m2",
                "upper_tank_height_m", "pump_shutoff_pressure_mbar", "pump_free_flow_l_min",
                "pump_time_constant_s", "vessel_time_constant_s", "water_density_kg_m3",
                "water_cp_j_kg_k", "min_thermal_mass_kg", "gravity_m_s2",
                "overflow_flow_l_min_at_1cm", "line_loss_mbar_at_5_l_min",
            ),
            signed=("ambient_temperature_c", "initial_temperature_c"),
            got=True,
        )  # fmt: skip
        for loop in LOOPS:  # the pump's speed and the heater's duty, %
            getattr(self, f"{loop}_tuning").check_limits(f"{loop}_tuning", 0.0, 100.0)
        if self.upper_overflow_height_m > self.upper_tank_height_m:
            raise ValueError("upper_overflow_height_m must not exceed upper_tank_height_m")
        lower_capacity_l = self.lower_tank_area_m2 * self.lower_tank_height_m * 1000.0
        total_l = self.initial_lower_volume_l + self.initial_upper_volume_l
        if total_l > lower_capacity_l + 1e-9:
            raise ValueError(
                f"total water {total_l:g} l exceeds tank 101's {lower_capacity_l:g} l: an overflow would lose water"
            )
        upper_capacity_l = self.upper_tank_area_m2 * self.upper_overflow_height_m * 1000.0
        if self.initial_upper_volume_l > upper_capacity_l + 1e-9:
            raise ValueError(
                f"initial_upper_volume_l {self.initial_upper_volume_l:g} l is above the "
                f"overflow ({upper_capacity_l:g} l)"
            )
        check_range("v106_initial_opening_pct", self.v106_initial_opening_pct, 0.0, 100.0, "%", message=WITHIN)


#: Label keys of the switches' values (the dashboard shows names, never numbers).
_WET = {0: "state.dry", 1: "state.wet"}
_REACHED = {0: "state.not_reached", 1: "state.reached"}


def _spec(name: str, desc: str, unit: str, lo: float, hi: float, kind: Any, **kw: Any) -> TagSpec:
    return TagSpec(name, desc, unit, float(lo), float(hi), kind=kind, **kw)


class MpsPaStation(FaultHookDefaults):
    """The MPS PA Compact Workstation: process model plus its four PID loops.

    Implements :class:`models.unit.Unit` (``unit_type = "mps_pa"``). See the module
    docstring for the model and the P101 arbitration, :meth:`tag_specs` for the tags.

    Parameters
    ----------
    params : MpsPaParams, optional
        Physical parameters, initial state, default setpoints and tunings.

    Attributes
    ----------
    pids : dict[str, Pid]
        The four controllers by loop name, for inspection (integral, tuning). Change modes,
        setpoints and outputs through :meth:`write`, which keeps the P101 arbitration.
    disturbances : Disturbances
        Values of :attr:`DISTURBANCES`, read every step; the fault layer sets them.
    actuators : ActuatorHooks
        Effective positions of :attr:`ACTUATORS`; a fault may hold one (stuck, deadband).

    Notes
    -----
    The station starts in steady state: tank 102 at the level setpoint with the level loop
    in auto and the pump at the speed that balances the drain, the flow and pressure loops
    in manual (tracking), and the temperature loop in auto heating from ambient towards its
    setpoint. The controllers see the transmitters' values through ``feedback`` (a sensor
    fault moves the process, as on the kit), without the sensor noise, which is the runtime's
    job (``TagSpec.noise_sd``; the real loops filter it).

    Examples
    --------
    Open V102: the level dips, then the level loop speeds the pump up and recovers.

    >>> st = MpsPaStation()
    >>> st.write("V102_cmd", 1)
    >>> for _ in range(100):
    ...     st.step(1.0)
    >>> r = st.read()
    >>> abs(r["B101_level"] - 15.0) < 0.2, round(r["P101_speed"])
    (True, 82)

    Hand the pump to the flow loop:

    >>> st.write("flow_sp", 5.0); st.write("flow_mode", 1)
    >>> st.read()["level_mode"], st.read()["P101_loop"]
    (0.0, 1.0)
    >>> for _ in range(60):
    ...     st.step(1.0)
    >>> round(st.read()["B102_flow"], 2)
    5.0
    """

    unit_type: str = "mps_pa"

    #: Disturbances the fault layer may set (see the module docstring).
    DISTURBANCES: ClassVar[dict[str, Disturbance]] = {
        "pump_wear": Disturbance("P101 wear: fraction of the pump head lost (whole curve scaled)", "-", 0.0, 0.9),
        "heater_failure": Disturbance("E104 failure: fraction of the heater power lost", "-", 0.0, 1.0),
        "leak": Disturbance(
            "Leak in the pump line after B102, back into tank 101 (B102 reads more than reaches tank 102)",
            "l/min", 0.0, 5.0,
        ),
    }  # fmt: skip
    #: Actuators whose effective position a fault may take over.
    ACTUATORS: ClassVar[dict[str, str]] = {
        "P101": "Pump P101 speed command, % (before the pump's lag)",
        "V106": "Proportional valve V106 opening, %",
        "V102": "Drain ball valve V102 command, 0 = closed, 1 = open",
        "E104": "Heater E104 duty from the temperature controller, % (before the relay PWM)",
    }

    def __init__(self, params: MpsPaParams | None = None) -> None:
        p = params if params is not None else MpsPaParams()
        # The four loops regulate on what B101-B104 show: a faulty transmitter moves the process.
        feedback = dict.fromkeys(FEEDBACK_TAGS.values(), False)
        declare_fault_hooks(self, self.DISTURBANCES, self.ACTUATORS, feedback=feedback)
        self._set_params(p)
        self._t = 0.0
        self._v_low = p.initial_lower_volume_l / 1000.0
        self._v_up = p.initial_upper_volume_l / 1000.0
        self._t_low = self._t_up = p.initial_temperature_c
        # V106: command (%, tag V106_opening), effective position (%) and fraction (physics).
        self._v106_cmd = self._v106_pos = p.v106_initial_opening_pct
        self._v106 = p.v106_initial_opening_pct / 100.0
        self._v102_cmd = 0.0
        self._v102_pos = 0.0
        # Pump speed that balances the tank-102 outflow at the initial levels.
        speed = self._speed_for_flow(self._outflow(self._v_up / p.upper_tank_area_m2, 0.0))
        self._speed = speed
        self._pressure = self._hydraulics(self._v_low, self._v_up, speed, self._v106)[1]
        self._owner = "level"
        self.pids: dict[str, Pid] = {
            "level": Pid(p.level_tuning, p.level_setpoint_cm, auto=True, output=100.0 * speed),
            "flow": Pid(p.flow_tuning, p.flow_setpoint_l_min, auto=False, output=100 * speed),
            "pressure": Pid(p.pressure_tuning, p.pressure_setpoint_mbar, auto=False, output=100.0 * speed),
            "temperature": Pid(p.temperature_tuning, p.temperature_setpoint_c, auto=True),
        }
        self._pwm_phase = 0.0
        self._pwm_duty = 0.0
        self._heater_w = 0.0
        self._specs = self._build_specs()
        self._update_algebraic()

    # -- parameters ----------------------------------------------------------------------------
    @property
    def params(self) -> MpsPaParams:
        """The parameters; assigning new ones (e.g. a process fault) keeps the state and
        applies the ``*_tuning`` fields to the controllers."""
        return self._params

    @params.setter
    def params(self, params: MpsPaParams) -> None:
        self._set_params(params)
        for loop in LOOPS:
            self.pids[loop].tuning = getattr(params, f"{loop}_tuning")
        self._specs = self._build_specs()
        self._update_algebraic()

    def _set_params(self, p: MpsPaParams) -> None:
        self._params = p
        rho, g = p.water_density_kg_m3, p.gravity_m_s2
        p0 = p.pump_shutoff_pressure_mbar * 100.0
        a_pump = p0 / (p.pump_free_flow_l_min / 60000.0) ** 2
        r_line = p.line_loss_mbar_at_5_l_min * 100.0 / (5.0 / 60000.0) ** 2
        # Kv [m³/h at 1 bar] -> Q [m³/s] = kv_si * sqrt(Δp [Pa])
        self._kv106_si = p.v106_kv_m3_h / 3600.0 / math.sqrt(1e5)
        self._cda_drain = p.drain_cd_area_mm2 * 1e-6
        self._cda_v102 = p.v102_cd_area_mm2 * 1e-6
        self._r_pump_line = a_pump + r_line
        self._r_line = r_line
        self._two_g = 2.0 * g
        # Constants for the derivative function, unpacked in one go (fast in CPython);
        # _apply_disturbances adds pump wear and the leak to them.
        self._k_nominal = (
            p.lower_tank_area_m2, p.upper_tank_area_m2, p.pump_suction_loss_level_m, p0,
            rho * g, p.upper_inlet_elevation_m, a_pump, a_pump + r_line,
            math.sqrt(2.0 * g), p.upper_overflow_height_m,
            p.overflow_flow_l_min_at_1cm / 60000.0 / 0.01**1.5,
            1.0 / p.pump_time_constant_s, 1.0 / p.vessel_time_constant_s,
            rho, p.min_thermal_mass_kg, p.water_cp_j_kg_k, rho * p.water_cp_j_kg_k,
            p.lower_ua_w_k, p.upper_ua_w_k, p.ambient_temperature_c,
        )  # fmt: skip
        self._apply_disturbances()

    def _apply_disturbances(self) -> None:
        """Rebuild the derivative constants from the parameters and the current pump wear and leak."""
        wear, leak = self.disturbances["pump_wear"], self.disturbances["leak"]
        k = list(self._k_nominal)
        if wear:  # skipped when nominal, so the constants stay bit-identical
            keep = 1.0 - wear
            k[3] *= keep  # shut-off pressure
            k[6] *= keep  # curvature of the pump curve
            k[7] = k[6] + self._r_line
        self._k = (*k, leak / 60000.0)
        self._dist_key = (wear, leak)

    # -- hydraulics ----------------------------------------------------------------------------
    def _hydraulics(self, v_low: float, v_up: float, speed: float, v106: float) -> tuple[float, float, float, float]:
        """Quasi-static pump flow, outlet pressure (Pa), drain flow, overflow flow (m³/s)."""
        a_low, a_up, h_suc, p0, rho_g, z_in, a_pump, r_pl, _, h_of, k_of = self._k[:11]
        h_low = v_low / a_low if v_low > 0.0 else 0.0
        h_up = v_up / a_up if v_up > 0.0 else 0.0
        head = p0 * speed * speed
        if h_low < h_suc:
            head *= h_low / h_suc
        rhs = head - rho_g * (z_in - h_low)
        kvu = self._kv106_si * v106
        q_pump = kvu * math.sqrt(rhs / (r_pl * kvu * kvu + 1.0)) if rhs > 0.0 else 0.0
        p_out = rho_g * h_low + head - a_pump * q_pump * q_pump
        # _outflow inlined (it runs every step): the same operations, so the same result.
        q_drain = (self._cda_drain + self._v102_pos * self._cda_v102) * math.sqrt(self._two_g * h_up)
        q_over = k_of * (h_up - h_of) ** 1.5 if h_up > h_of else 0.0
        return q_pump, p_out, q_drain, q_over

    def _outflow(self, h_up: float, v102_pos: float) -> float:
        """Torricelli outflow of tank 102 through the manual drain and V102 (m³/s)."""
        cda = self._cda_drain + v102_pos * self._cda_v102
        return cda * math.sqrt(2.0 * self._params.gravity_m_s2 * max(h_up, 0.0))

    def _speed_for_flow(self, q: float) -> float:
        """Pump speed (0-1) that delivers ``q`` m³/s at the current state (V106 as set)."""
        p = self._params
        h_low = self._v_low / p.lower_tank_area_m2
        kvu = self._kv106_si * self._v106
        if q <= 0.0 or kvu <= 0.0:
            return 0.0
        head = p.water_density_kg_m3 * p.gravity_m_s2 * (p.upper_inlet_elevation_m - h_low)
        head += (self._r_pump_line + 1.0 / (kvu * kvu)) * q * q
        f = min(h_low / p.pump_suction_loss_level_m, 1.0)
        p0 = p.pump_shutoff_pressure_mbar * 100.0
        return min(math.sqrt(head / (p0 * f)), 1.0) if f > 0.0 else 1.0

    def _derivatives(
        self, v_low: float, v_up: float, t_low: float, t_up: float, speed: float,
        pressure: float, speed_cmd: float, kvu: float, cda_out: float, heater_w: float,
    ) -> tuple[float, float, float, float, float, float]:  # fmt: skip
        (a_low, a_up, h_suc, p0, rho_g, z_in, a_pump, r_pl, sq2g, h_of, k_of,
         inv_tau_pump, inv_tau_vessel, rho, m_min, cp, rho_cp, ua_low, ua_up, t_amb, q_leak) = self._k  # fmt: skip
        h_low = v_low / a_low if v_low > 0.0 else 0.0
        h_up = v_up / a_up if v_up > 0.0 else 0.0
        head = p0 * speed * speed
        if h_low < h_suc:
            head *= h_low / h_suc
        rhs = head - rho_g * (z_in - h_low)
        q_pump = kvu * math.sqrt(rhs / (r_pl * kvu * kvu + 1.0)) if rhs > 0.0 else 0.0
        p_out = rho_g * h_low + head - a_pump * q_pump * q_pump
        q_down = cda_out * sq2g * math.sqrt(h_up)
        if h_up > h_of:
            q_down += k_of * (h_up - h_of) ** 1.5
        if q_leak > 0.0:  # the leak returns to tank 101 before reaching tank 102
            q_pump -= q_leak if q_leak < q_pump else q_pump
        dv_low = q_down - q_pump
        m_low = rho * v_low
        if m_low < m_min:
            m_low = m_min
        m_up = rho * v_up
        if m_up < m_min:
            m_up = m_min
        dt_low = (heater_w + rho_cp * q_down * (t_up - t_low) - ua_low * (t_low - t_amb)) / (m_low * cp)
        dt_up = (rho_cp * q_pump * (t_low - t_up) - ua_up * (t_up - t_amb)) / (m_up * cp)
        return (
            dv_low,
            -dv_low,
            dt_low,
            dt_up,
            (speed_cmd - speed) * inv_tau_pump,
            (p_out - pressure) * inv_tau_vessel,
        )

    # -- Unit protocol: step -------------------------------------------------------------------
    def step(self, dt_s: float) -> None:
        """Advance process and controllers by ``dt_s`` simulated seconds (accurate ≤ 1 s)."""
        dt = float(dt_s)
        if not (dt > 0.0 and math.isfinite(dt)):
            raise ValueError(f"dt_s must be a positive finite number of seconds, got {dt_s!r}")
        p = self._params
        # 1. Controllers, once per step, on the measurements at the start of the step: what
        #    the transmitters show (a sensor fault there moves the process; None = failed).
        true_pvs = {
            "level": 100.0 * self._v_up / p.upper_tank_area_m2,
            "flow": self._q_pump * 60000.0,
            "pressure": self._pressure / 100.0,
            "temperature": self._t_low,
        }
        fb = self.feedback
        pvs: Mapping[str, float | None] = true_pvs
        if fb.active:
            pvs = {loop: fb.measure(FEEDBACK_TAGS[loop], v) for loop, v in true_pvs.items()}
        dist = self.disturbances
        if (dist["pump_wear"], dist["leak"]) != self._dist_key:
            self._apply_disturbances()
        hook = self.actuators.__call__  # bound once: it is called four times per step
        pids = self.pids
        pump_pct = pids[self._owner].update(pvs[self._owner], dt)
        for loop in PUMP_LOOPS:
            if loop != self._owner:  # manual, tracking the pump command
                pid = pids[loop]
                lo, hi = pid.tuning.out_min, pid.tuning.out_max
                pid.set_output(min(max(pump_pct, lo), hi))
                pid.update(pvs[loop], dt)
        duty = hook("E104", pids["temperature"].update(pvs["temperature"], dt)) / 100.0
        # 2. Heater: interlock on B113, time-proportioning relay -> average power.
        interlocked = self._v_low < p.b113_min_switch_m * p.lower_tank_area_m2
        on_fraction = self._heater_on_fraction(dt, duty)
        heater_w = 0.0 if interlocked else p.heater_power_w * on_fraction
        lost = dist["heater_failure"]
        if lost:
            heater_w *= 1.0 - lost
        self._heater_w = heater_w
        # 3. V102 travel; its average position over the step sets the outflow area.
        v102_mean = self._move_v102(dt, hook("V102", self._v102_cmd))
        cda_out = self._cda_drain + v102_mean * self._cda_v102
        v106 = hook("V106", self._v106_cmd)
        self._v106_pos = v106
        self._v106 = v106 / 100.0
        kvu = self._kv106_si * self._v106
        # The tracking loops above follow the controller's command, the pump the effective one.
        speed_cmd = hook("P101", pump_pct) / 100.0
        # 4. RK4 sub-steps.
        n = max(1, math.ceil(dt / MAX_SUBSTEP_S - 1e-9))
        h = dt / n
        h2 = 0.5 * h
        h6 = h / 6.0
        f = self._derivatives
        x0, x1, x2, x3, x4, x5 = (
            self._v_low, self._v_up, self._t_low, self._t_up, self._speed, self._pressure,
        )  # fmt: skip
        for _ in range(n):
            a0, a1, a2, a3, a4, a5 = f(x0, x1, x2, x3, x4, x5, speed_cmd, kvu, cda_out, heater_w)
            b0, b1, b2, b3, b4, b5 = f(
                x0 + h2 * a0, x1 + h2 * a1, x2 + h2 * a2, x3 + h2 * a3, x4 + h2 * a4,
                x5 + h2 * a5, speed_cmd, kvu, cda_out, heater_w,
            )  # fmt: skip
            c0, c1, c2, c3, c4, c5 = f(
                x0 + h2 * b0, x1 + h2 * b1, x2 + h2 * b2, x3 + h2 * b3, x4 + h2 * b4,
                x5 + h2 * b5, speed_cmd, kvu, cda_out, heater_w,
            )  # fmt: skip
            d0, _, d2, d3, d4, d5 = f(
                x0 + h * c0, x1 + h * c1, x2 + h * c2, x3 + h * c3, x4 + h * c4,
                x5 + h * c5, speed_cmd, kvu, cda_out, heater_w,
            )  # fmt: skip
            dv = h6 * (a0 + 2.0 * (b0 + c0) + d0)  # tank 102 gets exactly -dv
            x0 += dv
            x1 -= dv
            x2 += h6 * (a2 + 2.0 * (b2 + c2) + d2)
            x3 += h6 * (a3 + 2.0 * (b3 + c3) + d3)
            x4 += h6 * (a4 + 2.0 * (b4 + c4) + d4)
            x5 += h6 * (a5 + 2.0 * (b5 + c5) + d5)
            # A round-off undershoot below empty goes back to the other tank: conserved.
            if x1 < 0.0:
                x0 += x1
                x1 = 0.0
            if x0 < 0.0:
                x1 += x0
                x0 = 0.0
        self._v_low, self._v_up, self._t_low, self._t_up, self._speed, self._pressure = (
            x0, x1, x2, x3, x4, x5,
        )  # fmt: skip
        self._t += dt
        self._update_algebraic()

    def _heater_on_fraction(self, dt: float, duty: float) -> float:
        """Fraction of ``dt`` the heater relay is on; the duty is latched per cycle."""
        period = self._params.heater_cycle_s
        duty = min(max(duty, 0.0), 1.0)
        if period <= 0.0:
            self._pwm_duty = duty
            return duty
        remaining, on, phase = dt, 0.0, self._pwm_phase
        while remaining > 0.0:
            if phase <= 0.0:
                self._pwm_duty = duty  # new cycle: latch the controller output
            seg = min(remaining, period - phase)
            on += min(max(self._pwm_duty * period - phase, 0.0), seg)
            phase += seg
            remaining -= seg
            if phase >= period * (1.0 - 1e-12):
                phase = 0.0
        self._pwm_phase = phase
        return on / dt

    def _set_v106(self) -> None:
        """V106's effective position from its command, through the actuator hook."""
        pos = self.actuators("V106", self._v106_cmd)
        self._v106_pos = pos
        self._v106 = pos / 100.0

    def _move_v102(self, dt: float, target: float) -> float:
        """Move V102 towards ``target`` (its effective command); return its mean position over the step."""
        x0 = self._v102_pos
        travel = self._params.v102_travel_time_s
        if travel <= 0.0 or x0 == target:
            self._v102_pos = target
            return target
        t_reach = abs(target - x0) * travel
        if t_reach > dt * (1.0 + 1e-9):
            x1 = x0 + math.copysign(dt / travel, target - x0)
            self._v102_pos = x1
            return 0.5 * (x0 + x1)
        self._v102_pos = target
        return (t_reach * 0.5 * (x0 + target) + (dt - t_reach) * target) / dt

    def _update_algebraic(self) -> None:
        q_pump, _, q_drain, q_over = self._hydraulics(self._v_low, self._v_up, self._speed, self._v106)
        self._q_pump, self._q_drain, self._q_over = q_pump, q_drain, q_over

    # -- Unit protocol: tags -------------------------------------------------------------------
    def tag_specs(self) -> list[TagSpec]:
        """All tags, in display order: sensors, loop tags, actuators, internal states."""
        return list(self._specs.values())

    def _build_specs(self) -> dict[str, TagSpec]:
        p = self._params
        sp_level_hi = round(100.0 * p.upper_overflow_height_m, 6)
        specs = [
            _spec("B101_level", "Tank 102 level (ultrasonic B101)", "cm", 0,
                  round(100 * p.upper_tank_height_m, 6), "measurement", noise_sd=0.1,
                  loop="level"),
            _spec("B102_flow", "Pump line flow (impeller sensor B102)", "l/min", 0, 10,
                  "measurement", noise_sd=0.05, loop="flow"),
            _spec("B103_pressure", "Pressure vessel, gauge (B103)", "mbar", 0, 400,
                  "measurement", noise_sd=1.0, loop="pressure"),
            _spec("B104_temperature", "Tank 101 temperature (PT100 B104)", "°C", 0, 100,
                  "measurement", noise_sd=0.05, loop="temperature"),
            _spec("B113_min", "Tank 101 min level switch, 1 = wet", "", 0, 1, "switch", states=_WET),
            _spec("B114_max", "Tank 101 max level switch, 1 = wet", "", 0, 1, "switch", states=_WET),
            _spec("S111_overflow", "Tank 101 overflow switch, 1 = wet", "", 0, 1, "switch", states=_WET),
            _spec("S112_overflow", "Tank 102 overflow float switch, 1 = up", "", 0, 1,
                  "switch", states={0: "state.down", 1: "state.up"}),
            _spec("S115_closed", "V102 end position closed", "", 0, 1, "switch", states=_REACHED),
            _spec("S116_open", "V102 end position open", "", 0, 1, "switch", states=_REACHED),
        ]  # fmt: skip
        loop_ranges = {
            "level": ("cm", 0.0, sp_level_hi, "Tank 102 level"),
            "flow": ("l/min", 0.0, 10.0, "Pump line flow"),
            "pressure": ("mbar", 0.0, 400.0, "Vessel pressure"),
            "temperature": ("°C", 0.0, 70.0, "Tank 101 temperature"),
        }
        for loop in LOOPS:
            unit, lo, hi, what = loop_ranges[loop]
            actuator = "E104 heater duty" if loop == "temperature" else "P101 speed"
            specs += [
                _spec(f"{loop}_sp", f"{what} setpoint", unit, lo, hi, "setpoint", loop=loop),
                _spec(f"{loop}_mode", f"{loop} loop mode, 0 = manual, 1 = auto", "", 0, 1,
                      "mode", loop=loop),
                _spec(f"{loop}_out", f"{loop} controller output ({actuator})", "%", 0, 100,
                      "output", loop=loop),
            ]  # fmt: skip
        specs += [
            _spec("V102_cmd", "V102 drain ball valve command, 1 = open", "", 0, 1, "output",
                  states={0: "state.closed", 1: "state.open"}),
            _spec("V106_opening", "V106 proportional valve opening", "%", 0, 100, "output"),
            _spec("P101_speed", "P101 pump speed (actual)", "%", 0, 100, "state"),
            _spec("P101_loop", "Loop driving P101: 0 = level, 1 = flow, 2 = pressure", "", 0,
                  2, "state", states={i: f"state.loop.{name}" for i, name in enumerate(("level", "flow", "pressure"))}),
            _spec("V102_position", "V102 position", "%", 0, 100, "state"),
            _spec("V106_position", "V106 position (actual opening)", "%", 0, 100, "state"),
            _spec("E104_on", "E104 heater relay, 1 = on", "", 0, 1, "state", states={0: "state.off", 1: "state.on"}),
            _spec("E104_power", "E104 heater power, mean over the last step", "W", 0,
                  p.heater_power_w, "state"),
            _spec("E104_interlock", "E104 blocked because B113 is dry", "", 0, 1, "state",
                  states={0: "state.free", 1: "state.blocked"}),
            _spec("tank101_level", "Tank 101 level", "cm", 0, 100 * p.lower_tank_height_m,
                  "state"),
            _spec("tank101_volume", "Tank 101 water volume", "l", 0,
                  1000 * p.lower_tank_area_m2 * p.lower_tank_height_m, "state"),
            _spec("tank102_volume", "Tank 102 water volume", "l", 0,
                  1000 * p.upper_tank_area_m2 * p.upper_tank_height_m, "state"),
            _spec("tank102_temperature", "Tank 102 temperature", "°C", 0, 100, "state"),
            _spec("drain_flow", "Tank 102 → 101 through V102 and the manual drain", "l/min",
                  0, 20, "state"),
            _spec("overflow_flow", "Tank 102 → 101 over the overflow", "l/min", 0, 20,
                  "state"),
            _spec("total_water", "Water in both tanks (conserved)", "l", 0, 20, "state"),
        ]  # fmt: skip
        return {s.name: s for s in specs}

    def read(self) -> dict[str, float]:
        """True (noise-free) value of every tag."""
        p = self._params
        h_low = self._v_low / p.lower_tank_area_m2
        h_up = self._v_up / p.upper_tank_area_m2
        out: dict[str, float] = {
            "B101_level": 100.0 * h_up,
            "B102_flow": 60000.0 * self._q_pump,
            "B103_pressure": self._pressure / 100.0,
            "B104_temperature": self._t_low,
            "B113_min": float(h_low >= p.b113_min_switch_m),
            "B114_max": float(h_low >= p.b114_max_switch_m),
            "S111_overflow": float(h_low >= p.s111_overflow_switch_m),
            "S112_overflow": float(h_up >= p.s112_overflow_switch_m),
            "S115_closed": float(self._v102_pos <= 0.0),
            "S116_open": float(self._v102_pos >= 1.0),
        }
        for loop in LOOPS:
            pid = self.pids[loop]
            out[f"{loop}_sp"] = pid.setpoint
            out[f"{loop}_mode"] = 1.0 if pid.auto else 0.0
            out[f"{loop}_out"] = pid.output
        out.update(
            V102_cmd=self._v102_cmd,
            V106_opening=self._v106_cmd,
            P101_speed=100.0 * self._speed,
            P101_loop=float(PUMP_LOOPS.index(self._owner)),
            V102_position=100.0 * self._v102_pos,
            V106_position=self._v106_pos,
            E104_on=float(self._heater_relay_on()),
            E104_power=self._heater_w,
            E104_interlock=float(h_low < p.b113_min_switch_m),
            tank101_level=100.0 * h_low,
            tank101_volume=1000.0 * self._v_low,
            tank102_volume=1000.0 * self._v_up,
            tank102_temperature=self._t_up,
            drain_flow=60000.0 * self._q_drain,
            overflow_flow=60000.0 * self._q_over,
            total_water=1000.0 * (self._v_low + self._v_up),
        )
        return out

    def _heater_relay_on(self) -> bool:
        p = self._params
        if self._v_low < p.b113_min_switch_m * p.lower_tank_area_m2:
            return False
        if p.heater_cycle_s <= 0.0:
            return self._pwm_duty > 0.0
        return self._pwm_phase < self._pwm_duty * p.heater_cycle_s

    # -- Unit protocol: write ------------------------------------------------------------------
    def write(self, tag: str, value: float) -> None:
        """Write a setpoint, mode or output tag.

        Besides the checks every unit makes (:func:`models.params.check_write`; ``V102_cmd``
        takes only 0 or 1, like a mode), ``<loop>_out`` is refused (``ValueError``) while
        that loop is in auto.
        """
        v = check_write(self._specs, self.unit_type, tag, value, binary=("V102_cmd",))
        if tag == "V102_cmd":
            self._v102_cmd = v
            return
        if tag == "V106_opening":
            self._v106_cmd = v
            self._set_v106()  # a manual valve moves when written (unless a fault holds it)
            self._update_algebraic()
            return
        loop, _, what = tag.rpartition("_")
        pid = self.pids[loop]
        if what == "sp":
            pid.setpoint = v
        elif what == "mode":
            if v == 1.0 and loop in PUMP_LOOPS:
                self._take_pump(loop)
            pid.set_auto(v == 1.0)
        else:  # out
            require_manual(pid.auto, tag, f"{loop}_mode")
            if loop in PUMP_LOOPS:
                self._take_pump(loop)
            pid.set_output(min(max(v, pid.tuning.out_min), pid.tuning.out_max))

    def _take_pump(self, loop: str) -> None:
        """Give P101 to ``loop``; the previous owner drops to manual (bumpless)."""
        if loop != self._owner:
            self.pids[self._owner].set_auto(False)
            self._owner = loop

    # -- Unit protocol: snapshot / restore -----------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """Whole state (parameters and controllers included) as plain JSON-able data."""
        return {
            "unit_type": self.unit_type,
            "version": 1,
            "params": self._params.to_dict(),
            "t_s": self._t,
            "x": [self._v_low, self._v_up, self._t_low, self._t_up, self._speed, self._pressure],
            "v106": self._v106,
            "v106_cmd": self._v106_cmd,
            "v106_pos": self._v106_pos,
            "v102_cmd": self._v102_cmd,
            "v102_pos": self._v102_pos,
            "owner": self._owner,
            "pwm_phase": self._pwm_phase,
            "pwm_duty": self._pwm_duty,
            "heater_w": self._heater_w,
            "pids": {loop: pid.snapshot() for loop, pid in self.pids.items()},
            "disturbances": self.disturbances.snapshot(),
            "actuators": self.actuators.snapshot(),
            "feedback": self.feedback.snapshot(),
        }

    def restore(self, snap: dict[str, Any]) -> None:
        """Restore a state produced by :meth:`snapshot`; continuing is bit-identical."""
        if snap.get("unit_type") != self.unit_type or snap.get("version") != 1:
            raise ValueError("not an mps_pa snapshot (version 1)")
        # Older snapshots have no faults: nominal disturbances, free actuators.
        self.disturbances.restore(snap.get("disturbances"))
        self.actuators.restore(snap.get("actuators"))
        self.feedback.restore(snap.get("feedback"))
        self._set_params(MpsPaParams.from_dict(snap["params"]))
        self._t = float(snap["t_s"])
        x = [float(v) for v in snap["x"]]
        self._v_low, self._v_up, self._t_low, self._t_up, self._speed, self._pressure = x
        self._v106 = float(snap["v106"])
        self._v106_cmd = float(snap.get("v106_cmd", 100.0 * self._v106))
        self._v106_pos = float(snap.get("v106_pos", 100.0 * self._v106))
        self._v102_cmd = float(snap["v102_cmd"])
        self._v102_pos = float(snap["v102_pos"])
        if snap["owner"] not in PUMP_LOOPS:
            raise ValueError(f"bad P101 owner {snap['owner']!r}")
        self._owner = snap["owner"]
        self._pwm_phase = float(snap["pwm_phase"])
        self._pwm_duty = float(snap["pwm_duty"])
        self._heater_w = float(snap["heater_w"])
        for loop in LOOPS:
            self.pids[loop].restore(snap["pids"][loop])
        self._specs = self._build_specs()
        self._update_algebraic()

    def __repr__(self) -> str:
        r = self.read()
        return (
            f"MpsPaStation(level={r['B101_level']:.2f} cm, flow={r['B102_flow']:.2f} l/min, "
            f"T={r['B104_temperature']:.2f} °C, P101 by {self._owner})"
        )


__all__ = ["FEEDBACK_TAGS", "LOOPS", "MAX_SUBSTEP_S", "PUMP_LOOPS", "MpsPaParams", "MpsPaStation"]
