"""Roles and the authenticated principal every request, session and CLI run carries.

Three roles rank one above the other: a ``student`` operates the plant, an ``instructor``
also injects faults and runs scenarios, an ``admin`` also manages people. ``anonymous`` is
below them all (read-only viewing, when the deployment allows it).

Examples
--------
>>> at_least("admin", "instructor"), at_least("student", "instructor")
(True, False)
>>> alice = Principal("alice", "instructor", "Alice Martin", via="http", client="127.0.0.1:53422")
>>> alice.may("student"), alice.may("admin")
(True, False)
>>> alice.actor().user, alice.actor(via="dash").via
('alice', 'dash')
>>> ANONYMOUS.may("student")
False
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from audit.record import Actor, Via

Role = Literal["student", "instructor", "admin"]
#: The roles a user of the users file can have, lowest first.
ROLES: tuple[str, ...] = get_args(Role)
#: Rank of each role; a higher rank can do everything a lower one can.
RANKS: dict[str, int] = {"anonymous": 0, "student": 1, "instructor": 2, "admin": 3}


def at_least(role: str, needed: str) -> bool:
    """Whether ``role`` ranks at least as high as ``needed``.

    Parameters
    ----------
    role : str
        The role held (an unknown role ranks below ``anonymous``).
    needed : str
        The role an action requires; must be one of :data:`RANKS`.

    Raises
    ------
    ValueError
        ``needed`` is not a known role (a typo in a route's declaration must not grant access).
    """
    if needed not in RANKS:
        raise ValueError(f"unknown role {needed!r}; roles: {', '.join(RANKS)}")
    return RANKS.get(role, -1) >= RANKS[needed]


@dataclass(frozen=True)
class Principal:
    """Who is acting: a logged-in user, ``anonymous`` or the ``local-console``.

    Attributes
    ----------
    name : str
        User name, ``"anonymous"`` or ``"local-console"``.
    role : str
        ``"anonymous"`` or one of :data:`ROLES`.
    display_name : str
        Printed name (signatures, the audit page); may be empty.
    via : str
        Channel of the session: ``"http"``, ``"dash"``, ``"opcua"``, ``"cli"``...
    client : str
        Client address or OPC UA session, as recorded in the audit trail.
    must_change_password : bool
        The user logged in with a one-time password and must choose a new one first.
    team : str
        The user's team in exercises (the users file's ``team``); empty: in no team.
    """

    name: str
    role: str
    display_name: str = ""
    via: Via = "http"
    client: str = ""
    must_change_password: bool = False
    team: str = ""

    def actor(self, via: Via | None = None) -> Actor:
        """The audit-trail actor of this principal (``via`` overrides the session's channel)."""
        return Actor(self.name, self.role, via or self.via, self.client)

    def may(self, needed: str) -> bool:
        """Whether this principal's role is at least ``needed``."""
        return at_least(self.role, needed)


#: The principal of a request with no session, when anonymous viewing is allowed.
ANONYMOUS = Principal("anonymous", "anonymous")
