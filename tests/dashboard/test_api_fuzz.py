"""schemathesis against the OpenAPI document of a real server: no request may get a 5xx answer.

The API runs under a real uvicorn on a free port, over a real users file and audit trail, a
running plant's control service, a monitoring service and a SQLite historian. Every operation
of ``/api/openapi.json`` gets schema-valid and schema-invalid requests (schemathesis'
Hypothesis strategies, derandomized so a run is repeatable) as an anonymous caller, as a
student and as an instructor (API tokens). The ``not_a_server_error`` check must pass for all.
Bounded: a few examples per operation, no shrinking, well under a minute and a half in all.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from conftest import free_port
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from people import People, make_people
from scenario_texts import LEAK
from schemathesis.checks import FailureGroup, not_a_server_error
from schemathesis.core.result import Ok

from analytics.monitoring import MonitoringService
from dashboard.api.app import create_api
from dashboard.api.routers import clock
from dashboard.services import Services
from historian.outbox import Outbox
from historian.sqlite import SqliteHistorian
from twin.faults.service import TwinControl
from twin.plant import PlantConfig, build_plant, plant_tagmaps
from twin.runtime import TwinRuntime

#: Examples per operation, caller and mode (valid data, then invalid data).
EXAMPLES = {schemathesis.GenerationMode.POSITIVE: 15, schemathesis.GenerationMode.NEGATIVE: 10}


@dataclass
class Served:
    url: str
    people: People
    stop: Any = None
    failures: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The API on uvicorn in a background thread (its own event loop), until the module ends."""
    import uvicorn

    root = tmp_path_factory.mktemp("fuzz")
    saved_dir = clock.SNAPSHOT_DIR
    clock.SNAPSHOT_DIR = root / "snapshots"  # snapshots the fuzzer saves stay in the temporary directory
    people = make_people(root)
    (root / "scenarios").mkdir()
    (root / "scenarios" / "small-leak.yaml").write_text(LEAK)
    port = free_port()
    ready: dict[str, Any] = {}
    started = threading.Event()

    async def main() -> None:
        # One small unit: a fuzzed `POST /api/clock/step` of 100 000 steps stays quick.
        cfg = PlantConfig.model_validate({"site": "lab", "units": [{"name": "mps-pa", "type": "mps_pa"}]})
        units = build_plant(cfg)
        control = TwinControl(
            TwinRuntime(units), site="lab", run_id="run-fuzz", scenario_dir=root / "scenarios", audit=people.audit
        )
        control.bind_loop(asyncio.get_running_loop())
        tagmaps = plant_tagmaps(cfg, units, "opc.tcp://127.0.0.1:4840")
        async with SqliteHistorian(root / "h.sqlite") as historian:
            outbox = Outbox(root / "monitor-outbox.sqlite", site="lab", unit="monitoring")
            services = Services(
                historian=historian,
                tagmaps=tagmaps,
                monitoring=MonitoringService(historian, tagmaps, None, outbox, site="lab"),
                control=control,
                gate=people.gate,
                audit=people.audit,
            )
            config = uvicorn.Config(create_api(services), host="127.0.0.1", port=port, log_level="warning")
            server = uvicorn.Server(config)
            ready["server"] = server
            started.set()
            await server.serve()
            outbox.close()

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    assert started.wait(30), "the server thread did not start"
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        with contextlib.suppress(OSError):
            if urllib.request.urlopen(f"{url}/api/health", timeout=2).status == 200:
                break
        assert time.monotonic() < deadline, "the API did not answer"
        time.sleep(0.1)
    try:
        yield Served(url, people)
    finally:
        ready["server"].should_exit = True
        thread.join(30)
        clock.SNAPSHOT_DIR = saved_dir
        people.close()


def fuzz(served: Served, headers: dict[str, str]) -> int:
    """Every operation, valid and invalid requests; 5xx answers are collected in ``served.failures``."""
    schema = schemathesis.openapi.from_url(f"{served.url}/api/openapi.json")
    calls = 0
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"the OpenAPI document is invalid: {result.err()}"
        operation = result.ok()
        for mode, examples in EXAMPLES.items():

            @settings(
                max_examples=examples,
                deadline=None,
                derandomize=True,  # the same requests every run
                database=None,
                phases=[Phase.explicit, Phase.generate],  # no shrinking: report what was sent
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case: schemathesis.Case) -> None:
                nonlocal calls
                calls += 1
                response = case.call(base_url=served.url, headers=headers, timeout=30)
                try:
                    case.validate_response(response, checks=[not_a_server_error])
                    assert response.status_code < 500
                except (FailureGroup, AssertionError):
                    served.failures.append(
                        f"{response.status_code} {case.as_curl_command(headers=headers)}\n    {response.text[:300]}"
                    )

            try:
                run()
            except Unsatisfiable:
                # Nothing of the operation can be made invalid (no parameters, no body).
                assert mode is schemathesis.GenerationMode.NEGATIVE, operation.label
    return calls


@pytest.mark.parametrize("caller", ["anonymous", "sam", "ines"], ids=["anonymous", "student", "instructor"])
def test_no_request_gets_a_server_error(served: Served, caller: str) -> None:
    headers = {} if caller == "anonymous" else served.people.bearer(caller)
    served.failures.clear()
    calls = fuzz(served, headers)
    assert calls > 100
    assert served.failures == [], "\n".join(served.failures)
