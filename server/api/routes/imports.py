"""/v1/imports: a file from the previous software, previewed, then imported as one job (permission data.import).

The file is sent as the request body (any content type) with its name in the query; the server
reads it, keeps it for a few hours in the account's database and answers with its columns and a
guessed mapping. Previews are computed here, against the whole account, so a desk never needs
every family locally. Any server process answers any of these requests: the file and the job's
state are kept in databases every process reads (server.importing.stored, job_rows).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool

from server.api.deps import AccountDbDep, TokenDep
from server.api.guards import needs
from server.api.errors import ApiError, error_responses
from server.importing.existing import load_existing
from server.importing.jobs import Busy, ImportJobs, new_upload
from server.importing.preview import Upload, answer, describe, open_table, plan_for, who_for
from server.importing.reading import MAX_BYTES, FileProblem
from server.live import bell_of
from server.permissions import permissions_of, refusal
from sync.core.permissions import CLASSES_MANAGE, DATA_IMPORT, SETUP_MANAGE
from sync.core.schema import Staff
from sync.core.wire_imports import ImportOptions, JobStatus, PreviewAnswer, UploadAnswer

router = APIRouter(prefix="/imports", tags=["imports"])
Importer = Annotated[Staff, needs(DATA_IMPORT)]
Id = Annotated[str, Path(min_length=1, max_length=36)]
ERRORS = error_responses(401, 403, 404, 409, 413, 422, 500)
GONE = "This file is no longer on the server (files are kept a few hours). Choose it again."
TOO_BIG = f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB. Split it into smaller files."


def get_imports(request: Request) -> ImportJobs:
    return request.app.state.imports


ImportsDep = Annotated[ImportJobs, Depends(get_imports)]


def _bad_file(problem: FileProblem) -> ApiError:
    return ApiError(422, "bad_file", problem.message)


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BYTES:
        raise ApiError(413, "too_large", TOO_BIG)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BYTES:
            raise ApiError(413, "too_large", TOO_BIG)
        chunks.append(chunk)
    return b"".join(chunks)


_FILE_BODY = {"requestBody": {"required": True, "description": "the file's bytes (CSV, XLSX, or a ZIP of an export)",
                              "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}}


@router.post("", response_model=UploadAnswer, status_code=201, responses=ERRORS, summary="Send a file to import",
             openapi_extra=_FILE_BODY)
async def upload(
    request: Request,
    staff: Importer,
    adb: AccountDbDep,
    token: TokenDep,
    imports: ImportsDep,
    file_name: Annotated[str, Query(min_length=1, max_length=200)],
) -> UploadAnswer:
    """The file's columns, its first rows and a mapping: the one last used for these columns, or guessed.
    A file that is not a table (binary data, one column, no rows) is refused with words, and not kept."""
    data = await _body(request)
    candidate = new_upload(token.account_id, staff.id, file_name.strip() or "import", data)

    def work() -> UploadAnswer:
        with adb.read_session() as db:
            described = describe(db, candidate)
        imports.keep(adb, candidate)
        return described

    try:
        return await run_in_threadpool(work)
    except FileProblem as problem:
        raise _bad_file(problem) from None


def _upload(imports: ImportJobs, adb: AccountDbDep, token: TokenDep, upload_id: str) -> Upload:
    found = imports.upload(adb, token.account_id, upload_id)
    if found is None:
        raise ApiError(404, "not_found", GONE)
    return found


@router.post("/{upload_id}/preview", response_model=PreviewAnswer, responses=ERRORS, summary="What the import would do")
def preview(_staff: Importer, adb: AccountDbDep, token: TokenDep, imports: ImportsDep, upload_id: Id,
            body: ImportOptions) -> PreviewAnswer:  # fmt: skip
    """Counts of families, guardians and students to be created or matched, and every row with a
    problem and why. Nothing is written."""
    up = _upload(imports, adb, token, upload_id)
    _may_set_up(adb, _staff, body)
    try:
        table = open_table(up, body)
        with adb.read_session() as db:
            ex = load_existing(db)
        plan, read = plan_for(table, ex, who_for(ex, body, token.staff_id, token.desk_id, up.file_name, imports.clock), body)
    except FileProblem as problem:
        raise _bad_file(problem) from None
    return answer(up, table, body, plan, read)


@router.post("/{upload_id}/commit", response_model=JobStatus, status_code=202, responses=ERRORS, summary="Import the file")
def commit(request: Request, staff: Importer, adb: AccountDbDep, token: TokenDep, imports: ImportsDep, upload_id: Id,
           body: ImportOptions) -> JobStatus:  # fmt: skip
    """Starts the import as one job: all of it or none of it. Poll the job for its progress."""
    up = _upload(imports, adb, token, upload_id)
    _may_set_up(adb, staff, body)
    app, account_id = request.app, token.account_id
    try:
        return imports.start(adb, up, body, staff_id=staff.id, desk_id=token.desk_id,
                            on_committed=lambda: bell_of(app).ring(account_id))  # desks pull the new families now
    except Busy:
        raise ApiError(409, "busy", "Another import is running for this account. Wait for it to finish.") from None


def _may_set_up(adb, staff: Staff, body: ImportOptions) -> None:  # noqa: ANN001 - AccountDatabase
    """An import that makes classes or the location is set-up too: it needs who may set those up."""
    wanted = [p for p, asked in ((CLASSES_MANAGE, body.create_classes), (SETUP_MANAGE, body.new_location)) if asked]
    if not wanted:
        return
    with adb.read_session() as db:
        held = permissions_of(db, staff)
    for permission in wanted:
        if permission not in held:
            raise ApiError(403, "forbidden", refusal(permission))


def _known(status: JobStatus | None) -> JobStatus:
    if status is None:
        raise ApiError(404, "not_found", "This import is not known to the server.")
    return status


@router.get("/jobs/{job_id}", response_model=JobStatus, responses=ERRORS, summary="An import's progress")
def job_status(_staff: Importer, adb: AccountDbDep, token: TokenDep, imports: ImportsDep, job_id: Id) -> JobStatus:
    return _known(imports.status(adb, token.account_id, job_id))


@router.post("/jobs/{job_id}/cancel", response_model=JobStatus, responses=ERRORS, summary="Cancel an import")
def cancel(_staff: Importer, adb: AccountDbDep, token: TokenDep, imports: ImportsDep, job_id: Id) -> JobStatus:
    """Nothing of a cancelled import is written; an import already saved stays as it is."""
    return _known(imports.cancel(adb, token.account_id, job_id))
