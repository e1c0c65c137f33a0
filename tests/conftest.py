"""Fixtures shared by the whole test tree (each area may append its own section)."""

from __future__ import annotations

import shutil

import pytest

# --- server: a real server on loopback with one small seeded account -----------------------------
from tests.helpers.keyrings import memory_keyring  # noqa: F401  (a fixture for sync and desk tests)
from tests.helpers.server_process import ThreadedServer, make_account


@pytest.fixture(scope="session")
def _server_account_template(tmp_path_factory) -> dict:
    return make_account(tmp_path_factory.mktemp("server-template"), "acme", "alex", "correct horse", families=20)


@pytest.fixture
def server_account(tmp_path, _server_account_template) -> dict:
    """Account "acme" seeded small (20 families), staff "alex" / "correct horse" (front-desk).

    Keys: account_id, slug, staff_id, username, password, data_dir. Each test gets its own copy
    of one data dir made per session (same ids every test; hashing and seeding once is faster).
    """
    data_dir = tmp_path / "server"
    shutil.copytree(_server_account_template["data_dir"], data_dir)
    return {**_server_account_template, "data_dir": data_dir}


@pytest.fixture
def server_data_dir(server_account):
    return server_account["data_dir"]


@pytest.fixture
def live_server(server_data_dir):
    """The app on uvicorn in a thread of this process, over real HTTP on 127.0.0.1."""
    with ThreadedServer(server_data_dir) as server:
        yield server


# --- printing: a real CUPS daemon with a cups-pdf printer as the default (tests.printing.cups) ----
@pytest.fixture(scope="session")
def cups_pdf():
    from tests.printing import cups

    yield from cups.cups_pdf_printer()


# --- the desk's settings file: never the real one of whoever runs the tests ----------------------
@pytest.fixture(autouse=True)
def _desk_config_dir(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("FRONTDESK_CONFIG_DIR", str(tmp_path_factory.mktemp("desk-config")))
