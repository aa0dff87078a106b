"""The lines ``sortext history`` prints (:func:`sortext.views.historytext.history_lines`)
are the ones the command printed before they were built in one pass: each change made
into words by :meth:`FieldChange.describe`, each line made one (:func:`one_line`)."""

from __future__ import annotations

from typing import Any, get_args

from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.errors import one_line
from sortext.record.fielddiff import FieldChange
from sortext.vcs.history import EntryKind, HistoryEntry
from sortext.vcs.midnight import commit_day
from sortext.views.historytext import history_lines


def _as_before(entries: list[HistoryEntry], zone: str | None) -> str:
    """The command's loop as it was (commit 2006e1f, sortext/commands/history.py)."""
    lines = []
    for e in entries:
        if e.kind == "notes":
            what = f"notes {e.new}"
        elif e.kind in ("created", "deleted", "unparsable"):
            what = f"{e.kind} {e.new or e.old or ''}".rstrip()
            if e.kind == "unparsable":
                what = "front matter did not parse in this version (skipped)"
        elif e.kind == "renamed":
            what = f"renamed {e.old} -> {e.new}"
        elif e.kind in ("added", "removed", "changed"):
            what = FieldChange(e.field, e.old, e.new, e.kind).describe()
        else:
            what = f"{e.field}: {e.old} -> {e.new}"
        day = commit_day(e.date, zone)
        lines.append(one_line(f"{day}  {e.commit[:8]}  {e.author}  {what}") + "\n")
    return "".join(lines)


_TEXT = st.lists(
    st.sampled_from(["a", "Z", " ", "\n", "\r", "\r\n", "\t", "é", "->", "\u2028", "x" * 70]),
    max_size=6,
).map("".join)
_VALUE: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    _TEXT,
    st.integers(-(2**70), 2**70),
    st.booleans(),
    st.lists(_TEXT, max_size=3),
    st.dictionaries(_TEXT, _TEXT, max_size=2),
)
_ENTRY = st.builds(
    HistoryEntry,
    date=st.sampled_from(
        ["2026-11-02T23:30:00+01:00", "2026-03-29T01:30:00+00:00", "2026-11-02", "odd"]
    ),
    commit=st.text(alphabet="0123456789abcdef", min_size=40, max_size=40),
    author=_TEXT,
    field=_TEXT,
    old=_VALUE,
    new=_VALUE,
    kind=st.sampled_from([*get_args(EntryKind), "other"]),
)


@settings(max_examples=300, deadline=None)
@given(
    entries=st.lists(_ENTRY, max_size=8),
    zone=st.sampled_from([None, "Europe/London", "Pacific/Auckland"]),
)
def test_history_lines_are_the_lines_printed_before(
    entries: list[HistoryEntry], zone: str | None
) -> None:
    assert history_lines(entries, zone) == _as_before(entries, zone)


@settings(max_examples=300, deadline=None)
@given(path=_TEXT, old=_VALUE, new=_VALUE, kind=st.sampled_from(["added", "removed", "changed"]))
def test_describe_is_the_change_described(path: str, old: Any, new: Any, kind: Any) -> None:
    from sortext.record.fielddiff import describe

    assert describe(path, old, new, kind) == FieldChange(path, old, new, kind).describe()
