"""The first start of a desk: where the server is, which account, this desk's name and location,
its printer. Plain Python; desk.widgets.first_run shows it.

Each step can be checked before going on (the server answers, the sign-in works, the printer
prints), and nothing is saved until the last step: a set-up left halfway starts again next time.
What is saved is desk.settings (the platform's configuration folder); the password never is
(the sign-in keeps its token in the OS keyring, like any sign-in).
"""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable
from dataclasses import replace

from desk.boot import DeskConfig, DeskSession, SignInFlow, server_health
from desk.presenters.receipt_output import PrintOutcome, ReceiptOutput
from desk.settings import DeskSettings, SettingsStore
from sync.errors import RejectedError, SyncError
from sync.views import LocationView
from sync.core.wire import Health
from sync.core.wire import PROTOCOL_VERSION

def normalized_url(text: str) -> str:
    """What people type ("desk.example.com", "localhost:8800/") as a server address."""
    url = text.strip().rstrip("/")
    if url and "://" not in url:
        local = url.split(":")[0] in ("localhost", "127.0.0.1", "::1")
        url = ("http://" if local else "https://") + url
    return url


class FirstRun:
    def __init__(self, config: DeskConfig, settings: SettingsStore,
                 health: Callable[[str], Awaitable[Health]] = server_health):  # fmt: skip
        self.config = config
        self.health = health  # asks a server whether it answers, from the app's wiring (desk.boot)
        self.settings = settings
        self.flow = SignInFlow(config)
        self.server_url = normalized_url(config.server_url)
        self.session: DeskSession | None = None

    async def check_server(self, text: str) -> str:
        """Words saying the server answered; raises SyncError in words when it did not."""
        url = normalized_url(text)
        if not url:
            raise RejectedError("Type the server address your business was given, e.g. frontdesk.example.com.")
        health = await self.health(url)
        self.server_url = url
        return f"Connected to {url} (protocol {health.protocol}; this app speaks {PROTOCOL_VERSION})."

    async def sign_in(self, account: str, username: str, password: str, desk_name: str = "", setup_code: str = "") -> DeskSession:
        """Raises SyncError in words (wrong password, unknown account, no connection)."""
        if not (account.strip() and username.strip() and password):
            raise RejectedError("Fill in the account, your user name and your password.")
        self.flow.config = replace(self.flow.config, desk_name=desk_name.strip() or self.default_desk_name())
        self.session = await self.flow.attempt(self.server_url, account.strip().lower(), username.strip(), password,
                                               enrollment_code=setup_code.strip() or None)  # fmt: skip
        return self.session

    async def download(self) -> None:
        """The account's classes and students, so the desk can pick its location (and work offline)."""
        assert self.session is not None
        await self.session.engine.sync_now()

    def locations(self) -> list[LocationView]:
        return self.session.store.locations() if self.session is not None else []

    async def create_location(self, name: str, code: str, timezone: str) -> LocationView:
        """The account's first location (a brand-new account has none): recorded like any set-up
        change and sent at once. RejectedError in words (no permission, a code taken, a bad zone)."""
        from sync.setup_desk import SetUpDesk

        if self.session is None:
            raise RejectedError("Sign in first.")
        if not (name.strip() and code.strip()):
            raise RejectedError("Give the location a name and a short code (e.g. Downtown, DT).")
        await SetUpDesk(self.session.store).add("location", name=name, code=code, timezone=timezone)
        await self.session.engine.sync_now()
        rejected = self.session.store.rejected()
        if rejected:  # e.g. a front-desk sign-in: only owners and managers set up locations
            raise RejectedError(rejected[-1].message)
        return next(loc for loc in self.locations() if loc.code == code.strip().upper())

    def default_desk_name(self) -> str:
        return self.config.desk_name or socket.gethostname()

    async def print_test(self, printer: str | None, layout: str) -> PrintOutcome:
        chosen = self.settings.current.model_copy(update={"printer": printer, "receipt_layout": layout})
        name = self.session.account_name if self.session is not None else "Frontdesk"
        return await ReceiptOutput(lambda: chosen).test_page(name)

    def finish(self, location_code: str | None, printer: str | None, layout: str) -> DeskSettings:
        """Save the set-up; returns the settings the desk now starts with. Raises OSError from the disk."""
        if self.session is None:
            raise RejectedError("Sign in first.")
        done = self.settings.current.model_copy(update={
            "server_url": self.server_url, "account": self.session.config.account,
            "username": self.session.config.username, "desk_name": self.flow.config.desk_name,
            "location_code": location_code, "printer": printer, "receipt_layout": layout,
        })  # fmt: skip
        self.settings.save(DeskSettings.model_validate(done.model_dump()))
        self.session.config = replace(self.session.config, location_code=location_code,
                                      desk_name=done.desk_name)  # fmt: skip
        return done


def needs_first_run(config: DeskConfig, settings: DeskSettings) -> bool:
    """Nothing says where to sign in: neither the command line nor a saved set-up."""
    return not (config.server_url or settings.server_url) or not (config.account or settings.account)


def config_with_settings(config: DeskConfig, settings: DeskSettings) -> DeskConfig:
    """The command line wins; what it leaves out comes from the saved set-up."""
    return replace(
        config,
        server_url=config.server_url or settings.server_url,
        account=config.account or settings.account,
        username=config.username or settings.username,
        location_code=config.location_code or settings.location_code,
        desk_name=settings.desk_name or config.desk_name,
    )


__all__ = ["FirstRun", "SyncError", "config_with_settings", "needs_first_run", "normalized_url"]
