"""The questions the terminal commands ask, answered from the index.

Each function refreshes the index (stat only when nothing changed) and
returns values; the commands format them.  ``next_list`` and ``client_list``
read only the small per-record summaries, so they stay fast at 10,000
records and never import Jinja2 or GitPython.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sortext.check.load import Record
from sortext.errors import RecordNotFound, UnknownValue, hinted
from sortext.repo import Repository
from sortext.store import answers
from sortext.store.index import Index, SearchHit

if TYPE_CHECKING:  # the rules are imported by the functions that run them (not search)
    from sortext.rules.findings import Finding, NextAction
    from sortext.store.clock import Clock
    from sortext.views.dashboard import ClientView


@dataclass(slots=True)
class NextList:
    """The next actions ``sortext next`` lists, and how many record files have errors."""

    items: list[NextAction]
    error_files: int


@dataclass(slots=True)
class ClientRow:
    """One line of ``sortext list``: the record, its next action and its risks."""

    record: Record
    next: NextAction | None
    risks: list[Finding]
    stage_since: dt.date | None = None  # from git; None when unknown


_SHARED: contextvars.ContextVar[dict[Any, Any] | None] = contextvars.ContextVar(
    "sortext_shared_reads", default=None
)


def text_key(text: str) -> str:
    """``text`` as filters compare it: NFC (``café`` is one text however encoded)."""
    if text.isascii():
        return text
    import unicodedata

    return unicodedata.normalize("NFC", text)


def same_text(value: str, known: Sequence[str]) -> str:
    """The one of ``known`` that is ``value`` written another way in Unicode (NFC and
    NFD: ``café`` typed on one machine, stored from a file name on another), else
    ``value`` itself.  A filter compares text, not the bytes that encode it."""
    if value in known or value.isascii():
        return value
    wanted = text_key(value)
    for candidate in known:
        if text_key(candidate) == wanted:
            return candidate
    return value


@contextmanager
def shared_reads() -> Iterator[None]:
    """Within: the questions answered one after another (a running watcher working out
    the questions asked today after a save, ``sortext.commands.watch.refresh_replies``)
    read the records' summaries and stored next actions once, and the stage clock once
    per HEAD, instead of once each.  Only where nothing else writes the records between
    them: the watcher's page thread, which is the one writer of its index."""
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


