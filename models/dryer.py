"""Fluid-bed dryer for wet granules, with an NIR moisture analyser (PAT) and its end-point.

Model (states: moisture, product and inlet-air temperatures, air flow, water evaporated)
-------------------------------------------------------------------------------------
* Moisture on a dry basis ``X`` (kg water / kg dry solids); tags show it as loss on drying
  ``LOD = 100·X/(1 + X)`` % (wet basis), as the pharmacopoeia measures it.
* Air: ``ṁ = flow·1.2/3600`` kg dry air/s (flow in normal m³/h), inlet humidity ``Y_in``.
  The bed is well mixed; gas and solids exchange heat and vapour with the same number of
  transfer units (Lewis ≈ 1), effectiveness ``ε = 1 − exp(−NTU)``.
* Drying kinetics: ``R = f(X)·ṁ·ε·(Y_sat(T_p) − Y_in)`` kg/s. Constant-rate period
  ``f = 1`` while ``X ≥ X_c`` (surface wet: the air's capacity limits); falling-rate period
  ``f = ((X − X_eq)/(X_c − X_eq))^n`` below the critical moisture.
* Energy of the bed (solids, water, bowl):
  ``C·dT_p/dt = ṁ·c_s·ε·(T_in − T_p) − R·h_fg(T_p) − UA·(T_p − T_room)``. In the constant-rate
  period this settles where ``c_s·(T_in − T_p) = (Y_sat(T_p) − Y_in)·h_fg``: the adiabatic
  saturation (≈ wet-bulb) temperature of the inlet air; in the falling-rate period evaporative
  cooling fades and the product and exhaust temperatures climb towards the inlet.
* Exhaust: ``T_out = T_p + (T_in − T_p)·exp(−NTU)``, ``Y_out = Y_in + R/ṁ``.
* Inlet air heater: ``τ·dT_in/dt = T_room − T_in + P_max·u/(ṁ·c_s)`` with a PID on the inlet
  temperature (``inlet_temperature_*`` tags; the ``Pid`` of :mod:`models.pid`) that regulates on
  what the inlet-air probe shows (``feedback``: a probe reading 5 K low makes the air 5 K too
  hot); interlocked off below ``min_air_flow_m3_h`` as the flow transmitter shows it (a
  transmitter reading high keeps the heater on in too little air; a failed one trips it). Fan:
  first-order lag to the flow setpoint.
* Psychrometrics and the saturation curve: :mod:`models.steam` (IAPWS-IF97).
* Integration: classic RK4, sub-steps of at most :data:`MAX_SUBSTEP_S`.

NIR analyser and end-point
--------------------------
Every ``nir_scan_interval_s`` (while the bed is fluidised) the analyser publishes
``nir_lod`` = true LOD + bias + ``N(0, nir_sd_pct)``, held until the next scan (its error is
drawn in the model, so the tag carries no extra runtime noise). When ``endpoint_scans``
consecutive predictions are ≤ ``target_lod_sp`` the end-point is reached: phase *complete*,
heater off (PID to manual at 0 %) while the fan keeps blowing room air to cool the product.
``nir_lod_pi`` is the 95 % interval of that stated error; a prediction outside the NIR's
calibrated range (:data:`models.pat_tags.NIR_CALIBRATED_LOD_PCT`) is published *Uncertain*.
Off-line reference samples (``lod_lab``, halogen moisture balance, sd ``lab_lod_sd_pct``) are
taken of each batch as loaded, every ``lab_sample_interval_s`` while drying, and at the end-point.

Faults (:mod:`models.disturbances`)
-----------------------------------
* ``heater_failure``: fraction of the air heater's power lost (``P_max·(1 − f)``). The loop
  makes up for it until the power left is short of what the setpoint needs (65 °C at
  300 m³/h takes about 4.6 kW, 30 % of the 15 kW): then the output saturates at 100 % and
  the inlet temperature falls.
* ``fouling.filter``: fraction of the air flow lost through a clogged inlet filter: the fan
  drives the flow to ``(1 − f)·command``. Below ``min_air_flow_m3_h`` the heater interlock trips.
* ``feed_concentration``: relative error of the moisture (dry basis, the granulation water
  per kg of solids) of the **next** batch loaded, ``X₀·(1 + e)``; the batch in the bowl keeps
  its water.
* Actuators ``heater`` (the loop's output, %) and ``fan`` (the air-flow command, m³/h): a
  stuck or sticking actuator does what the hooks return; ``heater_position`` and
  ``fan_position`` show it while ``heater_out`` and ``air_flow_sp`` show what is asked.

Phases and commands
-------------------
``phase``: 0 idle (fan and heater off), 1 drying, 2 complete. ``cycle_cmd``: 1 start drying,
2 stop (to idle), 3 load a new wet batch (not while drying). ``autostart`` starts a batch at
t = 0 and, with ``repeat_interval_min`` > 0, loads and starts a new one that long after each
end-point. A :class:`DryerRecipe` (:meth:`FluidBedDryer.load_recipe`) steps the inlet
temperature and air-flow setpoints over the drying time.

Examples
--------
>>> d = FluidBedDryer(FluidBedDryerParams(seed=1))
>>> for _ in range(600):
...     d.step(1.0)
>>> r = d.read()
>>> r["phase"], abs(r["product_temperature"] - d.wet_bulb_c()) < 1.0
(1.0, True)
>>> d.write("inlet_temperature_sp", 120.0)
Traceback (most recent call last):
...
ValueError: inlet_temperature_sp = 120.0 is outside the allowed range [30.0, 90.0] °C
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numpy as np

from models.disturbances import Disturbance
from models.dryer_recipe import (
    AIR_FLOW_M3_H,
    INLET_TEMPERATURE_C,
    TARGET_LOD_PCT,
    DryerRecipe,
    DryerStep,
    lod_from_x,
    x_from_lod,
)
from models.params import ALLOWED, Params, check_fields, check_range, check_write, require_manual
from models.pat_lab import LabMethod, LabSampler
from models.pat_tags import NIR_CALIBRATED_LOD_PCT, dryer_nir_specs
from models.pid import Pid, PidTuning
from models.steam import (
    adiabatic_saturation_temperature_c,
    latent_heat_kj_kg,
    relative_humidity,
    saturation_humidity_ratio,
)
from models.unit import FaultHookDefaults, TagSpec, declare_fault_hooks

#: Longest RK4 sub-step, seconds.
MAX_SUBSTEP_S = 1.0
#: Normal density of air for the flow in normal m³/h.
AIR_DENSITY_KG_M3 = 1.2
CP_WATER_KJ_KG_K = 4.18
IDLE, DRYING, COMPLETE = 0, 1, 2


@dataclass(frozen=True)
class FluidBedDryerParams(Params):
    """Parameters of :class:`FluidBedDryer`; units in the field names. Values *assumed* for a
    pilot fluid-bed dryer (10 kg batch of granules from high-shear wet granulation).

    Examples
    --------
    >>> FluidBedDryerParams(critical_lod_pct=25.0)
    Traceback (most recent call last):
    ...
    ValueError: need equilibrium_lod_pct < critical_lod_pct < initial_lod_pct, got 0.5, 25.0, 20.0
    """

    dry_solids_kg: float = 10.0
    initial_lod_pct: float = 20.0
    #: End of the constant-rate period (typical granules: 5-10 % LOD).
    critical_lod_pct: float = 8.0
    equilibrium_lod_pct: float = 0.5
    falling_rate_exponent: float = 1.0
    solids_cp_kj_kg_k: float = 1.2
    #: Product bowl and screen, heated with the bed.
    equipment_heat_capacity_kj_k: float = 15.0
    #: Transfer units between fluidising gas and solids (fluid beds: 2-5).
    ntu: float = 3.0
    heat_loss_w_k: float = 10.0
    room_temperature_c: float = 20.0
    #: Process air after the air-handling unit's dehumidifier (dew point ≈ 4 °C).
    inlet_humidity_g_kg: float = 5.0
    heater_power_kw: float = 15.0
    heater_time_constant_s: float = 40.0
    fan_time_constant_s: float = 5.0
    min_air_flow_m3_h: float = 50.0
    inlet_temperature_sp_c: float = 65.0
    air_flow_sp_m3_h: float = 300.0
    heater_tuning: PidTuning = field(default_factory=lambda: PidTuning(kp=2.0, ki=0.05))
    initial_product_temperature_c: float = 20.0
    #: NIR analyser: scan period, prediction error (1 sd) and bias, % LOD.
    nir_scan_interval_s: float = 20.0
    nir_sd_pct: float = 0.2
    nir_bias_pct: float = 0.0
    target_lod_pct: float = 2.0
    #: Consecutive NIR predictions at or below target that declare the end-point.
    endpoint_scans: int = 1
    #: Off-line LOD samples: every 10 min while drying, halogen balance error (1 sd), % LOD.
    lab_sample_interval_s: float = 600.0
    lab_lod_sd_pct: float = 0.1
    seed: int = 0
    autostart: bool = True
    repeat_interval_min: float = 30.0

    def __post_init__(self) -> None:
        check_fields(
            self,
            positive=(
                "dry_solids_kg", "ntu", "heater_time_constant_s", "fan_time_constant_s", "nir_scan_interval_s",
                "heater_power_kw", "falling_rate_exponent", "endpoint_scans", "lab_sample_interval_s",
            ),
            signed=("nir_bias_pct", "room_temperature_c", "initial_product_temperature_c", "seed"),
            whole=("seed", "endpoint_scans"),
            flags=("autostart",),
            negative_first=True,
        )  # fmt: skip
        if not self.equilibrium_lod_pct < self.critical_lod_pct < self.initial_lod_pct < 60.0:
            raise ValueError(
                "need equilibrium_lod_pct < critical_lod_pct < initial_lod_pct, got "
                f"{self.equilibrium_lod_pct}, {self.critical_lod_pct}, {self.initial_lod_pct}"
            )
        check_range("inlet_temperature_sp_c", self.inlet_temperature_sp_c, *INLET_TEMPERATURE_C, message=ALLOWED)
        check_range("air_flow_sp_m3_h", self.air_flow_sp_m3_h, *AIR_FLOW_M3_H, message=ALLOWED)
        check_range("target_lod_pct", self.target_lod_pct, *TARGET_LOD_PCT, message=ALLOWED)


def _spec(name: str, desc: str, unit: str, lo: float, hi: float, kind: Any, **kw: Any) -> TagSpec:
    return TagSpec(name, desc, unit, float(lo), float(hi), kind=kind, **kw)


class FluidBedDryer(FaultHookDefaults):
    """Fluid-bed dryer, inlet-air heater loop and NIR end-point, as a :class:`models.unit.Unit`.

    Parameters
    ----------
    params : FluidBedDryerParams, optional
    seed : int, optional
        Overrides ``params.seed`` (the NIR prediction errors).

    Attributes
    ----------
    pid : Pid
        Inlet-air temperature controller (output: heater %).

    Examples
    --------
    The end-point is reached and the heater switches off:

    >>> d = FluidBedDryer(FluidBedDryerParams(repeat_interval_min=0.0))
    >>> while d.read()["phase"] != 2.0:
    ...     d.step(10.0)
    >>> r = d.read()
    >>> r["nir_lod"] <= 2.0, r["heater_out"], 15 < r["drying_time"] < 90
    (True, 0.0, True)
    """

    unit_type = "fluid_bed_dryer"

    #: Disturbances a fault may set (see the module docstring).
    DISTURBANCES: ClassVar[dict[str, Disturbance]] = {
        "heater_failure": Disturbance("Fraction of the inlet-air heater's power lost", "-", 0.0, 1.0),
        "fouling.filter": Disturbance("Clogged inlet filter: fraction of the air flow lost", "-", 0.0, 0.9),
        "feed_concentration": Disturbance(
            "Relative error of the moisture of the next batch loaded (dry basis; -0.2 = 20 % less water)",
            "-", -0.9, 1.0,
        ),
    }  # fmt: skip
    #: Actuators whose effective position a fault may take over.
    ACTUATORS: ClassVar[dict[str, str]] = {
        "heater": "Inlet-air heater (temperature loop output), %",
        "fan": "Process-air fan (air-flow command), m³/h",
    }

    def __init__(self, params: FluidBedDryerParams | None = None, *, seed: int | None = None) -> None:
        p = params or FluidBedDryerParams()
        if seed is not None:
            p = replace(p, seed=seed)
        # The NIR prediction decides the end-point; the model publishes what it predicted. The
        # heater loop regulates on what the inlet-air probe shows, and the heater's low-flow
        # interlock trips on what the flow transmitter shows (both published as they truly are).
        feedback = {"nir_lod": True, "inlet_air_temperature": False, "air_flow": False}
        declare_fault_hooks(self, self.DISTURBANCES, self.ACTUATORS, feedback=feedback)
        self._set_params(p)
        self._rng = np.random.default_rng(p.seed)
        self.pid = Pid(p.heater_tuning, setpoint=p.inlet_temperature_sp_c, auto=True)
        self._flow_sp = p.air_flow_sp_m3_h
        self._target = p.target_lod_pct
        self._t = 0.0
        self.recipe: DryerRecipe | None = None
        self._batches = 0
        self._lab = _lab_sampler(p)
        self._load_batch()
        if p.autostart:
            self._start()

    def _set_params(self, p: FluidBedDryerParams) -> None:
        self._params = p
        self._y_in = p.inlet_humidity_g_kg / 1000.0
        self._cs = 1.006 + 1.86 * self._y_in  # kJ/(kg dry air·K)
        self._eps = 1.0 - math.exp(-p.ntu)
        self._x_c = x_from_lod(p.critical_lod_pct)
        self._x_eq = x_from_lod(p.equilibrium_lod_pct)
        self._specs = self._build_specs()
        self._apply_disturbances()

    def _apply_disturbances(self) -> None:
        """Heater power and air path as the current disturbances leave them (the nominal ones at nominal)."""
        d = self.disturbances
        self._heater_kw = self._params.heater_power_kw * (1.0 - d["heater_failure"])
        self._air_path = 1.0 - d["fouling.filter"]

    # -- batch and phase handling -------------------------------------------------------------
    def _load_batch(self) -> None:
        p = self._params
        self._x = x_from_lod(p.initial_lod_pct) * (1.0 + self.disturbances["feed_concentration"])
        self._t_p = p.initial_product_temperature_c
        self._t_in = p.room_temperature_c
        self._flow = 0.0
        self._evap = 0.0
        self._rate = 0.0
        self._phase = IDLE
        self._phase_t = 0.0
        self._drying_t = 0.0
        self._nir = p.initial_lod_pct
        self._lab.take(self._t, {"lod_lab": lod_from_x(self._x)})  # the wet granules as loaded
        self._next_scan = math.inf
        self._scans = 0
        self._below = 0
        self._step_index = -1
        self._heater_off()

    def _heater_off(self) -> None:
        self.pid.set_auto(False)
        self.pid.set_output(0.0)

    def _start(self) -> None:
        self._phase = DRYING
        self._phase_t = 0.0
        self._drying_t = 0.0
        self._below = 0
        self._step_index = -1
        self._next_scan = self._t + self._params.nir_scan_interval_s
        self._lab.schedule(self._t + self._lab.interval_s)
        self.pid.set_auto(True)

    def load_recipe(self, recipe: DryerRecipe) -> None:
        """Use ``recipe`` for the next drying (not while drying)."""
        if self._phase == DRYING:
            raise ValueError("load_recipe: not while drying; stop first")
        self.recipe = recipe
        if recipe.target_lod_pct is not None:
            self._target = recipe.target_lod_pct

    def _apply_recipe(self) -> None:
        assert self.recipe is not None
        elapsed_min, index = self._phase_t / 60.0, 0
        for i, s in enumerate(self.recipe.steps):
            index = i
            elapsed_min -= s.duration_min or 0.0
            if elapsed_min < 0.0:
                break
        if index != self._step_index:
            self._step_index = index
            s = self.recipe.steps[index]
            self.pid.setpoint = s.inlet_temperature_c
            self._flow_sp = s.air_flow_m3_h

    def wet_bulb_c(self) -> float:
        """Adiabatic saturation (≈ wet-bulb) temperature of the current inlet air, °C."""
        return adiabatic_saturation_temperature_c(self._t_in, self._y_in)

    # -- physics -------------------------------------------------------------------------------
    def _derivatives(
        self, x: float, t_p: float, t_in: float, flow: float, u: float, flow_sp: float
    ) -> tuple[float, float, float, float, float]:
        p = self._params
        m_air = flow * AIR_DENSITY_KG_M3 / 3600.0
        if x >= self._x_c:
            f = 1.0
        elif x > self._x_eq:
            f = ((x - self._x_eq) / (self._x_c - self._x_eq)) ** p.falling_rate_exponent
        else:
            f = 0.0
        rate = f * m_air * self._eps * max(saturation_humidity_ratio(t_p) - self._y_in, 0.0)  # kg/s
        c_bed = p.dry_solids_kg * (p.solids_cp_kj_kg_k + x * CP_WATER_KJ_KG_K) + p.equipment_heat_capacity_kj_k
        q_air = m_air * self._cs * self._eps * (t_in - t_p)  # kW
        q_loss = p.heat_loss_w_k * (t_p - p.room_temperature_c) / 1000.0
        d_tp = (q_air - rate * latent_heat_kj_kg(t_p) - q_loss) / c_bed
        m_min = p.min_air_flow_m3_h * AIR_DENSITY_KG_M3 / 3600.0
        heat = self._heater_kw * u if self._heater_enabled(flow) else 0.0
        d_tin = (p.room_temperature_c - t_in + heat / (max(m_air, m_min) * self._cs)) / p.heater_time_constant_s
        d_flow = (self._air_path * flow_sp - flow) / p.fan_time_constant_s
        return -rate / p.dry_solids_kg, d_tp, d_tin, d_flow, rate

    def _heater_enabled(self, flow: float) -> bool:
        """The low-flow interlock, on what the flow transmitter shows; a failed one trips it (fail-safe)."""
        fb = self.feedback
        if not fb.active:
            return flow >= self._params.min_air_flow_m3_h
        return not fb.failed("air_flow") and fb("air_flow", flow) >= self._params.min_air_flow_m3_h

    def step(self, dt_s: float) -> None:
        """Advance by ``dt_s`` simulated seconds: controller, RK4 sub-steps, NIR scans, end-point."""
        if not dt_s > 0.0:
            raise ValueError(f"dt_s must be > 0, got {dt_s!r}")
        p = self._params
        n = max(1, math.ceil(dt_s / MAX_SUBSTEP_S - 1e-9))
        h = dt_s / n
        f = self._derivatives
        self._apply_disturbances()  # a fault set since the last step acts from now on
        for _ in range(n):
            if self._phase == DRYING and self.recipe is not None:
                self._apply_recipe()
            flow_sp = self.actuators("fan", 0.0 if self._phase == IDLE else self._flow_sp)
            pv = self.feedback.measure("inlet_air_temperature", self._t_in) if self.feedback.active else self._t_in
            u = self.actuators("heater", self.pid.update(pv, h)) / 100.0
            x0, x1, x2, x3 = self._x, self._t_p, self._t_in, self._flow
            a0, a1, a2, a3, _ = f(x0, x1, x2, x3, u, flow_sp)
            b0, b1, b2, b3, _ = f(
                x0 + 0.5 * h * a0, x1 + 0.5 * h * a1, x2 + 0.5 * h * a2, x3 + 0.5 * h * a3, u, flow_sp
            )
            c0, c1, c2, c3, _ = f(
                x0 + 0.5 * h * b0, x1 + 0.5 * h * b1, x2 + 0.5 * h * b2, x3 + 0.5 * h * b3, u, flow_sp
            )
            d0, d1, d2, d3, d4 = f(x0 + h * c0, x1 + h * c1, x2 + h * c2, x3 + h * c3, u, flow_sp)
            h6 = h / 6.0
            dx = h6 * (a0 + 2.0 * (b0 + c0) + d0)
            self._x = x0 + dx
            self._evap -= dx * p.dry_solids_kg  # the same increment: the water balance closes exactly
            self._t_p = x1 + h6 * (a1 + 2.0 * (b1 + c1) + d1)
            self._t_in = x2 + h6 * (a2 + 2.0 * (b2 + c2) + d2)
            self._flow = max(x3 + h6 * (a3 + 2.0 * (b3 + c3) + d3), 0.0)
            self._rate = d4
            self._t += h
            self._phase_t += h
            if self._phase == DRYING:
                self._drying_t += h
            while self._next_scan <= self._t + 1e-9:
                self._scan()
            if (
                self._phase == COMPLETE
                and p.autostart
                and p.repeat_interval_min > 0.0
                and (self._phase_t >= 60.0 * p.repeat_interval_min - 1e-9)
            ):
                self._load_batch()
                self._start()

    def _scan(self) -> None:
        p = self._params
        self._next_scan += p.nir_scan_interval_s
        self._scans += 1
        raw = lod_from_x(self._x) + p.nir_bias_pct + p.nir_sd_pct * self._rng.standard_normal()
        self._nir = max(self.feedback("nir_lod", raw), 0.0)
        if self._phase != DRYING:
            return
        if self._lab.due(self._t):
            self._lab.take(self._t, {"lod_lab": lod_from_x(self._x)})
        self._below = self._below + 1 if self._nir <= self._target else 0
        if self._below >= p.endpoint_scans:
            self._lab.take(self._t, {"lod_lab": lod_from_x(self._x)})  # the release sample
            self._phase = COMPLETE
            self._phase_t = 0.0
            self._heater_off()
            self._batches += 1

    # -- Unit protocol ----------------------------------------------------------------------------
    def tag_specs(self) -> list[TagSpec]:
        """Air and product sensors, the heater loop, NIR, phase and command tags."""
        return list(self._specs.values())

    def _build_specs(self) -> dict[str, TagSpec]:
        loop = "inlet_temperature"
        drying = ("phase", (1,))  # the bands hold while drying, not in warm-up or once complete
        specs = [
            _spec("inlet_air_temperature", "Inlet air temperature", "°C", 0, 120, "measurement", noise_sd=0.2,
                  loop=loop, nor=(60.0, 70.0), par=(55.0, 75.0), bands_when=drying),
            _spec("inlet_temperature_sp", "Inlet air temperature setpoint", "°C", *INLET_TEMPERATURE_C[:2],
                  "setpoint", loop=loop),
            _spec("inlet_temperature_mode", "Heater loop mode, 0 = manual, 1 = auto", "", 0, 1, "mode", loop=loop),
            _spec("heater_out", "Heater loop output (heater power)", "%", 0, 100, "output", loop=loop),
            _spec("air_flow", "Process air flow (normal)", "m³/h", 0, 800, "measurement", noise_sd=3.0,
                  nor=(270.0, 330.0), par=(240.0, 360.0), bands_when=drying),
            _spec("air_flow_sp", "Process air flow setpoint", "m³/h", *AIR_FLOW_M3_H[:2], "setpoint"),
            _spec("product_temperature", "Product (bed) temperature", "°C", 0, 100, "measurement", noise_sd=0.1,
                  nor=(20.0, 40.0), par=(15.0, 45.0), bands_when=drying),
            _spec("exhaust_air_temperature", "Exhaust air temperature", "°C", 0, 120, "measurement", noise_sd=0.2),
            _spec("exhaust_humidity", "Exhaust air relative humidity", "%", 0, 100, "measurement", noise_sd=0.5),
            _spec("nir_lod", "NIR moisture prediction (loss on drying), held between scans", "%", 0, 40,
                  "measurement", calibrated=NIR_CALIBRATED_LOD_PCT),
            *dryer_nir_specs(),
            _spec("target_lod_sp", "End-point: target loss on drying", "%", *TARGET_LOD_PCT[:2], "setpoint"),
            _spec("product_lod", "True loss on drying of the product (model)", "%", 0, 40, "state"),
            _spec("phase", "0 idle, 1 drying, 2 complete (end-point reached)", "", 0, 2, "state",
                  states={0: "state.dryer.idle", 1: "state.dryer.drying", 2: "state.dryer.complete"}),
            _spec("drying_time", "Drying time of this batch (stops at the end-point)", "min", 0, 1000, "state"),
            _spec("water_evaporated", "Water evaporated in this batch", "kg", 0, 20, "state"),
            _spec("evaporation_rate", "Evaporation rate", "kg/h", 0, 30, "state"),
            _spec("heater_power", "Heater power", "kW", 0, self._params.heater_power_kw, "state"),
            _spec("heater_position", "Heater drive in effect (what the heater does with heater_out)", "%",
                  0, 100, "state"),
            _spec("fan_position", "Fan command in effect (the flow it drives to, before filter losses)", "m³/h",
                  0, 800, "state"),
            _spec("nir_scans", "NIR scans so far", "", 0, 1e9, "state"),
            _spec("batches_completed", "Batches dried to the end-point", "", 0, 1e9, "state"),
            _spec("cycle_cmd", "Command: 1 start, 2 stop, 3 load a new batch; reads 0", "", 0, 3, "setpoint"),
        ]  # fmt: skip
        return {s.name: s for s in specs}

    def read(self) -> dict[str, float]:
        p = self._params
        eps_out = math.exp(-p.ntu)
        t_out = self._t_p + (self._t_in - self._t_p) * eps_out
        m_air = self._flow * AIR_DENSITY_KG_M3 / 3600.0
        y_out = self._y_in + (self._rate / m_air if m_air > 1e-9 else 0.0)
        heater_pos, fan_pos = self.pid.output, 0.0 if self._phase == IDLE else self._flow_sp
        held = self.actuators.active()
        if held:  # a faulted actuator stays where the hooks left it
            heater_pos = self._position("heater", heater_pos, held)
            fan_pos = self._position("fan", fan_pos, held)
        heat = self._heater_kw * heater_pos / 100.0 if self._heater_enabled(self._flow) else 0.0
        return {
            "inlet_air_temperature": self._t_in,
            "inlet_temperature_sp": self.pid.setpoint,
            "inlet_temperature_mode": 1.0 if self.pid.auto else 0.0,
            "heater_out": self.pid.output,
            "air_flow": self._flow,
            "air_flow_sp": self._flow_sp,
            "product_temperature": self._t_p,
            "exhaust_air_temperature": t_out,
            "exhaust_humidity": min(100.0 * relative_humidity(t_out, y_out), 100.0),
            "nir_lod": self._nir,
            "nir_lod_pi": _Z95 * p.nir_sd_pct,
            "lod_lab": self._lab.values["lod_lab"],
            "target_lod_sp": self._target,
            "product_lod": lod_from_x(self._x),
            "phase": float(self._phase),
            "drying_time": self._drying_t / 60.0,
            "water_evaporated": self._evap,
            "evaporation_rate": 3600.0 * self._rate,
            "heater_power": heat,
            "heater_position": heater_pos,
            "fan_position": fan_pos,
            "nir_scans": float(self._scans),
            "batches_completed": float(self._batches),
            "cycle_cmd": 0.0,
        }

    def _position(self, name: str, command: float, faulted: dict[str, Any]) -> float:
        """Effective position of an actuator: the command, unless a fault holds it where it was."""
        last = self.actuators.position(name)
        return last if last is not None and name in faulted else command

    def write(self, tag: str, value: float) -> None:
        """Write a setpoint, the heater loop's mode/output, or ``cycle_cmd``.

        Besides the checks every unit makes (:func:`models.params.check_write`), refused with
        ``ValueError``: ``heater_out`` in auto, auto outside drying, or a command not allowed
        in the current phase.
        """
        v = check_write(self._specs, self.unit_type, tag, value)
        if tag == "inlet_temperature_sp":
            self.pid.setpoint = v
        elif tag == "air_flow_sp":
            self._flow_sp = v
        elif tag == "target_lod_sp":
            self._target = v
        elif tag == "inlet_temperature_mode":
            if v == 1.0 and self._phase != DRYING:
                raise ValueError(f"{tag}: the heater can go to auto only while drying (heater off otherwise)")
            self.pid.set_auto(v == 1.0)
        elif tag == "heater_out":
            require_manual(self.pid.auto, tag, "inlet_temperature_mode")
            self.pid.set_output(v)
        elif tag == "cycle_cmd":
            self._command(int(v) if v.is_integer() else -1)

    def _command(self, cmd: int) -> None:
        names = {IDLE: "idle", DRYING: "drying", COMPLETE: "complete"}
        if cmd == 1:
            if self._phase == DRYING:
                raise ValueError("cycle_cmd start: already drying")
            self._start()
        elif cmd == 2:
            self._phase = IDLE
            self._phase_t = 0.0
            self._next_scan = math.inf
            self._heater_off()
        elif cmd == 3:
            if self._phase == DRYING:
                raise ValueError(f"cycle_cmd load: not while {names[self._phase]}; stop first")
            self._load_batch()
        elif cmd != 0:
            raise ValueError("cycle_cmd: allowed 0, 1 start, 2 stop, 3 load a new batch")

    # -- snapshot ---------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        return {
            "unit_type": self.unit_type, "version": 1, "params": self._params.to_dict(),
            "recipe": None if self.recipe is None else self.recipe.to_dict(), "pid": self.pid.snapshot(),
            "rng": self._rng.bit_generator.state, "t_s": self._t,
            "x": [self._x, self._t_p, self._t_in, self._flow, self._evap, self._rate],
            "flow_sp": self._flow_sp, "target": self._target, "phase": self._phase, "phase_t": self._phase_t,
            "drying_t": self._drying_t,
            "nir": self._nir, "next_scan": None if math.isinf(self._next_scan) else self._next_scan,
            "scans": self._scans, "below": self._below, "step_index": self._step_index, "batches": self._batches,
            "disturbances": self.disturbances.snapshot(), "actuators": self.actuators.snapshot(),
            "feedback": self.feedback.snapshot(), "lab": self._lab.snapshot(),
        }  # fmt: skip

    def restore(self, snap: dict[str, Any]) -> None:
        if snap.get("unit_type") != self.unit_type or snap.get("version") != 1:
            raise ValueError("not a fluid_bed_dryer snapshot (version 1)")
        self._set_params(FluidBedDryerParams.from_dict(snap["params"]))
        self.recipe = None if snap["recipe"] is None else DryerRecipe.from_dict(snap["recipe"])
        self.pid = Pid(self._params.heater_tuning)
        self.pid.restore(snap["pid"])
        self._rng = np.random.default_rng()
        self._rng.bit_generator.state = snap["rng"]
        self._t = float(snap["t_s"])
        self._x, self._t_p, self._t_in, self._flow, self._evap, self._rate = (float(v) for v in snap["x"])
        self._flow_sp, self._target = float(snap["flow_sp"]), float(snap["target"])
        self._phase, self._phase_t = int(snap["phase"]), float(snap["phase_t"])
        self._drying_t = float(snap["drying_t"])
        self._nir = float(snap["nir"])
        self._next_scan = math.inf if snap["next_scan"] is None else float(snap["next_scan"])
        self._scans, self._below = int(snap["scans"]), int(snap["below"])
        self._step_index, self._batches = int(snap["step_index"]), int(snap["batches"])
        # Snapshots from before fault injection have neither: no fault.
        self.disturbances.restore(snap.get("disturbances"))
        self.actuators.restore(snap.get("actuators"))
        self.feedback.restore(snap.get("feedback"))
        self._lab = _lab_sampler(self._params)
        self._lab.restore(snap.get("lab"))
        self._apply_disturbances()

    def __repr__(self) -> str:
        return (
            f"FluidBedDryer(phase={self._phase}, LOD={lod_from_x(self._x):.2f} %, T_p={self._t_p:.1f} °C, "
            f"T_in={self._t_in:.1f} °C)"
        )


#: Two-sided 95 % normal quantile: the NIR's interval from its stated error sd.
_Z95 = 1.959963984540054


def _lab_sampler(p: FluidBedDryerParams) -> LabSampler:
    return LabSampler({"lod_lab": LabMethod(0.0, p.lab_lod_sd_pct)}, p.lab_sample_interval_s, seed=p.seed)


__all__ = [
    "MAX_SUBSTEP_S",
    "DryerRecipe",
    "DryerStep",
    "FluidBedDryer",
    "FluidBedDryerParams",
    "lod_from_x",
    "x_from_lod",
]
