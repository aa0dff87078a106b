"""``sortext list``: the clients, filtered by stage, tag or being at risk."""

from __future__ import annotations

import json
from pathlib import Path

import click

from sortext.commands.options import open_repo, repo_option, resolve_today, today_option
from sortext.commands.style import paint, use_colour


@click.command("list")
@click.option("--stage", metavar="STAGE", help="Only clients in STAGE.")
@click.option("--tag", metavar="TAG", help="Only clients tagged TAG.")
@click.option("--at-risk", "at_risk", is_flag=True, help="Only clients at risk, with the reasons.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@today_option
@repo_option
def command(
    stage: str | None,
    tag: str | None,
    at_risk: bool,
    as_json: bool,
    today: str | None,
    repo_dir: Path | None,
) -> None:
    """List clients by name: id, stage, owner and the next action's status.

    --at-risk keeps open clients at risk (overdue next action, no next
    action, missed sessions, check-in due, overdue invoice, stale stage,
    stuck goal) and prints why.  --json prints a list of {id, name, stage,
    owner, tags, path, next, at_risk}.
    """
    from sortext.views.queries import client_list, row_json

    repo = open_repo(repo_dir)
    if stage is not None and stage not in repo.config.stage_names:
        raise click.BadParameter(
            f"unknown stage '{stage}' (stages: {', '.join(repo.config.stage_names)})",
            param_hint="--stage",
        )
    rows = client_list(repo, resolve_today(today), stage, tag, at_risk)
    if as_json:
        click.echo(json.dumps([row_json(row) for row in rows], indent=2))
        return
    colour = use_colour()
    if not rows:
        click.echo("No clients match.")
        return
    id_w = max(len(r.record.id) for r in rows)
    name_w = max(len(r.record.name) for r in rows)
    stage_w = max(len(r.record.stage) for r in rows)
    lines = []  # one write: echoing 20,000 lines one by one costs more than finding them
    for row in rows:
        rec = row.record
        status = row.next.status if row.next else ""
        due = row.next.due or "" if row.next else ""
        owner = rec.data.get("owner") or ""
        line = (
            f"{rec.id:<{id_w}}  {rec.name:<{name_w}}  {rec.stage:<{stage_w}}  "
            f"{owner!s:<6}  {paint(f'{status:<8}', status, colour)} {due}"
        )
        lines.append(line.rstrip())
        lines.extend(f"    {paint('- ' + f.reason, f.level, colour)}" for f in row.risks)
    click.echo("\n".join(lines))
