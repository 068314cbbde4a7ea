"""Backend-independent checks of the :class:`historian.base.Historian` contract.

Each ``test_historian_<backend>.py`` runs these against an opened historian, so the three
backends are held to the same behaviour.
"""

from __future__ import annotations

import math

from historian import Historian, Point, SeriesKey

T0 = 1_700_000_000_000_000_000  # 2023-11-14, ns
SEC = 1_000_000_000


def process(
    unit: str, tag: str, t: int, value: float, status: int = 0, site: str = "pilot", source: str = "sim"
) -> Point:
    return Point(
        "process",
        {"site": site, "unit": unit, "tag": tag, "source": source},
        {"value": value, "status": status},
        t,
    )


async def check_roundtrip(h: Historian) -> None:
    points = [
        process(unit, tag, T0 + i * SEC, 100 * u + 10 * k + i * 0.5, status=i % 3)
        for u, unit in enumerate(("TK1", "TK2"))
        for k, tag in enumerate(("LT101", "TT102", "FT103"))
        for i in range(50)
    ]
    await h.write(points)

    latest = await h.latest()
    assert len(latest) == 6
    sample = latest[SeriesKey("pilot", "TK2", "TT102", "sim")]
    assert sample.time_ns == T0 + 49 * SEC
    assert sample.value == 100 + 10 + 49 * 0.5
    assert sample.status == 49 % 3
    assert set(await h.latest(unit="TK1")) == {SeriesKey("pilot", "TK1", t, "sim") for t in ("LT101", "TT102", "FT103")}
    assert await h.latest(site="elsewhere") == {}

    # [start, stop): samples 10..19 of two tags, raw (fewer than max_points).
    result = await h.query_range("TK1", ["LT101", "FT103", "missing"], T0 + 10 * SEC, T0 + 20 * SEC)
    assert set(result.series) == {"LT101", "FT103"}
    lt = result.series["LT101"]
    assert [s.time_ns for s in lt] == [T0 + i * SEC for i in range(10, 20)]
    assert [s.value for s in lt] == [i * 0.5 for i in range(10, 20)]
    assert [s.status for s in lt] == [i % 3 for i in range(10, 20)]
    assert [s.value for s in result.series["FT103"]] == [20 + i * 0.5 for i in range(10, 20)]
    assert (await h.query_range("TK1", ["LT101"], T0, T0 + 100 * SEC, site="elsewhere")).series == {}


async def check_downsampling(h: Historian) -> None:
    n, max_points = 10_000, 100
    step = SEC // 100  # 100 Hz
    await h.write([process("R1", "TT1", T0 + i * step, float(i), status=i % 7) for i in range(n)])
    await h.write([process("R1", "TT2", T0 + i * step, 1.0) for i in range(50)])
    start, stop = T0, T0 + n * step
    result = await h.query_range("R1", ["TT1", "TT2"], start, stop, max_points=max_points)
    samples = result.series["TT1"]
    assert 0 < len(samples) <= max_points
    width = (stop - start) // max_points  # 100 raw samples per bucket here
    assert len(samples) == max_points
    for k, s in enumerate(samples):
        assert s.time_ns == start + k * width
        assert math.isclose(s.value, k * 100 + 49.5)  # mean of 100k .. 100k+99
        assert s.status == 6
    assert len(result.series["TT2"]) == 50  # few raw samples: not downsampled

    # A window narrower than the data: buckets start at start_ns, not at the data.
    start2 = T0 + 1234 * step + 7
    result = await h.query_range("R1", ["TT1"], start2, start2 + 1000 * step, max_points=10)
    samples = result.series["TT1"]
    assert len(samples) == 10
    assert samples[0].time_ns == start2
    assert math.isclose(samples[0].value, sum(range(1235, 1335)) / 100)


