"""Uploaded files kept in the account's own database between their preview and their import.

They are the account's data, so they live with it (and go with it when the account moves), and
any server process behind the proxy finds a file another one received. A few per account, for a
few hours: the oldest go first, except a file a running import still reads.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Collection

from pydantic import NaiveDatetime  # plain DateTime column (SQLModel maps datetime to a tz-aware one)
from sqlalchemy import Column, LargeBinary, delete, insert, select
from sqlmodel import Field

from server.account_db import AccountBase, AccountDatabase
from server.importing.preview import Upload
from sync.core.ids import new_id, utcnow

UPLOAD_TTL_S = 3 * 3600
MAX_UPLOADS_PER_ACCOUNT = 5


class ImportUpload(AccountBase, table=True):
    """A file sent for import, as it came (CSV, XLSX or a ZIP): read again for each preview and the commit."""

    __tablename__ = "import_upload"
    id: str = Field(primary_key=True, max_length=36)
    staff_id: str = Field(max_length=36)
    file_name: str = Field(max_length=200)
    sha256: str = Field(max_length=64)
    size: int
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: NaiveDatetime = Field(default_factory=utcnow, index=True)


_t = ImportUpload.__table__  # type: ignore[attr-defined]


def new_upload(account_id: str, staff_id: str, file_name: str, data: bytes) -> Upload:
    return Upload(id=new_id(), account_id=account_id, staff_id=staff_id, file_name=file_name, data=data,
                  sha256=hashlib.sha256(data).hexdigest(), created_at=utcnow())  # fmt: skip


def keep_upload(adb: AccountDatabase, upload: Upload, *, in_use: Collection[str] = ()) -> Upload:
    """Store a file that could be read; expired ones, and the oldest beyond the account's few, are
    deleted in the same transaction, except those in `in_use` (read by a running import)."""
    stale_before = utcnow() - dt.timedelta(seconds=UPLOAD_TTL_S)
    with adb.write_session() as db:
        held = db.execute(select(_t.c.id, _t.c.created_at).order_by(_t.c.created_at, _t.c.id)).all()
        expired = [uid for uid, at in held if at < stale_before and uid not in in_use]
        fresh = [uid for uid, at in held if at >= stale_before]
        over = max(0, len(fresh) - MAX_UPLOADS_PER_ACCOUNT + 1)
        drop = expired + [uid for uid in fresh if uid not in in_use][:over]
        if drop:
            db.execute(delete(_t).where(_t.c.id.in_(drop)))
        db.execute(insert(_t).values(id=upload.id, staff_id=upload.staff_id, file_name=upload.file_name, sha256=upload.sha256,
                                     size=len(upload.data), data=upload.data, created_at=upload.created_at))  # fmt: skip
        db.commit()
    return upload


def load_upload(adb: AccountDatabase, account_id: str, upload_id: str) -> Upload | None:
    """The file, unless it is gone (expired, pushed out by newer ones, or never this account's)."""
    stale_before = utcnow() - dt.timedelta(seconds=UPLOAD_TTL_S)
    with adb.read_session() as db:
        row = db.execute(select(_t.c.staff_id, _t.c.file_name, _t.c.sha256, _t.c.data, _t.c.created_at)
                         .where(_t.c.id == upload_id)).first()  # fmt: skip
    if row is None or row.created_at < stale_before:
        return None
    return Upload(id=upload_id, account_id=account_id, staff_id=row.staff_id, file_name=row.file_name, data=bytes(row.data),
                  sha256=row.sha256, created_at=row.created_at)  # fmt: skip
