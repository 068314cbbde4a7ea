"""Discrete tags name their states in both languages; phase-aware bands point at a real phase tag."""

from __future__ import annotations

import pytest

from config_schema.tagmap import tagmap_for_unit
from dashboard.i18n import catalogue
from dashboard.tag_format import format_value, is_discrete
from models.registry import UNIT_TYPES, unit_class


@pytest.fixture(scope="module", params=sorted(UNIT_TYPES))
def unit(request: pytest.FixtureRequest) -> object:
    return unit_class(request.param)()


def test_every_state_key_has_french_and_english(unit: object) -> None:
    for spec in unit.tag_specs():  # type: ignore[attr-defined]
        for value, key in (spec.states or {}).items():
            assert set(catalogue().get(key, {})) >= {"fr", "en"}, f"{spec.name}={value}: label {key!r} missing"


def test_no_discrete_tag_shows_a_number(unit: object) -> None:
    """Every declared value of a discrete tag reads as a word in French (no bare number)."""
    for spec in unit.tag_specs():  # type: ignore[attr-defined]
        if not is_discrete(spec):
            continue
        for value in spec.states or {0: "", 1: ""}:
            shown = format_value(spec, float(value), 0, "fr")
            assert not shown.text.replace(".", "").isdigit(), (spec.name, value, shown)
            assert shown.note is None, (spec.name, value, shown)


def test_bands_when_names_a_discrete_tag_of_the_unit(unit: object) -> None:
    specs = {s.name: s for s in unit.tag_specs()}  # type: ignore[attr-defined]
    for spec in specs.values():
        if spec.bands_when is None:
            continue
        assert spec.critical, spec.name
        phase_tag, values = spec.bands_when
        assert phase_tag in specs, (spec.name, phase_tag)
        lo, hi = specs[phase_tag].lo, specs[phase_tag].hi
        assert values and all(lo <= v <= hi for v in values), (spec.name, values)


def test_tag_map_carries_states_bands_and_calibration(unit: object) -> None:
    specs = unit.tag_specs()  # type: ignore[attr-defined]
    tm = tagmap_for_unit("u", specs, endpoint="opc.tcp://h:4840", site="s", namespace_uri="urn:x")
    for spec, entry in zip(specs, tm.tags, strict=True):
        assert (entry.states, entry.bands_when, entry.calibrated) == (spec.states, spec.bands_when, spec.calibrated)


def test_phase_aware_bands_where_the_issue_asks() -> None:
    """Dryer: drying; autoclave: hold; bioreactor: the fed-batch recipe."""
    dryer = {s.name: s for s in unit_class("fluid_bed_dryer")().tag_specs()}
    assert dryer["inlet_air_temperature"].bands_when == ("phase", (1,))
    autoclave = {s.name: s for s in unit_class("autoclave")().tag_specs()}
    assert autoclave["load_temperature"].bands_when == ("phase", (3,))
    bio = {s.name: s for s in unit_class("bioreactor")().tag_specs()}
    assert bio["temperature"].bands_when is not None and bio["temperature"].bands_when[0] == "recipe_step"
    assert bio["titre_pat"].calibrated is not None and bio["titre_pat"].calibrated[0] >= 0
    assert format_value(bio["titre_pat"], -0.62, 0, "fr").text.startswith("< 0,0")
