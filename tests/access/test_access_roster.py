"""Roster CSV reading (columns, separators, encodings, name normalisation) and the credentials sheet."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from access.credentials_sheet import Credential, render_sheet, write_sheet
from access.roster import normalise_name, read_roster
from access.users_file import NAME_PATTERN
from config_schema.files import ConfigError


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("Élodie Dupont", "elodie.dupont"),
        ("  Zoë   O'Brien ", "zoe.obrien"),
        ("Jean-Œdipe Strauß", "jean-oedipe.strauss"),
        ("ALICE", "alice"),
        ("marie.curie@lycee.fr", "marie.curie@lycee.fr"),
        (".. Ana ..", "ana"),
    ],
)
def test_normalise_name(raw: str, name: str) -> None:
    import re

    assert normalise_name(raw) == name
    assert re.fullmatch(NAME_PATTERN, name)


def test_normalise_name_refuses_nothing_usable() -> None:
    with pytest.raises(ValueError, match="no usable user name"):
        normalise_name(" ☺ ")


def test_name_and_display_name_columns(tmp_path: Path) -> None:
    roster = tmp_path / "class.csv"
    roster.write_text("name,display_name\nÉlodie Dupont,\nsam,Sam Martin\n\n", encoding="utf-8")
    entries = read_roster(roster)
    assert [(e.line, e.source, e.name, e.display_name) for e in entries] == [
        (2, "Élodie Dupont", "elodie.dupont", "Élodie Dupont"),  # the raw name becomes the printed one
        (3, "sam", "sam", "Sam Martin"),
    ]


def test_french_spreadsheet_export_semicolons_cp1252_and_prenom_nom(tmp_path: Path) -> None:
    roster = tmp_path / "classe.csv"
    roster.write_bytes("Nom;Prénom\nDupont;Élodie\nMartin;Jean\nMartin;Jean\n".encode("cp1252"))
    entries = read_roster(roster)
    assert [(e.name, e.display_name) for e in entries] == [
        ("elodie.dupont", "Élodie Dupont"),
        ("jean.martin", "Jean Martin"),
        ("jean.martin-2", "Jean Martin"),  # namesakes: suffixed in roster order, the same on every import
    ]


@pytest.mark.parametrize("header", ["username", "login", "nom", "Name"])
def test_other_name_column_headers(tmp_path: Path, header: str) -> None:
    roster = tmp_path / "r.csv"
    roster.write_text(f"\ufeff{header},Display Name\nAna Lima,Ana L.\n", encoding="utf-8")  # with an Excel BOM
    assert [(e.name, e.display_name) for e in read_roster(roster)] == [("ana.lima", "Ana L.")]


def test_a_row_without_a_name_names_the_file_and_line(tmp_path: Path) -> None:
    roster = tmp_path / "r.csv"
    roster.write_text("name,display_name\nana,Ana\n,Nobody\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"r\.csv:3: no usable user name"):
        read_roster(roster)


def test_a_header_without_a_name_column_is_refused(tmp_path: Path) -> None:
    roster = tmp_path / "r.csv"
    roster.write_text("email,class\nana@x.fr,2B\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"r\.csv:1: no name column in the header \(email, class\)"):
        read_roster(roster)


def test_sheet_has_one_card_per_student_fr_en_labels_url_and_escapes(tmp_path: Path) -> None:
    creds = [
        Credential("zoe.obrien", "Zoë <O'Brien>", "Abcd-Efgh-Jkmn-Pqrs"),
        Credential("sam", "", "Stuv-Wxyz-2345-6789"),
    ]
    html = render_sheet(creds, url="http://twin.lycee.fr:8050/login")
    assert html.count('class="card"') == 2
    assert "Mot de passe provisoire / One-time password" in html and "Identifiant / User name" in html
    assert html.count("http://twin.lycee.fr:8050/login") == 2
    assert "Zoë &lt;O&#x27;Brien&gt;" in html and "<O'Brien>" not in html
    assert "Stuv-Wxyz-2345-6789" in html


def test_sheet_is_written_0600_even_over_a_readable_file(tmp_path: Path) -> None:
    sheet = tmp_path / "out" / "credentials.html"
    sheet.parent.mkdir()
    sheet.write_text("old")
    sheet.chmod(0o644)
    write_sheet(sheet, [Credential("sam", "Sam", "Stuv-Wxyz-2345-6789")])
    assert stat.S_IMODE(sheet.stat().st_mode) == 0o600
    assert "Stuv-Wxyz-2345-6789" in sheet.read_text(encoding="utf-8")
