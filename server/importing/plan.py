"""Rows grouped into families and matched against the account: what an import would write.

The same function makes the preview and the commit (server.importing.jobs), so what the person
saw is what is written; the commit makes it again inside its write transaction, against the
account as it is then.

Grouping, in the file: rows with the same family ID (from the previous software, or ours from an
export) are one family; otherwise rows sharing a guardian's email, or the same guardian name in
the same family name. A row with only a family name and a student joins the one family of that
name in the file, or the one on file.
Matching, against the account: a family by our id, else by any guardian email, else by a
guardian's name, else (rows with no guardian) by its name with the phone or address given. Two
candidates are an "ambiguous match": the row must be fixed or skipped, never guessed. Students
match by id or by name (and birth date) within their family; guardians by email or name; an
enrollment, a medical note or an opening balance already there is not written again. So the
same file imported twice creates nothing the second time.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from pydantic_core import PydanticUndefined

from server.importing.existing import Existing, digits, key
from server.importing.rows import Problem, RowData
from sync.core.ids import new_id
from sync.core.schema import Alert, Contact, Enrollment, Family, LedgerEntry, Student
from sync.core.wire_imports import BalancePer, ImportCounts  # what a plan counts is what the preview and the job answer

Progress = Callable[[str, int, int], None]  # (what is being done, done, total)
PROGRESS_EVERY = 2000
NO_LOCATION = "no_location"  # a balance with no location to record it at: the preview asks for one


class Cancelled(Exception):
    """The person pressed Cancel: nothing is written."""


@dataclass
class Who:
    """Who imports, where, and from which file: what the opening balances carry."""

    staff_id: str
    desk_id: str
    file_name: str
    location_id: str | None
    business_date: dt.date
    made_at: dt.datetime


@dataclass
class Plan:
    counts: ImportCounts
    problems: list[Problem]
    records: dict[type, list[dict]]  # record class -> rows to insert (usn given when written)
    balance_per: str = "family"  # how the file's balances were read: one per family, or one per person summed
    missing_classes: dict[str, int] = field(default_factory=dict)  # a class the file names, not set up -> rows naming it

    @property
    def error_rows(self) -> list[int]:
        return sorted({p.row for p in self.problems if p.severity == "error"})

    @property
    def total_records(self) -> int:
        return sum(len(r) for r in self.records.values())


def _defaults(cls: type) -> dict:
    return {n: f.default for n, f in cls.model_fields.items() if f.default is not PydanticUndefined and f.default_factory is None}


_DEFAULTS = {cls: _defaults(cls) for cls in (Family, Contact, Student, Enrollment, Alert, LedgerEntry)}


def _record(cls: type, **values) -> dict:
    """A row as the insert wants it: every column, without the cost of a model per row."""
    return {**_DEFAULTS[cls], **values, "usn": None}


@dataclass
class _Family:
    id: str
    existing: bool
    name: str
    record: dict | None = None  # new families: the row to insert; matched ones: {} once a row used them
    matched_contacts: set[int] = field(default_factory=set)  # indexes into Existing.contacts_of
    planned_contacts: list[tuple[tuple[str, str], str]] = field(default_factory=list)  # (name key, email key)
    by_name: dict[tuple[str, str], list[tuple[dt.date | None, str, int]]] = field(default_factory=dict)  # students
    seen: dict[str, tuple[int, tuple]] = field(default_factory=dict)  # student id -> (first row, signature)
    balances: dict[str, tuple[int, int]] = field(default_factory=dict)  # person -> (cents, first row)


def make_plan(rows: Iterable[RowData], ex: Existing, who: Who, *, skipped: int = 0, balance_per: BalancePer = "auto",
              progress: Progress | None = None, cancelled: Callable[[], bool] | None = None) -> Plan:  # fmt: skip
    """`balance_per`: "family" (every row of a family gives its one balance), "person" (each person's
    balance, summed per family), or "auto": per person when rows of one family give different ones."""
    rows = list(rows)
    builder = _Builder(ex, who)
    counts = builder.counts
    counts.rows, counts.rows_skipped = len(rows) + skipped, skipped
    ready = [r for r in rows if r.ok]
    for group in _groups(ready, builder):
        builder.family_of(group)
    for i, row in enumerate(r for r in rows if r.ok):
        if cancelled is not None and cancelled():
            raise Cancelled()
        if progress is not None and i % PROGRESS_EVERY == 0:
            progress("Matching families and students", i, len(ready))
        builder.add(row)
    per = builder.opening_balances(balance_per)
    problems = sorted([*(p for r in rows for p in r.problems), *builder.warnings], key=lambda p: (p.row, p.severity != "error"))
    error_rows = {p.row for p in problems if p.severity == "error"}
    counts.rows_with_errors = len(error_rows)
    counts.rows_ready = len(rows) - len(error_rows)
    return Plan(counts=counts, problems=problems, records=builder.records, balance_per=per, missing_classes=builder.missing)


# --- grouping rows into families -------------------------------------------------------------
def _row_keys(row: RowData) -> list[tuple]:
    if row.family_ref:
        return [("ref", key(row.family_ref))]
    emails = [("email", key(g.email)) for g in row.guardians if g.email] + ([("email", key(row.email))] if row.email else [])
    if emails:
        # The other parent's row has their own email: the same family name at the same address joins them.
        return emails + ([("home", key(row.family_name), key(row.address))] if row.address else [])
    if row.guardians:
        g = row.guardians[0]
        # A guardian whose email was left out (a bad value) still joins the rows of their home.
        return [("guardian", key(row.family_name), key(g.first), key(g.last))] + (
            [("home", key(row.family_name), key(row.address))] if row.address else [])
    extra = digits(row.phone or row.home_phone) or key(row.address)
    return [("name", key(row.family_name), extra)]


def _groups(rows: list[RowData], builder: _Builder) -> list[list[RowData]]:
    parent: dict[tuple, tuple] = {}

    def find(k: tuple) -> tuple:
        while parent.setdefault(k, k) != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for row in rows:
        keys = _row_keys(row)
        for k in keys[1:]:
            parent[find(k)] = find(keys[0])
    by_root: dict[tuple, list[RowData]] = {}
    for row in rows:
        by_root.setdefault(find(_row_keys(row)[0]), []).append(row)
    groups = list(by_root.values())
    # A row that names only a family joins the one family of that name with guardians in the file.
    named: dict[str, list[int]] = defaultdict(list)
    for i, g in enumerate(groups):
        if _row_keys(g[0])[0][0] != "name":
            named[key(g[0].family_name)].append(i)
    out: list[list[RowData]] = []
    for g in groups:
        root = _row_keys(g[0])[0]
        if root[0] == "name" and not root[2]:
            targets = named.get(root[1], [])
            if len(targets) == 1:
                groups[targets[0]].extend(g)
                continue
            if len(targets) > 1:
                builder.ambiguous(g, f"This row names the {g[0].family_name} family, and the file has "
                                     f"{len(targets)} families of that name. Add a guardian or an email, or skip the row.")  # fmt: skip
                continue
        out.append(g)
    return out


# --- building the plan -------------------------------------------------------------------------
class _Builder:
    def __init__(self, ex: Existing, who: Who):
        self.ex, self.who = ex, who
        self.counts = ImportCounts()
        self.records: dict[type, list[dict]] = {cls: [] for cls in (Family, Contact, Student, Enrollment, Alert, LedgerEntry)}
        self.family_of_row: dict[int, _Family] = {}
        self.families: dict[str, _Family] = {}
        self.planned_enrollments: set[tuple[str, str]] = set()
        self.planned_alerts: set[tuple[str, str, str]] = set()
        self.warnings: list[Problem] = []  # problems of a family rather than one row's cells
        self.balances_differ = False
        self.missing: dict[str, int] = {}  # the file's words for a class not set up -> rows (first spelling kept)
        self._missing_keys: dict[str, str] = {}

    def ambiguous(self, group: list[RowData], message: str) -> None:
        for row in group:
            row.problems.append(Problem(row.number, None, "ambiguous", message))

    def family_of(self, group: list[RowData]) -> None:
        """Match a group to a family on file (or plan a new one); an ambiguous match marks its rows."""
        found, why = self._match(group)
        if why is not None:
            self.ambiguous(group, why)
            return
        if found is not None:
            fam = self.families.get(found)
            if fam is None:
                fam = self.families[found] = _Family(found, True, self.ex.family_names[found])
        else:
            fam = _Family(new_id(), False, group[0].family_name)
            self.families[fam.id] = fam
        for row in group:
            self.family_of_row[row.number] = fam

    def _match(self, group: list[RowData]) -> tuple[str | None, str | None]:
        ex = self.ex
        refs = {r.family_ref for r in group if r.family_ref and r.family_ref in ex.family_names}
        if refs:
            return self._one(refs, group)
        emails = {key(g.email) for r in group for g in r.guardians if g.email} | {key(r.email) for r in group if r.email}
        found = set().union(*(ex.by_email.get(e, set()) for e in emails)) if emails else set()
        if found:
            return self._one(found, group)
        names = {(key(g.first), key(g.last)): key(g.email) for r in group for g in r.guardians}
        # A guardian on file of the same name, unless both have emails and they differ (another person).
        found = {fid for n, mail in names.items() for fid, on_file in ex.by_guardian.get(n, ()) if not (mail and on_file and mail != on_file)}
        same_name = {f for f in found if key(ex.family_names[f]) == key(group[0].family_name)}
        if found:
            return self._one(same_name or found, group)
        if names or emails:
            return None, None
        found = set(ex.by_name.get(key(group[0].family_name), set()))
        tel = {digits(r.phone or r.home_phone) for r in group} - {""}
        where = {key(r.address) for r in group} - {""}
        if found and (tel or where):
            found = {f for f in found if any(f in ex.by_phone.get(t, ()) for t in tel) or any(f in ex.by_address.get(a, ()) for a in where)}
        return self._one(found, group) if found else (None, None)

    def _one(self, found: set[str], group: list[RowData]) -> tuple[str | None, str | None]:
        if len(found) == 1:
            return next(iter(found)), None
        names = ", ".join(sorted(self.ex.family_names[f] for f in found)[:4])
        return None, (f"This matches {len(found)} families already on file ({names}). "
                      "Add an email or family ID that tells them apart, or skip the row.")  # fmt: skip

    # --- one row into its family ---------------------------------------------------------
    def add(self, row: RowData) -> None:
        """Checks first (student match, balance), so a row with an error adds nothing at all."""
        fam = self.family_of_row.get(row.number)
        if fam is None or not row.ok:
            return
        student = self._student_for(fam, row) if row.has_student else None
        if not row.ok:
            return
        if row.balance_cents is not None:
            # Whose balance: a people list says (each person's own); else the student's, or the row's guardians'.
            person = row.person_key or (student[1] if student else "|".join(f"{key(g.first)} {key(g.last)}" for g in row.guardians))
            given = fam.balances.setdefault(person or f"row {row.number}", (row.balance_cents, row.number))
            if not self.balances_differ and given[0] != next(iter(fam.balances.values()))[0]:
                self.balances_differ = True  # siblings' balances differ: "auto" reads one per person
        self._ensure_family(fam, row)
        for g in row.guardians:
            self._guardian(fam, g)
        if student is not None:
            self._student(fam, row, student)
        elif row.notes:
            self._alerts(fam, None, (("note", row.notes),))  # a note on a row without a student: the family's

    def _error(self, row: RowData, field_name: str | None, code: str, message: str, severity: str = "error") -> None:
        row.problems.append(Problem(row.number, field_name, code, message, severity))  # type: ignore[arg-type]

    def _ensure_family(self, fam: _Family, row: RowData) -> None:
        if fam.existing:
            if fam.record is None:
                fam.record = {}
                self.counts.families_matched += 1
            return
        first = row.guardians[0] if row.guardians else None
        email = (first.email if first else "") or row.email or next((g.email for g in row.guardians if g.email), "")
        phone = row.home_phone or (first.phone if first else "") or row.phone
        if fam.record is None:
            fam.record = _record(Family, id=fam.id, name=fam.name, email=email, phone=phone, address=row.address)
            self.records[Family].append(fam.record)
            self.counts.families_new += 1
            return
        for name, value in (("email", email), ("phone", phone), ("address", row.address)):  # later rows fill gaps
            if value and not fam.record[name]:
                fam.record[name] = value

    def _guardian(self, fam: _Family, g) -> None:  # noqa: ANN001 - rows.Guardian
        name_key, mail = (key(g.first), key(g.last)), key(g.email)
        if fam.existing:
            for i, (first, last, email) in enumerate(self.ex.contacts_of[fam.id]):
                if _same_person(name_key, mail, (first, last), email):
                    if i not in fam.matched_contacts:
                        fam.matched_contacts.add(i)
                        self.counts.guardians_matched += 1
                    return
        if any(_same_person(name_key, mail, other, other_mail) for other, other_mail in fam.planned_contacts):
            return
        primary = not fam.existing and not fam.planned_contacts
        fam.planned_contacts.append((name_key, mail))
        self.records[Contact].append(_record(Contact, id=new_id(), family_id=fam.id, first_name=g.first, last_name=g.last,
                                             email=g.email, phone=g.phone, is_primary=primary))  # fmt: skip
        self.counts.guardians_new += 1

    def _student_for(self, fam: _Family, row: RowData) -> tuple[str, str] | None:
        """("new" | "existing" | "planned", student id), or None with an error on the row."""
        ex, name_key, sig = self.ex, (key(row.student_first), key(row.student_last)), _signature(row)
        row.signature = sig
        found: tuple[str, str] | None = None
        if row.student_ref and row.student_ref in ex.students:
            s = ex.students[row.student_ref]
            if s.family_id != fam.id:
                other = ex.family_names.get(s.family_id, "another")
                self._error(row, "student_id", "ambiguous", f"Student ID {row.student_ref} is {s.first} {s.last} of the {other} family on file.")
                return None
            found = ("existing", s.id)
        if found is None:
            earlier = fam.by_name.get(name_key, [])
            for birth, sid, _first_row in earlier:
                if birth is None or row.birth_date is None or birth == row.birth_date:
                    found = ("planned", sid)
                    break
            else:
                if earlier:
                    birth, _sid, first_row = earlier[0]
                    self._error(row, "birth_date", "ambiguous", f"Row {first_row} has {row.student_first} {row.student_last} born "
                                f"{birth:%Y-%m-%d}; this row says {row.birth_date:%Y-%m-%d}. Fix the date or skip the row.")  # type: ignore[union-attr]  # fmt: skip
                    return None
        if found is None and fam.existing:
            same = [s for s in ex.students_of[fam.id] if (key(s.first), key(s.last)) == name_key]
            fits = [s for s in same if s.birth_date is None or row.birth_date is None or s.birth_date == row.birth_date]
            if len(fits) > 1:
                self._error(row, None, "ambiguous", f"This matches {len(fits)} students named {row.student_first} "
                            f"{row.student_last} on file in this family. Add the birth date or skip the row.")  # fmt: skip
                return None
            if not fits and same:
                self._error(row, "birth_date", "ambiguous", f"{same[0].first} {same[0].last} is on file in this family born "
                            f"{same[0].birth_date:%Y-%m-%d}; this row says {row.birth_date:%Y-%m-%d}. Fix the date or skip the row.")  # type: ignore[union-attr]  # fmt: skip
                return None
            if fits:
                found = ("existing", fits[0].id)
        found = found or ("new", new_id())
        first = fam.seen.get(found[1])
        if first is not None and first[1] == sig:
            self._error(row, None, "duplicate", f"This row repeats row {first[0]}.")
            return None
        return found

    def _student(self, fam: _Family, row: RowData, found: tuple[str, str]) -> None:
        how, sid = found
        if sid not in fam.seen:
            fam.seen[sid] = (row.number, row.signature)
            fam.by_name.setdefault((key(row.student_first), key(row.student_last)), []).append((row.birth_date, sid, row.number))
            if how == "new":
                self.records[Student].append(_record(Student, id=sid, family_id=fam.id, first_name=row.student_first,
                                                     last_name=row.student_last, birth_date=row.birth_date, gender=row.gender))  # fmt: skip
                self.counts.students_new += 1
            else:
                self.counts.students_matched += 1
        for name in row.classes:
            ids = self.ex.classes_by_label.get(key(name)) or self.ex.classes_by_name.get(key(name), [])
            if not ids:
                spelled = self._missing_keys.setdefault(key(name), name)
                self.missing[spelled] = self.missing.get(spelled, 0) + 1
            if len(ids) != 1:
                words = "is not set up here" if not ids else f"matches {len(ids)} classes (write it as in an export: name · day time · location)"
                self._error(row, "class_name", "unknown_class" if not ids else "ambiguous_class",
                            f"The class “{name}” {words}; the student is imported without it.", "warning")  # fmt: skip
                continue
            pair = (sid, ids[0])
            if pair in self.ex.enrolled or pair in self.planned_enrollments:
                continue
            self.planned_enrollments.add(pair)
            self.records[Enrollment].append(_record(Enrollment, id=new_id(), student_id=sid, schedule_id=ids[0],
                                                    start_date=self.who.business_date))  # fmt: skip
            self.counts.enrollments_new += 1
        if row.medical or row.allergies or row.notes:  # most rows have none: no work for them
            self._alerts(fam, sid, (("medical", row.medical), ("allergy", row.allergies), ("note", row.notes)))

    def _alerts(self, fam: _Family, sid: str | None, kinds: Iterable[tuple[str, list[str]]]) -> None:
        """Each cell one alert, its text whole; one already on file (or our export's "; " list of them) is not added again."""
        owner = sid or f"family:{fam.id}"
        for kind, notes in kinds:
            for text in notes:
                k = (owner, kind, key(text))
                if k in self.ex.alerts or k in self.planned_alerts:
                    continue
                if "; " in text and all((owner, kind, key(part)) in self.ex.alerts for part in text.split("; ")):
                    continue  # the cell our export wrote for several notes on file
                self.planned_alerts.add(k)
                self.records[Alert].append(_record(Alert, id=new_id(), family_id=fam.id, student_id=sid, kind=kind, text=text))
                self.counts.notes_new += 1

    # --- opening balances ----------------------------------------------------------------
    def opening_balances(self, per: BalancePer) -> str:
        """One ledger entry per family whose balance the file gives, on a ledger that is still empty;
        returns how the balances were read ("family" or "person").

        A balance owed is a charge (category "other"), a credit a credit entry: our ledger's
        adjustments must correct a charge, and an opening balance corrects nothing.
        """
        who = self.who
        text = f"Opening balance (import {who.file_name})"[:200]
        if per == "auto":  # siblings with different balances: each person's own, to be added up
            per = "person" if self.balances_differ else "family"
        for fam in self.families.values():
            if not fam.balances or fam.record is None:
                continue
            cents, row_no = next(iter(fam.balances.values()))  # rows are added in the file's order: the first row's
            if per == "person":
                cents = sum(c for c, _r in fam.balances.values())
            elif self.balances_differ:
                other = next(((c, r) for c, r in fam.balances.values() if c != cents), None)
                if other is not None:  # the person said one balance per family: rows that disagree are listed
                    self.warnings.append(Problem(other[1], "balance", "balance_conflict", f"Row {row_no} gives the {fam.name} "
                                         f"family a balance of {_money(cents)}; this row says {_money(other[0])}. "
                                         f"{_money(cents)} is used; choose “one balance per person” to add them up.", "warning"))  # fmt: skip
            if fam.existing and fam.id in self.ex.balances:
                here = self.ex.balances[fam.id]
                if here != cents:
                    self._warn(row_no, f"The {fam.name} family's balance here is {_money(here)}; the file says {_money(cents)}. "
                               "It is not changed: post a charge or a credit at the desk if it should be.")  # fmt: skip
                continue
            if cents == 0:
                continue
            if who.location_id is None:
                self.warnings.append(Problem(row_no, "balance", NO_LOCATION, "The account has no location yet, and an opening "
                                             "balance is recorded at a location: say which location to make first, or "
                                             "this family's balance is left out.", "warning"))  # fmt: skip
                continue
            self.records[LedgerEntry].append(_record(
                LedgerEntry, id=new_id(), family_id=fam.id, location_id=who.location_id, kind="charge" if cents > 0 else "credit",
                category="other" if cents > 0 else "", description=text, amount_cents=cents,
                reason="" if cents > 0 else f"Opening credit from the import of {who.file_name}"[:500],
                staff_id=who.staff_id, desk_id=who.desk_id, made_at=who.made_at, business_date=who.business_date))  # fmt: skip
            self.counts.balances_new += 1
            if cents > 0:
                self.counts.balance_due_cents += cents
            else:
                self.counts.balance_credit_cents -= cents
        return per

    def _warn(self, row_no: int, message: str) -> None:
        self.warnings.append(Problem(row_no, "balance", "balance_differs", message, "warning"))


def _same_person(name: tuple[str, str], email: str, other: tuple[str, str], other_email: str) -> bool:
    """The same email is the same guardian; the same name too, unless both have emails that differ
    (two guardians may share a name: a father and son both called Michael Roberts)."""
    if email and other_email:
        return email == other_email
    return name == other


def _signature(row: RowData) -> tuple:
    return (row.family_ref, key(row.family_name), tuple((key(g.first), key(g.last), key(g.email), g.phone) for g in row.guardians),
            row.email, row.phone, row.home_phone, key(row.address), row.student_ref, key(row.student_first),
            key(row.student_last), row.birth_date, row.gender, tuple(row.medical), tuple(row.allergies),
            tuple(row.notes), tuple(key(c) for c in row.classes), row.balance_cents)  # fmt: skip


def _money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents) // 100:,}.{abs(cents) % 100:02d}"
