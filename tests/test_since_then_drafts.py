"""What happened since the last session (``show``'s "Since then", the client page)
says an invoice was issued only when it was: a draft's ``issued`` is the day it is
meant to go out, and ``show`` used to list "invoice INV-... issued" for it; a void one
was issued and withdrawn, and is said so ("issued, since void"), not as money owed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.check.load import Record
from sortext.schema.config import default_config_text, parse_config
from sortext.views.dashboard import client_view

TODAY = dt.date(2026, 11, 23)
CONFIG = parse_config(Path("."), default_config_text().encode(), "sortext.yaml")
STATUSES = ("draft", "sent", "paid", "overdue", "void")


def _record(invoice: dict[str, Any]) -> Record:
    data = {
        "id": "x",
        "name": "Test Client",
        "stage": "active",
        "next_action": {"what": "Prepare", "owner": "me", "due": "2026-11-30"},
        "sessions": [{"date": "2026-11-02", "kind": "coaching", "status": "held"}],
        "invoices": [invoice],
    }
    return Record("clients/x.md", "x", data, "", 1)


@settings(max_examples=60, deadline=None)
@given(
    status=st.sampled_from(STATUSES),
    issued=st.integers(1, 21).map(lambda d: dt.date(2026, 11, 2) + dt.timedelta(days=d)),
)
def test_issued_is_said_of_every_invoice_but_a_draft(status: str, issued: dt.date) -> None:
    invoice = {"id": "INV-9", "amount": 100, "status": status, "issued": issued.isoformat()}
    view = client_view(_record(invoice), CONFIG, TODAY)
    said = [e.what for e in view.since_last if e.status == "invoice"]
    if status == "draft":
        assert said == []
    elif status == "void":  # issued, then withdrawn: not money owed
        assert said == ["invoice INV-9 issued, since void"]
    else:
        assert said == ["invoice INV-9 issued"]


def test_invoice_draft_is_not_said_to_be_issued(cli: Any, records_repo: Path) -> None:
    """``sortext invoice --draft`` said "invoice INV-... of 100 GBP issued <day>" of an
    invoice not issued yet: it says a draft, to be issued that day; a sent one is
    said issued, as before (its dry run word for word as its run)."""
    for flags, said in (
        (("--draft",), "draft invoice INV-2026-059 of 100 GBP to be issued 2026-11-20, due"),
        ((), "invoice INV-2026-060 of 100 GBP issued 2026-11-20, due"),
    ):
        args = ("invoice", "amara-okafor", "100", "--on", "2026-11-20", *flags)
        dry = cli(*args, "--dry-run", "--repo", str(records_repo))
        done = cli(*args, "--repo", str(records_repo))
        assert dry.exit_code == 0 and done.exit_code == 0, dry.output + done.output
        assert f"clients/amara-okafor.md: {said} " in done.output, done.output
        assert f"would be {said} " in dry.output, dry.output
        if flags:
            assert "GBP issued" not in done.output


def test_the_assistants_draft_preview_is_not_said_to_be_issued(records_repo: Path) -> None:
    from tests.test_mcp import calls, data

    draft, sent = calls(
        records_repo,
        ("preview_invoice", {"id": "amara-okafor", "amount": "10", "draft": True}),
        ("preview_invoice", {"id": "amara-okafor", "amount": "10", "on": "2026-11-20"}),
    )
    assert data(draft)["what"].startswith("draft invoice of 10 GBP to be issued ")
    assert data(sent)["what"] == "invoice of 10 GBP issued 2026-11-20"
