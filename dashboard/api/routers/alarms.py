"""``/api/alarms`` and ``/api/drift``: the live detectors' alarms and latest statistics.

Acknowledging here and on the dashboard's alarm page goes through the same in-process
service (:class:`analytics.monitoring.MonitoringService`), which writes the event to the historian.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, status
from pydantic import BaseModel, ConfigDict, Field

from analytics.monitoring import AlarmNotFoundError, AlarmStateError
from audit import audited
from dashboard.api.auth import InstructorDep, StudentDep, ViewerDep, actor
from dashboard.api.deps import MonitoringDep, ServicesDep

router = APIRouter(tags=["alarms"])


class AckBody(BaseModel):
    """Why (kept in the historian event and the audit trail); who is the logged-in user."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    comment: str = Field("", max_length=500, description="optional note (cause, action taken)")


@router.get("/alarms")
async def list_alarms(
    _who: ViewerDep, service: MonitoringDep, recent: Annotated[int, Query(ge=0, le=200)] = 50
) -> dict[str, Any]:
    """Annunciated alarms (active or unacknowledged, high priority first) and the latest transitions.

    Each alarm gives its ``state`` (``unack_active``, ``ack_active``, ``unack_rtn``), ``priority``,
    the ``rules`` that fired (with ``rule_texts``), the ``detector`` and the raise, clear and
    acknowledgement times.
    """
    return service.alarms(recent=recent)


@router.post(
    "/alarms/{alarm_id}/ack",
    responses={404: {"description": "unknown alarm id"}, 409: {"description": "nothing to acknowledge"}},
)
async def acknowledge(
    who: StudentDep,
    service: MonitoringDep,
    services: ServicesDep,
    body: AckBody,
    alarm_id: Annotated[str, Path(min_length=1, max_length=80)],
) -> dict[str, Any]:
    """Acknowledge an alarm as the logged-in user; the ``alarm_acknowledged`` event (user, comment)
    goes to the historian and the acknowledgement to the audit trail."""
    try:
        with audited(services.audit, actor(who), "alarm.ack", f"alarm:{alarm_id}", reason=body.comment):
            return service.acknowledge(alarm_id, who.name, body.comment)
    except AlarmNotFoundError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    except AlarmStateError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None


class ShelveBody(BaseModel):
    """How long to shelve (ISA-18.2: a shelved alarm is tracked but not annunciated) and why."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    duration_s: float = Field(gt=0, le=7 * 86400, allow_inf_nan=False, description="seconds, up to the configured max")
    comment: str = Field(min_length=1, max_length=500, description="why (required: shelving hides an alarm)")


class UnshelveBody(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    comment: str = Field("", max_length=500)


@router.post("/alarms/{alarm_id}/shelve", responses={404: {"description": "unknown alarm id"}})
async def shelve(
    who: InstructorDep,
    service: MonitoringDep,
    services: ServicesDep,
    body: ShelveBody,
    alarm_id: Annotated[str, Path(min_length=1, max_length=80)],
) -> dict[str, Any]:
    """Shelve an alarm for ``duration_s`` (instructors: shelving hides it from the students)."""
    try:
        with audited(
            services.audit, actor(who), "alarm.shelve", f"alarm:{alarm_id}", new=body.duration_s, reason=body.comment
        ):
            return service.shelve(alarm_id, who.name, body.duration_s, body.comment)
    except AlarmNotFoundError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    except ValueError as exc:  # AlarmError: duration beyond the configured maximum
        raise HTTPException(422, [{"type": "value_error", "loc": ["body", "duration_s"], "msg": str(exc)}]) from None


@router.post("/alarms/{alarm_id}/unshelve", responses={404: {"description": "unknown alarm id"}})
async def unshelve(
    who: InstructorDep,
    service: MonitoringDep,
    services: ServicesDep,
    body: UnshelveBody,
    alarm_id: Annotated[str, Path(min_length=1, max_length=80)],
) -> dict[str, Any]:
    """Unshelve an alarm; an active one is annunciated again."""
    try:
        with audited(services.audit, actor(who), "alarm.unshelve", f"alarm:{alarm_id}", reason=body.comment):
            return service.unshelve(alarm_id, who.name, body.comment)
    except AlarmNotFoundError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None


@router.get("/drift")
async def drift(_who: ViewerDep, service: MonitoringDep) -> list[dict[str, Any]]:
    """Every detector with its phase (warmup, reference, monitoring), parameters and latest point."""
    return service.drift_latest()


@router.get("/oee")
async def oee(_who: ViewerDep, service: MonitoringDep) -> list[dict[str, Any]]:
    """OEE of every machine that reports PackML states and counters (empty list if none)."""
    return service.oee_views()
