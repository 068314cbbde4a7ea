"""docker-compose.yml is a valid Compose file, and its services, volumes and mounts fit together.

Docker does not run here, so ``docker compose config`` cannot; the file is parsed and validated
by ``compose-spec`` (Python bindings of the Rust ``compose_spec`` crate, a Compose Specification
parser), after the ``${VAR}`` substitution compose does, with the secrets of ``.env`` set.
What the specification cannot see is checked by hand: every ``depends_on`` names a service,
every named volume is declared, every bind mount exists in the repository.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_compose_roles import SECRETS, interpolate

REPO = Path(__file__).resolve().parents[2]
ENV = {**SECRETS, "GRAFANA_ADMIN_PASSWORD": "grafana-admin-for-tests"}


def compose_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(interpolate((REPO / "docker-compose.yml").read_text(), ENV))
    return data


def test_the_compose_file_is_valid_for_the_compose_specification() -> None:
    spec = pytest.importorskip("compose_spec", reason="compose-spec wheels exist for Linux x86_64 only")
    data = compose_data()
    parsed = spec.PyCompose.from_json(json.dumps(data))
    parsed.validate()
    assert parsed.service_names() == ["influxdb", "twin", "bridge", "dashboard", "grafana"]
    # The check bites: a misspelt key is refused.
    data["services"]["grafana"]["portz"] = data["services"]["grafana"].pop("ports")
    with pytest.raises(ValueError, match="portz"):
        spec.PyCompose.from_json(json.dumps(data)).validate()


def test_services_volumes_and_mounts_fit_together() -> None:
    data = compose_data()
    services, volumes = data["services"], set(data["volumes"])
    for name, svc in services.items():
        for needed in svc.get("depends_on", {}):
            assert needed in services, f"{name} depends on unknown service {needed}"
        for mount in svc.get("volumes", []):
            source = mount.split(":")[0]
            if source.startswith("./"):
                assert (REPO / source).is_dir(), f"{name}: {source} is not in the repository"
            else:
                assert source in volumes, f"{name}: volume {source} is not declared"
    # Grafana reads what `gmp-twin grafana` writes.
    mounts = dict(m.rsplit(":", 2)[:2] for m in services["grafana"]["volumes"])
    assert mounts["./deploy/grafana/provisioning"] == "/etc/grafana/provisioning"
    assert mounts["./deploy/grafana/dashboards"] == "/var/lib/grafana/dashboards/gmp-twin"
    provider = yaml.safe_load((REPO / "deploy/grafana/provisioning/dashboards/gmp-twin.yaml").read_text())
    assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards/gmp-twin"
    datasource = (REPO / "deploy/grafana/provisioning/datasources/gmp-twin.yaml").read_text()
    for var in ("GMP_TWIN_INFLUXDB_ORG", "GMP_TWIN_INFLUXDB_TOKEN"):
        assert f"$__env{{{var}}}" in datasource and var in services["grafana"]["environment"]
    assert "http://influxdb:8086" in datasource
    # The dashboard reaches the twin (instructor functions) through the shared PKI and the bridge's account.
    dash = services["dashboard"]["environment"]
    assert dash["GMP_TWIN_OPCUA_ENDPOINT"] == "opc.tcp://twin:4840" and dash["GMP_TWIN_PKI"] == "/pki"
    assert dash["GMP_TWIN_OPCUA_USERNAME"] == services["bridge"]["environment"]["GMP_TWIN_OPCUA_USERNAME"]
    assert "pki:/pki" in services["dashboard"]["volumes"]
