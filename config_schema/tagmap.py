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

from pathlib import Path
from typing import Literal

from asyncua import ua
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from config_schema.files import load_yaml_model
from models.unit import TagKind, TagSpec

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
    tags: list[TagEntry] = Field(min_length=1)

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


def load_tagmap(path: str | Path) -> TagMap:
    """Load and validate a tag map file; raise :class:`config_schema.files.ConfigError`."""
    return load_yaml_model(path, TagMap)


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
            )
            for s in specs
        ],
    )
