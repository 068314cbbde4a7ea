"""One audit record, who made it, its electronic signature, and the hash that chains it.

A record says who (:class:`Actor`), what (action, object, old → new), when (UTC wall time
and simulation time), why (reason) and the result. Each record is chained to the previous
one: ``hash = sha256(prev_hash + canonical(record))`` with :data:`GENESIS` before the first,
so editing, deleting, inserting or reordering records breaks the chain
(:func:`audit.verify.verify`).

>>> actor = Actor("alice", "student", "http", "127.0.0.1:53422")
>>> rec = AuditRecord(seq=1, ts="2026-12-05T19:20:11.000000Z", sim_time_s=None, user=actor.user,
...                   role=actor.role, via=actor.via, client=actor.client, action="tag.write",
...                   object="mps-pa.level_sp", unit="mps-pa", old=10.0, new=11.0, reason="",
...                   result="ok", status="Good", detail="", signature=None, prev_hash=GENESIS, hash="")
>>> canonical(rec)[:40]
b'{"action":"tag.write","client":"127.0.0.'
>>> h = chain_hash(GENESIS, rec)
>>> len(h), h == chain_hash(GENESIS, rec)
(64, True)
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

Via = Literal["http", "dash", "opcua", "cli", "local-console", "system"]

#: Meanings of an electronic signature (21 CFR 11.50(a)(3)).
MEANINGS = ("reviewed", "approved", "performed")

#: ``prev_hash`` of the first record.
GENESIS = "0" * 64

#: Record timestamps: UTC, ISO 8601, microseconds, ``Z``. Fixed width, so they sort as text.
TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def format_ts(moment: datetime) -> str:
    """Format an aware datetime as a record timestamp (naive datetimes are taken as UTC).

    >>> format_ts(datetime(2026, 12, 5, 19, 20, 11, tzinfo=UTC))
    '2026-12-05T19:20:11.000000Z'
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(TS_FORMAT)


def normalize_ts(text: str) -> str:
    """Any ISO 8601 date or date-time (``Z``, offset or naive = UTC) as a record timestamp.

    Used for the ``since``/``until`` filters, so they compare correctly with stored times.

    >>> normalize_ts("2026-12-05T20:00:00+01:00")
    '2026-12-05T19:00:00.000000Z'
    >>> normalize_ts("2026-12-05")
    '2026-12-05T00:00:00.000000Z'
    """
    try:
        return format_ts(datetime.fromisoformat(text.strip()))
    except ValueError:
        raise ValueError(f"not an ISO 8601 time: {text!r} (e.g. 2026-12-05T19:00:00Z)") from None


@dataclass(frozen=True)
class Actor:
    """Who does something: a user and the role and channel they act through.

    Parameters
    ----------
    user : str
        User name, or ``anonymous``, ``local-console``, ``system``, ``cli:<os user>``.
    role : str
        ``anonymous``, ``student``, ``instructor``, ``admin`` or ``system``.
    via : Via
        The channel: ``http``, ``dash``, ``opcua``, ``cli``, ``local-console``, ``system``.
    client : str
        Client address or OPC UA session, ``""`` when there is none.

    >>> Actor.system()
    Actor(user='system', role='system', via='system', client='')
    """

    user: str
    role: str
    via: Via
    client: str = ""

    @classmethod
    def system(cls) -> Actor:
        """The twin itself (scenario steps, automatic actions)."""
        return cls("system", "system", "system")


