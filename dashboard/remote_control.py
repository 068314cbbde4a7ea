"""The twin of another process, driven over its OPC UA methods: the compose split's instructor functions.

A dashboard-only process (``gmp-twin dashboard``, docker-compose) has no simulation of its own.
:class:`RemoteControl` offers the same calls as :class:`twin.faults.service.TwinControl` (the
:class:`dashboard.services.PlantControl` protocol), so ``/api/faults``, ``/api/scenarios``,
``/api/clock`` and ``/api/writes`` answer as they do in ``gmp-twin run``. Each call is one
``Twin/Service/Call`` of the twin's OPC UA server:

- over Basic256Sha256 SignAndEncrypt (unless ``insecure``), with the dashboard's own
  application certificate from the PKI folder (``own/certs/dashboard.der``, generated once; a
  PKI folder shared with the twin, as in docker-compose, is trusted with no step);
- in a session logged in with a users-file account (``GMP_TWIN_OPCUA_USERNAME``/``_PASSWORD``,
  the bridge's in docker-compose);
- carrying a request signed with the shared session secret that names the person acting
  (:mod:`twin.delegation`): the twin checks that person in its users file and records the change
  as them, "via dashboard".

The asyncua client runs on its own thread and event loop (asyncua's ``ThreadLoop``), so a call
works from the API's event loop and from Dash's worker threads alike; it blocks the caller for
one round trip. The twin's answer comes back as the exception ``TwinControl`` raised there
(``ValueError``, ``KeyError``, ``PermissionError``, ``AuditUnavailable``, ``ConfigError``); a
twin that cannot be reached is :class:`TwinUnreachable` (the API answers 503). After a failed
connection, calls fail at once for ``retry_after_s`` instead of waiting for the network again.
"""

from __future__ import annotations

import copy
import json
import logging
import math
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar, cast

from asyncua import Client, ua
from asyncua.sync import ThreadLoop

from audit import Actor, AuditUnavailable, Signature
from config_schema.files import ConfigError
from config_schema.tagmap import TagMapSecurity
from models.unit import TagSpec
from pki import Pki
from plc_bridge.connection import describe, open_client
from twin.access_policy import AccessPolicy
from twin.delegation import POLICY_WIRE, SPECS_WIRE, sign_request
from twin.exercises.errors import ExerciseClosed
from twin.faults.service import SYSTEM, Role
from twin.opcua_methods import PARENT_NAME, SERVICE
from twin.opcua_server import NAMESPACE_URI

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Exceptions the twin's answer may carry, by name (anything else becomes a RuntimeError).
_ERRORS: dict[str, type[Exception]] = {
    "ValueError": ValueError,
    "KeyError": KeyError,
    "PermissionError": PermissionError,
    "AuditUnavailable": AuditUnavailable,
    "ConfigError": ConfigError,
    "ExerciseClosed": ExerciseClosed,
}


class TwinUnreachable(ConnectionError):
    """The twin's OPC UA server cannot be reached or refused the dashboard's session."""


