"""The language of the command line's summaries: ``--lang fr|en``, default from the environment.

``GMP_TWIN_LANG`` (the setting ``gmp-twin run`` uses for the dashboard) first, then the
locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``: ``fr_FR.UTF-8`` → ``fr``), else English.
Kept free of Babel so that every ``gmp-twin`` start stays quick; the text comes from
``dashboard.i18n`` when a summary is printed.

Examples
--------
>>> cli_lang({"GMP_TWIN_LANG": "en", "LANG": "fr_FR.UTF-8"}), cli_lang({"LANG": "fr_FR.UTF-8"}), cli_lang({})
('en', 'fr', 'en')
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping

LANGS = ("fr", "en")


def cli_lang(environ: Mapping[str, str] | None = None) -> str:
    """The default summary language for this environment."""
    env = os.environ if environ is None else environ
    for name in ("GMP_TWIN_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        code = env.get(name, "")[:2].lower()
        if code in LANGS:
            return code
    return "en"


def add_lang_flag(parser: argparse.ArgumentParser) -> None:
    """``--lang fr|en`` for a command's printed summary."""
    parser.add_argument(
        "--lang", choices=LANGS, default=cli_lang(), help="language of the summary (default: GMP_TWIN_LANG, LANG)"
    )
