"""Tamper-evident audit trail: who changed what, when, why, with what result (issue #11).

An append-only SQLite store whose records are hash-chained (:mod:`audit.record`,
:mod:`audit.trail`), a checker that names the first broken record (:mod:`audit.verify`) and
CSV / JSON-lines export (:mod:`audit.export`). It imports nothing from the rest of the twin,
so every role (access, twin, dashboard, CLI) can use it.
"""

from audit.record import MEANINGS, Actor, AuditRecord, Signature
from audit.trail import AuditTrail, AuditUnavailable, Change, audited
from audit.verify import VerifyResult, verify

__all__ = [
    "MEANINGS",
    "Actor",
    "AuditRecord",
    "AuditTrail",
    "AuditUnavailable",
    "Change",
    "Signature",
    "VerifyResult",
    "audited",
    "verify",
]
