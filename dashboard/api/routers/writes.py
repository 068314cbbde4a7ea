"""``PUT /api/units/{unit}/tags/{tag}``: an operator write (setpoint, mode, output) as the logged-in user.

The same rules as an OPC UA write, from the plant file (:mod:`twin.access_policy`): a student
writes the operator-writable tags, an instructor every writable tag; a GMP-critical tag needs
a ``reason``. Accepted or refused, the write is in the audit trail with the old and new value.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, status
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from dashboard.api.auth import StudentDep, actor
from dashboard.api.deps import ControlDep

router = APIRouter(tags=["writes"])


class WriteBody(BaseModel):
    """The new value, and why (required for GMP-critical tags)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    value: float = Field(allow_inf_nan=False, description="in the tag's engineering unit")
    reason: str = Field("", max_length=500, description="why: required for tags the plant file marks GMP-critical")


@router.put(
    "/units/{unit}/tags/{tag}",
    responses={
        403: {"description": "your role may not write this tag, or a reason is missing"},
        404: {"description": "unknown unit or tag"},
        422: {"description": "value out of range"},
    },
)
async def write_tag(
    who: StudentDep,
    body: WriteBody,
    control: ControlDep,
    unit: Annotated[str, PathParam(min_length=1, max_length=40)],
    tag: Annotated[str, PathParam(min_length=1, max_length=80)],
) -> dict[str, Any]:
    """Write ``value`` to ``unit.tag``; returns the old and new value."""
    try:
        return control.write_tag(unit, tag, body.value, actor=actor(who), reason=body.reason)
    except PermissionError as exc:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(exc)) from None
    except KeyError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc.args[0] if exc.args else exc)) from None
    except ValueError as exc:
        raise HTTPException(422, [{"type": "value_error", "loc": ["body", "value"], "msg": str(exc)}]) from None
