"""OPC UA user identities of the twin: instructors and students, and who may call what.

Users come from a YAML file (``GMP_TWIN_OPCUA_USERS``) holding salted scrypt hashes, never
passwords, and from two environment shortcuts (``GMP_TWIN_OPCUA_INSTRUCTOR_PASSWORD``,
``GMP_TWIN_OPCUA_STUDENT_PASSWORD``) that create the users ``instructor`` and ``student``.
There is no default password: with no instructor configured the instructor methods exist
but every call is refused.

Two asyncua hooks enforce it:

- :class:`TwinUserManager` checks the UserName token at ActivateSession and gives the
  session a :class:`TwinUser` (role ``instructor`` or ``student``); anonymous sessions are
  students, or are refused when anonymous access is off.
- :class:`TwinRuleset` is consulted by asyncua for every request of an activated session.
  It allows the ordinary services (browse, read, write, subscribe, call) to everyone, refuses
  a Call of an instructor method to anyone but an instructor, and records the caller so a
  method handler can check the role again (:func:`caller_role`).

Generate a file entry with ``python -m twin.opcua_users hash NAME --role instructor``.

Examples
--------
>>> encoded = hash_password("s3cret", n=2**10)
>>> encoded.startswith("scrypt$1024$8$1$")
True
>>> verify_password("s3cret", encoded), verify_password("guess", encoded)
(True, False)
"""

from __future__ import annotations

import argparse
import base64
import contextvars
import getpass
import hashlib
import hmac
import logging
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from asyncua import ua
from asyncua.common.utils import Buffer
from asyncua.crypto.permission_rules import USER_TYPES, PermissionRuleset, User, UserRole
from asyncua.ua.ua_binary import struct_from_binary
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from config_schema.files import load_yaml_model

log = logging.getLogger(__name__)

Role = Literal["instructor", "student"]

#: scrypt cost: ~16 MiB and a few tens of ms per check, paid once per session activation.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
_SCHEME = "scrypt"


# -- password hashes ------------------------------------------------------------------------
def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    """A salted scrypt hash, ``scrypt$N$r$p$<salt b64>$<hash b64>``.

    Parameters
    ----------
    password : str
        The clear password (UTF-8 encoded before hashing).
    n, r, p : int
        scrypt cost parameters; stored in the result so they can be raised later.
    """
    if not password:
        raise ValueError("empty password")
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=_maxmem(n, r, p), dklen=32)
    return f"{_SCHEME}${n}${r}${p}${_b64(salt)}${_b64(digest)}"


def _maxmem(n: int, r: int, p: int) -> int:
    # OpenSSL's default limit (32 MiB) is just too small for N=2**14, r=8 plus overhead.
    return 128 * r * (n + p + 2) + 1024 * 1024


def _parse_hash(encoded: str) -> tuple[int, int, int, bytes, bytes]:
    parts = encoded.split("$")
    if len(parts) != 6 or parts[0] != _SCHEME:
        raise ValueError(f"not a {_SCHEME} hash (expected scrypt$N$r$p$salt$hash; make one with "
                         "`python -m twin.opcua_users hash NAME --role ROLE`)")  # fmt: skip
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt, digest = base64.b64decode(parts[4], validate=True), base64.b64decode(parts[5], validate=True)
    except ValueError:
        raise ValueError("malformed scrypt hash: N, r, p must be integers, salt and hash base64") from None
    if n < 2 or n & (n - 1) or r < 1 or p < 1 or not salt or len(digest) < 16:
        raise ValueError("malformed scrypt hash: N must be a power of 2, r and p >= 1, salt and hash present")
    return n, r, p, salt, digest


def verify_password(password: str, encoded: str) -> bool:
    """Whether ``password`` matches a :func:`hash_password` result (constant-time compare)."""
    n, r, p, salt, digest = _parse_hash(encoded)
    candidate = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=_maxmem(n, r, p), dklen=len(digest))
    return hmac.compare_digest(candidate, digest)


# -- the users file ---------------------------------------------------------------------------
class OpcUaUser(BaseModel):
    """One entry of the users file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    role: Role
    password_hash: str = Field(description="scrypt$N$r$p$salt$hash, from `python -m twin.opcua_users hash`")

    @field_validator("password_hash")
    @classmethod
    def _check_hash(cls, value: str) -> str:
        _parse_hash(value)
        return value


class OpcUaUsersFile(BaseModel):
    """``config/opcua-users.example.yaml``: ``users: [{name, role, password_hash}, ...]``."""

    model_config = ConfigDict(extra="forbid")

    users: list[OpcUaUser] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> OpcUaUsersFile:
        seen: set[str] = set()
        for user in self.users:
            if user.name in seen:
                raise ValueError(f"user {user.name!r} is listed twice; keep one entry per name")
            seen.add(user.name)
        return self


def load_users(
    path: str | Path | None = None,
    instructor_password: str | SecretStr | None = None,
    student_password: str | SecretStr | None = None,
) -> dict[str, OpcUaUser]:
    """Users by name from the file and the environment shortcuts (which replace a same-named entry).

    Parameters
    ----------
    path : path, optional
        The YAML users file; ``ConfigError`` names the line of a bad entry.
    instructor_password, student_password : str, optional
        Create the users ``instructor`` / ``student`` (hashed here, kept only as a hash).
    """
    users: dict[str, OpcUaUser] = {}
    if path is not None:
        users = {u.name: u for u in load_yaml_model(Path(path), OpcUaUsersFile).users}
    for name, secret in (("instructor", instructor_password), ("student", student_password)):
        password = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
        if password:
            if name in users:
                log.info("OPC UA user %r from the environment replaces the one in %s", name, path)
            users[name] = OpcUaUser(name=name, role=name, password_hash=hash_password(password))
    return users


# -- asyncua hooks ----------------------------------------------------------------------------
@dataclass
class TwinUser(User):
    """An asyncua session user with the twin's role (anonymous sessions are students)."""

    twin_role: Role = "student"


