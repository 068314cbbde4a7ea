"""``gmp-twin users add|list|disable|enable|passwd|role|team|token|import``: the users file by hand.

Every change is audited as ``cli:<os user>`` (role ``admin``, via ``cli``) into the audit
trail (``--audit``, default setting ``audit``); with a trail that cannot be written the
change is refused. Passwords are read without echo (or from stdin with
``--password-stdin``) and are never printed, except a generated one-time password, once.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import getpass
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from access import ROLES, UserStore, check_strength, generate_password
from access.credentials_sheet import DEFAULT_URL, Credential, write_sheet
from access.roster import RosterEntry, read_roster
from audit import Actor, AuditTrail, AuditUnavailable
from pki import read_certificate

Handler = Callable[[argparse.Namespace], int]


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name and no passwd entry (some containers)
        return str(os.getuid())


def cli_actor() -> Actor:
    """The actor of a ``gmp-twin users`` command: ``cli:<os user>``, role admin."""
    return Actor(f"cli:{_os_user()}", "admin", "cli")


def _paths(args: argparse.Namespace) -> tuple[Path, Path]:
    from gmp_twin.settings import Settings

    settings = Settings()
    return args.users or settings.users, args.audit or settings.audit


@contextlib.contextmanager
def _store(args: argparse.Namespace, *, audited: bool = True) -> Iterator[UserStore]:
    users, audit = _paths(args)
    trail = AuditTrail(audit) if audited else None
    try:
        yield UserStore(users, trail)
    finally:
        if trail is not None:
            trail.close()


def _refusals(handler: Handler) -> Handler:
    """An unwritable audit trail refuses the change: say so and exit 1 (not a traceback)."""

    @functools.wraps(handler)
    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except AuditUnavailable as exc:
            print(f"gmp-twin: refused: {exc}", file=sys.stderr)
            return 1

    return run


def _read_password(args: argparse.Namespace, name: str) -> str:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        if not sys.stdin.isatty():
            raise ValueError("no terminal to read the password without echo; pipe it in with --password-stdin")
        password = getpass.getpass(f"New password for {name}: ")
        if getpass.getpass("Repeat it: ") != password:
            raise ValueError("the two passwords differ; nothing changed")
    check_strength(password, name=name)
    return password


# -- commands ---------------------------------------------------------------------------------
@_refusals
def _cmd_add(args: argparse.Namespace) -> int:
    given = _read_password(args, args.name) if args.password_stdin else None
    # A generated password is a one-time password: it must be changed at the first login.
    temporary = args.temporary or given is None
    with _store(args) as store:
        password = store.add(
            args.name,
            args.role,
            actor=cli_actor(),
            password=given,
            display_name=args.display_name,
            must_change_password=temporary,
            team=args.team,
        )
        in_team = f", team {args.team}" if args.team else ""
        print(f"added {args.name} ({args.role}{in_team}) to {store.path}")
    if given is None:
        print(f"one-time password (shown once; to be changed at the first login): {password}")
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    with _store(args, audited=False) as store:
        users = store.users()
        if args.json:
            rows = [u.model_dump(mode="json", exclude={"password_hash"}) for u in users]
            for row in rows:
                for token in row["tokens"]:
                    del token["sha256"]
            print(json.dumps(rows, indent=2, ensure_ascii=False))
            return 0
        if not users:
            print(f"no users in {store.path}; add one with `gmp-twin users add NAME --role instructor`")
            return 0
        head = f"{'NAME':24s} {'ROLE':10s} {'TEAM':12s} {'DISPLAY NAME':28s} {'DISABLED':8s} {'MUST-CHANGE':11s}"
        print(f"{head} TOKENS")
        for u in users:
            disabled, must = ("yes" if u.disabled else "no"), ("yes" if u.must_change_password else "no")
            team = u.team or "-"
            print(f"{u.name:24s} {u.role:10s} {team:12s} {u.display_name:28s} {disabled:8s} {must:11s} {len(u.tokens)}")
    return 0


@_refusals
def _cmd_disable(args: argparse.Namespace) -> int:
    disabled = args.users_command == "disable"
    with _store(args) as store:
        store.set_disabled(args.name, disabled, actor=cli_actor())
    print(f"{'disabled' if disabled else 'enabled'} {args.name}")
    return 0


@_refusals
def _cmd_passwd(args: argparse.Namespace) -> int:
    password = _read_password(args, args.name)
    with _store(args) as store:
        if store.get(args.name) is None:
            raise ValueError(f"no user {args.name!r} in {store.path}; see `gmp-twin users list`")
        store.set_password(args.name, password, actor=cli_actor(), must_change_password=args.temporary)
    then = "; it must be changed at the next login" if args.temporary else ""
    print(f"password of {args.name} changed{then}")
    return 0


@_refusals
def _cmd_role(args: argparse.Namespace) -> int:
    with _store(args) as store:
        store.set_role(args.name, args.role, actor=cli_actor())
    print(f"{args.name} is now {args.role}")
    return 0


@_refusals
def _cmd_team(args: argparse.Namespace) -> int:
    with _store(args) as store:
        store.set_team(args.name, args.team, actor=cli_actor())
    print(f"{args.name} is now in team {args.team}" if args.team else f"{args.name} is now in no team")
    return 0


@_refusals
def _cmd_token(args: argparse.Namespace) -> int:
    with _store(args) as store:
        if args.revoke:
            store.revoke_token(args.name, args.revoke, actor=cli_actor())
            print(f"revoked token {args.revoke} of {args.name}")
            return 0
        token = store.create_token(args.name, actor=cli_actor(), label=args.label)
    print(f"API token of {args.name} (shown once; send it as 'Authorization: Bearer <token>'):")
    print(token)
    return 0


@_refusals
def _cmd_cert(args: argparse.Namespace) -> int:
    with _store(args) as store:
        if args.remove:
            store.remove_certificate(args.name, args.remove, actor=cli_actor())
            print(f"the certificate {args.remove} no longer logs in as {args.name}")
            return 0
        info = read_certificate(args.add)
        store.add_certificate(args.name, info.sha256, info.subject, actor=cli_actor())
    print(f"{info.subject} (SHA-256 {info.sha256[:16]}…) now logs in as {args.name} over OPC UA")
    print(
        "the client's application certificate must also be trusted by the twin's server "
        "(after its first attempt: `gmp-twin pki list`, then `gmp-twin pki trust THUMBPRINT`)"
    )
    return 0


def _create_accounts(
    store: UserStore, entries: list[RosterEntry], role: str, actor: Actor
) -> tuple[list[Credential], list[str], list[str]]:
    """Create the roster's new accounts; return (created, skipped, failed) and stop at an audit refusal."""
    created: list[Credential] = []
    skipped: list[str] = []
    failed: list[str] = []
    for entry in entries:
        if entry.source != entry.name:
            print(f"line {entry.line}: {entry.source!r} -> {entry.name}")
        if store.get(entry.name) is not None:
            skipped.append(entry.name)
            print(f"line {entry.line}: {entry.name} exists already: skipped")
            continue
        try:
            password = store.add(
                entry.name,
                role,
                actor=actor,
                password=generate_password(),
                display_name=entry.display_name,
                must_change_password=True,
                team=entry.team,
            )
        except ValueError as exc:
            failed.append(entry.name)
            print(f"line {entry.line}: {entry.name} not created: {exc}", file=sys.stderr)
            continue
        except AuditUnavailable as exc:
            # The accounts made so far exist: their passwords must still reach the sheet.
            print(f"gmp-twin: refused: {exc}; this and the following accounts were not created", file=sys.stderr)
            failed.append(entry.name)
            break
        created.append(Credential(entry.name, entry.display_name, password))
    return created, skipped, failed


