"""The HTTP front: API routes run on the plant's loop (another thread), everything else on the front's own."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from gmp_twin.http_front import Front


@pytest.fixture
def plant_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """A loop in a thread of its own, standing for the plant's."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="plant", daemon=True)
    thread.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.close()


def make_api() -> FastAPI:
    api = FastAPI()

    @api.get("/api/where")
    async def where() -> dict[str, str]:
        return {"thread": threading.current_thread().name}

    @api.post("/api/echo")
    async def echo(body: dict[str, Any]) -> dict[str, Any]:
        return {"thread": threading.current_thread().name, "body": body}

    @api.get("/login")
    async def login() -> dict[str, str]:
        return {"thread": threading.current_thread().name}

    return api


async def dash(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A stand-in for a2wsgi's Dash app: says which thread answered."""
    body = threading.current_thread().name.encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": body})


def test_is_api_routes_every_api_path_and_the_api_pages_and_nothing_else(
    plant_loop: asyncio.AbstractEventLoop,
) -> None:
    front = Front(make_api(), plant_loop, dash)

    def scope(path: str, method: str = "GET") -> dict[str, Any]:
        return {"type": "http", "path": path, "method": method, "root_path": "", "query_string": b"", "headers": []}

    assert front.is_api(scope("/api/where"))
    assert front.is_api(scope("/api/unknown"))  # its 404 comes from the API, as JSON
    assert front.is_api(scope("/login"))
    assert front.is_api(scope("/login", "POST"))  # a wrong method is still the API's answer (405)
    assert not front.is_api(scope("/"))
    assert not front.is_api(scope("/_dash-update-component", "POST"))
    assert not front.is_api(scope("/apiary"))


def test_api_requests_run_on_the_plant_loop_and_dash_on_the_front(plant_loop: asyncio.AbstractEventLoop) -> None:
    front = Front(make_api(), plant_loop, dash)

    async def main() -> dict[str, Any]:
        transport = httpx.ASGITransport(app=front)
        async with httpx.AsyncClient(transport=transport, base_url="http://front") as client:
            return {
                "api": (await client.get("/api/where")).json(),
                "echo": (await client.post("/api/echo", json={"a": 1})).json(),
                "missing": (await client.get("/api/nothing-here")).status_code,
                "dash": (await client.get("/")).text,
                "here": threading.current_thread().name,
            }

    out = asyncio.run(main())
    assert out["api"] == {"thread": "plant"}
    assert out["echo"] == {"thread": "plant", "body": {"a": 1}}  # the body crossed the loops
    assert out["missing"] == 404
    assert out["dash"] == out["here"] != "plant"
