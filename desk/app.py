"""`frontdesk`: the desk app's entry point.

main() parses the command line, makes the QApplication and runs `run_desk` on a qasync loop
(asyncio on Qt's own event loop). run_desk signs in (from the keyring, or the password the demo
launcher put in FRONTDESK_PASSWORD, or the sign-in window), then shows the main window until it
is closed, and shuts the sync stack down cleanly.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from pathlib import Path

import qasync
from PySide6.QtWidgets import QApplication, QMessageBox

from desk.boot import DeskConfig, DeskSession, SignInFlow
from desk.diagnostics import app_version
from desk.errors import describe_error
from desk.garbage import GuiThreadCollector
from desk.logs import setup_logging
from desk.ops import PROGRESS_DELAY_MS, Op
from desk.presenters.first_run import FirstRun, config_with_settings, needs_first_run
from desk.security import install_desk_security
from desk.settings import DeskSettings, SettingsStore
from desk.settings_audit import SettingsAudit
from desk.theme import apply_theme
from desk.swipe_handling import install_swiper
from desk.widgets.first_run import FirstRunWindow
from desk.widgets.main_window import MainWindow
from desk.widgets.sign_in import SignInWindow
from sync.errors import StorageError, SyncError
from sync.money_desk import MoneyDesk
from sync.outbox import OutboxDamaged, set_aside

log = logging.getLogger("frontdesk.desk")
PASSWORD_ENV = "FRONTDESK_PASSWORD"  # never a command-line argument: those show in `ps`


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="frontdesk", description="Frontdesk at the front desk.")
    parser.add_argument("--server", default="", help="server address, e.g. https://frontdesk.example.com")
    parser.add_argument("--account", default="", help="the business's account name")
    parser.add_argument("--username", default="", help="staff user name to sign in with")
    parser.add_argument("--data-dir", type=Path, default=None, help="where this desk keeps its data")
    parser.add_argument("--location", default=None, help="location code to start at, e.g. DT")
    parser.add_argument("--idle-lock-minutes", type=float, default=None,
                        help="lock the desk after this many idle minutes; unlock with a PIN (0: never; "
                             "default: this desk's settings, 5)")
    parser.add_argument("--setup-code", default="",
                        help="a code from the owner that sets this computer up as a desk at its first sign-in "
                             "(managers and the owner need none)")
    parser.add_argument("--self-test", action="store_true",
                        help="check this installation (window, receipts, printers, local files) offscreen and exit")
    parser.add_argument("--kiosk", action="store_true",
                        help="open the self check-in kiosk (full screen; sign in as a kiosk staff member) "
                             "instead of the desk; staff leave it with a PIN")
    return parser.parse_args(argv)


def config_from(args: argparse.Namespace, settings: DeskSettings | None = None) -> DeskConfig:
    """The command line, and for what it leaves out, this desk's saved settings (desk.settings)."""
    settings = settings or DeskSettings()
    minutes = args.idle_lock_minutes if args.idle_lock_minutes is not None else settings.idle_lock_minutes
    config = DeskConfig(server_url=args.server.rstrip("/"), account=args.account, username=args.username,
                        data_dir=args.data_dir, location_code=args.location, idle_lock_seconds=max(0.0, minutes * 60),
                        enrollment_code=args.setup_code.strip())  # fmt: skip
    return config_with_settings(config, settings)


async def first_run_session(config: DeskConfig, settings: SettingsStore) -> DeskSession | None:
    """The set-up of a new desk (server, sign-in, location, printer, swiper); None if it was closed."""
    window = FirstRunWindow(FirstRun(config, settings))
    done: asyncio.Future[DeskSession | None] = asyncio.get_running_loop().create_future()
    window.finished.connect(lambda s: done.done() or done.set_result(s))
    window.cancelled.connect(lambda: done.done() or done.set_result(None))
    window.show()
    window.activateWindow()
    session = await done
    if session is None and window.presenter.session is not None:
        await window.presenter.session.close()  # signed in, then closed before Finish: nothing kept
    return session


