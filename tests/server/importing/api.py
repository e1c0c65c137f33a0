"""Helpers for import and export tests over real HTTP: a manager's session, upload, preview, commit."""

from __future__ import annotations

import time

import httpx

from server import admin
from tests.server.api import login

MANAGER_PASSWORD = "manager password"


def manager(client: httpx.Client, data_dir, slug: str = "acme", username: str = "mia") -> dict:
    """A manager (data.import) signed in at a fresh desk."""
    admin.add_staff(data_dir, slug, username, MANAGER_PASSWORD, group="manager", display_name=username.title())
    return login(client, account=slug, username=username, password=MANAGER_PASSWORD)


def upload(client: httpx.Client, session: dict, name: str, data: bytes) -> httpx.Response:
    return client.post("/v1/imports", params={"file_name": name}, content=data,
                       headers={**session["headers"], "Content-Type": "application/octet-stream"})


def preview(client: httpx.Client, session: dict, upload_id: str, **options) -> httpx.Response:
    return client.post(f"/v1/imports/{upload_id}/preview", json=options, headers=session["headers"])


def commit(client: httpx.Client, session: dict, upload_id: str, **options) -> httpx.Response:
    return client.post(f"/v1/imports/{upload_id}/commit", json=options, headers=session["headers"])


def wait_job(client: httpx.Client, session: dict, job_id: str, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        r = client.get(f"/v1/imports/jobs/{job_id}", headers=session["headers"])
        assert r.status_code == 200, r.text
        status = r.json()
        if status["state"] != "running":
            return status
        assert time.monotonic() < deadline, f"import job still running: {status}"
        time.sleep(0.05)


def import_file(client: httpx.Client, session: dict, name: str, data: bytes, **options) -> tuple[dict, dict, dict]:
    """Upload, preview and commit with the guessed mapping; returns (upload, preview, finished job)."""
    r = upload(client, session, name, data)
    assert r.status_code == 201, r.text
    up = r.json()
    options = {"mapping": up["mapping"], **options}
    r = preview(client, session, up["upload_id"], **options)
    assert r.status_code == 200, r.text
    seen = r.json()
    r = commit(client, session, up["upload_id"], **options)
    assert r.status_code == 202, r.text
    return up, seen, wait_job(client, session, r.json()["job_id"])
