"""Pure builders of the instructor console: what the fault form offers, and what it shows.

Everything here works on the plain data of :class:`dashboard.services.PlantControl`
(``catalog()``, ``faults()``, ``clock()``, ``scenario_state()``: the in-process
:class:`twin.faults.service.TwinControl`'s, or the same from the twin over OPC UA in the compose
split), so the console's choices are exactly what the service accepts, and the functions are
tested without a browser. The service stays the judge: the ranges shown here are help, its errors are shown verbatim.

Examples
--------
>>> cat = {"kinds": {"sensor_bias": {"family": "sensor", "needs": "tag", "magnitude": "offset",
...                                  "needs_magnitude": True},
...                  "leak": {"family": "process", "needs": None, "magnitude": "leak flow",
...                           "needs_magnitude": True}},
...        "units": {"tank": {"type": "t", "measurements": {"L": [0.0, 30.0]}, "tags": ["L"], "actuators": {},
...                           "disturbances": {}, "machines": []}}}
>>> unit_kinds(cat, "tank")
['sensor_bias']
>>> target_choices(cat, "tank", "sensor_bias")
('tag', [('L', 'L (0 to 30)')])
>>> fault_request("tank", "sensor_bias", "tag", "L", 3, None, 0, None)
{'kind': 'sensor_bias', 'target': {'unit': 'tank', 'tag': 'L'}, 'magnitude': 3.0}
"""

from __future__ import annotations

import math
from typing import Any, Literal

from dashboard.grid import button_col, col, data_grid
from dashboard.i18n import catalogue, colon, fmt_number, t
from twin.faults.catalog import DISTURBANCE_KINDS

TargetField = Literal["tag", "actuator", "parameter", "machine"]
#: Value of the "every tag" choice of communication faults (the target's ``tag`` left out).
ALL_TAGS = "*"
#: Clock speeds offered, as the radio values (``max`` = as fast as the CPU allows).
SPEEDS = ("1", "10", "60", "max")
LIVE = ("pending", "active")


def _disturbance_keys(unit: dict[str, Any], kind: str) -> list[str]:
    return [k for k in unit["disturbances"] if k == kind or k.startswith(kind + ".")]


def unit_kinds(catalog: dict[str, Any], unit: str) -> list[str]:
    """The fault kinds this unit offers a target for, in catalog order.

    Disturbance-driven kinds need the unit's disturbance; the others need a measurement
    (sensor), an actuator, a machine, or any tag (communication).
    """
    u = catalog["units"].get(unit)
    if u is None:
        return []
    kinds = []
    for kind, info in catalog["kinds"].items():
        if kind in DISTURBANCE_KINDS:
            ok = bool(_disturbance_keys(u, kind))
        elif info["needs"] == "machine":
            ok = bool(u["machines"])
        elif info["needs"] == "actuator":
            ok = bool(u["actuators"])
        elif info["family"] == "sensor":
            ok = bool(u["measurements"])
        else:  # communication faults act on any tag, or on all of them
            ok = bool(u["tags"])
        if ok:
            kinds.append(kind)
    return kinds


def target_choices(catalog: dict[str, Any], unit: str, kind: str) -> tuple[TargetField | None, list[tuple[str, str]]]:
    """Which target field the kind needs and its (value, label) choices; ``(None, [])``: the unit alone.

    >>> cat = {"kinds": {"fouling": {"family": "process", "needs": None}},
    ...        "units": {"bio": {"disturbances": {"fouling.jacket": [0, 0.95, "-"], "fouling.kla": [0, 0.95, "-"]}}}}
    >>> target_choices(cat, "bio", "fouling")
    ('parameter', [('jacket', 'jacket'), ('kla', 'kla')])
    """
    u = catalog["units"].get(unit)
    info = catalog["kinds"].get(kind)
    if u is None or info is None:
        return None, []
    if kind in DISTURBANCE_KINDS:
        keys = _disturbance_keys(u, kind)
        places = [k.split(".", 1)[1] for k in keys if "." in k]
        if not places:
            return None, []
        options = [(p, p) for p in places]
        # Line disturbances are per machine (`speed_loss.filler`); process ones per part (`fouling.jacket`).
        return ("machine" if info["family"] == "line" else "parameter"), options
    if info["needs"] == "machine":
        return "machine", [(m, m) for m in u["machines"]]
    if info["needs"] == "actuator":
        return "actuator", [(a, f"{a} — {desc}") for a, desc in u["actuators"].items()]
    if info["family"] == "sensor":
        return "tag", [(tag, f"{tag} ({lo:g} to {hi:g})") for tag, (lo, hi) in u["measurements"].items()]
    if info["family"] == "comm":
        return "tag", [(ALL_TAGS, "*"), *((tag, tag) for tag in u["tags"])]
    return None, []


