"""Who may drive the plant: instructor actions need the instructor bearer token.

Until the full control plane (logins, roles, audit trail) exists, instructor endpoints are
protected by one secret, ``GMP_TWIN_INSTRUCTOR_TOKEN``. Without it they are disabled, so a
classroom install never exposes pause, speed or snapshot controls to students by default.
"""

from __future__ import annotations

import hmac
import os
from typing import Annotated

from fastapi import Depends, Header, HTTPException, status

from twin.faults.service import Role

TOKEN_ENV = "GMP_TWIN_INSTRUCTOR_TOKEN"


def require_instructor(authorization: Annotated[str | None, Header()] = None) -> str:
    """FastAPI dependency: 403 unless ``Authorization: Bearer <instructor token>``."""
    expected = os.environ.get(TOKEN_ENV, "")
    if not expected:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"instructor controls are disabled: start gmp-twin with {TOKEN_ENV} set to a secret "
            "and send it as 'Authorization: Bearer <token>'",
        )
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "instructor token missing or wrong: send 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return "instructor"


InstructorDep = Annotated[str, Depends(require_instructor)]


def viewer_role(authorization: Annotated[str | None, Header()] = None) -> Role:
    """``instructor`` with the instructor token, ``student`` without any; a wrong token is refused.

    A wrong token is a 401 rather than a silent student view, so an instructor's typo does not
    look like "no hidden faults".
    """
    if authorization is None:
        return "student"
    require_instructor(authorization)
    return "instructor"


RoleDep = Annotated[Role, Depends(viewer_role)]
