"""``gmp-twin users add --team``, ``users team``, ``users list`` and a roster's team column: real CLI runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from access import UserStore
from audit import AuditTrail


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "GMP_TWIN_USERS": str(tmp_path / "users.yaml"),
        "GMP_TWIN_AUDIT": str(tmp_path / "audit.sqlite"),
    }
    return subprocess.run(
        [sys.executable, "-m", "gmp_twin", "users", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )


def _team(tmp_path: Path, name: str) -> str:
    user = UserStore(tmp_path / "users.yaml").get(name)
    assert user is not None
    return user.team


def test_add_with_a_team_change_it_clear_it_and_list_it(tmp_path: Path) -> None:
    added = _cli(tmp_path, "add", "ana", "--role", "student", "--team", "team-1")
    assert added.returncode == 0, added.stderr
    assert "added ana (student, team team-1)" in added.stdout and _team(tmp_path, "ana") == "team-1"
    assert _cli(tmp_path, "add", "ines", "--role", "instructor").returncode == 0

    moved = _cli(tmp_path, "team", "ana", "team-2")
    assert moved.returncode == 0 and "ana is now in team team-2" in moved.stdout and _team(tmp_path, "ana") == "team-2"
    listed = _cli(tmp_path, "list").stdout.splitlines()
    assert listed[0].split()[:3] == ["NAME", "ROLE", "TEAM"]
    assert listed[1].split()[:3] == ["ana", "student", "team-2"] and listed[2].split()[:3] == [
        "ines",
        "instructor",
        "-",
    ]

    bad = _cli(tmp_path, "team", "ana", "Team 3!")
    assert bad.returncode == 2 and "invalid team" in bad.stderr and _team(tmp_path, "ana") == "team-2"
    assert _cli(tmp_path, "team", "nobody", "team-1").returncode == 2
    cleared = _cli(tmp_path, "team", "ana", "")
    assert cleared.returncode == 0 and "ana is now in no team" in cleared.stdout and _team(tmp_path, "ana") == ""

    trail = AuditTrail(tmp_path / "audit.sqlite")
    try:
        changes = [(r.old, r.new) for r in trail.records() if r.action == "user.team" and r.result == "ok"]
    finally:
        trail.close()
    assert changes == [("team-1", "team-2"), ("team-2", "")]


def test_import_puts_the_roster_students_in_their_teams(tmp_path: Path) -> None:
    roster = tmp_path / "class.csv"
    roster.write_text("nom;prénom;équipe\nDupont;Élodie;1\nMartin;Jean;2\nLima;Ana;\n", encoding="utf-8")
    done = _cli(tmp_path, "import", str(roster))
    assert done.returncode == 0, done.stderr
    teams = {u.name: u.team for u in UserStore(tmp_path / "users.yaml").users()}
    assert teams == {"elodie.dupont": "team-1", "jean.martin": "team-2", "ana.lima": ""}
