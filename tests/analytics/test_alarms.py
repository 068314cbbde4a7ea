"""ISA-18.2-lite alarms: state machine, shelving with expiry, KPIs, historian events."""

from __future__ import annotations

import dataclasses

import pytest

from analytics.alarms import (
    NS_PER_S,
    AlarmError,
    AlarmEvent,
    AlarmManager,
    AlarmState,
    Priority,
    TransitionKind,
    alarm_kpis,
)

A = "LT101.LO"


@pytest.fixture
def mgr() -> AlarmManager:
    m = AlarmManager(site="lab")
    m.define(A, unit="tank", tag="LT101", priority="medium", message="Tank level low")
    return m


def kinds(events: list[AlarmEvent]) -> list[str]:
    return [str(e.kind) for e in events]


def test_raise_ack_clear(mgr: AlarmManager) -> None:
    assert kinds(mgr.raise_(A, 1)) == ["raised"]
    assert mgr.state(A) is AlarmState.UNACK_ACTIVE
    assert mgr.raise_(A, 2) == []  # already active: nothing happens
    ev = mgr.acknowledge(A, 3, user="bob")
    assert kinds(ev) == ["acknowledged"] and ev[0].user == "bob"
    assert mgr.state(A) is AlarmState.ACK_ACTIVE
    assert mgr.acknowledge(A, 4, user="bob") == []
    assert kinds(mgr.clear(A, 5)) == ["cleared"]
    assert mgr.state(A) is AlarmState.NORMAL
    assert mgr.clear(A, 6) == []


def test_return_to_normal_unacknowledged(mgr: AlarmManager) -> None:
    mgr.raise_(A, 1)
    mgr.clear(A, 2)
    assert mgr.state(A) is AlarmState.UNACK_RTN
    assert [a.alarm_id for a in mgr.annunciated()] == [A]  # still shown until acknowledged
    mgr.raise_(A, 3)  # comes back before anyone acknowledged
    assert mgr.state(A) is AlarmState.UNACK_ACTIVE
    mgr.clear(A, 4)
    mgr.acknowledge(A, 5, user="ann")
    assert mgr.state(A) is AlarmState.NORMAL and mgr.annunciated() == []


def test_every_transition_is_a_frozen_event_record(mgr: AlarmManager) -> None:
    mgr.raise_(A, 10)
    mgr.acknowledge(A, 20, user="u")
    mgr.clear(A, 30)
    evs = mgr.drain()
    assert [e.time_ns for e in evs] == [10, 20, 30]
    assert [str(e.state) for e in evs] == ["unack_active", "ack_active", "normal"]
    assert all(e.unit == "tank" and e.tag == "LT101" and e.priority is Priority.MEDIUM for e in evs)
    assert mgr.events == []
    with pytest.raises(dataclasses.FrozenInstanceError):
        evs[0].user = "mallory"  # type: ignore[misc]
    p = evs[1].to_point("lab")
    assert p.measurement == "event" and p.time_ns == 20
    assert dict(p.tags) == {"site": "lab", "unit": "tank", "kind": "alarm_acknowledged"}
    assert p.fields["user"] == "u" and p.fields["message"] == "Tank level low"


def test_shelve_hides_and_expires(mgr: AlarmManager) -> None:
    mgr.raise_(A, 0)
    assert kinds(mgr.shelve(A, 1 * NS_PER_S, user="op", duration_s=60)) == ["shelved"]
    assert mgr.state(A) is AlarmState.SHELVED and mgr.annunciated() == []
    # Condition changes while shelved are recorded, flagged as shelved.
    ev = mgr.clear(A, 10 * NS_PER_S) + mgr.raise_(A, 20 * NS_PER_S)
    assert kinds(ev) == ["cleared", "raised"] and all(e.shelved for e in ev)
    assert mgr.state(A) is AlarmState.SHELVED
    # The next call after the expiry applies it first; the active alarm is annunciated again.
    ev = mgr.tick(61 * NS_PER_S)
    assert kinds(ev) == ["shelve_expired"] and ev[0].state is AlarmState.UNACK_ACTIVE
    assert mgr.tick(62 * NS_PER_S) == []


def test_unshelve_when_inactive_returns_to_normal(mgr: AlarmManager) -> None:
    mgr.shelve(A, 0, user="op", duration_s=600)
    assert kinds(mgr.unshelve(A, 5, user="op")) == ["unshelved"]
    assert mgr.state(A) is AlarmState.NORMAL
    assert mgr.unshelve(A, 6, user="op") == []


def test_bad_actions_are_errors(mgr: AlarmManager) -> None:
    with pytest.raises(AlarmError, match="unknown alarm 'NOPE'"):
        mgr.raise_("NOPE", 0)
    with pytest.raises(AlarmError, match="duration"):
        mgr.shelve(A, 0, user="op", duration_s=0)
    with pytest.raises(AlarmError, match="duration"):
        mgr.shelve(A, 0, user="op", duration_s=9 * 3600)
    with pytest.raises(AlarmError, match="already defined"):
        mgr.define(A, unit="tank", tag="LT101")
    with pytest.raises(AlarmError, match="priority"):
        mgr.define("X", unit="u", tag="t", priority="urgent")


def test_annunciated_order_is_priority_first() -> None:
    m = AlarmManager()
    for i, p in enumerate(("low", "high", "medium")):
        m.define(f"A{i}", unit="u", tag="t", priority=p)
        m.raise_(f"A{i}", i)
    assert [a.priority.value for a in m.annunciated()] == ["high", "medium", "low"]


def test_kpis_rate_flood_and_split() -> None:
    m = AlarmManager()
    for p in Priority:
        m.define(p.value, unit="u", tag="t", priority=p)
    t = 0
    # 8 low, 1 medium, 1 high raised once per minute: 10 in 10 min, not a flood.
    for i, name in enumerate(["low"] * 8 + ["medium", "high"]):
        t = i * 60 * NS_PER_S
        m.raise_(name, t)
        m.clear(name, t + 1)
    k = m.kpis(0, 600 * NS_PER_S)
    assert (k.alarms, k.per_10_min, k.flood) == (10, 10.0, False)
    assert k.priority_split == {"low": 0.8, "medium": 0.1, "high": 0.1}
    # One more within the same 10 minutes: 11 > 10 is a flood.
    m.raise_("low", 599 * NS_PER_S)
    k = m.kpis(0, 600 * NS_PER_S)
    assert k.flood and k.flood_periods == [(0, 599 * NS_PER_S, 11)] and k.benchmark == "flood"
    # Over one hour the same 11 alarms are ~1.8 per 10 min: manageable, but the flood stays.
    k = m.kpis(0, 3600 * NS_PER_S)
    assert k.per_10_min == pytest.approx(11 / 6) and k.max_in_10_min == 11


def test_shelved_raises_do_not_count_in_kpis(mgr: AlarmManager) -> None:
    mgr.shelve(A, 0, user="op", duration_s=3600)
    for i in range(20):
        mgr.raise_(A, 2 * i * NS_PER_S + 1)
        mgr.clear(A, (2 * i + 1) * NS_PER_S)
    k = alarm_kpis(mgr.events, 0, 600 * NS_PER_S)
    assert k.alarms == 0 and not k.flood and k.benchmark == "acceptable"
    assert sum(e.kind is TransitionKind.RAISED for e in mgr.events) == 20
