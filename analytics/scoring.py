"""Score a run: which injected faults the detectors flagged, how fast, and the false alarms.

The ground truth is the run's ``fault_started`` / ``fault_ended`` / ``fault_cleared`` events;
the detections are ``alarm_raised`` events. An alarm raised on a unit while one of its faults
is active (or within ``grace_s`` after it ended, the detector's averaging window may lag)
detects the earliest such fault; a fault on one tag (a sensor or a communication fault) is
only detected by a detector that watches that tag, unless its event says it moves the process
(``moves_process``: a sensor a controller regulates on, whose fault shows in the manipulated
variable and the rest of the unit). Every other alarm is a false alarm. Detector points are
stamped with the start of their averaging window, so an alarm up to one window (its event's
``sample_s``, else ``window_s``) before a fault's start (a window that already holds faulty
samples) still counts for it, with a delay of zero. For each fault the
report gives the first detector that flagged it, the delay from the fault's start, and the
false alarms on its unit before it started and after it ended.

Examples
--------
>>> from historian.base import Point
>>> S = 1_000_000_000
>>> ev = [
...     Point("event", {"unit": "tank", "kind": "alarm_raised"}, {"alarm_id": "lvl", "tag": "L"}, 50 * S),
...     Point("event", {"unit": "tank", "kind": "fault_started"},
...           {"fault_id": "F1", "fault_kind": "sensor_bias", "family": "sensor", "tag": "L",
...            "target": "tank/L", "run_id": "r"}, 100 * S),
...     Point("event", {"unit": "tank", "kind": "alarm_raised"}, {"alarm_id": "lvl", "tag": "L"}, 130 * S),
...     Point("event", {"unit": "tank", "kind": "fault_cleared"}, {"fault_id": "F1", "run_id": "r"}, 400 * S),
... ]
>>> report = score_events(ev)
>>> f = report["faults"][0]
>>> f["detected"], f["detector"], f["delay_s"], f["false_alarms_before"]
(True, 'lvl', 30.0, 1)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from historian.base import Point

NS = 1_000_000_000
_END_KINDS = ("fault_ended", "fault_cleared")


def score_events(
    events: Sequence[Point], grace_s: float = 120.0, run_id: str | None = None, window_s: float = 10.0
) -> dict[str, Any]:
    """Per-fault detection and false alarms (see the module docstring); plain JSON-able data."""
    events = sorted(events, key=lambda p: p.time_ns)
    faults: dict[str, dict[str, Any]] = {}
    alarms: list[Point] = []
    runs = set()
    for p in events:
        kind = p.tags.get("kind", "")
        rid = str(p.fields.get("run_id", ""))
        if kind.startswith("fault_") or kind.startswith("scenario_"):
            if run_id is not None and rid != run_id:
                continue
            runs.add(rid)
        if kind == "fault_started":
            fid = str(p.fields["fault_id"])
            faults[fid] = {
                "fault_id": fid,
                "kind": str(p.fields.get("fault_kind", "")),
                "target": str(p.fields.get("target", "")),
                "unit": p.tags.get("unit", ""),
                "tag": str(p.fields.get("tag", ""))
                if p.fields.get("family") in ("sensor", "comm") and not p.fields.get("moves_process")
                else "",
                "magnitude": p.fields.get("magnitude"),
                "hidden": bool(p.fields.get("hidden", False)),
                "scenario": str(p.fields.get("scenario", "")),
                "start_ns": p.time_ns,
                "end_ns": None,
            }
        elif kind in _END_KINDS and str(p.fields.get("fault_id")) in faults:
            faults[str(p.fields["fault_id"])]["end_ns"] = p.time_ns
        elif kind == "alarm_raised":
            alarms.append(p)
    grace, early = round(grace_s * NS), round(window_s * NS)
    attributed: dict[int, str] = {}
    ordered = sorted(faults.values(), key=lambda f: f["start_ns"])
    for i, alarm in enumerate(alarms):
        unit = alarm.tags.get("unit", "")
        for f in ordered:
            end = f["end_ns"]
            window = round(float(alarm.fields.get("sample_s", 0.0)) * NS) or early
            started = f["start_ns"] - window <= alarm.time_ns
            watches = not f["tag"] or f["tag"] in str(alarm.fields.get("tag", "")).split("+")
            if f["unit"] == unit and watches and started and (end is None or alarm.time_ns <= end + grace):
                attributed[i] = f["fault_id"]
                break
    rows = []
    for f in ordered:
        mine = [(i, a) for i, a in enumerate(alarms) if attributed.get(i) == f["fault_id"]]
        first = mine[0][1] if mine else None
        unit_false = [a for i, a in enumerate(alarms) if i not in attributed and a.tags.get("unit", "") == f["unit"]]
        end = f["end_ns"]
        rows.append({
            "fault_id": f["fault_id"], "kind": f["kind"], "target": f["target"], "unit": f["unit"],
            "magnitude": f["magnitude"], "hidden": f["hidden"], "scenario": f["scenario"],
            "start_s": _rel(f["start_ns"], events), "end_s": None if end is None else _rel(end, events),
            "detected": first is not None,
            "detector": str(first.fields.get("alarm_id", first.fields.get("detector", ""))) if first else None,
            "delay_s": round(max(0, first.time_ns - f["start_ns"]) / NS, 3) if first else None,
            "detectors": sorted({str(a.fields.get("alarm_id", "")) for _, a in mine}),
            "false_alarms_before": sum(1 for a in unit_false if a.time_ns < f["start_ns"] - early),
            "false_alarms_after": sum(1 for a in unit_false if end is not None and a.time_ns > end + grace),
        })  # fmt: skip
    span_s = (events[-1].time_ns - events[0].time_ns) / NS if len(events) > 1 else 0.0
    false_total = len(alarms) - len(attributed)
    return {
        "run_ids": sorted(r for r in runs if r),
        "faults": rows,
        "detected": sum(1 for r in rows if r["detected"]),
        "alarms": len(alarms),
        "false_alarms": false_total,
        "false_alarms_per_h": round(false_total / (span_s / 3600.0), 3) if span_s > 0 else None,
        "span_s": round(span_s, 3),
        "grace_s": grace_s,
        "window_s": window_s,
    }


def _rel(time_ns: int, events: Sequence[Point]) -> float:
    return round((time_ns - events[0].time_ns) / NS, 3)


#: The English text of :func:`format_report`; the CLI passes the catalogue's ``score.*`` entries for French.
REPORT_TEXT: dict[str, str] = {
    "score.fault": "fault",
    "score.kind": "kind",
    "score.target": "target",
    "score.start": "start",
    "score.detected_by": "detected by",
    "score.delay": "delay",
    "score.false_before": "false before",
    "score.false_after": "false after",
    "score.not_detected": "NOT DETECTED",
    "score.decimal_mark": ".",
    "score.summary": "{detected}/{faults} faults detected; {alarms} alarms, {false} false ({rate} per hour) "
    "over {span}; run {runs}",
}


def format_report(report: dict[str, Any], text: Mapping[str, str] | None = None) -> str:
    """A readable table of :func:`score_events`' output; ``text`` replaces :data:`REPORT_TEXT` (a translation)."""
    words = {**REPORT_TEXT, **(text or {})}
    head = tuple(
        words[f"score.{k}"]
        for k in ("fault", "kind", "target", "start", "detected_by", "delay", "false_before", "false_after")
    )
    rows = [head]
    for f in report["faults"]:
        rows.append((
            f["fault_id"], f["kind"], f["target"], _hms(f["start_s"]),
            f["detector"] or words["score.not_detected"], _hms(f["delay_s"]) if f["delay_s"] is not None else "-",
            str(f["false_alarms_before"]), str(f["false_alarms_after"]),
        ))  # fmt: skip
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(head))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    rate = report["false_alarms_per_h"]
    lines.append("")
    lines.append(
        words["score.summary"].format(
            detected=report["detected"],
            faults=len(report["faults"]),
            alarms=report["alarms"],
            false=report["false_alarms"],
            rate="-" if rate is None else f"{rate:g}".replace(".", words["score.decimal_mark"]),
            span=_hms(report["span_s"]),
            runs=", ".join(report["run_ids"]) or "?",
        )
    )
    return "\n".join(lines)


def _hms(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    s = round(seconds)
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"
