"""``/api/faults``: the fault catalog, the active faults by role, and instructor injection.

Every call goes through the process's :class:`twin.faults.service.TwinControl`
(``Services.control``, as ``ControlDep``), the same layer as the dashboard's instructor console.
Reading the faults needs a login (or anonymous viewing); below the instructor role a caller gets
the student view: hidden faults (an escape game's) and instructors' notes are left out. Injecting
and clearing need the instructor role (see :mod:`dashboard.api.auth`).

The body of ``POST /api/faults`` is a fault of :mod:`twin.faults.catalog` plus an optional
``hidden`` flag. Its shape (kind, target field, magnitude type) is checked by FastAPI against
the documented union; whether the target exists on this plant and the magnitude is physical is
checked by the service. Both answer 422 with the field and the valid options.
"""

from __future__ import annotations

from typing import Annotated, Any, Union

from fastapi import APIRouter, HTTPException, Query, status
from fastapi import Path as PathParam
from pydantic import Field, RootModel, create_model, model_validator

from dashboard.api.auth import InstructorDep, ViewerDep, actor
from dashboard.api.deps import ControlDep
from dashboard.services import PlantControl
from twin.faults.catalog import FAULT_TYPES, FaultBase

router = APIRouter(tags=["faults"])


# -- the body of POST /api/faults -------------------------------------------------------------
def _request_model(cls: type[FaultBase]) -> type[FaultBase]:
    # Each kind plus `hidden`, so the body stays one flat fault object and OpenAPI shows the union.
    return create_model(
        f"{cls.__name__}Request",
        __base__=cls,
        __doc__=f"A ``{cls.kind_name()}`` fault to inject; magnitude: {cls.magnitude_help}.",
        hidden=(bool, Field(False, description="keep the fault out of student views (escape game)")),
    )


_REQUEST_TYPES = tuple(_request_model(cls) for cls in FAULT_TYPES.values())


class FaultRequest(RootModel[Any]):
    """A fault of the catalog (``kind`` picks the shape) and ``hidden``."""

    root: Annotated[Union[_REQUEST_TYPES], Field(discriminator="kind")]  # type: ignore[valid-type]  # noqa: UP007

    @model_validator(mode="before")
    @classmethod
    def _known_kind(cls, data: Any) -> Any:
        # pydantic's own message for a bad or missing discriminator does not list the kinds.
        if isinstance(data, dict) and data.get("kind") not in FAULT_TYPES:
            raise ValueError(f"unknown fault kind {data.get('kind')!r}; valid kinds: {', '.join(sorted(FAULT_TYPES))}")
        return data

    @property
    def spec(self) -> FaultBase:
        """The validated fault (one of the ``<Kind>Request`` models)."""
        spec: FaultBase = self.root
        return spec

    def fault(self) -> dict[str, Any]:
        """The fault as plain data for :meth:`TwinControl.inject` (without ``hidden``)."""
        return self.spec.model_dump(mode="json", exclude={"hidden"}, exclude_none=True)

    @property
    def hidden(self) -> bool:
        return bool(getattr(self.spec, "hidden", False))


def _plant_error(body: FaultRequest, control: PlantControl, message: str) -> HTTPException:
    """A 422 in FastAPI's error shape, located on the field the plant check refused."""
    target = body.spec.target
    if target.unit not in control.catalog()["units"]:
        loc = ["body", "target", "unit"]
    elif "magnitude" in message or "deadband" in message:
        loc = ["body", "magnitude"]
    else:
        named = body.spec.needs or ("machine" if target.machine else "parameter")
        loc = ["body", "target", named]
    return HTTPException(422, [{"type": "value_error", "loc": loc, "msg": message}])


# -- routes -----------------------------------------------------------------------------------
@router.get("/faults/catalog")
async def catalog(_who: ViewerDep, control: ControlDep) -> dict[str, Any]:
    """Fault kinds (family, target field needed, magnitude meaning) and every unit's targets.

    Public: it describes what can be injected, never what is.
    """
    return control.catalog()


@router.get("/faults")
async def list_faults(
    who: ViewerDep,
    control: ControlDep,
    live_only: Annotated[bool, Query(description="pending and active only")] = False,
) -> list[dict[str, Any]]:
    """Faults of this run, oldest first; below the instructor role hidden faults are left out."""
    return control.faults("instructor" if who.may("instructor") else "student", live_only=live_only)


@router.post(
    "/faults",
    status_code=status.HTTP_201_CREATED,
    responses={409: {"description": "a live fault has this id"}, 422: {"description": "invalid fault"}},
)
async def inject(who: InstructorDep, body: FaultRequest, control: ControlDep) -> dict[str, Any]:
    """Inject a fault now (its ``start_s`` counts from now, in simulated seconds)."""
    fid = body.spec.id
    if fid is not None and any(f["id"] == fid for f in control.faults("instructor", live_only=True)):
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"a fault with id {fid!r} is already active; clear it first or choose another id"
        )
    try:
        return control.inject(body.fault(), hidden=body.hidden, actor=actor(who))
    except ValueError as exc:
        raise _plant_error(body, control, str(exc)) from None


@router.delete("/faults/{fault_id}", responses={404: {"description": "unknown fault id"}})
async def clear(
    who: InstructorDep, control: ControlDep, fault_id: Annotated[str, PathParam(min_length=1, max_length=60)]
) -> dict[str, Any]:
    """End a fault now and restore nominal behaviour (a fault already over is returned as is)."""
    try:
        return control.clear(fault_id, actor=actor(who))
    except KeyError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc.args[0])) from None


@router.delete("/faults")
async def clear_all(who: InstructorDep, control: ControlDep) -> dict[str, list[str]]:
    """Clear every pending or active fault, scenario faults included."""
    return {"cleared": control.clear_all(actor=actor(who))}
