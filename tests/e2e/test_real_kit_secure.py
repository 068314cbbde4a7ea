"""Done-when of issue #12: a secure real kit, browsed into a tag map, then ingested with 0 loss over 60 s.

The kit is the node-opcua S7-1500 stand-in (``tests/node_opcua_servers.py``): one endpoint,
Basic256Sha256 SignAndEncrypt, user name and password required, 26 numeric/Boolean variables
each given a new value every 500 ms with that time as SourceTimestamp, every value logged.

1. ``gmp-twin tagmap --browse`` (a real process) writes ``kit.yaml`` (server pinned by its
   thumbprint, password by environment variable name).
2. ``gmp-twin run --no-twin --tagmap kit.yaml`` (a real process, free HTTP port, SQLite
   historian in tmp) ingests it for 60 s.
3. The server freezes its values (no value is published after that), the bridge drains, then stops.

What is compared, per tag: every value the server published from the time of the tag's first
SQLite row (the value current when the bridge subscribed; earlier values were published before
the bridge existed) up to the freeze, against the SQLite rows of that tag: same SourceTimestamps
(ms) and same values, nothing missing, nothing extra. Since the server froze before the bridge
stopped, no value published after the bridge stopped is excused.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from conftest import free_port
from node_opcua_servers import stand_in

from config_schema.tagmap import load_tagmap

GMP_TWIN = str(Path(sys.executable).with_name("gmp-twin"))
RUN_S = 60.0
ENV = "KIT1_OPCUA_PASSWORD"


def _rows(db: Path) -> dict[str, list[tuple[int, float]]]:
    with sqlite3.connect(db) as conn:
        found: dict[str, list[tuple[int, float]]] = {}
        for tag, time_ns, value in conn.execute(
            "SELECT tag, time_ns, value FROM process WHERE site = 'lab' AND unit = 'mps-pa' AND source = 'plc'"
        ):
            found.setdefault(tag, []).append((time_ns // 1_000_000, value))
    return found


def test_browse_then_run_ingests_a_secure_kit_with_zero_loss(tmp_path: Path) -> None:
    with stand_in("s7", tmp_path / "plc") as kit:
        env = {**os.environ, ENV: kit.password, "GMP_TWIN_PKI": str(tmp_path / "pki")}
        kit_yaml = tmp_path / "kit.yaml"
        browse = subprocess.run(
            [GMP_TWIN, "tagmap", "--browse", kit.endpoint, "--security", "Basic256Sha256",
             "--server-trust", f"sha1:{kit.thumbprint}", "--username", kit.user, "--password-env", ENV,
             "--site", "lab", "--out", str(kit_yaml)],
            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert browse.returncode == 0, browse.stderr
        assert "not found: temperature_out, E104_on" in browse.stderr
        tagmap = load_tagmap(kit_yaml)
        assert tagmap.security is not None and tagmap.security.mode == "SignAndEncrypt"
        assert kit.password not in kit_yaml.read_text()
        name_of = {t.node: t.name for t in tagmap.tags}
        assert len(name_of) == 26

        db = tmp_path / "historian.sqlite"
        log = tmp_path / "run.log"
        with log.open("w") as out:
            run = subprocess.Popen(
                [GMP_TWIN, "run", "--no-twin", "--tagmap", str(kit_yaml), "--http-port", str(free_port()),
                 "--historian", f"sqlite:///{db}", "--outbox", str(tmp_path / "outbox.sqlite")],
                env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT, text=True,
            )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while "bridge connected" not in log.read_text():
                assert run.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
            started = time.monotonic()
            time.sleep(RUN_S)
            published = kit.freeze()
            frozen_at = time.monotonic()
            # Drain: wait until every value published before the freeze is in SQLite (bounded).
            expected: dict[str, set[tuple[int, float]]] = {}
            while True:
                rows = _rows(db) if db.exists() else {}
                for node, values in published.items():
                    first = min((ms for ms, _ in rows.get(name_of[node], [])), default=None)
                    expected[name_of[node]] = {(ms, v) for ms, v in values if first is not None and ms >= first}
                missing = {tag: want - set(rows.get(tag, [])) for tag, want in expected.items()}
                if not any(missing.values()) or time.monotonic() - frozen_at > 30:
                    break
                time.sleep(0.5)
        finally:
            run.send_signal(signal.SIGTERM)
            assert run.wait(timeout=60) == 0, log.read_text()[-3000:]
    rows = _rows(db)
    assert set(rows) == set(name_of.values())
    for tag, want in expected.items():
        got = rows[tag]
        assert len(got) == len(set(got)), f"{tag}: duplicated rows"
        assert set(got) == want, f"{tag}: missing {sorted(want - set(got))[:5]}, extra {sorted(set(got) - want)[:5]}"
        assert len(want) >= RUN_S * 2 * 0.9, f"{tag}: only {len(want)} values compared"  # 2 values/s
    total_published = sum(len(v) for v in published.values())
    total_rows = sum(len(v) for v in rows.values())
    print(
        f"\nsecure kit: {total_published} values published by the server (26 tags, 2/s each), "
        f"{sum(len(w) for w in expected.values())} of them after each tag's first row, "
        f"{total_rows} rows in SQLite, 0 missing; ingest ran {frozen_at - started:.1f} s before the freeze"
    )
