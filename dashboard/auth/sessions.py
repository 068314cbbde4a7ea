"""Server-side sessions behind a signed cookie.

The cookie holds only a random session id, signed with ``itsdangerous`` (so a forged or
altered cookie is rejected before any lookup) and time-stamped (so an old cookie expires
even if the server forgot to). The session itself, the :class:`access.Principal`, lives in
this process: logging out, disabling a user or restarting the server ends it.

Examples
--------
>>> from access import Principal
>>> store = SessionStore("k" * 32, max_age_s=60, clock=lambda: 1000.0)
>>> cookie = store.open(Principal("alice", "student"))
>>> store.principal(cookie).name
'alice'
>>> store.principal(cookie[:-2] + "xx") is None  # altered: refused
True
>>> _ = store.close(cookie); store.principal(cookie) is None
True
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import replace

from itsdangerous import BadSignature, URLSafeTimedSerializer

from access import Principal

COOKIE = "gmp_twin_session"


class SessionStore:
    """Sessions by id; the cookie value is the signed id.

    Parameters
    ----------
    secret : str
        Signing key (``GMP_TWIN_SESSION_SECRET``, or generated once into ``data/session-secret``).
    max_age_s : float
        How long a login lasts.
    clock : callable
        Wall time in seconds (injected in tests).
    """

    def __init__(self, secret: str, max_age_s: float = 12 * 3600, clock: Callable[[], float] = time.time) -> None:
        if len(secret) < 16:
            raise ValueError("the session secret must have at least 16 characters")
        self._serializer = URLSafeTimedSerializer(secret, salt="gmp-twin-session")
        self.max_age_s = max_age_s
        self._clock = clock
        self._sessions: dict[str, tuple[Principal, float]] = {}
        self._lock = threading.Lock()

    def open(self, principal: Principal) -> str:
        """A new session for ``principal``; returns the cookie value."""
        sid = secrets.token_urlsafe(24)
        with self._lock:
            self._sessions[sid] = (principal, self._clock() + self.max_age_s)
        return self._serializer.dumps(sid)

    def _sid(self, cookie: str) -> str | None:
        try:
            sid = self._serializer.loads(cookie, max_age=int(self.max_age_s))
        except BadSignature:  # also SignatureExpired
            return None
        return sid if isinstance(sid, str) else None

    def principal(self, cookie: str | None) -> Principal | None:
        """The session's principal; ``None`` for no, a forged, an expired or a closed session."""
        sid = self._sid(cookie) if cookie else None
        if sid is None:
            return None
        with self._lock:
            entry = self._sessions.get(sid)
            if entry is None:
                return None
            if entry[1] < self._clock():
                del self._sessions[sid]
                return None
            return entry[0]

    def update(self, cookie: str, **changes: object) -> None:
        """Change the session's principal (e.g. ``must_change_password=False`` after a change)."""
        sid = self._sid(cookie)
        with self._lock:
            if sid in self._sessions:
                principal, expires = self._sessions[sid]
                self._sessions[sid] = (replace(principal, **changes), expires)  # type: ignore[arg-type]

    def close(self, cookie: str | None) -> Principal | None:
        """End a session (logout); returns whose it was."""
        sid = self._sid(cookie) if cookie else None
        with self._lock:
            entry = self._sessions.pop(sid, None) if sid else None
        return entry[0] if entry else None

    def close_user(self, name: str) -> int:
        """End every session of ``name`` (disabled user, password changed); returns how many."""
        with self._lock:
            gone = [sid for sid, (p, _) in self._sessions.items() if p.name == name]
            for sid in gone:
                del self._sessions[sid]
        return len(gone)

    def __len__(self) -> int:
        return len(self._sessions)
