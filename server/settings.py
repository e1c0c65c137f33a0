"""Server settings: command-line values over FRONTDESK_* environment variables over defaults."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from platformdirs import user_data_dir
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    env = os.environ.get("FRONTDESK_DATA_DIR")
    return Path(env) if env else Path(user_data_dir("frontdesk-server", appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FRONTDESK_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    # The registry's database; empty: DATA_DIR/registry.sqlite. Several servers on several
    # machines share one in PostgreSQL (postgresql://...); see "Running it for many accounts".
    registry_url: str = Field(default="", repr=False)
    # Where create-account puts a new account's database: SQLite files in the data dir, or the
    # least loaded of the PostgreSQL servers listed by DSN (server.placement, server.pg_admin).
    placement: Literal["sqlite", "postgresql"] = "sqlite"
    pg_servers: str = Field(default="", repr=False)
    # Fernet key(s) of the account database passwords kept in the registry (server.secrets_box).
    secret_key: str = Field(default="", repr=False)
    # Seconds between a long-poll's own looks at its account's change number: how soon a change
    # made through another server process is seen when nothing tells this one (SQLite accounts).
    # Accounts in PostgreSQL are told at once (LISTEN/NOTIFY, server.live_pg).
    live_recheck_seconds: float = Field(default=0.5, gt=0, le=30)
    host: str = "127.0.0.1"
    port: int = 8800
    # Proxies whose X-Forwarded-For is believed (addresses or networks, comma-separated), e.g. the
    # nginx in front. Empty: the header is ignored, so no client can pick its own address and
    # dodge the sign-in limit (server.addresses).
    trusted_proxies: str = ""

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_parse(cls, value: str) -> str:
        from server.addresses import parse_proxies

        parse_proxies(value)  # a typo fails at start-up, not silently at every sign-in
        return value
    access_token_minutes: int = Field(default=15, ge=1)
    refresh_token_days: int = Field(default=60, ge=1)
    log_level: str = "info"
    # The server's default card gateway (server.payments): the built-in sandbox, which charges
    # nobody (the demo and the tests). An account chooses a real one (Authorize.Net) with
    # `set-gateway`; its credentials are kept encrypted in the registry (server.payments.choice)
    # and no desk ever sees them.
    gateway: Literal["sandbox"] = "sandbox"
    gateway_timezone: str = "America/Chicago"  # where the sandbox's business day (settlement) ends
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    # A card sale the server died in the middle of (charged, not on the ledger) is cancelled
    # once it has waited this long for the desk's retry (server.payments.reconcile); looked for
    # every card_sweep_seconds.
    card_pending_seconds: float = Field(default=600.0, gt=0)
    card_sweep_seconds: float = Field(default=60.0, gt=0)
    # ...and within this many seconds once the desk gave it up (no retry will come; issue 18).
    card_abandoned_seconds: float = Field(default=60.0, gt=0)
    # Emailed receipts. No host: email is off, and the desk is told so (printing still works).
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = Field(default="", repr=False)
    smtp_starttls: bool = True  # STARTTLS when the server offers it; required for a non-loopback host
    smtp_from: str = "receipts@frontdesk.local"
    smtp_timeout_seconds: float = 15.0