async def signed_in_session(config: DeskConfig, password: str | None = None, notice: str = "") -> DeskSession | None:
    """A signed-in session, or None when the person closed the sign-in window (which shows `notice`)."""
    session: DeskSession | None = None
    first_error: BaseException | None = None
    if config.server_url and config.account:
        try:
            session = DeskSession.open(config)
        except OutboxDamaged as exc:
            # Kept as it is, nothing recorded, until staff choose: stop here, or set it aside.
            if not damaged_outbox_choice(exc):
                return None
            set_aside(exc.path)
            session = DeskSession.open(config)
        except StorageError as exc:
            first_error = exc  # said in the sign-in window
        try:
            if session is not None and await session.resume() is not None:
                return session
            if session is not None and password and config.username:
                await session.login(config.username, password)
                return session
        except SyncError as exc:
            first_error = exc  # said in the sign-in window, where it can be fixed
    flow = SignInFlow(config, session)
    window = SignInWindow(flow.attempt, server=config.server_url, account=config.account, username=config.username)
    if notice:
        window.show_notice(notice)
    if first_error is not None:
        window.show_alert(describe_error(first_error, "signing in"))
    done: asyncio.Future[DeskSession | None] = asyncio.get_running_loop().create_future()
    window.signed_in.connect(lambda s: done.done() or done.set_result(s))
    window.cancelled.connect(lambda: done.done() or done.set_result(None))
    window.show_centered()
    result = await done
    if result is None and flow.session is not None:
        await flow.session.close()
    return result


