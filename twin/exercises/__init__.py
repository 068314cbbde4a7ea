"""Exercises on a running plant: deviation reports, hints, time in limits, KPIs, the signed end.

:class:`twin.faults.service.TwinControl` delegates its exercise methods here; everything a
team does becomes an ``event`` point (kinds in :data:`config_schema.exercise.EVENT_FIELDS`)
from which :mod:`analytics.exercise_scoring` computes the scores.
"""
