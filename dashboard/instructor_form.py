"""The instructor console's layout: clock bar, fault form, fault list and scenario bar.

Pure view builders over the plain data of :class:`twin.faults.service.TwinControl`
(``clock()``, ``catalog()``, ``scenarios()``, ``scenario_state()``), testable without a
browser; the callbacks that fill and drive them are in :mod:`dashboard.pages.instructor`.

Examples
--------
>>> clock = {"sim_time_s": 0.0, "speed": 1.0, "paused": False, "run_id": "r"}
>>> bar = clock_bar(clock, "en")
>>> bar[1].children[1].value
'1'
>>> [c.id for c in scenario_bar([], None, "en")[1].children[:2]]
['ic-scenario', 'ic-scenario-hidden']
>>> block = signature_block("en", needs_signature=True, local_console=False)
>>> [getattr(c, "id", None) for c in block.children[2].children]
['ic-signer-wrap', 'ic-sign-password-wrap', 'ic-sign-meaning-wrap', 'ic-scenario-stop']
>>> block.children[2].children[0].style["display"], block.children[2].children[-1].children
('none', 'Sign and stop')
"""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from audit import MEANINGS
from dashboard import instructor_view as view
from dashboard.i18n import t

# Inline sizes: the console adds no rule to the shared stylesheet.
FIELD = {"display": "flex", "flexDirection": "column", "gap": "2px"}
SELECT = {"minWidth": "240px"}


def _field(label: Any, control: Any, **kwargs: Any) -> html.Div:
    return html.Div([label if not isinstance(label, str) else html.Label(label), control], style=FIELD, **kwargs)


def _number(label: str, id_: str, **kwargs: Any) -> html.Div:
    number = dcc.Input(id=id_, type="number", className="ack-input", style={"width": "140px"}, **kwargs)
    return _field(html.Label(label, htmlFor=id_), number)


def clock_bar(clock: dict[str, Any], lang: str) -> list[Any]:
    """Simulated time, speed radio, pause and resume."""
    return [
        html.H2(t("clock", lang)),
        html.Div(
            [
                html.Div(view.clock_text(clock, lang), id="ic-clock", className="det-status"),
                dcc.RadioItems(
                    id="ic-speed",
                    options=[{"label": f"×{s}" if s != "max" else "max", "value": s} for s in view.SPEEDS],
                    value=view.speed_value(clock["speed"]),
                    inline=True,
                ),
                html.Button(t("pause", lang), id="ic-pause", className="ack-btn"),
                html.Button(t("resume", lang), id="ic-resume", className="ack-btn"),
                html.Span(id="ic-clock-result", className="ack-result"),
            ],
            className="ack-bar",
        ),
    ]


def fault_form(catalog: dict[str, Any], lang: str) -> list[Any]:
    """Unit, kind and target pickers (kinds and targets filled as the instructor picks), timing, buttons."""
    target = dcc.Dropdown(id="ic-target", options=[], placeholder=t("pick_target", lang), clearable=False, style=SELECT)
    return [
        html.H2(t("inject_fault", lang)),
        html.Div(
            [
                _field(
                    t("equipment", lang),
                    dcc.Dropdown(id="ic-unit", options=list(catalog["units"]), clearable=False, style=SELECT),
                ),
                _field(t("fault_kind", lang), dcc.Dropdown(id="ic-kind", options=[], clearable=False, style=SELECT)),
                _field(html.Label(t("target", lang), id="ic-target-label"), target, id="ic-target-wrap"),
                _number(t("magnitude", lang), "ic-magnitude"),
                _number(t("start_delay", lang), "ic-start", min=0, value=0),
                _number(t("ramp", lang), "ic-ramp", min=0, value=0),
                _number(t("duration", lang), "ic-duration", min=0),
                dcc.Checklist(
                    id="ic-fault-hidden", options=[{"label": t("hide_from_students", lang), "value": "hidden"}]
                ),
            ],
            className="ack-bar",
        ),
        html.Div(id="ic-magnitude-help", className="muted"),
        html.Div(
            [
                html.Button(t("inject", lang), id="ic-inject", className="ack-btn"),
                html.Button(t("clear_all", lang), id="ic-clear-all", className="ack-btn"),
                html.Span(id="ic-fault-result", className="ack-result"),
            ],
            className="ack-bar",
        ),
    ]


