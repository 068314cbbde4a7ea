"""The deviation report form (déclaration d'écart) a student opens from any page.

Pure builders and parsers, testable without a browser: the form (a modal over the page), the
options it offers (the plant's units, the tags of the picked unit, the running scenario's
candidate causes), the start time read from a chart click or typed in the page's time zone, and
the report dict :meth:`twin.faults.service.TwinControl.report_deviation` takes. The callbacks
that open, fill and submit it are in :mod:`dashboard.deviation_callbacks` (one controller for the
modal, so the page has one owner of each property).

GMP deviation handling mirrored here: detection, declaration (unit, tags, start), immediate
action, classification (minor/major/critical), then the impact on the batch, asked only for the
units that make batches (bioreactor, dryer, autoclave).

Examples
--------
>>> from zoneinfo import ZoneInfo
>>> paris = ZoneInfo("Europe/Paris")
>>> parse_start("2026-03-02 10:42", paris)
'2026-03-02T10:42:00+01:00'
>>> parse_start("2026-03-02T09:42:00Z", paris), parse_start("tomorrow", paris)
('2026-03-02T10:42:00+01:00', None)
>>> has_batch("fluid_bed_dryer"), has_batch("mps_pa")
(True, False)
>>> fields = {"unit": "bio", "tags": ["pH"], "start": "2026-03-02 10:42", "cause": "probe-drift",
...           "action": "hold", "classification": "major", "impact": "possible"}
>>> report, missing = build_report(fields, unit_type="bioreactor", zone=paris)
>>> missing, report["start"], report["impact"], report["supersedes"]
([], '2026-03-02T10:42:00+01:00', 'possible', None)
>>> build_report({**fields, "unit": "filler"}, unit_type="filling_line", zone=paris)[0]["impact"]
'not_applicable'
>>> build_report({"unit": "bio"}, unit_type="bioreactor", zone=paris)[1]
['tags', 'start', 'cause', 'action', 'classification', 'impact']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, tzinfo
from typing import Any

from dash import dcc, html

from audit import AuditUnavailable
from config_schema.tagmap import TagMap
from dashboard.i18n import fmt_datetime, t
from dashboard.tag_view import describe
from twin.exercises.errors import ExerciseClosed

#: Unit types whose deviations are assessed against a batch (the others: ``not_applicable``).
BATCH_UNIT_TYPES = frozenset({"bioreactor", "fluid_bed_dryer", "dryer", "autoclave"})
CLASSIFICATIONS = ("minor", "major", "critical")
IMPACTS = ("none", "possible", "confirmed")
#: The cause dropdown's value for "free text" (not a candidate id: those match ``ID_PATTERN``).
OTHER = "__other__"
#: How a start is shown in the form's input (the page's time zone).
START_FORMAT = "%Y-%m-%d %H:%M:%S"
#: The form's fields, in the order a missing one is named.
REQUIRED = ("unit", "tags", "start", "cause", "action", "classification", "impact")
FIELD_LABELS = {
    "unit": "ex.unit",
    "tags": "ex.tags",
    "start": "ex.start",
    "cause": "ex.cause",
    "action": "ex.action",
    "classification": "ex.classification",
    "impact": "ex.impact",
}
FIELD = {"display": "flex", "flexDirection": "column", "gap": "2px"}


def has_batch(unit_type: str | None) -> bool:
    """Whether a report on this unit type says its impact on the batch."""
    return unit_type in BATCH_UNIT_TYPES


def parse_start(text: str | None, zone: tzinfo) -> str | None:
    """A typed or clicked start as an ISO datetime with its offset; ``None`` when unreadable.

    A time without a zone is in the page's ``zone`` (the charts' axes are drawn in it; Plotly
    hands back a clicked date without its offset).

    >>> from zoneinfo import ZoneInfo
    >>> parse_start("2026-07-01 08:00:00.250", ZoneInfo("Europe/Paris"))
    '2026-07-01T08:00:00.250000+02:00'
    >>> parse_start("", ZoneInfo("UTC")) is None
    True
    """
    text = (text or "").strip()
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return None
    when = when.replace(tzinfo=zone) if when.tzinfo is None else when.astimezone(zone)
    return when.isoformat()


def start_text(iso: str, zone: tzinfo) -> str:
    """An ISO start as the form's input shows it (the page's zone, to the second).

    >>> from zoneinfo import ZoneInfo
    >>> start_text("2026-07-01T06:00:00.9+00:00", ZoneInfo("Europe/Paris"))
    '2026-07-01 08:00:00'
    """
    when = datetime.fromisoformat(iso)
    when = when.replace(tzinfo=zone) if when.tzinfo is None else when.astimezone(zone)
    return when.strftime(START_FORMAT)


def clicked_start(x: Any, zone: tzinfo) -> str | None:
    """The x of a chart click as the form's start text; ``None`` for a chart without a time axis.

    >>> from zoneinfo import ZoneInfo
    >>> clicked_start("2026-07-01 08:00:12.5", ZoneInfo("Europe/Paris")), clicked_start(12, ZoneInfo("UTC"))
    ('2026-07-01 08:00:12', None)
    """
    iso = parse_start(x, zone) if isinstance(x, str) else None
    return start_text(iso, zone) if iso else None


def build_report(fields: Mapping[str, Any], *, unit_type: str | None, zone: tzinfo) -> tuple[dict[str, Any], list[str]]:
    """The report for ``report_deviation`` and the required fields still missing (by name).

    ``fields``: the form's values (``unit``, ``tags``, ``start`` text, ``cause`` a candidate id or
    :data:`OTHER`, ``cause_text``, ``action``, ``classification``, ``impact``, ``impact_text``,
    ``supersedes``). An unreadable start counts as missing; :func:`parse_start` says why.
    """
    cause = fields.get("cause") or ""
    cause_text = str(fields.get("cause_text") or "").strip()
    batch = has_batch(unit_type)
    report: dict[str, Any] = {
        "unit": fields.get("unit") or "",
        "tags": list(fields.get("tags") or []),
        "start": parse_start(fields.get("start"), zone),
        "cause": "" if cause == OTHER else cause,
        "cause_text": cause_text,
        "action": str(fields.get("action") or "").strip(),
        "classification": fields.get("classification") or "",
        "impact": (fields.get("impact") or "") if batch else "not_applicable",
        "impact_text": str(fields.get("impact_text") or "").strip() if batch else "",
        "supersedes": fields.get("supersedes") or None,
    }
    present = {
        "unit": bool(report["unit"]),
        "tags": bool(report["tags"]),
        "start": report["start"] is not None,
        "cause": bool(report["cause"] or cause_text),
        "action": bool(report["action"]),
        "classification": report["classification"] in CLASSIFICATIONS,
        "impact": report["impact"] in (*IMPACTS, "not_applicable"),
    }
    return report, [name for name in REQUIRED if not present[name]]


def missing_text(missing: Sequence[str], lang: str) -> str:
    """``Missing: Tags involved, Immediate action.`` in the page's language.

    >>> missing_text(["tags", "action"], "fr")
    'À compléter\\xa0: Variables concernées, Action immédiate.'
    """
    return t("ex.missing", lang, fields=", ".join(t(FIELD_LABELS[name], lang) for name in missing))


def prefill(report: Mapping[str, Any], causes: Sequence[Mapping[str, Any]], zone: tzinfo) -> dict[str, Any]:
    """The form's values for a new report superseding ``report`` (a stored report's view).

    >>> from zoneinfo import ZoneInfo
    >>> old = {"report_id": "R1", "unit": "bio", "tags": ["pH"], "start_ns": 0, "cause": "",
    ...        "cause_text": "probe", "action": "hold", "classification": "minor", "impact": "none"}
    >>> values = prefill(old, [], ZoneInfo("UTC"))
    >>> values["start"], values["cause"], values["supersedes"]
    ('1970-01-01 00:00:00', '__other__', 'R1')
    """
    known = {c.get("id") for c in causes}
    cause = report.get("cause") or ""
    start_ns = report.get("start_ns")
    start = (
        datetime.fromtimestamp(start_ns / 1e9, zone).strftime(START_FORMAT)
        if isinstance(start_ns, int | float)
        else clicked_start(report.get("start"), zone) or ""
    )
    tags = report.get("tags") or []
    return {
        "unit": report.get("unit") or None,
        "tags": tags.split(",") if isinstance(tags, str) else list(tags),
        "start": start,
        "cause": cause if cause in known else OTHER,
        "cause_text": report.get("cause_text") or ("" if cause in known else cause),
        "action": report.get("action") or "",
        "classification": report.get("classification") or None,
        "impact": report.get("impact") if report.get("impact") in IMPACTS else None,
        "impact_text": report.get("impact_text") or "",
        "supersedes": report.get("report_id"),
    }


#: A fresh form (what opening "Report a deviation" shows), the start kept from the last click.
EMPTY: dict[str, Any] = {
    "unit": None,
    "tags": [],
    "cause": None,
    "cause_text": "",
    "action": "",
    "classification": None,
    "impact": None,
    "impact_text": "",
    "supersedes": None,
}


def why_not(team: str, state: Mapping[str, Any] | None) -> str | None:
    """The label key saying why this person cannot report now, or ``None`` when they can."""
    if not team:
        return "ex.why.no_team"
    if state is None or state.get("state", "running") != "running":
        return "ex.why.no_exercise"
    return None


def refusal_text(exc: Exception, lang: str) -> str:
    """A refused report or hint in the page's language (the service's reason verbatim when it has one).

    >>> refusal_text(ExerciseClosed("no exercise"), "fr")
    "Aucun exercice en cours\\xa0: il n'y a rien à déclarer pour l'instant."
    >>> refusal_text(ValueError("unknown tag 'X'; tags: pH, DO"), "en")
    "Report refused: unknown tag 'X'; tags: pH, DO"
    """
    if isinstance(exc, ExerciseClosed):
        return t("ex.why.no_exercise", lang)
    if isinstance(exc, AuditUnavailable):
        return t("audit_refused", lang).format(reason=exc)
    if isinstance(exc, ConnectionError):
        return t("twin_unreachable", lang, reason=str(exc))
    if isinstance(exc, ValueError | KeyError):
        return t("ex.refused.invalid", lang, reason=str(exc).strip("'\""))
    return t("ex.refused.other", lang, reason=str(exc))


# -- options ----------------------------------------------------------------------------------
def unit_options(tagmaps: Sequence[TagMap]) -> list[dict[str, str]]:
    return [{"label": tm.unit, "value": tm.unit} for tm in tagmaps]


def tag_options(tagmap: TagMap | None, lang: str) -> list[dict[str, str]]:
    """The unit's tags, each with its description in ``lang``."""
    if tagmap is None:
        return []
    options = []
    for tag in tagmap.tags:
        text = describe(tagmap, tag, lang)
        options.append({"label": f"{tag.name} — {text}" if text else tag.name, "value": tag.name})
    return options


