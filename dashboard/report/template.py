"""The HTML of the report pages (Jinja2, autoescaped) and their stylesheet, screen and print.

Kept as Python strings (not package data) so an installed wheel carries them without a
``package-data`` entry. The print stylesheet drops the buttons and links, keeps tables and
charts whole on a page, and prints in black on white: the browser's "print to PDF" is the PDF.
"""

from __future__ import annotations

CSS = """
:root { --line: #c8c8c8; --muted: #666; --accent: #3a5a80; --alarm: #d40000; --par: #d9d9d9; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; background: #e6e6e6;
       color: #1e1e1e; }
.report { max-width: 1100px; margin: 0 auto; padding: 16px 24px; background: white; }
.bar { display: flex; justify-content: space-between; align-items: center; gap: 12px; flex-wrap: wrap; }
.bar a, .bar button { color: var(--accent); font-weight: 600; text-decoration: none; margin-left: 10px; }
.bar button { background: none; border: 1px solid var(--accent); border-radius: 4px; padding: 4px 10px;
              cursor: pointer; font: inherit; }
h1 { font-size: 1.35rem; margin: 10px 0 4px; }
h2 { font-size: 1.1rem; margin: 22px 0 8px; border-bottom: 2px solid var(--line); padding-bottom: 3px; }
h3 { font-size: 1rem; margin: 14px 0 6px; }
table { border-collapse: collapse; width: 100%; font-size: 0.88rem; margin: 4px 0 8px; }
th, td { border: 1px solid var(--line); padding: 3px 6px; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.summary th { width: 14em; }
.note { color: var(--muted); font-size: 0.85rem; margin: 4px 0; }
.outcome-fail, .outcome-aborted, .level-par { color: var(--alarm); font-weight: 700; }
.level-nor { font-weight: 600; }
.tag-hidden { border: 1px solid var(--muted); border-radius: 3px; padding: 0 4px; font-size: 0.8rem; }
.chart { width: 100%; height: 250px; margin: 4px 0 12px; break-inside: avoid; }
.units li { margin: 4px 0; }
footer { color: var(--muted); font-size: 0.8rem; margin-top: 24px; border-top: 1px solid var(--line);
         padding-top: 6px; }
@media print {
  @page { size: A4; margin: 14mm 12mm; }
  body { background: white; }
  .report { max-width: none; padding: 0; }
  .no-print { display: none !important; }
  a { color: inherit; text-decoration: none; }
  h2 { break-after: avoid; }
  table, .chart, .cpp { break-inside: avoid; }
  th { background: #eee !important; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""

_HEAD = """<!DOCTYPE html>
<html lang="{{ lang }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>gmp-twin — {{ title }}</title>
<style>{{ css }}</style>
{% block scripts %}{% endblock %}
</head>"""

_BAR = """<div class="bar no-print"><span>{% block back %}{% endblock %}</span><span>
{% for code, href in langs %}<a class="lang" href="{{ href }}">{{ code | upper }}</a>{% endfor %}
</span></div>"""

LIST = (
    _HEAD
    + """
<body><div class="report" id="report-list">"""
    + _BAR
    + """
<h1>{{ title }}</h1>
{% if not units %}<p class="note" id="no-units">{{ tx.no_units }}</p>{% endif %}
{% for unit in units %}
<h2 id="unit-{{ unit.name }}">{{ unit.heading }}</h2>
{% if unit.batches %}
<table class="batches"><thead><tr><th>{{ tx.batch_id }}</th><th>{{ tx.start }}</th><th>{{ tx.end }}</th>
<th>{{ tx.duration }}</th><th>{{ tx.outcome }}</th></tr></thead><tbody>
{% for b in unit.batches %}<tr><td><a class="batch-link" href="{{ b.href }}">{{ b.id }}</a></td><td>{{ b.start }}</td>
<td>{{ b.end }}</td><td class="num">{{ b.duration }}</td>
<td class="outcome-{{ b.outcome }}">{{ b.outcome_text }}</td></tr>
{% endfor %}</tbody></table>
{% else %}<p class="note">{{ tx.no_batches }}</p>{% endif %}
{% endfor %}
<footer>{{ footer }}</footer>
</div></body></html>"""
)

REPORT = (
    _HEAD.replace(
        "{% block scripts %}{% endblock %}",
        """<script src="{{ plotly_src }}"></script>
{% if lang == 'fr' %}<script src="{{ locale_src }}"></script>{% endif %}""",
    )
    + """
<body><div class="report" id="batch-report" data-batch="{{ batch_id }}">"""
    + _BAR.replace("{% block back %}{% endblock %}", '<a href="{{ back }}">← {{ tx.back }}</a>').replace(
        "</span></div>", '<button type="button" onclick="window.print()">{{ tx.print }}</button></span></div>'
    )
    + """
<h1>{{ title }} — {{ unit_heading }}</h1>
<table class="summary" id="summary"><tbody>
<tr><th>{{ tx.id_label }}</th><td id="batch-id">{{ batch_id }}</td></tr>
<tr><th>{{ tx.unit }}</th><td>{{ unit_heading }}</td></tr>
<tr><th>{{ tx.start }}</th><td>{{ start }}</td></tr>
<tr><th>{{ tx.end }}</th><td>{{ end }}</td></tr>
<tr><th>{{ tx.duration }}</th><td>{{ duration }}</td></tr>
<tr><th>{{ tx.outcome }}</th><td class="outcome-{{ outcome }}">{{ outcome_text }}</td></tr>
</tbody></table>
<p class="note">{{ times_note }}</p>

