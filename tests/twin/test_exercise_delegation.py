"""The compose split: a dashboard of another process files reports, pushes hints and ends the exercise.

Reuses the real twin and :class:`dashboard.remote_control.RemoteControl` of
``test_opcua_delegation``. The twin takes a person's team from its own users file, never from
the dashboard's request.
"""

from __future__ import annotations

import pytest
from people import SETUP
from test_opcua_delegation import INES, Twin, twin  # noqa: F401 - the fixture

from audit import Actor, Signature
from dashboard.services import PlantControl
from twin.exercises.errors import ExerciseClosed

LEA = Actor("lea", "student", "http", "10.0.0.9:40000")
SIG = Signature("ines", "Inès Dupont", "approved", "2026-12-05T19:20:11Z")
REPORT = {"unit": "mps-pa", "tags": ["B101_level"], "start_ns": 0, "cause_text": "a leak", "action": "watch",
          "classification": "minor"}  # fmt: skip


async def test_reports_hints_and_the_signed_end_over_opc_ua(twin: Twin) -> None:  # noqa: F811
    twin.people.store.add("lea", "student", actor=SETUP, password="lea-student-pass-2291", team="team-1")
    remote: PlantControl = twin.remote
    with pytest.raises(ExerciseClosed, match="no exercise is running"):
        await twin.call(remote.report_deviation, REPORT, actor=LEA, team="team-1")
    await twin.call(remote.start_scenario, "mystery-level", actor=INES)
    # The dashboard says team-9; the twin's users file says team-1.
    filed = await twin.call(remote.report_deviation, REPORT, actor=LEA, team="team-9")
    assert isinstance(filed, dict) and (filed["report_id"], filed["team"], filed["user"]) == ("R1", "team-1", "lea")
    with pytest.raises(PermissionError, match="you are in no team"):
        await twin.call(remote.report_deviation, REPORT, actor=Actor("sam", "student", "http"), team="team-1")
    with pytest.raises(PermissionError, match="may not push_hint"):
        await twin.call(remote.push_hint, "team-1", actor=LEA, text={"en": "look"})
    pushed = await twin.call(remote.push_hint, "team-1", actor=INES, text={"en": "Look at B101"}, cost=3.0)
    assert isinstance(pushed, list) and pushed[0]["id"] == "instructor-1"
    hints = await twin.call(remote.hints, "team-1", "student")
    assert isinstance(hints, list) and hints[0]["text"] is None and hints[0]["cost"] == 3.0
    opened = await twin.call(remote.open_hint, "team-1", "instructor-1", actor=LEA)
    assert isinstance(opened, dict) and opened["text"]["en"] == "Look at B101"
    state = await twin.call(remote.exercise_state, "student", "team-1")
    assert isinstance(state, dict) and [r["report_id"] for r in state["reports"]] == ["R1"]
    assert [r["team"] for r in await twin.call(remote.reports, None)] == ["team-1"]  # type: ignore[attr-defined]
    with pytest.raises(PermissionError, match="electronic signature"):
        await twin.call(remote.end_exercise, actor=INES, signature=None)
    ended = await twin.call(remote.end_exercise, actor=INES, signature=SIG)
    assert isinstance(ended, dict) and ended["revealed"] == ["F1"]
    record = twin.people.audit.query(action="deviation.report")
    assert any(r.user == "lea" and r.result == "ok" and "via dashboard" in r.client for r in record)
