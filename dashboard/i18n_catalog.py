"""The gettext catalogue of the dashboard: ``dashboard/locale/<lang>/LC_MESSAGES/dashboard.po``.

Keys are the msgids (``"level"``, ``"tag.dryer.phase"``); each language's ``.po`` file holds its
text as msgstr. Translators edit the ``.po`` files with any gettext tool (Poedit, Weblate...);
Babel reads and writes them.

Command line::

    python -m dashboard.i18n_catalog absorb dashboard.labels_units [--delete]
    python -m dashboard.i18n_catalog check

``absorb`` moves a ``LABELS = {"key": {"fr": ..., "en": ...}}`` module into the ``.po`` files
(a key already there with another text is refused, naming it); ``--delete`` removes the module's
file once absorbed. ``check`` lists keys missing in a language and exits 1 if any.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

logger = logging.getLogger(__name__)

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "dashboard"
#: The languages of the catalogue (``dashboard.i18n.LANGS`` is the same tuple).
CATALOGUE_LANGS = ("fr", "en")


def po_path(lang: str, locale_dir: Path = LOCALE_DIR) -> Path:
    """The ``.po`` file of ``lang``."""
    return locale_dir / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(lang: str, locale_dir: Path = LOCALE_DIR) -> Catalog:
    """The catalogue of ``lang`` (an empty one when its file does not exist yet)."""
    path = po_path(lang, locale_dir)
    if not path.exists():
        return Catalog(
            locale=lang,
            domain=DOMAIN,
            project="gmp-twin",
            version="0.1",
            copyright_holder="the gmp-twin authors",
            header_comment=f"# gmp-twin dashboard text in {lang}; msgids are keys (python -m dashboard.i18n_catalog)",
            fuzzy=False,
        )
    with path.open("rb") as f:
        return read_po(f, locale=lang, domain=DOMAIN)


def write_catalog(catalog: Catalog, lang: str, locale_dir: Path = LOCALE_DIR) -> None:
    """Write ``catalog`` as ``lang``'s ``.po`` file, keys sorted (stable diffs)."""
    path = po_path(lang, locale_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, catalog, width=100, sort_output=True, omit_header=False)


def load_texts(locale_dir: Path = LOCALE_DIR) -> dict[str, dict[str, str]]:
    """Every key of the catalogue with its text per language (untranslated entries left out)."""
    texts: dict[str, dict[str, str]] = {}
    for lang in CATALOGUE_LANGS:
        for message in read_catalog(lang, locale_dir):
            if message.id and isinstance(message.id, str) and message.string:
                texts.setdefault(message.id, {})[lang] = str(message.string)
    return texts


class CatalogueConflict(ValueError):
    """A key is already in the catalogue with another text."""


def add_entries(
    entries: Mapping[str, Mapping[str, str]], *, replace: bool = False, locale_dir: Path = LOCALE_DIR
) -> int:
    """Add ``entries`` (key → {lang: text}) to the ``.po`` files; returns how many keys were new.

    Raises
    ------
    CatalogueConflict
        A key is there with another text (unless ``replace``), or an entry lacks a language.
    """
    for key, by_lang in entries.items():
        missing = [lang for lang in CATALOGUE_LANGS if not by_lang.get(lang)]
        if missing:
            raise CatalogueConflict(f"{key!r} has no text in {', '.join(missing)}")
    catalogs = {lang: read_catalog(lang, locale_dir) for lang in CATALOGUE_LANGS}
    new = 0
    for key, by_lang in entries.items():
        new += key not in catalogs[CATALOGUE_LANGS[0]]
        for lang, catalog in catalogs.items():
            old = catalog.get(key)
            if old is not None and old.string and old.string != by_lang[lang] and not replace:
                raise CatalogueConflict(
                    f"{key!r} is already in {po_path(lang, locale_dir)} as {old.string!r}, not {by_lang[lang]!r}: "
                    "rename the key or pass --replace"
                )
            if old is None:
                catalog.add(key, by_lang[lang])
            else:
                old.string = by_lang[lang]
    for lang, catalog in catalogs.items():
        write_catalog(catalog, lang, locale_dir)
    return new


def module_labels(module_name: str) -> dict[str, dict[str, str]]:
    """The ``LABELS`` dict of a label module (or its one ``*_LABELS`` dict)."""
    module = importlib.import_module(module_name)
    if hasattr(module, "LABELS"):
        return dict(module.LABELS)
    dicts = [v for k, v in vars(module).items() if k.endswith("_LABELS") and isinstance(v, dict)]
    if len(dicts) != 1:
        raise CatalogueConflict(f"{module_name} holds no LABELS dict")
    return dict(dicts[0])


def absorb(module_name: str, *, delete: bool = False, replace: bool = False, locale_dir: Path = LOCALE_DIR) -> int:
    """Move the labels of ``module_name`` into the ``.po`` files; returns the number of new keys."""
    labels = module_labels(module_name)
    new = add_entries(labels, replace=replace, locale_dir=locale_dir)
    source = importlib.import_module(module_name).__file__
    if delete and source:
        Path(source).unlink()
    logger.info("%s: %d keys (%d new) in the catalogue", module_name, len(labels), new)
    return new


def missing_keys(texts: Mapping[str, Mapping[str, str]]) -> dict[str, list[str]]:
    """Language → keys without text in it."""
    return {lang: sorted(k for k, v in texts.items() if not v.get(lang)) for lang in CATALOGUE_LANGS}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboard.i18n_catalog", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    absorb_cmd = commands.add_parser("absorb", help="move label modules (LABELS dicts) into the .po files")
    absorb_cmd.add_argument("modules", nargs="+", help="e.g. dashboard.labels_units")
    absorb_cmd.add_argument("--delete", action="store_true", help="delete each module's file once absorbed")
    absorb_cmd.add_argument("--replace", action="store_true", help="a key already there takes the module's text")
    commands.add_parser("check", help="list keys missing in a language (exit 1 if any)")
    parser.add_argument("--locale-dir", type=Path, default=LOCALE_DIR, help="catalogue folder (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.command == "absorb":
        for name in args.modules:
            try:
                new = absorb(name, delete=args.delete, replace=args.replace, locale_dir=args.locale_dir)
            except CatalogueConflict as exc:
                print(f"{name}: {exc}", file=sys.stderr)
                return 1
            print(
                f"{name}: {new} new keys in {po_path('fr').parent.parent.parent}"
                + (" (file deleted)" if args.delete else "")
            )
        return 0
    gaps = missing_keys(load_texts(args.locale_dir))
    for lang, keys in gaps.items():
        for key in keys:
            print(f"{lang}: missing {key}")
    return 1 if any(gaps.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
