"""Plant-side text in the reader's language: tag descriptions, SPC/PCA rules, detector alarms.

The models, the detector file and analytics keep English (their data, their logs, the API's
``message``); the catalogue holds the French and English text under keys:

- ``tag.<unit_type>.<tag>``: a tag's description (``tag.fluid_bed_dryer.phase``);
- ``rule.<rule id>``: what a rule that fired means (``rule.WE2``);
- ``detector.<detector name>``: the alarm message of a detector of ``config/detectors.yaml``;
- ``alarm.<transition>``: an alarm event (``alarm.raised``: "{alarm}: {rules}").

A text without a key (a school's own tag map or detector) falls back to its English original.

Examples
--------
>>> tag_description("fluid_bed_dryer", "product_temperature", "fr")
'Température du produit (lit)'
>>> tag_description("my_kit", "LT1", "fr", default="Level")
'Level'
>>> rule_label("WE4", "fr")
'8 points consécutifs du même côté de la ligne centrale'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from analytics.detectors import rule_text
from dashboard.i18n import catalogue, t


def _known(key: str) -> bool:
    return key in catalogue()


def tag_description(unit_type: str | None, tag: str, lang: str, default: str = "") -> str:
    """Description of ``tag`` of a ``unit_type`` unit (``default``, else the tag name, when unknown)."""
    key = f"tag.{unit_type}.{tag}"
    return t(key, lang) if unit_type and _known(key) else (default or tag)


def rule_label(rule: str, lang: str) -> str:
    """Meaning of a rule id (``WE1``, ``C+``, ``SPE``...); analytics' English text when unknown."""
    key = f"rule.{rule}"
    return t(key, lang) if _known(key) else rule_text(rule)


def detector_message(params: Mapping[str, Any], lang: str) -> str:
    """The alarm text of a detector from ``message_params`` (detector, method, label, description)."""
    key = f"detector.{params.get('detector', '')}"
    if _known(key):
        return t(key, lang)
    if params.get("description"):  # a detector configured here, with its own (untranslated) text
        return str(params["description"])
    return t("alarm.drift", lang, method=params.get("method", ""), label=params.get("label", ""))


def alarm_message(entry: Mapping[str, Any], lang: str) -> str:
    """An alarm (``/api/alarms`` view) or alarm event (``recent``) as a sentence in ``lang``.

    Uses ``message_key`` and ``message_params`` (``analytics.monitoring_alarms``); an entry
    without them shows its English ``message``.

    Examples
    --------
    >>> params = {"detector": "x", "method": "EWMA", "label": "B101_level", "description": "", "rules": "WE1"}
    >>> alarm_message({"message_key": "alarm.raised", "message_params": params}, "fr")
    'Dérive EWMA sur B101_level : WE1 (1 point au-delà des limites de contrôle (3σ))'
    >>> alarm_message({"message_key": "alarm.cleared", "message_params": params}, "en")
    'EWMA drift on B101_level: back to normal'
    >>> alarm_message({"message": "legacy"}, "fr")
    'legacy'
    """
    key, params = entry.get("message_key"), entry.get("message_params")
    if not key or not isinstance(params, Mapping) or not _known(str(key)):
        return str(entry.get("message", ""))
    rules = [r for r in str(params.get("rules", "")).split(",") if r]
    rules_text = ", ".join(f"{r} ({rule_label(r, lang)})" for r in rules)
    return t(str(key), lang, alarm=detector_message(params, lang), rules=rules_text)
