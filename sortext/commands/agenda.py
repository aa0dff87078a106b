"""``sortext agenda``: the day or the week, like Org-mode's agenda."""

from __future__ import annotations

import json
from pathlib import Path

import click

from sortext.commands.options import open_repo, repo_option, resolve_today, today_option
from sortext.commands.style import paint, use_colour, visible


@click.command("agenda")
@click.option("--week", is_flag=True, help="The seven days from today, not only today.")
@click.option("--owner", metavar="PERSON", help="Only PERSON's sessions and actions.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of days.")
@today_option
@repo_option
def command(
    week: bool, owner: str | None, as_json: bool, today: str | None, repo_dir: Path | None
) -> None:
    """Print today's agenda (or the week's with --week): per day, the timed
    sessions and actions by time ("14:30-15:20"), then untimed sessions, then
    the next actions due; today also lists the next actions already overdue.
    Cancelled and rescheduled sessions are left out.  Times are as written in
    the records, in sortext.yaml's timezone.

    --json prints [{day, items: [{day, kind, id, name, what, owner, time,
    minutes, status, days_late}]}], kind being session, due or overdue.

    \b
    Examples:
      sortext agenda
      sortext agenda --week --owner maya
    """
    from sortext.views.day import agenda_days

    repo = open_repo(repo_dir)
    start = resolve_today(today, repo.config.timezone)
    days = agenda_days(repo, start, 7 if week else 1, owner)
    if as_json:
        click.echo(
            json.dumps(
                [{"day": d.day.isoformat(), "items": [i.to_json() for i in d.items]} for d in days],
                indent=2,
            )
        )
        return
    colour = use_colour()
    zone = repo.config.timezone
    lines: list[str] = []
    width = max((len(i.name) for d in days for i in d.items), default=0)
    for d in days:
        title = f"{d.day:%A} {d.day.day} {d.day:%B %Y}"
        if d.day == start:
            title += "  (today)"
        lines.append(paint(title, "heading", colour))
        if not d.items:
            lines.append("  -")
        for item in d.items:
            if item.kind == "overdue":
                when = paint(f"{f'{item.days_late}d late':<11}", "overdue", colour)
                what = f"next: {item.what}"
            elif item.kind == "due":
                when = f"{item.span or 'due':<11}"
                what = f"next: {item.what}"
            else:
                when = f"{item.span or 'session':<11}"
                what = item.what + (f" ({item.status})" if item.status != "scheduled" else "")
            who = paint(f"[{item.owner}]", "muted", colour) if item.owner and not owner else ""
            name = visible(item.name)
            lines.append(f"  {when} {name:<{width}}  {visible(what)}  {who}".rstrip())
    if zone:
        lines.append(paint(f"times in {zone}", "muted", colour))
    click.echo("\n".join(lines))
