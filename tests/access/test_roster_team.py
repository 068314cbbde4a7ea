"""A roster's team column (team, équipe, group, groupe) read into each entry's team."""

from __future__ import annotations

from pathlib import Path

import pytest

from access.roster import read_roster
from config_schema.files import ConfigError


def test_an_equipe_column_gives_each_student_a_team(tmp_path: Path) -> None:
    roster = tmp_path / "2B.csv"
    roster.write_text(
        "nom;prénom;Équipe\nDupont;Élodie;1\nMartin;Jean;Équipe 2\nLima;Ana;\nRoy;Léa;Les Bleus\n", encoding="utf-8"
    )
    entries = read_roster(roster)
    assert [(e.name, e.team) for e in entries] == [
        ("elodie.dupont", "team-1"),
        ("jean.martin", "team-2"),
        ("ana.lima", ""),
        ("lea.roy", "les-bleus"),
    ]


@pytest.mark.parametrize("header", ["team", "group", "groupe", "Equipe"])
def test_other_team_headers(tmp_path: Path, header: str) -> None:
    roster = tmp_path / "r.csv"
    roster.write_text(f"name,{header}\nana,team-4\n", encoding="utf-8")
    assert read_roster(roster)[0].team == "team-4"


def test_without_a_team_column_nobody_is_in_a_team(tmp_path: Path) -> None:
    roster = tmp_path / "r.csv"
    roster.write_text("name,display_name\nana,Ana Lima\n", encoding="utf-8")
    assert read_roster(roster)[0].team == ""


def test_an_unusable_team_names_the_line(tmp_path: Path) -> None:
    roster = tmp_path / "r.csv"
    roster.write_text("name,team\nana,1\nbob," + "x" * 40 + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"r\.csv:3: no usable team name .*'team-1' or '1'"):
        read_roster(roster)