def cause_options(causes: Sequence[Mapping[str, Any]], lang: str) -> list[dict[str, str]]:
    """The scenario's candidate causes in ``lang``, then "Other (free text)".

    >>> cause_options([{"id": "probe", "label": {"en": "pH probe drift", "fr": "Dérive de la sonde pH"}}], "fr")
    [{'label': 'Dérive de la sonde pH', 'value': 'probe'}, {'label': 'Autre (texte libre)', 'value': '__other__'}]
    """
    options = []
    for cause in causes:
        label = cause.get("label") or {}
        text = label.get(lang) or label.get("en") or cause["id"] if isinstance(label, Mapping) else str(label)
        options.append({"label": text, "value": cause["id"]})
    return [*options, {"label": t("ex.cause_other", lang), "value": OTHER}]


def classification_options(lang: str) -> list[dict[str, Any]]:
    """Minor, major, critical, each with its short definition."""
    return [
        {
            "label": html.Span(
                [html.B(t(f"ex.class.{c}", lang)), " — ", t(f"ex.class_def.{c}", lang)], className="ex-option"
            ),
            "value": c,
        }
        for c in CLASSIFICATIONS
    ]


def impact_options(lang: str) -> list[dict[str, str]]:
    return [{"label": t(f"ex.impact.{i}", lang), "value": i} for i in IMPACTS]


