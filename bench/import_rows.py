"""Preview and import of a 50k-student file (about 30k families) on a loopback server, with its peak memory.

The file is tests.fixtures.imports.roster_csv (one row per student, family ids of another program,
a balance per family, a few medical notes). The server runs in its own process (ServerProcess), so
its peak resident memory (VmHWM) is the import's, not this script's. Timed over real HTTP: the
upload (the server reads the file and guesses the mapping), the preview (every row read, grouped
and matched against the account), and the import job (planned again, written in one transaction,
audited), polled as the desk polls it. The baseline is Python's csv module reading the same bytes.

    python -m bench.import_rows          BENCH_IMPORT_ROWS=50000 by default
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
import time
from pathlib import Path

import httpx

from tests.fixtures.imports import roster_csv
from tests.helpers.server_process import ServerProcess, make_account
from tests.server.importing.api import MANAGER_PASSWORD

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "50000"))


def _peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _timed(fn):  # noqa: ANN001, ANN202
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def run() -> None:
    print(f"\nimport: {ROWS:,} student rows, preview then import on a loopback server")
    data = roster_csv(ROWS)
    _rows, raw = _timed(lambda: sum(1 for _ in csv.reader(io.StringIO(data.decode()))))
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "server"
        make_account(data_dir, "acme", families=60)
        from server import admin

        admin.add_staff(data_dir, "acme", "mia", MANAGER_PASSWORD, group="manager")
        with ServerProcess(data_dir) as server, httpx.Client(base_url=server.url, timeout=300) as http:
            body = http.post("/v1/auth/login", json={"account": "acme", "username": "mia", "password": MANAGER_PASSWORD,
                                                     "desk_id": "bench-desk", "desk_name": "bench"}).json()  # fmt: skip
            auth = {"Authorization": f"Bearer {body['access_token']}"}
            at_start = _peak_mb(server.proc.pid)
            r, up_s = _timed(lambda: http.post("/v1/imports", params={"file_name": "big.csv"}, content=data, headers=auth))
            up = r.json()
            options = {"mapping": up["mapping"]}
            r, preview_s = _timed(lambda: http.post(f"/v1/imports/{up['upload_id']}/preview", json=options, headers=auth))
            seen = r.json()
            assert seen["ready"], seen["problems"][:3]
            after_preview = _peak_mb(server.proc.pid)
            t0 = time.perf_counter()
            job = http.post(f"/v1/imports/{up['upload_id']}/commit", json=options, headers=auth).json()
            while job["state"] == "running":
                time.sleep(0.05)
                job = http.get(f"/v1/imports/jobs/{job['job_id']}", headers=auth).json()
            import_s = time.perf_counter() - t0
            assert job["state"] == "done", job
            peak = _peak_mb(server.proc.pid)
    c = job["counts"]
    written = c["families_new"] + c["guardians_new"] + c["students_new"] + c["notes_new"] + c["balances_new"]
    print(f"  file             : {len(data) / 1e6:.1f} MB, {c['families_new']:,} families, {c['students_new']:,} students, "
          f"{written:,} records written")  # fmt: skip
    print(f"  upload (read)    : {up_s:.2f} s")
    print(f"  preview          : {preview_s:.2f} s  ({ROWS / preview_s:,.0f} rows/s)")
    print(f"  import job       : {import_s:.2f} s  ({ROWS / import_s:,.0f} rows/s, {written / import_s:,.0f} records/s)")
    print(f"  csv.reader alone : {raw:.2f} s (baseline); preview / baseline {preview_s / raw:.1f}x")
    print(f"  server peak RSS  : {at_start:.0f} MB before, {after_preview:.0f} MB after the preview, {peak:.0f} MB after the import")


if __name__ == "__main__":
    run()
