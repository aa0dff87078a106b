"""``RecordEditor.extend`` appends many items in one edit, with the bytes, data and
errors of one ``append`` per item.

Found in a break round: a calendar import appended each session to its client's
record with ``append``, which composes the whole front matter, splices and reads it
back: N sessions into one client cost O(N x the record) (184 sessions of one
``FREQ=DAILY;BYHOUR=9,17`` series took 12-24 s).  ``extend`` composes once, splices
once and reads back once; these tests hold it to the one-by-one appends on generated
lists (block or flow, mappings written in block or flow style, odd dash gaps,
comments, CRLF, a BOM) and items (mappings of text needing quotes, empty ones,
scalars, mappings with a nested block), and on a record the items overflow.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.edit.roundtrip import EditRefused, RecordEditor

HEAD = "name: Ann Example\nstage: active\nemail: ann@example.com\n"

#: the sessions list as a record may hold it (text after ``sessions:``)
LISTS = [
    "",  # no list at all
    "sessions:\n",
    "sessions: []\n",
    "sessions:\n  - date: 2026-01-05\n    status: held\n",
    "sessions:\n- date: 2026-01-05\n  status: held  # first\n",
    "sessions:\n  -   date: 2026-01-05\n      status: held\n",
    "sessions:\n  - {date: 2026-01-05, status: held}\n  - {date: 2026-01-12, status: held}\n",
    "sessions:\n  - {date: 2026-01-05, status: held}  # trailing\n  # a comment line\n",
    "sessions:\n  -\n    date: 2026-01-05\n    status: held\n",
    "sessions:\n  - plain text\n",
    "sessions: [{date: 2026-01-05, status: held}]\n",
    "sessions: [\n    {date: 2026-01-05, status: held},\n    {date: 2026-01-12}\n  ]\n",
    "sessions:\n  - date: 2026-01-05\n    commitments:\n      - one\n      - two\n",
]
AFTER = ["", "notes_count: 2\n", "# closing comment\n", "billing:\n  rate: 120\n"]

_TEXT = st.text(
    alphabet=st.sampled_from(list("abc XYZ:#'\"-{}[],&*!|>%@`\u00e9\u4e2d\n\t")),
    min_size=0,
    max_size=12,
)
_SCALAR = st.one_of(
    _TEXT, st.integers(-5, 500), st.booleans(), st.none(), st.sampled_from(["10:00", "2026-12-14"])
)
_FLAT: st.SearchStrategy[dict[str, Any]] = st.dictionaries(
    st.sampled_from(["date", "time", "minutes", "status", "focus", "uid", "kind"]),
    st.one_of(_SCALAR, st.lists(_SCALAR, max_size=3), st.just({}), st.just([])),
    max_size=6,
)
_NESTED = st.fixed_dictionaries(
    {"date": st.just("2026-12-14"), "review": st.dictionaries(st.just("score"), _SCALAR)}
) | st.fixed_dictionaries({"uid": _TEXT, "steps": st.lists(_FLAT, min_size=1, max_size=2)})
_ITEMS = st.lists(
    st.one_of(_FLAT, _FLAT, _FLAT, _SCALAR, _NESTED, st.lists(_SCALAR, max_size=2)),
    min_size=0,
    max_size=12,
)


def _record(listed: str, after: str, crlf: bool, bom: bool) -> bytes:
    text = f"---\n{HEAD}{listed}{after}---\n\nNotes.\n"
    if crlf:
        text = text.replace("\n", "\r\n")
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def one_by_one(raw: bytes, path: tuple[str | int, ...], items: list[Any]) -> Any:
    """The old path: one ``append`` per item; the editor, or the error's text."""
    editor = RecordEditor(raw, "clients/ann.md")
    try:
        for item in items:
            editor.append(path, item)
    except EditRefused as exc:
        return f"refused: {exc}"
    return editor


def at_once(raw: bytes, path: tuple[str | int, ...], items: list[Any]) -> Any:
    editor = RecordEditor(raw, "clients/ann.md")
    try:
        editor.extend(path, items)
    except EditRefused as exc:
        return f"refused: {exc}"
    return editor


def _same(old: Any, new: Any) -> None:
    if isinstance(old, str) or isinstance(new, str):
        assert new == old
        return
    assert new.result() == old.result()
    assert new.data == old.data
    assert new.changed_paths == old.changed_paths


@settings(max_examples=150, deadline=None)
@given(
    listed=st.sampled_from(LISTS),
    after=st.sampled_from(AFTER),
    crlf=st.booleans(),
    bom=st.booleans(),
    items=_ITEMS,
)
def test_property_extend_is_one_append_per_item(
    listed: str, after: str, crlf: bool, bom: bool, items: list[Any]
) -> None:
    raw = _record(listed, after, crlf, bom)
    _same(one_by_one(raw, ("sessions",), items), at_once(raw, ("sessions",), items))


@pytest.mark.parametrize("listed", LISTS)
def test_many_sessions_in_each_layout_are_the_bytes_of_one_append_each(listed: str) -> None:
    items = [
        {"date": f"2026-12-{d:02d}", "time": "09:00", "minutes": 30, "status": "scheduled"}
        | {"focus": "Daily: plan #1", "uid": f"d@x/202612{d:02d}T090000Z"}
        for d in range(1, 29)
    ]
    raw = _record(listed, "billing:\n  rate: 120\n", False, False)
    old, new = one_by_one(raw, ("sessions",), items), at_once(raw, ("sessions",), items)
    assert not isinstance(new, str), new
    _same(old, new)


def test_a_list_that_is_not_one_is_refused_as_append_refuses_it() -> None:
    raw = _record("sessions: 3\n", "", False, False)
    old, new = one_by_one(raw, ("sessions",), [{"a": 1}]), at_once(raw, ("sessions",), [{"a": 1}])
    assert isinstance(new, str) and new == old


def test_items_past_the_front_matter_limit_stop_at_the_item_append_stops_at() -> None:
    """300 sessions of ~300 bytes overflow the 64 KiB front matter: the error is the
    one the one-by-one appends stop with (the editor finds the item by halving)."""
    items = [
        {"date": "2026-12-14", "status": "scheduled", "focus": "x" * 250, "uid": f"u{n}"}
        for n in range(300)
    ]
    raw = _record(LISTS[3], "", False, False)
    old, new = one_by_one(raw, ("sessions",), items), at_once(raw, ("sessions",), items)
    assert isinstance(old, str) and "64 KiB" in old
    assert new == old


def test_the_items_before_the_limit_all_go_in() -> None:
    """Just under the limit: every item in, the same bytes as one append each."""
    items = [
        {"date": "2026-12-14", "status": "scheduled", "focus": "y" * 100, "uid": f"u{n}"}
        for n in range(400)
    ]
    raw = _record(LISTS[6], "", True, False)
    old = one_by_one(raw, ("sessions",), items)
    new = at_once(raw, ("sessions",), items)
    if isinstance(old, str):  # (the limit fell inside: then both stop at the same item)
        assert new == old
    else:
        _same(old, new)
