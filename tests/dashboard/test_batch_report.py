"""Batch reports: batches found in a real simulated history, and the HTTP pages by role.

The history is the real twin runtime stepping a dryer and an autoclave for three simulated
hours (:mod:`batch_plant`), with a hidden exercise (a heater failure on the dryer) played by
the real fault service: its events are the ones the twin writes. Callers are real users of a
real users file, authenticated by their API tokens.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from batch_plant import SITE, Simulated, simulate
from people import People, make_people

from analytics.alarms import AlarmEvent, AlarmState, Priority, TransitionKind
from dashboard.api.app import create_api
from dashboard.autoclave_cycles import find_cycles
from dashboard.report.batches import batch_id, find_batches, phase_table, value_at
from dashboard.report.collect import collect, find_batch
from dashboard.services import Services
from historian import open_historian
from historian.base import Historian, Point

SEC = 1_000_000_000
EPOCH = 1_764_770_400 * SEC  # 2025-12-03 14:00 UTC


@pytest.fixture(scope="module")
def plant(tmp_path_factory: pytest.TempPathFactory) -> Simulated:
    return simulate(tmp_path_factory.mktemp("plant"), EPOCH)


def _unit(sim: Simulated, unit: str) -> dict[str, list[tuple[int, float]]]:
    return {tag: series for (u, tag), series in sim.series.items() if u == unit}


# -- batch detection on real simulated data ------------------------------------------------------
def test_dryer_batches_end_at_the_nir_end_point(plant: Simulated) -> None:
    series = _unit(plant, "dryer-1")
    batches = find_batches("fluid_bed_dryer", series)
    assert len(batches) >= 2
    assert batches[0].start_ns == EPOCH and batches[0].batch_id == "20251203-140000"
    for b in batches:
        if b.end_ns is None:
            continue
        assert b.outcome == "complete"
        # The end-point: the NIR prediction at or below the target when the phase turned complete.
        assert value_at(series["nir_lod"], b.end_ns) <= value_at(series["target_lod_sp"], b.end_ns)
        assert [p for p, _, _ in phase_table(series["phase"], b.start_ns, b.end_ns)] == [1]
    # Batches follow each other: each starts after the previous one ended (a new wet load).
    assert all(a.end_ns is not None and a.end_ns < b.start_ns for a, b in itertools.pairwise(batches))


def test_autoclave_cycles_are_find_cycles(plant: Simulated) -> None:
    series = _unit(plant, "autoclave-1")
    batches = find_batches("autoclave", series)
    cycles = find_cycles(series["phase"], series["f0"], series["cycle_ok"])
    assert [(b.start_ns, b.end_ns, b.outcome, b.f0) for b in batches] == [
        (c.start_ns, c.end_ns, c.outcome, c.f0) for c in cycles
    ]
    done = [b for b in batches if b.end_ns is not None]
    assert len(done) >= 2 and all(b.outcome == "pass" and (b.f0 or 0) > 15 for b in done)
    assert [b.batch_id for b in batches] == [batch_id(b.start_ns) for b in batches]
    phases = [p for p, _, _ in phase_table(series["phase"], done[0].start_ns, done[0].end_ns or 0)]
    assert phases == [1, 2, 3, 4, 5]


async def test_autoclave_bands_are_judged_in_the_hold_only(plant: Simulated, tmp_path: Path) -> None:
    tm = next(tm for tm in plant.tagmaps if tm.unit == "autoclave-1")
    async with open_historian(f"sqlite:///{tmp_path}/h.sqlite") as historian:
        await historian.write(plant.process)
        first = find_batches("autoclave", _unit(plant, "autoclave-1"))[0]
        found = await find_batch(historian, tm, first.batch_id)
        assert found == first
        report = await collect(historian, tm, first, instructor=False)
    hold = sum(b - a for p, a, b in report.phases if p == 3) / SEC
    assert 15 * 60 <= hold <= 30 * 60
    for cpp in report.cpps:
        # Judged exactly over the hold (to a publishing period), not over the heat-up at 20-120 °C.
        assert abs(cpp.excursion.judged_s - hold) <= 20, (cpp.tag.name, cpp.excursion.judged_s, hold)
    assert report.end_values["f0"] == pytest.approx(first.f0)


# -- the HTTP pages -------------------------------------------------------------------------------
@dataclass
class Api:
    client: httpx.AsyncClient
    people: People
    historian: Historian
    sim: Simulated

    def as_(self, name: str) -> dict[str, str]:
        return self.people.bearer(name)


@pytest.fixture
async def api(plant: Simulated, tmp_path: Path) -> AsyncIterator[Api]:
    people = make_people(tmp_path)
    async with open_historian(f"sqlite:///{tmp_path}/h.sqlite") as historian:
        await historian.write(plant.process + plant.events)
        services = Services(
            historian=historian, tagmaps=plant.tagmaps, control=plant.control, gate=people.gate, audit=people.audit
        )
        app = create_api(services)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            yield Api(client, people, historian, plant)
    people.close()


def _faults(page: str) -> list[str]:
    return re.findall(r'data-fault="([^"]+)"', page)


async def test_students_see_hidden_faults_only_once_the_exercise_is_over(api: Api) -> None:
    first = find_batches("fluid_bed_dryer", _unit(api.sim, "dryer-1"))[0]
    url = f"/api/reports/dryer-1?batch={first.batch_id}&lang=fr&tz=UTC"
    # The exercise still runs (its end not stored yet): the student's report leaves the fault out.
    student = await api.client.get(url, headers=api.as_("sam"))
    assert student.status_code == 200, student.text
    assert _faults(student.text) == []
    assert "heater_failure" not in student.text and "F1" not in student.text
    note = "Les pannes cachées d'un exercice n'apparaissent ici qu'une fois l'exercice terminé."
    assert note in html.unescape(student.text)
    teacher = await api.client.get(url, headers=api.as_("ines"))
    assert _faults(teacher.text) == ["F1"]
    assert "heater_failure" in teacher.text and "cachée" in teacher.text
    # The scenario ends: the fault is revealed to students.
    await api.historian.write(api.sim.scenario_end)
    after = await api.client.get(url, headers=api.as_("sam"))
    assert _faults(after.text) == ["F1"]


async def test_report_pages_in_french(api: Api) -> None:
    # An alarm of the live monitoring during the first dryer batch, as it writes it.
    first = find_batches("fluid_bed_dryer", _unit(api.sim, "dryer-1"))[0]
    raised = AlarmEvent(first.start_ns + 600 * SEC, "product-temp", "dryer-1", "product_temperature",
                        TransitionKind.RAISED, Priority.HIGH, "EWMA drift on product_temperature", None,
                        AlarmState.UNACK_ACTIVE, True, False).to_point(SITE)  # fmt: skip
    extra = {"detector": "product-temp", "method": "ewma", "rules": "WE1"}
    await api.historian.write([Point(raised.measurement, raised.tags, {**raised.fields, **extra}, raised.time_ns)])
    url = f"/api/reports/dryer-1?batch={first.batch_id}&lang=fr&tz=UTC"
    dryer_page = html.unescape((await api.client.get(url, headers=api.as_("sam"))).text)
    assert "<td>déclenchée</td>" in dryer_page and "<td>haute</td>" in dryer_page
    assert "Dérive EWMA sur product_temperature : WE1" in dryer_page
    assert "Édité le" in dryer_page and "par Sam Martin" in dryer_page
    listing = await api.client.get("/api/reports?lang=fr&tz=UTC", headers=api.as_("sam"))
    assert listing.status_code == 200 and listing.headers["content-type"].startswith("text/html")
    dryer = find_batches("fluid_bed_dryer", _unit(api.sim, "dryer-1"))
    cycles = find_batches("autoclave", _unit(api.sim, "autoclave-1"))
    for b in dryer + cycles:
        assert f"batch={b.batch_id}" in listing.text
    assert "conforme" in listing.text and "terminé" in listing.text
    cycle = cycles[0]
    page = (
        await api.client.get(f"/api/reports/autoclave-1?batch={cycle.batch_id}&lang=fr&tz=UTC", headers=api.as_("sam"))
    ).text
    assert "Rapport de cycle de stérilisation" in page and f'id="batch-id">{cycle.batch_id}<' in page
    assert f"{cycle.f0:.1f}".replace(".", ",") + " min" in page  # decimal comma
    for phase in ("prévide", "montée en température", "plateau de stérilisation", "détente", "séchage"):
        assert f"<td>{phase}</td>" in page
    assert "14:00:00" in page  # the start, in the asked time zone
    assert 'src="/api/reports/assets/plotly.min.js"' in page and "cdn" not in page.lower()
    english = await api.client.get(f"/api/reports/autoclave-1?batch={cycle.batch_id}&lang=en", headers=api.as_("sam"))
    assert "Sterilisation cycle report" in english.text and "pre-vacuum" in english.text


async def test_report_routes_refuse_and_answer_404(api: Api) -> None:
    assert (await api.client.get("/api/reports")).status_code == 401
    batch = "?batch=20991231-000000"
    assert (await api.client.get(f"/api/reports/dryer-1{batch}", headers=api.as_("sam"))).status_code == 404
    assert (await api.client.get("/api/reports/nope", headers=api.as_("sam"))).status_code == 404
    js = await api.client.get("/api/reports/assets/plotly.min.js", headers=api.as_("sam"))
    assert js.status_code == 200 and len(js.content) > 1_000_000
    assert (await api.client.get("/api/reports/assets/..%2Fx", headers=api.as_("sam"))).status_code == 404
    assert SITE == api.sim.tagmaps[0].site
