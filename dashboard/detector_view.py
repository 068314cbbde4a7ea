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
from dashboard.i18n import t
from dashboard.shell import notice


def format_parameters(params: dict[str, Any]) -> str:
    """Limits and design of a detector in one line.

    >>> format_parameters({"mean": 15.0, "sigma": 0.04321, "source": "known", "L": 3.0, "rules": "we"})
    'mean = 15, sigma = 0.04321, source = known, L = 3, rules = we'
    """
    parts = []
    for key, value in params.items():
        if value is None or value == []:
            continue
        if isinstance(value, float):
            value = f"{value:.4g}"
        elif isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        parts.append(f"{key} = {value}")
    return ", ".join(parts)


def status_line(info: dict[str, Any], alarm: dict[str, Any] | None, lang: str) -> list[Any]:
    """Phase, status, parameters and the alarm state of a detector, as Dash children."""
    phase = f"{t('phase', lang)}: {t(info['phase'], lang)}"
    if info["status"] != info["phase"]:
        phase += f" ({info['status']})"  # e.g. "learning limits: 35 / 120 s"
    children: list[Any] = [html.Span(phase, className="det-phase")]
    if info["parameters"]:
        children.append(html.Span(f" · {format_parameters(info['parameters'])}", className="det-params"))
    if alarm is not None:
        rules = ", ".join(alarm["rules"])
        children.append(
            html.Div(
                f"{t('alarm', lang)}: {t(alarm['state'], lang)}" + (f" — {rules}" if rules else ""),
                className=f"det-alarm state-{alarm['state']}",
                id="spc-alarm-state",
            )
        )
    return children


def detector_infos(service: MonitoringService | None, pca: bool) -> list[dict[str, Any]]:
    """The PCA detectors (``pca=True``) or the univariate ones of the service; none without it."""
    return [i for i in service.detector_infos() if (i["method"] == "pca") == pca] if service else []


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
