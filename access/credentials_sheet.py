"""The printable credentials sheet of a roster import: one card per student, in French and English.

The sheet holds one-time passwords, so it is written readable by its owner only (0600);
print it, cut the cards, hand them out, delete the file.

Examples
--------
>>> html = render_sheet([Credential("zoe.obrien", "Zoë O'Brien", "Xk7m-pQ4r-Tz9a-Hc3e")], url="http://127.0.0.1:8050/login")
>>> "Zoë O&#x27;Brien" in html, html.count('class="card"')
(True, 1)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from pathlib import Path

DEFAULT_URL = "http://127.0.0.1:8050/login"

_STYLE = """
  body { font-family: system-ui, sans-serif; margin: 1.5em; }
  header p { margin: .2em 0; }
  .cards { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; margin-top: 1em; }
  .card { border: 1px dashed #555; padding: .8em 1em; break-inside: avoid; page-break-inside: avoid; }
  .card h2 { font-size: 1.1em; margin: 0 0 .5em; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: .25em .8em; margin: 0; }
  dt { color: #444; } dd { margin: 0; }
  code { font-size: 1.15em; letter-spacing: .04em; }
  .note { font-size: .85em; color: #333; margin: .6em 0 0; }
  @media print { header .screen-only { display: none; } body { margin: 0; } }
"""


@dataclass(frozen=True)
class Credential:
    """One card: user name, printed name, one-time password."""

    name: str
    display_name: str
    password: str


def _card(cred: Credential, url: str) -> str:
    who = escape(cred.display_name or cred.name)
    return f"""  <section class="card">
    <h2>{who}</h2>
    <dl>
      <dt>Adresse / Address</dt><dd>{escape(url)}</dd>
      <dt>Identifiant / User name</dt><dd><code>{escape(cred.name)}</code></dd>
      <dt>Mot de passe provisoire / One-time password</dt><dd><code>{escape(cred.password)}</code></dd>
    </dl>
    <p class="note">À changer à la première connexion. / You must change it when you first log in.</p>
  </section>"""


def render_sheet(credentials: Sequence[Credential], *, url: str = DEFAULT_URL, title: str = "") -> str:
    """The HTML sheet for ``credentials`` (every text escaped)."""
    heading = escape(title or "Identifiants gmp-twin / gmp-twin credentials")
    made = datetime.now().strftime("%Y-%m-%d %H:%M")
    cards = "\n".join(_card(c, url) for c in credentials)
    return f"""<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="robots" content="noindex">
<title>{heading}</title>
<style>{_STYLE}</style>
</head>
<body>
<header>
  <h1>{heading}</h1>
  <p>{len(credentials)} comptes / accounts &middot; {escape(made)}</p>
  <p class="screen-only">Imprimez, découpez, remettez à chacun sa carte, puis supprimez ce fichier.
  / Print, cut, give each student their card, then delete this file.</p>
</header>
<main class="cards">
{cards}
</main>
</body>
</html>
"""


def write_sheet(path: str | Path, credentials: Sequence[Credential], *, url: str = DEFAULT_URL) -> Path:
    """Write the sheet to ``path`` with mode 0600 (also when the file existed); return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its mode otherwise
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(render_sheet(credentials, url=url))
    return path
