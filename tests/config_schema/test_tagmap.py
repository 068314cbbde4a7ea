"""Tag map validation: every error names the file, the line and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from config_schema.files import ConfigError
from config_schema.tagmap import load_tagmap

REPO = Path(__file__).resolve().parents[2]

GOOD = """\
endpoint: opc.tcp://127.0.0.1:4840
site: lab
unit: mps-pa
namespace_uri: urn:gmp-twin:plant
tags:
  - name: B101_level
    node: ns=2;s=mps-pa.B101_level
    unit: cm
  - name: B102_flow
    node: ns=2;s=mps-pa.B102_flow
    unit: l/min
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "map.yaml"
    path.write_text(text)
    return path


def test_good_map_loads(tmp_path: Path) -> None:
    tm = load_tagmap(write(tmp_path, GOOD))
    assert [t.name for t in tm.tags] == ["B101_level", "B102_flow"]
    assert tm.allow_writes is False  # never write to a PLC unless asked


def test_unknown_key_names_file_line_and_allowed_keys(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("    unit: l/min\n", "    unit: l/min\n    scale: 2\n"))
    with pytest.raises(ConfigError) as err:
        load_tagmap(path)
    msg = str(err.value)
    assert f"{path}:12" in msg
    assert "'scale': unknown key" in msg
    assert "allowed keys: name, node, unit" in msg


def test_unknown_top_level_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"map.yaml:1: 'endpiont': unknown key \(allowed keys: endpoint"):
        load_tagmap(write(tmp_path, "endpiont: x\n" + GOOD))


def test_malformed_node_id_names_line_and_forms(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("ns=2;s=mps-pa.B102_flow", "ns=two;s=flow"))
    with pytest.raises(ConfigError) as err:
        load_tagmap(path)
    msg = str(err.value)
    assert f"{path}:10" in msg and "tags[1].node" in msg
    assert "malformed node id 'ns=two;s=flow'" in msg
    assert 'ns=3;s="DB_PA"."B101_Level"' in msg  # shows the valid forms


def test_duplicate_tag_names_both_places(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("name: B102_flow", "name: B101_level"))
    with pytest.raises(ConfigError) as err:
        load_tagmap(path)
    msg = str(err.value)
    assert "duplicate tag name 'B101_level' at tags[1]" in msg
    assert "first defined on line 6" in msg


def test_yaml_syntax_error_has_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"map.yaml:\d+: not valid YAML"):
        load_tagmap(write(tmp_path, "endpoint: x\ntags:\n  - name: [unclosed\n"))


def test_missing_file_is_clear(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_tagmap(tmp_path / "nope.yaml")


@pytest.mark.parametrize("name", ["mps-pa-sim.yaml", "mps-pa-s7-1500.example.yaml", "mps-pa-codesys.example.yaml"])
def test_shipped_tagmaps_validate(name: str) -> None:
    tm = load_tagmap(REPO / "config" / "tagmaps" / name)
    assert tm.tags


def test_sim_tagmap_matches_the_model() -> None:
    from config_schema.tagmap import tagmap_for_unit
    from models.mps_pa import MpsPaStation
    from twin.opcua_server import NAMESPACE_URI

    shipped = load_tagmap(REPO / "config" / "tagmaps" / "mps-pa-sim.yaml")
    generated = tagmap_for_unit(
        "mps-pa",
        MpsPaStation().tag_specs(),
        unit_type="mps_pa",
        endpoint=shipped.endpoint,
        site=shipped.site,
        namespace_uri=NAMESPACE_URI,
    )
    assert shipped == generated, "regenerate with: gmp-twin tagmap --unit mps-pa > config/tagmaps/mps-pa-sim.yaml"


def test_real_kit_examples_use_the_sim_tag_names() -> None:
    sim = {t.name for t in load_tagmap(REPO / "config" / "tagmaps" / "mps-pa-sim.yaml").tags}
    for name in ("mps-pa-s7-1500.example.yaml", "mps-pa-codesys.example.yaml"):
        real = load_tagmap(REPO / "config" / "tagmaps" / name)
        assert real.source == "plc" and real.allow_writes is False
        assert {t.name for t in real.tags} <= sim
