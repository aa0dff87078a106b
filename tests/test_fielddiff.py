"""Field-level diffs: identity-keyed lists, nested fields, notes summary."""

from __future__ import annotations

import json
from itertools import pairwise
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.record.fielddiff import (
    FieldChange,
    Labels,
    body_summary,
    diff_data,
    diff_rows,
    summarize,
)


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


# --- many versions compared in order (diff_rows with a memo) == each pair alone ---------

_SCORES = [1, 1.0, True, 2, "1", None]


@st.composite
def _version_chain(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Versions as history reads them: a list that did not change is the same object;
    one that grew keeps its item objects; others are copies, equal or not."""

    def item() -> Any:
        if draw(st.integers(0, 9)) == 0:
            return draw(st.sampled_from(["loose", {"kind": "no date"}, 3]))
        day = draw(st.sampled_from(["2026-11-01", "2026-11-02", "2026-11-03"]))
        return {"date": day, "kind": "coaching", "score": draw(st.sampled_from(_SCORES))}

    name = draw(st.sampled_from(["sessions", "invoices", "tags"]))
    current: list[Any] = [item() for _ in range(draw(st.integers(0, 3)))]
    versions = [{name: current, "stage": "active"}]
    for _ in range(draw(st.integers(1, 8))):
        step = draw(
            st.sampled_from(
                ["same", "grow", "grow", "copy", "copy and grow", "edit", "edit", "drop", "other"]
            )
        )
        if step == "grow":
            current = [*current, *[item() for _ in range(draw(st.integers(1, 2)))]]
        elif step in ("copy", "copy and grow"):  # equal items, new objects (1, 1.0, True)
            current = [
                {**i, "score": draw(st.sampled_from(_SCORES))} if isinstance(i, dict) else i
                for i in current
            ]
            if step == "copy and grow":
                current.append(item())
        elif step == "edit" and current:
            at = draw(st.integers(0, len(current) - 1))
            current = [*current[:at], item(), *current[at + 1 :]]
        elif step == "drop" and current:
            current = current[1:]
        versions.append(
            {"stage": draw(st.sampled_from(["active", "review"])), name: current}
            if step != "other"
            else {"stage": "active"}
        )
        if step == "other":
            versions[-1][name] = current
    if name == "invoices":
        for version in versions:
            version[name] = [
                {"id": i["date"], **i} if isinstance(i, dict) and "date" in i else i
                for i in version[name]
            ]
    return versions


@settings(max_examples=400, deadline=None)
@given(_version_chain())
def test_rows_with_a_memo_are_each_pair_s_diff(versions: list[dict[str, Any]]) -> None:
    memo: Labels = {}
    for old, new in pairwise(versions):
        rows = diff_rows(old, new, memo)
        alone = [(c.path, c.old, c.new, c.kind) for c in diff_data(old, new)]
        assert json.dumps(rows) == json.dumps(alone)  # 1, 1.0 and True told apart


def test_a_grown_list_is_labelled_from_the_last_labels() -> None:
    first = [{"date": "2026-11-01"}, {"date": "2026-11-01"}]
    grown = [*first, {"date": "2026-11-01"}]
    memo: Labels = {}
    diff_rows({"sessions": []}, {"sessions": first}, memo)
    assert diff_rows({"sessions": first}, {"sessions": grown}, memo) == [
        ("sessions[2026-11-01#3]", None, {"date": "2026-11-01"}, "added")
    ]
    assert memo["sessions"][0] is grown


def _lines_changed(old: str, new: str) -> tuple[int, int]:
    """body_change as the sequence matcher alone counts it (the reference)."""
    import difflib

    added = removed = 0
    matcher = difflib.SequenceMatcher(None, old.splitlines(), new.splitlines(), autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            removed += i2 - i1
        if tag in ("replace", "insert"):
            added += j2 - j1
    return added, removed


_NOTE_TEXT = st.lists(
    st.sampled_from(["a", "b", "\n", "\r", "\r\n", "\x0b", "\x1c", "\x85", "\u2028", "x y"]),
    max_size=8,
).map("".join)


@settings(max_examples=600, deadline=None)
@given(_NOTE_TEXT, _NOTE_TEXT)
def test_notes_added_at_the_end_count_as_the_matcher_counts(head: str, tail: str) -> None:
    from sortext.record.fielddiff import body_change

    for old, new in ((head, head + tail), (head + "\n", head + "\n" + tail), (head, tail)):
        assert body_change(old, new) == _lines_changed(old, new)
