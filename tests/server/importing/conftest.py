from __future__ import annotations

import pytest

from tests.server.importing.api import manager


@pytest.fixture
def mgr(client, server_account) -> dict:
    """mia, a manager of acme (data.import), signed in at a fresh desk over real HTTP."""
    return manager(client, server_account["data_dir"])