def _shared(key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
    """``make()``, or within :func:`shared_reads` its first answer under ``key``."""
    memo = _SHARED.get()
    if memo is None:
        return make()
    if key not in memo:
        memo[key] = make()
    return memo[key]


def shared_memo() -> dict[Any, Any] | None:
    """Within :func:`shared_reads`, the memo the questions of the pass share (the
    commands keep formatted pieces there, keyed by what they are made of); else None."""
    return _SHARED.get()


def _derived(sources: tuple[object, ...], name: str, make: Callable[[], Any]) -> Any:
    """``make()``, or within :func:`shared_reads` its answer for these very ``sources``
    (the same objects, by identity: the shared summaries, the clock of one HEAD), so
    that the questions of one pass sort and look them up once."""
    memo = _SHARED.get()
    if memo is None:
        return make()
    key = (name, *map(id, sources))
    hit = memo.get(key)
    if hit is not None and all(a is b for a, b in zip(hit[0], sources, strict=True)):
        return hit[1]
    value = make()
    memo[key] = (sources, value)
    return value


def _clock(repo: Repository, conn: sqlite3.Connection) -> Clock:
    """:func:`sortext.views.stagetime.stage_clock`, once per HEAD within
    :func:`shared_reads`."""
    from sortext.views.stagetime import stage_clock

    if _SHARED.get() is None:
        return stage_clock(repo, conn)
    from sortext.vcs.historyid import history_id

    clock: Clock = _shared(("clock", history_id(repo.root)), lambda: stage_clock(repo, conn))
    return clock


def _next_keyed(
    index: Index, repo: Repository, today: dt.date
) -> tuple[list[tuple[tuple[int, str, str, str], NextAction]], int]:
    from sortext.store import board

    key = ("next", board.rules_key(today, repo.config))
    keyed: tuple[list[tuple[tuple[int, str, str, str], NextAction]], int]
    keyed = _shared(key, lambda: _next_items(index, repo, today))
    return keyed


def next_list(
    repo: Repository, today: dt.date, owner: str | None = None, within: int | None = None
) -> NextList:
    """Next actions in page order, optionally for one owner or due within N days."""
    from sortext.rules.findings import NextAction

    with Index.open(repo) as index:
        index.refresh_for_query()
        key = f"next:{today.isoformat()}"
        remembered = answers.recall(index.conn, key)
        if remembered is None or remembered.get("fields") != list(NextAction.__slots__):
            keyed, worked = _next_keyed(index, repo, today)
            items = [item for _, item in keyed]
            errors = index.error_files()
            # Remembered only when the stored assessments did not answer most of it (no
            # build yet, a new day): reading them again costs what reading this does.
            if worked >= _REMEMBER_NEXT:
                fields = NextAction.__slots__
                answers.remember(
                    index.conn,
                    key,
                    {
                        "errors": errors,
                        "fields": fields,
                        "items": [[getattr(n, f) for f in fields] for n in items],
                    },
                )
        else:
            items = [NextAction(*values) for values in remembered["items"]]
            errors = int(remembered["errors"])
    if owner is not None:
        known = sorted({*repo.config.people, *(n.owner for n in items if n.owner)})
        owner = same_text(owner, known)
        if owner not in known:
            raise UnknownValue("owner", "person", owner, known)
        items = [n for n in items if text_key(n.owner or "") == text_key(owner)]
    if within is not None:
        items = [
            n
            for n in items
            if (n.days is None and n.status == "missing")
            or (n.days is not None and n.days <= within)
        ]
    return NextList(items, errors)


def stored_next(index: Index, repo: Repository, today: dt.date) -> list[NextAction]:
    """Every client's next action in page order, as :func:`sortext.rules.findings.
    next_actions` gives it from the summaries, read from the assessments a build
    stores (:mod:`sortext.store.board`) where they are current: only the records
    whose stored assessment is not (a save the pages have not seen yet, another day
    or config, a record kept off the pages) are worked out from their summaries.  The
    order is the rules' (status, due, name), ties by path, as their stable sort over
    the summaries in path order gives."""
    return [item for _, item in _next_items(index, repo, today)[0]]


#: ``next`` remembers its answer (JSON, in the index) when it worked out at least this
#: many records' next actions itself.
_REMEMBER_NEXT = 500


def _next_items(
    index: Index, repo: Repository, today: dt.date
) -> tuple[list[tuple[tuple[int, str, str, str], NextAction]], int]:
    """([((status order, due, name casefolded, path), next action)] of every usable
    record that has one, sorted; how many of them were worked out rather than read):
    see :func:`stored_next`."""
    import json

    from sortext.rules import findings as rules
    from sortext.rules.findings import NextAction
    from sortext.store import board

    stored, redo = board.current_next(index.conn, board.rules_key(today, repo.config))
    values = json.loads("[" + ",".join(value for _, value in stored) + "]")
    keyed = [(key, NextAction(*v)) for (key, _), v in zip(stored, values, strict=True)]
    if redo:
        # another day or config: nearly every record (one pass reads them faster)
        some = len(redo) < 2000
        wanted = set(redo)
        found = index.summaries(redo) if some else index.summaries()
        for rec in found if some else (r for r in found if r.path in wanted):
            item = rules.next_action(rec, repo.config, today)
            if item is not None:
                keyed.append(((*rules.next_sort_key(item), rec.path), item))
    keyed.sort(key=lambda pair: pair[0])
    return keyed, len(redo)


def client_list(
    repo: Repository,
    today: dt.date,
    stage: str | None = None,
    tag: str | None = None,
    at_risk_only: bool = False,
    owner: str | None = None,
    where: Sequence[str] = (),
    sort: str | None = None,
    with_risks: bool = False,
) -> list[ClientRow]:
    """Clients filtered by stage, tag, owner, ``where`` conditions (see
    :mod:`sortext.views.filters`) or being at risk; sorted by name, or by
    ``sort``: ``due`` (next action), ``stage`` (stage order), ``in_stage``
    (longest first), ``name`` or any dotted field (``-`` in front: reversed).

    ``with_risks`` fills every row's risks (as ``at_risk_only`` does) without
    filtering, so a JSON list carries the same fields whatever the filter.
    Raises FilterError for a condition or sort it cannot read, UnknownValue for a
    stage not in sortext.yaml, a tag or owner no client has, or a sort key no record
    can hold (:func:`sortext.views.filters.check_sort`)."""
    from sortext.rules import findings as rules
    from sortext.views.filters import parse_condition, sort_key

    if stage is not None and stage not in repo.config.stage_names:
        raise UnknownValue("stage", "stage", stage, list(repo.config.stage_names))
    if sort is not None and sort.removeprefix("-") not in ("name", "due", "stage", "in_stage"):
        from sortext.schema.effective import effective_schema
        from sortext.views.filters import check_sort

        check_sort(sort, effective_schema(repo.config))
    conditions = [parse_condition(w) for w in where]
    full = bool(conditions) or sort not in (None, "name", "due", "stage", "in_stage")
    board_risks: dict[str, list[Finding]] | None = None
    with Index.open(repo) as index:
        index.refresh_for_query()
        clock = _clock(repo, index.conn)
        if at_risk_only or with_risks:
            from sortext.store import board

            # one read for the pass's questions that show reasons (with and without
            # colour, --json): under the same rules key (day, config) and clock
            board_risks = _derived(
                (clock,),
                "risks " + board.rules_key(today, repo.config),
                lambda: stored_risks(index, repo, today, clock),
            )
        if board_risks is None and (at_risk_only or with_risks):
            full = True  # the rules run on every record (see stored_risks)
        records = index.records() if full else _shared(("summaries",), index.summaries)
        # each record's next action as stored with its assessment (worked out for the
        # records whose stored one is not current); a record not here has none
        nexts = {key[3]: item for key, item in _next_keyed(index, repo, today)[0]}
    if tag is not None:
        tags = _derived(
            (records,), "tags", lambda: sorted({t for rec in records for t in rec.view.tags})
        )
        tag = same_text(tag, tags)
        if tag not in tags:
            raise UnknownValue("tag", "tag", tag, tags)
    if owner is not None:
        people = sorted(
            {*repo.config.people, *(str(r.view.owner) for r in records if r.view.owner)}
        )
        owner = same_text(owner, people)
        if owner not in people:
            raise UnknownValue("owner", "person", owner, people)
    since: dict[str, dt.date] = _derived(
        (records, clock),
        "since",
        lambda: {
            rec.id: clock[rec.id][1]
            for rec in records
            if rec.id in clock and clock[rec.id][0] == rec.stage
        },
    )
    risks: dict[str, list[Finding]] = {}
    if board_risks is not None:
        risks = board_risks
    elif at_risk_only or with_risks:
        found = rules.findings(records, repo.config, today, since)
        risks = {c.record_id: c.reasons for c in rules.at_risk(records, found, repo.config)}
    rows = []
    by_name: list[Record] = _derived(
        (records,), "by name", lambda: sorted(records, key=lambda r: (r.name.casefold(), r.id))
    )
    for rec in by_name:
        if stage is not None and rec.stage != stage:
            continue
        if tag is not None and text_key(tag) not in {text_key(t) for t in rec.view.tags}:
            continue
        if owner is not None and text_key(str(rec.view.owner or "")) != text_key(owner):
            continue
        if at_risk_only and rec.id not in risks:
            continue
        if not all(c.matches(rec.data) for c in conditions):
            continue
        rows.append(
            ClientRow(
                rec,
                nexts.get(rec.path),
                risks.get(rec.id, []),
                since.get(rec.id),
            )
        )
    if sort is not None:
        rows = _sorted_rows(rows, sort, repo.config.stage_names, today, sort_key)
    return rows


def stored_risks(
    index: Index, repo: Repository, today: dt.date, clock: Clock
) -> dict[str, list[Finding]] | None:
    """Record id -> the reasons each open client is at risk, read from the assessments
    a build stores (:mod:`sortext.store.board`) instead of running the rules on every
    record: the records whose stored assessment is not under the key a build would
    give it today (file bytes, today, config, version, stage clock) are assessed and
    stored first, in one transaction with the read.  None (the caller runs the rules
    itself) when two files claim one id: the stored rows are per file.

    Records kept off the pages by consent are stored without findings, so theirs are
    worked out here."""
    from sortext.rules import findings as rules
    from sortext.store import board

    conn = index.conn
    dup = conn.execute(
        "SELECT 1 FROM files WHERE summary IS NOT NULL AND (ok = 1 OR stale = 1) "
        "GROUP BY record_id HAVING count(*) > 1 LIMIT 1"
    ).fetchone()
    if dup is not None:
        return None
    config = repo.config
    key = board.rules_key(today, config)
    hiding = config.consented_only("pages")
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return None  # another writer holds the index (a watcher's long build): run the rules
    try:
        redo = board.outdated(conn, key)
        batch = []
        for path in redo:
            entry = index.entry_at(path)
            rec = entry.record
            assert rec is not None  # outdated() lists files with record data only
            part = clock.get(rec.id)
            since = part[1] if part is not None and part[0] == rec.stage else None
            stamp = f"{part[0]}@{part[1].isoformat()}" if part is not None else "-"
            row_key = f"{key}|{entry.hash}|{entry.stale}|{stamp}"
            hidden = hiding and rec.view.consent.data_use is False
            batch.append(board.record_rows(path, row_key, rec, config, today, since, hidden))
            if len(batch) >= 500:
                board.store(conn, batch)
                board.store_day(conn, batch)
                batch = []
        board.store(conn, batch)
        board.store_day(conn, batch)
        if redo:  # stored for this command's day: the next build plans every record
            board.note_query_store(conn)
        out = board.open_risks(conn, rules.AT_RISK_KINDS)
        # a hidden record's stored row has no name (nor findings): find them by that
        bare = conn.execute("SELECT path FROM assessed WHERE name = ''") if hiding else []
        for (path,) in list(bare):
            rec = index.entry_at(path).record
            if rec is None or rec.view.consent.data_use is not False:
                continue
            if not rules.is_open(rec, config):
                continue
            part = clock.get(rec.id)
            since = part[1] if part is not None and part[0] == rec.stage else None
            found = rules.assess(rec, config, today, since).findings
            mine = sorted(
                (f for f in found if f.kind in rules.AT_RISK_KINDS), key=lambda f: f.sort_key
            )
            if mine:
                out[rec.id] = mine
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return out


def _sorted_rows(
    rows: list[ClientRow],
    sort: str,
    stages: Sequence[str],
    today: dt.date,
    field_key: Callable[[Mapping[str, Any], tuple[str, ...]], tuple[int, float, str]],
) -> list[ClientRow]:
    reverse = sort.startswith("-")
    name = sort.removeprefix("-")
    key: Callable[[ClientRow], Any]
    if name == "name":
        key = lambda r: (r.record.name.casefold(), r.record.id)  # noqa: E731
    elif name == "due":
        key = lambda r: (r.next is None or r.next.due is None, (r.next and r.next.due) or "")  # noqa: E731
    elif name == "stage":
        order = {s: i for i, s in enumerate(stages)}
        key = lambda r: order.get(r.record.stage, len(order))  # noqa: E731
    elif name == "in_stage":
        key = lambda r: (  # noqa: E731
            r.stage_since is None,
            -(today - r.stage_since).days if r.stage_since else 0,
        )
    else:
        path = tuple(name.split("."))
        key = lambda r: field_key(r.record.data, path)  # noqa: E731
    return sorted(rows, key=key, reverse=reverse)


def client_detail(repo: Repository, record_id: str, today: dt.date) -> ClientView:
    """The session-prep view of one client (its last valid version if the file is broken)."""
    from sortext.views.dashboard import client_view
    from sortext.views.stagetime import stage_since_map

    with Index.open(repo) as index:
        index.refresh_for_query()
        entry = index.entry_for(record_id)
        since = None
        unreadable = None
        if entry is not None and entry.record is not None:
            since = stage_since_map(repo, [entry.record], index.conn).get(entry.record.id)
        else:
            unreadable = index.unreadable_file_for(record_id)
    if entry is not None and entry.record is not None:
        return client_view(
            entry.record, repo.config, today, entry.diagnostics, entry.stale, None, since
        )
    if unreadable is not None:
        import shlex

        raise hinted(
            RecordNotFound(f"{unreadable} has errors and no valid version to show yet"),
            "check_record",
            unreadable,
            text=f"check {shlex.quote(unreadable)} for them",
        )
    raise hinted(
        RecordNotFound(f"no client '{record_id}' in {repo.clients_shown}"),
        "list_ids",
        text="the records' ids are their file names there",
    )


def search(repo: Repository, words: list[str]) -> list[SearchHit]:
    with Index.open(repo) as index:
        index.refresh_for_query()
        return index.search(words)


# -- the JSON the commands print with --json (and the assistant server returns) --


def finding_json(f: Finding) -> dict[str, Any]:
    """One finding: {record_id, name, kind, level, reason, due, owner, amount,
    currency, ref} (absent facts are null)."""
    return {
        "record_id": f.record_id,
        "name": f.name,
        "kind": f.kind,
        "level": f.level,
        "reason": f.reason,
        "due": f.due,
        "owner": f.owner,
        "amount": f.amount,
        "currency": f.currency,
        "ref": f.ref,
    }


def row_json(row: ClientRow, today: dt.date | None = None) -> dict[str, Any]:
    """One ``sortext list --json`` entry: {id, name, stage, owner, tags, path, next,
    at_risk: [{kind, level, reason}], stage_since, days_in_stage} (the last two from
    git, None when unknown; days only when ``today`` is given)."""
    since = row.stage_since
    return {
        "id": row.record.id,
        "name": row.record.name,
        "stage": row.record.stage,
        "owner": row.record.data.get("owner"),
        "tags": row.record.data.get("tags") or [],
        "path": row.record.path,
        "next": row.next.to_json() if row.next else None,
        "at_risk": [{"kind": f.kind, "level": f.level, "reason": f.reason} for f in row.risks],
        "stage_since": since.isoformat() if since else None,
        "days_in_stage": (today - since).days if since and today and since <= today else None,
    }


def hit_json(hit: SearchHit) -> dict[str, Any]:
    """One ``sortext search --json`` entry: {id, name, path, snippet} ([brackets]
    mark the match in the snippet)."""
    return {"id": hit.id, "name": hit.name, "path": hit.path, "snippet": hit.snippet}


def client_view_json(view: ClientView) -> dict[str, Any]:
    """``sortext show --json``: the session-prep view of one client.

    {id, name, stage, owner, path, today, stale, in_stage ("in proposal for 47 days",
    None when unknown), package ({sessions, used, left, started} or None), next,
    findings, goals: [{goal_id,
    title, measure, baseline, target, by, points: [[date, value]], percent, state,
    reason}], last_session, commitments, since_last: [{date, what, status}], upcoming,
    billing, invoices, blockers, links: [{name, target}], diagnostics, notes}.
    Dates are ISO text; record values are the front matter's JSON values."""
    rec = view.record
    return {
        "id": rec.id,
        "name": rec.name,
        "stage": rec.stage,
        "owner": rec.data.get("owner"),
        "path": rec.path,
        "today": view.today,
        "stale": view.stale,
        "in_stage": view.in_stage,
        "package": (
            {
                "sessions": view.package.total,
                "used": view.package.used,
                "left": view.package.left,
                "started": view.package.started,
            }
            if view.package
            else None
        ),
        "next": view.next.to_json() if view.next else None,
        "findings": [finding_json(f) for f in view.findings],
        "goals": [
            {
                "goal_id": g.goal_id,
                "title": g.title,
                "measure": g.measure,
                "baseline": g.baseline,
                "target": g.target,
                "by": g.by,
                "points": [[d, v] for d, v in g.points],
                "percent": g.percent,
                "state": g.state,
                "reason": g.reason,
            }
            for g in view.goals
        ],
        "last_session": dict(view.last_session) if view.last_session else None,
        "commitments": list(view.commitments),
        "since_last": [
            {"date": e.date, "what": e.what, "status": e.status} for e in view.since_last
        ],
        "upcoming": [dict(s) for s in view.upcoming],
        "billing": dict(view.section("billing")),
        "invoices": [dict(i) for i in view.invoices],
        "blockers": [dict(b) for b in view.blockers],
        "links": [{"name": n, "target": t} for n, t in view.links],
        "diagnostics": [d.to_json() for d in view.diagnostics],
        "notes": rec.body,
    }
