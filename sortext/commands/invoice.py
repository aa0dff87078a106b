"""``sortext invoice ID AMOUNT ...``: bill a client (append an invoice)."""

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
from sortext.edit.invoice import DEFAULT_TERMS, AddedInvoice


@click.command("invoice")
@click.argument("record_id", metavar="ID", type=RECORD_ID, shell_complete=complete_ids)
@click.argument("amount", metavar="AMOUNT")
@click.option("--currency", metavar="CUR", help="Three-letter code (default: billing.currency).")
@click.option("--due", "due_text", metavar="YYYY-MM-DD", help="Due date.")
@click.option(
    "--terms",
    type=click.IntRange(0, 3650),
    metavar="DAYS",
    help=f"Due DAYS after the issue date (default: billing.terms_days, else {DEFAULT_TERMS}).",
)
@click.option("--on", "on_text", metavar="YYYY-MM-DD", help="Issue date (default: today).")
@click.option("--id", "invoice_id", metavar="INV-ID", help="Invoice id (default: the next free).")
@click.option("--for", "description", metavar="TEXT", help="What it is for (description).")
@click.option("--draft", is_flag=True, help="Status draft instead of sent.")
@today_option
@dry_run_option
@repo_option
def command(
    record_id: str,
    amount: str,
    currency: str | None,
    due_text: str | None,
    terms: int | None,
    on_text: str | None,
    invoice_id: str | None,
    description: str | None,
    draft: bool,
    today: str | None,
    dry_run: bool,
    repo_dir: Path | None,
) -> None:
    """Bill client ID: append an invoice of AMOUNT (status sent, or draft).

    AMOUNT is digits with an optional '.' and at most the currency's decimal
    places (840, 99.50).  The id defaults to the next free one in the
    client's pattern (FH-11 -> FH-12; a first invoice INV-2026-001 on),
    unique across all clients; a given --id already used is refused.  The due date is --due,
    or --terms days after the issue date --on (default: the client's
    billing.terms_days, else 14).

    \b
    Example:
      sortext invoice amara-okafor 840 --for "November sessions" --terms 30
    """
    import re

    from sortext.commands.writes import parse_date, report
    from sortext.edit.invoice import NewInvoice, add_invoice
    from sortext.edit.roundtrip import RecordEditor
    from sortext.edit.update import update_record
    from sortext.store.invoiceids import numbering, other_invoice_ids

    if due_text is not None and terms is not None:
        raise click.UsageError("give the due date once: --due or --terms")
    if currency is not None and not re.fullmatch(r"[A-Z]{3}", currency):
        raise click.BadParameter(
            f"'{currency}' is not a currency code: three capital letters like EUR",
            param_hint="--currency",
        )
    if invoice_id is not None and not invoice_id.strip():
        raise click.BadParameter("an invoice id cannot be empty", param_hint="--id")
    issued_on = parse_date(on_text, "--on")
    due = parse_date(due_text, "--due")
    repo = open_repo(repo_dir)
    issued = issued_on or resolve_today(today, repo.config.timezone)
    new = NewInvoice(
        amount=amount,
        issued=issued,
        due=due,
        terms=terms,
        currency=currency,
        invoice_id=invoice_id,
        description=description,
        status="draft" if draft else "sent",
    )
    given: list[AddedInvoice] = []
    # the ids read, one picked and written under one lock: two runs at once
    # (two clients) would otherwise both pick the same next id
    with numbering(repo):
        others = other_invoice_ids(repo, record_id)

        def change(editor: RecordEditor) -> None:
            given.append(add_invoice(editor, new, others))

        result = update_record(repo, record_id, change, dry_run=dry_run)
    from sortext.commands.style import visible

    # what was (or, in a dry run, would be) written, not the amount as typed
    added = given[-1]
    report(
        result,
        f"{new.said(added.money, visible(added.id))}, due {added.due}",
    )