<h2>{{ tx.phases }}</h2>
<table id="phases"><thead><tr><th>{{ tx.phase }}</th><th>{{ tx.start }}</th><th>{{ tx.end }}</th>
<th>{{ tx.duration }}</th></tr></thead><tbody>
{% for p in phases %}<tr><td>{{ p.name }}</td><td>{{ p.start }}</td><td>{{ p.end }}</td>
<td class="num">{{ p.duration }}</td></tr>{% endfor %}
</tbody></table>

<h2>{{ endpoint_title }}</h2>
<table id="endpoint"><thead><tr><th>{{ tx.parameter }}</th><th>{{ tx.value }}</th></tr></thead><tbody>
{% for row in endpoint %}<tr><td>{{ row.label }}</td><td class="num {{ row.css }}">{{ row.value }}</td></tr>{% endfor %}
</tbody></table>

<h2>{{ tx.cpps }}</h2>
{% if bands_note %}<p class="note">{{ bands_note }}</p>{% endif %}
<table id="cpp-summary"><thead><tr><th>{{ tx.parameter }}</th><th>{{ tx.nor }}</th><th>{{ tx.par }}</th>
<th>{{ tx.judged }}</th><th>{{ tx.out_nor }}</th><th>{{ tx.out_par }}</th><th>{{ tx.worst }}</th>
<th>{{ tx.count }}</th></tr></thead><tbody>
{% for c in cpps %}<tr><td>{{ c.label }}</td><td class="num">{{ c.nor }}</td><td class="num">{{ c.par }}</td>
<td class="num">{{ c.judged }}</td><td class="num {{ 'level-nor' if c.out_nor_s }}">{{ c.out_nor }}</td>
<td class="num {{ 'level-par' if c.out_par_s }}">{{ c.out_par }}</td><td class="num">{{ c.worst }}</td>
<td class="num">{{ c.count }}</td></tr>{% endfor %}
</tbody></table>
{% for c in cpps %}<div class="cpp"><div class="chart" id="chart-{{ loop.index }}"></div></div>{% endfor %}

<h3>{{ tx.excursions }}</h3>
{% if episodes %}
<table id="excursions"><thead><tr><th>{{ tx.parameter }}</th><th>{{ tx.start }}</th><th>{{ tx.end }}</th>
<th>{{ tx.duration }}</th><th>{{ tx.worst }}</th><th>{{ tx.level }}</th></tr></thead><tbody>
{% for e in episodes %}<tr><td>{{ e.label }}</td><td>{{ e.start }}</td><td>{{ e.end }}</td>
<td class="num">{{ e.duration }}</td><td class="num">{{ e.worst }}</td>
<td class="level-{{ e.level }}">{{ e.level_text }}</td>
</tr>{% endfor %}
</tbody></table>
{% for more in more_episodes %}<p class="note">{{ more }}</p>{% endfor %}
{% else %}<p class="note" id="no-excursions">{{ tx.no_excursions }}</p>{% endif %}

<h2>{{ tx.alarms }}</h2>
{% if alarms %}
<table id="alarms"><thead><tr><th>{{ tx.when }}</th><th>{{ tx.alarm }}</th><th>{{ tx.tag }}</th>
<th>{{ tx.event }}</th><th>{{ tx.priority }}</th><th>{{ tx.message }}</th></tr></thead><tbody>
{% for a in alarms %}<tr><td>{{ a.when }}</td><td>{{ a.alarm }}</td><td>{{ a.tag }}</td><td>{{ a.event }}</td>
<td>{{ a.priority }}</td><td>{{ a.message }}</td></tr>{% endfor %}
</tbody></table>
{% else %}<p class="note" id="no-alarms">{{ tx.no_alarms }}</p>{% endif %}

<h2>{{ tx.faults }}</h2>
<p class="note">{{ faults_note }}</p>
{% if faults %}
<table id="faults"><thead><tr><th>{{ tx.fault }}</th><th>{{ tx.target }}</th><th>{{ tx.magnitude }}</th>
<th>{{ tx.start }}</th><th>{{ tx.end }}</th><th>{{ tx.scenario }}</th></tr></thead><tbody>
{% for f in faults %}<tr class="fault" data-fault="{{ f.id }}"><td>{{ f.id }} · {{ f.kind }}
{% if f.hidden %}<span class="tag-hidden">{{ tx.hidden }}</span>{% endif %}</td><td>{{ f.target }}</td>
<td class="num">{{ f.magnitude }}</td><td>{{ f.start }}</td><td>{{ f.end }}</td><td>{{ f.scenario }}</td></tr>
{% endfor %}</tbody></table>
{% else %}<p class="note" id="no-faults">{{ tx.no_faults }}</p>{% endif %}

<footer>{{ footer }}</footer>
</div>
<script type="application/json" id="figures">{{ figures | safe }}</script>
<script>
(function () {
  var figures = JSON.parse(document.getElementById("figures").textContent);
  var config = {{ config | safe }};
  figures.forEach(function (fig, i) {
    Plotly.newPlot("chart-" + (i + 1), fig.data, fig.layout, config);
  });
  // Charts follow the page width: redraw them at the printed width before printing.
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll(".chart").forEach(function (el) { Plotly.Plots.resize(el); });
  });
})();
</script>
</body></html>"""
)
