"""What the SPC and PCA pages share: the detector picker, its status line, its latest state.

Pure functions over the plain data of :class:`analytics.monitoring.MonitoringService`
(``detector_infos()``, ``alarm_view()``, ``history()``), testable without a browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dash import html

from analytics.detectors import DetectorPoint
from analytics.monitoring import MonitoringService
from dashboard.i18n import colon, fmt_number, t
from dashboard.plant_texts import detector_text, label_or
from dashboard.shell import notice


def format_parameters(params: dict[str, Any], lang: str = "en") -> str:
    """Limits and design of a detector in one line, in ``lang`` (numbers to four significant digits).

    ``notes`` (English remarks of the PCA fit) are left out: :func:`status_line` puts them in a tooltip.

    >>> format_parameters({"mean": 15.0, "sigma": 0.04321, "source": "known", "L": 3.0, "rules": "we"})
    'mean = 15, sigma = 0.04321, source = known, L = 3, rules = we'
    >>> format_parameters({"sigma": 0.086291, "source": "reference (50 windows)", "L": 3.6523}, "fr")
    'sigma = 0,08629, origine = référence (50 fenêtres), L = 3,652'
    """
    parts = []
    for key, value in params.items():
        if value is None or value == [] or key == "notes":
            continue
        if isinstance(value, float | int) and not isinstance(value, bool):
            value = fmt_number(value, lang, significant=4)
        elif isinstance(value, list):
            value = ", ".join(fmt_number(v, lang, significant=4) if isinstance(v, float) else str(v) for v in value)
        elif key == "source":
            value = detector_text(str(value), lang)
        elif key == "limits":
            value = label_or(f"det_limits.{value}", lang, str(value))
        parts.append(f"{label_or(f'det_param.{key}', lang, key)} = {value}")
    return ", ".join(parts)


def status_line(info: dict[str, Any], alarm: dict[str, Any] | None, lang: str) -> list[Any]:
    """Phase, status, parameters and the alarm state of a detector, as Dash children."""
    phase = f"{t('phase', lang)}{colon(lang)} {t(info['phase'], lang)}"
    if info["status"] != info["phase"]:
        phase += f" ({detector_text(info['status'], lang)})"  # e.g. "learning limits: 35 / 120 s"
    children: list[Any] = [html.Span(phase, className="det-phase")]
    if info["parameters"]:
        notes = "\n".join(str(n) for n in info["parameters"].get("notes") or [])
        params = f" · {format_parameters(info['parameters'], lang)}"
        children.append(html.Span(params, className="det-params", title=notes or None))
    if alarm is not None:
        rules = ", ".join(alarm["rules"])
        children.append(
            html.Div(
                f"{t('alarm', lang)}{colon(lang)} {t(alarm['state'], lang)}" + (f" — {rules}" if rules else ""),
                className=f"det-alarm state-{alarm['state']}",
                id="spc-alarm-state",
            )
        )
    return children


#: Methods that are not one-tag charts: PCA has its own page, the golden batch is on its unit's page.
MULTIVARIATE = frozenset({"pca", "golden"})


def detector_infos(service: MonitoringService | None, pca: bool) -> list[dict[str, Any]]:
    """The PCA detectors (``pca=True``) or the univariate charts of the service; none without it."""
    if service is None:
        return []
    if pca:
        return [i for i in service.detector_infos() if i["method"] == "pca"]
    return [i for i in service.detector_infos() if i["method"] not in MULTIVARIATE]


def detector_notice(service: MonitoringService | None, infos: list[dict[str, Any]], lang: str) -> list[Any]:
    """The page body when there is nothing to pick: no monitoring service, or no detector of the kind."""
    if service is None:
        return [notice("no_monitoring", lang)]
    if not infos:
        return [notice("no_detectors", lang)]
    return []


@dataclass(frozen=True)
class DetectorState:
    """One detector as its page shows it: description, alarm, points and the status line."""

    info: dict[str, Any]
    alarm: dict[str, Any]
    points: list[DetectorPoint]
    status: list[Any]


def detector_state(service: MonitoringService | None, name: str | None, lang: str) -> DetectorState | None:
    """The detector ``name`` now, or ``None`` without service or with an unknown name."""
    if service is None or name is None or name not in service.detectors:
        return None
    info = next(i for i in service.detector_infos() if i["name"] == name)
    alarm = service.alarm_view(name)
    return DetectorState(info, alarm, service.history(name), status_line(info, alarm, lang))
