"""Operate page: write a setpoint, mode or output from the dashboard, as the logged-in person.

Students see the tags the plant file lets them write (``operator_writable``), instructors every
writable tag. A GMP-critical tag needs a reason. The write goes through
:meth:`dashboard.services.PlantControl.write_tag` (``ctx.services.plant_control()``): the
simulation of this process (:class:`twin.faults.service.TwinControl`), or in the compose split
the twin over OPC UA, which checks the person's role again in its own users file and records
them "via dashboard". It is the same path as an OPC UA write and
``PUT /api/units/{unit}/tags/{tag}``: the unit checks the value, and the change (or its refusal)
is in the audit trail with the old and new value. The units, their tags, the access policy and a
tag's present value come from the same service, so the page offers what the twin accepts.

Examples
--------
>>> from models.unit import TagSpec
>>> from twin.access_policy import AccessPolicy
>>> specs = [TagSpec("level_sp", "Level setpoint", "cm", 0, 25, kind="setpoint"),
...          TagSpec("level_out", "Pump output", "%", 0, 100, kind="output")]
>>> policy = AccessPolicy.build({"tank": specs}, {}, {"tank": ["level_sp"]}, [])
>>> [o["value"] for o in tag_options(policy, specs, "student", "tank", "en")]
['level_sp']
>>> [o["label"] for o in tag_options(policy, specs, "instructor", "tank", "en")]
['level_sp — Level setpoint (cm) ★', 'level_out — Pump output (%)']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dash
from dash import Dash, Input, Output, State, dcc, html

from audit import AuditUnavailable
from dashboard.auth.dash_guard import current_actor, current_principal
from dashboard.context import DashContext
from dashboard.i18n import colon, fmt_number, t
from dashboard.services import PlantControl
from dashboard.shell import Shell, notice
from dashboard.tag_format import format_value
from models.unit import TagSpec
from twin.access_policy import AccessPolicy

PATH = "/operate"
LEVEL = "student"
SHELL = Shell(PATH, "operate_title", lang_id="op-lang", tick_id="op-tick", tick_ms=2000)
FIELD = {"display": "flex", "flexDirection": "column", "gap": "2px"}


def tag_options(
    policy: AccessPolicy, specs: Sequence[TagSpec], role: str, unit: str, lang: str
) -> list[dict[str, str]]:
    """The tags of ``unit`` that ``role`` may write; ★ marks a GMP-critical one (a reason is needed)."""
    options = []
    for spec in specs:
        if policy.may_write(role, unit, spec.name):
            star = " ★" if policy.needs_reason(unit, spec.name) else ""
            label = f"{spec.name} — {t(spec.name, lang) if t(spec.name, lang) != spec.name else spec.description}"
            options.append(
                {"label": f"{label} ({spec.unit}){star}" if spec.unit else f"{label}{star}", "value": spec.name}
            )
    return options


def current_text(control: PlantControl, unit: str | None, tag: str | None, lang: str) -> str:
    """The tag's present value, its range and whether a reason is needed."""
    if not unit or not tag:
        return t("op_pick", lang)
    try:
        spec = next((s for s in control.tag_specs().get(unit, []) if s.name == tag), None)
        if spec is None:
            return t("op_pick", lang)
        value = control.read_setting(unit, tag)
        critical = control.policy.needs_reason(unit, tag)
    except ConnectionError as exc:
        return t("twin_unreachable", lang, reason=str(exc))
    except KeyError:  # not a writable tag (a hand-made request): nothing to show
        return t("op_pick", lang)
    # State names for modes and switches, the language's decimal separator (dashboard.tag_format).
    shown = format_value(spec, None if value is None else float(value), None, lang).text
    span = f"{fmt_number(spec.lo, lang)} … {fmt_number(spec.hi, lang)} {spec.unit}".rstrip()
    colon = " : " if lang == "fr" else ": "
    text = f"{t('op_current', lang)}{colon}{shown} · {t('op_range', lang)} {span}"
    if critical:
        text += f" · {t('op_reason_required', lang)}"
    return text


