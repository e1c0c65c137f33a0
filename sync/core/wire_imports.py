"""HTTP bodies of /v1/imports and /v1/exports (the rest of the contract is sync.core.wire).

    POST /v1/imports?file_name=NAME        the file's bytes          -> UploadAnswer (headers, guessed mapping)
    POST /v1/imports/{upload_id}/preview   ImportOptions             -> PreviewAnswer (counts, every problem)
    POST /v1/imports/{upload_id}/commit    ImportOptions             -> JobStatus (202: the job runs on)
    GET  /v1/imports/jobs/{job_id}                                   -> JobStatus (progress)
    POST /v1/imports/jobs/{job_id}/cancel                            -> JobStatus
    GET  /v1/exports?format=csv|xlsx                                 -> a ZIP of the account's data
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from sync.core.wire import ResponseModel, WireModel

DateOrder = Literal["auto", "mdy", "dmy"]
MoneyReads = Literal["auto", "owed", "credit"]  # a money column: what the family owes, or what the business owes them
BalancePer = Literal["auto", "family", "person"]  # one balance per family, or one per person added up per family
BadValues = Literal["leave_out", "stop"]  # a value that cannot be read: left out with a warning, or an error to settle
JobState = Literal["running", "done", "failed", "cancelled"]
ExportFormat = Literal["csv", "xlsx"]
MAX_PROBLEMS = 5000  # a preview lists this many problems at most (and says how many there are)


class NewLocation(WireModel):
    """The first location, made by the import on an account that has none (its opening balances are
    recorded there); made through the set-up code like one made at the desk."""

    name: str = Field(min_length=1, max_length=100)
    code: str = Field(min_length=1, max_length=8)
    timezone: str = Field(min_length=1, max_length=64)  # IANA, e.g. America/Chicago


class ImportOptions(WireModel):
    """How to read the file, and what the person decided about its rows."""

    mapping: dict[str, str] = Field(default_factory=dict, max_length=60)  # field -> header of the file
    date_order: DateOrder = "auto"  # how 03/05/2015 is read: month first, day first, or as the column shows
    delimiter: Literal[",", ";", "\t", "|"] | None = None  # None: detected
    sheet: str | None = Field(default=None, max_length=100)  # XLSX: None is the first sheet with data
    location_id: str | None = Field(default=None, max_length=36)  # where opening balances are recorded
    fixes: dict[int, dict[str, str]] = Field(default_factory=dict, max_length=100_000)  # row -> field -> new value
    skips: list[int] = Field(default_factory=list, max_length=100_000)  # rows left out
    money_reads: MoneyReads = "auto"  # "auto": a column named like "Account Credit" is a credit, others what is owed
    balance_per: BalancePer = "auto"  # "auto": per person in a people list, or when siblings' balances differ
    bad_values: BadValues = "leave_out"  # "import rows with problems without the bad values", or stop on each
    new_location: NewLocation | None = None  # an account with no location: the one to make (PreviewAnswer.questions "location")
    # Classes the file names that are not set up, to make first: the file's words -> "Tue 17:00 60"
    # (PreviewAnswer.missing_classes suggests them). Made through the set-up code, in the import's transaction.
    create_classes: dict[str, str] = Field(default_factory=dict, max_length=200)


class ImportField(ResponseModel):
    name: str
    label: str


class UploadAnswer(ResponseModel):
    upload_id: str
    file_name: str
    sha256: str
    size: int
    format: str  # csv | xlsx
    encoding: str = ""
    delimiter: str = ""
    sheet: str = ""
    sheets: list[str] = Field(default_factory=list)
    headers: list[str]
    sample: list[list[str]]  # the first rows, as the file holds them
    rows: int
    mapping: dict[str, str]
    mapping_source: Literal["saved", "guessed"]
    fields: list[ImportField]


class ImportProblem(ResponseModel):
    row: int
    field: str | None = None
    code: str
    message: str
    severity: Literal["error", "warning"] = "error"
    value: str = ""


class ImportCounts(ResponseModel):
    rows: int = 0
    rows_ready: int = 0
    rows_with_errors: int = 0
    rows_skipped: int = 0
    families_new: int = 0
    families_matched: int = 0
    guardians_new: int = 0
    guardians_matched: int = 0
    students_new: int = 0
    students_matched: int = 0
    enrollments_new: int = 0
    notes_new: int = 0
    balances_new: int = 0
    balance_due_cents: int = 0
    balance_credit_cents: int = 0


class MissingClass(ResponseModel):
    """A class the file names that is not set up here, and how the preview could make it."""

    file_name: str  # as the file writes it, e.g. "Junior Ninja · Tue 5:00 PM · DT"
    name: str  # the class's name, e.g. "Junior Ninja"
    times: str = ""  # "Tue 17:00 60" when the file says the day and time; "" when it does not (make it in Set-up)
    rows: int = 0  # rows naming it


class ImportColumn(ResponseModel):
    """One column of the file as the import will read it, in words, with what it holds."""

    header: str
    field: str | None = None  # None: not imported
    reads_as: str  # e.g. "Balance: money the family owes (a charge)", "Not imported"
    samples: list[str] = Field(default_factory=list)  # up to three values the column holds


class PreviewAnswer(ResponseModel):
    upload_id: str
    counts: ImportCounts
    problems: list[ImportProblem]
    problems_total: int
    date_order: Literal["mdy", "dmy"]  # the order the dates were read with
    questions: list[str] = Field(default_factory=list)  # what the person must answer first, e.g. "date_order"
    ready: bool  # no row with an error and no question open: the import may run
    columns: list[ImportColumn] = Field(default_factory=list)  # every column, in the file's order
    money_reads: Literal["owed", "credit"] = "owed"  # how the balance column was read (ImportOptions.money_reads flips it)
    balance_per: Literal["family", "person"] = "family"  # how balances were read (ImportOptions.balance_per)
    people_list: bool = False  # one row per person, families built from the parent or household column
    warnings_by_code: dict[str, int] = Field(default_factory=dict)  # how many of each warning, for the summary
    missing_classes: list[MissingClass] = Field(default_factory=list)  # named in the file, not set up (ImportOptions.create_classes)


class JobStatus(ResponseModel):
    job_id: str
    upload_id: str
    file_name: str
    state: JobState
    phase: str = ""
    done: int = 0
    total: int = 0
    message: str = ""
    counts: ImportCounts | None = None
