"""Which clock the dashboard shows: wall time when the plant runs live, else simulated time.

The twin stamps its values with its simulation clock. At speed 1, in step with the wall,
that is wall time; accelerated, paused, or resumed after an earlier run that ran ahead
(a new run starts after the historian's last point, see :mod:`twin.clock`), it is not.
:func:`time_basis` says which, and gives the "now" that ages and live windows are measured
against; :func:`time_basis_banner` says it plainly on every page ("Heure simulée (×10)").

Without a simulation in the process (a real kit, or a dashboard-only role) the basis is the
wall clock, unless the newest value lies in the future: then a simulation elsewhere runs
ahead and its newest value is "now". The banner also asks the twin of another process
(``services.remote_control``, the compose split) for its speed and pause.

Examples
--------
>>> from types import SimpleNamespace
>>> from twin.clock import SimClock
>>> S = 1_000_000_000
>>> runtime = SimpleNamespace(clock=SimClock(epoch_ns=100 * S, speed=10.0), run_start_ns=100 * S)
>>> runtime.clock.advance(50.0)
>>> basis = time_basis(SimpleNamespace(clock_runtime=lambda: runtime), wall_ns=105 * S)
>>> basis.simulated, basis.now_ns == 150 * S, basis.ahead_s
(True, True, 45.0)
>>> describe(basis, "fr"), describe(basis, "en")
('Heure simulée (×10)', 'Simulated time (×10)')
>>> describe(wall_basis(7 * S), "fr")
'Heure réelle'
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Any, Protocol

from dash import MATCH, Dash, Input, Output, dcc, html

from dashboard.i18n import fmt_number, t

log = logging.getLogger(__name__)

#: Page level of the banner's callback (every page shows it).
LEVEL = "viewer"
#: A plant clock within this of the wall, at speed 1 and running, is "live" (the runtime
#: drops debt when the CPU is short, so it may trail the wall by a little).
LIVE_TOLERANCE_S = 5.0
_S = 1_000_000_000
_TEXT = "time-basis"
_TICK = "time-basis-tick"


class _Clock(Protocol):
    speed: float
    paused: bool

    def now_ns(self) -> int: ...


@dataclass(frozen=True)
class TimeBasis:
    """The clock the values are stamped with, as the dashboard should present it.

    Parameters
    ----------
    simulated : bool
        ``True`` when timestamps are simulated time (not in step with the wall clock).
    now_ns : int
        "Now" on that clock: ages and live windows are measured against it.
    wall_ns : int
        The wall clock when the basis was taken.
    speed : float or None
        Simulated seconds per wall second (``math.inf``: as fast as possible); ``None``: no
        simulation in this process.
    paused : bool
        The simulation is paused.
    run_start_ns : int or None
        When the current run started (the "this run" range), if known.
    """

    simulated: bool
    now_ns: int
    wall_ns: int
    speed: float | None = None
    paused: bool = False
    run_start_ns: int | None = None

    @property
    def ahead_s(self) -> float:
        """How far the plant clock is ahead of the wall (negative: behind)."""
        return (self.now_ns - self.wall_ns) / _S

    def age_s(self, time_ns: int) -> float:
        """Age of a value stamped ``time_ns``, against this basis's "now"."""
        return (self.now_ns - time_ns) / _S


def wall_basis(wall_ns: int | None = None) -> TimeBasis:
    """The wall clock, no simulation known."""
    wall = time.time_ns() if wall_ns is None else wall_ns
    return TimeBasis(simulated=False, now_ns=wall, wall_ns=wall)


def time_basis(
    services: Any, wall_ns: int | None = None, newest_ns: int | None = None, ask_remote: bool = False
) -> TimeBasis:
    """The time basis of a process's :class:`dashboard.services.Services`.

    ``newest_ns`` (the newest value's timestamp, when the caller has it) lets a process without
    a simulation notice one that runs ahead elsewhere.
    """
    wall = time.time_ns() if wall_ns is None else wall_ns
    runtime = services.clock_runtime()
    clock: _Clock | None = getattr(runtime, "clock", None)
    if clock is None:
        ahead = newest_ns is not None and newest_ns > wall + LIVE_TOLERANCE_S * _S
        now = newest_ns if ahead and newest_ns is not None else wall
        speed, paused = _remote_clock(services) if ask_remote else (None, False)
        simulated = ahead or paused or (speed is not None and speed != 1.0)
        return TimeBasis(simulated=simulated, now_ns=now, wall_ns=wall, speed=speed, paused=paused)
    plant = clock.now_ns()
    live = clock.speed == 1.0 and not clock.paused and abs(plant - wall) <= LIVE_TOLERANCE_S * _S
    return TimeBasis(
        simulated=not live,
        now_ns=wall if live else plant,
        wall_ns=wall,
        speed=clock.speed,
        paused=clock.paused,
        run_start_ns=getattr(runtime, "run_start_ns", None),
    )


