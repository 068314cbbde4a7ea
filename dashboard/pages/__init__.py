"""Dashboard pages; each module has ``register(app, ctx)``, which registers its page(s) and callbacks.

Navigation order is each page's ``order=`` in ``dash.register_page``; this list only says which
modules :func:`dashboard.app.create_dash` registers.
"""

from __future__ import annotations

from dashboard import exercise_panel, instructor_exercise, time_basis
from dashboard.pages import (
    alarms,
    audit,
    classroom,
    debrief,
    design_space,
    history,
    instructor,
    oee,
    operate,
    pat,
    pca,
    shadow,
    spc,
    station,
    units,
)

PAGES = [
    station,
    units,
    operate,
    spc,
    pca,
    oee,
    alarms,
    pat,
    shadow,
    design_space,
    audit,
    debrief,
    history,
    instructor,
    instructor_exercise,  # appends to the console's page: after it
    classroom,
    time_basis,
    exercise_panel,
]
