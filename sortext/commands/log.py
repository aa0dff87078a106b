"""``sortext log ID ...``: log a session in one command."""

from __future__ import annotations

from pathlib import Path

import click

from sortext.commands.options import (
    RECORD_ID,
    complete_ids,
    open_repo,
    repo_option,
    resolve_today,
    today_option,
)
from sortext.commands.writes import dry_run_option

STATUSES = ["held", "cancelled", "rescheduled", "no-show", "scheduled"]


@click.command("log")
@click.argument("record_id", metavar="ID", type=RECORD_ID, shell_complete=complete_ids)
@click.option("--on", "date_text", metavar="YYYY-MM-DD", help="Session date (default: today).")
@click.option("--date", "old_date", metavar="YYYY-MM-DD", hidden=True)  # the old name of --on
@click.option("--focus", required=True, help="What the session was about.")
@click.option("--status", type=click.Choice(STATUSES), default="held", show_default=True)
@click.option("--kind", help="Session kind, e.g. coaching, review, intake.")
@click.option("--score", type=click.FloatRange(0, 10), help="Session score, 0-10.")
@click.option("--commit", "commitments", multiple=True, help="A commitment (repeatable).")
@click.option("--next", "next_what", help="The new next action.")
@click.option("--due", "due_text", metavar="YYYY-MM-DD", help="Due date of the next action.")
@click.option("--note", help="Notes for the dated section added to the body.")
@click.option("--force", is_flag=True, help="Log it even if the same session is logged.")
@today_option
@dry_run_option
@repo_option
def command(
    record_id: str,
    date_text: str | None,
    old_date: str | None,
    focus: str,
    status: str,
    kind: str | None,
    score: float | None,
    commitments: tuple[str, ...],
    next_what: str | None,
    due_text: str | None,
    note: str | None,
    force: bool,
    today: str | None,
    dry_run: bool,
    repo_dir: Path | None,
) -> None:
    """Log a session for client ID.

    Appends the session (date, kind, status, focus, commitments, score),
    moves the next action (--next and/or --due; its owner and comments
    stay), and appends a dated '## DATE FOCUS' section with --note to the
    notes.  Everything else in the file is left byte for byte.  The same
    session (date, kind and focus) logged twice is refused unless --force.
    The date option is --on, as for pay and measure (--date still works).

    \b
    Example:
      sortext log amara-okafor --focus "Delegation plan" --score 8 \\
        --next "Send the worksheet" --due 2026-12-01
    """
    from sortext.commands.writes import parse_date, report
    from sortext.edit.roundtrip import RecordEditor
    from sortext.edit.routine import SessionLog, log_session
    from sortext.edit.update import update_record

    if old_date is not None and date_text is not None and old_date != date_text:
        raise click.UsageError("give the date once: --on (--date is its old name)")
    # (an empty --on is a date given, not "today": refused, as an empty --today is)
    on = parse_date(date_text if date_text is not None else old_date, "--on")
    repo = open_repo(repo_dir)
    day = resolve_today(today, repo.config.timezone)
    date = on or day
    entry = SessionLog(
        date=date,
        focus=focus,
        status=status,
        kind=kind,
        score=score,
        commitments=commitments,
        next_what=next_what,
        next_due=parse_date(due_text, "--due"),
        note=note,
    )
    people = repo.config.people

    def change(editor: RecordEditor) -> None:
        log_session(editor, entry, people[0] if people else None, force, today=day)

    result = update_record(repo, record_id, change, dry_run=dry_run, today=day)
    report(result, f"logged {status} session on {date.isoformat()}")
