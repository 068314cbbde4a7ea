"""Hints: pushed to a team (or to every team) by an instructor or a timed rule, opened at a cost.

A team sees a pushed hint's cost before it opens it; the text shows only once opened (an
instructor always sees it). Opening is once per team: opening again costs nothing more.

Examples
--------
>>> board = HintBoard()
>>> h = board.push("", "ph-probe", {"en": "Check the probe", "fr": "Vérifiez la sonde"}, 5, by="alice", now_s=60)
>>> [(v["id"], v["cost"], v["text"]) for v in board.views("team-1", instructor=False)]
[('ph-probe', 5.0, None)]
>>> board.open("team-1", "ph-probe", user="bob", now_s=90)["text"]["fr"]
'Vérifiez la sonde'
>>> board.open("team-1", "ph-probe", user="carol", now_s=95)["opened_by"]
'bob'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class PushedHint:
    """A hint pushed to ``team`` (``""``: every team)."""

    id: str
    team: str
    text: dict[str, str]
    cost: float
    by: str
    pushed_s: float
    #: team -> (user, simulated time) of its opening
    opened: dict[str, tuple[str, float]] = field(default_factory=dict)

    def view(self, team: str | None, instructor: bool) -> dict[str, Any]:
        opening = self.opened.get(team or "") if team else None
        shown = instructor or opening is not None
        return {
            "id": self.id,
            "team": self.team,
            "cost": self.cost,
            "pushed_s": round(self.pushed_s, 3),
            "by": self.by,
            "opened": opening is not None,
            "opened_by": opening[0] if opening else None,
            "opened_s": round(opening[1], 3) if opening else None,
            "opened_teams": sorted(self.opened) if instructor else None,
            "text": dict(self.text) if shown else None,
        }


def both_languages(text: dict[str, str] | None) -> dict[str, str]:
    """``{en, fr}`` from a text in one or both languages (an instructor's quick hint is often one).

    >>> both_languages({"fr": "Regardez le pH"})
    {'en': 'Regardez le pH', 'fr': 'Regardez le pH'}
    """
    text = {k: v.strip() for k, v in (text or {}).items() if k in ("en", "fr") and isinstance(v, str) and v.strip()}
    if not text:
        raise ValueError("text: give the hint's text as {'en': ..., 'fr': ...} (at least one language)")
    return {"en": text.get("en") or text["fr"], "fr": text.get("fr") or text["en"]}


@dataclass
class HintBoard:
    """The hints of one exercise."""

    hints: list[PushedHint] = field(default_factory=list)

    def push(self, team: str, hint_id: str, text: dict[str, str], cost: float, *, by: str, now_s: float) -> PushedHint:
        """Push a hint; ``ValueError`` when that team (or every team) already has it."""
        for h in self.hints:
            if h.id == hint_id and (h.team == "" or team == "" or h.team == team):
                raise ValueError(f"hint {hint_id!r} was already pushed to {h.team or 'every team'}")
        if cost < 0:
            raise ValueError("cost: a hint's cost is 0 or more points")
        pushed = PushedHint(hint_id, team, both_languages(text), float(cost), by, now_s)
        self.hints.append(pushed)
        return pushed

    def pushed_ids(self) -> set[str]:
        return {h.id for h in self.hints}

    def _visible(self, team: str | None) -> list[PushedHint]:
        return [h for h in self.hints if team is None or h.team in ("", team)]

    def views(self, team: str | None, instructor: bool) -> list[dict[str, Any]]:
        """Hints ``team`` has (``None``: all, for an instructor), oldest first."""
        return [h.view(team, instructor) for h in self._visible(team)]

    def open(self, team: str, hint_id: str, *, user: str, now_s: float) -> dict[str, Any]:
        """Open a pushed hint for ``team``; ``KeyError`` lists the hints it has."""
        for h in self._visible(team):
            if h.id == hint_id:
                h.opened.setdefault(team, (user, now_s))
                return h.view(team, instructor=False)
        ids = ", ".join(h.id for h in self._visible(team)) or "none yet"
        raise KeyError(f"no hint {hint_id!r} was pushed to {team}; its hints: {ids}")

    def was_opened(self, team: str, hint_id: str) -> bool:
        return any(h.id == hint_id and team in h.opened for h in self.hints)


__all__ = ["HintBoard", "PushedHint", "both_languages"]