def _remote_clock(services: Any) -> tuple[float | None, bool]:
    """Speed and pause of a twin in another process (``services.remote_control``), if it answers.

    One OPC UA round trip that blocks the caller: for Dash callbacks (worker threads), not for
    the API's event loop.
    """
    remote = getattr(services, "remote_control", None)
    if remote is None:
        return None, False
    try:
        state = remote.clock()
    except Exception as exc:  # an unreachable twin: say nothing rather than fail the page
        log.debug("time basis: the twin's clock is not readable (%s)", exc)
        return None, False
    speed = state.get("speed")
    return (math.inf if speed == "max" else float(speed) if speed is not None else None), bool(state.get("paused"))


def _duration(seconds: float, lang: str) -> str:
    """``2 h 28 min``, ``3 j 4 h`` (FR) / ``3 d 4 h`` (EN), ``45 s``.

    >>> _duration(8880, "fr"), _duration(3 * 86400 + 4 * 3600, "en"), _duration(45, "en")
    ('2 h 28 min', '3 d 4 h', '45 s')
    """
    s = round(abs(seconds))
    days, rest = divmod(s, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} {'j' if lang == 'fr' else 'd'} {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"


def describe(basis: TimeBasis, lang: str) -> str:
    """The banner's text: ``Heure réelle`` / ``Heure simulée (×10)`` and how far it is off the wall.

    >>> S = 1_000_000_000
    >>> describe(TimeBasis(True, 8880 * S, 0, speed=1.0), "fr")
    'Heure simulée (×1, en avance de 2 h 28 min)'
    >>> describe(TimeBasis(True, 0, 0, speed=math.inf), "en"), describe(TimeBasis(True, 0, 0, 2.5, True), "fr")
    ('Simulated time (max speed)', 'Heure simulée (×2,5, en pause)')
    """
    if not basis.simulated:
        return t("tb_wall", lang)
    parts = []
    if basis.speed is not None:
        parts.append(t("tb_max", lang) if math.isinf(basis.speed) else f"×{fmt_number(basis.speed, lang)}")
    if basis.paused:
        parts.append(t("tb_paused", lang))
    elif basis.speed in (None, 1.0) and abs(basis.ahead_s) > LIVE_TOLERANCE_S:  # at x N it is ahead by design
        key = "tb_ahead" if basis.ahead_s > 0 else "tb_behind"
        parts.append(t(key, lang, duration=_duration(basis.ahead_s, lang)))
    return t("tb_simulated", lang) + (f" ({', '.join(parts)})" if parts else "")


def time_basis_banner(lang: str) -> html.Div:
    """The banner every page shows: wall or simulated time (filled, and kept current, by its callback)."""
    return html.Div(
        [
            html.Span(id={"type": _TEXT, "lang": lang}, className="time-basis-text"),
            dcc.Interval(id={"type": _TICK, "lang": lang}, interval=2000),
        ],
        className="time-basis",
    )


def register(app: Dash, ctx: Any) -> None:
    """Register the banner's callback (``ctx``: the :class:`dashboard.context.DashContext`)."""

    @app.callback(
        Output({"type": _TEXT, "lang": MATCH}, "children"),
        Output({"type": _TEXT, "lang": MATCH}, "className"),
        Input({"type": _TICK, "lang": MATCH}, "n_intervals"),
        Input({"type": _TICK, "lang": MATCH}, "id"),
    )
    def on_time_basis_tick(_n: int | None, ident: dict[str, str]) -> tuple[str, str]:
        basis = time_basis(ctx.services, ask_remote=True)
        kind = "time-basis-sim" if basis.simulated else "time-basis-wall"
        return describe(basis, ident["lang"]), f"time-basis-text {kind}"
