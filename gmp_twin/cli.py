"""The ``gmp-twin`` command line: one sub-command per role, plus the learner tools.

``run`` starts everything in one process; ``twin``, ``bridge`` and ``dashboard`` start one
role each (docker-compose). Flags override ``GMP_TWIN_*`` environment variables.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

import yaml
from pydantic import ValidationError

from config_schema.files import ConfigError
from gmp_twin.setting_flags import SETTING_FLAGS, add_setting_flags, settings_from

Handler = Callable[[argparse.Namespace], int]
log = logging.getLogger("gmp_twin")


def _run_async(factory: Callable[[asyncio.Event], Coroutine[Any, Any, None]]) -> int:
    """Run a role until Ctrl-C / SIGTERM, then let it stop cleanly (outbox flushed)."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await factory(stop)

    asyncio.run(main())
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from gmp_twin.all_in_one import run_all
    from twin.faults.service import new_run_id

    settings = settings_from(args)
    update: dict[str, Any] = {"run_id": settings.run_id or new_run_id()}
    if args.local_console:
        update["local_console"] = True
    if args.anonymous_view:
        update["anonymous_view"] = True
    settings = settings.model_copy(update=update)
    console = (
        f"; browsers on this machine act as 'local-console' (instructor, audited): "
        f"http://127.0.0.1:{settings.http_port}/instructor"
        if settings.local_console
        else f"; log in at http://{settings.http_host}:{settings.http_port}/login"
    )
    source = (
        f"bridging {', '.join(str(p) for p in settings.tagmap) or 'the plant file'}"
        if args.no_twin
        else f"OPC UA on opc.tcp://{settings.opcua_host}:{settings.opcua_port}"
    )
    banner = (
        f"gmp-twin: {source}, "
        f"dashboard on http://{settings.http_host}:{settings.http_port} "
        f"(historian {settings.historian}); run id {settings.run_id}{console}; Ctrl-C to stop"
    )
    return _run_async(lambda stop: run_all(settings, stop, with_twin=not args.no_twin, banner=banner))


def _cmd_twin(args: argparse.Namespace) -> int:
    from gmp_twin.roles import run_twin

    settings = settings_from(args)
    return _run_async(lambda stop: run_twin(settings, stop))


def _cmd_bridge(args: argparse.Namespace) -> int:
    from gmp_twin.roles import bridge_login, load_tagmaps, run_bridges
    from historian import open_historian
    from historian.outbox import Outbox
    from pki import Pki

    settings = settings_from(args)
    tagmaps = load_tagmaps(settings)

    async def role(stop: asyncio.Event) -> None:
        async with open_historian(settings.historian) as historian:
            outbox = Outbox(settings.outbox, max_rows=settings.outbox_max_rows)
            try:
                await run_bridges(
                    tagmaps,
                    outbox,
                    historian,
                    stop,
                    settings.opcua_endpoint,
                    credentials=bridge_login(settings),
                    pki=Pki(settings.pki),
                )
            finally:
                outbox.close()

    return _run_async(role)


def _cmd_dashboard(args: argparse.Namespace) -> int:
    from dashboard.services import Services
    from gmp_twin.identity import make_gate, open_identity
    from gmp_twin.remote_twin import remote_control
    from gmp_twin.roles import load_tagmaps, run_http
    from historian import open_historian

    settings = settings_from(args)
    tagmaps = load_tagmaps(settings)
    identity = open_identity(settings)

    async def role(stop: asyncio.Event) -> None:
        gate = make_gate(settings, identity)
        async with open_historian(settings.historian) as historian:
            services = Services(historian=historian, tagmaps=tagmaps, gate=gate, audit=identity.audit)
            remote = remote_control(settings)  # the twin's faults, scenarios and clock over OPC UA
            with remote or contextlib.nullcontext():
                if remote is not None:
                    services.remote_control = remote
                    services.health["twin"] = remote.health
                await run_http(settings, services, stop)

    try:
        return _run_async(role)
    finally:
        identity.close()


def _cmd_tagmap(args: argparse.Namespace) -> int:
    """Print the tag map of a simulated unit as the twin serves it (or browse a server: ``--browse``)."""
    if args.browse:
        from gmp_twin.browse_cli import cmd_browse

        return cmd_browse(args, settings_from(args).pki)
    from config_schema.tagmap import tagmap_for_unit
    from twin.opcua_server import NAMESPACE_URI
    from twin.plant import build_plant, load_plant

    settings = settings_from(args)
    plant = load_plant(settings.plant)
    units = build_plant(plant)
    if args.unit not in units:
        raise ConfigError(f"{settings.plant}: no unit named {args.unit!r}; units: {', '.join(units)}")
    tm = tagmap_for_unit(
        args.unit,
        units[args.unit].tag_specs(),
        unit_type=units[args.unit].unit_type,
        endpoint=settings.opcua_url,
        site=plant.site,
        namespace_uri=NAMESPACE_URI,
    )
    data = tm.model_dump(mode="json", exclude_none=True)
    print(f"# Tag map of the simulated unit {args.unit!r} (generated by `gmp-twin tagmap --unit {args.unit}`).")
    print(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120), end="")
    return 0


