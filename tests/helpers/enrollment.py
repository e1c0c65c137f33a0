"""Desks in tests, as a real desk keeps them (server.desks): the server each test talks to hands
out enrollment codes through its admin command, and each desk's credential is kept here, so a
helper signing alex (front desk, who may not set desks up) in at a new desk enrolls it with a
code, and at a known desk proves its credential.

Servers register themselves when they start (tests.helpers.server_process); a test that talks
to a server by its URL thus finds the data dir whose registry makes the codes.
"""

from __future__ import annotations

from pathlib import Path

_SERVERS: dict[str, Path] = {}  # base URL -> data dir
_ALIASES: dict[str, str] = {}  # a proxy's URL -> the server's
_CODES: dict[tuple[Path, str], str] = {}  # (data dir, account) -> a many-use code (ports are reused)
_SECRETS: dict[tuple[str, str, str], str] = {}  # (base URL, account, desk id) -> credential


def _url(base_url) -> str:
    url = str(base_url).rstrip("/")
    return _ALIASES.get(url, url)


def register_server(url: str, data_dir: Path) -> None:
    _ALIASES.pop(str(url).rstrip("/"), None)
    _SERVERS[_url(url)] = Path(data_dir)


def alias(proxy_url: str, server_url: str) -> None:
    """A proxy in front of a server (tests.helpers.fault_proxy): the same desks and codes."""
    _ALIASES[proxy_url.rstrip("/")] = _url(server_url)


def code_for(base_url, account: str) -> str | None:
    """A code for many desks of `account` at the server at `base_url` (made once per server);
    None for an address where no server of the tests runs (a desk then never gets that far)."""
    from server import admin

    data_dir = _SERVERS.get(_url(base_url))
    if data_dir is None:
        return None
    key = (data_dir, account.lower())
    if key not in _CODES:
        _CODES[key] = admin.enrollment_code(data_dir, account, uses=100_000, hours=24)
    return _CODES[key]


def desk_fields(base_url, account: str, desk_id: str | None) -> dict:
    """What a login request says of its desk: the credential of a desk known here, else a code."""
    secret = _SECRETS.get((_url(base_url), account.lower(), desk_id or ""))
    if secret is not None:
        return {"desk_id": desk_id, "desk_secret": secret}
    fields = {"enrollment_code": code_for(base_url, account)}
    if desk_id:
        fields["desk_id"] = desk_id
    return fields


def remember(base_url, account: str, answer: dict) -> None:
    """Keep the credential a login answer enrolled its desk with."""
    if answer.get("desk_secret"):
        _SECRETS[(_url(base_url), account.lower(), answer["desk_id"])] = answer["desk_secret"]


def secret_of(base_url, account: str, desk_id: str) -> str | None:
    return _SECRETS.get((_url(base_url), account.lower(), desk_id))


def own_secret(desk_folder: Path) -> str:
    """The credential a desk of the tests makes itself before its first sign-in, kept in its
    folder (as sync.desk_credential does without a password store, here without touching the
    keyring): the same for every process that opens that desk (tests/e2e's desk workers)."""
    from sync.desk_credential import DeskCredential

    return DeskCredential.in_folder(Path(desk_folder)).load_or_make()
