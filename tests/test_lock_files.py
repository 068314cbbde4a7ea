"""The lock files pin every dependency of pyproject.toml at a version it allows (``make`` installs from them)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[1]


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==(\S+)", line)
        if match:
            found[canonicalize_name(match.group(1))] = match.group(2)
    return found


def test_lock_files_pin_every_dependency_within_pyproject_s_ranges() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    run, dev = pins(REPO / "requirements.lock"), pins(REPO / "requirements-dev.lock")
    wanted = [(run, r) for r in project["dependencies"]] + [(dev, r) for r in project["optional-dependencies"]["dev"]]
    for locked, text in wanted:
        req = Requirement(text)
        name = canonicalize_name(req.name)
        assert name in locked, f"{req.name} is not in the lock: run `make lock`"
        assert req.specifier.contains(locked[name], prereleases=True), f"{req.name}=={locked[name]} vs {req.specifier}"
    # The dev install is the run install plus the dev tools: the same versions where both pin a package.
    assert {k: v for k, v in dev.items() if k in run} == run
    makefile = (REPO / "Makefile").read_text()
    assert "-r $(LOCK)" in makefile and "-r $(DEV_LOCK)" in makefile
    assert "requirements.lock" in (REPO / "Dockerfile").read_text()
