"""French and English text of the dashboard: labels, numbers and dates (the training centres are French).

``t(key, lang, **params)`` is the one way to show text; ``fmt_number`` and ``fmt_datetime`` format
numbers (decimal comma in French) and instants with Babel's CLDR data.

Label modules: any ``dashboard/labels_<area>.py`` holding ``LABELS = {"key": {"fr": ..., "en": ...}}``
is merged automatically (no registration needed); ``python -m dashboard.i18n_catalog absorb <module>``
moves one into the gettext catalogue.

Examples
--------
>>> t("level", "fr"), t("level", "en")
('Niveau', 'Level')
>>> t("no-such-key", "fr")
'no-such-key'
>>> fmt_number(1234.5, "fr", 2), fmt_number(1234.5, "en", 2)
('1\\u202f234,50', '1,234.50')
>>> from datetime import datetime, UTC
>>> fmt_datetime(datetime(2026, 12, 3, 14, 0, tzinfo=UTC), "fr")
'3 déc. 2026, 14:00:00'
"""

from __future__ import annotations

import importlib
import logging
import math
import pkgutil
import string
from datetime import UTC, datetime, tzinfo
from functools import cache
from typing import Any

from babel.dates import format_date, format_time
from babel.dates import format_datetime as _babel_datetime
from babel.numbers import format_decimal

from dashboard.i18n_catalog import load_texts

logger = logging.getLogger(__name__)

LANGS = ("fr", "en")
#: Babel/CLDR locale per dashboard language; British English for a 24 h clock and day-month dates.
LOCALES = {"fr": "fr_FR", "en": "en_GB"}
#: Shown for a missing or non-numeric value (never ``nan``).
MISSING = "—"


def label_modules() -> list[str]:
    """Names of the ``dashboard/labels_<area>.py`` modules (merged until absorbed into the catalogue)."""
    import dashboard

    return sorted(
        f"dashboard.{m.name}" for m in pkgutil.iter_modules(dashboard.__path__) if m.name.startswith("labels_")
    )


@cache
def catalogue() -> dict[str, dict[str, str]]:
    """Every key with its text per language: the ``.po`` files, then each ``labels_<area>`` module.

    A key in both keeps the ``.po`` text (``tests/dashboard/test_i18n_catalogue.py`` refuses such duplicates).
    """
    merged = load_texts()
    for name in label_modules():
        for key, texts in importlib.import_module(name).LABELS.items():
            merged.setdefault(key, dict(texts))
    return merged


class _LocaleFormatter(string.Formatter):
    """``str.format`` whose numbers follow the language: ``{x:.2f}`` gives ``3,14`` in French."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, float | int) and not isinstance(value, bool):
            if not format_spec:
                return fmt_number(value, self.lang)
            if format_spec.startswith(".") and format_spec.endswith("f") and format_spec[1:-1].isdigit():
                return fmt_number(value, self.lang, int(format_spec[1:-1]))
        return super().format_field(value, format_spec)


def t(key: str, lang: str, /, **params: Any) -> str:
    """Text of ``key`` in ``lang`` (the key itself when unknown), with ``{name}`` fields filled from ``params``.

    Numbers in ``params`` are formatted for the language (``{value:.1f}`` → ``12,5`` in French).

    Examples
    --------
    >>> t("yes", "fr")
    'oui'
    >>> _LocaleFormatter("fr").format("{x:.1f} / {n}", x=12.54, n=3)
    '12,5 / 3'
    """
    lang = lang if lang in LANGS else "en"
    text = catalogue().get(key, {}).get(lang, key)
    return _LocaleFormatter(lang).format(text, **params) if params else text


def colon(lang: str) -> str:
    """The colon after a label: French typography puts a (no-break) space before it.

    >>> "Alarme" + colon("fr") + " active", "Alarm" + colon("en") + " active"
    ('Alarme\\xa0: active', 'Alarm: active')
    """
    return "\u00a0:" if lang == "fr" else ":"


def fmt_number(
    x: float | int | None, lang: str, digits: int | None = None, *, group: bool = True, significant: int | None = None
) -> str:
    """``x`` for a ``lang`` reader: decimal comma and thin-space grouping in French.

    ``digits`` fixes the number of decimals (``None``: up to three, trailing zeros dropped);
    ``significant`` instead keeps up to that many significant digits, like ``{x:.4g}`` but never
    in exponent form, and without grouping; ``None`` and NaN give ``—``.

    Examples
    --------
    >>> fmt_number(3.14159, "fr", 2), fmt_number(3.14159, "en", 2), fmt_number(2.5, "fr")
    ('3,14', '3.14', '2,5')
    >>> fmt_number(-0.04, "fr", 1), fmt_number(float("nan"), "fr"), fmt_number(12345, "fr", group=False)
    ('0,0', '—', '12345')
    >>> fmt_number(0.086291, "fr", significant=4), fmt_number(15.0, "fr", significant=4)
    ('0,08629', '15')
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return MISSING
    locale = LOCALES.get(lang, LOCALES["en"])
    if significant is not None:
        return format_decimal(x, format="@" + "#" * (significant - 1), locale=locale)
    integer = "#,##0" if group else "0"
    pattern = integer + ".###" if digits is None else integer + ("." + "0" * digits if digits > 0 else "")
    if math.isfinite(x) and round(x, 3 if digits is None else digits) == 0:
        x = 0  # no "-0,0"
    return format_decimal(x, format=pattern, locale=locale)


def fmt_datetime(when: datetime | float, lang: str, fmt: str = "medium", *, tz: tzinfo | None = None) -> str:
    """An instant for a ``lang`` reader, e.g. ``3 déc. 2026, 14:00:00`` / ``3 Dec 2026, 14:00:00``.

    ``when`` is an aware ``datetime`` (a naive one is taken as UTC) or POSIX seconds; ``tz``
    converts it for display (default: its own zone, UTC for seconds). ``fmt`` is ``short``,
    ``medium``, ``long``, ``time`` (``14:00:00``), ``date`` (``3 déc. 2026``) or a CLDR pattern.

    Examples
    --------
    >>> fmt_datetime(0.0, "en", "short"), fmt_datetime(0.0, "fr", "date"), fmt_datetime(0.0, "fr", "time")
    ('01/01/1970, 00:00', '1 janv. 1970', '00:00:00')
    """
    if not isinstance(when, datetime):
        when = datetime.fromtimestamp(when, UTC)
    elif when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if tz is not None:
        when = when.astimezone(tz)
    locale = LOCALES.get(lang, LOCALES["en"])
    if fmt == "time":
        return format_time(when, "medium", tzinfo=when.tzinfo, locale=locale)
    if fmt == "date":
        return format_date(when, "medium", locale=locale)
    return _babel_datetime(when, fmt, tzinfo=when.tzinfo, locale=locale)


def graph_config(lang: str, **extra: Any) -> dict[str, Any]:
    """``dcc.Graph`` config in ``lang``: Plotly's locale (French dates, decimal comma) and no logo.

    The ``fr`` locale is registered by ``dashboard/assets/plotly-locale-fr.js``; it also makes
    Plotly's default ``layout.separators`` ``", "``.

    Examples
    --------
    >>> graph_config("fr")
    {'displaylogo': False, 'locale': 'fr'}
    """
    return {"displaylogo": False, "locale": "fr" if lang == "fr" else "en-US", **extra}
