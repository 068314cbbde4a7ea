"""``/api/session``: log in, see who you are, log out (the JSON twin of the ``/login`` page).

A login sets the signed, ``HttpOnly``, ``SameSite=Lax`` session cookie (``Secure`` over HTTPS).
A wrong user name or password gets one answer for both (401), and repeated failures lock the
account and the client address for a while (429); every attempt is in the audit trail.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from access import LoginRefused, Principal
from dashboard.api.auth import AccountDep, PublicDep, gate_of
from dashboard.auth.gate import Gate
from dashboard.auth.sessions import COOKIE

router = APIRouter(tags=["session"])


class LoginBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: SecretStr = Field(min_length=1, max_length=1024)


class PasswordBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    old_password: SecretStr = Field(min_length=1, max_length=1024)
    new_password: SecretStr = Field(min_length=1, max_length=1024)


def whoami(principal: Principal) -> dict[str, Any]:
    return {
        "user": principal.name,
        "role": principal.role,
        "display_name": principal.display_name,
        "must_change_password": principal.must_change_password,
        "via": principal.via,
    }


def set_cookie(response: Response, request: Request, cookie: str, max_age_s: int) -> None:
    """The session cookie: signed, HttpOnly, SameSite=Lax, Secure when the request came over HTTPS."""
    response.set_cookie(
        COOKIE,
        cookie,
        max_age=max_age_s,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def _gate(request: Request) -> Gate:
    gate = gate_of(request)
    if gate is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "logins are off in this process (no users file)")
    return gate


def login_status(exc: LoginRefused) -> int:
    return status.HTTP_429_TOO_MANY_REQUESTS if exc.retry_after_s > 0 else status.HTTP_401_UNAUTHORIZED


@router.post("/session", responses={401: {"description": "wrong user or password"}, 429: {"description": "locked"}})
async def login(_who: PublicDep, body: LoginBody, request: Request, response: Response) -> dict[str, Any]:
    """Log in with a user name and password; sets the session cookie."""
    gate = _gate(request)
    host = request.client.host if request.client else ""
    port = request.client.port if request.client else None
    try:
        principal, cookie = gate.login(body.username, body.password.get_secret_value(), host, port)
    except LoginRefused as exc:
        raise HTTPException(login_status(exc), str(exc)) from None
    set_cookie(response, request, cookie, int(gate.sessions.max_age_s))
    return whoami(principal)


@router.get("/session")
async def current(who: PublicDep) -> dict[str, Any]:
    """Who this request is: the logged-in user, the token's user, ``local-console`` or ``anonymous``."""
    return whoami(who)


@router.delete("/session")
async def logout(_who: PublicDep, request: Request, response: Response) -> dict[str, Any]:
    """Log out: the session ends on the server and the cookie is removed."""
    gate = gate_of(request)
    principal = gate.logout(request.cookies.get(COOKIE)) if gate else None
    response.delete_cookie(COOKIE, path="/")
    return {"logged_out": principal.name if principal else None}


@router.put("/session/password", responses={401: {"description": "old password wrong"}})
async def change_password(who: AccountDep, body: PasswordBody, request: Request, response: Response) -> dict[str, Any]:
    """Change your password (required after a one-time password); your other sessions end."""
    gate = _gate(request)
    try:
        cookie = gate.change_password(who, body.old_password.get_secret_value(), body.new_password.get_secret_value())
    except LoginRefused as exc:
        raise HTTPException(login_status(exc), str(exc)) from None
    except ValueError as exc:  # too weak
        raise HTTPException(422, [{"type": "value_error", "loc": ["body", "new_password"], "msg": str(exc)}]) from None
    set_cookie(response, request, cookie, int(gate.sessions.max_age_s))
    return {"changed": True, **whoami(gate.sessions.principal(cookie) or who)}
