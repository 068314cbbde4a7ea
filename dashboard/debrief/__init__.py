"""The debrief of an exercise: one time axis per team, the trends underneath, the leaderboard, exports.

:mod:`.collect` reads a run's events from the historian, scores them
(:func:`analytics.exercise_scoring.score_exercise`) and adds the team members' actions from the
audit trail; :mod:`.access` says who may see which team's debrief; :mod:`.timeline` draws the
per-team time axes and the trends (Plotly figures, pure); :mod:`.export` writes the CSV and the
printable HTML (FR/EN, like :mod:`dashboard.report`).
"""