async def check_idempotent(h: Historian) -> None:
    points = [process("I1", "PT1", T0 + i * SEC, float(i)) for i in range(20)]
    await h.write(points)
    await h.write(points)
    await h.write(points[5:10])
    result = await h.query_range("I1", ["PT1"], T0, T0 + 100 * SEC)
    assert [s.value for s in result.series["PT1"]] == [float(i) for i in range(20)]
    # Same identity, new value: replaced, not added.
    await h.write([process("I1", "PT1", T0 + 3 * SEC, 42.0)])
    result = await h.query_range("I1", ["PT1"], T0, T0 + 100 * SEC)
    assert len(result.series["PT1"]) == 20
    assert result.series["PT1"][3].value == 42.0
    events = [Point("event", {"unit": "I1", "kind": "batch_start"}, {"message": "b1"}, T0)] * 2
    await h.write(events)
    await h.write(events)
    assert len(await h.events(T0, T0 + SEC)) == 1


async def check_events(h: Historian) -> None:
    e1 = Point(
        "event",
        {"site": "pilot", "unit": "TK1", "kind": "fault_injected"},
        {"message": 'valve "XV-1" stuck, 50 %', "severity": 2, "ramp_s": 1.5, "active": True},
        T0 + 1 * SEC,
    )
    e2 = Point("event", {"site": "pilot", "unit": "TK2", "kind": "alarm_raised"}, {"message": "high"}, T0 + 2 * SEC)
    e3 = Point("event", {"site": "pilot", "unit": "TK1", "kind": "alarm_raised"}, {"message": "x\\y"}, T0 + 3 * SEC)
    kpi = Point("oee", {"site": "pilot", "unit": "TK1"}, {"oee": 0.8}, T0 + 2 * SEC)
    await h.write([e3, kpi, e1, e2])

    assert await h.events(T0, T0 + 10 * SEC) == [e1, e2, e3]
    got = (await h.events(T0, T0 + 10 * SEC))[0]
    assert type(got.fields["severity"]) is int
    assert type(got.fields["ramp_s"]) is float
    assert got.fields["active"] is True
    assert await h.events(T0, T0 + 10 * SEC, unit="TK1") == [e1, e3]
    assert await h.events(T0, T0 + 10 * SEC, kinds=["alarm_raised"]) == [e2, e3]
    assert await h.events(T0, T0 + 10 * SEC, unit="TK1", kinds=["alarm_raised", "x"]) == [e3]
    assert await h.events(T0, T0 + 10 * SEC, kinds=[]) == []
    assert await h.events(T0, T0 + 10 * SEC, limit=2) == [e1, e2]
    assert await h.events(T0 + 2 * SEC, T0 + 3 * SEC) == [e2]


async def check_odd_names(h: Historian) -> None:
    """Spaces, commas, equals signs and quotes survive the trip (line-protocol escaping)."""
    unit, tag = 'TK 1,a="b"', "T=1 ,x\\y"
    await h.write([process(unit, tag, T0, 1.25, site="site 'one'")])
    latest = await h.latest(unit=unit)
    assert latest == {SeriesKey("site 'one'", unit, tag, "sim"): latest[SeriesKey("site 'one'", unit, tag, "sim")]}
    assert (await h.query_range(unit, [tag], T0, T0 + 1, site="site 'one'")).series[tag][0].value == 1.25
    e = Point("event", {"unit": unit, "kind": "note"}, {"message": 'multi\nline "quoted" \\ text'}, T0)
    await h.write([e])
    assert await h.events(T0, T0 + 1, unit=unit) == [e]


