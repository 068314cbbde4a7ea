"""``/api/classroom``: every team plant at once, for the instructor (``gmp-twin run --teams N``).

``GET /classroom`` lists each team's scenario, key values, active alarms, OEE and number of
deviation reports; ``POST /classroom/scenarios/start`` starts one scenario for every team or a
different one per team; ``POST /classroom/end`` ends the exercise on every team plant with one
electronic signature. All three need the instructor level (a student gets 403, whatever team
they are in); each change goes through the team's own ``TwinControl`` and its audit trail
(:mod:`dashboard.classroom_state`). A process with one plant answers 404, naming how to start a
classroom.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from config_schema.files import ConfigError
from dashboard import classroom_state
from dashboard.api.auth import InstructorDep, actor
from dashboard.api.signatures import SignatureBody, signature_of
from dashboard.classroom import Classroom
from dashboard.services import Services

router = APIRouter(tags=["classroom"])

NO_CLASSROOM = "this process runs one plant, not a classroom: start it with `gmp-twin run --teams N`"
#: Scenario names are file stems (``config/scenarios/<name>.yaml``), as in ``/api/scenarios``.
ScenarioName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9\-]{0,59}$")]


class StartAllBody(BaseModel):
    """Body of ``POST /api/classroom/scenarios/start``: one scenario for all, or one per team."""

    model_config = ConfigDict(extra="forbid")
    scenario: ScenarioName | None = Field(None, description="the scenario every team starts")
    assignments: dict[str, ScenarioName | None] | None = Field(
        None, description="team -> scenario; teams left out (or null) start nothing"
    )
    hidden: bool | None = Field(None, description="override the scenarios' own 'hidden' (null: keep it)")
    signature: SignatureBody | None = Field(None, description="when the plant file requires one for scenario.start")

    @model_validator(mode="after")
    def _one_of(self) -> StartAllBody:
        if (self.scenario is None) == (self.assignments is None):
            raise ValueError("give either 'scenario' (every team) or 'assignments' (team -> scenario)")
        return self


class EndAllBody(BaseModel):
    """Body of ``POST /api/classroom/end``: the signature that ends every team's exercise."""

    model_config = ConfigDict(extra="forbid")
    signature: SignatureBody | None = Field(None, description="password and meaning (always required)")


def classroom_of(request: Request) -> Classroom:
    """The process's classroom (the top-level Services, not a team's), or 404."""
    services: Services = request.app.state.services
    if services.classroom is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, NO_CLASSROOM)
    return services.classroom


@router.get("/classroom", responses={404: {"description": "one plant, not a classroom"}})
async def get_classroom(_who: InstructorDep, request: Request) -> dict[str, Any]:
    """Every team plant: scenario, key values per unit, active alarms, OEE, number of reports."""
    room = classroom_of(request)
    latest = classroom_state.latest_by_unit(await room.first().historian.latest())
    return classroom_state.classroom_state(room, latest)


@router.post(
    "/classroom/scenarios/start",
    responses={404: {"description": "unknown scenario, or not a classroom"}, 422: {"description": "unknown team"}},
)
async def start_scenarios(who: InstructorDep, request: Request, body: StartAllBody) -> dict[str, Any]:
    """Start a scenario on every team plant, or each team's own (``assignments``).

    Answers ``{started: {team: scenario state}, errors: {team: reason}}``; 409 when no team started.
    """
    room = classroom_of(request)
    try:
        plan = classroom_state.assignments_for(room, body.scenario, body.assignments)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    signature = signature_of(request, who, body.signature)
    try:
        result = classroom_state.start_all(room, plan, hidden=body.hidden, actor=actor(who), signature=signature)
    except KeyError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc.args[0])) from None
    except ConfigError as exc:
        raise HTTPException(status.HTTP_500_INTERNAL_SERVER_ERROR, f"scenario library: {exc}") from None
    if not result["started"]:
        raise HTTPException(status.HTTP_409_CONFLICT, result["errors"])
    return result


@router.post("/classroom/end", responses={403: {"description": "no signature, or a wrong one"}})
async def end_exercises(who: InstructorDep, request: Request, body: EndAllBody | None = None) -> dict[str, Any]:
    """End the exercise on every team plant (faults revealed to the students), signed once.

    ``{"signature": {"password": "…", "meaning": "approved"}}`` is required. Answers
    ``{ended: {team: result}, errors: {team: reason}}`` (a team with nothing running is an error).
    """
    room = classroom_of(request)
    signature = signature_of(request, who, body.signature if body else None)
    return classroom_state.end_all(room, actor=actor(who), signature=signature)
