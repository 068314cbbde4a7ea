"""Record a change of the HTTP side (alarm acknowledgements, the clock, snapshots) in the audit trail.

Changes made through :class:`twin.faults.service.TwinControl` are recorded there; this is the
same contract for the few the API makes on other services: the change is refused when the trail
cannot be written, and recorded accepted or refused.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from audit import Actor, AuditTrail, Signature


class _Unaudited:
    new: Any = None
    status: str = ""
    detail: str = ""


@contextlib.contextmanager
def audited(
    trail: AuditTrail | None,
    actor: Actor,
    action: str,
    obj: str,
    *,
    unit: str = "",
    old: Any = None,
    new: Any = None,
    reason: str = "",
    signature: Signature | None = None,
) -> Iterator[Any]:
    """``trail.change(...)``, or nothing when the process keeps no trail (a bare API in tests)."""
    if trail is None:
        yield _Unaudited()
        return
    with trail.change(actor, action, obj, unit=unit, old=old, new=new, reason=reason, signature=signature) as change:
        yield change