def damaged_outbox_choice(exc: OutboxDamaged) -> bool:
    """True when staff choose to set the damaged file aside (kept for support) and start again."""
    box = QMessageBox(QMessageBox.Icon.Critical, "Frontdesk", exc.message)
    box.setInformativeText(
        "Changes in that file that were not sent yet are not on the server. Support can recover them from the "
        "kept file. You can stop here, or keep the file aside and start this desk again with an empty list of "
        "unsent work."
    )
    stop = box.addButton("Stop and call support", QMessageBox.ButtonRole.RejectRole)
    box.addButton("Keep it aside and start again", QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(stop)
    box.exec()
    return box.clickedButton() is not stop


async def first_sync(session: DeskSession) -> None:
    """A desk that has never synced has no classes to show: fetch them first, with progress."""
    if session.store.locations():
        return
    rebuilt = session.store.cache.rebuilt
    label = (
        "This desk's local copy could not be used, so it is being downloaded again. Work not yet sent is kept…"
        if rebuilt else f"Getting {session.account_name}'s classes and students from the server…"
    )
    # A rebuild says so at once: staff should know why this start takes longer than usual.
    op = Op(None, session.engine.sync_now, doing="getting the account's data").with_progress(label, 0 if rebuilt else PROGRESS_DELAY_MS)
    unsubscribe = session.engine.subscribe_progress(op.set_progress)  # the bar fills page by page
    task = op.run()
    try:
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await task  # a failure was already said by show_error; the desk then starts empty and syncs later
    finally:
        unsubscribe()


def open_main_window(session: DeskSession, settings: SettingsStore | None = None) -> MainWindow:
    """The main window wired to the session's sync engine; syncing starts here."""
    window = MainWindow(
        session.store, staff_name=session.staff_name, account_name=session.account_name,
        location_code=session.config.location_code, status=session.engine.status,
        # Card payments go to the server on the session's client; a charge made here is sent before a card pays it.
        money=MoneyDesk(session.store, session.client, send_pending=session.engine.sync_now),
        settings=settings,
    )
    unsubscribe = [session.engine.subscribe(window.show_sync_status),
                   session.engine.subscribe_changes(window.data_changed)]
    window.closed.connect(lambda: [stop() for stop in unsubscribe])
    install_swiper(window)  # a keyboard-mode swipe anywhere in the app never lands in a text field
    install_desk_security(window, session)  # screens by permission, idle lock, staff and audit screens
    settings_audit = SettingsAudit(window.settings, session.store, on_error=window.notify)  # who changed which setting
    window.closed.connect(settings_audit.close)
    window.help.attach(session)  # Help > Copy diagnostics names the server, account and sync state
    session.start()
    screen = window.screen().availableGeometry()
    window.setGeometry(screen)  # a window manager maximizes; without one (kiosk, Xvfb) this fills the screen
    window.showMaximized()
    window.activateWindow()  # the search field's focus shows only in the active window
    notice = session.signed.notice if session.signed else None
    if notice:
        window.notify(notice, "amber")
    return window


async def run_desk(config: DeskConfig, password: str | None = None, *, kiosk: bool = False,
                   settings: SettingsStore | None = None) -> int:
    notice = ""
    settings = settings or SettingsStore()
    while True:
        if needs_first_run(config, settings.current) and not password:
            session = await first_run_session(config, settings)
            config = config_with_settings(config, settings.current)
        else:
            session = await signed_in_session(config, password, notice)
        if session is None:
            return 1
        password = None  # after a sign-out the sign-in window asks; the demo's password is used once
        try:
            await first_sync(session)
            signed_out = await run_signed_in(session, kiosk=kiosk, settings=settings)
            if signed_out is None:
                return 0
            notice = signed_out
        finally:
            await session.close()


async def run_signed_in(session: DeskSession, *, kiosk: bool = False,
                        settings: SettingsStore | None = None) -> str | None:
    """The main window (or the kiosk's) until it is closed (None) or staff sign out (what the
    sign-in window then says)."""
    if kiosk:
        from desk.kiosk.launch import open_kiosk_window  # full screen, no rail; left with a staff PIN
        from desk.kiosk.options import KioskOptions

        options = KioskOptions.from_settings(settings.current.kiosk) if settings is not None else None
        window = open_kiosk_window(session, options)
    else:
        window = open_main_window(session, settings)
    ended: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
    window.sign_out_requested.connect(lambda: ended.done() or ended.set_result(True))
    window.closed.connect(lambda: ended.done() or ended.set_result(False))
    if not await ended:
        return None
    name = session.staff_name
    await sign_out(session, window)
    return signed_out_notice(name, session.store.pending_count())


async def sign_out(session: DeskSession, window: MainWindow) -> None:
    """Hide the desk at once, stop syncing, then revoke the sign-in on the server and in the keyring.

    The outbox is a file in the desk's folder: what was not sent yet stays there and is sent after
    the next sign-in, by whoever signs in.
    """
    window.close()
    await session.engine.stop()  # no push with a token that is being revoked
    await session.auth.sign_out()


def signed_out_notice(name: str, pending: int) -> str:
    who = f"{name} signed out" if name else "Signed out"
    if not pending:
        return f"{who}. Everything made at this desk reached the server."
    changes = "1 change not sent yet stays" if pending == 1 else f"{pending} changes not sent yet stay"
    return f"{who}. {changes} on this computer and will be sent after the next sign-in."


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.self_test:
        from desk.self_test import run_self_test  # its own throw-away folder, log and offscreen app

        return run_self_test()
    log_file = setup_logging(args.data_dir)  # rotating file + console; card data redacted on every line
    log.info("Frontdesk %s starting; log file %s", app_version(), log_file)
    password = os.environ.pop(PASSWORD_ENV, None) or None  # read once; children do not inherit it
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl+C in a terminal ends the app (Qt would swallow it)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Frontdesk")
    # Between windows (sign-in closed, first-sync progress closed, main window not yet shown) no
    # window is open: Qt must not take that for "the last window closed" and stop the loop.
    # run_desk decides when the app ends.
    app.setQuitOnLastWindowClosed(False)
    collector = GuiThreadCollector(app)  # Qt objects are freed on the GUI thread only: see desk/garbage.py
    apply_theme(app)
    settings = SettingsStore()  # the platform's configuration folder (FRONTDESK_CONFIG_DIR overrides)
    if settings.notice:
        log.warning("%s", settings.notice)
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        kiosk = args.kiosk or settings.current.kiosk.start_in_kiosk
        try:
            return runner.run(run_desk(config_from(args, settings.current), password, kiosk=kiosk, settings=settings))
        finally:
            collector.stop()


if __name__ == "__main__":
    sys.exit(main())