async def check_raw_range(h: Historian) -> None:
    """Every sample of one tag, never downsampled, as columns; a missing value is NaN."""
    bad = 0x808C0000  # BadSensorFailure
    points = [process("R1", "FT1", T0 + i * SEC, i * 0.25, status=i % 2) for i in range(3000)]
    points[7] = process("R1", "FT1", T0 + 7 * SEC, math.nan, status=bad)
    await h.write([*points, process("R1", "FT2", T0, 9.0), process("R2", "FT1", T0, 9.0)])
    raw = await h.raw_range("R1", "FT1", T0 + 5 * SEC, T0 + 2505 * SEC)
    assert len(raw) == 2500
    assert raw.time_ns.tolist() == [T0 + i * SEC for i in range(5, 2505)]
    values = raw.value.tolist()
    assert math.isnan(values[2]) and raw.status[2] == bad
    assert values[:2] + values[3:] == [i * 0.25 for i in range(5, 2505) if i != 7]
    assert raw.status[3:].tolist() == [i % 2 for i in range(8, 2505)]
    assert len(await h.raw_range("R1", "FT1", T0 + 5 * SEC, T0 + 5 * SEC)) == 0
    assert len(await h.raw_range("R1", "missing", T0, T0 + 10 * SEC)) == 0
    assert len(await h.raw_range("R1", "FT1", T0, T0 + 10 * SEC, site="elsewhere")) == 0


async def check_source_filter(h: Historian) -> None:
    """A twin in shadow beside a kit: one tag, two sources; ``source=`` reads each alone.

    The plant (``plc``) reads 10 + i, the twin (``sim``) 20 + i, every second, the twin's
    stamps half a second later; a third source exists only for another tag.
    """
    plc = [process("S1", "LT1", T0 + i * SEC, 10.0 + i, status=1, source="plc") for i in range(40)]
    sim = [process("S1", "LT1", T0 + i * SEC + SEC // 2, 20.0 + i, source="sim") for i in range(40)]
    other = [process("S1", "FT1", T0, 5.0, source="lab")]
    await h.write([*plc, *sim, *other])

    for source, first, offset in (("plc", 10.0, 0), ("sim", 20.0, SEC // 2)):
        got = (await h.query_range("S1", ["LT1", "FT1"], T0, T0 + 40 * SEC, source=source)).series
        assert set(got) == {"LT1"}, source
        assert [s.time_ns for s in got["LT1"]] == [T0 + i * SEC + offset for i in range(40)], source
        assert [s.value for s in got["LT1"]] == [first + i for i in range(40)], source
        # Downsampled (4 buckets of 10 s): each source's mean, never the two merged.
        buckets = (await h.query_range("S1", ["LT1"], T0, T0 + 40 * SEC, max_points=4, source=source)).series
        assert [s.value for s in buckets["LT1"]] == [first + 4.5 + 10 * k for k in range(4)], source
        raw = await h.raw_range("S1", "LT1", T0, T0 + 40 * SEC, source=source)
        assert raw.value.tolist() == [first + i for i in range(40)], source
    both = (await h.query_range("S1", ["LT1"], T0, T0 + 40 * SEC, max_points=1000)).series["LT1"]
    assert len(both) == 80  # no source: every source's samples, as before
    assert (await h.query_range("S1", ["LT1"], T0, T0 + 40 * SEC, source="nope")).series == {}
    assert (await h.query_range("S1", ["FT1"], T0, T0 + SEC, site="pilot", source="lab")).series["FT1"][0].value == 5

    assert set(await h.latest(unit="S1")) == {
        SeriesKey("pilot", "S1", "LT1", "plc"),
        SeriesKey("pilot", "S1", "LT1", "sim"),
        SeriesKey("pilot", "S1", "FT1", "lab"),
    }
    latest = await h.latest(unit="S1", source="plc")
    assert latest == {SeriesKey("pilot", "S1", "LT1", "plc"): latest[SeriesKey("pilot", "S1", "LT1", "plc")]}
    assert latest[SeriesKey("pilot", "S1", "LT1", "plc")].value == 49.0
    assert [s.value for s in (await h.latest(site="pilot", unit="S1", source="sim")).values()] == [59.0]
    assert await h.latest(source="nope") == {}


#: Every check above; each backend's tests run them all on a fresh historian.
CONTRACT = [
    check_roundtrip,
    check_downsampling,
    check_idempotent,
    check_events,
    check_odd_names,
    check_raw_range,
    check_source_filter,
]
