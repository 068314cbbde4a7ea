"""Browse-to-tag-map against real servers: the twin's own (asyncua) and node-opcua S7/CODESYS stand-ins."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from conftest import free_port, serving
from node_opcua_servers import CODESYS_DEVICE, CODESYS_URI, S7_URI, StandIn, stand_in

from config_schema.tagmap import TagMap, TagMapIdentity, TagMapSecurity, load_tagmap
from historian import open_historian
from historian.outbox import Outbox
from models.mps_pa import MpsPaStation
from pki.store import Pki
from plc_bridge.bridge import Bridge
from plc_bridge.browse import Browsed, browse_tagmap
from plc_bridge.festo_names import KIT_SIGNALS
from twin.opcua_server import NAMESPACE_URI
from twin.runtime import TwinRuntime

ENV = "KIT_OPCUA_PASSWORD"


async def _browse(server: StandIn, tmp_path: Path, mode: str = "SignAndEncrypt", root: str | None = None) -> Browsed:
    return await browse_tagmap(
        server.endpoint,
        site="lab",
        unit="mps-pa",
        root=root,
        security=TagMapSecurity(policy="Basic256Sha256", mode=mode, server_trust=f"sha1:{server.thumbprint}"),
        identity=TagMapIdentity(kind="username", username=server.user, password_env=ENV),
        pki=Pki(tmp_path / "pki"),
    )


def _reloaded(browsed: Browsed, tmp_path: Path) -> TagMap:
    """The map as written to disk and loaded back (the file the bridge reads)."""
    path = tmp_path / "kit.yaml"
    path.write_text(browsed.to_yaml())
    return load_tagmap(path)


async def test_the_twins_own_server_browses_back_to_its_tag_map(tmp_path: Path) -> None:
    port = free_port()
    async with serving(TwinRuntime({"mps-pa": MpsPaStation()}, seed=1), port) as endpoint:
        browsed = await browse_tagmap(endpoint, site="lab", unit="mps-pa", root="ns=2;s=mps-pa")
    tm = _reloaded(browsed, tmp_path)
    specs = {s.name: s for s in MpsPaStation().tag_specs()}
    assert {t.name for t in tm.tags} == set(specs)  # one tag per variable, Festo names kept
    assert browsed.festo.missing == [] and list(browsed.festo.matched) == list(KIT_SIGNALS)
    assert tm.namespace_uri == NAMESPACE_URI and tm.security is None and tm.identity is None
    by = tm.by_name()
    assert by["B101_level"].node == "ns=2;s=mps-pa.B101_level"
    assert (by["B101_level"].unit, by["B101_level"].lo, by["B101_level"].hi) == ("cm", specs["B101_level"].lo, 30.0)
    assert by["B101_level"].data_type == "Double" and by["B101_level"].access == "read"
    assert by["level_sp"].access == "readwrite" and by["level_mode"].data_type == "Boolean"
    assert tm.allow_writes is False


async def test_s7_stand_in_quoted_ids_eu_properties_access_and_unmatched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with stand_in("s7", tmp_path / "plc") as server:
        monkeypatch.setenv(ENV, server.password)
        browsed = await _browse(server, tmp_path)
    tm = _reloaded(browsed, tmp_path)
    by = tm.by_name()
    assert by["B101_level"].node == 'ns=3;s="DB_Process"."B101_Level"'
    assert by["flow_sp"].node == 'ns=3;s="DB_Control"."Flow_Setpoint"'  # "Setpoint" spelled out
    assert (by["B102_flow"].unit, by["B102_flow"].lo, by["B102_flow"].hi) == ("l/min", 0.0, 10.0)
    assert (by["level_sp"].hi, by["level_sp"].access) == (28.0, "readwrite")  # the server's EURange, not 30
    assert (by["B101_level"].access, by["P101_speed"].data_type) == ("read", "Float")
    assert by["Heartbeat"].kind == "measurement" and by["Heartbeat"].data_type == "Int32"  # kept, own name
    assert browsed.festo.missing == ["temperature_out", "E104_on"]
    assert [v.browse_name for v, _ in browsed.skipped] == ["Recipe_Name"]
    assert tm.namespace_uri == S7_URI and tm.unit_type == "mps_pa" and tm.source == "plc"
    assert tm.security is not None and tm.security.pinned_thumbprint == server.thumbprint
    text = (tmp_path / "kit.yaml").read_text()
    assert f"password_env: {ENV}" in text and server.password not in text
    assert "# not found: temperature_out, E104_on" in text


async def test_codesys_stand_in_symbol_paths_sign_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with stand_in("codesys", tmp_path / "plc", mode="Sign") as server:
        monkeypatch.setenv(ENV, server.password)
        browsed = await _browse(server, tmp_path, mode="Sign")
    tm = _reloaded(browsed, tmp_path)
    by = tm.by_name()
    gvl = f"ns=4;s=|var|{CODESYS_DEVICE}.Application.GVL"
    assert by["S111_overflow"].node == f"{gvl}.S111"  # the device code alone
    assert by["level_sp"].node == f"{gvl}.LevelSetpoint" and by["level_mode"].node == f"{gvl}.LevelMode"
    # No EURange on CODESYS variables: the Festo defaults, said so in the file's header.
    assert (by["B103_pressure"].unit, by["B103_pressure"].hi) == ("mbar", 400.0)
    assert tm.namespace_uri == CODESYS_URI
    assert "B113_min" in browsed.festo.missing and "iCycleCount" in by


async def test_root_limits_the_walk_and_a_wrong_root_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with stand_in("s7", tmp_path / "plc") as server:
        monkeypatch.setenv(ENV, server.password)
        browsed = await _browse(server, tmp_path, root='ns=3;s="DB_Control"')
        with pytest.raises(ValueError, match=r'--root ns=3;s="DB_Nope".*BadNodeIdUnknown'):
            await _browse(server, tmp_path, root='ns=3;s="DB_Nope"')
    assert all(t.node.startswith('ns=3;s="DB_Control".') for t in browsed.tagmap.tags)
    assert "B101_level" in browsed.festo.missing and "level_sp" in browsed.festo.matched
    assert yaml.safe_load(browsed.to_yaml())["tags"][0]["name"] == "level_sp"


async def test_codesys_stand_in_browsed_map_ingests_every_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The browsed map feeds the real bridge: every value published after a tag's first row reaches SQLite."""
    with stand_in("codesys", tmp_path / "plc", period_ms=250) as server:
        monkeypatch.setenv(ENV, server.password)
        tm = _reloaded(await _browse(server, tmp_path), tmp_path)
        async with open_historian(f"sqlite:///{tmp_path}/h.sqlite") as historian:
            outbox = Outbox(tmp_path / "outbox.sqlite")
            bridge = Bridge(tm, outbox, pki=Pki(tmp_path / "pki"))
            stop = asyncio.Event()
            tasks = [asyncio.create_task(bridge.run(stop)), asyncio.create_task(outbox.run_writer(historian, stop))]
            await _until(lambda: outbox.stats()["written_total"] >= 13 * 20, "20 values per tag")
            published = server.freeze()
            by_node = {t.node: t.name for t in tm.tags}

            async def compared() -> dict[str, tuple[set[tuple[int, float]], set[tuple[int, float]]]]:
                """(rows, published values from the tag's first row on) per tag."""
                names = list(by_node.values())
                series = (await historian.query_range("mps-pa", names, 0, time.time_ns() + 10**12, 10**5, "lab")).series
                out = {}
                for node, values in published.items():
                    got = {(s.time_ns // 1_000_000, s.value) for s in series.get(by_node[node], [])}
                    first = min((ms for ms, _ in got), default=2**62)
                    out[by_node[node]] = (got, {(ms, float(v)) for ms, v in values if ms >= first})
                return out

            deadline = time.monotonic() + 30  # the last values drain: server publish, bridge flush, writer
            result = await compared()
            while any(want - got for got, want in result.values()):
                assert time.monotonic() < deadline, "values published before the freeze never reached SQLite"
                await asyncio.sleep(0.2)
                result = await compared()
            stop.set()
            await asyncio.gather(*tasks)
            outbox.close()
    for tag, (got, want) in result.items():
        assert got == want and len(want) >= 15, tag


async def _until(predicate: Callable[[], bool], what: str, limit_s: float = 60.0) -> None:
    deadline = time.monotonic() + limit_s
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)
