"""Which card gateway each account uses, and its credentials, kept encrypted in the registry.

An account without a row here uses the server's default gateway (settings.gateway, the sandbox
unless told otherwise). `set_gateway` (the admin command `set-gateway`) records another one: its
name and its credentials as a Fernet token under the server key (server.secrets_box), so a copy
of the registry, or a backup, holds no gateway secret. `Gateways` hands each request the
account's gateway, made once per account and credentials.

A new gateway is a file and a line in FACTORIES: the sale logic only sees the Gateway seam.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

from pydantic import NaiveDatetime
from sqlmodel import Field, Session

from server.payments.gateway import Gateway
from server.registry import Registry, RegistryBase
from sync.core.ids import utcnow


class AccountGateway(RegistryBase, table=True):
    __tablename__ = "account_gateway"
    account_id: str = Field(primary_key=True, max_length=36)
    name: str = Field(max_length=32)  # a key of FACTORIES
    credentials: str  # a Fernet token of the JSON credentials, never the credentials themselves
    updated_at: NaiveDatetime = Field(default_factory=utcnow)


def _authorize_net(credentials: dict) -> Gateway:
    from server.payments.authorize_net import SANDBOX_URL, AuthorizeNetGateway

    return AuthorizeNetGateway(credentials["login_id"], credentials["transaction_key"], url=credentials.get("url") or SANDBOX_URL)


# Gateways an account may choose (the sandbox is the server's own: server.payments.make_gateway).
FACTORIES: dict[str, Callable[[dict], Gateway]] = {"authorize_net": _authorize_net}
REQUIRED: dict[str, tuple[str, ...]] = {"authorize_net": ("login_id", "transaction_key")}


def set_gateway(registry: Registry, account_id: str, name: str, credentials: dict[str, str]) -> None:
    """Choose `name` for the account with these credentials (encrypted here); name "default"
    goes back to the server's default. ValueError for an unknown name or missing credentials."""
    with Session(registry.writer) as db:
        row = db.get(AccountGateway, account_id)
        if name == "default":
            if row is not None:
                db.delete(row)
                db.commit()
            return
        if name not in FACTORIES:
            raise ValueError(f"unknown gateway {name!r} (choose one of: default, {', '.join(FACTORIES)})")
        missing = [k for k in REQUIRED[name] if not credentials.get(k)]
        if missing:
            raise ValueError(f"the {name} gateway needs {', '.join(missing)}")
        token = registry.box().encrypt(json.dumps(credentials))
        if row is None:
            row = AccountGateway(account_id=account_id, name=name, credentials=token)
        row.name, row.credentials, row.updated_at = name, token, utcnow()
        db.add(row)
        db.commit()


class Gateways:
    """The gateway each account chose, made once per account and credentials; None: the server's
    default (the app's `state.gateway`, which the caller holds)."""

    def __init__(self, registry: Registry):
        self.registry = registry
        self._made: dict[str, tuple[str, Gateway]] = {}  # account id -> (credentials token, gateway)
        self._lock = threading.Lock()

    def chosen(self, account_id: str) -> Gateway | None:
        with Session(self.registry.engine) as db:
            row = db.get(AccountGateway, account_id)
        if row is None:
            return None
        with self._lock:
            made = self._made.get(account_id)
            if made is not None and made[0] == row.credentials:
                return made[1]
            gateway = FACTORIES[row.name](json.loads(self.registry.box().decrypt(row.credentials)))
            if made is not None:
                made[1].close()  # credentials changed: the old client goes
            self._made[account_id] = (row.credentials, gateway)
            return gateway

    def close(self) -> None:
        with self._lock:
            for _token, gateway in self._made.values():
                gateway.close()
            self._made.clear()
