"""The desk's calls to /v1/imports and /v1/exports, on the same ApiClient as sync (online only).

    api = ImportApi(session.client)
    up = await api.upload("families.csv", data)        # the server reads it: columns and a guessed mapping
    seen = await api.preview(up.upload_id, options)    # counts and every problem; nothing written
    job = await api.commit(up.upload_id, options)      # one job on the server; poll api.job(job.job_id)
    zip_bytes = await api.export("xlsx")
"""

from __future__ import annotations

import httpx

from sync.client import ApiClient
from sync.errors import AuthError
from sync.core.wire_imports import ExportFormat, ImportOptions, JobStatus, PreviewAnswer, UploadAnswer

# A big file takes the server a few seconds per step; the desk's usual 15 s would cut it off.
LONG = httpx.Timeout(180.0, connect=5.0)


def _options(options: ImportOptions) -> dict:
    return options.model_dump(mode="json")


class ImportApi:
    def __init__(self, client: ApiClient):
        self.client = client

    async def upload(self, file_name: str, data: bytes) -> UploadAnswer:
        return await self.client._call("POST", "/v1/imports", UploadAnswer, params={"file_name": file_name}, content=data,
                                       timeout=LONG)  # fmt: skip

    async def preview(self, upload_id: str, options: ImportOptions) -> PreviewAnswer:
        return await self.client._call("POST", f"/v1/imports/{upload_id}/preview", PreviewAnswer, json=_options(options),
                                       timeout=LONG)  # fmt: skip

    async def commit(self, upload_id: str, options: ImportOptions) -> JobStatus:
        return await self.client._call("POST", f"/v1/imports/{upload_id}/commit", JobStatus, json=_options(options), timeout=LONG)

    async def job(self, job_id: str) -> JobStatus:
        return await self.client._call("GET", f"/v1/imports/jobs/{job_id}", JobStatus)

    async def cancel(self, job_id: str) -> JobStatus:
        return await self.client._call("POST", f"/v1/imports/jobs/{job_id}/cancel", JobStatus)

    async def export(self, fmt: ExportFormat) -> bytes:
        """The account's data as a ZIP (CSV files, or one XLSX workbook inside)."""
        client, params = self.client, {"format": fmt}
        try:
            response = await client._send("GET", "/v1/exports", True, params=params, timeout=LONG)
        except AuthError:  # as ApiClient._call: new tokens once, then the call again
            if client.on_unauthorized is None or not await client.on_unauthorized():
                raise
            response = await client._send("GET", "/v1/exports", True, params=params, timeout=LONG)
        return response.content
