"""``sortext export csv|json|ics``: one-way exports for spreadsheets and calendars."""

from __future__ import annotations

from pathlib import Path

import click

from sortext.commands.options import open_repo, repo_option, resolve_today, today_option


@click.command("export")
@click.argument("kind", type=click.Choice(["csv", "json", "ics"]))
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to FILE (atomically) instead of standard output.",
)
@today_option
@repo_option
def command(kind: str, out: Path | None, today: str | None, repo_dir: Path | None) -> None:
    """Export every client as CSV, JSON or an ICS calendar (one way).

    csv: one row per client (stage, next action, review, renewal, billing,
    open invoices).  json: every record's front matter.  ics: next actions,
    scheduled sessions, reviews, renewals and unpaid invoice due dates as
    all-day events with stable UIDs, so calendar apps update them in place.
    The output has no timestamps: the same records give the same bytes.

    \b
    Examples:
      sortext export csv --out clients.csv
      sortext export ics --out due.ics
    """
    from sortext.io.export import render, write_export

    repo = open_repo(repo_dir)
    text = render(repo, kind, resolve_today(today))
    if out is None:
        click.echo(text, nl=False)
        return
    written = write_export(out, text)
    click.echo(f"{out}: {'written' if written else 'unchanged'}", err=True)
