"""Password hashes (argon2id, argon2-cffi's default parameters), one-time passwords and strength.

A verify costs tens of milliseconds and 64 MiB on purpose: that is what makes a stolen users
file slow to crack. Only hashes are ever stored.

Examples
--------
>>> encoded = hash_password("correct horse battery")
>>> encoded.startswith("$argon2id$")
True
>>> verify_password("correct horse battery", encoded), verify_password("guess", encoded)
(True, False)
>>> len(generate_password()), set(generate_password()) & set("0O1lI")
(19, set())
>>> check_strength("changeme")
Traceback (most recent call last):
...
ValueError: password too short: 8 characters, at least 10 are needed
"""

from __future__ import annotations

import logging
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

log = logging.getLogger(__name__)

#: The one hasher: argon2id with argon2-cffi's defaults (RFC 9106 low-memory profile).
HASHER = PasswordHasher()
MIN_LENGTH = 10
#: Letters and digits that cannot be misread on a printed sheet (no 0/O, 1/l/I).
_READABLE = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"

#: Passwords refused by :func:`check_strength` and flagged by :func:`is_weak_hash` (production
#: mode refuses to start with one of them). Kept short on purpose: checking a stored hash costs
#: one argon2 verify per entry. Includes every password an example file of this project shipped.
WEAK_PASSWORDS: frozenset[str] = frozenset(
    {
        "password",
        "changeme",
        "admin",
        "instructor",
        "student",
        "example",
        "secret",
        "123456",
        "1234567890",
        "azerty",
        "qwerty",
        "motdepasse",
        "gmp-twin",
        # config/opcua-users.example.yaml (before issue #11) shipped these two:
        "alice-example-password",
        "bob-example-password",
    }
)


def hash_password(password: str) -> str:
    """Hash ``password`` with argon2id; the result carries its salt and parameters.

    Raises
    ------
    ValueError
        The password is empty.
    """
    if not password:
        raise ValueError("empty password")
    return HASHER.hash(password)


def verify_password(password: str, encoded: str) -> bool:
    """Whether ``password`` matches the argon2 hash ``encoded``.

    Returns False for a wrong password and for a malformed hash (logged): it never raises
    because of what a user typed.
    """
    try:
        return HASHER.verify(encoded, password)
    except VerificationError:
        return False
    except InvalidHashError:
        log.error("a stored password hash is not a valid argon2 hash; reset it with `gmp-twin users passwd NAME`")
        return False


def generate_password() -> str:
    """A random one-time password, four groups of four readable characters (~92 bits).

    Returns
    -------
    str
        For example ``"Xk7m-pQ4r-Tz9a-Hc3e"``; no 0/O/1/l/I, easy to copy from paper.
    """
    groups = ("".join(secrets.choice(_READABLE) for _ in range(4)) for _ in range(4))
    return "-".join(groups)


def check_strength(password: str, *, name: str = "") -> None:
    """Refuse a password that is too short, common, an example one, or the user name.

    Parameters
    ----------
    password : str
        The candidate password.
    name : str, optional
        The user name, refused as a password.

    Raises
    ------
    ValueError
        Says what is wrong and what is needed.
    """
    if len(password) < MIN_LENGTH:
        raise ValueError(f"password too short: {len(password)} characters, at least {MIN_LENGTH} are needed")
    if password.lower() in WEAK_PASSWORDS or (name and password.lower() == name.lower()):
        raise ValueError("this password is a default, example or common one; choose another")


def is_weak_hash(encoded: str) -> bool:
    """Whether ``encoded`` is the hash of one of :data:`WEAK_PASSWORDS` (one verify per entry)."""
    return any(verify_password(weak, encoded) for weak in sorted(WEAK_PASSWORDS))
