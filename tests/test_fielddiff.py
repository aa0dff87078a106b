"""Field-level diffs: identity-keyed lists, nested fields, notes summary."""

from __future__ import annotations

from sortext.record.fielddiff import FieldChange, body_summary, diff_data, summarize


def test_scalar_and_nested_changes() -> None:
    old = {"stage": "proposal", "next_action": {"what": "Call", "due": "2026-11-20"}}
    new = {"stage": "active", "next_action": {"what": "Call", "due": "2026-11-27"}}
    assert diff_data(old, new) == [
        FieldChange("stage", "proposal", "active", "changed"),
        FieldChange("next_action.due", "2026-11-20", "2026-11-27", "changed"),
    ]


def test_sessions_compared_by_date_not_position() -> None:
    s1 = {"date": "2026-10-01", "status": "held"}
    s2 = {"date": "2026-10-08", "status": "held"}
    new_session = {"date": "2026-09-24", "status": "held"}
    changes = diff_data({"sessions": [s1, s2]}, {"sessions": [new_session, s1, s2]})
    assert changes == [FieldChange("sessions[2026-09-24]", None, new_session, "added")]


def test_invoice_status_change_names_the_invoice() -> None:
    old = {"invoices": [{"id": "INV-7", "amount": 10, "status": "sent"}]}
    new = {"invoices": [{"id": "INV-7", "amount": 10, "status": "paid"}]}
    assert [c.describe() for c in diff_data(old, new)] == ["invoices[INV-7].status sent -> paid"]


def test_created_and_deleted_records() -> None:
    assert diff_data(None, {"name": "A"}) == [FieldChange("name", None, "A", "added")]
    assert diff_data({"name": "A"}, None) == [FieldChange("name", "A", None, "removed")]


def test_summary_line() -> None:
    changes = diff_data({"stage": "proposal"}, {"stage": "active"})
    notes = body_summary("a\nb\n", "a\nb\nc\nd\n")
    assert (
        summarize("jane-doe", changes, notes)
        == "jane-doe: stage proposal -> active; notes +2 lines"
    )
    assert body_summary("same", "same") == ""
    assert body_summary("a\nb", "a\nc") == "notes +1 -1 lines"
