"""A plain-text report for support: what this desk is, what it runs on, where its sync stands.

    text = diagnostics_report(store, config=session.config, status=engine.status, ...)

Staff paste it into an email or a chat (Help > Copy diagnostics). It never holds a secret: no
token, password or key (a setting whose name says token, secret, password or key shows as
"[hidden]"), and the log lines at the end were written redacted by desk.logs and are redacted
again on the way out.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.metadata
import os
import platform
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from desk.logs import current_log_file, read_tail, redact
from sync.core.wire import PROTOCOL_VERSION, Health

HIDDEN = "[hidden]"
SECRET_WORDS = ("token", "secret", "password", "passwd", "key")
LOG_LINES = 200
ENV_PREFIX = "FRONTDESK_"


def app_version() -> str:
    """The installed frontdesk package's version (the bundle carries its metadata too)."""
    try:
        return importlib.metadata.version("frontdesk")
    except importlib.metadata.PackageNotFoundError:
        return "unknown (not installed as a package)"


def is_secret(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in SECRET_WORDS)


def redact_settings(settings: Mapping[str, Any], prefix: str = "") -> list[str]:
    """`name = value` lines; a secret-looking name hides its value, nested mappings are walked."""
    lines: list[str] = []
    for name in sorted(settings):
        value = settings[name]
        full = f"{prefix}{name}"
        if is_secret(str(name)):
            lines.append(f"{full} = {HIDDEN}")
        elif isinstance(value, Mapping):
            lines += redact_settings(value, prefix=f"{full}.")
        else:
            lines.append(f"{full} = {redact(str(value))}")
    return lines


def runtime_lines() -> list[str]:
    try:
        import PySide6
        from PySide6.QtCore import qVersion

        qt = f"Qt {qVersion()}, PySide6 {PySide6.__version__}"
    except ImportError:  # pragma: no cover - the desk always has Qt
        qt = "Qt not available"
    bundled = "bundle" if getattr(sys, "frozen", False) else "Python environment"
    return [
        f"Frontdesk {app_version()} (desk protocol {PROTOCOL_VERSION}), running from a {bundled}",
        f"Python {platform.python_version()} ({platform.python_implementation()})",
        qt,
        f"OS: {platform.platform()} ({platform.machine()})",
        f"Password store: {_keyring_name()}",
    ]


def _keyring_name() -> str:
    try:
        import keyring

        backend = keyring.get_keyring()
        return f"{type(backend).__module__}.{type(backend).__name__}"
    except Exception as exc:  # noqa: BLE001 - a report line, never a failure
        return f"unknown ({type(exc).__name__})"


def printer_lines(printers: Iterable[Any] | None = None) -> list[str]:
    """Printers as the printing layer sees them; a failure to ask is a line, not an error."""
    if printers is None:
        try:
            from printing.printer import list_printers

            printers = list_printers()
        except Exception as exc:  # noqa: BLE001
            return [f"could not list printers: {redact(str(exc))}"]
    found = [p.label() for p in printers]
    return found or ["none found"]


def sync_lines(store: Any, status: Any = None) -> list[str]:
    """The desk's own records (outbox and cache) and, when the engine is running, what it last said."""
    lines: list[str] = []
    try:
        counts = store.outbox.counts()
        lines.append(f"Desk id: {store.desk_id}")
        lines.append(f"Data folder: {store.data_dir}")
        lines.append(f"Changes not sent yet: {counts.get('pending', 0)}")
        lines.append(f"Changes the server refused: {counts.get('rejected', 0)}")
        last = store.cache.last_sync()
        lines.append(f"Last sync: {_when(last)}")
        lines.append(f"Pull cursor: {store.cache.cursor()}")
        lines.append(f"Cache rebuilt at this start: {'yes' if store.cache.rebuilt else 'no'}")
    except Exception as exc:  # noqa: BLE001 - a damaged file is exactly what support wants to read about
        lines.append(f"could not read the local data: {type(exc).__name__}: {redact(str(exc))}")
    if status is not None:
        lines.append(f"Online: {'yes' if status.online else 'no'}; syncing now: {'yes' if status.syncing else 'no'}"
                     f"; needs sign-in: {'yes' if status.needs_sign_in else 'no'}")
        if status.error:
            lines.append(f"Last sync problem: {redact(status.error)}")
    return lines


def health_line(health: Health | None, asked_at: dt.datetime | None = None) -> str:
    if health is None:
        return "Server's own version: not asked yet (Help > About Frontdesk asks it)"
    when = f", asked {_when(asked_at)}" if asked_at else ""
    return f"Server's own version: {health.version}, protocol {health.protocol}{when}"


def diagnostics_report(
    store: Any,
    *,
    config: Any = None,
    status: Any = None,
    staff_name: str = "",
    health: Health | None = None,
    health_asked_at: dt.datetime | None = None,
    printers: Iterable[Any] | None = None,
    log_file: Path | None = None,
    log_lines: int = LOG_LINES,
    environ: Mapping[str, str] | None = None,
) -> str:
    """The whole report. `config` is a desk.boot.DeskConfig (any dataclass of settings will do)."""
    now = dt.datetime.now(dt.UTC)
    sections: list[tuple[str, list[str]]] = [("Frontdesk diagnostics", [f"Made: {now:%Y-%m-%d %H:%M:%S} UTC"])]
    sections.append(("This computer", runtime_lines()))
    settings = _settings(config)
    account = [
        f"Server: {settings.get('server_url') or 'not set'}",
        f"Account: {settings.get('account') or 'not set'}",
        f"Signed in: {staff_name or 'nobody'}",
        health_line(health, health_asked_at),
    ]
    sections.append(("Server and account", account))
    sections.append(("Settings", redact_settings(settings) or ["(defaults)"]))
    env = environ if environ is not None else os.environ
    sections.append(("Environment", redact_settings({k: v for k, v in env.items() if k.startswith(ENV_PREFIX)})
                     or [f"no {ENV_PREFIX}* variables"]))
    sections.append(("Sync", sync_lines(store, status)))
    sections.append(("Printers", printer_lines(printers)))
    path = log_file if log_file is not None else current_log_file()
    tail = read_tail(path, log_lines)
    sections.append((f"Log ({path or 'not written to a file'}), last {len(tail)} lines", tail or ["(empty)"]))
    out: list[str] = []
    for title, lines in sections:
        out += [f"== {title} ==", *lines, ""]
    return "\n".join(out)


def about_lines(health: Health | None, asked: bool, error: str = "") -> list[str]:
    """What Help > About says: this app's version and protocol, and the server's when known."""
    lines = [f"Frontdesk {app_version()}", f"Desk protocol version {PROTOCOL_VERSION}"]
    if health is not None:
        lines.append(f"Server: version {health.version}, protocol {health.protocol}")
    elif error:
        lines.append(f"Server: {error}")
    elif asked:
        lines.append("Server: asking…")
    else:
        lines.append("Server: not connected")
    return lines


def _settings(config: Any) -> dict[str, Any]:
    if config is None:
        return {}
    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        return {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}
    if isinstance(config, Mapping):
        return dict(config)
    return dict(vars(config))


def _when(moment: dt.datetime | None) -> str:
    if moment is None:
        return "never"
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return f"{aware.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S} UTC"


__all__ = ["about_lines", "app_version", "diagnostics_report", "is_secret", "redact_settings"]
