"""What the columns of a ``gmp-twin simulate`` file mean: the side-car JSON, and the states no
instrument measures.

The data file keeps plain column names (``do``, ``ph``...) so every reader of it works
unchanged (``gmp-twin analyze``, pandas, a spreadsheet). Units, descriptions, ranges and
bands of each column go into a side-car JSON beside it, ``<file>.meta.json`` (``batch.csv`` →
``batch.csv.meta.json``), with the run's settings and faults; a Parquet file also carries the
unit and description of each column in its schema's field metadata.

``--measured-only`` keeps what a plant's instruments and PLC give: measurements, setpoints,
modes, controller outputs, and the ``state`` tags the PLC knows (actuator feedback, sequence
phases, counters, totals of metered flows). It drops the model's own states that no
instrument measures (biomass, μ, kLa, true glucose...), listed per unit type in
:data:`UNMEASURED`. Every ``state`` tag of every unit type is in exactly one of
:data:`UNMEASURED` and :data:`PLANT_KNOWN` (a test checks it), so a new tag needs a decision.

Examples
--------
>>> meta_path("out/batch.csv").as_posix()
'out/batch.csv.meta.json'
>>> sorted(UNMEASURED["fluid_bed_dryer"])
['evaporation_rate', 'product_lod', 'water_evaporated']
>>> status_name(0), status_name(0x40940000)
('Good', 'UncertainEngineeringUnitsExceeded')
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from models.unit import TagSpec

FORMAT = "gmp-twin-simulate/1"
#: Suffix of a status column: ``do__status`` is the OPC UA status code of ``do``.
STATUS_SUFFIX = "__status"

#: Per unit type: ``state`` tags only the model knows (no instrument measures them).
UNMEASURED: dict[str, frozenset[str]] = {
    "bioreactor": frozenset({
        "biomass", "glucose", "titre", "mu", "qp", "our", "cer", "kla", "power_per_volume", "heat_metabolic",
        "heat_jacket", "volume", "evaporated_total", "glucose_fed_total", "glucose_consumed_total",
        "glucose_harvested_total", "leak_total", "glucose_leaked_total",
    }),
    "fluid_bed_dryer": frozenset({"product_lod", "water_evaporated", "evaporation_rate"}),
    "autoclave": frozenset({"air_partial_pressure", "f0_true"}),
    "mps_pa": frozenset({
        "tank101_level", "tank101_volume", "tank102_volume", "tank102_temperature", "drain_flow", "overflow_flow",
        "total_water",
    }),
    "filling_line": frozenset({"fill_weight_mean"}),
}  # fmt: skip

#: Per unit type: ``state`` tags a plant has from its PLC or instruments (kept by ``--measured-only``):
#: actuator feedback, sequencer phases and timers, counters, totals of metered flows, values the
#: PLC computes from measurements (F0, the EN 285 theoretical temperature, the line's OEE).
PLANT_KNOWN: dict[str, frozenset[str]] = {
    "bioreactor": frozenset({
        "jacket_valve_position", "base_pump_position", "agitator_position", "feed_pump_position", "batch_time",
        "recipe_step", "feed_total", "base_total", "harvest_flow", "harvest_total",
        # The PAT software's own limits of its diagnostics (constants of the calibration).
        "glucose_pat_t2_limit", "glucose_pat_q_limit", "titre_pat_t2_limit", "titre_pat_q_limit",
    }),
    "fluid_bed_dryer": frozenset({
        "phase", "drying_time", "heater_power", "heater_position", "fan_position", "nir_scans", "batches_completed",
    }),
    "autoclave": frozenset({
        "f0", "phase", "vacuum_pulse", "phase_time", "hold_remaining", "theoretical_temperature", "steam_valve",
        "steam_valve_cmd", "cycle_ok", "cycles_completed", "abort_reason",
    }),
    "mps_pa": frozenset({
        "P101_speed", "P101_loop", "V102_position", "V106_position", "E104_on", "E104_power", "E104_interlock",
    }),
    "filling_line": frozenset({
        *(f"{m}_{what}" for m in ("filler", "capper", "labeller", "checkweigher", "cartoner")
          for what in ("state", "produced", "good", "rejected", "speed", "stop_reason")),
        "buffer1_level", "buffer2_level", "buffer3_level", "buffer4_level", "line_entered", "line_wip", "line_out",
        "line_rejected", "line_lots", "changeover_time", "oee",
    }),
}  # fmt: skip


def meta_path(data_path: str | Path) -> Path:
    """The side-car JSON of a data file: ``<file>.meta.json``."""
    p = Path(data_path)
    return p.with_name(p.name + ".meta.json")


def unmeasured(unit_type: str, specs: Iterable[TagSpec]) -> list[str]:
    """The tags ``--measured-only`` drops, in tag order; an unclassified ``state`` tag is an error.

    Raises
    ------
    ValueError
        The unit type has no list here, or one of its ``state`` tags is in neither list.
    """
    if unit_type not in UNMEASURED:
        raise ValueError(
            f"--measured-only: unit type {unit_type!r} has no list of unmeasured states; "
            "add it to UNMEASURED and PLANT_KNOWN in gmp_twin/simulate_meta.py"
        )
    drop, keep = UNMEASURED[unit_type], PLANT_KNOWN[unit_type]
    states = [s.name for s in specs if s.kind == "state"]
    unknown = [n for n in states if n not in drop and n not in keep]
    if unknown:
        raise ValueError(
            f"--measured-only: {unit_type} state tag(s) {', '.join(unknown)} are not classified as "
            "measured or not; add them to UNMEASURED or PLANT_KNOWN in gmp_twin/simulate_meta.py"
        )
    return [n for n in states if n in drop]


def status_name(code: int) -> str:
    """The OPC UA name of a status code (``asyncua``'s table), e.g. ``BadSensorFailure``."""
    from asyncua.ua import StatusCodes

    for name, value in vars(StatusCodes).items():
        if value == code and not name.startswith("_"):
            return str(name)
    return f"0x{code:08X}"


def _english(key: str) -> str:
    """A state's label key (``state.dry``) in English, as the dashboard shows it (the key if it has none)."""
    from dashboard.i18n import t

    return str(t(key, "en"))


def tag_column(spec: TagSpec) -> dict[str, Any]:
    """One tag's column description (unit, meaning, range, bands, state labels)."""
    col: dict[str, Any] = {
        "unit": spec.unit,
        "description": spec.description,
        "kind": spec.kind,
        "range": [spec.lo, spec.hi],
    }
    if spec.noise_sd:
        col["noise_sd"] = spec.noise_sd
    if spec.loop:
        col["loop"] = spec.loop
    for key in ("nor", "par", "calibrated"):
        value = getattr(spec, key)
        if value is not None:
            col[key] = list(value)
    if spec.states:
        col["states"] = {str(k): _english(v) for k, v in spec.states.items()}
    if spec.is_boolean:
        col["values"] = "0 or 1"
    return col


def columns_meta(names: Iterable[str], specs: Mapping[str, TagSpec]) -> dict[str, dict[str, Any]]:
    """Every column of the file, in file order: ``time_s``, tags and ``<tag>__status``."""
    out: dict[str, dict[str, Any]] = {}
    for name in names:
        if name == "time_s":
            out[name] = {"unit": "s", "description": "Simulated time since the start of the run", "kind": "time"}
        elif name.endswith(STATUS_SUFFIX):
            tag = name.removesuffix(STATUS_SUFFIX)
            out[name] = {
                "unit": "",
                "description": f"OPC UA status code of {tag} (0 = Good; see status_codes)",
                "kind": "status",
                "of": tag,
            }
        else:
            out[name] = tag_column(specs[name])
    return out


def pretty_json(meta: Mapping[str, Any]) -> str:
    """JSON with one line per setting, per column and per fault (easy to read and to diff).

    >>> print(pretty_json({"unit": "x", "columns": {"a": {"unit": "s"}, "b": {"unit": "%"}}, "faults": []}))
    {
      "unit": "x",
      "columns": {
        "a": {"unit": "s"},
        "b": {"unit": "%"}
      },
      "faults": []
    }
    """

    def one(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    lines = []
    for key, value in meta.items():
        if isinstance(value, dict) and value and any(isinstance(v, dict | list) for v in value.values()):
            inner = ",\n".join(f"    {one(k)}: {one(v)}" for k, v in value.items())
            text = "{\n" + inner + "\n  }"
        elif isinstance(value, list) and value and any(isinstance(v, dict) for v in value):
            text = "[\n" + ",\n".join(f"    {one(v)}" for v in value) + "\n  ]"
        else:
            text = one(value)
        lines.append(f"  {one(key)}: {text}")
    return "{\n" + ",\n".join(lines) + "\n}"


def write_meta(path: Path, meta: Mapping[str, Any]) -> Path:
    """Write the side-car of ``path`` (atomically) and return its path."""
    target = meta_path(path)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(pretty_json(meta) + "\n", encoding="utf-8")
    tmp.replace(target)
    return target


def read_meta(data_path: str | Path) -> dict[str, Any] | None:
    """The side-car of a data file, or ``None`` when it has none (or it is not ours).

    Raises
    ------
    ValueError
        The side-car exists but is not valid JSON.
    """
    p = meta_path(data_path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        meta = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{p}: not valid JSON ({exc}); delete it or simulate the file again") from None
    return meta if isinstance(meta, dict) and meta.get("format") == FORMAT else None