def write_value(
    control: PlantControl | None, unit: str | None, tag: str | None, value: Any, reason: str | None, lang: str
) -> str:
    """Write as the person of this request; the result (or the refusal) as one line."""
    if control is None:
        return t("no_control", lang)
    if not unit or not tag or value is None:
        return t("op_pick", lang)
    try:
        done = control.write_tag(unit, tag, float(value), actor=current_actor(), reason=(reason or "").strip())
    except ConnectionError as exc:
        return t("twin_unreachable", lang, reason=str(exc))
    except AuditUnavailable as exc:
        return t("audit_refused", lang).format(reason=exc)
    except (PermissionError, ValueError, KeyError) as exc:
        reason_text = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        return t("not_allowed", lang).format(reason=reason_text)
    old = "—" if done["old"] is None else f"{done['old']:.4g}"
    return f"{t('op_written', lang)}{colon(lang)} {unit}.{tag} {old} → {done['new']:.4g}"


def _field(label: str, control: Any, min_width: str = "") -> html.Div:
    style = {**FIELD, "minWidth": min_width} if min_width else FIELD
    return html.Div([html.Label(label), control], style=style)


def operate_body(ctx: DashContext, lang: str) -> list[Any]:
    control = ctx.services.plant_control()
    if control is None:
        return [notice("no_control", lang, id="op-none")]
    try:
        units = list(control.tag_specs())
    except ConnectionError as exc:
        return [html.P(t("twin_unreachable", lang, reason=str(exc)), className="notice", id="op-none")]
    form = [
        _field(t("op_unit", lang), dcc.Dropdown(units, units[0], id="op-unit", clearable=False), "200px"),
        _field(t("op_tag", lang), dcc.Dropdown(id="op-tag"), "380px"),
        _field(t("op_value", lang), dcc.Input(id="op-value", type="number", debounce=False)),
        _field(t("op_reason", lang), dcc.Input(id="op-reason", type="text", maxLength=500), "320px"),
        html.Button(t("op_write", lang), id="op-write", className="ack-btn"),
    ]
    return [
        html.Div(
            form,
            className="op-form",
            style={"display": "flex", "gap": "12px", "alignItems": "flex-end", "flexWrap": "wrap"},
        ),
        html.P(id="op-current", className="muted"),
        html.P(id="op-result", className="ack-result"),
    ]


def register(app: Dash, ctx: DashContext) -> None:
    """Register the page (students and above) and its three callbacks."""

    def layout(lang: str | None = None, **_: Any) -> html.Div:
        lang = ctx.lang(lang)
        return SHELL.layout(lang, operate_body(ctx, lang))

    dash.register_page("operate", path=PATH, layout=layout, name="operate", title="gmp-twin operate", order=9)

    @app.callback(Output("op-tag", "options"), Output("op-tag", "value"), Input("op-unit", "value"),
                  State("op-lang", "data"))  # fmt: skip
    def tags(unit: str | None, lang: str) -> tuple[list[dict[str, str]], None]:
        control = ctx.services.plant_control()
        if control is None or not unit:
            return [], None
        try:
            specs, policy = control.tag_specs().get(unit, []), control.policy
        except ConnectionError:  # the tag line says the twin is out of reach
            return [], None
        return tag_options(policy, specs, current_principal().role, unit, lang), None

    @app.callback(
        Output("op-current", "children"),
        Input("op-tick", "n_intervals"),
        Input("op-tag", "value"),
        Input("op-result", "children"),
        State("op-unit", "value"),
        State("op-lang", "data"),
    )
    def current(_n: int | None, tag: str | None, _result: Any, unit: str | None, lang: str) -> str:
        control = ctx.services.plant_control()
        return current_text(control, unit, tag, lang) if control else ""

    @app.callback(
        Output("op-result", "children"),
        Input("op-write", "n_clicks"),
        State("op-unit", "value"),
        State("op-tag", "value"),
        State("op-value", "value"),
        State("op-reason", "value"),
        State("op-lang", "data"),
        prevent_initial_call=True,
    )
    def write(_n: int | None, unit: str | None, tag: str | None, value: Any, reason: str | None, lang: str) -> str:
        return write_value(ctx.services.plant_control(), unit, tag, value, reason, lang)
