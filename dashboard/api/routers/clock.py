"""Simulation clock for instructors: speed (x N or max), pause/resume, single step, snapshots.

Reading the clock needs a viewer; changing it, or saving and restoring snapshots, needs the instructor
role (see dashboard.api.auth). Every change is recorded in the audit trail.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field

from audit import audited
from dashboard.api.auth import InstructorDep, ViewerDep, actor
from dashboard.api.deps import RuntimeDep, ServicesDep, get_control
from twin.runtime import TwinRuntime

router = APIRouter(tags=["clock"])
SNAPSHOT_DIR = Path("data/snapshots")
_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$"


class ClockUpdate(BaseModel):
    """Body of ``PUT /api/clock``: either field may be left out."""

    model_config = ConfigDict(extra="forbid")
    speed: Annotated[float, Field(gt=0, le=1_000_000)] | Literal["max"] | None = None
    paused: bool | None = None


class StepRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    steps: int = Field(1, ge=1, le=100_000)


class SnapshotRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=_NAME, description="file-safe name, e.g. before-fault-1")


def _saved() -> list[Path]:
    # A handful of small files in a local directory: reading it inline is fine.
    return sorted(SNAPSHOT_DIR.glob("*.json"))


def clock_state(runtime: TwinRuntime) -> dict[str, Any]:
    speed = runtime.clock.speed
    return {
        "sim_time_s": round(runtime.clock.sim_time_s, 3),
        "steps": runtime.steps,
        "dt_s": runtime.dt_s,
        "speed": "max" if math.isinf(speed) else speed,
        "paused": runtime.clock.paused,
    }


@router.get("/clock")
async def get_clock(_who: ViewerDep, services: ServicesDep) -> dict[str, Any]:
    runtime = services.clock_runtime()
    if runtime is None:  # a dashboard-only process: the twin's clock over OPC UA (or 503)
        return get_control(services).clock()
    return clock_state(runtime)


@router.put("/clock")
async def set_clock(who: InstructorDep, body: ClockUpdate, services: ServicesDep) -> dict[str, Any]:
    runtime = services.clock_runtime()
    if runtime is None:  # the twin sets it and records it, as this person via the dashboard
        speed = math.inf if body.speed == "max" else body.speed
        return get_control(services).set_clock(speed, body.paused, actor=actor(who))
    before = clock_state(runtime)
    old = {"speed": before["speed"], "paused": before["paused"]}
    with audited(services.audit, actor(who), "clock.set", "clock", old=old, new=body.model_dump(exclude_none=True)):
        _apply(body, runtime)
    return clock_state(runtime)


def _apply(body: ClockUpdate, runtime: TwinRuntime) -> None:
    if body.speed is not None:
        runtime.set_speed(math.inf if body.speed == "max" else float(body.speed))
    if body.paused is True:
        runtime.pause()
    elif body.paused is False:
        runtime.resume()


@router.post("/clock/step")
async def step_clock(
    who: InstructorDep, body: StepRequest, runtime: RuntimeDep, services: ServicesDep
) -> dict[str, Any]:
    if not runtime.clock.paused:
        raise HTTPException(status.HTTP_409_CONFLICT, 'pause the clock first (PUT /api/clock {"paused": true})')
    with audited(services.audit, actor(who), "clock.step", "clock", new={"steps": body.steps}):
        await runtime.single_step(body.steps)
    return clock_state(runtime)


@router.get("/snapshots")
async def list_snapshots(_who: InstructorDep, runtime: RuntimeDep) -> list[dict[str, Any]]:
    return [{"name": p.stem, "bytes": p.stat().st_size} for p in _saved()]


@router.post("/snapshots", status_code=status.HTTP_201_CREATED)
async def save_snapshot(
    who: InstructorDep, body: SnapshotRequest, runtime: RuntimeDep, services: ServicesDep
) -> dict[str, Any]:
    with audited(services.audit, actor(who), "snapshot.save", f"snapshot:{body.name}"):
        path = runtime.save_snapshot(SNAPSHOT_DIR / f"{body.name}.json")
    return {"name": body.name, "path": str(path), **clock_state(runtime)}


@router.post("/snapshots/{name}/restore")
async def restore_snapshot(who: InstructorDep, name: str, runtime: RuntimeDep, services: ServicesDep) -> dict[str, Any]:
    if not re.fullmatch(_NAME, name):
        raise HTTPException(422, f"bad snapshot name {name!r}")
    path = SNAPSHOT_DIR / f"{name}.json"
    if not path.exists():
        known = ", ".join(p.stem for p in _saved()) or "none"
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no snapshot {name!r}; saved snapshots: {known}")
    try:
        with audited(services.audit, actor(who), "snapshot.restore", f"snapshot:{name}", old=clock_state(runtime)):
            runtime.load_snapshot(path)
    except ValueError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    return {"name": name, **clock_state(runtime)}
