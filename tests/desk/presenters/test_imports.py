"""The Import screen's words and rules, without widgets or a server (a stand-in API answers)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from desk.presenters.imports import FileTooBig, ImportPresenter
from sync.core.wire_imports import ImportCounts, ImportField, ImportProblem, JobStatus, PreviewAnswer, UploadAnswer

UP = UploadAnswer(upload_id="u1", file_name="kids.csv", sha256="x", size=10, format="csv", encoding="UTF-8", delimiter=";",
                  headers=["Family", "DOB"], sample=[["Lee", "3/5/2015"]], rows=2, mapping={"family_name": "Family"},
                  mapping_source="guessed", fields=[ImportField(name="family_name", label="Family name"),
                                                    ImportField(name="birth_date", label="Birth date")])  # fmt: skip


class FakeApi:
    def __init__(self, preview: PreviewAnswer):
        self.previews = [preview]
        self.options = []
        self.states = ["running", "running", "cancelled"]
        self.cancelled = False

    async def upload(self, name, data):  # noqa: ANN001, ANN201
        return UP

    async def preview(self, upload_id, options):  # noqa: ANN001, ANN201
        self.options.append(options)
        return self.previews[-1]

    async def commit(self, upload_id, options):  # noqa: ANN001, ANN201
        return JobStatus(job_id="j", upload_id="u1", file_name="kids.csv", state="running", phase="Writing", done=1, total=2)

    async def job(self, job_id):  # noqa: ANN001, ANN201
        state = self.states.pop(0)
        return JobStatus(job_id="j", upload_id="u1", file_name="kids.csv", state=state, message="The import was cancelled; nothing was written.")

    async def cancel(self, job_id):  # noqa: ANN001, ANN201
        self.cancelled = True
        return JobStatus(job_id="j", upload_id="u1", file_name="kids.csv", state="running")


def _preview(**counts) -> PreviewAnswer:
    problems = [ImportProblem(row=3, field="birth_date", code="bad_date", message="“2/30/2016” is not a real date.", value="2/30/2016")]
    c = ImportCounts(**{"rows": 2, "rows_ready": 1, "rows_with_errors": 1, "families_new": 1, "students_new": 1, **counts})
    return PreviewAnswer(upload_id="u1", counts=c, problems=problems if c.rows_with_errors else [], problems_total=1,
                         date_order="mdy", ready=not c.rows_with_errors)  # fmt: skip


def test_a_file_its_columns_and_a_preview_in_words(tmp_path: Path):
    api = FakeApi(_preview())
    p = ImportPresenter(api, "loc-1")  # type: ignore[arg-type]
    path = tmp_path / "kids.csv"
    path.write_text("Family;DOB\nLee;3/5/2015\n")
    asyncio.run(p.choose_file(path))
    assert p.file_words() == ("kids.csv: 2 rows (CSV, UTF-8, semicolon separated). Columns: our guesses from the column names; "
                              "check them below.")  # fmt: skip
    assert [(r.label, r.header, r.sample) for r in p.mapping_rows()] == [("Family name", "Family", "Lee"), ("Birth date", None, "")]
    p.set_column("birth_date", "DOB")
    assert p.mapping_rows()[1].sample == "3/5/2015"
    asyncio.run(p.check())
    assert "2 rows: 1 new family, 0 new guardians, 1 new student." in p.summary()
    assert "1 row has a problem" in p.summary() and not p.may_import
    [line] = p.problem_lines()
    assert (line.row, line.column, line.error, line.value) == (3, "DOB", True, "2/30/2016")
    p.fix(3, "birth_date", "2/28/2016")
    assert p.stale and p.problem_lines()[0].fixed == "2/28/2016"
    api.previews.append(_preview(rows_with_errors=0, rows_ready=2))
    asyncio.run(p.check())
    assert p.may_import and "Ready to import." in p.summary()
    assert api.options[-1].fixes == {3: {"birth_date": "2/28/2016"}} and api.options[-1].location_id == "loc-1"
    p.skip(3)
    assert not p.may_import  # stale: check again first


def test_cancel_is_sent_once_and_the_end_is_awaited(tmp_path: Path, monkeypatch):
    import desk.presenters.imports as module

    monkeypatch.setattr(module, "POLL_S", 0)
    api = FakeApi(_preview(rows_with_errors=0, rows_ready=2))
    p = ImportPresenter(api)  # type: ignore[arg-type]
    p.upload = UP
    asyncio.run(p.check())
    seen = []
    job = asyncio.run(p.run(lambda phase, done, total: (seen.append((phase, done, total)), p.cancel())))
    assert job.state == "cancelled" and api.cancelled and p.cancel_sent
    assert seen[0] == ("Writing", 1, 2) and api.states == []


def test_a_file_too_big_is_refused_before_sending(tmp_path: Path, monkeypatch):
    import desk.presenters.imports as module

    monkeypatch.setattr(module, "MAX_FILE_BYTES", 10)
    path = tmp_path / "big.csv"
    path.write_text("x" * 20)
    with pytest.raises(FileTooBig):
        asyncio.run(ImportPresenter(FakeApi(_preview())).choose_file(path))  # type: ignore[arg-type]