@dataclass(frozen=True)
class Signature:
    """An electronic signature's manifestation (21 CFR 11.50): who, when, and what it means.

    >>> sig = Signature("alice", "Alice Martin", "approved", "2026-12-05T19:20:11Z")
    >>> sig.manifestation()
    'Alice Martin (alice), 2026-12-05 19:20:11 UTC, approved'
    >>> Signature.from_dict(sig.as_dict()) == sig
    True
    """

    user: str
    printed_name: str
    meaning: str
    signed_at: str

    def __post_init__(self) -> None:
        if self.meaning not in MEANINGS:
            raise ValueError(f"signature meaning {self.meaning!r} is not one of {', '.join(MEANINGS)}")

    def manifestation(self) -> str:
        """Printed name (user), date and time in UTC, meaning: as shown with the record."""
        try:
            when = datetime.fromisoformat(self.signed_at).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        except ValueError:
            when = self.signed_at
        return f"{self.printed_name} ({self.user}), {when}, {self.meaning}"

    def as_dict(self) -> dict[str, str]:
        """The fields, as stored in :attr:`AuditRecord.signature`."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Signature:
        """Inverse of :meth:`as_dict`."""
        return cls(data["user"], data["printed_name"], data["meaning"], data["signed_at"])


@dataclass(frozen=True)
class AuditRecord:
    """One line of the audit trail; see the module docstring and ``spec11`` for the fields."""

    seq: int
    ts: str
    sim_time_s: float | None
    user: str
    role: str
    via: str
    client: str
    action: str
    object: str
    unit: str
    old: Any
    new: Any
    reason: str
    result: str
    status: str
    detail: str
    signature: dict[str, str] | None
    prev_hash: str
    hash: str

    def as_dict(self) -> dict[str, Any]:
        """All fields, ``hash`` included (one line of the JSON-lines export)."""
        return dataclasses.asdict(self)

    def signature_manifestation(self) -> str:
        """The signature as shown with the record, ``""`` when the record is not signed."""
        if not self.signature:
            return ""
        try:
            return Signature.from_dict(self.signature).manifestation()
        except (KeyError, ValueError, TypeError):
            return json.dumps(self.signature, ensure_ascii=False)


def draft(
    actor: Actor,
    action: str,
    obj: str,
    *,
    ts: str,
    sim_time_s: float | None,
    old: Any,
    new: Any,
    signature: Signature | None,
    **texts: str,
) -> AuditRecord:
    """A record before it is chained (``seq`` 0, no hashes), its values as they will read back.

    ``texts``: ``unit``, ``reason``, ``result``, ``status``, ``detail``.
    """
    names = {"user": actor.user, "role": actor.role, "via": actor.via, "client": actor.client}
    names |= {"action": action, "object": obj, **texts}
    return AuditRecord(
        seq=0,
        ts=ts,
        sim_time_s=sim_time_s,
        old=jsonable(old),
        new=jsonable(new),
        signature=signature.as_dict() if signature is not None else None,
        prev_hash="",
        hash="",
        **{name: clean_text(str(value)) for name, value in names.items()},
    )


#: Field names in record order; also the column names of the store.
FIELDS = tuple(f.name for f in dataclasses.fields(AuditRecord))


def dumps(value: Any) -> str:
    """Canonical JSON text: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def canonical(record: AuditRecord) -> bytes:
    """The bytes that are hashed: every field except ``hash``, as canonical JSON."""
    fields = dataclasses.asdict(record)
    del fields["hash"]
    return dumps(fields).encode("utf-8")


def chain_hash(prev_hash: str, record: AuditRecord) -> str:
    """``sha256(prev_hash (ascii) + canonical(record))`` as hex."""
    return hashlib.sha256(prev_hash.encode("ascii") + canonical(record)).hexdigest()


def clean_text(text: str) -> str:
    """``text`` as a plain ``str`` that encodes as UTF-8 (a lone surrogate becomes ``?``).

    >>> clean_text("pH \\udcff")
    'pH ?'
    """
    return str.__str__(text).encode("utf-8", "replace").decode("utf-8")


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON data, the way it reads back from the store.

    Tuples become lists, numpy scalars numbers, non-finite floats the strings ``"nan"``,
    ``"inf"``, ``"-inf"`` (strict JSON has none), anything else unknown its ``str``.

    >>> jsonable({"sp": (1, float("nan"))})
    {'sp': [1, 'nan']}
    """
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, bool):
        return value
    # Subclasses (numpy.float64, str and int enums) as their base type.
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    item = getattr(value, "item", None)  # numpy scalar
    if callable(item):
        try:
            return jsonable(item())
        except (TypeError, ValueError):
            pass
    return str(value)
