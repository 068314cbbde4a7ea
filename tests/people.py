"""Named test users over a real users file and a real audit trail (for any test that needs logins).

``make_people(tmp_path)`` writes ``users.yaml`` (argon2 hashes) with a student, an instructor
and an admin, opens ``audit.sqlite``, and builds the HTTP :class:`Gate` over them. Each user has
an API token for ``Authorization: Bearer`` calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from access import Authenticator, LoginGuard, UserStore
from audit import Actor, AuditTrail
from dashboard.auth.gate import Gate
from dashboard.auth.sessions import SessionStore

PASSWORDS = {"sam": "student-pass-4821", "ines": "instructor-pass-7310", "ada": "admin-pass-5096"}
ROLES = {"sam": "student", "ines": "instructor", "ada": "admin"}
DISPLAY = {"sam": "Sam Martin", "ines": "Inès Dupont", "ada": "Ada Moreau"}
SETUP = Actor("cli:test", "admin", "cli")


@dataclass
class People:
    """The users file, audit trail, authenticator, gate and one API token per user."""

    users_path: Path
    audit: AuditTrail
    store: UserStore
    authenticator: Authenticator
    gate: Gate
    tokens: dict[str, str] = field(default_factory=dict)

    def bearer(self, name: str) -> dict[str, str]:
        """The ``Authorization`` header of ``name``'s API token."""
        return {"Authorization": f"Bearer {self.tokens[name]}"}

    def close(self) -> None:
        self.audit.close()


def make_people(
    root: Path, *, anonymous_view: bool = False, local_console: bool = False, max_failures: int = 5
) -> People:
    audit = AuditTrail(root / "audit.sqlite")
    store = UserStore(root / "users.yaml", audit=audit)
    for name, role in ROLES.items():
        store.add(name, role, actor=SETUP, password=PASSWORDS[name], display_name=DISPLAY[name])
    authenticator = Authenticator(store, audit, LoginGuard(max_failures=max_failures))
    gate = Gate(
        authenticator,
        SessionStore("test-session-secret-0123456789"),
        audit=audit,
        anonymous_view=anonymous_view,
        local_console=local_console,
    )
    tokens = {name: store.create_token(name, actor=SETUP, label="tests") for name in ROLES}
    return People(root / "users.yaml", audit, store, authenticator, gate, tokens)


#: Two students in two teams (exercise tests): name -> (team, password, display name).
TEAM_STUDENTS = {
    "lea": ("team-1", "lea-student-pass-2291", "Léa Roux"),
    "max": ("team-2", "max-student-pass-6604", "Max Petit"),
}


def add_team_students(people: People) -> None:
    """Add :data:`TEAM_STUDENTS` (with their API tokens) to ``people``; ``sam`` stays in no team."""
    for name, (team, password, display) in TEAM_STUDENTS.items():
        people.store.add(name, "student", actor=SETUP, password=password, display_name=display, team=team)
        people.tokens[name] = people.store.create_token(name, actor=SETUP, label="tests")
