"""Plant-side text in the reader's language: tag descriptions, SPC/PCA rules, detector alarms.

The models, the detector file and analytics keep English (their data, their logs, the API's
``message``); the catalogue holds the French and English text under keys:

- ``tag.<unit_type>.<tag>``: a tag's description (``tag.fluid_bed_dryer.phase``);
- ``rule.<rule id>``: what a rule that fired means (``rule.WE2``);
- ``detector.<detector name>``: the alarm message of a detector of ``config/detectors.yaml``;
- ``alarm.<transition>``: an alarm event (``alarm.raised``: "{alarm}: {rules}");
- ``det_status.*``, ``det_source.*``, ``det_param.*``: a live detector's status line (analytics
  writes it in English, e.g. ``warming up: 2400 s left``; :func:`detector_text` reads it back).

A text without a key (a school's own tag map or detector) falls back to its English original.

Examples
--------
>>> tag_description("fluid_bed_dryer", "product_temperature", "fr")
'Température du produit (lit)'
>>> tag_description("my_kit", "LT1", "fr", default="Level")
'Level'
>>> rule_label("WE4", "fr")
'8 points consécutifs du même côté de la ligne centrale'
>>> detector_text("warming up: 2400 s left", "fr")
'mise en température : encore 2\u202f400 s'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from analytics.detectors import rule_text
from dashboard.i18n import catalogue, t


def _known(key: str) -> bool:
    return key in catalogue()


def label_or(key: str, lang: str, default: str) -> str:
    """``t(key)`` when the catalogue has ``key``, else ``default`` (a school's own name, say).

    >>> label_or("det_param.mean", "fr", "mean"), label_or("det_param.L", "fr", "L")
    ('moyenne', 'L')
    """
    return t(key, lang) if _known(key) else default


def tag_description(unit_type: str | None, tag: str, lang: str, default: str = "") -> str:
    """Description of ``tag`` of a ``unit_type`` unit (``default``, else the tag name, when unknown)."""
    key = f"tag.{unit_type}.{tag}"
    return t(key, lang) if unit_type and _known(key) else (default or tag)


def rule_label(rule: str, lang: str) -> str:
    """Meaning of a rule id (``WE1``, ``C+``, ``SPE``...); analytics' English text when unknown."""
    key = f"rule.{rule}"
    return t(key, lang) if _known(key) else rule_text(rule)


#: The English texts of a live detector's status and limit source (``analytics.detectors``), by key.
_DETECTOR_TEXTS = (
    (re.compile(r"waiting for data"), "det_status.waiting"),
    (re.compile(r"warming up: (?P<left>\d+) s left"), "det_status.warmup"),
    (re.compile(r"learning limits: (?P<done>\d+) / (?P<total>\d+(?:\.\d+)?) s"), "det_status.learning"),
    (re.compile(r"reference rejected \((?P<reason>.*)\); learning again"), "det_status.rejected"),
    (re.compile(r"monitoring"), "det_status.monitoring"),
    (re.compile(r"known"), "det_source.known"),
    (re.compile(r"specification"), "det_source.specification"),
    (re.compile(r"reference \((?P<n>\d+) windows\)"), "det_source.reference"),
)


def _number(text: str) -> int | float | str:
    """A number read from an English text (formatted again for the reader), else the text."""
    if text.isdigit():
        return int(text)
    return float(text) if re.fullmatch(r"\d+\.\d+", text) else text


def detector_text(text: str, lang: str) -> str:
    """A live detector's status or limit source in ``lang``; an unknown text as it is.

    >>> detector_text("learning limits: 35 / 120 s", "fr"), detector_text("reference (50 windows)", "en")
    ('apprentissage des limites : 35 / 120 s', 'reference (50 windows)')
    >>> detector_text("something new", "fr")
    'something new'
    """
    for pattern, key in _DETECTOR_TEXTS:
        match = pattern.fullmatch(text)
        if match:
            return t(key, lang, **{k: _number(v) for k, v in match.groupdict().items()})
    return text


def detector_message(params: Mapping[str, Any], lang: str) -> str:
    """The alarm text of a detector from ``message_params`` (detector, method, label, description).

    The detectors file's own text in ``lang`` (``description: {fr: ..., en: ...}``) comes first.

    >>> detector_message({"detector": "level-ewma", "description_fr": "Niveau : dérive"}, "fr")
    'Niveau : dérive'
    """
    if params.get(f"description_{lang}"):
        return str(params[f"description_{lang}"])
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
