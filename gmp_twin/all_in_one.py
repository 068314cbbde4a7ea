"""``gmp-twin run``: everything in one process, one shared plant or a classroom of team plants."""

from __future__ import annotations

import asyncio

from gmp_twin.classroom import run_classroom
from gmp_twin.roles import run_shared_plant
from gmp_twin.run_lock import hold_run_lock
from gmp_twin.settings import Settings
from gmp_twin.team_plants import team_plants


async def run_all(settings: Settings, stop: asyncio.Event, with_twin: bool = True, banner: str = "") -> None:
    """Twin(s), bridge, historian writer and HTTP in one process, until ``stop`` is set.

    With teams (``--teams N`` or the plant file's ``teams:``) one plant per team
    (:mod:`gmp_twin.classroom`), else one plant (:func:`gmp_twin.roles.run_shared_plant`).
    ``banner`` is printed once the start-up checks passed (production mode may refuse to start).
    Holds the run lock (``settings.run_lock``) while it runs: ``gmp-twin reset`` refuses meanwhile.
    """
    with hold_run_lock(settings.run_lock):
        teams = team_plants(settings, with_twin)
        if teams:
            await run_classroom(settings, stop, teams, banner)
        else:
            await run_shared_plant(settings, stop, with_twin, banner)
