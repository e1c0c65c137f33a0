"""What one running server holds: settings, the registry, open account databases, signing key."""

from __future__ import annotations

from dataclasses import dataclass, field

from server.account_db import AccountDatabase, AccountDatabases
from server.login_throttle import LoginThrottle
from server.registry import Account, Registry
from server.settings import Settings
from server.tokens import load_signing_key


@dataclass
class ServerState:
    settings: Settings
    registry: Registry
    signing_key: bytes
    databases: AccountDatabases = field(default_factory=AccountDatabases)
    throttle: LoginThrottle = field(default_factory=LoginThrottle)

    @classmethod
    def open(cls, settings: Settings) -> ServerState:
        registry = Registry(settings.data_dir)
        return cls(settings=settings, registry=registry, signing_key=load_signing_key(settings.data_dir))

    def account_db(self, account: Account) -> AccountDatabase:
        return self.databases.get(account.id, self.registry.account_db_url(account))

    def close(self) -> None:
        self.databases.close()
        self.registry.close()
