"""The users file (``GMP_TWIN_USERS``, default ``data/users.yaml``), shared by OPC UA and HTTP.

One YAML file lists every person: name, role, argon2 password hash, API tokens (their
SHA-256 only) and, for issue #12, the X.509 client certificates mapped to the user. It is
loaded with :func:`config_schema.files.load_yaml_model`, so a mistake names the file and
line. Write it only through :class:`access.store.UserStore` (atomic, locked, audited).

Examples
--------
>>> import pathlib, tempfile
>>> p = pathlib.Path(tempfile.mkdtemp()) / "users.yaml"
>>> _ = p.write_text("users:\\n  - name: alice\\n    role: teacher\\n    password_hash: x\\n")
>>> try:
...     load_users(p)
... except ConfigError as e:
...     for line in str(e).splitlines():
...         print(line.split("users.yaml")[1])
:3: 'users[0].role': Input should be 'student', 'instructor' or 'admin'
:4: 'users[0].password_hash': not an argon2 hash (must start with '$argon2'); set it with `gmp-twin users passwd NAME`
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from access.roles import Role
from config_schema.exercise import TEAM_PATTERN
from config_schema.files import ConfigError, load_yaml_model

__all__ = ["ApiToken", "ClientCertificate", "ConfigError", "UserEntry", "UsersFile", "load_users", "write_users"]

NAME_PATTERN = r"^[A-Za-z0-9_.@-]{1,64}$"
#: A user's team: a team name, or empty (in no team).
TEAM_OR_NONE = f"^$|{TEAM_PATTERN}"
_HEADER = (
    "# gmp-twin users (argon2 password hashes, API token SHA-256 digests; never passwords).\n"
    "# Managed with `gmp-twin users add|list|disable|enable|passwd|role|token|import`.\n"
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ApiToken(_Strict):
    """An API token of a user: its id (public part) and the SHA-256 of the whole token."""

    id: str = Field(pattern=r"^[0-9a-f]{6,32}$")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    label: str = ""
    created: str


class ClientCertificate(_Strict):
    """An X.509 client certificate that authenticates as the user (OPC UA, issue #12)."""

    sha256_fingerprint: str = Field(description="SHA-256 of the DER certificate, 64 hex digits (colons allowed)")
    subject: str = ""

    @field_validator("sha256_fingerprint", mode="before")
    @classmethod
    def _normalise(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.replace(":", "").strip().lower()
            if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
                raise ValueError("not a SHA-256 fingerprint: 64 hexadecimal digits expected (colons allowed)")
        return value


class UserEntry(_Strict):
    """One person of the users file."""

    name: str = Field(pattern=NAME_PATTERN)
    role: Role
    display_name: str = ""
    password_hash: str
    must_change_password: bool = False
    disabled: bool = False
    #: The team of a student in exercises (``team-1``...); empty: in no team.
    team: str = Field("", pattern=TEAM_OR_NONE)
    created: str = ""
    tokens: list[ApiToken] = Field(default_factory=list)
    certificates: list[ClientCertificate] = Field(default_factory=list)

    @field_validator("password_hash")
    @classmethod
    def _argon2(cls, value: str) -> str:
        if not value.startswith("$argon2"):
            raise ValueError("not an argon2 hash (must start with '$argon2'); set it with `gmp-twin users passwd NAME`")
        return value


class UsersFile(BaseModel):
    """The whole users file (entries are frozen: change them with ``model_copy(update=...)``)."""

    model_config = ConfigDict(extra="forbid")

    users: list[UserEntry] = Field(default_factory=list)

    @field_validator("users")
    @classmethod
    def _unique(cls, users: list[UserEntry], info: ValidationInfo) -> list[UserEntry]:
        lines = (info.context or {}).get("lines", {})
        seen: dict[str, int] = {}
        for i, user in enumerate(users):
            key = user.name.lower()
            if key in seen:
                first, again = lines.get(("users", seen[key])), lines.get(("users", i))
                where = f"lines {first} and {again}" if first and again else f"users[{seen[key]}] and users[{i}]"
                raise ValueError(f"duplicate user name {user.name!r} ({where}); each user needs a unique name")
            seen[key] = i
        return users

    def get(self, name: str) -> UserEntry | None:
        """The user called ``name`` (case-insensitive), or None."""
        key = name.lower()
        return next((u for u in self.users if u.name.lower() == key), None)


def load_users(path: str | Path) -> UsersFile:
    """Load and validate a users file; raise :class:`ConfigError` naming the file and line."""
    return load_yaml_model(path, UsersFile)


def write_users(path: str | Path, users: UsersFile) -> None:
    """Write ``users`` to ``path`` atomically (temporary file, fsync, ``os.replace``), mode 0600.

    Readers see the old file or the new one, never half of one. The caller holds the lock.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = users.model_dump(mode="json")
    text = _HEADER + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=200)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)  # created 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # the rename itself survives a power cut
    finally:
        os.close(dir_fd)
