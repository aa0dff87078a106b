"""``sortext pay ID INVOICE [--on D]``: mark an invoice paid."""

from __future__ import annotations

from pathlib import Path

import click

from sortext.commands.options import RECORD_ID, open_repo, repo_option, resolve_today, today_option


@click.command("pay")
@click.argument("record_id", metavar="ID", type=RECORD_ID)
@click.argument("invoice")
@click.option("--on", "on", metavar="YYYY-MM-DD", help="Payment date (default: today).")
@today_option
@repo_option
def command(
    record_id: str, invoice: str, on: str | None, today: str | None, repo_dir: Path | None
) -> None:
    """Mark invoice INVOICE of client ID as paid (status: paid, paid_on: date)."""
    from sortext.commands.writes import parse_date, report
    from sortext.edit.roundtrip import RecordEditor
    from sortext.edit.routine import pay_invoice
    from sortext.edit.update import update_record

    date = parse_date(on, "--on") or resolve_today(today)

    def change(editor: RecordEditor) -> None:
        pay_invoice(editor, invoice, date)

    result = update_record(open_repo(repo_dir), record_id, change)
    report(result, f"invoice {invoice} paid on {date.isoformat()}")
