"""The time basis of a real runtime's clock: wall time when live, else simulated, and the banner's words."""

from __future__ import annotations

import math
import time

from dashboard.services import Services
from dashboard.time_basis import describe, time_basis
from twin.clock import SimClock
from twin.plant import PlantConfig, build_plant
from twin.runtime import TwinRuntime

S = 1_000_000_000
PLANT = PlantConfig.model_validate({"site": "lab", "units": [{"name": "mps-pa", "type": "mps_pa"}]})


def services(runtime: TwinRuntime | None) -> Services:
    return Services(historian=None, tagmaps=[], runtime=runtime)  # type: ignore[arg-type]


def test_live_is_wall_time_and_every_departure_is_simulated() -> None:
    wall = time.time_ns()
    runtime = TwinRuntime(build_plant(PLANT), clock=SimClock(epoch_ns=wall))
    for _ in range(10):
        runtime.step()  # 1 s of plant time: within the live tolerance
    live = time_basis(services(runtime), wall_ns=wall)
    assert not live.simulated and live.now_ns == wall and live.age_s(wall - 2 * S) == 2.0
    assert (describe(live, "fr"), describe(live, "en")) == ("Heure réelle", "Wall-clock time")

    runtime.set_speed(10.0)
    fast = time_basis(services(runtime), wall_ns=wall)
    assert fast.simulated and fast.now_ns == runtime.clock.now_ns()
    assert describe(fast, "fr") == "Heure simulée (×10)"

    runtime.set_speed(math.inf)
    assert describe(time_basis(services(runtime), wall_ns=wall), "en") == "Simulated time (max speed)"

    runtime.set_speed(1.0)
    runtime.pause()
    assert describe(time_basis(services(runtime), wall_ns=wall), "fr") == "Heure simulée (×1, en pause)"
    runtime.resume()

    # A run resumed after an accelerated one: speed 1, but 2 h 28 min ahead of the wall.
    runtime.clock.start_at(wall + 8_880 * S)
    ahead = time_basis(services(runtime), wall_ns=wall)
    assert ahead.simulated and ahead.age_s(wall + 8_879 * S) == 1.0  # ages on the plant's clock, not −8,879 s
    assert describe(ahead, "fr") == "Heure simulée (×1, en avance de 2 h 28 min)"
    assert describe(ahead, "en") == "Simulated time (×1, 2 h 28 min ahead)"


def test_without_a_simulation_the_newest_value_says_if_one_runs_ahead() -> None:
    wall = 1_800_000_000 * S
    assert not time_basis(services(None), wall_ns=wall, newest_ns=wall - S).simulated
    elsewhere = time_basis(services(None), wall_ns=wall, newest_ns=wall + 3_600 * S)
    assert elsewhere.simulated and elsewhere.now_ns == wall + 3_600 * S and elsewhere.speed is None
    assert describe(elsewhere, "en") == "Simulated time (1 h 0 min ahead)"


class _Remote:
    """What the compose split's dashboard holds: the twin's clock over OPC UA (only ``clock()`` is read)."""

    def __init__(self, state: dict[str, object] | None) -> None:
        self.state = state

    def clock(self) -> dict[str, object]:
        if self.state is None:
            raise ConnectionError("twin unreachable")
        return self.state


def test_the_banner_asks_a_remote_twin_for_its_speed() -> None:
    wall = 1_800_000_000 * S
    split = services(None)
    split.remote_control = _Remote({"speed": 10.0, "paused": False, "sim_time_s": 5.0})  # type: ignore[assignment]
    assert describe(time_basis(split, wall_ns=wall, ask_remote=True), "fr") == "Heure simulée (×10)"
    assert not time_basis(split, wall_ns=wall).simulated  # the API's event loop never waits on the twin
    split.remote_control = _Remote({"speed": "max", "paused": True})  # type: ignore[assignment]
    assert describe(time_basis(split, wall_ns=wall, ask_remote=True), "en") == "Simulated time (max speed, paused)"
    split.remote_control = _Remote(None)  # type: ignore[assignment]
    assert describe(time_basis(split, wall_ns=wall, ask_remote=True), "en") == "Wall-clock time"