# -- the form ---------------------------------------------------------------------------------
def _field(label_key: str, control: Any, lang: str, control_id: str, **kwargs: Any) -> html.Div:
    return html.Div([html.Label(t(label_key, lang), htmlFor=control_id), control], style=FIELD, **kwargs)


def form_modal(lang: str) -> html.Div:
    """The form, hidden until opened: a dialog over the page (``ex-modal``)."""
    start = html.Div(
        [
            dcc.Input(
                id="ex-start", type="text", className="ack-input", debounce=False, placeholder="2026-03-02 10:42"
            ),
            html.Button(t("ex.pick", lang), id="ex-pick", className="link-btn", type="button"),
        ],
        className="ex-inline",
    )
    form = [
        html.H2(t("ex.form_title", lang), id="ex-form-title"),
        html.P(t("ex.form_intro", lang), className="muted"),
        html.P(id="ex-supersedes-line", className="ex-supersedes"),
        _field("ex.unit", dcc.Dropdown(id="ex-unit", options=[], clearable=False), lang, "ex-unit"),
        _field("ex.tags", dcc.Dropdown(id="ex-tags", options=[], multi=True), lang, "ex-tags"),
        _field("ex.start", start, lang, "ex-start"),
        html.P(id="ex-start-help", className="muted ex-help"),
        _field("ex.cause", dcc.Dropdown(id="ex-cause", options=cause_options([], lang)), lang, "ex-cause"),
        _field(
            "ex.cause_text",
            dcc.Input(id="ex-cause-text", type="text", className="ack-input wide"),
            lang,
            "ex-cause-text",
        ),
        _field(
            "ex.action",
            dcc.Textarea(id="ex-action", placeholder=t("ex.action_placeholder", lang), className="ex-textarea"),
            lang,
            "ex-action",
        ),
        _field(
            "ex.classification",
            dcc.RadioItems(id="ex-class", options=classification_options(lang), className="ex-radios"),
            lang,
            "ex-class",
        ),
        html.Div(
            [
                _field(
                    "ex.impact",
                    dcc.RadioItems(id="ex-impact", options=impact_options(lang), inline=True, className="ex-radios"),
                    lang,
                    "ex-impact",
                ),
                _field(
                    "ex.impact_text", dcc.Textarea(id="ex-impact-text", className="ex-textarea"), lang, "ex-impact-text"
                ),
            ],
            id="ex-impact-wrap",
            hidden=True,
        ),
        html.P(id="ex-result", role="alert", className="ex-result"),
        html.Div(
            [
                html.Button(t("ex.submit", lang), id="ex-submit", className="ack-btn", type="button"),
                html.Button(t("ex.cancel", lang), id="ex-cancel", className="link-btn", type="button"),
            ],
            className="ack-bar",
        ),
    ]
    dialog = html.Div(form, className="ex-dialog", role="dialog")
    return html.Div(dialog, id="ex-modal", className="ex-modal", hidden=True)


def submitted_text(view: Mapping[str, Any], lang: str, zone: tzinfo) -> str:
    """``Report R2 recorded (3 Mar 2026, 10:45:00).``"""
    when = view.get("time_ns")
    stamp = fmt_datetime(when / 1e9, lang, tz=zone) if isinstance(when, int | float) else ""
    return t("ex.submitted", lang, report=view.get("report_id", "?"), when=stamp)
