"""A dashboard whose twin is out of reach says so on the console and the operate page (no callback error).

A real :class:`dashboard.remote_control.RemoteControl` pointed at a free port where nothing listens.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dash
import pytest
from conftest import free_port

from audit import Actor
from dashboard.pages.instructor import clear_faults, console_body, console_refresh, drive_clock, inject_fault
from dashboard.pages.operate import current_text, write_value
from dashboard.remote_control import RemoteControl
from pki import Pki

INES = Actor("ines", "instructor", "dash", "127.0.0.1")


@pytest.fixture
def away(tmp_path: Path) -> Iterator[RemoteControl]:
    remote = RemoteControl(f"opc.tcp://127.0.0.1:{free_port()}", "x" * 32, pki=Pki(tmp_path / "pki"), timeout_s=2.0)
    try:
        yield remote
    finally:
        remote.close()


def test_the_console_and_the_operate_page_say_the_twin_is_out_of_reach(away: RemoteControl) -> None:
    (body,) = console_body(away, "fr")
    assert body.id == "ic-no-control" and str(body.children).startswith("Jumeau injoignable")
    table, clock, scenario, seen = console_refresh(away, [["F1", "active", False]], "en")
    assert (table, scenario, seen) == (dash.no_update, dash.no_update, [["F1", "active", False]])
    assert clock.startswith("The twin cannot be reached") and "unreachable" in clock
    form = dict.fromkeys(("target", "magnitude", "start_s", "ramp_s", "duration_s")) | {
        "unit": "mps-pa",
        "kind": "sensor_bias",
    }
    assert inject_fault(away, form, False, "en", INES).startswith("The twin cannot be reached")
    assert clear_faults(away, "ic-clear-all", "en", INES).startswith("The twin cannot be reached")
    assert drive_clock(away, "ic-pause", None, "en", INES).startswith("The twin cannot be reached")
    assert current_text(away, "mps-pa", "level_sp", "en").startswith("The twin cannot be reached")
    with pytest.MonkeyPatch.context() as mp:  # no Dash request here: the acting person is given
        mp.setattr("dashboard.pages.operate.current_actor", lambda: INES)
        assert write_value(away, "mps-pa", "level_sp", 12, "", "en").startswith("The twin cannot be reached")
