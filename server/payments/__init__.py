"""Card payments on the server: the gateway interface, the sandbox gateway, and the card routes'
work (server.api.routes.payments is the HTTP side). Cash, check, terminal and credit payments
are not here: they are outbox mutations (sync.core.ledger_mutations), applied by server.push."""

from __future__ import annotations

from pathlib import Path

from server.payments.gateway import Gateway
from server.private_files import private_sqlite
from server.settings import Settings


def make_gateway(settings: Settings) -> Gateway:
    """The gateway the settings name."""
    if settings.gateway == "sandbox":
        from server.payments.sandbox import FILE_NAME, SandboxGateway

        # Owner-only, made before SQLite opens it (server.private_files): it keeps every sandbox sale.
        path = private_sqlite(Path(settings.data_dir).expanduser() / FILE_NAME)
        return SandboxGateway(path, timezone=settings.gateway_timezone)
    raise ValueError(f"unknown gateway {settings.gateway!r}")
