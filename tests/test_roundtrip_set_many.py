"""``RecordEditor.set_many`` changes many values in one edit, with the bytes, data,
notes and errors of one ``set`` per value.

Found with the calendar import's appends (tests/test_roundtrip_extend.py): a
calendar cancelling or moving the sessions it booked changed each one's status,
date, time and length with ``set``, which composes the front matter twice, splices
and reads it back: cancelling a twice-daily series (184 sessions of one client)
took 36 s.  These tests hold ``set_many`` to one ``set`` each on generated records
(block and flow sessions, quoted values, trailing comments, a null, LF, CRLF and
mixed line ends, a BOM) and changes (scalars over scalars, new keys, nulls,
mappings, the same value twice).
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.edit.roundtrip import EditRefused, RecordEditor

RECORD = (
    "---\n"
    "name: Ann Example\n"
    "stage: active   # since the renewal\n"
    "email: ann@example.com\n"
    "owner:\n"
    "billing: {rate: 120, currency: 'GBP'}\n"
    "sessions:\n"
    "  - date: 2026-12-07\n"
    "    time: '10:00'\n"
    "    minutes: 30\n"
    "    status: scheduled  # booked by the calendar\n"
    '    uid: "s@x/20261207T100000Z"\n'
    "  - {date: 2026-12-14, time: '10:00', minutes: 30, status: scheduled, uid: s@x/2}\n"
    "  - date: 2026-12-21\n"
    "    status: held\n"
    "    focus: |\n"
    "      Two lines\n"
    "      of focus\n"
    "---\n\nNotes.\n"
)

PATHS: list[tuple[str | int, ...]] = [
    ("stage",),
    ("email",),
    ("owner",),  # null: a set of its own
    ("billing", "rate"),
    ("billing", "currency"),
    ("billing", "per"),  # a new key
    ("next_action",),  # a new key
    ("sessions", 0, "date"),
    ("sessions", 0, "time"),
    ("sessions", 0, "minutes"),
    ("sessions", 0, "status"),
    ("sessions", 0, "uid"),
    ("sessions", 1, "date"),
    ("sessions", 1, "time"),
    ("sessions", 1, "status"),
    ("sessions", 1, "kind"),  # a new key in a flow mapping
    ("sessions", 2, "status"),
    ("sessions", 2, "focus"),  # a block scalar
    ("sessions", -1, "status"),  # the node of ("sessions", 2, "status") again
]
_VALUE = st.one_of(
    st.sampled_from(["cancelled", "scheduled", "held", "2026-12-08", "11:30", "GBP", ""]),
    st.integers(0, 500),
    st.booleans(),
    st.none(),
    st.text(alphabet=st.sampled_from(list("ab :#'\"-{}\n\u00e9")), max_size=8),
    st.just({"what": "Call", "owner": "me"}),
)
_CHANGES = st.lists(st.tuples(st.sampled_from(PATHS), _VALUE), max_size=10)


def _raw(endings: list[bool], bom: bool) -> bytes:
    """RECORD with each line ended by CRLF where ``endings`` says so (cycled)."""
    lines = RECORD.split("\n")
    text = "".join(
        line + ("\r\n" if endings and endings[i % len(endings)] else "\n")
        for i, line in enumerate(lines[:-1])
    )
    return (b"\xef\xbb\xbf" if bom else b"") + (text + lines[-1]).encode("utf-8")


def _one_by_one(raw: bytes, changes: list[tuple[Any, Any]]) -> Any:
    editor = RecordEditor(raw, "clients/ann.md")
    try:
        for path, value in changes:
            editor.set(path, value)
    except EditRefused as exc:
        return f"refused: {exc}"
    return editor


def _at_once(raw: bytes, changes: list[tuple[Any, Any]]) -> Any:
    editor = RecordEditor(raw, "clients/ann.md")
    try:
        editor.set_many(changes)
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
    assert new.stale_comments == old.stale_comments


@settings(max_examples=250, deadline=None)
@given(
    changes=_CHANGES,
    endings=st.lists(st.booleans(), max_size=7),
    bom=st.booleans(),
)
def test_property_set_many_is_one_set_per_value(
    changes: list[tuple[Any, Any]], endings: list[bool], bom: bool
) -> None:
    raw = _raw(endings, bom)
    _same(_one_by_one(raw, changes), _at_once(raw, changes))


def test_cancelling_every_session_is_the_bytes_of_one_set_each() -> None:
    sessions = "".join(
        f"  - {{date: 2026-12-{d:02d}, time: '09:00', minutes: 30, status: scheduled, "
        f"uid: d@x/{d}}}\n"
        for d in range(1, 29)
    )
    raw = f"---\nname: Ann\nstage: active\nsessions:\n{sessions}---\n\nNotes.\n".encode()
    changes: list[tuple[Any, Any]] = [(("sessions", i, "status"), "cancelled") for i in range(28)]
    changes += [(("sessions", 3, "time"), "10:15"), (("sessions", 3, "minutes"), 45)]
    old, new = _one_by_one(raw, changes), _at_once(raw, changes)
    assert not isinstance(new, str), new
    _same(old, new)
    assert new.result().count(b"cancelled") == 28


def test_a_comment_after_a_changed_value_is_noted_as_set_notes_it() -> None:
    raw = _raw([], False)
    changes: list[tuple[Any, Any]] = [
        (("stage",), "paused"),
        (("sessions", 0, "status"), "cancelled"),
        (("sessions", 0, "date"), "2026-12-08"),
    ]
    new = _at_once(raw, changes)
    _same(_one_by_one(raw, changes), new)
    assert [path for path, _, _ in new.stale_comments] == [("stage",), ("sessions", 0, "status")]
