"""``gmp-twin pki list|trust|reject``: the OPC UA certificates the twin's server and the bridge accept.

``list`` shows this application's own certificate, the trusted ones and the rejected ones
(thumbprint as UaExpert shows it, subject, ApplicationUri, expiry). ``trust THUMBPRINT`` moves
a rejected certificate (the first characters of its thumbprint are enough) to the trusted
list; ``trust FILE`` trusts a certificate file (DER or PEM, e.g. exported from a PLC).
``reject THUMBPRINT`` moves a trusted certificate back to the rejected list. The running server
and bridge read the lists at every connection: no restart needed.
The folder is ``--pki PATH``, else ``GMP_TWIN_PKI``, else ``data/pki``.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from config_schema.files import ConfigError

if TYPE_CHECKING:
    from pki import CertInfo

DEFAULT_PKI = Path("data/pki")


def pki_path(args: argparse.Namespace) -> Path:
    """The folder: ``--pki``, else ``GMP_TWIN_PKI``, else ``data/pki``."""
    if args.pki is not None:
        return Path(args.pki)
    return Path(os.environ.get("GMP_TWIN_PKI") or DEFAULT_PKI)


def _line(info: CertInfo, mark: str = "") -> str:
    uri = info.application_uri or "-"
    return f"  {info.thumbprint}  {info.subject}  {uri}  until {info.not_after[:10]}{mark}  {info.path.name}"


def _cmd_list(args: argparse.Namespace) -> int:
    from pki import CertInfo, Pki

    pki = Pki(pki_path(args))
    if not pki.root.is_dir():
        raise ConfigError(f"no PKI folder at {pki.root} (the server creates it at first start; or give --pki PATH)")
    own = [CertInfo.of(p.read_bytes(), p) for p in sorted((pki.root / "own" / "certs").glob("*.der"))]
    own_sha = {i.sha256 for i in own}
    print(f"PKI folder {pki.root}")
    for title, infos in (("own", own), ("trusted", pki.trusted()), ("rejected", pki.rejected())):
        print(f"{title} ({len(infos)}):")
        for info in infos:
            print(_line(info, "  (own)" if title == "trusted" and info.sha256 in own_sha else ""))
    rejected = pki.rejected()
    if rejected:
        print(f"trust one with: gmp-twin pki trust {rejected[0].thumbprint[:16]} --pki {pki.root}")
    return 0


def _cmd_trust(args: argparse.Namespace) -> int:
    from pki import Pki

    pki = Pki(pki_path(args))
    try:
        info = pki.trust(args.certificate)
    except (LookupError, ValueError) as exc:
        raise ConfigError(f"pki trust: {exc}") from None
    print(f"trusted {info.thumbprint} {info.subject} ({info.application_uri or 'no application URI'}): {info.path}")
    return 0


def _cmd_reject(args: argparse.Namespace) -> int:
    from pki import Pki

    pki = Pki(pki_path(args))
    try:
        info = pki.distrust(args.thumbprint)
    except LookupError as exc:
        raise ConfigError(f"pki reject: {exc}") from None
    print(f"rejected {info.thumbprint} {info.subject}: {info.path}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``gmp-twin pki list|trust|reject``."""
    pki = sub.add_parser("pki", help="OPC UA certificates: list, trust or reject peers (UaExpert-style trust lists)")
    pki_sub = pki.add_subparsers(dest="pki_command", required=True, metavar="ACTION")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--pki", default=None, help="PKI folder (default data/pki; env GMP_TWIN_PKI)")

    show = pki_sub.add_parser("list", parents=[common], help="own, trusted and rejected certificates")
    show.set_defaults(handler=_cmd_list)
    trust = pki_sub.add_parser("trust", parents=[common], help="trust a rejected certificate, or a certificate file")
    trust.add_argument("certificate", help="thumbprint (its first characters are enough) or a .der/.pem file")
    trust.set_defaults(handler=_cmd_trust)
    reject = pki_sub.add_parser("reject", parents=[common], help="move a trusted certificate to the rejected list")
    reject.add_argument("thumbprint", help="thumbprint (its first characters are enough)")
    reject.set_defaults(handler=_cmd_reject)
