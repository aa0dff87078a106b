"""``sortext pay ID INVOICE [--on D]``: mark an invoice paid."""

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


@click.command("pay")
@click.argument("record_id", metavar="ID", type=RECORD_ID, shell_complete=complete_ids)
@click.argument("invoice")
@click.option("--on", "on", metavar="YYYY-MM-DD", help="Payment date (default: today).")
@today_option
@dry_run_option
@repo_option
def command(
    record_id: str,
    invoice: str,
    on: str | None,
    today: str | None,
    dry_run: bool,
    repo_dir: Path | None,
) -> None:
    """Mark invoice INVOICE of client ID as paid (status: paid, paid_on: date).

    \b
    Example:
      sortext pay amara-okafor INV-2026-058 --on 2026-11-20
    """
    from sortext.commands.writes import parse_date, report
    from sortext.edit.roundtrip import RecordEditor
    from sortext.edit.routine import pay_invoice
    from sortext.edit.update import update_record

    given = parse_date(on, "--on")
    repo = open_repo(repo_dir)
    day = resolve_today(today, repo.config.timezone)
    date = given or day

    def change(editor: RecordEditor) -> None:
        pay_invoice(editor, invoice, date, today=day)

    result = update_record(repo, record_id, change, dry_run=dry_run, today=day)
    report(result, f"invoice {invoice} paid on {date.isoformat()}")
