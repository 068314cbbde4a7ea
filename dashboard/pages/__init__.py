"""Dashboard pages; each module has ``register(app, ctx)``. Order = navigation order."""

from __future__ import annotations

from dashboard.pages import alarms, oee, pca, spc, station, units

PAGES = [station, units, spc, pca, oee, alarms]
