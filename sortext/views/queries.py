"""The questions the terminal commands ask, answered from the index.

Each function refreshes the index (stat only when nothing changed) and
returns values; the commands format them.  ``next_list`` and ``client_list``
read only the small per-record summaries, so they stay fast at 10,000
records and never import Jinja2 or GitPython.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sortext.check.load import Record
from sortext.errors import RecordNotFound
from sortext.repo import Repository
from sortext.store import answers, board
from sortext.store.index import Index, SearchHit, assess_outdated

if TYPE_CHECKING:  # the rules are imported by the functions that run them (not search)
    from sortext.rules.findings import Finding, NextAction
    from sortext.views.dashboard import ClientView


@dataclass(slots=True)
class NextList:
    items: list[NextAction]
    error_files: int


@dataclass(slots=True)
class ClientRow:
    record: Record
    next: NextAction | None
    risks: list[Finding]


def next_list(
    repo: Repository, today: dt.date, owner: str | None = None, within: int | None = None
) -> NextList:
    """Next actions in page order, optionally for one owner or due within N days."""
    from sortext.rules import findings as rules
    from sortext.rules.findings import NextAction

    with Index.open(repo) as index:
        index.refresh_for_query()
        key = f"next:{today.isoformat()}"
        remembered = answers.recall(index.conn, key)
        if remembered is None or remembered.get("fields") != list(NextAction.__slots__):
            items = rules.next_actions(index.summaries(), repo.config, today)
            errors = index.error_files()
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
        items = [n for n in items if n.owner == owner]
    if within is not None:
        items = [
            n
            for n in items
            if (n.days is None and n.status == "missing")
            or (n.days is not None and n.days <= within)
        ]
    return NextList(items, errors)


def client_list(
    repo: Repository,
    today: dt.date,
    stage: str | None = None,
    tag: str | None = None,
    at_risk_only: bool = False,
) -> list[ClientRow]:
    """Clients sorted by name, filtered by stage, tag or being at risk.

    Reads only the per-record summaries; ``at_risk_only`` also reads the stored
    assessments (the board the build keeps), assessing first only the records
    whose stored assessment is outdated: no record's full data is decoded when
    nothing changed.
    """
    from sortext.rules import findings as rules

    risks: dict[str, list[Finding]] = {}
    with Index.open(repo) as index:
        index.refresh_for_query()
        records = index.summaries()
        if at_risk_only:
            assess_outdated(index.conn, repo.config, today)
            risks = board.risks_of(index.conn, rules.AT_RISK_KINDS)
    rows = []
    for rec in sorted(records, key=lambda r: (r.name.casefold(), r.id)):
        if stage is not None and rec.stage != stage:
            continue
        if tag is not None and tag not in rec.view.tags:
            continue
        if at_risk_only and rec.path not in risks:
            continue
        rows.append(
            ClientRow(rec, rules.next_action(rec, repo.config, today), risks.get(rec.path, []))
        )
    return rows


def client_detail(repo: Repository, record_id: str, today: dt.date) -> ClientView:
    """The session-prep view of one client (its last valid version if the file is broken)."""
    from sortext.views.dashboard import client_view

    with Index.open(repo) as index:
        index.refresh_for_query()
        entry = index.entry_for(record_id)
        if entry is not None and entry.record is not None:
            return client_view(entry.record, repo.config, today, entry.diagnostics, entry.stale)
    raise RecordNotFound(
        f"no client '{record_id}' in {repo.relative(repo.clients_path)}/; "
        "run 'sortext list' to see the ids"
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


def row_json(row: ClientRow) -> dict[str, Any]:
    """One ``sortext list --json`` entry: {id, name, stage, owner, tags, path, next,
    at_risk: [{kind, level, reason}]}."""
    return {
        "id": row.record.id,
        "name": row.record.name,
        "stage": row.record.stage,
        "owner": row.record.data.get("owner"),
        "tags": row.record.data.get("tags") or [],
        "path": row.record.path,
        "next": row.next.to_json() if row.next else None,
        "at_risk": [{"kind": f.kind, "level": f.level, "reason": f.reason} for f in row.risks],
    }


def hit_json(hit: SearchHit) -> dict[str, Any]:
    """One ``sortext search --json`` entry: {id, name, path, snippet} ([brackets]
    mark the match in the snippet)."""
    return {"id": hit.id, "name": hit.name, "path": hit.path, "snippet": hit.snippet}


def client_view_json(view: ClientView) -> dict[str, Any]:
    """``sortext show --json``: the session-prep view of one client.

    {id, name, stage, owner, path, today, stale, next, findings, goals: [{goal_id,
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