#: The user of the request being processed on this connection's task (set by the ruleset).
_caller: contextvars.ContextVar[User | None] = contextvars.ContextVar("gmp_twin_opcua_caller", default=None)


def caller_role() -> Role | None:
    """The role of the client whose request is being served; ``None`` outside a client request."""
    user = _caller.get()
    if user is None:
        return None
    return user.twin_role if isinstance(user, TwinUser) else "student"


def caller_name() -> str:
    user = _caller.get()
    return (user.name or "anonymous") if user is not None else "?"


class TwinUserManager:
    """asyncua user manager: UserName tokens against hashed users, anonymous as a student.

    Parameters
    ----------
    users : Mapping[str, OpcUaUser]
        Users by name.
    allow_anonymous : bool
        Whether an anonymous session is accepted (as a student).
    """

    def __init__(self, users: Mapping[str, OpcUaUser], allow_anonymous: bool = True) -> None:
        self.users = dict(users)
        self.allow_anonymous = allow_anonymous
        # Checked for an unknown name too, so a wrong name costs as long as a wrong password.
        self._dummy = hash_password("not a user")

    def get_user(
        self, iserver: Any, username: str | None = None, password: str | None = None, certificate: Any = None
    ) -> User | None:
        # ``certificate`` is the secure channel's client certificate for every token type; X509
        # identity tokens never get here (the server does not offer them), so it is not an identity.
        if username is None:
            return TwinUser(role=UserRole.Anonymous, name=None) if self.allow_anonymous else None
        user = self.users.get(username)
        ok = verify_password(password or "", user.password_hash if user else self._dummy)
        if user is None or not ok:
            log.warning("OPC UA login refused for user %r", username)
            return None
        log.info("OPC UA session for user %r (%s)", username, user.role)
        return TwinUser(role=UserRole.User, name=username, twin_role=user.role)


_SERVICE_TYPES = frozenset(ua.NodeId(t) for t in USER_TYPES)
_CALL = ua.NodeId(ua.ObjectIds.CallRequest_Encoding_DefaultBinary)


class TwinRuleset(PermissionRuleset):
    """Which requests a session may make: everything but address-space changes; instructor
    methods for instructors only.

    asyncua asks it for every request of a session (before the request is decoded), with
    the session's user and the raw request body.

    Parameters
    ----------
    allow_anonymous : bool
        When false, a session without a :class:`TwinUser` (never activated) may do nothing.
    """

    def __init__(self, allow_anonymous: bool = True) -> None:
        self.allow_anonymous = allow_anonymous
        #: Method node ids only an instructor may call.
        self.instructor_methods: set[ua.NodeId] = set()

    def check_validity(self, user: User | None, action_type_id: ua.NodeId, body: Buffer) -> bool:
        _caller.set(user)
        if action_type_id not in _SERVICE_TYPES:
            return False  # AddNodes, DeleteNodes, RegisterServer...: nobody over the network
        if not isinstance(user, TwinUser):
            return self.allow_anonymous
        if action_type_id == _CALL and user.twin_role != "instructor" and self.instructor_methods:
            params = struct_from_binary(ua.CallParameters, body.copy())  # copy: asyncua decodes body next
            called = {m.MethodId for m in params.MethodsToCall or []}
            if called & self.instructor_methods:
                log.warning("OPC UA user %s (%s) may not call instructor methods", user.name or "anonymous",
                            user.twin_role)  # fmt: skip
                return False
        return True


# -- python -m twin.opcua_users hash NAME --role ROLE ------------------------------------------
def _read_password(from_stdin: bool) -> str:
    if from_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("password: ")
    if first != getpass.getpass("again: "):
        raise SystemExit("the two passwords differ")
    return first


def main(argv: Sequence[str] | None = None) -> int:
    """Print a users-file entry for a new user (the password is read, never echoed)."""
    parser = argparse.ArgumentParser(prog="python -m twin.opcua_users", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    cmd = sub.add_parser("hash", help="print a YAML users-file entry with a salted scrypt hash")
    cmd.add_argument("name")
    cmd.add_argument("--role", choices=["instructor", "student"], required=True)
    cmd.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    args = parser.parse_args(argv)
    OpcUaUser.model_validate({"name": args.name, "role": args.role, "password_hash": hash_password("x", n=2)})
    password = _read_password(args.password_stdin)
    if not password:
        raise SystemExit("empty password")
    if len(password) < 8:
        print("warning: a password shorter than 8 characters is easy to guess", file=sys.stderr)
    print("\n".join(_entry(args.name, args.role, hash_password(password))))
    return 0


def _entry(name: str, role: str, encoded: str) -> Iterable[str]:
    yield f"  - name: {name}"
    yield f"    role: {role}"
    yield f'    password_hash: "{encoded}"'


if __name__ == "__main__":
    raise SystemExit(main())
