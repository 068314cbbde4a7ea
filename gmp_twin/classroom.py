"""A classroom in one process: one plant per team (``gmp-twin run --teams N`` or the plant file's ``teams:``).

Each team plant is the plant of ``gmp-twin run`` with its own parts, so one team's setpoint
change or fault never reaches another's:

- its own :class:`twin.runtime.TwinRuntime` and :class:`twin.faults.service.TwinControl`
  (``team=``, ``class_run=``: every event it writes carries both), run id ``<class run>-<team>``;
- its own OPC UA server on port ``opcua_port + k`` (k = 0 for the first team), namespace
  ``urn:gmp-twin:<team>``, and tag maps with site ``<site>-<team>`` (its historian series);
- its own :class:`analytics.monitoring.MonitoringService` (outbox ``monitor-outbox-<team>.sqlite``).

Shared: the historian, the bridges' durable outbox (which also carries every team's fault and
exercise events), the users, the audit trail and one HTTP server, whose pages and API show each
request its team's plant (:class:`dashboard.classroom.Classroom`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from pathlib import Path

from analytics.monitoring import MonitoringService
from config_schema.tagmap import TagMap
from dashboard.classroom import Classroom
from dashboard.services import Services
from gmp_twin.heap import freeze_startup_heap
from gmp_twin.identity import make_gate, open_identity
from gmp_twin.roles import (
    bind_http,
    bridge_login,
    load_monitoring_config,
    monitoring_service,
    monitoring_start_ns,
    run_bridges,
    runtime_health,
    secured_tagmaps,
    serve_http,
    twin_server,
)
from gmp_twin.settings import Settings
from gmp_twin.team_plants import TeamPlant
from historian import open_historian
from historian.outbox import Outbox
from pki import Pki
from twin.opcua_alarms import AlarmEventTee, PlantAlarms
from twin.plant import PlantConfig, build_plant, load_plant, plant_tagmaps
from twin.runtime import TwinRuntime

log = logging.getLogger(__name__)


def team_tagmaps(settings: Settings, plant: PlantConfig, team: TeamPlant) -> list[TagMap]:
    """A team plant's tag maps: its site, its server's port and namespace."""
    host = "127.0.0.1" if settings.opcua_host in ("0.0.0.0", "::") else settings.opcua_host
    endpoint = f"opc.tcp://{host}:{team.port}"
    units = build_plant(plant, seed=team.seed)
    return secured_tagmaps(
        settings, plant_tagmaps(plant, units, endpoint, site=team.site, namespace_uri=team.namespace_uri)
    )


def team_outbox(path: Path, team: str) -> Path:
    """A team's own file beside ``path`` (``monitor-outbox.sqlite`` -> ``monitor-outbox-team-1.sqlite``).

    >>> team_outbox(Path("data/monitor-outbox.sqlite"), "team-1").as_posix()
    'data/monitor-outbox-team-1.sqlite'
    """
    return path.with_name(f"{path.stem}-{team}{path.suffix}")


def announce(teams: list[TeamPlant], settings: Settings) -> str:
    """The teams and their OPC UA endpoints, printed at start.

    >>> s = Settings(opcua_host="127.0.0.1", opcua_port=4900, http_host="127.0.0.1", http_port=8050)
    >>> print(announce([TeamPlant("team-1", 0, "run-1", 0, 4900, "lab-team-1")], s))
    classroom run-1: 1 team plant(s); students see their own team, instructors pick ?team= on http://127.0.0.1:8050
      team-1  opc.tcp://127.0.0.1:4900  site lab-team-1  run run-1-team-1
    """
    head = (
        f"classroom {teams[0].class_run}: {len(teams)} team plant(s); students see their own team, "
        f"instructors pick ?team= on http://{settings.http_host}:{settings.http_port}"
    )
    width = max(len(t.name) for t in teams)
    lines = [
        f"  {t.name:<{width}}  opc.tcp://{settings.opcua_host}:{t.port}  site {t.site}  run {t.run_id}" for t in teams
    ]
    return "\n".join([head, *lines])


async def run_classroom(settings: Settings, stop: asyncio.Event, teams: list[TeamPlant], banner: str = "") -> None:
    """``gmp-twin run`` with team plants: every team's plant, the bridges, the monitoring and one HTTP server.

    Called by :func:`gmp_twin.all_in_one.run_all` (which holds the run lock) when there are teams.
    """
    plant = load_plant(settings.plant)
    tagmaps = {team.name: team_tagmaps(settings, plant, team) for team in teams}
    detectors = load_monitoring_config(settings, tagmaps[teams[0].name])  # same units in every team
    sock = bind_http(settings)
    identity = open_identity(settings)  # production mode refuses weak passwords here
    if banner:
        print(banner, file=sys.stderr, flush=True)
    print(announce(teams, settings), file=sys.stderr, flush=True)
    async with open_historian(settings.historian) as historian:
        # One outbox and one writer for every team's bridges and events (events carry the team).
        outbox = Outbox(settings.outbox, max_rows=settings.outbox_max_rows)
        try:
            gate = make_gate(settings, identity)
            rooms: dict[str, Services] = {}
            loops: list[tuple[TwinRuntime, MonitoringService]] = []
            async with contextlib.AsyncExitStack() as stack:
                for team in teams:
                    services = Services(
                        historian=historian, tagmaps=tagmaps[team.name], gate=gate, audit=identity.audit
                    )
                    services.health["outbox"] = lambda: {"ok": True, **outbox.stats()}
                    start_ns = await monitoring_start_ns(historian, team.site)
                    monitoring = stack.enter_context(
                        monitoring_service(
                            settings, services, detectors, start_ns, team_outbox(settings.monitor_outbox, team.name)
                        )
                    )
                    alarms = PlantAlarms(acknowledge=monitoring.acknowledge, audit=identity.audit)
                    monitoring.outbox = AlarmEventTee(monitoring.outbox, alarms.notify)
                    twin = twin_server(
                        settings, identity, events=outbox.put, historian=historian, alarms=alarms, team=team
                    )
                    control = await stack.enter_async_context(twin)
                    services.health["runtime"] = runtime_health(control)
                    services.runtime = control.runtime
                    services.control = control
                    rooms[team.name] = services
                    loops.append((control.runtime, monitoring))
                root = Services(
                    historian=historian,
                    tagmaps=[tm for team in teams for tm in tagmaps[team.name]],
                    gate=gate,
                    audit=identity.audit,
                    classroom=Classroom(rooms, class_run=teams[0].class_run),
                )
                freeze_startup_heap()  # twelve address spaces: full GC passes held the loop for seconds
                async with asyncio.TaskGroup() as tg:
                    # Staggered: the plants tick, and their detectors poll, one after another.
                    for k, (runtime, monitoring) in enumerate(loops):
                        tg.create_task(runtime.run(stop, phase_s=k * runtime.publish_period_s / len(loops)))
                        tg.create_task(monitoring.run(stop, phase_s=k * monitoring.poll_s / len(loops)))
                    tg.create_task(
                        run_bridges(
                            root.tagmaps,
                            outbox,
                            historian,
                            stop,
                            None,  # each tag map names its team's server
                            root.health,
                            bridge_login(settings),
                            Pki(settings.pki),
                            health_for={team.site: rooms[team.name].health for team in teams},
                        )
                    )
                    tg.create_task(serve_http(settings, root, stop, sock))
        finally:
            outbox.close()
            identity.close()
