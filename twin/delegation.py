"""The dashboard acting for a logged-in person on the twin (the compose split), signed and audited.

In ``gmp-twin run`` the dashboard calls :class:`twin.faults.service.TwinControl` in-process. In
the compose split it is another process: it calls the twin's OPC UA method
``Twin/Service/Call(request)`` (:mod:`twin.opcua_methods`) over an encrypted, logged-in
session, with a *delegation request*: the operation, its arguments and the person it acts for,
signed with the deployment's session secret (``GMP_TWIN_SESSION_SECRET``, the key that already
signs the dashboard's login cookies, shared by the twin and the dashboard in docker-compose).

The twin checks, in this order:

1. the signature and its age (at most :data:`MAX_AGE_S` seconds), and that the request was
   not seen before (its nonce): a captured request cannot be played again;
2. for a change, the person in the twin's own users file: enabled, and the role the operation
   needs (:data:`OPERATIONS`) taken from the file, never from the request; a read (catalog,
   faults, scenarios, clock, the access policy, tag metadata, a writable tag's value) is served
   with the view the dashboard's own role check chose;
3. then :class:`TwinControl` does the change as that person, ``via`` ``http`` or ``dash``,
   with the client recorded as ``"<browser address> via dashboard <OPC UA session>"``: the
   audit trail names who acted and through which service.

Holding the session secret already lets a process sign any dashboard login cookie, so trusting
it here gives the dashboard no power it did not have.

Examples
--------
>>> request = sign_request("secret-0123456789", "clock", {})
>>> verifier = DelegationVerifier("secret-0123456789", users=None)
>>> verifier.open(request).op
'clock'
>>> verifier.open(request)
Traceback (most recent call last):
...
PermissionError: delegation request refused: already used (a replay)
>>> other = DelegationVerifier("another-secret-000000", users=None)
>>> try:
...     other.open(sign_request("secret-0123456789", "clock", {}))
... except PermissionError as exc:
...     print(str(exc)[:53])
delegation request refused: bad signature (the twin a
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from pydantic import TypeAdapter

from access import UserStore
from access.roles import at_least
from audit import Actor, Signature
from audit.record import Via
from models.unit import TagSpec
from twin.access_policy import AccessPolicy

log = logging.getLogger(__name__)

#: Oldest request accepted, seconds (the two processes' clocks may differ a little).
MAX_AGE_S = 60
_SALT = "gmp-twin.opcua.delegation"
_VIAS: tuple[Via, ...] = ("http", "dash")

#: The wire form of the access policy and of the units' tag metadata (JSON both ways; pydantic
#: turns lists back into tuples and frozensets, string keys of ``states`` back into ints).
POLICY_WIRE: TypeAdapter[AccessPolicy] = TypeAdapter(AccessPolicy)
SPECS_WIRE: TypeAdapter[dict[str, list[TagSpec]]] = TypeAdapter(dict[str, list[TagSpec]])

#: Operation -> role it needs (``None``: a read the dashboard serves to anyone it lets in).
OPERATIONS: dict[str, str | None] = {
    "catalog": None,
    "faults": None,
    "scenario_state": None,
    "clock": None,
    "scenarios": None,
    "policy": None,
    "tag_specs": None,
    "read_setting": None,
    "inject": "instructor",
    "clear": "instructor",
    "clear_all": "instructor",
    "start_scenario": "instructor",
    "stop_scenario": "instructor",
    "hide_scenario": "instructor",
    "set_clock": "instructor",
    "write_tag": "student",
    # the exercise: reads as the dashboard's role check chose; a report's team is the users file's
    "reports": None,
    "hints": None,
    "exercise_state": None,
    "report_deviation": "student",
    "open_hint": "student",
    "push_hint": "instructor",
    "end_exercise": "instructor",
}


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=_SALT)


def sign_request(secret: str, op: str, args: dict[str, Any], actor: Actor | None = None) -> str:
    """A signed delegation request: ``op`` with ``args`` for ``actor`` (None for a read)."""
    body = {
        "op": op,
        "args": args,
        "actor": None if actor is None else {"user": actor.user, "via": actor.via, "client": actor.client},
        "nonce": secrets.token_urlsafe(12),
    }
    # A JSON string inside the token: floats such as inf survive (json allows them both ways).
    return _serializer(secret).dumps(json.dumps(body, default=str))


@dataclass(frozen=True)
class Delegated:
    """An opened request: the operation, its arguments, and who it is for (as the dashboard says)."""

    op: str
    args: dict[str, Any]
    user: str | None
    via: Via
    client: str


class DelegationVerifier:
    """Opens delegation requests on the twin and names the person they act for.

    Parameters
    ----------
    secret : str
        The session secret shared with the dashboard.
    users : UserStore or None
        The twin's users file: the acting person's role comes from it (None: nobody may change anything).
    clock : callable
        Wall-clock seconds (tests inject one).
    """

    def __init__(self, secret: str, users: UserStore | None, clock: Callable[[], float] = time.time) -> None:
        self._serializer = _serializer(secret)
        self.users = users
        self._clock = clock
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def open(self, token: str) -> Delegated:
        """Check the signature, the age and the nonce; ``PermissionError`` names what failed."""
        try:
            text = self._serializer.loads(token, max_age=MAX_AGE_S)
        except SignatureExpired:
            raise PermissionError(f"delegation request refused: older than {MAX_AGE_S} s") from None
        except BadSignature:
            raise PermissionError(
                "delegation request refused: bad signature (the twin and the dashboard need the same "
                "GMP_TWIN_SESSION_SECRET)"
            ) from None
        body = json.loads(text)
        self._once(str(body.get("nonce", "")))
        op = str(body.get("op", ""))
        if op not in OPERATIONS:
            raise ValueError(f"unknown operation {op!r}; operations: {', '.join(OPERATIONS)}")
        who = body.get("actor") or {}
        via = who.get("via") if who.get("via") in _VIAS else "http"
        return Delegated(op, dict(body.get("args") or {}), who.get("user"), cast(Via, via), str(who.get("client", "")))

    def _once(self, nonce: str) -> None:
        now = self._clock()
        with self._lock:
            for old, seen_at in list(self._seen.items()):
                if now - seen_at > MAX_AGE_S:
                    del self._seen[old]
            if not nonce or nonce in self._seen:
                raise PermissionError("delegation request refused: already used (a replay)")
            self._seen[nonce] = now

    def team(self, request: Delegated) -> str:
        """The acting person's team, from the twin's users file (``""``: in no team or unknown)."""
        entry = self.users.get(request.user) if self.users is not None and request.user else None
        return entry.team if entry is not None else ""

    def actor(self, request: Delegated, session: str) -> Actor:
        """The audit actor of a change: the person as the twin's users file knows them, "via dashboard".

        ``PermissionError`` when the person is unknown, disabled or below the operation's role.
        """
        needed = OPERATIONS[request.op]
        entry = self.users.get(request.user) if self.users is not None and request.user else None
        if entry is None or entry.disabled:
            raise PermissionError(f"{request.op}: {request.user!r} is not an enabled user of the twin's users file")
        actor = Actor(entry.name, entry.role, request.via, f"{request.client} via dashboard {session}".strip())
        if needed is not None and not at_least(entry.role, needed):
            raise PermissionError(f"{entry.name} ({entry.role}) may not {request.op}: it needs {needed}")
        return actor


def signature_from(data: Any) -> Signature | None:
    """The electronic signature the dashboard checked (its password step), or None."""
    return Signature.from_dict(data) if isinstance(data, dict) else None


__all__ = [
    "MAX_AGE_S",
    "OPERATIONS",
    "POLICY_WIRE",
    "SPECS_WIRE",
    "Delegated",
    "DelegationVerifier",
    "sign_request",
    "signature_from",
]
