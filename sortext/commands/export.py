"""``sortext export csv|json|ics``: one-way exports for spreadsheets and calendars."""

from __future__ import annotations

from pathlib import Path

import click

from sortext.commands.options import open_repo, repo_option, resolve_today, today_option


@click.command("export")
@click.argument("kind", type=click.Choice(["csv", "json", "ics", "client"]))
@click.argument("record_id", metavar="[ID]", required=False)
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    help="Write to FILE (atomically) instead of standard output; for 'client': a FOLDER.",
)
@click.option(
    "--columns",
    "columns",
    metavar="A,B,...",
    help="csv: the columns, in order: built-in names or dotted record paths "
    "(custom.referral, consent.contact).",
)
@today_option
@repo_option
def command(
    kind: str,
    record_id: str | None,
    out: Path | None,
    columns: str | None,
    today: str | None,
    repo_dir: Path | None,
) -> None:
    """Export every client as CSV, JSON or an ICS calendar (one way); or one
    client's complete data ('export client ID').

    csv: one row per client (stage, next action, review, renewal, billing,
    open invoices: sent or overdue, as 'sortext money' counts them, summed per
    currency).  json: every record's front matter.  ics: next actions,
    scheduled sessions, reviews, renewals and open invoices' due dates as
    all-day events with stable UIDs, so calendar apps update them in place.
    The output has no timestamps: the same records give the same bytes.

    client ID: subject access and portability.  Writes ID.json (the record,
    its notes, its field history from git, invoices, sessions), ID.md and
    ID.html (the same, readable) into --out FOLDER (default: the current
    folder), for a client who asks what is held about them.

    \b
    Examples:
      sortext export csv --out clients.csv
      sortext export ics --out due.ics
      sortext export client amara-okafor --out ~/requests
    """
    from sortext.io.export import render, write_export

    repo = open_repo(repo_dir)
    if kind == "client":
        from sortext.io.subject import export_subject

        if not record_id:
            raise click.UsageError("export client needs the client's ID")
        files = export_subject(
            repo, record_id, out or Path.cwd(), resolve_today(today, repo.config.timezone)
        )
        for path in (files.json, files.markdown, files.html):
            click.echo(f"written {path}")
        return
    if record_id:
        raise click.UsageError(f"export {kind} takes no ID (did you mean 'export client ID'?)")
    from sortext.errors import one_line

    if out is not None and out.is_dir():
        raise click.UsageError(f"--out {one_line(str(out))} is a folder; give a file name")
    chosen = [c.strip() for c in columns.split(",") if c.strip()] if columns else None
    if chosen is not None and kind != "csv":
        raise click.UsageError("--columns is for 'export csv' only")
    if chosen is not None:
        from sortext.io.export import check_columns
        from sortext.schema.effective import effective_schema

        check_columns(chosen, effective_schema(repo.config))
    text = render(repo, kind, resolve_today(today, repo.config.timezone), chosen)
    if out is None:
        import sys

        from sortext.files.inert import exact

        click.echo(exact(text, getattr(sys.stdout, "encoding", None)), nl=False)
        return
    from sortext.io.outpath import output_problem

    problem = output_problem(repo, out)
    if problem is not None:  # (--out clients/x.md wrote a CSV over a record)
        raise click.UsageError(f"--out {one_line(str(out))}: {problem}")
    written = write_export(out, text)
    click.echo(f"{out}: {'written' if written else 'unchanged'}", err=True)
