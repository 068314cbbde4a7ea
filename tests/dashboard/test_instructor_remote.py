"""The instructor console refuses a browser on another machine, and a student, on the server side.

With ``--local-console`` a browser on the twin's own machine is the instructor ``local-console``;
one from the network is anonymous (sent to ``/login``), and a logged-in student is a student.
A hand-made ``POST /_dash-update-component`` to a console callback is refused (401 / 403) and
the refusal is in the audit trail; the same request from the loopback acts, audited as the
local console. The real Dash app and guard over a real users file and audit trail (:mod:`people`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import flask
import pytest
from browser_app import PAUSE
from people import People, make_people

from access import Principal
from dashboard.app import create_dash
from dashboard.auth.sessions import COOKIE
from dashboard.context import DashContext
from dashboard.data import HistorianGateway
from dashboard.services import Services
from twin.faults.service import TwinControl
from twin.plant import PlantConfig, build_plant
from twin.runtime import TwinRuntime

REMOTE = {"REMOTE_ADDR": "192.168.1.23"}
LOCAL = {"REMOTE_ADDR": "127.0.0.1"}


@pytest.fixture
def console(tmp_path: Path) -> Iterator[tuple[flask.Flask, TwinControl, People]]:
    people = make_people(tmp_path, local_console=True)
    cfg = PlantConfig.model_validate({"site": "lab", "units": [{"name": "mps-pa", "type": "mps_pa"}]})
    control = TwinControl(TwinRuntime(build_plant(cfg)), site="lab", audit=people.audit)
    services = Services(historian=None, tagmaps=[], control=control, gate=people.gate, audit=people.audit)  # type: ignore[arg-type]
    loop = asyncio.new_event_loop()
    try:
        app = create_dash(DashContext(services, HistorianGateway(None, loop), default_lang="en"))  # type: ignore[arg-type]
        yield app.server, control, people
    finally:
        loop.close()
        people.close()


def _post(server: flask.Flask, environ: dict[str, str], cookie: str | None = None) -> Any:
    client = server.test_client()
    if cookie:
        client.set_cookie(COOKIE, cookie)
    return client.post("/_dash-update-component", json=PAUSE, environ_base=environ)


def test_a_remote_browser_is_sent_to_login_and_refused_the_console(
    console: tuple[flask.Flask, TwinControl, People],
) -> None:
    server, control, people = console
    page = server.test_client().get("/instructor?lang=en", environ_base=REMOTE)
    assert page.status_code == 303 and page.headers["Location"].startswith("/login?next=/instructor")
    refused = _post(server, REMOTE)
    assert refused.status_code == 401 and "anonymous is anonymous" in refused.get_data(as_text=True)
    assert not control.clock()["paused"]
    (denied,) = people.audit.query(action="access.denied")
    assert (denied.user, denied.via, denied.client, denied.status) == ("anonymous", "dash", "192.168.1.23", "401")


def test_a_student_is_refused_the_console_callbacks(console: tuple[flask.Flask, TwinControl, People]) -> None:
    server, control, people = console
    sam = people.gate.sessions.open(Principal("sam", "student", "Sam Martin"))
    # From the twin's own machine too: the session says who it is, not the address.
    refused = _post(server, LOCAL, sam)
    assert refused.status_code == 403 and "sam is student" in refused.get_data(as_text=True)
    assert not control.clock()["paused"]
    (denied,) = people.audit.query(action="access.denied")
    assert (denied.user, denied.role, denied.object) == ("sam", "student", "dash callback ic-clock-result.children")


def test_the_local_console_acts_and_is_audited_as_such(console: tuple[flask.Flask, TwinControl, People]) -> None:
    server, control, people = console
    done = _post(server, LOCAL)
    assert done.status_code == 200, done.get_data(as_text=True)
    assert control.clock()["paused"]
    (record,) = people.audit.query(action="clock.set")
    assert (record.user, record.role, record.via, record.new) == ("local-console", "instructor", "local-console",
                                                                   {"paused": True})  # fmt: skip