def magnitude_range(
    catalog: dict[str, Any], unit: str, kind: str, target: str | None
) -> tuple[float, float, str] | None:
    """The magnitude the service accepts for this target (lo, hi, unit), when known.

    Mirrors :func:`twin.faults.catalog.check_fault`, for the help text only.

    >>> cat = {"kinds": {"sensor_gain": {"family": "sensor"}, "leak": {"family": "process"}},
    ...        "units": {"tank": {"measurements": {"L": [0.0, 30.0]}, "disturbances": {"leak": [0.0, 5.0, "l/min"]}}}}
    >>> magnitude_range(cat, "tank", "sensor_gain", "L"), magnitude_range(cat, "tank", "leak", None)
    ((0.1, 10.0, ''), (0.0, 5.0, 'l/min'))
    """
    u = catalog["units"].get(unit)
    info = catalog["kinds"].get(kind)
    if u is None or info is None:
        return None
    if kind in DISTURBANCE_KINDS:
        key = f"{kind}.{target}" if target else kind
        if key not in u["disturbances"]:
            return None
        lo, hi, eu = u["disturbances"][key]
        return float(lo), float(hi), str(eu)
    if kind == "valve_sticking":
        return 0.0, 50.0, ""
    if info["family"] == "sensor" and target in u["measurements"]:
        lo, hi = u["measurements"][target]
        span = float(hi) - float(lo)
        limits = {"sensor_gain": (0.1, 10.0), "sensor_noise": (0.0, span), "sensor_drift": (-10 * span, 10 * span)}
        low, high = limits.get(kind, (-span, span))
        return low, high, ""
    return None


def magnitude_help(catalog: dict[str, Any], unit: str, kind: str, target: str | None, lang: str) -> str:
    """What the magnitude means, and its allowed range when known.

    >>> cat = {"kinds": {"leak": {"family": "process", "magnitude": "leak flow"}},
    ...        "units": {"tank": {"disturbances": {"leak": [0.0, 5.0, "l/min"]}}}}
    >>> magnitude_help(cat, "tank", "leak", None, "en")
    "leak flow, in the unit's flow unit (l/min, l/h...) — allowed range: 0 to 5 l/min"
    >>> magnitude_help(cat, "tank", "leak", None, "fr")
    "débit de fuite, dans l'unité de débit de l'équipement (l/min, l/h…) — plage admise\xa0: 0 à 5 l/min"
    >>> cat["kinds"]["spill"] = {"family": "process", "magnitude": "spilled volume"}  # no catalogue text
    >>> magnitude_help(cat, "tank", "spill", None, "fr")
    'spilled volume'
    """
    info = catalog["kinds"].get(kind)
    if info is None:
        return ""
    key = f"fault.magnitude.{kind}"
    # The catalogue's text in the reader's language; a fault kind without one keeps its own help.
    text = t(key, lang) if key in catalogue() else str(info["magnitude"])
    rng = magnitude_range(catalog, unit, kind, target)
    if rng is not None:
        lo, hi, eu = rng
        low, high, to = fmt_number(lo, lang), fmt_number(hi, lang), t("magnitude_to", lang)
        text += f" — {t('magnitude_range', lang)}{colon(lang)} {low} {to} {high} {eu}".rstrip()
    return text


def fault_request(
    unit: str,
    kind: str,
    field: str | None,
    target: str | None,
    magnitude: float | None,
    start_s: float | None,
    ramp_s: float | None,
    duration_s: float | None,
) -> dict[str, Any]:
    """The fault as plain data for :meth:`TwinControl.inject`; empty form fields are left out.

    >>> fault_request("line-1", "jam", "machine", "capper", None, 5, None, 60)
    {'kind': 'jam', 'target': {'unit': 'line-1', 'machine': 'capper'}, 'start_s': 5.0, 'duration_s': 60.0}
    """
    where: dict[str, str] = {"unit": unit}
    if field and target and target != ALL_TAGS:
        where[field] = target
    fault: dict[str, Any] = {"kind": kind, "target": where}
    for name, value in (("magnitude", magnitude), ("start_s", start_s), ("ramp_s", ramp_s)):
        if value is not None and (name == "magnitude" or value):
            fault[name] = float(value)
    if duration_s is not None:
        fault["duration_s"] = float(duration_s)
    return fault


