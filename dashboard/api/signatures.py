"""The electronic signature in a request body (21 CFR Part 11 §11.50, §11.200).

An action the plant file marks (ending an exercise by default) carries
``{"signature": {"password": "…", "meaning": "approved"}}``: the signer is the logged-in user,
who types the password again (at the local console, ``"user"`` names the instructor who signs).
A wrong password is refused (401), audited as ``signature.failed``, and counts towards the
login lockout.
"""

from __future__ import annotations

from typing import Literal

from fastapi import HTTPException, Request, status
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from access import LoginRefused, Principal
from audit import Signature
from dashboard.services import Services


class SignatureBody(BaseModel):
    """The signer's password again, and what the signature means."""

    model_config = ConfigDict(extra="forbid")
    password: SecretStr = Field(description="the signer's password, typed again")
    meaning: Literal["reviewed", "approved", "performed"] = Field(description="what the signature means")
    user: str = Field(
        "", max_length=64, description="the signer: yourself (leave empty), or at the local console the instructor"
    )


def signature_of(request: Request, who: Principal, body: SignatureBody | None) -> Signature | None:
    """The signature of ``who``, or ``None`` when the body has none (the service decides if one is needed)."""
    if body is None:
        return None
    services: Services = request.app.state.services
    if services.gate is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "no users file in this process: nobody can sign")
    try:
        return services.gate.sign(who, body.password.get_secret_value(), body.meaning, body.user)
    except PermissionError as exc:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"signature refused: {exc}") from None
    except LoginRefused as exc:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, f"signature refused: {exc}") from None
