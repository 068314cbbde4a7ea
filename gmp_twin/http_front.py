"""The HTTP server on a thread and an event loop of its own; the API's routes still run on the plant's loop.

Why. The plant's loop steps the units, serves OPC UA, runs the bridges and the detectors. With
a classroom's twelve team plants it is busy most of the time, and everything queued on it waits
for the tick in progress. Dash answers in worker threads (Flask behind a2wsgi), but a2wsgi
hands the request body, the response head and the response body over through the server's
loop, and the pages read the historian through a loop too: with one loop for all, a page's
callback waited behind the plants three to six times per request (p95 269 ms with 12 teams,
``python -m bench classroom``).

So :func:`serve_http` runs uvicorn on a loop in a thread of its own (the *front*):

- Dash requests are answered there, through a2wsgi, and read the historian through a client
  of their own on that loop (:class:`dashboard.data.HistorianGateway`);
- a request for the API (``/api/...``, ``/login``, ``/logout``, ``/account/password``: any
  route of the FastAPI app) runs on the plant's loop as before (:class:`OnLoop`), because its
  routes use the plant's objects (the twin's controls, the main historian client, asyncio
  primitives bound to that loop);
- a Dash callback that reads the plant's controls still marshals that call onto the plant's
  loop (``TwinControl.call``), and so does :meth:`~dashboard.data.HistorianGateway.on_plant`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, cast
from zoneinfo import ZoneInfo

import uvicorn
from a2wsgi import WSGIMiddleware
from fastapi import FastAPI
from starlette.routing import Match

from config_schema.tagmap import sources_by_unit
from dashboard.app import create_dash
from dashboard.context import DashContext
from dashboard.data import HistorianGateway
from dashboard.services import Services
from gmp_twin.settings import Settings
from historian import open_historian

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class OnLoop:
    """An ASGI app that runs ``app`` on ``loop`` (another thread's); receive and send come back here.

    Cancelling the request here (the server stops) cancels it there.
    """

    def __init__(self, app: ASGIApp, loop: asyncio.AbstractEventLoop) -> None:
        self.app = app
        self.loop = loop

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        here = asyncio.get_running_loop()

        async def receive_here() -> Message:
            return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(_await(receive()), here))

        async def send_here(message: Message) -> None:
            await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(_await(send(message)), here))

        job = asyncio.run_coroutine_threadsafe(_await(self.app(scope, receive_here, send_here)), self.loop)
        await asyncio.wrap_future(job)


async def _await(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


class Front:
    """The front's ASGI app: API routes on the plant's loop, everything else to Dash here.

    Parameters
    ----------
    api : FastAPI
        The API app (its routes run on ``api_loop``).
    api_loop : asyncio.AbstractEventLoop
        The plant's loop.
    dash : ASGIApp
        The Dash app (a2wsgi around its Flask server), answered on the front's loop.
    """

    def __init__(self, api: FastAPI, api_loop: asyncio.AbstractEventLoop, dash: ASGIApp) -> None:
        self.api = api
        self.on_plant = OnLoop(api, api_loop)
        self.dash = dash

    def is_api(self, scope: Scope) -> bool:
        """Whether a route of the API app answers this request (``/api/...`` always: its 404s too)."""
        if scope["path"].startswith("/api/") or scope["path"] == "/api":
            return True
        return any(route.matches(scope)[0] != Match.NONE for route in self.api.router.routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
        elif scope["type"] == "http" and not self.is_api(scope):
            await self.dash(scope, receive, send)
        else:
            await self.on_plant(scope, receive, send)


async def _lifespan(receive: Receive, send: Send) -> None:
    # Neither app has start-up or shut-down work; answer uvicorn's lifespan protocol here.
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the process-wide stop event rules."""

    @contextlib.contextmanager
    def capture_signals(self) -> Any:
        yield


async def _front(
    settings: Settings,
    services: Services,
    api: FastAPI,
    plant_loop: asyncio.AbstractEventLoop,
    sock: socket.socket,
    started: Callable[[uvicorn.Server], None],
) -> None:
    """On the front's loop: the pages' historian client, the Dash app and uvicorn, until it exits."""
    async with open_historian(settings.historian) as historian:
        gateway = HistorianGateway(
            historian, asyncio.get_running_loop(), plant_loop=plant_loop, sources=sources_by_unit(services.tagmaps)
        )
        ctx = DashContext(services, gateway, zone=ZoneInfo(settings.timezone), default_lang=settings.lang)
        dash = cast(ASGIApp, WSGIMiddleware(create_dash(ctx).server))
        config = uvicorn.Config(
            Front(api, plant_loop, dash),
            host=settings.http_host,
            port=settings.http_port,
            log_level="warning",
            lifespan="on",
            access_log=False,
        )
        server = _Server(config)
        started(server)
        await server.serve(sockets=[sock])


async def serve_http(
    settings: Settings, services: Services, api: FastAPI, stop: asyncio.Event, sock: socket.socket
) -> None:
    """Serve the API and the dashboard on ``sock`` from a thread of their own until ``stop`` is set.

    Called on the plant's loop (it becomes the API's loop). Raises when the server fails
    (for instance the historian's URL cannot be opened), or stops without being asked to.
    """
    plant_loop = asyncio.get_running_loop()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="http-front", daemon=True)
    thread.start()
    servers: list[uvicorn.Server] = []
    ready = asyncio.Event()

    def started(server: uvicorn.Server) -> None:  # on the front's thread
        servers.append(server)
        plant_loop.call_soon_threadsafe(ready.set)

    try:
        task: asyncio.Future[None] = asyncio.wrap_future(
            asyncio.run_coroutine_threadsafe(_front(settings, services, api, plant_loop, sock, started), loop)
        )
        log.info("dashboard and API on http://%s:%d", settings.http_host, settings.http_port)
        stop_wait: asyncio.Future[Any] = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({task, stop_wait}, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            stop_wait.cancel()
            task.result()  # a failed start raises here
            raise RuntimeError(f"HTTP server on port {settings.http_port} stopped unexpectedly")
        # Stopped while still starting: let it start, then stop it.
        ready_wait: asyncio.Future[Any] = asyncio.create_task(ready.wait())
        await asyncio.wait({task, ready_wait}, return_when=asyncio.FIRST_COMPLETED)
        ready_wait.cancel()
        for server in servers:
            server.should_exit = True  # uvicorn polls it; the requests in flight finish
        await task
    finally:
        loop.call_soon_threadsafe(loop.stop)
        await asyncio.to_thread(thread.join, 10.0)
        if not thread.is_alive():
            loop.close()