def _cmd_import(args: argparse.Namespace) -> int:
    entries = read_roster(args.roster)
    if args.sheet:
        write_sheet(args.sheet, [], url=args.url)  # fail before creating accounts if it cannot be written
    actor = cli_actor()
    with _store(args) as store:
        created, skipped, failed = _create_accounts(store, entries, args.role, actor)
        summary: dict[str, Any] = {"role": args.role, "created": [c.name for c in created], "skipped": skipped}
        assert store.audit is not None
        try:
            store.audit.append(actor, "user.import", f"roster:{Path(args.roster).name}", new=summary)
        except AuditUnavailable as exc:
            print(f"gmp-twin: the import summary could not be recorded: {exc}", file=sys.stderr)
    print(f"{len(created)} created, {len(skipped)} skipped, {len(failed)} failed ({args.role}, from {args.roster})")
    if args.sheet:
        path = write_sheet(args.sheet, created, url=args.url)
        print(
            f"credentials sheet (one-time passwords) written to {path} (mode 0600): "
            "print it, hand out the cards, then delete the file"
        )
    elif created:
        print("one-time passwords (shown once; to be changed at the first login):")
        for cred in created:
            print(f"{cred.name}\t{cred.password}")
    return 1 if failed else 0


# -- parser -----------------------------------------------------------------------------------
def register(sub: Any) -> None:
    """Add ``gmp-twin users ...`` to the sub-parsers ``sub`` of the main parser."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--users", type=Path, default=None, help="users file (default data/users.yaml; env GMP_TWIN_USERS)"
    )
    common.add_argument(
        "--audit", type=Path, default=None, help="audit trail (default data/audit.sqlite; env GMP_TWIN_AUDIT)"
    )
    stdin_help = "read the password from the first line of stdin"

    users = sub.add_parser("users", help="people of the twin: users file, roles, passwords, API tokens")
    actions = users.add_subparsers(dest="users_command", required=True, metavar="ACTION")

    add = actions.add_parser("add", parents=[common], help="add a user (prints a generated one-time password once)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--display-name", default="", help="printed name, e.g. 'Alice Martin'")
    add.add_argument("--password-stdin", action="store_true", help=stdin_help + " (default: generate a one-time one)")
    add.add_argument("--temporary", action="store_true", help="the given password must be changed at first login")
    add.add_argument("--team", default="", help="exercise team, e.g. team-1 (default: none)")
    add.set_defaults(handler=_cmd_add)

    ls = actions.add_parser("list", parents=[common], help="list users (never hashes)")
    ls.add_argument("--json", action="store_true", help="JSON, with token ids and labels")
    ls.set_defaults(handler=_cmd_list)

    for name, text in (("disable", "refuse every login and token of a user"), ("enable", "enable a user again")):
        p = actions.add_parser(name, parents=[common], help=text)
        p.add_argument("name")
        p.set_defaults(handler=_cmd_disable)

    passwd = actions.add_parser("passwd", parents=[common], help="set a user's password")
    passwd.add_argument("name")
    passwd.add_argument("--password-stdin", action="store_true", help=stdin_help + " (default: ask without echo)")
    passwd.add_argument("--temporary", action="store_true", help="the user must change it at the next login")
    passwd.set_defaults(handler=_cmd_passwd)

    role = actions.add_parser("role", parents=[common], help="change a user's role")
    role.add_argument("name")
    role.add_argument("role", choices=ROLES)
    role.set_defaults(handler=_cmd_role)

    team = actions.add_parser("team", parents=[common], help="put a user in an exercise team ('' for none)")
    team.add_argument("name")
    team.add_argument("team", help="team name, e.g. team-1; an empty string '' takes the user out of every team")
    team.set_defaults(handler=_cmd_team)

    token = actions.add_parser("token", parents=[common], help="create (prints it once) or revoke an API token")
    token.add_argument("name")
    token.add_argument("--label", default="", help="what the token is for, e.g. 'grading script'")
    token.add_argument("--revoke", metavar="TOKEN_ID", help="revoke this token id (see `users list --json`)")
    token.set_defaults(handler=_cmd_token)

    cert = actions.add_parser(
        "cert", parents=[common], help="let an X.509 client certificate log in as a user (OPC UA), or stop it"
    )
    cert.add_argument("name")
    what = cert.add_mutually_exclusive_group(required=True)
    what.add_argument("--add", type=Path, metavar="FILE", help="the client's certificate, PEM or DER")
    what.add_argument("--remove", metavar="SHA256", help="fingerprint (or its start) of a certificate to remove")
    cert.set_defaults(handler=_cmd_cert)

    imp = actions.add_parser(
        "import", parents=[common], help="create accounts with one-time passwords from a class roster (CSV)"
    )
    imp.add_argument(
        "roster",
        type=Path,
        help="CSV with a header: name[,display_name][,team] (or username/login/nom, prénom; équipe/group)",
    )
    imp.add_argument("--role", default="student", choices=ROLES, help="role of the new accounts (default student)")
    imp.add_argument("--sheet", type=Path, help="write a printable HTML credentials sheet (FR/EN) here, mode 0600")
    imp.add_argument("--url", default=DEFAULT_URL, help=f"dashboard login address on the sheet (default {DEFAULT_URL})")
    imp.set_defaults(handler=_cmd_import)
