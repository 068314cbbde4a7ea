"""``/api/exercise``: the running exercise, its deviation reports and hints, and its signed end.

Through :class:`twin.faults.service.TwinControl`'s exercise methods
(:mod:`twin.exercises.control`), which audit every attempt. The caller's team is the one the
users file gives them (``principal.team``), never one the request names: a student reports,
reads and opens hints for their own team only; an instructor reads any team (``?team=``) and
pushes hints and ends the exercise (with an electronic signature). A student of a hidden
scenario never sees its faults, nor the answer key, before that signed end.

Errors: 403 (in no team, another team's plant, not allowed), 409 (no exercise running),
422 (a field is wrong: the message names it and the valid choices), 404 (no such hint).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from access import Principal
from config_schema.exercise import ID_PATTERN, TEAM_PATTERN
from dashboard.api.auth import InstructorDep, StudentDep, actor
from dashboard.api.deps import ControlDep
from dashboard.api.signatures import SignatureBody, signature_of
from twin.exercises.errors import ExerciseClosed
from twin.exercises.reports import ReportIn

router = APIRouter(tags=["exercise"])

NO_TEAM = (
    "you are in no team, so you cannot take part in the exercise: ask your instructor to put you in one "
    "(gmp-twin users team NAME TEAM)"
)
TeamQuery = Annotated[str | None, Query(pattern=TEAM_PATTERN, description="instructors: the team to show")]


class HintBody(BaseModel):
    """Body of ``POST /api/exercise/hints``: a scenario hint by id, or a free text with its cost."""

    model_config = ConfigDict(extra="forbid")
    team: str | None = Field(None, pattern=TEAM_PATTERN, description="the team (null: every team)")
    hint_id: str | None = Field(None, pattern=ID_PATTERN, description="a hint of the scenario")
    text: dict[str, str] | None = Field(None, description="a free hint: {'en': ..., 'fr': ...}")
    cost: float | None = Field(None, ge=0, description="points it costs the team that opens it")


class EndBody(BaseModel):
    """Body of ``POST /api/exercise/end``: ending an exercise always needs an electronic signature."""

    model_config = ConfigDict(extra="forbid")
    signature: SignatureBody = Field(description="your password again and the meaning (approved...)")


def _instructor(who: Principal) -> bool:
    return who.may("instructor")


def _own_team(who: Principal) -> str:
    """A student's team, or 403 when they are in none."""
    if not who.team:
        raise HTTPException(status.HTTP_403_FORBIDDEN, NO_TEAM)
    return who.team


def _refused(exc: Exception) -> HTTPException:
    if isinstance(exc, ExerciseClosed):
        return HTTPException(status.HTTP_409_CONFLICT, str(exc))
    if isinstance(exc, KeyError):
        return HTTPException(status.HTTP_404_NOT_FOUND, str(exc.args[0]) if exc.args else "not found")
    if isinstance(exc, PermissionError):
        return HTTPException(status.HTTP_403_FORBIDDEN, str(exc))
    return HTTPException(422, str(exc))


@router.get("/exercise")
async def exercise(who: StudentDep, control: ControlDep, team: TeamQuery = None) -> dict[str, Any] | None:
    """The running (or last) exercise for the caller's team (``null`` when none was started).

    Title and briefing (FR/EN), state, elapsed time, candidate causes, the team's reports,
    hints and out-of-limits warnings; the faults and the answer key only for instructors, or
    once the exercise of a hidden scenario was ended with a signature.
    """
    if _instructor(who):
        return control.exercise_state("instructor", team or "")
    return control.exercise_state("student", who.team)


@router.post(
    "/exercise/reports",
    status_code=status.HTTP_201_CREATED,
    responses={403: {"description": "in no team"}, 409: {"description": "no exercise running"}},
)
async def report_deviation(who: StudentDep, control: ControlDep, body: ReportIn) -> dict[str, Any]:
    """File a deviation report for your team; it can never be edited, only superseded by a later one."""
    team = _own_team(who)
    try:
        return control.report_deviation(body.model_dump(mode="json", exclude_none=True), actor=actor(who), team=team)
    except (ValueError, PermissionError) as exc:
        raise _refused(exc) from None


@router.get("/exercise/reports")
async def reports(who: StudentDep, control: ControlDep, team: TeamQuery = None) -> list[dict[str, Any]]:
    """The exercise's reports: a student's own team's; an instructor's ``?team=`` or every team's."""
    if _instructor(who):
        return control.reports(team or None)
    return control.reports(_own_team(who))


@router.get("/exercise/hints")
async def hints(who: StudentDep, control: ControlDep, team: TeamQuery = None) -> list[dict[str, Any]]:
    """Hints pushed to the team, each with its cost; the text only once opened (instructors: always)."""
    if _instructor(who):
        return control.hints(team or "", "instructor")
    return control.hints(_own_team(who), "student")


@router.post("/exercise/hints", status_code=status.HTTP_201_CREATED, responses={409: {"description": "no exercise"}})
async def push_hint(who: InstructorDep, control: ControlDep, body: HintBody) -> list[dict[str, Any]]:
    """Push a scenario hint (``hint_id``) or a free ``text`` with its ``cost`` to a team or every team."""
    try:
        return control.push_hint(body.team, actor=actor(who), hint_id=body.hint_id, text=body.text, cost=body.cost)
    except (ValueError, PermissionError) as exc:
        raise _refused(exc) from None


@router.post("/exercise/hints/{hint_id}/open", responses={404: {"description": "no such hint for the team"}})
async def open_hint(
    who: StudentDep, control: ControlDep, hint_id: Annotated[str, PathParam(pattern=ID_PATTERN)]
) -> dict[str, Any]:
    """Open a hint pushed to your team: its cost is taken from the team's score (once)."""
    team = _own_team(who)
    try:
        return control.open_hint(team, hint_id, actor=actor(who))
    except (ValueError, KeyError, PermissionError) as exc:
        raise _refused(exc) from None


@router.post(
    "/exercise/end",
    responses={403: {"description": "signature missing or wrong"}, 409: {"description": "no exercise to end"}},
)
async def end_exercise(who: InstructorDep, control: ControlDep, request: Request, body: EndBody) -> dict[str, Any]:
    """End the exercise with your electronic signature: the scenario stops and its faults are revealed."""
    signature = signature_of(request, who, body.signature)
    try:
        return control.end_exercise(actor=actor(who), signature=signature)
    except (ValueError, PermissionError) as exc:
        raise _refused(exc) from None
