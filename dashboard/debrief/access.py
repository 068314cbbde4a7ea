"""Who sees which debrief: enforced in the API and in the page's callbacks, on the server.

An instructor or admin sees every team of every exercise, running or ended. Anyone else (a
student) sees only their own team, and only once the instructor has ended the exercise
(``exercise_ended``, signed): before that the debrief would give the hidden faults away.

Examples
--------
>>> from access import Principal
>>> from dashboard.debrief.collect import RunInfo
>>> ended = RunInfo("r", "s", {"en": "s", "fr": "s"}, 0, 10, {"": 10})
>>> teams_seen(Principal("ines", "instructor"), ended), teams_seen(Principal("sam", "student", team="team-2"), ended)
(None, ['team-2'])
>>> teams_seen(Principal("sam", "student", team="team-2"), RunInfo("r", "s", ended.title, 0, None))
Traceback (most recent call last):
...
dashboard.debrief.access.DebriefRefused: Exercise r has not ended: its debrief opens when the instructor ends it.
"""

from __future__ import annotations

from typing import Any

from access import Principal
from dashboard.debrief.collect import RunInfo
from dashboard.i18n import t


class DebriefRefused(PermissionError):
    """A debrief (or a team of it) the caller may not see; ``key``/``params`` give the FR/EN text."""

    def __init__(self, key: str, **params: Any) -> None:
        self.key = key
        self.params = params
        super().__init__(t(key, "en", **params))

    def text(self, lang: str) -> str:
        return t(self.key, lang, **self.params)


def sees_every_team(principal: Principal) -> bool:
    return principal.may("instructor") and not principal.must_change_password


def teams_seen(principal: Principal, run: RunInfo) -> list[str] | None:
    """The teams of ``run`` the caller may see (``None``: every team); :class:`DebriefRefused` for none."""
    if sees_every_team(principal):
        return None
    if not principal.team:
        raise DebriefRefused("db_no_team")
    if not run.ended_for(principal.team):
        raise DebriefRefused("db_not_ended", run=run.run_id)
    return [principal.team]


def check_team(principal: Principal, run: RunInfo, team: str | None) -> str | None:
    """The team to show when the caller asks for ``team`` (``None``: every team they may see).

    A student asking for another team is refused (not silently switched: the URL names it).
    """
    seen = teams_seen(principal, run)
    if seen is None:
        return team
    if team not in (None, "", seen[0]):
        raise DebriefRefused("db_other_team", team=seen[0])
    return seen[0]


def runs_seen(principal: Principal, runs: list[RunInfo]) -> list[RunInfo]:
    """The exercises listed to the caller: all for instructors, ended ones for a student in a team."""
    if sees_every_team(principal):
        return runs
    return [r for r in runs if r.ended_for(principal.team)] if principal.team else []
