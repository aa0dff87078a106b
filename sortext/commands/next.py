"""``sortext next``: what happens next, for everyone."""

from __future__ import annotations

import json
from pathlib import Path

import click

from sortext.commands.options import open_repo, repo_option, resolve_today, today_option
from sortext.commands.style import paint, parse_days, use_colour

LABELS = {
    "overdue": "OVERDUE",
    "today": "TODAY",
    "soon": "SOON",
    "missing": "NO ACTION",
    "later": "LATER",
}


@click.command("next")
@click.option("--owner", metavar="PERSON", help="Only actions owned by PERSON.")
@click.option(
    "--within",
    metavar="DAYS",
    help="Only actions due within DAYS (7d, 2w), "
    "overdue ones and open clients without a next action.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@today_option
@repo_option
def command(
    owner: str | None, within: str | None, as_json: bool, today: str | None, repo_dir: Path | None
) -> None:
    """List every client's next action: overdue first, then due today, due
    soon, open clients with no next action (a problem to fix), then later.

    --json prints a list of {id, name, what, owner, due, status, days, stage,
    path}, status being overdue, today, soon, missing or later, in the same
    order as NEXT.md and the dashboard.
    """
    from sortext.views.queries import next_list

    days = parse_days(within)
    repo = open_repo(repo_dir)
    result = next_list(repo, resolve_today(today), owner, days)
    if as_json:
        click.echo(json.dumps([n.to_json() for n in result.items], indent=2))
        return
    colour = use_colour()
    if not result.items:
        click.echo("Nothing to do.")
    width = max((len(n.name) for n in result.items), default=0)
    lines = []
    for n in result.items:
        label = paint(f"{LABELS[n.status]:<9}", n.status, colour)
        when = f"{n.due} ({_rel(n.days)})" if n.due else "undated" if n.what else ""
        what = n.what or "no next action: decide one and who owns it"
        owner_text = paint(f"[{n.owner}]", "muted", colour) if n.owner else ""
        lines.append(f"{label} {n.name:<{width}}  {what}  {when}  {owner_text}".rstrip())
    if lines:
        click.echo("\n".join(lines))
    if result.error_files:
        click.echo(
            f"{result.error_files} record file(s) with errors: run 'sortext check'", err=True
        )


def _rel(days: int | None) -> str:
    from sortext.views.format import days_phrase

    return days_phrase(days) if days is not None else ""
