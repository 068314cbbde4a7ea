"""``gmp-twin score`` with teams: real CLI runs on an events file and on a classroom run in a historian."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from historian.base import Point
from historian.codec import encode_point
from historian.sqlite import SqliteHistorian

S = 1_000_000_000
ROOT = Path(__file__).resolve().parents[2]
SPEC = {"answers": [{"fault": "zero-shift", "unit": "mps-pa", "tags": ["B101_level"], "causes": ["bad-zero"]}]}


def _events(t0_ns: int, team_plants: bool = False) -> list[Point]:
    def ev(kind: str, t_s: float, team: str = "", **fields: Any) -> Point:
        run = {"run_id": f"class-{team}", "class_run": "class", "team": team} if team_plants else {"run_id": "solo"}
        if not team_plants and team:
            run["team"] = team
        tags = {"site": f"pilot-{team}" if team_plants else "pilot", "unit": "mps-pa", "kind": kind}
        return Point("event", tags, {**run, **fields}, t0_ns + round(t_s * S))

    teams = ("team-1", "team-2") if team_plants else ("",)
    out = []
    for team in teams:
        out += [
            ev("scenario_started", 0, team, scenario="level-sensor-bias", scoring=json.dumps(SPEC)),
            ev("fault_started", 300, team, fault_id="zero-shift", fault_kind="sensor_bias", family="sensor",
               tag="B101_level", target="mps-pa/B101_level"),
            ev("alarm_raised", 340, team, alarm_id="level-ewma", tag="B101_level"),
        ]  # fmt: skip
    out += [
        ev("deviation_reported", 500, "team-1", report_id="R1", user="ana", unit="mps-pa", tags="B101_level",
           cause="bad-zero", start_ns=t0_ns + 310 * S),
        ev("deviation_reported", 900, "team-2", report_id="R1", user="bob", unit="mps-pa", tags="B101_level"),
        ev("hint_opened", 800, "team-2", hint_id="h1", user="cyril", cost=5.0),
        ev("deviation_reported", 950, "team-2", report_id="R2", user="bob", unit="tank-9", tags="x"),
    ]  # fmt: skip
    return out


def _score(*args: str, cwd: Path = ROOT, lang: str = "en") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANG")}
    return subprocess.run(
        [sys.executable, "-m", "gmp_twin", "score", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**env, "GMP_TWIN_LANG": lang},
        timeout=120,
    )


def test_score_json_gives_the_same_team_scores_twice_for_the_same_events_file(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    path.write_text("".join(encode_point(p) + "\n" for p in _events(10**18)), encoding="utf-8")
    first, second = _score("--file", str(path), "--json"), _score("--file", str(path), "--json", "--run", "solo")
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert first.stdout == _score("--file", str(path), "--json").stdout
    a, b = json.loads(first.stdout), json.loads(second.stdout)
    assert a["faults"][0]["detector"] == "level-ewma"  # the detectors' keys stay
    scores = [(t["team"], t["score"], t["rank"]) for t in a["exercise"]["teams"]]
    # team-1: unit 20 + tag 10 + cause 30 + start 10 + detection 40; team-2: 20 + 10 + 40, -5 hint, -10 false.
    assert scores == [("team-1", 110.0, 1), ("team-2", 55.0, 2)]
    assert [(t["team"], t["score"]) for t in b["exercise"]["teams"]] == [("team-1", 110.0), ("team-2", 55.0)]
    assert a["exercise"]["teams"][1]["students"] == [
        {"user": "bob", "reports": 2, "correct": 1, "false": 1, "points": 60.0, "hints_cost": 0.0},
        {"user": "cyril", "reports": 0, "correct": 0, "false": 0, "points": -5.0, "hints_cost": 5.0},
    ]


def test_score_text_prints_the_detectors_table_then_the_teams_in_french_or_english(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    path.write_text("".join(encode_point(p) + "\n" for p in _events(10**18)), encoding="utf-8")
    english = _score("--file", str(path)).stdout
    lines = english.splitlines()
    assert lines[0].split()[:3] == ["fault", "kind", "target"] and "1/1 faults detected" in english
    at = lines.index("Teams (level-sensor-bias; at most 110 points)")
    assert lines[at + 1].split()[:4] == ["rank", "team", "score", "found"]
    assert lines[at + 3].split()[:4] == ["1", "team-1", "110", "1/1"]
    assert any(line.split()[:3] == ["team-2", "cyril", "0"] for line in lines[at:])
    french = _score("--file", str(path), "--lang", "fr", lang="en").stdout
    assert "Équipes (level-sensor-bias ; au plus 110 points)" in french and "1/1 pannes détectées" in french
    assert "fausses déclarations" in french and "étudiant" in french and "-5" in french


def test_score_a_classroom_run_from_the_historian(tmp_path: Path) -> None:
    # Recent events: the command looks back --days from now.
    events = _events(time.time_ns() - 3600 * S, team_plants=True)

    async def store() -> None:
        async with SqliteHistorian(str(tmp_path / "h.sqlite")) as historian:
            await historian.write(events)

    asyncio.run(store())
    url = f"sqlite:///{tmp_path / 'h.sqlite'}"
    done = _score("--run", "class", "--historian", url, "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert sorted(out["team_runs"]) == ["class-team-1", "class-team-2"]
    assert all(r["detected"] == 1 and r["false_alarms"] == 0 for r in out["team_runs"].values())
    assert [(t["team"], t["score"]) for t in out["exercise"]["teams"]] == [("team-1", 110.0), ("team-2", 55.0)]
    assert [f["team"] for f in out["exercise"]["faults"]] == ["team-1", "team-2"]
    text = _score("--run", "class", "--historian", url, cwd=tmp_path).stdout
    assert "class-team-1\nfault" in text and "class-team-2\nfault" in text and "1     team-1" in text
