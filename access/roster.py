"""Class rosters (CSV) turned into user names: what ``gmp-twin users import`` reads.

A roster has a header row. The user name comes from a ``name`` column (or ``username``,
``login``, ``nom``), or from ``prénom`` + ``nom`` columns; the printed name from
``display_name`` (or ``display name``, ``prénom nom``, ``full name``); the exercise team from
``team`` (or ``équipe``, ``group``, ``groupe``): ``3``, ``Équipe 3`` or ``group 3`` give
``team-3`` (the classroom's own team names), any other text its lower-case form
(``Bleus`` → ``bleus``), an empty cell no team. Spreadsheet exports
work as they come: comma, semicolon or tab separated, UTF-8 (with or without BOM) or
Windows-1252. Names are normalised to what the users file accepts (lowercase ASCII, spaces
to dots); two students whose names normalise alike get ``-2``, ``-3``... in roster order, so
importing the same roster again yields the same names.

Examples
--------
>>> normalise_name("Élodie Dupont-Lefèvre"), normalise_name("  Zoë  O'Brien "), normalise_name("Jean-Œdipe")
('elodie.dupont-lefevre', 'zoe.obrien', 'jean-oedipe')
>>> [normalise_team(t) for t in ("3", "Équipe 2", "groupe-12", "team_4", "Les Bleus", "")]
['team-3', 'team-2', 'team-12', 'team-4', 'les-bleus', '']
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from config_schema.exercise import TEAM_PATTERN
from config_schema.files import ConfigError

NAME_COLUMNS = ("name", "username", "user name", "login", "user", "identifiant")
DISPLAY_COLUMNS = ("display name", "prenom nom", "full name", "nom complet")
FIRST_COLUMNS = ("prenom", "first name", "firstname", "given name")
TEAM_COLUMNS = ("team", "equipe", "group", "groupe", "team name", "nom d'equipe")
LAST_COLUMNS = ("nom", "last name", "lastname", "surname", "family name", "nom de famille")
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss", "ø": "o", "Ø": "O", "ł": "l"})


@dataclass(frozen=True)
class RosterEntry:
    """One student of a roster.

    Attributes
    ----------
    line : int
        Line of the roster file (for messages).
    source : str
        The name as written in the roster.
    name : str
        The user name it maps to.
    display_name : str
        The printed name.
    team : str
        The exercise team (``team-3``...); empty: in no team.
    """

    line: int
    source: str
    name: str
    display_name: str
    team: str = ""


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).encode("ascii", "ignore").decode()


def normalise_name(raw: str) -> str:
    """A user name for ``raw``: lowercase ASCII, spaces to dots, other characters dropped.

    Raises
    ------
    ValueError
        Nothing usable is left (e.g. an empty cell).
    """
    text = _ascii(raw).lower().strip()
    text = re.sub(r"\s+", ".", text)
    text = re.sub(r"[^a-z0-9_.@-]", "", text)
    text = re.sub(r"\.{2,}", ".", text).strip("._-")[:64].rstrip("._-")
    if not text:
        raise ValueError(f"no usable user name in {raw!r}")
    return text


def normalise_team(raw: str) -> str:
    """A team name for a roster's team cell (see the module docstring); ``""`` for an empty cell.

    Raises
    ------
    ValueError
        Nothing usable is left, or the name is too long for a team.
    """
    text = _ascii(raw).lower().strip()
    if not text:
        return ""
    numbered = re.fullmatch(r"(?:team|equipe|groupe?|gr?)?[\s._-]*(\d{1,4})", text)
    if numbered:
        return f"team-{int(numbered.group(1))}"
    team = re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9-]", "", re.sub(r"[\s._]+", "-", text))).strip("-")
    if not re.fullmatch(TEAM_PATTERN, team):
        raise ValueError(f"no usable team name in {raw!r} (lower-case letters, digits and '-', at most 31)")
    return team


def _column_key(header: str) -> str:
    return _ascii(header).lower().strip().replace("_", " ")


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")  # what a French spreadsheet saves as "CSV"


def read_roster(path: str | Path) -> list[RosterEntry]:
    """Read a roster CSV file; see the module docstring for the accepted columns.

    Raises
    ------
    ConfigError
        Missing file or name column, or a row with no usable name (the message names the
        file and line).
    """
    path = Path(path)
    try:
        text = _read_text(path)
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    first_line = text.split("\n", 1)[0]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(first_line, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = next(reader, None)
    if not header:
        raise ConfigError(f"{path}: empty roster; the first line must be a header such as 'name,display_name'")
    keys = [_column_key(h) for h in header]

    def find(names: tuple[str, ...]) -> int | None:
        return next((keys.index(n) for n in names if n in keys), None)

    name_col, display_col = find(NAME_COLUMNS), find(DISPLAY_COLUMNS)
    first_col, last_col, team_col = find(FIRST_COLUMNS), find(LAST_COLUMNS), find(TEAM_COLUMNS)
    if name_col is None and first_col is None:
        name_col = last_col  # a lone "nom" column holds the names
    if name_col is None and (first_col is None or last_col is None):
        raise ConfigError(
            f"{path}:1: no name column in the header ({', '.join(header)}); "
            "expected 'name' (or username, login, nom), or both 'prénom' and 'nom'"
        )

    entries: list[RosterEntry] = []
    taken: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        cells = [c.strip() for c in row]
        if not any(cells):
            continue

        def cell(col: int | None, cells: list[str] = cells) -> str:
            return cells[col] if col is not None and col < len(cells) else ""

        if name_col is not None:
            source = cell(name_col)
            display = cell(display_col) or (f"{cell(first_col)} {cell(last_col)}".strip() if first_col else "")
        else:
            source = display = f"{cell(first_col)} {cell(last_col)}".strip()
            display = cell(display_col) or display
        try:
            base = normalise_name(source)
        except ValueError as exc:
            raise ConfigError(f"{path}:{line}: {exc}; fill in the name or delete the row") from None
        try:
            team = normalise_team(cell(team_col))
        except ValueError as exc:
            raise ConfigError(f"{path}:{line}: {exc}; write e.g. 'team-1' or '1', or leave it empty") from None
        count = taken.get(base, 0) + 1
        taken[base] = count
        name = base if count == 1 else f"{base[:61]}-{count}"
        if not display and source != name:
            display = source
        entries.append(RosterEntry(line, source, name, display, team))
    if not entries:
        raise ConfigError(f"{path}: the roster has a header but no students")
    return entries
