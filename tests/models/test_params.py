"""Every registered unit type: parameters round-trip as plain data, writes are checked alike."""

from __future__ import annotations

import json
import math

import pytest

from models.params import ALLOWED, OUT_OF_RANGE, check_range
from models.registry import UNIT_TYPES, make_params, params_class, unit_class


@pytest.mark.parametrize("unit_type", sorted(UNIT_TYPES))
def test_params_round_trip_through_json(unit_type: str) -> None:
    cls = unit_class(unit_type)
    params = params_class(cls)()
    plain = json.loads(json.dumps(params.to_dict()))
    assert type(params).from_dict(plain) == params
    assert make_params(cls, plain) == params


@pytest.mark.parametrize("unit_type", sorted(UNIT_TYPES))
def test_every_unit_refuses_bad_writes_alike(unit_type: str) -> None:
    unit = unit_class(unit_type)()
    writable = [s for s in unit.tag_specs() if s.writable]
    with pytest.raises(KeyError, match=rf"unknown tag 'nope' on {unit_type}; writable tags: {writable[0].name}"):
        unit.write("nope", 1.0)
    read_only = next(s for s in unit.tag_specs() if not s.writable)
    with pytest.raises(KeyError, match=rf"read-only tag '{read_only.name}' on {unit_type}"):
        unit.write(read_only.name, 1.0)
    for spec in writable:
        with pytest.raises(ValueError, match=rf"^{spec.name} = nan is not a finite number$"):
            unit.write(spec.name, math.nan)
        outside = rf"^{spec.name} = .* (is outside the allowed range \[.*\]|must be 0 (\(manual\) )?or 1)"
        with pytest.raises(ValueError, match=outside):
            unit.write(spec.name, spec.hi + 1000.0)


def test_unknown_parameter_lists_the_allowed_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) colour; allowed: .*hold_time_min"):
        make_params(unit_class("autoclave"), {"colour": 1})


def test_range_message_wordings() -> None:
    with pytest.raises(ValueError, match=r"^x = 5 is out of range, allowed 1-3 min$"):
        check_range("x", 5, 1, 3, "min", message=OUT_OF_RANGE)
    with pytest.raises(ValueError, match=r"^x = nan, allowed 1-3$"):
        check_range("x", math.nan, 1, 3, "", message=ALLOWED)
    with pytest.raises(ValueError, match=r"^x = 3 is outside the allowed range \[1, 3\) l$"):
        check_range("x", 3, 1, 3, "l", open_hi=True)
    check_range("x", 3, 1, 3, "l")
