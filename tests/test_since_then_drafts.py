"""What happened since the last session (``show``'s "Since then", the client page)
says an invoice was issued only when it was: a draft's ``issued`` is the day it is
meant to go out, and ``show`` used to list "invoice INV-... issued" for it."""

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
    else:
        assert said == ["invoice INV-9 issued"]
