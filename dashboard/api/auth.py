"""Who may call a route: every route declares exactly one access level, enforced here.

A route names its level with one of the ``Annotated`` dependencies below (``ViewerDep``,
``StudentDep``, ``InstructorDep``, ``AdminDep``, ``PublicDep``), which also hand it the caller's
:class:`access.Principal` (for the audit trail). The level is checked server-side on every call
by :class:`Requires`; a refusal is audited by the :class:`dashboard.auth.gate.Gate` and answers
401 (not logged in) or 403 (logged in, role too low), naming the level needed.

``tests/dashboard/test_role_matrix.py`` reads the levels back from the routes (:func:`route_level`)
and fails on a route without one; the README's role × action matrix is checked against them.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from fastapi.routing import APIRoute

from access import Principal
from audit import Actor
from dashboard.auth.gate import Gate, Level, allowed
from dashboard.auth.sessions import COOKIE
from dashboard.services import Services


def gate_of(request: Request) -> Gate | None:
    services: Services = request.app.state.services
    return services.gate


def request_principal(request: Request) -> Principal:
    """The caller of this request (resolved once per request)."""
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    gate = gate_of(request)
    host = request.client.host if request.client else ""
    port = request.client.port if request.client else None
    if gate is None:
        # No users configured in this process (an API built bare, in tests): read-only visitors.
        principal = Principal("anonymous", "anonymous", via="http", client=host)
    else:
        principal = gate.principal(
            cookie=request.cookies.get(COOKIE),
            authorization=request.headers.get("authorization"),
            host=host,
            port=port,
        )
    request.state.principal = principal
    return principal


class Requires:
    """FastAPI dependency: the caller must reach ``level``; returns the :class:`Principal`."""

    def __init__(self, level: Level) -> None:
        self.level = level

    def __call__(self, request: Request) -> Principal:
        principal = request_principal(request)
        gate = gate_of(request)
        ok = gate.allows(self.level, principal) if gate else allowed(self.level, principal, anonymous_view=True)
        if ok:
            return principal
        what = f"{request.method} {request.url.path}"
        if gate is not None:
            gate.deny(principal, what, self.level)
        if principal.role == "anonymous":
            hint = "log in at /login, or send 'Authorization: Bearer <token>' (`gmp-twin users token NAME`)"
            if principal.name == "invalid-token":
                hint = (
                    "the API token is unknown, revoked or its user disabled; make one with `gmp-twin users token NAME`"
                )
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                f"{what} needs a {self.level} login: {hint}",
                {"WWW-Authenticate": "Bearer"},
            )
        if principal.must_change_password:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "change your one-time password first at /account/password")
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"{what} needs the {self.level} role; {principal.name} is {principal.role}"
        )


def requires(level: Level) -> Any:
    return Depends(Requires(level))


PublicDep = Annotated[Principal, requires("public")]
AccountDep = Annotated[Principal, requires("account")]
ViewerDep = Annotated[Principal, requires("viewer")]
StudentDep = Annotated[Principal, requires("student")]
InstructorDep = Annotated[Principal, requires("instructor")]
AdminDep = Annotated[Principal, requires("admin")]


def actor(principal: Principal) -> Actor:
    """The audit actor of an HTTP caller (``local-console`` keeps its own channel)."""
    return principal.actor("local-console" if principal.via == "local-console" else "http")


def route_level(route: APIRoute) -> list[str]:
    """The access levels a route declares (exactly one for a well-formed route)."""
    found: list[str] = []
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        if isinstance(dep.call, Requires):
            found.append(dep.call.level)
        stack.extend(dep.dependencies)
    return found
