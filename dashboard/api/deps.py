"""FastAPI dependencies as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from dashboard.api.state import ApiState


def get_state(request: Request) -> ApiState:
    state: ApiState = request.app.state.gmp
    return state


StateDep = Annotated[ApiState, Depends(get_state)]
