"""Where each team plant of a classroom lives: its name, seed, OPC UA port, site and run id.

:func:`team_plants` reads the settings and the plant file's ``teams:`` block; both
:mod:`gmp_twin.roles` (one team's twin server) and :mod:`gmp_twin.classroom` (all of them) use it.
"""

from __future__ import annotations

from dataclasses import dataclass

from config_schema.files import ConfigError
from gmp_twin.settings import Settings
from twin.faults.service import new_run_id
from twin.plant import load_plant, team_names


@dataclass(frozen=True)
class TeamPlant:
    """Where one team's plant lives.

    >>> team = TeamPlant("team-2", 1, "run-1", seed=0, port=4841, site="lab-team-2")
    >>> team.run_id, team.namespace_uri
    ('run-1-team-2', 'urn:gmp-twin:team-2')
    """

    name: str
    index: int
    class_run: str
    seed: int
    port: int
    site: str

    @property
    def run_id(self) -> str:
        """The team plant's run id in the historian (``<class run>-<team>``)."""
        return f"{self.class_run}-{self.name}"

    @property
    def namespace_uri(self) -> str:
        """The namespace of its OPC UA server."""
        return f"urn:gmp-twin:{self.name}"


def team_plants(settings: Settings, with_twin: bool = True) -> list[TeamPlant]:
    """The team plants to run (``[]``: one shared plant, ``gmp-twin run`` as before).

    ``settings.teams`` (``--teams``) overrides the plant file's ``teams:`` count; its ``seed:
    per-team`` gives team k the seed ``seed + k``, else every team has the run's seed.
    """
    if not with_twin or settings.tagmap or settings.opcua_endpoint:
        # A real kit (or another twin): no plant file is read, so only an explicit --teams is wrong.
        if not settings.teams:
            return []
        if not with_twin:
            raise ConfigError(f"{settings.teams} teams need the simulation: --teams without --no-twin")
        raise ConfigError(
            f"{settings.teams} teams read their own simulated plants: leave out --tagmap and --opcua-endpoint "
            "(or run without --teams to bridge other servers)"
        )
    plant = load_plant(settings.plant)
    names = team_names(plant, settings.teams)
    if not names:
        return []
    count = len(names)
    if settings.opcua_port + count - 1 > 65535:
        raise ConfigError(f"{count} teams need OPC UA ports {settings.opcua_port}..{settings.opcua_port + count - 1}")
    per_team = plant.teams is not None and plant.teams.seed == "per-team"
    class_run = settings.run_id or new_run_id()
    return [
        TeamPlant(
            name,
            k,
            class_run,
            seed=settings.seed + k if per_team else settings.seed,
            port=settings.opcua_port + k,
            site=f"{plant.site}-{name}",
        )
        for k, name in enumerate(names)
    ]