class RemoteControl:
    """:class:`dashboard.services.PlantControl` over the twin's ``Twin/Service/Call`` method.

    Parameters
    ----------
    endpoint : str
        The twin's OPC UA endpoint, e.g. ``opc.tcp://twin:4840``.
    secret : str
        The session secret the twin shares (``GMP_TWIN_SESSION_SECRET``).
    pki : Pki, optional
        The dashboard's PKI folder (its certificate, the server certificates it trusts).
    credentials : (user, password), optional
        The users-file account the session logs in with (anonymous sessions may not call methods).
    insecure : bool
        Security policy None (a twin on loopback or an isolated lab network only).
    timeout_s : float
        Longest wait for one call (and for connecting).
    retry_after_s : float
        After a failed connection, calls fail at once for this long.
    static_ttl_s : float
        How long the plant's fixed facts (fault catalog, access policy, tag metadata) are kept
        before asking again: the console's form asks for them at every choice, and they change
        only when the twin restarts on another plant file.
    """

    def __init__(
        self,
        endpoint: str,
        secret: str,
        *,
        pki: Pki | None = None,
        credentials: tuple[str, str] | None = None,
        insecure: bool = False,
        timeout_s: float = 10.0,
        retry_after_s: float = 3.0,
        static_ttl_s: float = 30.0,
    ) -> None:
        self.endpoint = endpoint
        self._secret = secret
        self.pki = pki
        self.credentials = credentials
        self.insecure = insecure
        self.timeout_s = timeout_s
        self.retry_after_s = retry_after_s
        self.static_ttl_s = static_ttl_s
        self._static: dict[str, tuple[float, Any]] = {}
        self._thread: ThreadLoop | None = None
        self._client: Client | None = None
        self._method: tuple[ua.NodeId, ua.NodeId] | None = None
        self._failed_at = -math.inf
        self._last_error = ""
        self._lock = threading.Lock()
        self.calls = 0

    # -- lifecycle --------------------------------------------------------------------------
    def __enter__(self) -> RemoteControl:
        self.start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def start(self) -> None:
        """Start the client's thread (connecting waits for the first call)."""
        if self._thread is None:
            self._thread = ThreadLoop(timeout=self.timeout_s * 3)
            self._thread.daemon = True
            self._thread.start()

    def close(self) -> None:
        """Close the session and stop the thread."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        if self._client is not None:
            try:
                thread.post(self._disconnect())
            except Exception:  # closing a dead connection: nothing left to do
                log.debug("closing the twin's OPC UA session failed", exc_info=True)
        thread.stop()

    def health(self) -> dict[str, Any]:
        """For ``GET /api/health``: connected or not, and the last error."""
        return {
            "ok": self._client is not None,
            "endpoint": describe(self.endpoint),
            "calls": self.calls,
            "last_error": self._last_error,
        }

    # -- the wire ---------------------------------------------------------------------------
    async def _connect(self) -> None:
        security = None
        if not self.insecure:
            pki = self.pki or Pki(Path("data/pki"))
            host = socket.gethostname()
            # Its own file name: the bridge's certificate (another container's host name) stays the bridge's.
            cert, key = pki.ensure_own(f"urn:{host}:gmp-twin:dashboard", [host, "localhost"], name="dashboard")
            security = TagMapSecurity(
                policy="Basic256Sha256", mode="SignAndEncrypt", certificate=Path(cert), private_key=Path(key)
            )
        user, password = self.credentials or (None, None)
        client = await open_client(
            self.endpoint,
            security,
            None,
            pki=self.pki,
            username=user,
            password=password,
            timeout_s=self.timeout_s / 2,
            name="gmp-twin dashboard",
        )
        try:
            ns = await client.get_namespace_index(NAMESPACE_URI)
        except Exception:
            await client.disconnect()
            raise
        service = ua.NodeId(f"{PARENT_NAME}.{SERVICE}", ns)
        self._client = client
        self._method = (service, ua.NodeId(f"{PARENT_NAME}.{SERVICE}.Call", ns))
        log.info("connected to the twin at %s for the instructor functions", describe(self.endpoint))

    async def _disconnect(self) -> None:
        client, self._client, self._method = self._client, None, None
        if client is not None:
            await client.disconnect()

    async def _call(self, token: str, retry: bool) -> str:
        if self._client is None:
            await self._connect()
        assert self._client is not None and self._method is not None
        service, method = self._method
        try:
            result = await self._client.get_node(service).call_method(method, ua.Variant(token, ua.VariantType.String))
        except (OSError, TimeoutError, ConnectionError, ua.UaStatusCodeError) as exc:
            if isinstance(exc, ua.UaStatusCodeError) and not _session_lost(exc):
                raise
            # The twin restarted or the session dropped: one new session, the same request (its
            # nonce makes it count once, see twin.delegation).
            await self._disconnect()
            if not retry:
                raise
            log.info("twin session lost (%s); reconnecting once", type(exc).__name__)
            return await self._call(token, retry=False)
        return str(result)

    def _request(self, op: str, args: dict[str, Any], actor: Actor | None = None) -> Any:
        """Send one operation and return its result, or raise what the twin raised."""
        with self._lock:  # one call at a time: a dashboard's instructor actions are few
            if time.monotonic() - self._failed_at < self.retry_after_s:
                raise TwinUnreachable(f"the twin at {describe(self.endpoint)} is unreachable: {self._last_error}")
            if self._thread is None:
                self.start()
            assert self._thread is not None
            token = sign_request(self._secret, op, args, actor)
            try:
                answer = self._thread.post(self._call(token, retry=True))
            except ua.UaStatusCodeError as exc:
                if exc.code == ua.StatusCodes.BadUserAccessDenied:
                    raise PermissionError(
                        f"the twin refused the dashboard's request ({op}): check that the twin and the dashboard "
                        "share GMP_TWIN_SESSION_SECRET and that the dashboard's OPC UA account is enabled"
                    ) from None
                raise self._unreachable(exc) from None
            except (OSError, TimeoutError, ConnectionError, ua.UaError) as exc:
                raise self._unreachable(exc) from None
            self.calls += 1
            self._last_error = ""
        data = json.loads(answer)
        if "error" in data:
            error = data["error"]
            raise _ERRORS.get(error.get("type"), RuntimeError)(error.get("message", "refused by the twin"))
        return data["ok"]

    def _fixed(self, op: str, parse: Callable[[Any], T]) -> T:
        """A fixed fact of the plant (``catalog``, ``policy``, ``tag_specs``), asked again after ``static_ttl_s``."""
        now = time.monotonic()
        cached = self._static.get(op)
        if cached is not None and now - cached[0] < self.static_ttl_s:
            return cast(T, cached[1])
        value = parse(self._request(op, {}))
        self._static[op] = (now, value)
        return value

    def _unreachable(self, exc: BaseException) -> TwinUnreachable:
        self._failed_at = time.monotonic()
        self._last_error = f"{type(exc).__name__}: {exc}"
        log.warning("twin at %s unreachable: %s", describe(self.endpoint), self._last_error)
        return TwinUnreachable(f"the twin at {describe(self.endpoint)} is unreachable: {self._last_error}")

    # -- PlantControl -----------------------------------------------------------------------
    @property
    def run_id(self) -> str:
        return str(self.clock().get("run_id", ""))

    @property
    def policy(self) -> AccessPolicy:
        return self._fixed("policy", POLICY_WIRE.validate_python)

    def tag_specs(self) -> dict[str, list[TagSpec]]:
        # A copy of each list: a caller may sort or filter it.
        return {unit: list(specs) for unit, specs in self._fixed("tag_specs", SPECS_WIRE.validate_python).items()}

    def read_setting(self, unit: str, tag: str) -> float | None:
        value = self._request("read_setting", {"unit": unit, "tag": tag})
        return None if value is None else float(value)

    def catalog(self) -> dict[str, Any]:
        return copy.deepcopy(self._fixed("catalog", dict))  # the form's helpers only read it; a copy all the same

    def faults(self, role: Role, live_only: bool = False) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._request("faults", {"role": role, "live_only": live_only})
        return result

    def scenario_state(self, role: Role) -> dict[str, Any] | None:
        result: dict[str, Any] | None = self._request("scenario_state", {"role": role})
        return result

    def clock(self) -> dict[str, Any]:
        result: dict[str, Any] = self._request("clock", {})
        return result

    def scenarios(self, lang: str = "en") -> list[dict[str, Any]]:
        # The library is instructor-only: the API checked the caller's role before asking (a read).
        result: list[dict[str, Any]] = self._request("scenarios", {"lang": lang})
        return result

    def inject(self, fault: dict[str, Any], hidden: bool = False, *, actor: Actor = SYSTEM) -> dict[str, Any]:
        result: dict[str, Any] = self._request("inject", {"fault": fault, "hidden": hidden}, actor)
        return result

    def clear(self, fault_id: str, *, actor: Actor = SYSTEM) -> dict[str, Any]:
        result: dict[str, Any] = self._request("clear", {"fault_id": fault_id}, actor)
        return result

    def clear_all(self, *, actor: Actor = SYSTEM) -> list[str]:
        result: list[str] = self._request("clear_all", {}, actor)
        return result

    def start_scenario(
        self, name: str, hidden: bool | None = None, *, actor: Actor = SYSTEM, signature: Signature | None = None
    ) -> dict[str, Any]:
        args = {"name": name, "hidden": hidden, "signature": signature.as_dict() if signature else None}
        result: dict[str, Any] = self._request("start_scenario", args, actor)
        return result

    def stop_scenario(self, *, actor: Actor = SYSTEM, signature: Signature | None = None) -> dict[str, Any] | None:
        args = {"signature": signature.as_dict() if signature else None}
        result: dict[str, Any] | None = self._request("stop_scenario", args, actor)
        return result

    def hide_scenario(self, hidden: bool, *, actor: Actor = SYSTEM) -> dict[str, Any] | None:
        result: dict[str, Any] | None = self._request("hide_scenario", {"hidden": hidden}, actor)
        return result

    def set_clock(
        self, speed: float | None = None, paused: bool | None = None, *, actor: Actor = SYSTEM
    ) -> dict[str, Any]:
        wire = "max" if speed is not None and math.isinf(speed) else speed  # JSON has no infinity
        result: dict[str, Any] = self._request("set_clock", {"speed": wire, "paused": paused}, actor)
        return result

    def write_tag(
        self, unit: str, tag: str, value: float, *, actor: Actor = SYSTEM, reason: str = ""
    ) -> dict[str, Any]:
        args = {"unit": unit, "tag": tag, "value": value, "reason": reason}
        result: dict[str, Any] = self._request("write_tag", args, actor)
        return result

    # -- the exercise: the twin takes a person's team from its own users file, never from here --
    def report_deviation(self, report: dict[str, Any], *, actor: Actor, team: str) -> dict[str, Any]:
        result: dict[str, Any] = self._request("report_deviation", {"report": report, "team": team}, actor)
        return result

    def reports(self, team: str | None) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._request("reports", {"team": team})
        return result

    def hints(self, team: str, role: Role) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._request("hints", {"team": team, "role": role})
        return result

    def push_hint(
        self,
        team: str | None,
        *,
        actor: Actor,
        hint_id: str | None = None,
        text: dict[str, str] | None = None,
        cost: float | None = None,
    ) -> list[dict[str, Any]]:
        args = {"team": team, "hint_id": hint_id, "text": text, "cost": cost}
        result: list[dict[str, Any]] = self._request("push_hint", args, actor)
        return result

    def open_hint(self, team: str, hint_id: str, *, actor: Actor) -> dict[str, Any]:
        result: dict[str, Any] = self._request("open_hint", {"team": team, "hint_id": hint_id}, actor)
        return result

    def end_exercise(self, *, actor: Actor, signature: Signature | None) -> dict[str, Any]:
        args = {"signature": signature.as_dict() if signature else None}
        result: dict[str, Any] = self._request("end_exercise", args, actor)
        return result

    def exercise_state(self, role: Role, team: str) -> dict[str, Any] | None:
        result: dict[str, Any] | None = self._request("exercise_state", {"role": role, "team": team})
        return result


def _session_lost(exc: ua.UaStatusCodeError) -> bool:
    return exc.code in (
        ua.StatusCodes.BadSessionIdInvalid,
        ua.StatusCodes.BadSessionClosed,
        ua.StatusCodes.BadSecureChannelIdInvalid,
        ua.StatusCodes.BadConnectionClosed,
        ua.StatusCodes.BadServerNotConnected,
        ua.StatusCodes.BadNotConnected,
    )


__all__ = ["RemoteControl", "TwinUnreachable"]
