"""Filling and packaging line: five PackML machines and four buffers, as a discrete-event model.

Machines in line order: ``filler`` → buffer1 → ``capper`` → buffer2 → ``labeller`` → buffer3 →
``checkweigher`` → buffer4 → ``cartoner`` (one unit per carton). The filler draws empty
containers from an unlimited supply; the cartoner delivers to an unlimited outfeed. The event
logic is in :mod:`models.line_machines`; this module holds the parameters and the tags.

PackML and OEE (``analytics.oee``)
---------------------------------------
Every machine has a :class:`~models.packml.PackMLStateMachine` (OPC 30060 numbers in
``<machine>_state``) and cumulative counters ``<machine>_produced`` = ``_good`` + ``_rejected``:

===========================  ======================================  ===============
Event                        PackML states                           ISO 22400 time
===========================  ======================================  ===============
producing                    Execute                                 APT
starved / blocked            Suspending → Suspended → Unsuspending   ADET (external)
micro-stop, jam              Holding → Held → Unholding              ADOT (internal)
changeover (SMED)            Completing → Complete (setup time) →    AUST
                             Resetting → Idle → Starting
===========================  ======================================  ===============

Micro-stops and jams come due after exponential run times (``*_per_h`` of Execute time) and
last a lognormal time (seconds for micro-stops, minutes for jams, so ``analytics.oee``
files most micro-stops as small stops and long jams as breakdowns); a jam scraps the unit in
the machine with ``jam_scrap_probability`` (a reject of that machine). The checkweigher rejects
units whose weighed net fill is outside ``fill_target ± fill_tolerance``. A **changeover** ends
a lot (every ``lot_size_units`` filled, or on ``line_cmd = 11``): the filler completes, each
machine downstream completes once it has processed the last unit of the lot (line clearance),
spends its lognormal setup time (``<machine>_changeover_min``, the internal setup time an SMED
exercise reduces) in Complete, then resets and restarts by itself; the fill-weight drift
starts again from zero after the filler's setup.

SMED and OEE exercises
----------------------
``<machine>_changeover_sp`` (minutes) sets the median internal setup time of the next
changeovers: moving setup steps outside the stop (external setup) brings it down, to at most
``changeover_floor_fraction`` of the initial value (the steps that need the machine stopped).
``changeover_time`` is the last changeover as the line sees it: from the last carton of the
old lot to the first carton of the new one (minutes). The twin counts changeovers as an
**availability loss** (ISO 22400 unit setup time, AUST, inside the planned busy time).
``oee`` is the line's OEE over the last hour (the time since the start before that): good
cartons × the filler's ideal cycle time (its rated speed) / the time, so availability,
performance and quality losses of every machine all show in it. ``buffer<i>_capacity``
resizes a conveyor (1 to ``buffer_capacity_max`` units) while the line runs.

Commands
--------
* ``<machine>_cmd``: a PackTags ``CntrlCmd`` number (1 Reset, 2 Start, 3 Stop, 4 Hold, 5 Unhold,
  6 Suspend, 7 Unsuspend, 8 Abort, 9 Clear, 10 Complete) applied to that machine; an illegal
  one raises ``ValueError`` naming the state and the allowed commands. Reads back 0.
* ``line_cmd``: the same numbers applied to every machine where the command is legal (an error
  if it is legal nowhere), plus 11 = changeover (end the lot now). Start also re-arms the
  automatic restart after changeovers; Stop and Abort disarm it.
* ``line_mode``: PackTags unit mode for all machines (1 Production, 2 Maintenance, 3 Manual),
  only while every machine is in Stopped, Idle or Aborted. Outside Production the machines
  dry-cycle: they take no product.

Faults (:mod:`models.disturbances`)
-----------------------------------
Per machine ``m``: ``microstop_rate.m`` (factor on its micro-stop rate, 1-50),
``speed_loss.m`` (fraction of its speed lost, 0-0.9: the ``<m>_speed`` tag shows the speed it
runs at, ``<m>_speed_sp`` the setpoint) and ``reject_surge.m`` (extra probability that a unit
is rejected at its cycle end, 0-1). Line-wide: ``starved`` (fraction of the infeed supply
lost, relative to the filler's speed setpoint; 1 = no containers: the filler goes
Suspended, stop reason starved) and ``blocked`` (fraction of the outfeed capacity lost,
relative to the cartoner's speed setpoint; 1 = nothing leaves: the cartoner goes blocked and
the buffers fill upstream). A changed value acts from the next :meth:`FillingLine.step`
(see :mod:`models.line_machines`); at nominal values the model draws exactly the random
numbers it draws without faults. Jams are injected with :meth:`FillingLine.jam` and cleared
early with :meth:`FillingLine.clear_jam`. The line has no continuous actuators
(``ACTUATORS`` is empty). The checkweigher rejects on what its scale reads (``feedback``
``fill_weight``, published as read): a scale biased by +3 g rejects underfilled units as good
and good ones near the upper limit as overweight, as on a real line.

Examples
--------
>>> line = FillingLine(FillingLineParams(seed=1))
>>> for _ in range(600):
...     line.step(1.0)
>>> r = line.read()
>>> r["filler_state"], r["filler_produced"] == r["filler_good"] + r["filler_rejected"]
(4.0, True)
>>> r["line_entered"] == r["line_wip"] + r["line_out"] + r["line_rejected"]
True
>>> line.write("capper_speed_sp", -5)
Traceback (most recent call last):
...
ValueError: capper_speed_sp = -5 is outside the allowed range [1.0, 100.0] units/min
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, ClassVar

import numpy as np

from models.disturbances import ActuatorHooks, Disturbance, Disturbances, SensorFeedback
from models.line_machines import LineCore, LossModel, MachineSpec, StopReason
from models.packml import PackMLCommand, PackMLMode, PackMLState
from models.params import WITHIN, Params, check_fields, check_range, check_write
from models.unit import TagSpec, declare_fault_hooks

MACHINES: tuple[str, ...] = ("filler", "capper", "labeller", "checkweigher", "cartoner")
#: ``line_cmd`` value that ends the current lot (changeover).
CHANGEOVER_CMD = 11
_INT_FIELDS = (
    "seed", "lot_size_units", "buffer1_capacity", "buffer2_capacity", "buffer3_capacity", "buffer4_capacity",
    "buffer_capacity_max",
)  # fmt: skip
#: Seconds between two samples of the line's output for ``oee`` (over the last hour).
_OEE_SAMPLE_S = 60.0
_OEE_WINDOW = 60
_SPEEDS = frozenset(f"{m}_speed_upm" for m in MACHINES)  # checked against the rated speed


@dataclass(frozen=True)
class FillingLineParams(Params):
    """Parameters of :class:`FillingLine`; units in the field names. All values *assumed*.

    Speeds are of a small pharmaceutical liquid line (50 ml bottles, 60-120 units/min), with a
    V-shaped speed profile: the filler is the slowest machine, the others run 10-25 % faster
    so they catch up after a stop. ``*_rated_speed_upm`` is the nameplate (ideal) rate, the
    one to give OEE as ``ideal_rate_per_min``. Loss rates and durations are typical orders of
    magnitude for such lines, not data of a real one.

    Examples
    --------
    >>> FillingLineParams(filler_speed_upm=90.0)
    Traceback (most recent call last):
    ...
    ValueError: filler_speed_upm = 90.0 is not allowed: 0 < speed <= filler_rated_speed_upm (80.0)
    """

    filler_speed_upm: float = 72.0
    filler_rated_speed_upm: float = 80.0
    capper_speed_upm: float = 90.0
    capper_rated_speed_upm: float = 100.0
    labeller_speed_upm: float = 90.0
    labeller_rated_speed_upm: float = 100.0
    checkweigher_speed_upm: float = 100.0
    checkweigher_rated_speed_upm: float = 120.0
    cartoner_speed_upm: float = 90.0
    cartoner_rated_speed_upm: float = 100.0
    #: Cycle-to-cycle variation of the cycle time (coefficient of variation).
    cycle_time_cv: float = 0.02

    #: Micro-stops per hour of Execute time (exponential inter-arrival in run time).
    filler_microstops_per_h: float = 6.0
    capper_microstops_per_h: float = 8.0
    labeller_microstops_per_h: float = 10.0
    checkweigher_microstops_per_h: float = 2.0
    cartoner_microstops_per_h: float = 6.0
    #: Micro-stop duration: lognormal, median and log-standard deviation.
    microstop_median_s: float = 10.0
    microstop_sigma_log: float = 0.7
    #: Jams per hour of Execute time.
    filler_jams_per_h: float = 0.2
    capper_jams_per_h: float = 0.3
    labeller_jams_per_h: float = 0.4
    checkweigher_jams_per_h: float = 0.1
    cartoner_jams_per_h: float = 0.3
    #: Jam duration: lognormal (median 4 min; about 1 in 6 jams lasts more than 5 min).
    jam_median_min: float = 4.0
    jam_sigma_log: float = 0.6
    #: Probability that a jam destroys the unit in the machine (counted as a reject).
    jam_scrap_probability: float = 0.5

    #: Units per lot; the line changes over after each lot (0 = only on ``line_cmd = 11``).
    lot_size_units: int = 20000
    #: Internal setup time of a changeover per machine (median of a lognormal).
    filler_changeover_min: float = 30.0
    capper_changeover_min: float = 15.0
    labeller_changeover_min: float = 20.0
    checkweigher_changeover_min: float = 10.0
    cartoner_changeover_min: float = 25.0
    changeover_sigma_log: float = 0.15
    #: SMED: the share of each initial setup time that needs the machine stopped (the lowest
    #: ``<machine>_changeover_sp`` accepts).
    changeover_floor_fraction: float = 0.25

    #: Accumulation conveyors between the machines, units.
    buffer1_capacity: int = 40
    buffer2_capacity: int = 40
    buffer3_capacity: int = 60
    buffer4_capacity: int = 40
    #: The largest capacity ``buffer<i>_capacity`` accepts (the room on the floor).
    buffer_capacity_max: int = 200

    #: Net fill weight: target, unit-to-unit standard deviation, drift of the mean.
    fill_target_g: float = 50.0
    fill_sd_g: float = 0.35
    fill_drift_g_per_h: float = 0.03
    #: Checkweigher: reject outside target ± tolerance; its scale's repeatability.
    fill_tolerance_g: float = 1.0
    checkweigher_sd_g: float = 0.05

    #: How long a machine waits in Execute for a unit (or for room downstream) before it
    #: declares itself starved (blocked) and suspends; shorter gaps are speed losses.
    starved_delay_s: float = 5.0
    blocked_delay_s: float = 5.0

    #: PackML acting-state durations of every machine, seconds.
    resetting_s: float = 5.0
    starting_s: float = 5.0
    completing_s: float = 3.0
    stopping_s: float = 2.0
    aborting_s: float = 1.0
    clearing_s: float = 5.0
    suspending_s: float = 0.0
    unsuspending_s: float = 1.0
    holding_s: float = 0.5
    unholding_s: float = 2.0

    #: Seed of the random losses and fill weights.
    seed: int = 0
    #: Start in Execute with automatic restart after changeovers (else Stopped, waiting for commands).
    autostart: bool = True

    def __post_init__(self) -> None:
        check_fields(
            self,
            positive=("fill_target_g", "fill_tolerance_g", "microstop_median_s", "jam_median_min"),
            signed=("seed", *_SPEEDS),
            whole=_INT_FIELDS,
            flags=("autostart",),
        )
        for m in MACHINES:
            speed, rated = getattr(self, f"{m}_speed_upm"), getattr(self, f"{m}_rated_speed_upm")
            if not 0 < speed <= rated:
                raise ValueError(
                    f"{m}_speed_upm = {speed!r} is not allowed: 0 < speed <= {m}_rated_speed_upm ({rated})"
                )
        for i in range(1, 5):
            cap = getattr(self, f"buffer{i}_capacity")
            if cap < 1:
                raise ValueError(f"buffer{i}_capacity must be >= 1 unit")
            if cap > self.buffer_capacity_max:
                raise ValueError(f"buffer{i}_capacity must be <= buffer_capacity_max ({self.buffer_capacity_max})")
        check_range("changeover_floor_fraction", self.changeover_floor_fraction, 0.0, 1.0, "", message=WITHIN)
        check_range("jam_scrap_probability", self.jam_scrap_probability, 0.0, 1.0, "", message=WITHIN)


def _spec(name: str, desc: str, unit: str, lo: float, hi: float, kind: Any, **kw: Any) -> TagSpec:
    return TagSpec(name, desc, unit, float(lo), float(hi), kind=kind, **kw)


def line_disturbances(machines: tuple[str, ...]) -> dict[str, Disturbance]:
    """The disturbances of a line with ``machines`` (see the module docstring)."""
    out: dict[str, Disturbance] = {}
    for m in machines:
        out[f"microstop_rate.{m}"] = Disturbance(f"Factor on the {m}'s micro-stop rate", "-", 1.0, 50.0, 1.0)
        out[f"speed_loss.{m}"] = Disturbance(f"Fraction of the {m}'s speed lost", "-", 0.0, 0.9)
        out[f"reject_surge.{m}"] = Disturbance(f"Extra probability that the {m} rejects a unit", "-", 0.0, 1.0)
    out["starved"] = Disturbance(
        "Fraction of the infeed supply lost (1 = no containers reach the filler)", "-", 0.0, 1.0
    )
    out["blocked"] = Disturbance(
        "Fraction of the outfeed capacity lost (1 = nothing leaves the cartoner)", "-", 0.0, 1.0
    )
    return out


_COUNT_HI = 1e9
_COMMANDS = ", ".join(f"{c.value} {c.name.title()}" for c in PackMLCommand)
#: Label keys of the discrete tags (the dashboard shows names, never numbers).
_PACKML_STATES = {s.value: f"state.packml.{s.value}" for s in PackMLState}
_STOP_REASONS = {r.value: f"state.stop.{r.name.lower()}" for r in StopReason}


class FillingLine:
    """The filling and packaging line as a :class:`models.unit.Unit` (``unit_type = "filling_line"``).

    Parameters
    ----------
    params : FillingLineParams, optional
    seed : int, optional
        Overrides ``params.seed``.

    Attributes
    ----------
    core : LineCore
        The discrete-event model (machines, buffers), for inspection.

    Examples
    --------
    A 10-minute capper jam starves the labeller and blocks the filler:

    >>> line = FillingLine(FillingLineParams(seed=3, capper_jams_per_h=0.0))
    >>> line.step(60.0); line.jam("capper", 600.0); line.step(300.0)
    >>> r = line.read()
    >>> r["capper_state"], r["labeller_state"], r["labeller_stop_reason"], r["filler_stop_reason"]
    (15.0, 12.0, 1.0, 2.0)
    """

    unit_type = "filling_line"

    #: Disturbances a fault may set (see the module docstring).
    DISTURBANCES: ClassVar[dict[str, Disturbance]] = line_disturbances(MACHINES)
    #: No continuous actuators: line faults act through the disturbances and :meth:`jam`.
    ACTUATORS: ClassVar[dict[str, str]] = {}
    # The fault hooks (models.unit.FaultHooks), set by declare_fault_hooks in __init__.
    disturbances: Disturbances
    actuators: ActuatorHooks
    feedback: SensorFeedback

    def __init__(self, params: FillingLineParams | None = None, *, seed: int | None = None) -> None:
        p = params or FillingLineParams()
        if seed is not None:
            p = replace(p, seed=seed)
        self._params = p
        # The checkweigher rejects on what its scale reads, and publishes that reading.
        declare_fault_hooks(self, self.DISTURBANCES, self.ACTUATORS, feedback={"fill_weight": True})
        self._build()
        self._specs = self._build_specs()
        #: (time, cartons out) every minute, the last hour of them: the ``oee`` window.
        self._out_history: deque[tuple[float, int]] = deque([(0.0, 0)], maxlen=_OEE_WINDOW + 1)
        #: Disturbance values the core runs with (``None``: check them all at the next step).
        self._applied: dict[str, float] | None = self.disturbances.snapshot()

    def _build(self) -> None:
        p = self._params
        specs = [
            MachineSpec(m, getattr(p, f"{m}_speed_upm"), getattr(p, f"{m}_rated_speed_upm"),
                        getattr(p, f"{m}_microstops_per_h"), getattr(p, f"{m}_jams_per_h"),
                        60.0 * getattr(p, f"{m}_changeover_min"))
            for m in MACHINES
        ]  # fmt: skip
        losses = LossModel(
            p.cycle_time_cv, p.microstop_median_s, p.microstop_sigma_log, 60.0 * p.jam_median_min, p.jam_sigma_log,
            p.jam_scrap_probability, p.changeover_sigma_log, p.lot_size_units, p.fill_sd_g, p.fill_drift_g_per_h,
            p.checkweigher_sd_g, p.starved_delay_s, p.blocked_delay_s,
        )  # fmt: skip
        durations = {s: getattr(p, f"{s.name.lower()}_s") for s in (
            PackMLState.RESETTING, PackMLState.STARTING, PackMLState.COMPLETING, PackMLState.STOPPING,
            PackMLState.ABORTING, PackMLState.CLEARING, PackMLState.SUSPENDING, PackMLState.UNSUSPENDING,
            PackMLState.HOLDING, PackMLState.UNHOLDING)}  # fmt: skip
        caps = [p.buffer1_capacity, p.buffer2_capacity, p.buffer3_capacity, p.buffer4_capacity]
        self.core = LineCore(
            specs,
            caps,
            losses,
            durations,
            np.random.default_rng(p.seed),
            p.fill_target_g,
            p.fill_tolerance_g,
            p.autostart,
        )
        self.core.scale = partial(self.feedback, "fill_weight")  # a faulty scale rejects on its reading
        self._by_name = {m.name: m for m in self.core.machines}

    @property
    def params(self) -> FillingLineParams:
        return self._params

    @property
    def machines(self) -> tuple[str, ...]:
        """Machine names in line order."""
        return tuple(m.name for m in self.core.machines)

    @property
    def t_s(self) -> float:
        """Simulated time, seconds."""
        return self.core.t

    # -- Unit protocol -------------------------------------------------------------------------
    def step(self, dt_s: float) -> None:
        """Advance by ``dt_s`` simulated seconds, processing every event in between."""
        if not dt_s > 0.0:
            raise ValueError(f"dt_s must be > 0, got {dt_s!r}")
        values = self.disturbances.snapshot()
        if values != self._applied:
            self._apply_disturbances(values)
        self.core.run_until(self.core.t + dt_s)
        last_t = self._out_history[-1][0]
        if self.core.t >= last_t + _OEE_SAMPLE_S:
            self._out_history.append((self.core.t, self.core.out))

    def oee(self) -> float:
        """The line's OEE over the last hour (see the module docstring), 0-1.

        >>> line = FillingLine(FillingLineParams(seed=2))
        >>> for _ in range(1800):
        ...     line.step(1.0)
        >>> 0.6 < line.oee() < 0.9
        True
        """
        t0, out0 = self._out_history[0]
        span = self.core.t - t0
        if span <= 0.0:
            return 0.0
        ideal_per_s = self._params.filler_rated_speed_upm / 60.0
        return (self.core.out - out0) / (span * ideal_per_s)

    def _apply_disturbances(self, values: dict[str, float]) -> None:
        """Bring the core to the disturbance ``values`` now (each setter ignores an unchanged value)."""
        core = self.core
        for m in core.machines:
            n = m.name
            core.set_speed_factor(m, 1.0 - values[f"speed_loss.{n}"])
            core.set_microstop_factor(m, values[f"microstop_rate.{n}"])
            m.reject_p = values[f"reject_surge.{n}"]
        core.set_supply_loss(values["starved"])
        core.set_outfeed_loss(values["blocked"])
        self._applied = values

    def tag_specs(self) -> list[TagSpec]:
        """Per machine: state, counters, speed, stop reason, command; buffers; line totals."""
        return list(self._specs.values())

    def _build_specs(self) -> dict[str, TagSpec]:
        p = self._params
        specs: list[TagSpec] = []
        for m in MACHINES:
            rated = getattr(p, f"{m}_rated_speed_upm")
            specs += [
                _spec(f"{m}_state", f"{m} PackML state (OPC 30060: 4 Execute, 12 Suspended, 15 Held...)", "",
                      0, 16, "state", states=_PACKML_STATES),
                _spec(f"{m}_produced", f"{m} units processed (cumulative)", "units", 0, _COUNT_HI, "state"),
                _spec(f"{m}_good", f"{m} good units (cumulative)", "units", 0, _COUNT_HI, "state"),
                _spec(f"{m}_rejected", f"{m} rejected units (cumulative)", "units", 0, _COUNT_HI, "state"),
                _spec(f"{m}_speed_sp", f"{m} speed setpoint", "units/min", 1, rated, "setpoint"),
                _spec(f"{m}_speed", f"{m} current speed (0 unless cycling)", "units/min", 0, rated * 1.5, "state"),
                _spec(f"{m}_stop_reason", f"{m} stop reason: 0 none, 1 starved, 2 blocked, 3 micro-stop, 4 jam, "
                      "5 changeover, 6 command, 7 abort", "", 0, 7, "state", states=_STOP_REASONS),
                _spec(f"{m}_cmd", f"{m} PackML command ({_COMMANDS}); reads 0", "", 0, 10, "setpoint"),
                _spec(f"{m}_changeover_sp", f"{m} internal setup time of the next changeovers (median)", "min",
                      round(p.changeover_floor_fraction * getattr(p, f"{m}_changeover_min"), 3),
                      max(120.0, getattr(p, f"{m}_changeover_min")), "setpoint"),
            ]  # fmt: skip
        cap_max = p.buffer_capacity_max
        for i in range(1, len(self.core.capacities) + 1):
            specs += [
                _spec(f"buffer{i}_level", f"Units on the conveyor after {MACHINES[i - 1]}", "units", 0, cap_max,
                      "state"),
                _spec(f"buffer{i}_capacity", f"Capacity of the conveyor after {MACHINES[i - 1]}", "units", 1, cap_max,
                      "setpoint"),
            ]  # fmt: skip
        tol = p.fill_tolerance_g
        specs += [
            _spec("fill_weight", "Net fill weight of the last unit, as weighed by the checkweigher", "g",
                  0, 2 * p.fill_target_g, "measurement", nor=(p.fill_target_g - tol / 2, p.fill_target_g + tol / 2),
                  par=(p.fill_target_g - tol, p.fill_target_g + tol)),
            _spec("fill_weight_mean", "Filler's true mean fill weight (target + drift)", "g", 0, 2 * p.fill_target_g,
                  "state"),
            _spec("fill_target", "Fill-weight target", "g", 0.1 * p.fill_target_g, 2 * p.fill_target_g, "setpoint"),
            _spec("fill_tolerance", "Checkweigher tolerance (± around the target)", "g", 0.01, 0.5 * p.fill_target_g,
                  "setpoint"),
            _spec("line_cmd", f"Command to all machines ({_COMMANDS}, 11 Changeover); reads 0", "", 0, 11,
                  "setpoint"),
            _spec("line_mode", "Unit mode of all machines: 1 Production, 2 Maintenance, 3 Manual", "", 1, 3,
                  "setpoint", states={m.value: f"state.packml_mode.{m.name.lower()}" for m in PackMLMode}),
            _spec("line_entered", "Containers taken by the filler (cumulative)", "units", 0, _COUNT_HI, "state"),
            _spec("line_wip", "Units in buffers and machines", "units", 0, 1000, "state"),
            _spec("line_out", "Cartons delivered (cumulative)", "units", 0, _COUNT_HI, "state"),
            _spec("line_rejected", "Rejects of all machines (cumulative)", "units", 0, _COUNT_HI, "state"),
            _spec("line_lots", "Lots completed by the cartoner", "", 0, _COUNT_HI, "state"),
            _spec("changeover_time", "Last changeover: last carton of the old lot to the first of the new one",
                  "min", 0, 1000, "state"),
            _spec("oee", "Line OEE over the last hour (good cartons x ideal cycle time of the filler / time)", "%",
                  0, 100, "state"),
        ]  # fmt: skip
        return {s.name: s for s in specs}

    def read(self) -> dict[str, float]:
        """True value of every tag (the checkweigher's reading includes its scale noise)."""
        core = self.core
        out: dict[str, float] = {}
        for m in core.machines:
            psm = m.psm
            c = psm.counters
            s = psm.state_number
            n = m.name
            cycling = s == 4 and m.unit is not None and not m.done
            out[f"{n}_state"] = float(s)
            out[f"{n}_produced"] = float(c.produced)
            out[f"{n}_good"] = float(c.good)
            out[f"{n}_rejected"] = float(c.rejected)
            out[f"{n}_speed_sp"] = m.speed_upm
            out[f"{n}_speed"] = m.speed_upm * m.speed_factor if cycling else 0.0
            out[f"{n}_stop_reason"] = 0.0 if s == 4 else float(m.reason)
            out[f"{n}_cmd"] = 0.0
            out[f"{n}_changeover_sp"] = m.changeover_s / 60.0
        for i, b in enumerate(core.buffers, start=1):
            out[f"buffer{i}_level"] = float(len(b))
            out[f"buffer{i}_capacity"] = float(core.capacities[i - 1])
        out["fill_weight"] = core.last_weight_g
        out["fill_weight_mean"] = core.fill_mean_g()
        out["fill_target"] = core.fill_target_g
        out["fill_tolerance"] = core.tolerance_g
        out["line_cmd"] = 0.0
        out["line_mode"] = float(core.machines[0].psm.mode)
        out["line_entered"] = float(core.entered)
        out["line_wip"] = float(core.wip())
        out["line_out"] = float(core.out)
        out["line_rejected"] = float(core.rejected())
        out["line_lots"] = float(core.lots)
        out["changeover_time"] = core.last_changeover_s / 60.0
        out["oee"] = 100.0 * self.oee()
        return out

    def write(self, tag: str, value: float) -> None:
        """Write a setpoint or a command tag (see the module docstring).

        Besides the checks every unit makes (:func:`models.params.check_write`), refused with
        ``ValueError``: a command that is not a whole number or not allowed in a machine's
        state (named, with the allowed commands), a mode change while a machine is not at rest.
        """
        v = check_write(self._specs, self.unit_type, tag, value)
        core = self.core
        if tag.endswith("_speed_sp"):
            self._by_name[tag.removesuffix("_speed_sp")].speed_upm = v
        elif tag == "fill_target":
            core.fill_target_g = v
        elif tag == "fill_tolerance":
            core.tolerance_g = v
        elif tag.endswith("_changeover_sp"):
            self._by_name[tag.removesuffix("_changeover_sp")].changeover_s = 60.0 * v
        elif tag.startswith("buffer") and tag.endswith("_capacity"):
            if not v.is_integer():
                raise ValueError(f"{tag} = {value!r} must be a whole number of units")
            core.set_capacity(int(tag[len("buffer")]) - 1, int(v))
        elif tag.endswith("_cmd") or tag == "line_mode":
            if not v.is_integer():
                raise ValueError(f"{tag} = {value!r} must be a whole number")
            if tag == "line_mode":
                self._set_mode(PackMLMode(int(v)))
            elif tag == "line_cmd":
                self._line_command(int(v))
            elif v != 0.0:
                core.command(self._by_name[tag.removesuffix("_cmd")], PackMLCommand(int(v)))

    def _set_mode(self, mode: PackMLMode) -> None:
        busy = [
            f"{m.name} ({m.psm.state.title})"
            for m in self.core.machines
            if m.psm.mode != mode and m.psm.state not in (PackMLState.STOPPED, PackMLState.IDLE, PackMLState.ABORTED)
        ]
        if busy:
            raise ValueError(
                f"line_mode can change only while every machine is Stopped, Idle or Aborted; "
                f"not at rest: {', '.join(busy)}"
            )
        for m in self.core.machines:
            m.psm.set_mode(mode)

    def _line_command(self, value: int) -> None:
        core = self.core
        if value == 0:
            return
        if value == CHANGEOVER_CMD:
            core.request_changeover()
            return
        cmd = PackMLCommand(value)
        targets = [m for m in core.machines if m.psm.can(cmd)]
        if not targets:
            states = ", ".join(f"{m.name} {m.psm.state.title}" for m in core.machines)
            raise ValueError(f"line_cmd {cmd.name.title()} is not allowed in any machine's state ({states})")
        for m in targets:
            core.command(m, cmd)

    def jam(self, machine: str, duration_s: float) -> None:
        """Fault injection: jam ``machine`` now (Held, stop reason 4) for ``duration_s`` seconds."""
        if machine not in self._by_name:
            raise KeyError(f"unknown machine {machine!r}; machines: {', '.join(MACHINES)}")
        self.core.jam(self._by_name[machine], duration_s)

    def clear_jam(self, machine: str) -> None:
        """Fault injection: end a jam of ``machine`` now (cleared early); nothing if it is not jammed."""
        if machine not in self._by_name:
            raise KeyError(f"unknown machine {machine!r}; machines: {', '.join(MACHINES)}")
        self.core.clear_jam(self._by_name[machine])

    def availability(self, machine: str) -> float:
        """Execute time / time since the start (all PackML time counted), for quick checks."""
        times = self._by_name[machine].psm.closed_state_times()
        total = sum(times)
        return times[PackMLState.EXECUTE] / total if total > 0 else 0.0

    # -- snapshot --------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """Whole state (parameters, machines, buffers, random generator) as JSON-able data."""
        return {
            "unit_type": self.unit_type,
            "version": 1,
            "params": self._params.to_dict(),
            "core": self.core.snapshot(),
            "disturbances": self.disturbances.snapshot(),
            "actuators": self.actuators.snapshot(),
            "feedback": self.feedback.snapshot(),
            "oee_history": [list(x) for x in self._out_history],
        }

    def restore(self, snap: dict[str, Any]) -> None:
        """Restore a state produced by :meth:`snapshot`; continuing is identical to not stopping."""
        if snap.get("unit_type") != self.unit_type or snap.get("version") != 1:
            raise ValueError("not a filling_line snapshot (version 1)")
        self._params = FillingLineParams.from_dict(snap["params"])
        self._build()
        self.core.restore(snap["core"])
        self._specs = self._build_specs()
        # Snapshots from before fault injection have neither key: no fault. A value set after
        # the last step may not be in the core yet: the next step brings it in.
        self.disturbances.restore(snap.get("disturbances"))
        self.actuators.restore(snap.get("actuators"))
        self.feedback.restore(snap.get("feedback"))
        history = snap.get("oee_history") or [[0.0, 0]]
        self._out_history = deque(((float(t), int(n)) for t, n in history), maxlen=_OEE_WINDOW + 1)
        self._applied = None

    def __repr__(self) -> str:
        states = ", ".join(f"{m.name} {m.psm.state.title}" for m in self.core.machines)
        return f"FillingLine(t={self.core.t:g} s, {states}, out={self.core.out})"


__all__ = ["CHANGEOVER_CMD", "MACHINES", "FillingLine", "FillingLineParams", "StopReason"]
