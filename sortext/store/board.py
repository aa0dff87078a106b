"""The dashboard answered by the index: each record's assessment kept as rows.

A record's assessment (its next action, findings and goals) is stored as rows
with their sort keys when it is computed, so a build after one edit
re-assesses one record, and the pages ask SQLite for the rows they show (the
first ``limit`` of each list) and for the counts, instead of turning 10,000
assessments into objects and sorting them on every build.

The order of every list is the one :func:`sortext.views.dashboard.assemble` gives
from the same assessments (a test holds the two to it); ties fall back to
the path and the order within the record, as a stable sort would.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar, overload

SCHEMA = """
CREATE TABLE IF NOT EXISTS assessed (
    path TEXT PRIMARY KEY, key TEXT NOT NULL, record_id TEXT NOT NULL, name TEXT NOT NULL,
    name_cf TEXT NOT NULL, owner TEXT, open INTEGER NOT NULL,
    risk_errors INTEGER NOT NULL, risk_count INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS assessed_risk
    ON assessed (risk_errors DESC, risk_count DESC, name_cf, record_id) WHERE risk_count > 0;
-- An owner's clients at risk in the order the pages list them (the first 50 read, not
-- all of them sorted); it replaced assessed_owner_risk (owner only), dropped here.
DROP INDEX IF EXISTS assessed_owner_risk;
CREATE INDEX IF NOT EXISTS assessed_owner_rank ON assessed
    (owner, risk_errors DESC, risk_count DESC, name_cf, record_id) WHERE risk_count > 0;
