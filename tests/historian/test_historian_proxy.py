"""A :class:`historian.proxy.HistorianProxy` keeps the whole contract of the historian it wraps.

The proxy forwards every call (the ``source`` filter included) to a real SQLite historian; the
shared checks of ``historian_contract.py`` run through it unchanged.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from historian_contract import CONTRACT, SEC, T0, process

from historian import Historian
from historian.proxy import HistorianProxy
from historian.sqlite import SqliteHistorian


@pytest.fixture
async def historian(tmp_path: Path) -> AsyncIterator[HistorianProxy]:
    async with HistorianProxy(SqliteHistorian(tmp_path / "h.sqlite")) as h:
        yield h


@pytest.mark.parametrize("check", CONTRACT)
async def test_contract(historian: HistorianProxy, check: Callable[[Historian], Awaitable[None]]) -> None:
    await check(historian)


async def test_source_reaches_the_inner_historian(historian: HistorianProxy) -> None:
    await historian.write([process("P", "T", T0, 1.0, source="plc"), process("P", "T", T0, 2.0, source="sim")])
    assert [s.value for s in (await historian.latest(source="sim")).values()] == [2.0]
    assert (await historian.query_range("P", ["T"], T0, T0 + SEC, source="plc")).series["T"][0].value == 1.0
    assert (await historian.raw_range("P", "T", T0, T0 + SEC, source="sim")).value.tolist() == [2.0]
