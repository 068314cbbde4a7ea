"""The three roles of gmp-twin (twin, bridge, dashboard + API) and their all-in-one run.

Each role is an async function that runs until ``stop`` is set. ``gmp-twin run`` starts
all of them in one ``TaskGroup``; docker-compose starts one role per container. Even in
one process the bridge reaches the twin over real OPC UA TCP.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import socket
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from analytics.detectors import DetectorsFile, load_detectors
from analytics.monitoring import MonitoringService
from config_schema.tagmap import TagMap, TagMapSecurity, load_tagmap
from dashboard.api.app import create_api
from dashboard.services import HealthProvider, Services
from gmp_twin import http_front
from gmp_twin.heap import freeze_startup_heap
from gmp_twin.identity import Identity, make_gate, open_identity, session_secret
from gmp_twin.run_lock import hold_run_lock
from gmp_twin.settings import Settings
from gmp_twin.team_plants import TeamPlant
from historian import Historian, open_historian
from historian.outbox import Outbox
from pki import Pki
from plc_bridge.bridge import Bridge
from twin.clock import SimClock
from twin.delegation import DelegationVerifier
from twin.faults.manager import EventSink
from twin.faults.service import TwinControl
from twin.opcua_alarms import AlarmEventTee, PlantAlarms
from twin.opcua_security import ServerSecurity
from twin.opcua_server import NAMESPACE_URI, TwinOpcUaServer
from twin.plant import build_plant, load_plant, plant_policy, plant_tagmaps, unit_steps
from twin.runtime import TwinRuntime

log = logging.getLogger(__name__)


# -- twin ---------------------------------------------------------------------------------
async def newest_stored_ns(historian: Historian, site: str) -> int | None:
    """The newest process value of ``site`` in the historian (``None``: empty or unreadable).

    A new run's clock starts after it (:func:`twin.clock.run_start_ns`), and the live detectors
    read from it on, so neither waits behind an earlier accelerated run's values.
    """
    try:
        latest = await historian.latest(site=site)
    except Exception as exc:  # an unreachable historian must not stop the plant: start at the wall clock
        log.warning(
            "cannot read the historian's newest value (%s: %s); starting at the wall clock", type(exc).__name__, exc
        )
        return None
    return max((sample.time_ns for sample in latest.values()), default=None)


@contextlib.asynccontextmanager
async def twin_server(
    settings: Settings,
    identity: Identity,
    events: EventSink | None = None,
    historian: Historian | None = None,
    alarms: PlantAlarms | None = None,
    team: TeamPlant | None = None,
) -> Any:
    """Build the plant, start its OPC UA server; yield its :class:`TwinControl` (``control.runtime`` not running).

    ``events`` receives the fault and scenario events (the ground truth of the run); every change
    (OPC UA writes and methods, API, dashboard) goes to ``identity.audit``. ``historian`` serves
    OPC UA HistoryRead; ``alarms`` publishes the monitoring service's alarms as A&C events.
    ``team``: one team plant of a classroom (its site, seed, run id, port and namespace).
    """
    plant = load_plant(settings.plant)
    seed = team.seed if team else settings.seed
    site = team.site if team else plant.site
    units = build_plant(plant, seed=seed)
    policy = plant_policy(plant, units)
    runtime = TwinRuntime(units, clock=SimClock(speed=settings.speed), seed=seed, unit_dt_s=unit_steps(plant))
    if historian is not None:
        runtime.newest_stored_ns = await newest_stored_ns(historian, site)
    port = team.port if team else settings.opcua_port
    endpoint = f"opc.tcp://{settings.opcua_host}:{port}/"
    control = TwinControl(
        runtime,
        site=site,
        run_id=team.run_id if team else settings.run_id,
        sink=events,
        scenario_dir=settings.scenarios,
        audit=identity.audit,
        policy=policy,
        team=team.name if team else "",
        class_run=team.class_run if team else "",
    )
    if team is None or team.index == 0:  # one audit trail: its records carry the (first) plant's sim time
        identity.audit.sim_time = lambda: runtime.clock.sim_time_s
    control.bind_loop(asyncio.get_running_loop())
    log.info("run id %s (fault events carry it; `gmp-twin score --run %s`)", control.run_id, control.run_id)
    server = TwinOpcUaServer(
        endpoint,
        control=control,
        authenticator=identity.authenticator,
        allow_anonymous=settings.opcua_allow_anonymous,
        historian=historian,
        site=plant.site,
        security=ServerSecurity(Pki(settings.pki), insecure=settings.opcua_insecure),
        # A dashboard of another process acts for its logged-in people (twin.delegation).
        delegation=DelegationVerifier(session_secret(settings), identity.users),
        namespace_uri=team.namespace_uri if team else NAMESPACE_URI,
    )
    async with server:
        for name, slot in runtime.slots.items():
            await server.add_unit(name, slot.unit.unit_type, slot.specs, runtime.readings(name))
        if alarms is not None:
            await alarms.attach(server.server, server.ns, server.ruleset, server.source_node)
        runtime.publishers.append(server.publish)
        control.manager.session_drop_handlers.append(server.drop_sessions)
        await server.start()
        yield control


async def run_twin(settings: Settings, stop: asyncio.Event) -> None:
    """Role ``twin``: simulation + OPC UA server; fault events go to the historian via their own outbox.

    Holds the run lock (``settings.run_lock``) while it runs: ``gmp-twin reset`` refuses meanwhile.
    """
    with hold_run_lock(settings.run_lock):
        await _run_twin(settings, stop)


async def _run_twin(settings: Settings, stop: asyncio.Event) -> None:
    identity = open_identity(settings, announce=True, http=False)
    async with open_historian(settings.historian) as historian:
        outbox = Outbox(settings.events_outbox, max_rows=settings.outbox_max_rows, unit="twin")
        try:
            async with twin_server(settings, identity, events=outbox.put, historian=historian) as control:
                writer_stop = asyncio.Event()
                async with asyncio.TaskGroup() as tg:
                    writer = tg.create_task(outbox.run_writer(historian, writer_stop))
                    await control.runtime.run(stop)
                    writer_stop.set()
                    await writer
        finally:
            pending = await outbox.flush(historian, timeout=10.0)
            if pending:
                log.warning("%d fault events stay in %s for the next start", pending, outbox.path)
            outbox.close()
            identity.close()


def runtime_health(control: TwinControl) -> HealthProvider:
    runtime = control.runtime

    def provider() -> dict[str, Any]:
        speed = runtime.clock.speed
        return {
            "ok": True,
            "sim_time_s": round(runtime.clock.sim_time_s, 3),
            "speed": "max" if math.isinf(speed) else speed,  # JSON has no infinity
            "paused": runtime.clock.paused,
            "units": list(runtime.slots),
            "behind_s": round(runtime.behind_s, 3),
            "ahead_of_wall_s": round((runtime.clock.now_ns() - time.time_ns()) / 1e9, 3),
            "run_id": control.run_id,
        }

    return provider


# -- bridge -------------------------------------------------------------------------------
def load_tagmaps(settings: Settings) -> list[TagMap]:
    """The tag map files given, or else the simulated plant's own tag maps (from the plant file)."""
    if settings.tagmap:
        return [load_tagmap(p) for p in settings.tagmap]
    plant = load_plant(settings.plant)
    endpoint = settings.opcua_endpoint or settings.opcua_url
    return secured_tagmaps(settings, plant_tagmaps(plant, build_plant(plant, seed=settings.seed), endpoint))