_INSECURE_HELP = (
    "OPC UA: offer security policy None and anonymous sessions even when bound beyond loopback "
    "(an isolated lab network only; env GMP_TWIN_OPCUA_INSECURE=true)"
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gmp-twin", description="Digital twin of a GMP-like training pilot plant.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    every = {dest for _, dest, _, _ in SETTING_FLAGS}

    run = sub.add_parser("run", help="the whole twin in one process (simulation, OPC UA, bridge, historian, HTTP)")
    add_setting_flags(run, every)
    run.add_argument("--no-twin", action="store_true", help="no simulation: bridge a real kit's tag map only")
    run.add_argument(
        "--local-console",
        "--instructor",
        dest="local_console",
        action="store_true",
        help="browsers on this machine act as instructor without a login, audited as 'local-console' "
        "(embedded mode only; env GMP_TWIN_LOCAL_CONSOLE=true; --instructor is the old name)",
    )
    run.add_argument(
        "--anonymous-view",
        action="store_true",
        help="visitors without a login may view the dashboard, read only (env GMP_TWIN_ANONYMOUS_VIEW=true)",
    )
    run.add_argument("--insecure", action="store_true", help=_INSECURE_HELP)
    run.set_defaults(handler=_cmd_run)

    twin = sub.add_parser("twin", help="simulation + OPC UA server only")
    add_setting_flags(twin, {"plant", "opcua_host", "opcua_port", "speed", "seed", "historian", "scenarios", "run_id"})
    twin.add_argument("--insecure", action="store_true", help=_INSECURE_HELP)
    twin.set_defaults(handler=_cmd_twin)

    bridge = sub.add_parser("bridge", help="OPC UA -> outbox -> historian only")
    add_setting_flags(bridge, {"tagmap", "opcua_endpoint", "historian", "outbox"})
    bridge.set_defaults(handler=_cmd_bridge)

    dash = sub.add_parser("dashboard", help="dashboard + API + live analytics (reads the historian)")
    add_setting_flags(dash, {"tagmap", "http_host", "http_port", "historian", "lang", "detectors", "opcua_endpoint"})
    dash.add_argument("--insecure", action="store_true", help=_INSECURE_HELP)
    dash.set_defaults(handler=_cmd_dashboard)

    tagmap = sub.add_parser("tagmap", help="print the tag map of a simulated unit, or browse a real kit's server")
    add_setting_flags(tagmap, {"plant", "opcua_host", "opcua_port"})
    tagmap.add_argument("--unit", default="mps-pa", help="unit name in the plant file (default mps-pa)")
    from gmp_twin.browse_cli import add_browse_flags

    add_browse_flags(tagmap)
    tagmap.set_defaults(handler=_cmd_tagmap)

    from gmp_twin import analyze as analytics_cli
    from gmp_twin import scenario_cli, simulate, users_cli

    simulate.register(sub)
    analytics_cli.register(sub)
    scenario_cli.register(sub)
    users_cli.register(sub)
    from gmp_twin import audit_cli

    audit_cli.register(sub)
    from gmp_twin import pki_cli

    pki_cli.register(sub)
    from gmp_twin import grafana

    grafana.register(sub)
    from gmp_twin import export_cli

    export_cli.register(sub)
    from gmp_twin import reset_cli

    reset_cli.register(sub)
    from gmp_twin import doe_cli, golden_cli, shadow_cli

    golden_cli.register(sub)
    doe_cli.register(sub)
    shadow_cli.register(sub)
    return parser


def _first_leaf(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first real error inside (nested) task-group exception groups."""
    first = group.exceptions[0]
    return _first_leaf(first) if isinstance(first, BaseExceptionGroup) else first


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("asyncua", "uvicorn.error"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if args.verbose else logging.WARNING)
    # Instantiating AnalogItemType warns about attributes the type node does not carry.
    logging.getLogger("asyncua.common.copy_node_util").setLevel(logging.ERROR)
    handler: Handler = args.handler
    try:
        try:
            return handler(args)
        except BaseExceptionGroup as group:
            raise _first_leaf(group) from group
    except (ConfigError, ValidationError, ValueError) as exc:
        print(f"gmp-twin: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0  # output piped into e.g. `head`
    except OSError as exc:
        hint = "; is another gmp-twin running? change the port with a flag" if exc.errno == 98 else ""
        print(f"gmp-twin: error: {exc}{hint}", file=sys.stderr)
        return 1
    finally:
        with contextlib.suppress(Exception):
            logging.shutdown()
