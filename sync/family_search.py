"""Family search as you type: by the family's name, a student's or a guardian's.

Every typed word must be the start of a word of one of those names (not necessarily the same
one: "lee emm" finds the Lee family through its student Emma). Each name source has an FTS5
index in the cache (sync.cache: family_name_fts, contact_name_fts, and the students' own
student_fts), so case, accents and apostrophes fold the same way as student search. Families
whose own name starts with the first word come first, then the rest, alphabetical in each.

A family is only checked against the indexes while walking the family list in name order, and
the walk stops at `limit` hits, so a one-letter search over 10,000 families stays fast.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from sync.money_views import FamilyHit
from sync.search import _phrase, words_of

_WORD_MATCH = """(
    f.rowid IN (SELECT rowid FROM family_name_fts WHERE family_name_fts MATCH :{p})
    OR f.id IN (SELECT s.family_id FROM student AS s
                WHERE s.rowid IN (SELECT rowid FROM student_fts WHERE student_fts MATCH :{p}))
    OR f.id IN (SELECT c.family_id FROM contact AS c
                WHERE c.rowid IN (SELECT rowid FROM contact_name_fts WHERE contact_name_fts MATCH :{p}))
)"""
_OWN_NAME = "f.rowid IN (SELECT rowid FROM family_name_fts WHERE family_name_fts MATCH :first)"


def search_families(conn: Connection, typed: str, limit: int = 20) -> list[FamilyHit]:
    words = words_of(typed)
    if not words or limit <= 0:
        return []
    params: dict[str, object] = {f"w{i}": f"{_phrase(w)}*" for i, w in enumerate(words)}
    params["first"] = f"{_phrase(words[0])}*"
    every = " AND ".join(_WORD_MATCH.format(p=f"w{i}") for i in range(len(words)))
    found: list[tuple[str, str]] = []
    for tier in (_OWN_NAME, f"NOT {_OWN_NAME}"):
        want = limit - len(found)
        if want <= 0:
            break
        sql = text(
            f"SELECT f.id, f.name FROM family AS f INDEXED BY family_name_order WHERE {every} AND {tier} "
            "ORDER BY f.name COLLATE NOCASE, f.id LIMIT :limit"
        )
        found += [(r.id, r.name) for r in conn.execute(sql, {**params, "limit": want})]
    return _hits(conn, found)


def _hits(conn: Connection, found: list[tuple[str, str]]) -> list[FamilyHit]:
    if not found:
        return []
    ids = [fid for fid, _ in found]
    marks = ",".join(f":f{i}" for i in range(len(ids)))
    params = {f"f{i}": fid for i, fid in enumerate(ids)}
    students: dict[str, list[str]] = {fid: [] for fid in ids}
    for r in conn.execute(
        text(f"SELECT family_id, first_name FROM student WHERE active AND family_id IN ({marks}) "
             "ORDER BY first_name COLLATE NOCASE, id"), params,
    ):  # fmt: skip
        students[r.family_id].append(r.first_name)
    guardians: dict[str, list[str]] = {fid: [] for fid in ids}
    for r in conn.execute(
        text(f"SELECT family_id, first_name, last_name FROM contact WHERE family_id IN ({marks}) "
             "ORDER BY is_primary DESC, last_name COLLATE NOCASE, first_name COLLATE NOCASE"), params,
    ):  # fmt: skip
        guardians[r.family_id].append(f"{r.first_name} {r.last_name}".strip())
    balances = dict(
        conn.execute(
            text(f"SELECT family_id, sum(amount_cents) FROM ledger_entry WHERE family_id IN ({marks}) GROUP BY family_id"),
            params,
        ).all()
    )
    return [
        FamilyHit(
            id=fid,
            name=name,
            students=", ".join(students[fid]),
            guardians=", ".join(guardians[fid]),
            balance_cents=int(balances.get(fid) or 0),
        )
        for fid, name in found
    ]