def secured_tagmaps(settings: Settings, tagmaps: list[TagMap]) -> list[TagMap]:
    """The twin's own tag maps as the bridge reads them: encrypted unless ``--insecure``."""
    # The twin offers policy None on loopback only, and a bridge role cannot tell where the twin
    # binds: the twin's own tag maps always connect encrypted, unless --insecure. Certificates of
    # one PKI folder trust each other (gmp-twin run); elsewhere `gmp-twin pki trust` once.
    if settings.opcua_insecure:
        return tagmaps
    secure = TagMapSecurity(policy="Basic256Sha256", mode="SignAndEncrypt")
    return [tm.model_copy(update={"security": secure}) for tm in tagmaps]


async def run_bridges(
    tagmaps: list[TagMap],
    outbox: Outbox,
    historian: Historian,
    stop: asyncio.Event,
    endpoint: str | None,
    health: dict[str, HealthProvider] | None = None,
    credentials: tuple[str, str] | None = None,
    pki: Pki | None = None,
    health_for: Mapping[str, dict[str, HealthProvider]] | None = None,
) -> None:
    """Role ``bridge``: one OPC UA client per tag map, one outbox writer into the historian.

    ``credentials`` (user, password) log the bridge in where anonymous sessions are refused;
    ``pki`` holds the bridge's certificate and the servers it trusts (Settings ``pki``).
    ``health_for``: site -> where a tag map of that site reports its bridge's health (a
    classroom's teams), instead of ``health``.
    """
    user, password = credentials or (None, None)
    bridges = [
        Bridge(tm, outbox, endpoint=endpoint, username=user, password=password, historian=historian, pki=pki)
        for tm in tagmaps
    ]
    for bridge in bridges:
        where = health_for.get(bridge.tagmap.site, health) if health_for is not None else health
        if where is not None:
            where[f"bridge:{bridge.tagmap.unit}"] = _bridge_health(bridge)
    if health is not None:
        health["outbox"] = lambda: {"ok": True, **outbox.stats()}
    writer_stop = asyncio.Event()
    try:
        async with asyncio.TaskGroup() as tg:
            writer = tg.create_task(outbox.run_writer(historian, writer_stop))
            for bridge in bridges:
                tg.create_task(bridge.run(stop))
            await stop.wait()
            # Bridges flush their last notifications into the outbox as they stop.
            await asyncio.sleep(0.2)
            writer_stop.set()
            await writer
    finally:
        pending = await outbox.flush(historian, timeout=10.0)
        if pending:
            log.warning(
                "%d points could not reach the historian; they stay in %s for the next start", pending, outbox.path
            )
        else:
            log.info("outbox flushed: nothing pending")


