"""``/api/scenarios``: the scenario library, the running scenario, start / stop / hide.

Through :class:`twin.faults.service.TwinControl`, like the dashboard's instructor console. The
library is instructor-only (a scenario's title gives its fault away); the current scenario is
public but role-filtered: a student sees the title and briefing of a hidden scenario, never
its faults.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from config_schema.files import ConfigError
from dashboard.api.auth import InstructorDep, ViewerDep, actor
from dashboard.api.deps import ControlDep
from dashboard.api.signatures import SignatureBody, signature_of

router = APIRouter(tags=["scenarios"])

#: Scenario names are file stems (``config/scenarios/<name>.yaml``), never paths.
NAME = r"^[a-z0-9][a-z0-9\-]{0,59}$"


class StartBody(BaseModel):
    """Optional body of ``POST /api/scenarios/{name}/start``."""

    model_config = ConfigDict(extra="forbid")
    hidden: bool | None = Field(None, description="override the scenario's own 'hidden' (null: keep it)")
    signature: SignatureBody | None = Field(None, description="when the plant file requires one for scenario.start")


class HiddenBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hidden: bool = Field(description="true: the scenario's faults disappear from student views")


def _library_error(exc: ConfigError) -> HTTPException:
    # A broken scenario file is the installation's problem; the message names the file and line.
    return HTTPException(status.HTTP_500_INTERNAL_SERVER_ERROR, f"scenario library: {exc}")


@router.get("/scenarios")
async def list_scenarios(
    _who: InstructorDep, control: ControlDep, lang: Annotated[Literal["fr", "en"], Query()] = "en"
) -> list[dict[str, Any]]:
    """The scenarios this plant can run (name, title, briefing, units, hidden, duration, faults)."""
    try:
        return control.scenarios(lang)
    except ConfigError as exc:
        raise _library_error(exc) from None


@router.get("/scenarios/current")
async def current_scenario(who: ViewerDep, control: ControlDep) -> dict[str, Any] | None:
    """The last scenario started (``null`` if none); students see no fault of a hidden one."""
    return control.scenario_state("instructor" if who.may("instructor") else "student")


@router.post(
    "/scenarios/{name}/start",
    responses={404: {"description": "unknown scenario"}, 409: {"description": "the plant cannot run it"}},
)
async def start_scenario(
    who: InstructorDep,
    control: ControlDep,
    request: Request,
    name: Annotated[str, PathParam(pattern=NAME)],
    body: StartBody | None = None,
) -> dict[str, Any]:
    """Start a scenario now; one still running is stopped (its faults cleared) first."""
    try:
        return control.start_scenario(
            name,
            hidden=body.hidden if body else None,
            actor=actor(who),
            signature=signature_of(request, who, body.signature if body else None),
        )
    except KeyError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc.args[0])) from None
    except ConfigError as exc:
        raise _library_error(exc) from None
    except ValueError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None


class StopBody(BaseModel):
    """Body of ``POST /api/scenarios/stop``: the electronic signature ending an exercise needs."""

    model_config = ConfigDict(extra="forbid")
    signature: SignatureBody | None = Field(None, description="password and meaning (plant file: scenario.stop)")


@router.post("/scenarios/stop", responses={403: {"description": "a signature is needed or wrong"}})
async def stop_scenario(
    who: InstructorDep, control: ControlDep, request: Request, body: StopBody | None = None
) -> dict[str, Any] | None:
    """Stop the running scenario and clear its faults (``null`` if none was ever started).

    Ending an exercise needs an electronic signature when the plant file says so (the default):
    ``{"signature": {"password": "…", "meaning": "approved"}}``.
    """
    signature = signature_of(request, who, body.signature if body else None)
    return control.stop_scenario(actor=actor(who), signature=signature)


@router.put("/scenarios/current/hidden", responses={409: {"description": "no scenario started"}})
async def hide_scenario(who: InstructorDep, body: HiddenBody, control: ControlDep) -> dict[str, Any] | None:
    """Hide the current scenario's faults from students, or reveal them (the debriefing)."""
    try:
        return control.hide_scenario(body.hidden, actor=actor(who))
    except ValueError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