CREATE TABLE IF NOT EXISTS next_items (
    path TEXT PRIMARY KEY, status TEXT NOT NULL, s0 INTEGER NOT NULL, s1 TEXT NOT NULL,
    s2 TEXT NOT NULL, value TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS next_items_order ON next_items (s0, s1, s2, path);
CREATE INDEX IF NOT EXISTS next_items_owner
    ON next_items (json_extract(value, '$[3]'), s0, s1, s2, path);
CREATE TABLE IF NOT EXISTS findings (
    path TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, s0 INTEGER NOT NULL,
    s1 TEXT NOT NULL, s2 TEXT NOT NULL, amount REAL, currency TEXT, value TEXT NOT NULL,
    section TEXT, o TEXT NOT NULL,
    PRIMARY KEY (path, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS findings_section ON findings (section, o, path, seq)
    WHERE section IS NOT NULL;
CREATE INDEX IF NOT EXISTS findings_money ON findings (currency, amount)
    WHERE kind = 'invoice_overdue';
CREATE TABLE IF NOT EXISTS goals (
    path TEXT NOT NULL, seq INTEGER NOT NULL, name_cf TEXT NOT NULL, value TEXT NOT NULL,
    grp TEXT NOT NULL, o REAL NOT NULL,
    PRIMARY KEY (path, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS goals_list ON goals (grp, o, name_cf, path, seq);
CREATE TABLE IF NOT EXISTS board_counts (key TEXT PRIMARY KEY, value NOT NULL) WITHOUT ROWID;
"""
#: The dashboard's lists of findings: section -> the finding kinds it holds.
SECTIONS: dict[str, tuple[str, ...]] = {
    "invoice_overdue": ("invoice_overdue",),
    "invoice_due": ("invoice_due",),
    "dates": ("review_due", "renewal_due", "checkin_due"),
    "blocked": ("blocked",),
    "retention": ("retention_expired",),
}
_SECTION_OF = {kind: section for section, kinds in SECTIONS.items() for kind in kinds}
#: The goal lists: state -> list.
_GOAL_GROUP = {"stuck": "stuck", "progressing": "progressing", "achieved": "progressing"}
_ROW_TABLES = ("assessed", "next_items", "findings", "goals")  # rows kept per record (path)
TABLES = (*_ROW_TABLES, "board_counts")
# What is stored is what the queries read, no more (the index is to stay smaller than
# the records, issue 15): a finding only when a dashboard list shows it (``section``)
# or it makes an open client at risk (:func:`at_risk_top`, :func:`open_risks`); a goal
# only when a goal list shows it (stuck, progressing, achieved).  ``o`` (a list's order)
# is empty for a finding of no list.  A column holds only what a query selects, filters
# or orders by; the rest is in ``value`` (the object as JSON, without the record's id
# and name: see _dumps).  ``seq`` stays the finding's or goal's place in the whole
# assessment, so ties order as before.
_FOUND_ORDER = "s0, s1, s2, kind, path, seq"  # a finding's sort_key, then its place
_SEP = "\x00"  # joins sort-key parts into one text that sorts as the tuple does

T = TypeVar("T")

# ``json.dumps(value, separators=(",", ":"))`` builds an encoder at each call (only the
# default arguments reuse one); the rows of a cold build call it ~6 times a record.
_COMPACT = json.JSONEncoder(separators=(",", ":"))


def compact_json(value: Any) -> str:
    """``json.dumps(value, separators=(",", ":"))``, with one encoder kept."""
    return _COMPACT.encode(value)


class Top(Sequence[T]):
    """The first rows of a longer list, and its full length.

    ``len()`` is the length of the whole list (the counts on a page), while
    indexing and iteration see only the rows fetched: a page shows
    ``items[:limit]`` and "N more", so it never needs the rest.
    """

    def __init__(self, rows: list[T], total: int) -> None:
        self.rows = rows
        self.total = total

    def __len__(self) -> int:
        return self.total

    def __bool__(self) -> bool:
        return self.total > 0

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        return self.rows[index]

    def __iter__(self) -> Iterator[T]:
        return iter(self.rows)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Top):
            return (self.rows, self.total) == (other.rows, other.total)
        return NotImplemented

    def __repr__(self) -> str:
        return f"Top({self.rows!r}, total={self.total})"


@dataclass(slots=True)
class Rows:
    """One record's assessment as table rows (built in a worker, stored by the parent)."""

    path: str
    assessed: tuple[Any, ...]
    next_item: tuple[Any, ...] | None
    findings: list[tuple[Any, ...]]
    goals: list[tuple[Any, ...]]
    day: Any = None  # the record's day-book rows (sortext.store.daybook.DayRows): see store_day


def _dumps(obj: Any, record: Any = None) -> str:
    """A slotted dataclass's field values as a JSON list (``astuple`` deep-copies: slow),
    without the spaces after separators (read back by ``json.loads`` alike).  Given the
    ``record``, a finding's or goal's first two fields (record id and name) are left out
    when they are the record's: the reader takes them from ``assessed`` (see
    :func:`_whole`)."""
    values = [getattr(obj, name) for name in obj.__slots__]
    if record is not None and values[0] == record.id and values[1] == record.name:
        del values[:2]
    return compact_json(values)


def _whole(fields: list[Any], width: int, record_id: str, name: str) -> list[Any]:
    """A stored finding's or goal's fields (``width`` of them) with the record id and
    name put back when :func:`_dumps` left them out."""
    return fields if len(fields) == width else [record_id, name, *fields]


def to_rows(path: str, key: str, assessment: Any, is_open: bool) -> Rows:
    """The rows that store ``assessment`` (a :class:`sortext.rules.findings.Assessment`)."""
    from sortext.rules.findings import AT_RISK_KINDS, next_sort_key, record_owner

    record = assessment.record
    name_cf = record.name.casefold()
    item = assessment.next
    next_row = None
    if item is not None:
        next_row = (path, item.status, *next_sort_key(item), _dumps(item))
    found = []
    for seq, f in enumerate(assessment.findings):
        section = _SECTION_OF.get(f.kind)
        if section is None and not (is_open and f.kind in AT_RISK_KINDS):
            continue  # no query reads it (see TABLES): not stored; seq keeps the order
        found.append(
            (
                path,
                seq,
                f.kind,
                *f.sort_key[:3],  # the fourth part is the kind
                f.amount,
                f.currency,
                _dumps(f, record),
                section,
                _finding_order(section, f) if section is not None else "",
            )
        )
    goals = [
        (
            path,
            seq,
            g.name.casefold(),
            _dumps(g, record),
            _GOAL_GROUP[g.state],
            -(g.percent or 0.0) if g.state != "stuck" else 0.0,
        )
        for seq, g in enumerate(assessment.goals)
        if g.state in _GOAL_GROUP  # the goals of no list (paused, closed...) are not read
    ]
    risks = [f for f in assessment.findings if f.kind in AT_RISK_KINDS] if is_open else []
    assessed = (
        path,
        key,
        record.id,
        record.name,
        name_cf,
        record_owner(record),
        int(is_open),
        sum(1 for f in risks if f.level == "error"),
        len(risks),
    )
    return Rows(path, assessed, next_row, found, goals)


def _finding_order(section: str | None, finding: Any) -> str:
    """The order of a finding within its dashboard list, as one sortable text: money by
    due date then client, dates by date (undated last) then client; then, as for every
    list, severity, due date, client and kind.

    A part that repeats an earlier one is left out (the text is compared only within
    one section, where it is left out of every row alike, so the order is the same):
    the client (``s2``) after a first part that holds it, the due date (``s1``)
    after the money lists' first part, from which it follows, and the kind (``s3``)
    in a list of one kind (SECTIONS)."""
    s0, s1, s2, s3 = finding.sort_key
    kind = (s3,) if len(SECTIONS.get(section or "", ())) > 1 else ()
    if section in ("invoice_overdue", "invoice_due"):
        return _SEP.join((finding.due or "", s2, str(s0), *kind))
    if section == "dates":
        return _SEP.join((finding.due or "9999", s2, str(s0), s1, *kind))
    return _SEP.join((str(s0), s1, s2, *kind))


def keys(conn: sqlite3.Connection, paths: Iterable[str] | None = None) -> dict[str, str]:
    """The assessment key each stored record (of ``paths``, if given) was assessed under."""
    if paths is None:
        return dict(conn.execute("SELECT path, key FROM assessed").fetchall())
    from sortext.store.sqlbatch import select_in

    return dict(
        select_in(conn, "SELECT path, key FROM assessed WHERE path IN ({})", sorted(set(paths)))
    )


def forget(conn: sqlite3.Connection, paths: Iterable[str]) -> None:
    """Drop the stored assessments of ``paths`` (deleted, or no longer usable)."""
    gone = sorted(set(paths))
    with _counts_kept(conn, gone):
        _delete(conn, gone)


def _delete(conn: sqlite3.Connection, paths: Sequence[str]) -> None:
    gone = [(p,) for p in paths]
    for table in _ROW_TABLES:
        conn.executemany(f"DELETE FROM {table} WHERE path = ?", gone)


def store(conn: sqlite3.Connection, batch: Sequence[Rows]) -> None:
    """Replace the stored assessments of the records in ``batch``."""
    paths = sorted({r.path for r in batch})
    with _counts_kept(conn, paths):
        _delete(conn, paths)
        _insert(conn, batch)


def _insert(conn: sqlite3.Connection, batch: Sequence[Rows]) -> None:
    conn.executemany(
        "INSERT INTO assessed VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", [r.assessed for r in batch]
    )
    conn.executemany(
        "INSERT INTO next_items VALUES (?, ?, ?, ?, ?, ?)",
        [r.next_item for r in batch if r.next_item is not None],
    )
    conn.executemany(
        "INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [f for r in batch for f in r.findings],
    )
    conn.executemany(
        "INSERT INTO goals VALUES (?, ?, ?, ?, ?, ?)", [g for r in batch for g in r.goals]
    )


#: meta: raised by every store of assessments outside a build (a query's, for its
#: day: :func:`note_query_store`); a build plans every record when it moved since the
#: last finished build read it (the stat pass sees no file changed, while the stored
#: assessments are another day's).
QUERY_STORES = "board_query_stores"


def note_query_store(conn: sqlite3.Connection) -> None:
    """Raise :data:`QUERY_STORES` (in the caller's write transaction, after a query
    stored assessments)."""
    conn.execute(
        "INSERT OR REPLACE INTO meta VALUES (?, COALESCE((SELECT CAST(value AS INTEGER) + 1 "
        "FROM meta WHERE key = ? AND typeof(value) = 'text' AND length(value) < 16 "
        "AND value GLOB '[0-9]*' AND value NOT GLOB '*[^0-9]*'), 1))",
        (QUERY_STORES, QUERY_STORES),
    )


def query_stores(conn: sqlite3.Connection) -> str:
    """:data:`QUERY_STORES` as stored ("" when none)."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (QUERY_STORES,)).fetchone()
    return str(row[0]) if row is not None else ""


def store_day(conn: sqlite3.Connection, batch: Sequence[Rows]) -> None:
    """Store the day-book rows carried by ``batch`` (:mod:`sortext.store.daybook`),
    keeping the agenda's day counts (:func:`day_count`)."""
    from sortext.store import daybook

    day = [(r.path, r.day) for r in batch if r.day is not None]
    with _counts_kept(conn, sorted({path for path, _ in day}), _DAY_COUNTS):
        daybook.store(conn, day)


def forget_day(conn: sqlite3.Connection, paths: Iterable[str]) -> None:
    """Drop the day-book rows of ``paths``, keeping the agenda's day counts."""
    from sortext.store import daybook

    gone = sorted(set(paths))
    with _counts_kept(conn, gone, _DAY_COUNTS):
        daybook.forget(conn, gone)


def day_count(conn: sqlite3.Connection, day: str, owner: str | None, overdue: bool) -> int | None:
    """How many agenda items the day book holds for ``day`` (of ``owner``; only the
    overdue actions), kept as a value; None when the counts are not kept (count the
    rows: :func:`sortext.store.daybook.week_top` does)."""
    kind = "dayod" if overdue else "day"
    if owner is None:
        return _kept_count(conn, f"{kind}:{day}")
    return _kept_count(conn, f"{kind}o:{day}:{owner}")


# -- counts kept as values ------------------------------------------------------
#
# The summary pages show how many rows each list has (and the overdue totals); counted
# over the tables, that grew with the practice (~60 ms at 30,000 records, issue 15).
# ``board_counts`` keeps them: every write of the row tables goes through store/forget,
# which add what the rows of the paths they replace counted after minus before (exact
# integers: the same as a recount); the overdue totals (a float SUM, whose rounding
# depends on the amounts summed) are kept while the overdue amounts stay the same
# multiset, and summed again when one changes.  The marker row (key "") says the
# counts are kept; without it (never counted, dropped after a batch too big to count
# apart, a damaged row) every reader counts over the tables as before.

#: The marker row's value: the counts are kept, in this form (2: the day book's agenda
#: counts too; an index whose counts an older form kept is counted again).
_KEPT = "counts-2"
#: A store or forget of more paths than this drops the counts (a cold build, a new day):
#: counting their rows before and after costs more than one recount at the next build.
COUNT_DELTA_LIMIT = 200
_OWNER = "json_extract(value, '$[3]')"  # a next action's owner (see next_top_of)
# key -> count, over the rows of some paths ({where} / {and_}: the path condition)
_COUNTS = (
    "SELECT 'clients', count(*) FROM assessed {where}",
    "SELECT 'open', COALESCE(sum(open), 0) FROM assessed {where}",
    "SELECT 'risk', count(*) FROM assessed WHERE risk_count > 0 {and_}",
    "SELECT 'risk=' || owner, count(*) FROM assessed "
    "WHERE risk_count > 0 AND typeof(owner) = 'text' {and_} GROUP BY owner",
    "SELECT 'next:' || s0, count(*) FROM next_items {where} GROUP BY s0",
    f"SELECT 'next=' || {_OWNER}, count(*) FROM next_items "
    f"WHERE typeof({_OWNER}) = 'text' {{and_}} GROUP BY {_OWNER}",
    "SELECT 'section:' || section, count(*) FROM findings "
    "WHERE section IS NOT NULL {and_} GROUP BY section",
    "SELECT 'goal:' || grp, count(*) FROM goals {where} GROUP BY grp",
)
# The agenda's items a day (all, overdue actions; of each owner): the week's strip shows
# the first 50 a day and "N more" (a day's date holds no ':'; an owner is the key's rest).
_DAY_COUNTS = (
    "SELECT 'day:' || day, count(*) FROM day_items {where} GROUP BY day",
    "SELECT 'dayod:' || day, count(*) FROM day_items WHERE kind = 'overdue' {and_} GROUP BY day",
    "SELECT 'dayo:' || day || ':' || owner, count(*) FROM day_items "
    "WHERE typeof(owner) = 'text' {and_} GROUP BY day, owner",
    "SELECT 'dayodo:' || day || ':' || owner, count(*) FROM day_items "
    "WHERE kind = 'overdue' AND typeof(owner) = 'text' {and_} GROUP BY day, owner",
)
_OVERDUE_AMOUNTS = (
    "SELECT currency, amount FROM findings WHERE kind = 'invoice_overdue' "
    "AND amount IS NOT NULL {and_} ORDER BY currency, amount"
)


def _path_filter(paths: Sequence[str] | None) -> tuple[str, str, tuple[str, ...]]:
    if paths is None:
        return "", "", ()
    marks = ", ".join("?" * len(paths))
    return f"WHERE path IN ({marks})", f"AND path IN ({marks})", tuple(paths)


def _contributions(
    conn: sqlite3.Connection,
    paths: Sequence[str] | None,
    queries: Sequence[str] = (*_COUNTS, *_DAY_COUNTS),
) -> dict[str, int]:
    """key -> what the stored rows of ``paths`` (None: every row) count (no zero)."""
    out: dict[str, int] = {}
    chunks: list[Sequence[str] | None] = [None]
    if paths is not None:
        chunks = [paths[i : i + 400] for i in range(0, len(paths), 400)]
    for chunk in chunks:
        where, and_, args = _path_filter(chunk)
        for query in queries:
            for key, n in conn.execute(query.format(where=where, and_=and_), args):
                if n:
                    out[key] = out.get(key, 0) + int(n)
    return out


def _overdue_amounts(conn: sqlite3.Connection, paths: Sequence[str]) -> list[tuple[Any, Any]]:
    _, and_, args = _path_filter(paths)
    return conn.execute(_OVERDUE_AMOUNTS.format(and_=and_), args).fetchall()


def _is_kept(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT value FROM board_counts WHERE key = ''").fetchone()
    return row is not None and row[0] == _KEPT


def drop_counts(conn: sqlite3.Connection) -> None:
    """Stop keeping the counts (the next :func:`keep_counts` counts them again)."""
    conn.execute("DELETE FROM board_counts")


@contextmanager
def _counts_kept(
    conn: sqlite3.Connection, paths: Sequence[str], queries: Sequence[str] = _COUNTS
) -> Iterator[None]:
    """Keep the counts current while the rows of ``paths`` are replaced in the block
    (the counts of ``queries``: the board's, or the day book's)."""
    if not paths or not _is_kept(conn):
        yield
        return
    if len(paths) > COUNT_DELTA_LIMIT:
        drop_counts(conn)
        yield
        return
    board = queries is _COUNTS
    before = _contributions(conn, paths, queries)
    money_before = _overdue_amounts(conn, paths) if board else None
    yield
    after = _contributions(conn, paths, queries)
    if board and _overdue_amounts(conn, paths) != money_before:
        conn.execute("DELETE FROM board_counts WHERE key = 'overdue'")
    for key in sorted(before.keys() | after.keys()):
        delta = after.get(key, 0) - before.get(key, 0)
        if not delta:
            continue
        row = conn.execute("SELECT value FROM board_counts WHERE key = ?", (key,)).fetchone()
        had = row[0] if row is not None else 0
        if type(had) is not int or had + delta < 0:  # damaged, or out of step: recount
            drop_counts(conn)
            return
        if had + delta == 0:
            conn.execute("DELETE FROM board_counts WHERE key = ?", (key,))
        else:
            conn.execute("INSERT OR REPLACE INTO board_counts VALUES (?, ?)", (key, had + delta))


def keep_counts(conn: sqlite3.Connection) -> None:
    """Count every list and sum the overdue totals once, if they are not kept yet (call
    it in a write transaction: a build does, before its summary pages)."""
    if not _is_kept(conn):
        drop_counts(conn)
        conn.executemany(
            "INSERT INTO board_counts VALUES (?, ?)", sorted(_contributions(conn, None).items())
        )
        conn.execute("INSERT INTO board_counts VALUES ('', ?)", (_KEPT,))
    if _kept_overdue(conn) is None:
        text = json.dumps(_sum_overdue(conn))
        conn.execute("INSERT OR REPLACE INTO board_counts VALUES ('overdue', ?)", (text,))


def _kept_count(conn: sqlite3.Connection, key: str) -> int | None:
    """The kept count under ``key`` (0 when none is stored), None when not kept."""
    marker, value = conn.execute(
        "SELECT (SELECT value FROM board_counts WHERE key = ''), "
        "(SELECT value FROM board_counts WHERE key = ?)",
        (key,),
    ).fetchone()
    if marker != _KEPT:
        return None
    if value is None:
        return 0
    return value if type(value) is int and value >= 0 else None


def _kept_counts(conn: sqlite3.Connection, prefix: str) -> dict[str, int] | None:
    """Every kept count whose key starts with ``prefix`` (the rest of the key -> count)."""
    if not _is_kept(conn):
        return None
    rows = conn.execute(
        "SELECT key, value FROM board_counts WHERE substr(key, 1, ?) = ?", (len(prefix), prefix)
    ).fetchall()
    if any(type(v) is not int or v < 0 for _, v in rows):
        return None
    return {key[len(prefix) :]: v for key, v in rows}


def _kept_next(conn: sqlite3.Connection) -> dict[str, int] | None:
    """The kept next-action counts by rank (s0, as text), None when not kept or when a
    key names no rank (a damaged row: ``next:9`` stopped the pages with an IndexError,
    ``next:\u0663`` passed ``isdigit``)."""
    from sortext.rules.findings import NEXT_ORDER

    kept = _kept_counts(conn, "next:")
    ranks = {str(rank) for rank in range(len(NEXT_ORDER))}
    if kept is None or not ranks.issuperset(kept):
        return None
    return kept


def _kept_overdue(conn: sqlite3.Connection) -> list[tuple[str, float]] | None:
    row = conn.execute(
        "SELECT value FROM board_counts WHERE key = 'overdue' "
        "AND EXISTS (SELECT 1 FROM board_counts WHERE key = '' AND value = ?)",
        (_KEPT,),
    ).fetchone()
    if row is None or not isinstance(row[0], str):
        return None
    try:
        pairs = json.loads(row[0])
    except (ValueError, RecursionError):
        return None
    if not isinstance(pairs, list) or not all(
        isinstance(p, list) and len(p) == 2 and isinstance(p[0], str) and type(p[1]) in (float, int)
        for p in pairs
    ):
        return None
    return [(c, float(t)) for c, t in pairs]


# -- reading --------------------------------------------------------------------


def _finding(value: str, record_id: str, name: str) -> Any:
    from sortext.rules.findings import Finding

    return Finding(*_whole(json.loads(value), len(Finding.__slots__), record_id, name))


def _goal(value: str, record_id: str, name: str) -> Any:
    from sortext.rules.findings import GoalStatus

    fields = _whole(json.loads(value), len(GoalStatus.__slots__), record_id, name)
    fields[8] = tuple((str(d), float(v)) for d, v in fields[8])
    return GoalStatus(*fields)


def _next(value: str) -> Any:
    from sortext.rules.findings import NextAction

    return NextAction(*json.loads(value))


def _owners(conn: sqlite3.Connection, paths: Iterable[str]) -> dict[str, tuple[str, str]]:
    """path -> (record id, name) of the stored assessments of ``paths``."""
    from sortext.store.sqlbatch import select_in

    query = "SELECT path, record_id, name FROM assessed WHERE path IN ({})"
    return {path: (rid, name) for path, rid, name in select_in(conn, query, sorted(set(paths)))}


def _count(
    conn: sqlite3.Connection, table: str, where: str, args: Sequence[Any], kept: str | None
) -> int:
    """How many rows of ``table`` match ``where``: the count kept under ``kept`` (see
    :func:`keep_counts`), or counted over the table."""
    if kept is not None:
        n = _kept_count(conn, kept)
        if n is not None:
            return n
    return int(conn.execute(f"SELECT count(*) FROM {table} WHERE {where}", args).fetchone()[0])


def _top(
    conn: sqlite3.Connection,
    table: str,
    where: str,
    order: str,
    limit: int,
    make: Any,
    args: Sequence[Any] = (),
    kept: str | None = None,
    total: int | None = None,
    owners: bool = False,
) -> Top[Any]:
    """The first ``limit`` rows of ``table`` matching ``where`` in ``order``, each made
    by ``make(value)`` (``owners``: ``make(value, id, name)``, for findings and goals,
    whose values need their record's id and name), and the count of all matching
    (``total`` when the caller knows it, else the count kept under ``kept``, see
    :func:`keep_counts`, else counted)."""
    if total is None:
        total = _count(conn, table, where, args, kept)
    rows = conn.execute(
        f"SELECT path, value FROM {table} WHERE {where} ORDER BY {order} LIMIT ?", (*args, limit)
    ).fetchall()
    if not owners:
        return Top([make(v) for _, v in rows], int(total))
    known = _owners(conn, (path for path, _ in rows))
    return Top([make(v, *known.get(path, ("", ""))) for path, v in rows], int(total))


def next_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """How many next actions have each status (by status, as SQLite grouped them)."""
    from sortext.rules.findings import NEXT_ORDER

    # s0 is the status's place in NEXT_ORDER (next_sort_key): counted on the order index
    kept = _kept_next(conn)
    if kept is not None:
        return dict(sorted((NEXT_ORDER[int(rank)], n) for rank, n in kept.items()))
    rows = conn.execute("SELECT s0, count(*) FROM next_items GROUP BY s0")
    return dict(sorted((NEXT_ORDER[rank], int(n)) for rank, n in rows))


def next_top(conn: sqlite3.Connection, limit: int, status: str | None = None) -> Top[Any]:
    """The first ``limit`` next actions in page order (of one status, if given)."""
    from sortext.rules.findings import NEXT_ORDER

    if not status:
        kept = _kept_next(conn)
        total = sum(kept.values()) if kept is not None else None
        return _top(conn, "next_items", "1", "s0, s1, s2, path", limit, _next, total=total)
    if status not in NEXT_ORDER:
        return Top([], 0)
    # the status's rank (s0) rather than its name: one index serves every order
    rank = NEXT_ORDER.index(status)
    return _top(
        conn, "next_items", "s0 = ?", "s0, s1, s2, path", limit, _next, (rank,), f"next:{rank}"
    )


def next_top_of(conn: sqlite3.Connection, owner: str, limit: int) -> Top[Any]:
    """The first ``limit`` next actions whose owner is ``owner``, in page order (a
    per-owner page); the length is the count of them all."""
    return _top(
        conn,
        "next_items",
        "json_extract(value, '$[3]') = ?",
        "s0, s1, s2, path",
        limit,
        _next,
        (owner,),
        f"next={owner}",
    )


def all_next(conn: sqlite3.Connection) -> list[Any]:
    """Every next action, in page order (what ``sortext next`` lists)."""
    rows = conn.execute("SELECT value FROM next_items ORDER BY s0, s1, s2, path")
    return [_next(v) for (v,) in rows]


def findings_top(conn: sqlite3.Connection, section: str, limit: int) -> Top[Any]:
    """The first findings of one dashboard list (a key of SECTIONS), in page order."""
    return _top(
        conn,
        "findings",
        "section = ?",
        "o, path, seq",
        limit,
        _finding,
        (section,),
        f"section:{section}",
        owners=True,
    )


def goals_top(conn: sqlite3.Connection, group: str, limit: int) -> Top[Any]:
    """Stuck goals by client, or progressing (and achieved) goals furthest along first."""
    return _top(
        conn,
        "goals",
        "grp = ?",
        "o, name_cf, path, seq",
        limit,
        _goal,
        (group,),
        f"goal:{group}",
        owners=True,
    )


def overdue_totals(conn: sqlite3.Connection) -> list[tuple[str, float]]:
    """(currency, total) of the overdue invoices' amounts, by currency ("" for none)."""
    kept = _kept_overdue(conn)
    return kept if kept is not None else _sum_overdue(conn)


def _sum_overdue(conn: sqlite3.Connection) -> list[tuple[str, float]]:
    rows = conn.execute(
        "SELECT COALESCE(currency, ''), SUM(amount) FROM findings "
        "WHERE kind = 'invoice_overdue' AND amount IS NOT NULL GROUP BY currency ORDER BY 1"
    )
    return [(str(c), float(t)) for c, t in rows]


def at_risk_top(
    conn: sqlite3.Connection, kinds: Iterable[str], limit: int, owner: str | None = None
) -> Top[Any]:
    """Open clients (of ``owner``, if given) with an at-risk finding, most errors then
    most reasons first (the counts are stored with each assessment, so only the shown
    clients' reasons are read)."""
    from sortext.rules.findings import ClientRisk

    risk = sorted(kinds)
    marks = ", ".join("?" * len(risk))
    mine, args = (" AND owner = ?", (owner,)) if owner is not None else ("", ())
    kept = "risk" if owner is None else f"risk={owner}"
    total = _count(conn, "assessed", f"risk_count > 0{mine}", args, kept)
    clients = conn.execute(
        f"SELECT path, record_id, name, owner FROM assessed WHERE risk_count > 0{mine} "
        "ORDER BY risk_errors DESC, risk_count DESC, name_cf, record_id LIMIT ?",
        (*args, limit),
    ).fetchall()
    out = []
    for path, rid, name, owner in clients:
        reasons = conn.execute(
            f"SELECT value FROM findings WHERE path = ? AND kind IN ({marks}) "
            f"ORDER BY {_FOUND_ORDER}",
            (path, *risk),
        )
        found = [_finding(v, rid, name) for (v,) in reasons]
        out.append(ClientRisk(rid, name, owner, found))
    return Top(out, int(total))


def client_counts(conn: sqlite3.Connection) -> tuple[int, int]:
    """(usable clients, open clients)."""
    total, open_ = _kept_count(conn, "clients"), _kept_count(conn, "open")
    if total is not None and open_ is not None:
        return total, open_
    total, open_ = conn.execute("SELECT count(*), COALESCE(sum(open), 0) FROM assessed").fetchone()
    return int(total), int(open_)


# -- keeping the board current for the queries ------------------------------------


def rules_key(today: Any, config: Any) -> str:
    """The part of an assessment key that does not depend on the record: the day
    (``datetime.date``), the configuration (its fingerprint) and the build of sortext
    (:func:`~sortext.files.codestamp.code_digest`: the version alone stays the same
    from one commit to the next, and kept assessments worded by older code).
    A record is assessed under ``f"{rules_key}|{file hash}|{stale}"``.  The fingerprint
    is cut to 16 hex digits (64 bits: enough to tell one practice's configurations
    apart, and 48 bytes less in every stored assessment)."""
    from sortext.files.codestamp import code_digest

    return "|".join([today.isoformat(), config.fingerprint[:16], code_digest()])


def record_rows(
    path: str, key: str, record: Any, config: Any, today: Any, stage_since: Any, hidden: bool
) -> Rows:
    """The rows of one record's assessment under ``key``, as a build stores them: its
    assessment and day book, or, for a record ``hidden`` from the pages by consent
    (``privacy: {pages: consented}``), a bare row that counts it."""
    from sortext.rules import findings as rules
    from sortext.store import daybook

    if hidden:
        assessed = (path, key, record.id, "", "", None, 0, 0, 0)
        return Rows(path, assessed, None, [], [], daybook.DayRows())
    assessment = rules.assess(record, config, today, stage_since)
    rows = to_rows(path, key, assessment, rules.is_open(record, config))
    rows.day = daybook.to_rows(record, config, today)
    return rows


def outdated(conn: sqlite3.Connection, rules_key: str) -> list[str]:
    """The usable records (valid, or stale with a last valid version) whose stored
    assessment is missing or not under ``f"{rules_key}|{hash}|{stale}|{clock}"``, the
    key a build gives it, ``clock`` being the record's part of the stored stage clock
    (:mod:`sortext.store.clock`; the caller has made it current)."""
    rows = conn.execute(
        "SELECT f.path FROM files f LEFT JOIN assessed a ON a.path = f.path "
        "LEFT JOIN clock c ON c.record_id = f.record_id "
        "WHERE f.summary IS NOT NULL AND (f.ok = 1 OR f.stale = 1) AND a.key IS NOT "
        "(? || '|' || f.hash || '|' || (CASE WHEN f.stale THEN 'True' ELSE 'False' END) "
        "|| '|' || COALESCE(c.stage || '@' || c.since, '-')) ORDER BY f.path",
        (rules_key,),
    )
    return [path for (path,) in rows]


def current_next(
    conn: sqlite3.Connection, rules_key: str
) -> tuple[list[tuple[tuple[int, str, str, str], str]], list[str]]:
    """What ``sortext next`` can read from the stored assessments without assessing:
    ([((s0, s1, s2, path), next action JSON)] of the usable records whose stored
    assessment is current for the next action, [paths of the usable records whose is
    not]).  Current: a full (not consent-bare) row under ``f"{rules_key}|{hash}|{stale}|"``
    (the stage clock, the key's last part, does not enter a next action).  A current
    record without a next-action row has none (a closed client without one)."""
    rows = conn.execute(
        "SELECT path, s0, s1, s2, value, (name != '' AND substr(key, 1, length(p)) = p) "
        "FROM (SELECT f.path, n.s0, n.s1, n.s2, n.value, a.name, a.key, ? || '|' || f.hash "
        "|| '|' || (CASE WHEN f.stale THEN 'True' ELSE 'False' END) || '|' AS p "
        "FROM files f LEFT JOIN assessed a ON a.path = f.path "
        "LEFT JOIN next_items n ON n.path = f.path "
        "WHERE f.summary IS NOT NULL AND (f.ok = 1 OR f.stale = 1))",
        (rules_key,),
    )
    stored: list[tuple[tuple[int, str, str, str], str]] = []
    redo: list[str] = []
    for path, s0, s1, s2, value, current in rows:
        if not current:
            redo.append(path)
        elif value is not None:
            stored.append(((s0, s1, s2, path), value))
    return stored, redo


def open_risks(conn: sqlite3.Connection, kinds: Iterable[str]) -> dict[str, list[Any]]:
    """Record id -> the at-risk findings (of ``kinds``) of every open client, each
    client's in the order :func:`sortext.rules.findings.findings` lists them."""
    risk = sorted(kinds)
    marks = ", ".join("?" * len(risk))
    rows = conn.execute(
        "SELECT a.record_id, a.name, f.value FROM assessed a JOIN findings f ON f.path = a.path "
        f"WHERE a.open = 1 AND f.kind IN ({marks}) "
        "ORDER BY a.path, f.s0, f.s1, f.s2, f.kind, f.seq",
        risk,
    )
    from sortext.rules.findings import Finding

    found = rows.fetchall()
    # one JSON document for all of them: decoding 20,000 small ones costs 3x more
    values = json.loads("[" + ",".join(value for _, _, value in found) + "]")
    out: dict[str, list[Any]] = {}
    width = len(Finding.__slots__)
    for (rid, name, _), value in zip(found, values, strict=True):
        out.setdefault(rid, []).append(Finding(*_whole(value, width, rid, name)))
    return out
