"""Search-as-you-type over students, on the cache's FTS5 index (see sync.cache).

Every typed word must be the start of a word of the first, last or family name: "emm lee"
becomes the FTS5 query `"emm"* "lee"*`. Case and accents do not matter (unicode61 with
remove_diacritics 2 folds both sides). Best first: the first word is the whole first name, then
the start of the first name, then everything else; alphabetical within each group.

Tiers are FTS expressions on the first-name column, so accents fold there too, and no Python
runs per matched row: a one-letter query over 100k students stays within a few milliseconds.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from sqlalchemy import Connection, text

from sync.core.schema import ALERT_SEVERITY
from sync.views import AlertView, StudentHit

MAX_WORDS = 8  # more words than any name has; keeps a pasted paragraph from becoming a huge query
_WORD = re.compile(r"[^\W_]+")  # what unicode61 keeps as token characters: letters and digits

# Ranking runs tier by tier, each tier one FTS expression (disjoint by construction). A tier with
# few matches is sorted directly; a big one (a single typed letter matches thousands) is read by
# walking the name index in order and stopping at `limit`, which costs about the same at any size.
SORT_AT_MOST = 2000
_COUNT_SQL = text("SELECT count(*) FROM student_fts WHERE student_fts MATCH :q")
_SORTED_SQL = text(
    """
    SELECT s.rowid FROM student_fts AS m JOIN student AS s ON s.rowid = m.rowid
    WHERE student_fts MATCH :q AND s.active
    ORDER BY s.first_name COLLATE NOCASE, s.last_name COLLATE NOCASE, s.id
    LIMIT :limit
    """
)
_WALKED_SQL = text(
    """
    SELECT s.rowid FROM student AS s INDEXED BY student_name_order
    WHERE s.first_name >= :bound COLLATE NOCASE AND s.active
      AND s.rowid IN (SELECT rowid FROM student_fts WHERE student_fts MATCH :q)
    ORDER BY s.first_name COLLATE NOCASE, s.last_name COLLATE NOCASE, s.id
    LIMIT :limit
    """
)
_DETAILS_SQL = """
    SELECT s.rowid AS rid, s.id, s.first_name, s.last_name, s.family_id, coalesce(f.name, '') AS family_name, s.birth_date
    FROM student AS s LEFT JOIN family AS f ON f.id = s.family_id
    WHERE s.rowid IN ({})
"""


def words_of(typed: str) -> list[str]:
    """The words of what was typed, as FTS5 will see them (punctuation separates words)."""
    return _WORD.findall(unicodedata.normalize("NFC", typed).lower())[:MAX_WORDS]


def _phrase(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'  # a quoted FTS5 string: no operator can sneak in


def tiers(words: list[str]) -> list[tuple[str, str]]:
    """(FTS5 expression, lowest first name) of each tier, best first.

    The lowest first name lets the index walk start where a first-name tier begins; it is only
    used for plain ASCII words, since an accented word sorts after "z" but matches "e" names.
    """
    every = " ".join(f"{_phrase(w)}*" for w in words)
    first = _phrase(words[0])
    bound = words[0] if words[0].isascii() else ""
    return [
        (f"({every}) AND ({{first_name}}: ^{first})", bound),  # the first name is the first word
        (f"({every}) AND ({{first_name}}: ^{first}*) NOT ({{first_name}}: ^{first})", bound),  # ... starts with it
        (f"({every}) NOT ({{first_name}}: ^{first}*)", ""),  # every word is some name's start
    ]


def search_students(conn: Connection, typed: str, limit: int = 20, today: dt.date | None = None) -> list[StudentHit]:
    words = words_of(typed)
    if not words or limit <= 0:
        return []
    ranked: list[int] = []
    for expression, bound in tiers(words):
        want = limit - len(ranked)
        if want <= 0:
            break
        found = conn.execute(_COUNT_SQL, {"q": expression}).scalar_one()
        if not found:
            continue
        if found <= SORT_AT_MOST:
            rows = conn.execute(_SORTED_SQL, {"q": expression, "limit": want})
        else:
            rows = conn.execute(_WALKED_SQL, {"q": expression, "bound": bound, "limit": want})
        ranked += [r[0] for r in rows]
    if not ranked:
        return []
    params = {f"r{i}": rid for i, rid in enumerate(ranked)}
    sql = text(_DETAILS_SQL.format(",".join(f":{k}" for k in params)))
    details = {r.rid: r for r in conn.execute(sql, params)}
    rows = [details[rid] for rid in ranked]
    alerts = alerts_for(conn, [(r.id, r.family_id) for r in rows])
    today = today or dt.datetime.now().date()  # only callers without a clock (benchmarks) get here
    return [
        StudentHit(
            id=r.id,
            first_name=r.first_name,
            last_name=r.last_name,
            family_id=r.family_id,
            family_name=r.family_name,
            age=age_on(_date(r.birth_date), today),
            alerts=alerts.get(r.id, ()),
        )
        for r in rows
    ]


def alerts_for(conn: Connection, students: list[tuple[str, str]]) -> dict[str, tuple[AlertView, ...]]:
    """Active alerts of each student (their own and their family's), red first."""
    if not students:
        return {}
    student_ids = [s for s, _ in students]
    family_ids = sorted({f for _, f in students})
    sp = ",".join(f":s{i}" for i in range(len(student_ids)))
    fp = ",".join(f":f{i}" for i in range(len(family_ids)))
    params = {f"s{i}": v for i, v in enumerate(student_ids)} | {f"f{i}": v for i, v in enumerate(family_ids)}
    rows = conn.execute(
        text(
            f"SELECT student_id, family_id, kind, text FROM alert WHERE active "
            f"AND (student_id IN ({sp}) OR (student_id IS NULL AND family_id IN ({fp}))) ORDER BY id"
        ),
        params,
    ).all()
    by_student: dict[str, list[AlertView]] = {s: [] for s in student_ids}
    for student_id, family_id in students:
        for r in rows:
            if r.student_id == student_id or (r.student_id is None and r.family_id == family_id):
                by_student[student_id].append(AlertView(r.kind, ALERT_SEVERITY.get(r.kind, "blue"), r.text))
    return {s: tuple(sort_alerts(v)) for s, v in by_student.items()}


_SEVERITY_ORDER = {"red": 0, "amber": 1, "blue": 2}


def sort_alerts(alerts: list[AlertView]) -> list[AlertView]:
    return sorted(alerts, key=lambda a: _SEVERITY_ORDER.get(a.severity, 3))  # stable: keeps record order


def age_on(birth_date: dt.date | None, day: dt.date) -> int | None:
    if birth_date is None:
        return None
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def _date(value: object) -> dt.date | None:
    """A date column read through text(): SQLite hands back the stored ISO string."""
    if value is None or isinstance(value, dt.date):
        return value  # type: ignore[return-value]
    return dt.date.fromisoformat(str(value))
