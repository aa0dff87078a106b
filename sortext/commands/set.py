"""``sortext set ID PATH=VALUE...``: change fields, keeping the file's layout."""

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


@click.command("set")
@click.argument("record_id", metavar="ID", type=RECORD_ID, shell_complete=complete_ids)
@click.argument("assignments", metavar="PATH=VALUE...", nargs=-1, required=True)
@dry_run_option
@today_option
@repo_option
def command(
    record_id: str,
    assignments: tuple[str, ...],
    dry_run: bool,
    today: str | None,
    repo_dir: Path | None,
) -> None:
    """Set fields of one record: PATH=VALUE, as many as you like.

    PATH is a field path: billing.rate, next_action.due, invoices[2].status.
    VALUE is read as YAML 1.2: 2026-12-01 is a date, 450 a number,
    "[a, b]" a list, '"007"' text.  Missing mappings are created.  The
    result is validated first: if it would make the record invalid, the
    problem is shown and nothing is written.  Comments, key order, quoting
    and the notes are kept byte for byte.  A date of something that has
    happened (a payment's paid_on, a held session's date, a measurement's,
    a blocker's since, first_contact, last_review, consent.given_on) is
    refused after today.

    \b
    Example:
      sortext set amara-okafor next_action.due=2026-12-01 'invoices[0].status=paid'
    """
    from sortext.commands.writes import report
    from sortext.edit.roundtrip import EditRefused, RecordEditor, parse_path
    from sortext.edit.update import update_record
    from sortext.record.diagnostics import Diagnostic
    from sortext.record.yamlread import load_fast

    changes = []
    for text in assignments:
        path_text, sep, value_text = text.partition("=")
        if not sep:
            from sortext.errors import one_line

            raise click.UsageError(f"'{one_line(text)}' is not PATH=VALUE")
        value = load_fast(value_text) if value_text.strip() else None
        if isinstance(value, Diagnostic):
            raise click.BadParameter(f"'{value_text}': {value.message}", param_hint=path_text)
        try:
            changes.append((parse_path(path_text.strip()), value))
        except EditRefused as exc:
            from sortext.commands.hints import cli_text

            raise click.UsageError(cli_text(exc)) from exc

    def change(editor: RecordEditor) -> None:
        for path, value in changes:
            editor.set(path, value)

    repo = open_repo(repo_dir)
    day = resolve_today(today, repo.config.timezone)
    result = update_record(repo, record_id, change, dry_run=dry_run, today=day)
    report(result, "set " + ", ".join(a.partition("=")[0] for a in assignments))