def bridge_login(settings: Settings) -> tuple[str, str] | None:
    """The bridge's OPC UA identity from ``GMP_TWIN_OPCUA_USERNAME`` / ``GMP_TWIN_OPCUA_PASSWORD``."""
    if not settings.opcua_username:
        return None
    secret = settings.opcua_password.get_secret_value() if settings.opcua_password else ""
    return settings.opcua_username, secret


def _bridge_health(bridge: Bridge) -> HealthProvider:
    return lambda: {"ok": bridge.stats.connected, "endpoint": bridge.endpoint, **bridge.stats.as_dict()}


# -- monitoring (live detectors, alarms, OEE) ---------------------------------------------
def load_monitoring_config(settings: Settings, tagmaps: list[TagMap]) -> DetectorsFile | None:
    """The detectors file, checked against the tag maps; ``None`` when the default one is absent.

    A file given with ``--detectors`` / ``GMP_TWIN_DETECTORS`` must exist and match the tag
    maps exactly. The default path may be missing (a real kit without detectors yet): then the
    service runs OEE only. The default file covers the default plant, so with fewer units (a
    real MPS PA kit, a one-unit plant file) its detectors of the absent units are left out.
    """
    path = settings.detectors
    units = {tm.unit: [tag.name for tag in tm.tags] for tm in tagmaps}
    default = "detectors" not in settings.model_fields_set
    if default and not path.exists():
        log.info("no detectors file at %s: live drift detection is off (see README)", path)
        return None
    if default:
        unchecked = load_detectors(path)
        absent = [d.name for d in unchecked.detectors if d.unit not in units]
        if absent:
            log.info("default detectors of units this plant does not have, left out: %s", ", ".join(absent))
            kept = [d.model_dump(by_alias=True, exclude_unset=True) for d in unchecked.detectors if d.unit in units]
            data = {**unchecked.model_dump(by_alias=True, exclude_unset=True), "detectors": kept}
            return DetectorsFile.model_validate(data, context={"units": units})
    config = load_detectors(path, units)
    log.info("detectors from %s: %s", path, ", ".join(d.name for d in config.detectors) or "none")
    return config


async def monitoring_start_ns(historian: Historian, site: str) -> int:
    """Where the live detectors start reading: now, or the newest stored value if it is ahead of the wall."""
    return max(time.time_ns(), await newest_stored_ns(historian, site) or 0)


@contextlib.contextmanager
def monitoring_service(
    settings: Settings,
    services: Services,
    config: DetectorsFile | None,
    start_ns: int | None = None,
    outbox_path: Path | None = None,
) -> Iterator[MonitoringService]:
    """The monitoring service with its own durable outbox, registered in ``services``.

    ``start_ns``: read values from then on (see :func:`monitoring_start_ns`; default now).
    ``outbox_path``: its outbox file (default ``settings.monitor_outbox``; a team plant has its own).
    """
    outbox = Outbox(
        outbox_path or settings.monitor_outbox, max_rows=settings.outbox_max_rows, site=services.site, unit="monitoring"
    )
    try:
        service = MonitoringService(
            services.historian, services.tagmaps, config, outbox, site=services.site, start_ns=start_ns
        )
        services.monitoring = service
        services.health["monitoring"] = service.health
        yield service
    finally:
        outbox.close()


