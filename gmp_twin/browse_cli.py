"""``gmp-twin tagmap --browse URL``: a real kit's tag map from its server's address space.

The flags say how to connect, as the tag map's ``security:`` and ``identity:`` blocks will (they
are written into the map as given, the password only as the name of its variable or file):

    gmp-twin tagmap --browse opc.tcp://192.168.0.1:4840 --security Basic256Sha256 \\
        --server-trust sha1:AB12... --username opcuser --password-env KIT1_OPCUA_PASSWORD \\
        --root 'ns=3;s="DB_Process"' --out config/tagmaps/kit1.yaml

The report (Festo signals matched and not found, variables left out) goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from pydantic import ValidationError

from config_schema.files import ConfigError


def add_browse_flags(parser: argparse.ArgumentParser) -> None:
    """The ``--browse`` flags of ``gmp-twin tagmap``."""
    group = parser.add_argument_group("browse a server (a real kit) instead of the simulated plant")
    group.add_argument("--browse", metavar="URL", help="opc.tcp:// endpoint whose address space becomes the tag map")
    group.add_argument("--root", metavar="NODE", help="walk only under this node id (default: Objects)")
    group.add_argument(
        "--security",
        choices=("None", "Basic256Sha256", "Aes128_Sha256_RsaOaep", "Aes256_Sha256_RsaPss"),
        default="None",
        help="security policy (default None)",
    )
    group.add_argument(
        "--mode", choices=("Sign", "SignAndEncrypt"), default="SignAndEncrypt", help="with a secure policy"
    )
    group.add_argument(
        "--server-trust",
        default="pki",
        help="pki (the PKI folder's trusted list, default), sha1:THUMBPRINT, or tofu (trust on first use)",
    )
    group.add_argument("--pki", type=Path, help="PKI folder (default data/pki; env GMP_TWIN_PKI)")
    group.add_argument("--username", help="log in with this user name (default anonymous)")
    group.add_argument("--password-env", metavar="VAR", help="environment variable holding the password")
    group.add_argument("--password-file", type=Path, metavar="FILE", help="file holding the password")
    group.add_argument("--site", default="lab", help="site tag of the map (default lab)")
    group.add_argument("--out", type=Path, metavar="FILE", help="write the map here (default: standard output)")


def cmd_browse(args: argparse.Namespace, pki_default: Path) -> int:
    """Browse, write the map, report on stderr."""
    from config_schema.tagmap import TagMapIdentity, TagMapSecurity
    from pki.store import Pki
    from plc_bridge.browse import browse_tagmap

    try:
        security = (
            TagMapSecurity(policy=args.security, mode=args.mode, server_trust=args.server_trust)
            if args.security != "None"
            else None
        )
        identity = (
            TagMapIdentity(
                kind="username",
                username=args.username,
                password_env=args.password_env,
                password_file=args.password_file,
            )
            if args.username
            else None
        )
    except ValidationError as exc:
        raise ConfigError("; ".join(str(e["msg"]) for e in exc.errors())) from None
    if args.username and not (args.password_env or args.password_file):
        raise ConfigError("--username needs --password-env VAR or --password-file FILE (never the password itself)")
    browsed = asyncio.run(
        browse_tagmap(
            args.browse,
            site=args.site,
            unit=args.unit,
            root=args.root,
            security=security,
            identity=identity,
            pki=Pki(args.pki or pki_default),
        )
    )
    command = f"gmp-twin tagmap --browse {browsed.tagmap.endpoint}" + (f" --root {args.root}" if args.root else "")
    text = browsed.to_yaml(command)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        print(f"gmp-twin: wrote {args.out}", file=sys.stderr)
    else:
        print(text, end="")
    for line in browsed.report():
        print(f"gmp-twin: {line}", file=sys.stderr)
    return 0
