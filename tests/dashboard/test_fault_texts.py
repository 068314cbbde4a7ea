"""Every fault kind's magnitude help is in the catalogue in FR and EN (the instructor console shows it)."""

from __future__ import annotations

import typing

from dashboard.i18n import catalogue
from twin.faults.catalog import Fault


def _kinds() -> list[str]:
    union = typing.get_args(Fault)[0] if typing.get_origin(Fault) is typing.Annotated else Fault
    return sorted(cls.model_fields["kind"].default for cls in typing.get_args(union))


def test_every_fault_kind_has_its_magnitude_help_in_both_languages() -> None:
    texts = catalogue()
    kinds = _kinds()
    assert len(kinds) >= 20
    missing = [k for k in kinds if not {"fr", "en"} <= set(texts.get(f"fault.magnitude.{k}", {}))]
    assert not missing, f"add fault.magnitude.<kind> to both .po files for: {missing}"
