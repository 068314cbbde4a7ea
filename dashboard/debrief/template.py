"""The printable debrief's HTML (Jinja2, autoescaped); the stylesheet is the batch reports' one."""

from __future__ import annotations

DEBRIEF = """<!DOCTYPE html>
<html lang="{{ lang }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>gmp-twin — {{ title }}</title>
<style>{{ css }}</style>
<script src="{{ plotly_src }}"></script>
{% if lang == 'fr' %}<script src="{{ locale_src }}"></script>{% endif %}
</head>
<body><div class="report" id="debrief" data-run="{{ run_id }}">
<div class="bar no-print"><span></span><span>
{% for code, href in langs %}<a class="lang" href="{{ href }}">{{ code | upper }}</a>{% endfor %}
<a href="{{ csv_href }}">{{ tx.csv }}</a>
<button type="button" onclick="window.print()">{{ tx.print }}</button></span></div>
<h1>{{ title }}</h1>
<p id="summary">{{ summary }}</p>
<p class="note">{{ times_note }}</p>

<h2>{{ tx.leaderboard }}</h2>
<table id="leaderboard"><thead><tr><th>{{ tx.rank }}</th><th>{{ tx.team }}</th><th>{{ tx.score }}</th>
<th>{{ tx.found }}</th><th>{{ tx.missed }}</th><th>{{ tx.false }}</th><th>{{ tx.hints_cost }}</th>
<th>{{ tx.warnings }}</th></tr></thead><tbody>
{% for r in leaderboard %}<tr class="team" data-team="{{ r.team }}">
<td class="num">{{ r.rank }}</td><td>{{ r.team }}</td>
<td class="num">{{ r.score }}</td><td>{{ r.found }}</td><td>{{ r.missed }}</td><td class="num">{{ r.false }}</td>
<td class="num">{{ r.hints_cost }}</td><td class="num">{{ r.warnings }}</td></tr>{% endfor %}
</tbody></table>

<h2>{{ tx.timeline }}</h2>
<div class="chart" id="timeline" style="height: {{ timeline_height }}px"></div>

<h2>{{ tx.reports }}</h2>
{% if reports %}
<table id="reports"><thead><tr><th>{{ tx.team }}</th><th>{{ tx.report }}</th><th>{{ tx.when }}</th>
<th>{{ tx.user }}</th><th>{{ tx.unit }}</th><th>{{ tx.tags }}</th><th>{{ tx.cause }}</th><th>{{ tx.matched }}</th>
<th>{{ tx.delay }}</th><th>{{ tx.points }}</th></tr></thead><tbody>
{% for r in reports %}<tr class="report-row" data-report="{{ r.team }}/{{ r.id }}">
<td>{{ r.team }}</td><td>{{ r.id }}</td>
<td>{{ r.when }}</td><td>{{ r.user }}</td><td>{{ r.unit }}</td><td>{{ r.tags }}</td><td>{{ r.cause }}</td>
<td>{{ r.matched }}</td><td class="num">{{ r.delay }}</td><td class="num">{{ r.points }}</td></tr>{% endfor %}
</tbody></table>
{% else %}<p class="note">{{ tx.none }}</p>{% endif %}

<h2>{{ tx.faults }}</h2>
{% if faults %}
<table id="faults"><thead><tr><th>{{ tx.fault }}</th><th>{{ tx.team }}</th><th>{{ tx.unit }}</th>
<th>{{ tx.start }}</th><th>{{ tx.end }}</th></tr></thead><tbody>
{% for f in faults %}<tr><td>{{ f.id }} · {{ f.kind }}</td><td>{{ f.team }}</td><td>{{ f.target }}</td>
<td>{{ f.start }}</td><td>{{ f.end }}</td></tr>{% endfor %}
</tbody></table>
{% else %}<p class="note">{{ tx.none }}</p>{% endif %}

<h2>{{ tx.actions }}</h2>
{% if actions %}
<table id="actions"><thead><tr><th>{{ tx.team }}</th><th>{{ tx.when }}</th><th>{{ tx.user }}</th>
<th>{{ tx.action }}</th><th>{{ tx.change }}</th></tr></thead><tbody>
{% for a in actions %}<tr><td>{{ a.team }}</td><td>{{ a.when }}</td><td>{{ a.user }}</td><td>{{ a.action }}</td>
<td>{{ a.change }}</td></tr>{% endfor %}
</tbody></table>
{% else %}<p class="note">{{ tx.none }}</p>{% endif %}

<footer>{{ footer }}</footer>
</div>
<script type="application/json" id="figure">{{ figure | safe }}</script>
<script>
(function () {
  var fig = JSON.parse(document.getElementById("figure").textContent);
  Plotly.newPlot("timeline", fig.data, fig.layout, {{ config | safe }});
  window.addEventListener("beforeprint", function () { Plotly.Plots.resize("timeline"); });
})();
</script>
</body></html>"""