# -- dashboard + API ----------------------------------------------------------------------
def bind_http(settings: Settings) -> socket.socket:
    """Bind the HTTP port now, so a busy port fails before anything else starts."""
    sock = socket.socket(socket.AF_INET6 if ":" in settings.http_host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.http_host, settings.http_port))
    except OSError as exc:
        sock.close()
        raise OSError(exc.errno, f"HTTP port {settings.http_host}:{settings.http_port}: {exc.strerror}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


async def run_http(
    settings: Settings, services: Services, stop: asyncio.Event, sock: socket.socket | None = None
) -> None:
    """Role ``dashboard``: the Dash app at ``/`` and the API at ``/api`` on one port.

    The live analytics run where the dashboard runs (in docker-compose the bridge is another
    process): unless ``services`` already has a monitoring service, one is started here.
    """
    sock = sock or bind_http(settings)
    if services.monitoring is not None:
        await serve_http(settings, services, stop, sock)
        return
    config = load_monitoring_config(settings, services.tagmaps)
    start_ns = await monitoring_start_ns(services.historian, services.site)
    with monitoring_service(settings, services, config, start_ns) as service:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(service.run(stop))
            tg.create_task(serve_http(settings, services, stop, sock))


async def serve_http(settings: Settings, services: Services, stop: asyncio.Event, sock: socket.socket) -> None:
    """The HTTP server of :func:`run_http` (``services`` complete: no monitoring started here).

    It runs on a thread of its own; the API's routes run on this loop (:mod:`gmp_twin.http_front`).
    """
    await http_front.serve_http(settings, services, create_api(services), stop, sock)


# -- all in one ---------------------------------------------------------------------------
async def run_shared_plant(settings: Settings, stop: asyncio.Event, with_twin: bool, banner: str) -> None:
    """``gmp-twin run`` with one plant (or a real kit): twin, bridge, historian writer and HTTP in one process.

    Called by :func:`gmp_twin.all_in_one.run_all` (which holds the run lock); a classroom runs
    :func:`gmp_twin.classroom.run_classroom` instead.
    """
    tagmaps = load_tagmaps(settings)
    detectors = load_monitoring_config(settings, tagmaps)  # a bad file stops start-up before anything runs
    sock = bind_http(settings)
    identity = open_identity(settings)  # production mode refuses weak passwords here
    if banner:
        print(banner, file=sys.stderr, flush=True)
    async with open_historian(settings.historian) as historian:
        outbox = Outbox(settings.outbox, max_rows=settings.outbox_max_rows)
        try:
            services = Services(
                historian=historian, tagmaps=tagmaps, gate=make_gate(settings, identity), audit=identity.audit
            )
            start_ns = await monitoring_start_ns(historian, services.site)
            async with contextlib.AsyncExitStack() as stack:
                monitoring = stack.enter_context(monitoring_service(settings, services, detectors, start_ns))
                runtime = None
                if with_twin:
                    # Fault events share the bridge's durable outbox: one writer, one order.
                    # The monitoring service's alarm transitions become OPC UA A&C events; an
                    # OPC UA Acknowledge goes to its acknowledge, as the dashboard's does.
                    alarms = PlantAlarms(acknowledge=monitoring.acknowledge, audit=identity.audit)
                    monitoring.outbox = AlarmEventTee(monitoring.outbox, alarms.notify)
                    twin = twin_server(settings, identity, events=outbox.put, historian=historian, alarms=alarms)
                    control = await stack.enter_async_context(twin)
                    runtime = control.runtime
                    services.health["runtime"] = runtime_health(control)
                    services.runtime = runtime
                    services.control = control
                endpoint = settings.opcua_endpoint or (settings.opcua_url if with_twin else None)
                freeze_startup_heap()
                async with asyncio.TaskGroup() as tg:
                    if runtime is not None:
                        tg.create_task(runtime.run(stop))
                    tg.create_task(
                        run_bridges(
                            tagmaps,
                            outbox,
                            historian,
                            stop,
                            endpoint,
                            services.health,
                            bridge_login(settings),
                            Pki(settings.pki),
                        )
                    )
                    tg.create_task(monitoring.run(stop))
                    tg.create_task(run_http(settings, services, stop, sock))
        finally:
            outbox.close()
            identity.close()
