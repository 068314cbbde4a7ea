"""Tag maps: which OPC UA node holds which tag of a unit, per vendor profile.

A tag map is the only thing that changes when a class swaps the simulated station for a
real Festo kit (S7-1500 or CODESYS). The bridge subscribes to the nodes it lists and the
dashboard and API take units and ranges from it.

Node ids keep the vendor's form (``ns=3;s="DB_PA"."B101_Level"`` on an S7-1500). The
namespace index written in a node id is only a placeholder when ``namespace_uri`` is set:
the bridge resolves the real index from the server's namespace array at every connect,
because indices may change when a PLC program is reloaded.

Examples
--------
>>> tm = TagMap.model_validate({
...     "endpoint": "opc.tcp://127.0.0.1:4840", "site": "lab", "unit": "mps-pa",
...     "tags": [{"name": "B101_level", "node": "ns=2;s=mps-pa.B101_level", "unit": "cm"}]})
>>> tm.tags[0].node_id.Identifier
'mps-pa.B101_level'
>>> TagMap.model_validate({"endpoint": "opc.tcp://h:4840", "site": "s", "unit": "u",
...     "tags": [{"name": "x", "node": "ns=2;q=1", "unit": "cm"}]})
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 1 validation error for TagMap
...
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from asyncua import ua
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationInfo, field_validator, model_validator

from config_schema.files import load_yaml_model
from models.unit import BandsWhen, TagKind, TagSpec

NODE_ID_FORMS = (
    'ns=<index>;s=<string> (S7-1500: ns=3;s="DB_PA"."B101_Level"; '
    "CODESYS: ns=4;s=|var|<Device>.Application.<GVL>.<Var>), ns=<index>;i=<integer>, "
    "ns=<index>;g=<guid> or ns=<index>;b=<base64>"
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SubscriptionSettings(_Strict):
    """OPC UA subscription settings (defaults suit the twin and an S7-1500)."""

    publishing_interval_ms: float = Field(200.0, gt=0, le=60_000)
    sampling_interval_ms: float = Field(100.0, ge=0, le=60_000)
    queue_size: int = Field(10, ge=1, le=10_000)
    #: S7-1500 servers accept at most 1,000 monitored items per subscription.
    max_items_per_subscription: int = Field(1000, ge=1, le=100_000)


SecurityPolicyName = Literal["None", "Basic256Sha256", "Aes128_Sha256_RsaOaep", "Aes256_Sha256_RsaPss"]
SecurityModeName = Literal["None", "Sign", "SignAndEncrypt"]
_PINNED = re.compile(r"^sha1:[0-9A-Fa-f:]{40,59}$")


class TagMapSecurity(_Strict):
    """How the bridge secures its channel to the server (``security:`` in a tag map).

    ``certificate`` / ``private_key`` are the bridge's application instance certificate; when
    both are absent one is generated in the PKI folder (``own/``), when given but missing it is
    generated at those paths. ``server_trust`` decides which server certificates are accepted:
    ``pki`` (the PKI folder's ``trusted/`` list; an unknown one is filed under ``rejected/`` for
    ``gmp-twin pki trust``), ``sha1:<thumbprint>`` (exactly that certificate) or ``tofu`` (trust
    the first certificate seen for this endpoint and refuse any other one later).
    """

    policy: SecurityPolicyName = "None"
    mode: SecurityModeName = "None"
    certificate: Path | None = None
    private_key: Path | None = None
    server_trust: str = "pki"

    @field_validator("server_trust")
    @classmethod
    def _trust_form(cls, value: str) -> str:
        if value in ("pki", "tofu") or _PINNED.match(value):
            return value
        raise ValueError(
            f"server_trust {value!r}: expected pki (the trusted folder), tofu (trust on first use) "
            "or sha1:<40 hex digits> (the server certificate's thumbprint, as `gmp-twin pki list` shows it)"
        )

    @model_validator(mode="after")
    def _policy_and_mode_agree(self) -> TagMapSecurity:
        if (self.policy == "None") != (self.mode == "None"):
            raise ValueError(
                f"policy {self.policy} with mode {self.mode}: policy None goes with mode None, "
                "a secure policy with Sign or SignAndEncrypt"
            )
        if (self.certificate is None) != (self.private_key is None):
            raise ValueError("give both certificate and private_key, or neither (one is then generated)")
        return self

    @property
    def secure(self) -> bool:
        return self.policy != "None"

    @property
    def pinned_thumbprint(self) -> str | None:
        """The pinned SHA-1 thumbprint, upper-case hex without colons, if ``server_trust`` pins one."""
        if not self.server_trust.startswith("sha1:"):
            return None
        return self.server_trust[5:].replace(":", "").upper()


class TagMapIdentity(_Strict):
    """Who the bridge logs in as (``identity:`` in a tag map).

    The password never sits in the tag map: it comes from an environment variable
    (``password_env``) or a secret file (``password_file``, e.g. a Docker secret). With
    ``kind: certificate`` the X.509 user certificate is ``certificate`` / ``private_key``
    (default: the bridge's application certificate).
    """

    kind: Literal["anonymous", "username", "certificate"] = "anonymous"
    username: str | None = None
    password_env: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    password_file: Path | None = None
    certificate: Path | None = None
    private_key: Path | None = None

    @model_validator(mode="after")
    def _complete(self) -> TagMapIdentity:
        if self.kind == "username":
            if not self.username:
                raise ValueError("kind username needs username")
            if self.password_env and self.password_file:
                raise ValueError("give password_env or password_file, not both")
        elif self.username or self.password_env or self.password_file:
            raise ValueError(f"username and password_env/password_file only go with kind username, not {self.kind}")
        if (self.certificate is None) != (self.private_key is None):
            raise ValueError("give both certificate and private_key, or neither")
        if self.certificate is not None and self.kind != "certificate":
            raise ValueError(f"certificate and private_key only go with kind certificate, not {self.kind}")
        return self

    def password(self) -> str | None:
        """The password from ``password_env`` or ``password_file``; ``None`` when neither is set.

        Raises
        ------
        LookupError
            The variable is unset or the file unreadable (the message names which, never a value).
        """
        if self.password_env:
            value = os.environ.get(self.password_env)
            if value is None:
                raise LookupError(f"identity.password_env: environment variable {self.password_env} is not set")
            return value
        if self.password_file:
            try:
                return self.password_file.read_text(encoding="utf-8").rstrip("\r\n")
            except OSError as exc:
                raise LookupError(
                    f"identity.password_file: cannot read {self.password_file} ({exc.strerror})"
                ) from None
        return None


class Deadband(_Strict):
    """A DataChangeFilter deadband: ``absolute`` (engineering units) or ``percent`` (of EURange)."""

    type: Literal["absolute", "percent"]
    value: float = Field(gt=0)

    @model_validator(mode="after")
    def _percent_range(self) -> Deadband:
        if self.type == "percent" and self.value > 100:
            raise ValueError(f"a percent deadband is 0..100 (% of the EURange), not {self.value}")
        return self


class TagEntry(_Strict):
    """One tag: its name in the historian, its node on the server, its unit and range."""

    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_.\-]*$", max_length=100)
    node: str
    unit: str = ""
    description: str = ""
    lo: float | None = None
    hi: float | None = None
    kind: TagKind = "measurement"
    loop: str | None = None
    #: Normal operating range / proven acceptable range of a critical parameter (ICH Q8).
    nor: tuple[float, float] | None = None
    par: tuple[float, float] | None = None
    #: Label key of each value of a discrete tag (PackML state, phase, mode, switch).
    states: dict[int, str] | None = None
    #: ``[phase_tag, [values]]``: the NOR/PAR hold only in those phases of the unit.
    bands_when: BandsWhen | None = None
    #: Calibrated range of a soft sensor (PAT): predictions outside it are clipped and flagged.
    calibrated: tuple[float, float] | None = None
    #: Sampling interval of this tag on the server (default: the subscription's).
    sampling_ms: float | None = Field(None, ge=0, le=3_600_000)
    #: Report only changes larger than this (applied by the server, where it supports it).
    deadband: Deadband | None = None
    #: As the server declared them when the map was browsed (``gmp-twin tagmap --browse``):
    #: the OPC UA DataType name and the node's AccessLevel (writes still need allow_writes).
    data_type: str | None = None
    access: Literal["read", "readwrite"] | None = None

    @field_validator("node")
    @classmethod
    def _node_parses(cls, value: str) -> str:
        try:
            ua.NodeId.from_string(value)
        except Exception:
            raise ValueError(f"malformed node id {value!r}; expected {NODE_ID_FORMS}") from None
        return value

    @model_validator(mode="after")
    def _range_ordered(self) -> TagEntry:
        if self.lo is not None and self.hi is not None and self.lo >= self.hi:
            raise ValueError(f"lo ({self.lo}) must be below hi ({self.hi})")
        for name, band in (("nor", self.nor), ("par", self.par)):
            if band is not None and band[0] >= band[1]:
                raise ValueError(f"{name} {list(band)}: the low bound must be below the high bound")
        if self.calibrated is not None and self.calibrated[0] >= self.calibrated[1]:
            raise ValueError(f"calibrated {list(self.calibrated)}: the low bound must be below the high bound")
        if self.nor and self.par and not (self.par[0] <= self.nor[0] and self.nor[1] <= self.par[1]):
            raise ValueError(f"nor {list(self.nor)} must lie inside par {list(self.par)}")
        return self

    @property
    def node_id(self) -> ua.NodeId:
        return ua.NodeId.from_string(self.node)

    @property
    def writable(self) -> bool:
        return self.kind in ("setpoint", "mode", "output")


class TagMap(_Strict):
    """A whole tag map file (see ``config/tagmaps/``)."""

    endpoint: str = Field(pattern=r"^opc\.tcp://", description="opc.tcp://host:port[/path]")
    site: str = Field(min_length=1)
    unit: str = Field(min_length=1)
    #: Unit type (``mps_pa``, ``bioreactor``...): which dashboard page shows it.
    unit_type: str | None = None
    source: Literal["sim", "plc"] = "sim"
    namespace_uri: str | None = None
    #: The bridge refuses every write unless this is true (a real PLC is never written by accident).
    allow_writes: bool = False
    subscription: SubscriptionSettings = SubscriptionSettings()
    security: TagMapSecurity | None = None
    identity: TagMapIdentity | None = None
    tags: list[TagEntry] = Field(min_length=1)
    # Where the map came from, for messages that name file and line (set by load_tagmap).
    _file: Path | None = PrivateAttr(None)
    _lines: dict[tuple[Any, ...], int] = PrivateAttr(default_factory=dict)

    def __eq__(self, other: object) -> bool:
        # Same content is the same map, wherever it was loaded from.
        return isinstance(other, TagMap) and self.__dict__ == other.__dict__

    @property
    def file(self) -> str:
        """The tag map file (or ``<tag map of unit U>`` for one built in code)."""
        return str(self._file) if self._file else f"<tag map of unit {self.unit}>"

    def where(self, *path: str | int) -> str:
        """``file:line: field`` for a field of this map (``where("tags", 3, "node")``).

        >>> TagMap.model_validate({"endpoint": "opc.tcp://h:4840", "site": "s", "unit": "u",
        ...     "tags": [{"name": "x", "node": "ns=2;s=x"}]}).where("security", "policy")
        '<tag map of unit u>: security.policy'
        """
        line = None
        for n in range(len(path), 0, -1):
            line = self._lines.get(tuple(path[:n]))
            if line is not None:
                break
        field = ""
        for part in path:
            field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else part)
        return f"{self.file}:{line}: {field}" if line else f"{self.file}: {field}"

    def tag_where(self, name: str) -> str:
        """``file:line`` of a tag's ``node`` field."""
        for i, tag in enumerate(self.tags):
            if tag.name == name:
                return self.where("tags", i, "node")
        return self.file

    @model_validator(mode="after")
    def _keep_lines(self, info: ValidationInfo) -> TagMap:
        context = info.context or {}
        if "lines" in context:
            self._lines = dict(context["lines"])
        return self

    @field_validator("tags")
    @classmethod
    def _unique(cls, tags: list[TagEntry], info: ValidationInfo) -> list[TagEntry]:
        lines = (info.context or {}).get("lines", {})
        for attr in ("name", "node"):
            seen: dict[str, int] = {}
            for i, tag in enumerate(tags):
                key = getattr(tag, attr)
                if key in seen:
                    first = lines.get(("tags", seen[key]))
                    where = f" (first defined on line {first})" if first else f" (first at tags[{seen[key]}])"
                    raise ValueError(
                        f"duplicate tag {attr} {key!r} at tags[{i}]{where}; each tag needs a unique {attr}"
                    )
                seen[key] = i
        return tags

    def by_name(self) -> dict[str, TagEntry]:
        return {t.name: t for t in self.tags}


def sources_by_unit(tagmaps: Iterable[TagMap]) -> dict[tuple[str, str], str]:
    """The source (``plc`` or ``sim``) of each ``(site, unit)``'s values, from its tag map(s).

    A twin run in shadow beside a kit writes the kit unit's tags as ``sim`` while the kit's
    are ``plc``; a unit with both is read as ``plc``, the plant.

    >>> level = TagEntry(name="level", node="ns=3;s=level")
    >>> kit = TagMap(endpoint="opc.tcp://k:4840", site="s", unit="u", source="plc", namespace_uri="urn:x", tags=[level])
    >>> twin = kit.model_copy(update={"source": "sim"})
    >>> sources_by_unit([kit, twin]), sources_by_unit([twin])
    ({('s', 'u'): 'plc'}, {('s', 'u'): 'sim'})
    """
    out: dict[tuple[str, str], str] = {}
    for tm in tagmaps:
        if out.get((tm.site, tm.unit)) != "plc":
            out[(tm.site, tm.unit)] = tm.source
    return out


def load_tagmap(path: str | Path) -> TagMap:
    """Load and validate a tag map file; raise :class:`config_schema.files.ConfigError`."""
    path = Path(path)
    tagmap = load_yaml_model(path, TagMap)
    tagmap._file = path
    return tagmap


def tagmap_for_unit(
    unit_name: str,
    specs: list[TagSpec],
    *,
    unit_type: str | None = None,
    endpoint: str,
    site: str,
    namespace_uri: str,
    namespace_index: int = 2,
) -> TagMap:
    """The tag map of a simulated unit as the twin's OPC UA server exposes it."""
    return TagMap(
        endpoint=endpoint,
        site=site,
        unit=unit_name,
        unit_type=unit_type,
        source="sim",
        namespace_uri=namespace_uri,
        tags=[
            TagEntry(
                name=s.name,
                node=f"ns={namespace_index};s={unit_name}.{s.name}",
                unit=s.unit,
                description=s.description,
                lo=s.lo,
                hi=s.hi,
                kind=s.kind,
                loop=s.loop,
                nor=s.nor,
                par=s.par,
                states=s.states,
                bands_when=s.bands_when,
                calibrated=s.calibrated,
            )
            for s in specs
        ],
    )
