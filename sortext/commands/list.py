"""``sortext list``: the clients, filtered by stage, tag or being at risk."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from sortext.commands.options import (
    complete_people,
    complete_stages,
    given_day,
    open_repo,
    practice_today,
    repo_option,
    today_option,
)
from sortext.commands.style import paint, use_colour, visible

if TYPE_CHECKING:
    import datetime as dt

    from sortext.repo import Repository
    from sortext.views.queries import ClientRow
    from sortext.views.recall import Recall


@click.command("list")
@click.option(
    "--stage", metavar="STAGE", help="Only clients in STAGE.", shell_complete=complete_stages
)
@click.option("--tag", metavar="TAG", help="Only clients tagged TAG.")
@click.option(
    "--owner", metavar="PERSON", help="Only clients PERSON owns.", shell_complete=complete_people
)
@click.option(
    "--where",
    "where",
    multiple=True,
    metavar="COND",
    help="Only clients where COND holds: FIELD OP VALUE, OP one of >= <= != = > < ~ "
    "(e.g. 'billing.rate>=300', 'tags=leadership'); repeat to AND.",
)
@click.option(
    "--sort",
    metavar="KEY",
    help="Order by due, stage, in_stage, name or any FIELD (dotted); -KEY reverses.",
)
@click.option("--at-risk", "at_risk", is_flag=True, help="Only clients at risk, with the reasons.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@today_option
@repo_option
def command(
    stage: str | None,
    tag: str | None,
    owner: str | None,
    where: tuple[str, ...],
    sort: str | None,
    at_risk: bool,
    as_json: bool,
    today: str | None,
    repo_dir: Path | None,
) -> None:
    """List clients by name: id, stage, days in that stage (from git), owner
    and the next action's status.

    --at-risk keeps open clients at risk (overdue next action, no next
    action, missed sessions, check-in due, overdue invoice, stale stage,
    stuck goal) and prints why.  --json prints a list of {id, name, stage,
    owner, tags, path, next, at_risk, stage_since, days_in_stage}; at_risk
    lists every client's reasons ({kind, level, reason}), with or without
    --at-risk.

    \b
    Examples:
      sortext list --stage active --sort in_stage
      sortext list --at-risk --json
    """
    from sortext.views.recall import Recall

    given = given_day(today)
    colour = use_colour()
    recall = Recall(repo_dir, clock=True)  # days in stage come from git
    day = given or practice_today(recall)
    parts = [
        "list",
        stage,
        tag,
        owner,
        list(where),
        sort,
        at_risk,
        as_json,
        day.isoformat(),
        colour,
    ]
    recall.look(parts)
    if recall.replay() is None:
        repo = open_repo(repo_dir)
        _answer(recall, repo, day, stage, tag, owner, where, sort, at_risk, as_json, colour)
        recall.keep(repo)


def ask(recall: Recall, repo: Repository, parts: list[Any]) -> None:
    """Answer the question ``parts`` (as :func:`command` makes them) into ``recall``:
    what a running watcher calls to work a remembered question out again after a save
    (:class:`sortext.views.recall.Refresh`).  Raises what :func:`command` raises, and
    ValueError for parts it does not make."""
    import datetime as dt

    name, stage, tag, owner, where, sort, at_risk, as_json, day, colour = parts
    bad = ValueError(f"not a question of list: {parts!r}")
    if name != "list" or not isinstance(day, str) or not isinstance(where, list):
        raise bad
    if not all(v is None or isinstance(v, str) for v in (stage, tag, owner, sort)):
        raise bad
    if not all(isinstance(w, str) for w in where):
        raise bad
    if not all(isinstance(v, bool) for v in (at_risk, as_json, colour)):
        raise bad
    when = dt.date.fromisoformat(day)
    _answer(recall, repo, when, stage, tag, owner, tuple(where), sort, at_risk, as_json, colour)


def _warn_unsorted(recall: Recall, rows: list[ClientRow], sort: str) -> None:
    """A field no listed client has orders nothing: say so on stderr (the list is in
    name order), as ``--tag`` with a tag nobody has is told, but the exit stays 0
    (the field is one records can hold; the key itself was checked)."""
    from sortext.views.filters import NAMED_SORTS, sort_key

    name = sort.lstrip("-")
    if name in NAMED_SORTS:
        return
    path = tuple(name.split("."))
    if any(sort_key(row.record.data, path)[0] != 2 for row in rows):  # 2: no value
        return
    recall.echo(
        f"sortext: warning: --sort {visible(name)}: no client listed has {visible(name)}, "
        "so the list is in name order",
        err=True,
    )


def _answer(
    recall: Recall,
    repo: Repository,
    day: dt.date,
    stage: str | None,
    tag: str | None,
    owner: str | None,
    where: tuple[str, ...],
    sort: str | None,
    at_risk: bool,
    as_json: bool,
    colour: bool,
) -> None:
    from sortext.views.queries import client_list, row_json

    rows = client_list(repo, day, stage, tag, at_risk, owner, where, sort, with_risks=as_json)
    if sort is not None and rows:
        _warn_unsorted(recall, rows, sort)
    if as_json:
        recall.echo(json.dumps([row_json(row, day) for row in rows], indent=2))
        return
    if not rows:
        recall.echo("No clients match.")
        return
    id_w = max(len(r.record.id) for r in rows)
    name_w = max(len(r.record.name) for r in rows)
    stage_w = max(len(r.record.stage) for r in rows)
    lines = []  # one write: echoing 20,000 lines one by one costs more than finding them
    for row in rows:
        vid, vname, stage, days, vwho, status, due = _cells(row, day, colour)
        line = (
            f"{vid:<{id_w}}  {vname:<{name_w}}  {stage:<{stage_w}}"
            f" {days:>5}  {vwho:<6}  {status} {due}"
        )
        lines.append(line.rstrip())
        lines.extend(f"    {paint('- ' + visible(f.reason), f.level, colour)}" for f in row.risks)
    recall.echo("\n".join(lines))


#: One row's cells as printed before padding: (id, name, stage, days in stage, owner,
#: status painted, due).
_Cells = tuple[str, str, str, str, str, str, str]


def _cells(row: ClientRow, day: dt.date, colour: bool) -> _Cells:
    """The cells of ``row``: a pure function of its record, next action and stage date,
    the day and colour, so the questions a watcher works out in one pass (several
    ``list`` filters over the same records, :func:`sortext.views.queries.shared_reads`)
    make each row's once; the padding (the widest cell of each answer) is theirs."""
    from sortext.views.queries import shared_memo

    memo = shared_memo()
    if memo is None:
        return _make_cells(row, day, colour)
    table: dict[int, tuple[object, object, object, _Cells]]
    table = memo.setdefault(("list cells", day, colour), {})
    rec = row.record
    hit = table.get(id(rec))
    if hit is not None and hit[0] is rec and hit[1] is row.next and hit[2] == row.stage_since:
        return hit[3]
    cells = _make_cells(row, day, colour)
    table[id(rec)] = (rec, row.next, row.stage_since, cells)
    return cells


def _make_cells(row: ClientRow, day: dt.date, colour: bool) -> _Cells:
    rec = row.record
    status = row.next.status if row.next else ""
    due = row.next.due or "" if row.next else ""
    who = rec.data.get("owner") or ""
    known = row.stage_since is not None and row.stage_since <= day
    days = f"{(day - row.stage_since).days}d" if known and row.stage_since else "?"
    painted = paint(f"{status:<8}", status, colour)
    return (visible(rec.id), visible(rec.name), rec.stage, days, visible(who), painted, due)
