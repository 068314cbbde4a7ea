"""The electronic signature in a request body (21 CFR Part 11 §11.50, §11.200).

An action the plant file marks (ending an exercise by default) carries
``{"signature": {"password": "…", "meaning": "approved"}}``: the signer is the logged-in user,
who types the password again. A wrong password is refused (401), audited as
``signature.failed``, and counts towards the login lockout.
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
    password: SecretStr = Field(description="the logged-in user's password, typed again")
    meaning: Literal["reviewed", "approved", "performed"] = Field(description="what the signature means")


def signature_of(request: Request, who: Principal, body: SignatureBody | None) -> Signature | None:
    """The signature of ``who``, or ``None`` when the body has none (the service decides if one is needed)."""
    if body is None:
        return None
    services: Services = request.app.state.services
    if services.gate is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "no users file in this process: nobody can sign")
    if who.name == "local-console":
        raise HTTPException(status.HTTP_403_FORBIDDEN, "log in to sign: the local console is not a person")
    try:
        return services.gate.authenticator.sign(who, body.password.get_secret_value(), body.meaning)
    except LoginRefused as exc:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, f"signature refused: {exc}") from None