def fault_list(lang: str) -> list[Any]:
    """The injected faults (filled by the tick) and the result of a Clear."""
    return [
        html.H2(t("injected_faults", lang)),
        html.Div(view.faults_grid(lang), id="ic-faults"),
        html.Span(id="ic-clear-result", className="ack-result"),
    ]


def signature_block(lang: str, needs_signature: bool, local_console: bool) -> html.Fieldset:
    """Stop, with the electronic signature it needs (Part 11 §11.200): password again and a meaning.

    The signer's user name is asked only at the local console (nobody is logged in there); its
    field is always in the layout (hidden otherwise) because the stop callback reads it.
    """
    hidden = {**FIELD, "display": "none"}
    signer = dcc.Input(id="ic-signer", type="text", maxLength=64, className="ack-input", autoComplete="username")
    password = dcc.Input(
        id="ic-sign-password", type="password", maxLength=1024, className="ack-input", autoComplete="current-password"
    )
    meaning = dcc.Dropdown(
        id="ic-sign-meaning",
        options=[{"label": t(f"meaning_{m}", lang), "value": m} for m in MEANINGS],
        value="approved",
        clearable=False,
        style={"minWidth": "180px"},
    )
    shown = {**FIELD} if needs_signature else hidden
    signer_shown = shown if local_console else hidden
    stop = t("sign_and_stop" if needs_signature else "stop", lang)
    fields = [
        html.Div([html.Label(t("signer", lang), htmlFor="ic-signer"), signer], id="ic-signer-wrap", style=signer_shown),
        html.Div(
            [html.Label(t("password", lang), htmlFor="ic-sign-password"), password],
            id="ic-sign-password-wrap",
            style=shown,
        ),
        html.Div([html.Label(t("meaning", lang)), meaning], id="ic-sign-meaning-wrap", style=shown),
        html.Button(stop, id="ic-scenario-stop", className="ack-btn"),
    ]
    help_ = html.P(t("signature_help", lang), className="muted") if needs_signature else ""
    legend = html.Legend(t("signature", lang) if needs_signature else t("stop", lang))
    return html.Fieldset([legend, help_, html.Div(fields, className="ack-bar")], className="signature", id="ic-sign")


def scenario_bar(
    scenarios: list[dict[str, Any]],
    current: dict[str, Any] | None,
    lang: str,
    library_error: str = "",
    *,
    needs_signature: bool = False,
    local_console: bool = False,
) -> list[Any]:
    """Scenario picker, hidden toggle, start, stop (signed when the plant file says so), the
    current scenario, a broken library file."""
    return [
        html.H2(t("scenarios", lang)),
        html.Div(
            [
                dcc.Dropdown(
                    id="ic-scenario",
                    options=[{"label": f"{s['title']} ({s['name']})", "value": s["name"]} for s in scenarios],
                    placeholder=t("pick_scenario", lang) if scenarios else t("no_scenarios", lang),
                    style={"minWidth": "420px"},
                ),
                dcc.Checklist(
                    id="ic-scenario-hidden",
                    options=[{"label": t("scenario_hidden", lang), "value": "hidden"}],
                    value=["hidden"] if current and current["hidden"] else [],
                ),
                html.Button(t("start", lang), id="ic-scenario-start", className="ack-btn"),
            ],
            className="ack-bar",
        ),
        signature_block(lang, needs_signature, local_console),
        html.Div(id="ic-scenario-result", className="ack-result"),
        html.Div(view.scenario_text(current, lang), id="ic-scenario-state", className="det-status"),
        html.Pre(library_error, className="notice", id="ic-library-error") if library_error else "",
    ]
