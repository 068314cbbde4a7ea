"""Deployment settings: flags > ``GMP_TWIN_*`` environment variables > defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting of the ``gmp-twin`` roles (documented in the README)."""

    model_config = SettingsConfigDict(env_prefix="GMP_TWIN_", extra="ignore")

    plant: Path = Field(Path("config/plant.yaml"), description="plant file (units, parameters)")
    tagmap: Annotated[list[Path], NoDecode] = Field(
        default_factory=list,
        description="tag map file(s) for the bridge and the dashboard (comma-separated in the environment); "
        "empty = the simulated plant's tag maps, derived from the plant file",
    )
    opcua_host: str = Field("127.0.0.1", description="address the twin's OPC UA server binds")
    opcua_port: int = Field(4840, ge=1, le=65535)
    opcua_endpoint: str | None = Field(None, description="endpoint the bridge connects to (overrides the tag map)")
    opcua_allow_anonymous: bool = Field(
        True, description="accept anonymous OPC UA sessions (read only: browse, read, subscribe; no write, no call)"
    )
    opcua_insecure: bool = Field(
        False, description="offer OPC UA security policy None and anonymous sessions beyond loopback (`--insecure`)"
    )
    pki: Path = Field(
        Path("data/pki"), description="OPC UA certificates: own (generated at first start), trusted, rejected"
    )
    opcua_username: str | None = Field(None, description="user the bridge logs in as (a users-file account)")
    opcua_password: SecretStr | None = Field(None, description="password of opcua_username (environment only)")
    mode: Literal["embedded", "production"] = Field(
        "embedded",
        description="production refuses weak or example passwords, the local console and a generated session secret",
    )
    users: Path = Field(Path("data/users.yaml"), description="the users file (OPC UA and HTTP), argon2 hashes")
    audit: Path = Field(Path("data/audit.sqlite"), description="the append-only, hash-chained audit trail")
    anonymous_view: bool = Field(False, description="let visitors without a login view the dashboard (read only)")
    local_console: bool = Field(
        False,
        description="browsers on this machine act as instructor without a login, audited as 'local-console' "
        "(`gmp-twin run --local-console`; embedded mode only)",
    )
    session_secret: SecretStr | None = Field(
        None, description="key signing the session cookies; embedded default: generated into data/session-secret"
    )
    session_max_age_s: int = Field(12 * 3600, ge=60, description="a login lasts this long")
    login_max_failures: int = Field(5, ge=1, le=100, description="failed logins before a lockout")
    login_lockout_s: float = Field(900.0, ge=1, description="lockout after too many failed logins, seconds")
    http_host: str = Field("127.0.0.1", description="address the dashboard + API bind")
    http_port: int = Field(8050, ge=1, le=65535)
    historian: str = Field("sqlite:///data/gmp-twin.sqlite", description="historian URL")
    outbox: Path = Field(Path("data/outbox.sqlite"), description="durable outbox file of the bridge")
    outbox_max_rows: int = Field(5_000_000, ge=1000)
    detectors: Path = Field(
        Path("config/detectors.yaml"),
        description="live drift detectors file; the default may be missing (then no detectors), a given one not",
    )
    monitor_outbox: Path = Field(
        Path("data/monitor-outbox.sqlite"), description="durable outbox of the monitoring service's points"
    )
    speed: float = Field(1.0, gt=0, description="simulated seconds per wall second")
    seed: int = Field(0, description="seed of the sensor noise")
    teams: int | None = Field(
        None,
        ge=0,
        le=24,
        description="a classroom: one plant per team (OPC UA ports opcua_port .. opcua_port+N-1); "
        "None = the plant file's `teams:` block, 0 = one shared plant",
    )
    timezone: str = Field("Europe/Paris", description="time zone of the dashboard's time axes")
    lang: str = Field("fr", pattern="^(fr|en)$", description="default dashboard language")
    scenarios: Path = Field(Path("config/scenarios"), description="scenario library directory")
    run_id: str | None = Field(
        None, pattern=r"^[A-Za-z0-9_.\-]{1,80}$", description="id of this run in the historian (default run-<UTC time>)"
    )
    events_outbox: Path = Field(
        Path("data/events-outbox.sqlite"), description="durable outbox of the twin role's fault events"
    )
    run_lock: Path = Field(
        Path("data/run.lock"),
        description="held while `gmp-twin run` or the twin role runs on this data; `gmp-twin reset` refuses then",
    )

    @field_validator("tagmap", mode="before")
    @classmethod
    def _split_paths(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [Path(part.strip()) for part in value.split(",") if part.strip()]
        return value

    @property
    def opcua_url(self) -> str:
        host = "127.0.0.1" if self.opcua_host in ("0.0.0.0", "::") else self.opcua_host
        return f"opc.tcp://{host}:{self.opcua_port}"
