"""/v1/exports: every record of the account as a ZIP of CSV files or one XLSX workbook.

Permission data.import, not reports.run: an export is the whole database (every family's contact
details and ledger), which the front-desk group's reports.run was never meant to hand out.
"""

from __future__ import annotations

import io
from typing import Annotated

from fastapi import APIRouter, Query, Response

from server.account_db import audit
from server.api.deps import AccountDbDep, AccountDep, TokenDep
from server.api.guards import needs
from server.api.errors import error_responses
from server.export_files import write_zip
from server.exporting import TABLE_NAMES, export_tables, today_stamp
from sync.core.permissions import DATA_IMPORT
from sync.core.schema import Staff
from sync.core.wire_imports import ExportFormat

router = APIRouter(prefix="/exports", tags=["exports"])


@router.get("", responses={200: {"content": {"application/zip": {}}, "description": "A ZIP of the account's data"},
                           **error_responses(401, 403, 422, 500)}, summary="Download everything")  # fmt: skip
def export(staff: Annotated[Staff, needs(DATA_IMPORT)], token: TokenDep, account: AccountDep, adb: AccountDbDep,
           format: Annotated[ExportFormat, Query()] = "csv") -> Response:  # noqa: A002  # fmt: skip
    """Families, guardians, students, enrollments, attendance, ledger and receipts; the roster
    imports back (POST /v1/imports)."""
    out = io.BytesIO()
    with adb.read_session() as db:  # one snapshot: the tables agree with each other
        write_zip(export_tables(db), format, out)
    body = out.getvalue()
    with adb.write_session() as db:
        audit(db, "export.downloaded", staff_id=staff.id, desk_id=token.desk_id, format=format, size=len(body),
              tables=list(TABLE_NAMES))  # fmt: skip
        db.commit()
    name = f"{account.slug}-export-{today_stamp()}.zip"
    return Response(body, media_type="application/zip", headers={"Content-Disposition": f'attachment; filename="{name}"'})
