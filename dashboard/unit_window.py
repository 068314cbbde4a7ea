"""The time window of a unit page's charts: the range picker's choice on the page's clock."""

from __future__ import annotations

from typing import Any

import dash
from dash.exceptions import PreventUpdate

from dashboard.context import DashContext
from dashboard.tag_view import head_time
from dashboard.time_basis import time_basis
from dashboard.time_range import is_live, picker_value, resolve_range
from historian.base import Sample

#: Id prefix of the unit pages' range picker (``unit-range``, ``unit-start``, ``unit-end``, ``unit-export``).
PICKER = "unit"
TICK = "unit-tick"


def window(ctx: DashContext, latest: dict[str, Sample], preset: Any, start: Any, end: Any) -> tuple[int, int]:
    """``(start_ns, end_ns)`` of the picker's range; "now" is the time basis's (simulated at speed x N)."""
    basis = time_basis(ctx.services, newest_ns=head_time(latest) if latest else None)
    now = max(basis.now_ns, max((s.time_ns for s in latest.values()), default=0))
    return resolve_range(picker_value(preset, start, end), now, basis.run_start_ns, ctx.zone)


def skip_still_tick(preset: Any) -> None:
    """Raise ``PreventUpdate`` when only the tick fired and the range is a still (custom) one."""
    triggered = {p["prop_id"] for p in dash.callback_context.triggered}
    if triggered == {f"{TICK}.n_intervals"} and not is_live(picker_value(preset)):
        raise PreventUpdate
