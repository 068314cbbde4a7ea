"""People, passwords, roles and logins (issue #11), shared by OPC UA, HTTP and the dashboard.

- :mod:`access.roles`: roles, ranks and the :class:`Principal` of a request or session
- :mod:`access.passwords`: argon2 hashes, one-time passwords, strength rules
- :mod:`access.users_file` / :mod:`access.store`: the users file and its audited live store
- :mod:`access.guard` / :mod:`access.auth`: failed-login lockout, logins, signatures
- :mod:`access.bootstrap`: the first instructor account and the production-mode checks
- :mod:`access.roster` / :mod:`access.credentials_sheet`: class roster import
"""

from access.auth import REFUSED, Authenticator, LoginRefused
from access.bootstrap import first_start, production_problems
from access.guard import LoginGuard
from access.passwords import (
    WEAK_PASSWORDS,
    check_strength,
    generate_password,
    hash_password,
    is_weak_hash,
    verify_password,
)
from access.roles import ANONYMOUS, RANKS, ROLES, Principal, Role, at_least
from access.store import UserStore
from access.users_file import ApiToken, ClientCertificate, UserEntry, UsersFile, load_users

__all__ = [
    "ANONYMOUS",
    "RANKS",
    "REFUSED",
    "ROLES",
    "WEAK_PASSWORDS",
    "ApiToken",
    "Authenticator",
    "ClientCertificate",
    "LoginGuard",
    "LoginRefused",
    "Principal",
    "Role",
    "UserEntry",
    "UserStore",
    "UsersFile",
    "at_least",
    "check_strength",
    "first_start",
    "generate_password",
    "hash_password",
    "is_weak_hash",
    "load_users",
    "production_problems",
    "verify_password",
]
