"""The typed record view: built from any parsed data without raising, faithful to
valid data, read-only."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.check.load import load_record
from sortext.record.model import Blocker, Invoice, RecordView, Session
from sortext.repo import open_repository
from sortext.schema.validate import RecordValidator

PROJECT = Path(__file__).resolve().parent.parent

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)
FIELDS = [
    "id",
    "name",
    "stage",
    "owner",
    "next_action",
    "blockers",
    "dates",
    "billing",
    "invoices",
    "goals",
    "measurements",
    "sessions",
    "consent",
    "links",
    "tags",
    "custom",
]
# Front matter the schema would reject: any key, any JSON value, nested.
any_data = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=5), json_values, max_size=8)
SECTIONS = (
    "next_action",
    "blockers",
    "dates",
    "billing",
    "invoices",
    "goals",
    "measurements",
    "sessions",
    "consent",
    "links",
    "tags",
    "extra",
)


def _check_types(value: Any, hints: dict[str, str]) -> None:
    """Every str-typed field of a section item is a str or None, every number a float."""
    for name, hint in hints.items():
        got = getattr(value, name)
        if hint == "str | None":
            assert got is None or isinstance(got, str), (name, got)
        elif hint == "Number | None":
            assert got is None or type(got) in (int, float), (name, got)


@settings(max_examples=300, deadline=None)
@given(any_data)
def test_any_parsed_data_gives_a_view_of_the_declared_types(data: dict[str, Any]) -> None:
    view = RecordView.from_data(data)
    for section in SECTIONS:
        getattr(view, section)  # never raises
    for inv in view.invoices:
        _check_types(inv, Invoice.__annotations__)
    for s in view.sessions:
        _check_types(s, Session.__annotations__)
        assert isinstance(s.review, bool)
        assert all(isinstance(c, str) for c in s.commitments)
    for b in view.blockers:
        _check_types(b, Blocker.__annotations__)
    for field in dataclasses.fields(view.billing):
        if field.name == "rate":
            assert view.billing.rate is None or type(view.billing.rate) in (int, float)
    assert all(isinstance(t, str) for t in view.tags)
    assert view.stage is None or isinstance(view.stage, str)
    assert set(view.extra) == {k for k in data if k not in _KNOWN}


_KNOWN = set(FIELDS) - {"custom"} | {"email", "phone", "company"}


@pytest.mark.parametrize("path", sorted((PROJECT / "clients").glob("*.md")), ids=lambda p: p.stem)
def test_a_valid_record_reads_as_its_file_says(path: Path) -> None:
    repo = open_repository(PROJECT)
    loaded = load_record(str(path), f"clients/{path.name}", RecordValidator(repo.config))
    assert loaded.record is not None
    data, view = loaded.record.data, loaded.record.view
    assert view is loaded.record.view  # built once
    assert (view.id, view.name, view.stage, view.owner) == (
        data["id"],
        data["name"],
        data["stage"],
        data.get("owner"),
    )
    assert view.next_action.what == data.get("next_action", {}).get("what")
    assert view.next_action.due == data.get("next_action", {}).get("due")
    assert [s.date for s in view.sessions] == [s["date"] for s in data.get("sessions", [])]
    assert [s.status for s in view.sessions] == [s.get("status") for s in data.get("sessions", [])]
    assert [(i.id, i.amount, i.status, i.due) for i in view.invoices] == [
        (i.get("id"), i["amount"], i.get("status"), i.get("due")) for i in data.get("invoices", [])
    ]
    assert [g.id for g in view.goals] == [g["id"] for g in data.get("goals", [])]
    assert [(m.goal, m.value) for m in view.measurements] == [
        (m["goal"], m["value"]) for m in data.get("measurements", [])
    ]
    assert view.billing.currency == data.get("billing", {}).get("currency")
    assert view.dates.started == data.get("dates", {}).get("started")
    assert view.consent.retain_until == data.get("consent", {}).get("retain_until")
    assert view.tags == tuple(data.get("tags", []))


def test_custom_fields_are_kept_read_only() -> None:
    view = RecordView.from_data(
        {"id": "x", "name": "X", "stage": "active", "referral": "friend", "nps": 9}
    )
    assert dict(view.extra) == {"referral": "friend", "nps": 9}
    with pytest.raises(TypeError):
        view.extra["nps"] = 10  # type: ignore[index]


def test_the_view_cannot_be_changed() -> None:
    view = RecordView.from_data(
        {"id": "x", "stage": "active", "sessions": [{"date": "2026-03-01", "status": "held"}]}
    )
    with pytest.raises(AttributeError):
        view.stage = "lost"
    with pytest.raises(AttributeError):
        view.sessions[0].status = "no-show"  # type: ignore[misc]
    with pytest.raises(TypeError):
        view.sessions[0].values["status"] = "no-show"  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        view.billing.plan = "free"  # type: ignore[misc]


def test_wrong_types_read_as_missing_not_as_errors() -> None:
    """What the schema rejects is left out here (``sortext check`` reports it)."""
    view = RecordView.from_data(
        {
            "stage": 3,
            "sessions": ["2026-03-01", {"date": 20260301, "status": "held", "review": "yes"}],
            "invoices": {"not": "a list"},
            "billing": {"rate": True, "currency": ["GBP"]},
            "blockers": ["waiting on the contract", {"what": 5}, 7],
        }
    )
    assert view.stage is None
    assert view.sessions == (Session(status="held", values=view.sessions[0].values),)
    assert view.sessions[0].review is False
    assert view.invoices == ()
    assert (view.billing.rate, view.billing.currency) == (None, None)
    assert [b[:4] for b in view.blockers] == [
        ("waiting on the contract", None, None, False),
        (None, None, None, True),
    ]
    assert dict(view.blockers[1].values) == {"what": 5}