def target_text(target: dict[str, str]) -> str:
    """``unit/name`` of a fault view's target.

    >>> target_text({"unit": "mps-pa", "tag": "B101_level"}), target_text({"unit": "mps-pa"})
    ('mps-pa/B101_level', 'mps-pa')
    """
    name = next((target[k] for k in ("tag", "actuator", "parameter", "machine") if target.get(k)), "")
    return f"{target['unit']}/{name}" if name else target["unit"]


def faults_stamp(faults: list[dict[str, Any]]) -> list[list[Any]]:
    """What the faults table shows, to re-render it only on a change (a click is never lost)."""
    return [[f["id"], f["state"], f["hidden"]] for f in faults]


def faults_rows(faults: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """The injected faults as grid rows, newest first; ``clearable`` on every pending or active one.

    >>> row = {"id": "F1", "kind": "sensor_bias", "target": {"unit": "mps-pa", "tag": "B101_level"},
    ...        "magnitude": 3.0, "state": "active", "hidden": False, "scenario": None}
    >>> r = faults_rows([row], "en")[0]
    >>> [r[k] for k in ("fault_id", "fault_kind", "target", "magnitude", "state", "hidden", "clearable")]
    ['F1', 'sensor_bias', 'mps-pa/B101_level', '3', 'active', 'no', True]
    """
    rows = []
    for f in reversed(faults):
        mag = f.get("magnitude")
        rows.append(
            {
                "id": f["id"],
                "fault_id": f["id"],
                "fault_kind": f["kind"],
                "target": target_text(f["target"]),
                "magnitude": "—" if mag is None else f"{mag:g}",
                "state": t(f"fault_state_{f['state']}", lang),
                "state_key": f["state"],
                "hidden": t("yes" if f["hidden"] else "no", lang),
                "scenario": f.get("scenario") or "",
                "clearable": f["state"] in LIVE,
            }
        )
    return rows


def faults_grid(lang: str) -> Any:
    """The injected faults (rows from :func:`faults_rows`); a row's Clear button clears that fault."""
    columns = [
        *(col(key, lang) for key in ("fault_id", "fault_kind", "target")),
        col("magnitude", lang, numeric=True),
        col("state", lang, cellClass={"function": "'fault-state fault-' + params.data.state_key"}),
        *(col(key, lang) for key in ("hidden", "scenario")),
        button_col("clearable", t("clear", lang), "fault"),
    ]
    return data_grid("ic-faults-table", columns, lang, height=260, no_rows="no_faults", file_name="faults.csv")


def sim_time_text(seconds: float) -> str:
    """Simulated time as ``[d] hh:mm:ss``.

    >>> sim_time_text(3725.4), sim_time_text(2 * 86400 + 60)
    ('01:02:05', '2 d 00:01:00')
    """
    s = int(seconds)
    days, rest = divmod(s, 86400)
    hms = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"
    return f"{days} d {hms}" if days else hms


def speed_value(speed: float | str) -> str:
    """The radio value of a clock speed (``max``, or the nearest offered factor's text).

    >>> speed_value("max"), speed_value(10.0), speed_value(2.5)
    ('max', '10', '2.5')
    """
    if speed == "max" or (isinstance(speed, float) and math.isinf(speed)):
        return "max"
    return f"{float(speed):g}"


def clock_text(clock: dict[str, Any], lang: str) -> str:
    """One line: simulated time, speed, running or paused, run id.

    >>> clock_text({"sim_time_s": 75.0, "speed": 10.0, "paused": False, "run_id": "run-1"}, "en")
    'Simulated time: 00:01:15 · Speed: ×10 · running · Run: run-1'
    """
    speed = speed_value(clock["speed"])
    state = t("paused" if clock["paused"] else "running", lang)
    c = colon(lang)
    return (
        f"{t('sim_time', lang)}{c} {sim_time_text(clock['sim_time_s'])} · {t('speed', lang)}{c} ×{speed} · {state}"
        f" · {t('run_id', lang)}{c} {clock['run_id']}"
    )


def scenario_text(state: dict[str, Any] | None, lang: str) -> str:
    """The current scenario in one line (the instructor's view).

    >>> scenario_text({"name": "leak", "title": "Small leak", "state": "running", "elapsed_s": 61.0,
    ...                "duration_s": 300.0, "hidden": True}, "en")
    'Small leak (leak): running, elapsed 00:01:01 / 00:05:00 · hidden from students'
    """
    if state is None:
        return t("no_scenario", lang)
    text = (
        f"{state['title']} ({state['name']}): {t('scenario_state_' + state['state'], lang)}, {t('elapsed', lang)} "
        f"{sim_time_text(state['elapsed_s'])} / {sim_time_text(state['duration_s'])}"
    )
    return text + (f" · {t('hide_from_students', lang)}" if state["hidden"] else "")
