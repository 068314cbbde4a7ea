"""The deviation report form without a browser: what it offers, how it reads a start, the report it builds."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from audit import AuditUnavailable
from dashboard import deviation_form as form
from dashboard.i18n import catalogue
from twin.exercises.errors import ExerciseClosed
from twin.plant import build_plant, load_plant, plant_tagmaps

PARIS = ZoneInfo("Europe/Paris")
CONFIG = Path(__file__).resolve().parents[2] / "config"
CAUSES = [
    {"id": "ph-probe-drift", "label": {"en": "pH probe drift", "fr": "Dérive de la sonde pH"}},
    {"id": "feed-pump", "label": {"en": "Feed pump wear", "fr": "Usure de la pompe d'alimentation"}},
]
FULL = {
    "unit": "bioreactor-1",
    "tags": ["pH", "DO"],
    "start": "2026-03-29 01:59:30",  # the night France switches to summer time: still +01:00
    "cause": "ph-probe-drift",
    "cause_text": "",
    "action": "  batch on hold, probe isolated ",
    "classification": "major",
    "impact": "possible",
    "impact_text": "pH out of NOR for 20 min",
    "supersedes": None,
}


def _tagmaps() -> dict[str, Any]:
    cfg = load_plant(CONFIG / "plant.yaml")
    return {tm.unit: tm for tm in plant_tagmaps(cfg, build_plant(cfg), "opc.tcp://127.0.0.1:4840")}


def test_a_complete_form_gives_the_report_the_service_takes() -> None:
    report, missing = form.build_report(FULL, unit_type="bioreactor", zone=PARIS)
    assert missing == []
    assert report == {
        "unit": "bioreactor-1",
        "tags": ["pH", "DO"],
        "start": "2026-03-29T01:59:30+01:00",
        "cause": "ph-probe-drift",
        "cause_text": "",
        "action": "batch on hold, probe isolated",
        "classification": "major",
        "impact": "possible",
        "impact_text": "pH out of NOR for 20 min",
        "supersedes": None,
    }


def test_the_batch_impact_is_asked_only_for_the_units_that_make_batches() -> None:
    types = {tm.unit_type for tm in _tagmaps().values()}
    assert {t for t in types if form.has_batch(t)} == {"bioreactor", "fluid_bed_dryer", "autoclave"}
    for unit_type in ("mps_pa", "filling_line"):
        report, missing = form.build_report({**FULL, "impact": None}, unit_type=unit_type, zone=PARIS)
        assert missing == [] and (report["impact"], report["impact_text"]) == ("not_applicable", "")
    _, missing = form.build_report({**FULL, "impact": None}, unit_type="autoclave", zone=PARIS)
    assert missing == ["impact"]


def test_free_text_cause_and_missing_fields_named_in_the_page_language() -> None:
    report, missing = form.build_report(
        {**FULL, "cause": form.OTHER, "cause_text": " a raw-material lot "}, unit_type="bioreactor", zone=PARIS
    )
    assert missing == [] and (report["cause"], report["cause_text"]) == ("", "a raw-material lot")
    _, missing = form.build_report(
        {**FULL, "cause": form.OTHER, "tags": [], "action": " ", "start": "10h40", "classification": "severe"},
        unit_type="bioreactor",
        zone=PARIS,
    )
    assert missing == ["tags", "start", "cause", "action", "classification"]
    assert form.missing_text(missing[:2], "en") == "Missing: Tags involved, Deviation start."
    assert form.missing_text(missing[3:], "fr") == "À compléter\u00a0: Action immédiate, Classification BPF."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-07-01 08:00", "2026-07-01T08:00:00+02:00"),  # summer time in Paris
        ("2026-01-15T08:00:00", "2026-01-15T08:00:00+01:00"),
        ("2026-01-15T07:00:00Z", "2026-01-15T08:00:00+01:00"),  # another zone: shown in the page's
        ("2026-01-15 08:00:00.5", "2026-01-15T08:00:00.500000+01:00"),  # Plotly's clicked x
        ("15/01/2026 08:00", None),
        ("", None),
    ],
)
def test_a_start_typed_or_clicked_is_read_in_the_page_zone(text: str, expected: str | None) -> None:
    assert form.parse_start(text, PARIS) == expected


def test_a_chart_click_on_a_time_axis_fills_the_start_and_other_axes_do_not() -> None:
    assert form.clicked_start("2026-01-15 08:00:12.75", PARIS) == "2026-01-15 08:00:12"
    assert form.clicked_start(3.5, PARIS) is None  # a PCA score plot, a sample index
    assert form.clicked_start("F1", PARIS) is None  # a category axis


def test_superseding_prefills_a_new_report_that_names_the_old_one() -> None:
    report, _ = form.build_report(FULL, unit_type="bioreactor", zone=PARIS)
    start_ns = 1_774_745_970 * 1_000_000_000  # 2026-03-29 01:59:30 +01:00
    stored = {**report, "report_id": "R3", "team": "team-1", "user": "sam", "time_ns": start_ns, "start_ns": start_ns}
    values = form.prefill(stored, CAUSES, PARIS)
    assert values["supersedes"] == "R3" and values["start"] == "2026-03-29 01:59:30"
    again, missing = form.build_report(values, unit_type="bioreactor", zone=PARIS)
    assert missing == [] and again == {**report, "supersedes": "R3"}
    # A cause the list no longer offers comes back as free text, comma-joined tags as a list.
    old = form.prefill({**stored, "cause": "gone-cause", "tags": "pH,DO"}, CAUSES, PARIS)
    assert (old["cause"], old["cause_text"], old["tags"]) == (form.OTHER, "gone-cause", ["pH", "DO"])


def test_the_options_come_from_the_plant_and_the_scenario_in_the_page_language() -> None:
    tagmaps = _tagmaps()
    dryer = next(tm for tm in tagmaps.values() if tm.unit_type == "fluid_bed_dryer")
    options = form.tag_options(dryer, "fr")
    assert [o["value"] for o in options] == [t.name for t in dryer.tags]
    product = next(o for o in options if o["value"] == "product_temperature")
    assert product["label"] == "product_temperature — Température du produit (lit)"
    assert form.tag_options(None, "fr") == []
    assert [o["label"] for o in form.cause_options(CAUSES, "fr")] == [
        "Dérive de la sonde pH",
        "Usure de la pompe d'alimentation",
        "Autre (texte libre)",
    ]
    assert form.cause_options([], "en") == [{"label": "Other (free text)", "value": form.OTHER}]


def _ids(component: Any) -> dict[str, Any]:
    found = {}
    stack = [component]
    while stack:
        node = stack.pop()
        if isinstance(getattr(node, "id", None), str):
            found[node.id] = node
        children = getattr(node, "children", None)
        stack.extend(children if isinstance(children, list) else [children] if children is not None else [])
    return found


def test_the_form_has_every_field_hidden_until_opened_and_speaks_the_page_language() -> None:
    modal = form.form_modal("fr")
    ids = _ids(modal)
    for id_ in ("ex-unit", "ex-tags", "ex-start", "ex-pick", "ex-cause", "ex-cause-text", "ex-action", "ex-class"):
        assert id_ in ids, id_
    assert ids["ex-modal"].hidden is True and ids["ex-impact-wrap"].hidden is True
    assert ids["ex-submit"].children == "Envoyer la déclaration" and ids["ex-pick"].children == "Choisir sur une courbe"
    assert ids["ex-tags"].multi is True
    choices = [o["value"] for o in ids["ex-class"].options]
    assert choices == ["minor", "major", "critical"]
    critical = ids["ex-class"].options[2]["label"].children
    assert critical[0].children == "Critique" and "patient" in critical[2]


def test_every_state_class_and_impact_has_its_words_in_both_languages() -> None:
    keys = [f"ex.class.{c}" for c in form.CLASSIFICATIONS] + [f"ex.class_def.{c}" for c in form.CLASSIFICATIONS]
    keys += [f"ex.impact.{i}" for i in (*form.IMPACTS, "not_applicable")]
    keys += [f"ex.state.{s}" for s in ("running", "ended", "stopped")] + list(form.FIELD_LABELS.values())
    texts = catalogue()
    assert [k for k in keys if set(texts.get(k, {})) != {"fr", "en"}] == []


def test_refusals_are_said_in_the_page_language() -> None:
    assert form.refusal_text(ExerciseClosed("no exercise is running"), "fr").startswith("Aucun exercice en cours")
    refused = form.refusal_text(ValueError("tags: mps-pa has no tag X; its tags: B101_level"), "fr")
    assert refused == "Déclaration refusée\u00a0: tags: mps-pa has no tag X; its tags: B101_level"
    assert (
        form.refusal_text(PermissionError("this is team-2's plant"), "en") == "Action refused: this is team-2's plant"
    )
    assert "audit" in form.refusal_text(AuditUnavailable("disk full"), "en").lower()
    assert form.why_not("", {"state": "running"}) == "ex.why.no_team"
    assert form.why_not("team-1", {"state": "ended"}) == "ex.why.no_exercise"
