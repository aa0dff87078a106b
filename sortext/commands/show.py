"""``sortext show``: the session-prep screen for one client."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from sortext.commands.options import (
    RECORD_ID,
    complete_ids,
    given_day,
    open_repo,
    practice_today,
    repo_option,
    today_option,
)
from sortext.commands.style import (
    LEVEL_MARK,
    json_out,
    paint,
    spark,
    toward_target,
    use_colour,
    visible,
)
from sortext.errors import one_line

if TYPE_CHECKING:
    import datetime as dt

    from sortext.repo import Repository
    from sortext.views.recall import Recall


@click.command("show")
@click.argument(
    "record_id", metavar="[ID]", required=False, type=RECORD_ID, shell_complete=complete_ids
)
@click.option("--owner", metavar="PERSON", help="Without ID: every open client PERSON owns.")
@click.option("--json", "as_json", is_flag=True, help="Print the view as JSON.")
@today_option
@repo_option
def command(
    record_id: str | None,
    owner: str | None,
    as_json: bool,
    today: str | None,
    repo_dir: Path | None,
) -> None:
    """Session prep for client ID in one screen: next action, time in stage
    (from git), what needs attention, goals with progress, the last session
    and its commitments, what happened since, billing and package, blockers,
    links and the notes.  With --owner PERSON and no ID: the screen of every
    open client PERSON owns, one after another (an assistant's day).

    --json prints one object: {id, name, stage, owner, path, today, stale,
    in_stage, package, next, findings, goals, last_session, commitments,
    since_last, upcoming, billing, invoices, blockers, links, diagnostics,
    notes} (a list of them with --owner and no ID).

    \b
    Examples:
      sortext show amara-okafor
      sortext show --owner maya --json
    """
    from sortext.views.recall import Recall

    given = given_day(today)
    colour = use_colour()
    recall = Recall(repo_dir, clock=True)  # time in stage comes from git
    day = given or practice_today(recall)
    recall.look(["show", record_id, owner, as_json, day.isoformat(), colour])
    if recall.replay() is None:
        repo = open_repo(repo_dir)
        _answer(recall, repo, day, record_id, owner, as_json, colour)
        recall.keep(repo)


def _answer(
    recall: Recall,
    repo: Repository,
    day: dt.date,
    record_id: str | None,
    owner: str | None,
    as_json: bool,
    colour: bool,
) -> None:

    from sortext.views.queries import client_detail, client_list, client_view_json

    if record_id is None:
        if owner is None:
            raise click.UsageError("give a client ID, or --owner PERSON")
        ids = [
            row.record.id
            for row in client_list(repo, day, owner=owner)
            if row.record.stage in repo.config.open_stages
        ]
        views = [client_detail(repo, i, day) for i in ids]
        if as_json:
            recall.echo(json_out([client_view_json(v) for v in views]))
            return
        if not ids:
            recall.echo(f"No open clients owned by {visible(owner)}.")
        screens = ["\n".join(render(v, colour)) for v in views]
        recall.echo(("\n\n" + "=" * 60 + "\n").join(screens))
        return
    view = client_detail(repo, record_id, day)
    if owner is not None and view.record.view.owner != owner:
        raise click.UsageError(
            f"client '{record_id}' is owned by {visible(view.record.view.owner or 'nobody')}, "
            f"not {visible(owner)}"
        )
    if as_json:
        recall.echo(json_out(client_view_json(view)))
        return
    recall.echo("\n".join(render(view, colour)))


def render(view: Any, colour: bool) -> list[str]:
    """The screen as lines (plain text; colour only adds emphasis)."""
    from sortext.views.format import days_phrase, money, percent

    rec = view.record
    out: list[str] = []

    def head(text: str) -> None:
        out.append("")
        out.append(paint(text.upper(), "heading", colour))

    facts = " · ".join(
        str(x)
        for x in (
            rec.stage,
            rec.view.company,
            f"owner {rec.view.owner}" if rec.view.owner else None,
            view.in_stage,
        )
        if x
    )
    out.append(f"{paint(rec.name, 'heading', colour)}  ({facts})  {rec.path}")
    if view.stale:
        out.append(
            paint(
                "The file has errors: showing its last valid version "
                f"(run 'sortext check {rec.path}').",
                "error",
                colour,
            )
        )
    n = view.next
    head("Next action")
    if n is None:
        out.append(f"  none ({rec.stage})")
    elif n.what is None:
        out.append(
            "  " + paint("NO NEXT ACTION: decide one, its owner and due date", "missing", colour)
        )
    else:
        when = f"due {n.due} ({days_phrase(n.days)})" if n.due and n.days is not None else "undated"
        out.append(f"  {paint(n.status.upper(), n.status, colour)}  {n.what}")
        out.append(f"  owner {n.owner or '–'} · {when}")
    attention = [f for f in view.findings if f.kind not in ("goal_progressing", "goal_achieved")]
    if attention:
        head("Needs attention")
        for f in attention:
            out.append(f"  {LEVEL_MARK[f.level]} {paint(f.reason, f.level, colour)}")
    if view.goals:
        head("Goals")
        for g in view.goals:
            values = toward_target([v for _, v in g.points], g.baseline, g.target)
            pct = percent(g.percent, "–")
            lower = g.baseline is not None and g.target is not None and g.target < g.baseline
            out.append(f"  {g.title}  [{g.measure}{', lower is better' if lower else ''}]")
            out.append(f"    {spark(values):<10} {pct:>5}  {g.state}: {g.reason}")
    head("Last session")
    last = view.last_session
    if last:
        score = f" · score {last['score']}" if "score" in last else ""
        focus = f": {last['focus']}" if last.get("focus") else ""
        out.append(f"  {last['date']} {last.get('kind') or 'session'}{focus}{score}")
        for c in view.commitments:
            out.append(f"    commitment: {c}")
    else:
        out.append("  none held yet")
    if view.since_last:
        head("Since then")
        for e in view.since_last:
            out.append(f"  {e.date}  {e.status:<11} {e.what}")
    if view.upcoming:
        head("Upcoming")
        for s in view.upcoming:
            at = f" {s['time']}" if isinstance(s.get("time"), str) else ""
            out.append(
                f"  {s.get('date')}{at}  {s.get('kind') or 'session'}"
                + (f": {s['focus']}" if s.get("focus") else "")
            )
    billing = view.section("billing")
    if billing or view.invoices:
        head("Billing")
        if billing:
            rate = money(billing.get("rate"), billing.get("currency"))
            per = f" per {billing['per']}" if billing.get("per") else ""
            out.append(f"  {billing.get('plan') or ''}  {rate}{per}".rstrip())
        if view.package is not None:
            out.append(f"  package: {view.package.phrase}")
        for inv in view.invoices:
            if inv.get("status") in ("paid", "void"):
                continue
            amount = money(inv.get("amount"), inv.get("currency") or billing.get("currency"))
            status = str(inv.get("status"))
            style = "error" if status == "overdue" else "info"
            out.append(
                f"  {inv.get('id', '')}  {paint(status, style, colour)}  {amount}  "
                f"due {inv.get('due', '?')}"
            )
    if view.blockers:
        head("Blockers")
        for b in view.blockers:
            extra = f" (waiting on {b['waiting_on']})" if b.get("waiting_on") else ""
            out.append(f"  {b.get('what')}{extra}")
    if view.links:
        head("Links")
        for name, target in view.links:
            out.append(f"  {name}: {target}")
    if view.diagnostics:
        head("Problems in the file")
        for d in view.diagnostics:
            out.append("  " + d.format(show_source=False))
    if rec.body.strip():
        head("Notes")
        out.extend("  " + line if line else "" for line in rec.body.strip("\n").split("\n"))
    # each entry is one line of the screen: a value holding a line break (a company,
    # an action, a session's focus) shows it as an escape instead of forging a line
    return [one_line(line) for line in out]
