"""Failed-login throttling: lock a user name, and a client address, after repeated failures.

Two counters guard every login: one per user name (guessing one person's password from many
machines) and one per client *host* (trying many names from one machine). The client's port
is not part of the key: a browser opens a new connection, with a new port, for each try.
The per-host limit is higher than the per-name one by default, because a classroom behind
one reverse proxy or NAT shares an address.

Examples
--------
A fake clock instead of sleeping:

>>> now = [0.0]
>>> guard = LoginGuard(max_failures=3, window_s=60, lockout_s=300, clock=lambda: now[0])
>>> [guard.failed("alice", "10.0.0.7:50001") for _ in range(3)]
[False, False, True]
>>> guard.locked("alice", "10.0.0.9:41000")
300.0
>>> now[0] = 299.0
>>> guard.locked("alice", "10.0.0.9:41000")
1.0
>>> now[0] = 300.0
>>> guard.locked("alice", "10.0.0.9:41000")
0.0
>>> client_host("opc.tcp 127.0.0.1:50122 session ns=1;i=12"), client_host("[::1]:8050")
('127.0.0.1', '::1')
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

#: Above this many tracked keys, stale ones are dropped (random names must not fill memory).
_PRUNE_ABOVE = 10_000


def client_host(client: str) -> str:
    """The host part of an audit client string (``"127.0.0.1:53422"``, ``"opc.tcp host:port ..."``)."""
    words = client.split()
    if not words:
        return ""
    address = words[1] if words[0] == "opc.tcp" and len(words) > 1 else words[0]
    if address.startswith("["):  # [IPv6]:port
        return address[1:].split("]", 1)[0]
    if address.count(":") == 1:
        return address.rsplit(":", 1)[0]
    return address  # bare host or bare IPv6


@dataclass
class _Counter:
    failures: deque[float] = field(default_factory=deque)
    locked_until: float = 0.0


class LoginGuard:
    """Failed-login counters per user name and per client host, in memory and thread-safe.

    Parameters
    ----------
    max_failures : int
        Failures of one user name within ``window_s`` that lock it for ``lockout_s``.
    window_s : float
        Sliding window over which failures count, seconds.
    lockout_s : float
        How long a lock lasts, seconds. A lock is not extended by tries made while locked.
    clock : callable
        Monotonic seconds; tests pass a fake one.
    max_client_failures : int, optional
        Failures from one client host that lock it; default four times ``max_failures``.
    """

    def __init__(
        self,
        max_failures: int = 5,
        window_s: float = 900,
        lockout_s: float = 900,
        clock: Callable[[], float] = time.monotonic,
        *,
        max_client_failures: int | None = None,
    ) -> None:
        if max_failures < 1 or window_s <= 0 or lockout_s <= 0:
            raise ValueError("max_failures must be >= 1 and window_s, lockout_s > 0")
        self.max_failures = max_failures
        self.window_s = window_s
        self.lockout_s = lockout_s
        self.clock = clock
        self.max_client_failures = max_client_failures or 4 * max_failures
        self._counters: dict[tuple[str, str], _Counter] = {}
        self._lock = threading.Lock()

    def _keys(self, name: str, client: str) -> list[tuple[tuple[str, str], int]]:
        keys = [(("user", name.lower()), self.max_failures)]
        host = client_host(client)
        if host:
            keys.append((("client", host), self.max_client_failures))
        return keys

    def locked(self, name: str, client: str) -> float:
        """Seconds left of a lockout of ``name`` or of ``client``'s host; 0.0 if neither is locked."""
        now = self.clock()
        with self._lock:
            left = [c.locked_until - now for key, _ in self._keys(name, client) if (c := self._counters.get(key))]
        return max([0.0, *left])

    def failed(self, name: str, client: str) -> bool:
        """Record a failed login; return True when this failure just locked the name or the host."""
        now = self.clock()
        just_locked = False
        with self._lock:
            if len(self._counters) > _PRUNE_ABOVE:
                self._prune(now)
            for key, limit in self._keys(name, client):
                counter = self._counters.setdefault(key, _Counter())
                if counter.locked_until > now:
                    continue  # already locked: a try while locked does not extend the lock
                counter.failures.append(now)
                while counter.failures and counter.failures[0] <= now - self.window_s:
                    counter.failures.popleft()
                if len(counter.failures) >= limit:
                    counter.locked_until = now + self.lockout_s
                    counter.failures.clear()
                    just_locked = True
        return just_locked

    def succeeded(self, name: str, client: str) -> None:
        """Forget the failures of ``name`` (not of the host: one valid account must not reset it)."""
        with self._lock:
            counter = self._counters.get(("user", name.lower()))
            if counter is not None and counter.locked_until <= self.clock():
                del self._counters[("user", name.lower())]

    def _prune(self, now: float) -> None:
        stale = [
            key
            for key, c in self._counters.items()
            if c.locked_until <= now and (not c.failures or c.failures[-1] <= now - self.window_s)
        ]
        for key in stale:
            del self._counters[key]
