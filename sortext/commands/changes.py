"""``sortext changes``: what changed across all clients since a date."""

from __future__ import annotations

from pathlib import Path

import click

from sortext.commands.options import open_repo, repo_option, resolve_today, today_option
from sortext.commands.style import json_out
from sortext.errors import one_line


@click.command("changes")
@click.option(
    "--since",
    "since",
    default="7d",
    show_default=True,
    metavar="7d|2w|DATE",
    help="Start of the window: days or weeks before today, or a date.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@today_option
@repo_option
def command(since: str, as_json: bool, today: str | None, repo_dir: Path | None) -> None:
    """What changed across all clients since a date, from git history.

    New clients, stage moves, next actions done/added/moved, sessions
    logged, measurements added, invoices paid or gone overdue, renamed and
    deleted records.  Compares each record as committed before the window
    with HEAD; each line names the last commit's date and author.

    \b
    Examples:
      sortext changes --since 7d
      sortext changes --since 2026-11-01 --json
    """
    from sortext.vcs.changes import KIND_TITLES, changes_since, parse_since

    repo = open_repo(repo_dir)
    day = resolve_today(today, repo.config.timezone)
    report = changes_since(repo, parse_since(since, day), day)
    if as_json:
        click.echo(json_out(report.to_json()))
        return
    groups = report.by_kind()
    if not groups:
        click.echo(f"no changes since {report.since.isoformat()}")
        return
    click.echo(f"Changes since {report.since.isoformat()}")
    for kind, items in groups.items():
        click.echo(f"\n{KIND_TITLES[kind]} ({len(items)})")
        for c in items:
            by = f"  [{c.when} {c.author}]" if c.when else ""
            click.echo(one_line(f"  {c.record_id}: {c.summary}{by}"))
