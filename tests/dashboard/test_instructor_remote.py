"""The instructor console refuses browsers that are not on the twin's own machine.

Students reach the same dashboard over the network; until logins exist, the console and its
callbacks only act for a loopback client (an instructor elsewhere uses an SSH tunnel).
"""

from __future__ import annotations

import flask

from dashboard.pages.instructor import control_of, local_request
from dashboard.services import Services
from twin.faults.service import TwinControl
from twin.plant import PlantConfig, build_plant
from twin.runtime import TwinRuntime


class _Ctx:
    def __init__(self, control: TwinControl) -> None:
        self.services = Services(historian=None, tagmaps=[], control=control)  # type: ignore[arg-type]


def test_only_a_local_browser_gets_the_control_service() -> None:
    cfg = PlantConfig.model_validate({"site": "lab", "units": [{"name": "mps-pa", "type": "mps_pa"}]})
    control = TwinControl(TwinRuntime(build_plant(cfg)))
    ctx = _Ctx(control)
    app = flask.Flask(__name__)
    with app.test_request_context("/instructor", environ_base={"REMOTE_ADDR": "127.0.0.1"}):
        assert local_request() and control_of(ctx) is control  # type: ignore[arg-type]
    with app.test_request_context("/instructor", environ_base={"REMOTE_ADDR": "::1"}):
        assert control_of(ctx) is control  # type: ignore[arg-type]
    with app.test_request_context("/instructor", environ_base={"REMOTE_ADDR": "192.168.1.23"}):
        assert not local_request()
        assert control_of(ctx) is None  # type: ignore[arg-type]
