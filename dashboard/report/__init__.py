"""Batch reports: a printable FR/EN report per dryer or bioreactor batch and per autoclave cycle.

:mod:`.batches` finds batches in the historian's phase tags (pure), :mod:`.excursions` measures
time outside NOR/PAR where the bands hold (pure), :mod:`.events` picks the alarms and the faults
a reader may see (pure), :mod:`.collect` reads one batch's data from the historian, and
:mod:`.render` writes the HTML (Plotly charts drawn by the locally served plotly.js; PDF through
the browser's "print to PDF", styled by the page's print stylesheet).
"""
