"""CSV and JSON-lines export, through the function and ``gmp-twin audit export``."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from audit import Actor, AuditTrail, Signature
from audit.export import export
from audit.record import GENESIS
from gmp_twin.cli import main

ALICE = Actor("alice", "instructor", "dash", "127.0.0.1:1")
BOB = Actor("bob", "student", "opcua", "opc.tcp session ns=1;i=12")


@pytest.fixture
def store(tmp_path: Path) -> Path:
    clock = iter(datetime(2026, 12, 5, 8, 0, tzinfo=UTC) + timedelta(hours=i) for i in range(100))
    trail = AuditTrail(tmp_path / "audit.sqlite", wall_clock=lambda: next(clock))
    trail.append(BOB, "tag.write", "mps-pa.level_sp", unit="mps-pa", old=10.0, new=11.0, reason='a "quote", comma')
    trail.append(BOB, "tag.write", "dryer.temp_sp", unit="dryer", old=60, new=65, result="refused", status="403")
    sig = Signature("alice", "Alice Martin", "approved", "2026-12-05T10:00:00Z")
    trail.append(ALICE, "scenario.stop", "scenario:ph", new={"score": [1, 2]}, signature=sig)
    trail.close()
    return trail.path


def test_csv_has_a_header_and_json_columns(store: Path) -> None:
    out = io.StringIO()
    assert export(store, "csv", out) == 3
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [r["seq"] for r in rows] == ["1", "2", "3"]
    assert rows[0]["reason"] == 'a "quote", comma' and json.loads(rows[0]["new"]) == 11.0
    assert rows[0]["old"] == "10.0" and rows[0]["signature"] == "null" and rows[0]["manifestation"] == ""
    assert json.loads(rows[2]["new"]) == {"score": [1, 2]}
    assert json.loads(rows[2]["signature"])["meaning"] == "approved"
    assert rows[2]["manifestation"] == "Alice Martin (alice), 2026-12-05 10:00:00 UTC, approved"
    assert rows[1]["sim_time_s"] == "" and rows[1]["status"] == "403"


def test_jsonl_lines_recheck_the_chain(store: Path) -> None:
    out = io.StringIO()
    assert export(store, "jsonl", out) == 3
    prev = GENESIS
    for line in out.getvalue().splitlines():
        data = json.loads(line)
        digest = data.pop("hash")
        body = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        assert data["prev_hash"] == prev and hashlib.sha256(prev.encode() + body).hexdigest() == digest
        prev = digest


def test_filters(store: Path) -> None:
    def seqs(**filters: object) -> list[int]:
        out = io.StringIO()
        export(store, "jsonl", out, **filters)
        return [json.loads(line)["seq"] for line in out.getvalue().splitlines()]

    assert seqs(user="bob") == [1, 2]
    assert seqs(unit="dryer") == [2]
    assert seqs(since="2026-12-05T09:00:00Z") == [2, 3]
    assert seqs(obj="scenario:", newest_first=True) == [3]
    with pytest.raises(ValueError, match="format"):
        export(store, "xml", io.StringIO())  # type: ignore[arg-type]
    with pytest.raises(FileNotFoundError):
        export(store.with_name("missing.sqlite"), "csv", io.StringIO())
    assert not store.with_name("missing.sqlite").exists()


def test_cli_export(store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / "audit.csv"
    assert main(["audit", "export", "--audit", str(store), "--out", str(out_file), "--user", "bob"]) == 0
    assert "exported 2 record(s)" in capsys.readouterr().err
    assert out_file.read_text(encoding="utf-8").startswith("seq,ts,")
    assert main(["audit", "export", "--format", "jsonl", "--audit", str(store), "--since", "2026-12-05T10:00Z"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(x)["action"] for x in lines] == ["scenario.stop"]
    assert main(["audit", "export", "--audit", str(tmp_path / "none.sqlite")]) == 2
    assert "no audit store" in capsys.readouterr().err
    assert main(["audit", "export", "--audit", str(store), "--since", "last week"]) == 2
    assert "ISO 8601" in capsys.readouterr().err
