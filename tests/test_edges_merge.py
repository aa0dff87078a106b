"""Issue 13, item 9: notes written on two machines merge."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.check.conflicts import has_markers, resolve
from sortext.errors import UsageError
from sortext.vcs.merge import merge_files

FRONT = "---\nname: Tom Berg\nstage: active\n---\n"
BASE = "# Tom Berg\n\nStarted in October.\n\n## 2026-11-20 Kick-off\n\nGoals set.\n"


def section(day: str, text: str) -> str:
    return f"\n## {day} Session\n\n{text}\n"


def test_sessions_logged_on_two_laptops_merge_in_date_order() -> None:
    ours = BASE + section("2026-11-27", "Laptop A write-up.")
    theirs = BASE + section("2026-11-26", "Laptop B write-up.")
    result = merge_files(
        (FRONT + BASE).encode(), (FRONT + ours).encode(), (FRONT + theirs).encode()
    )
    assert result.clean
    body = result.text.split("---\n", 2)[2]
    assert body.index("Laptop B") < body.index("Laptop A")
    assert body.startswith(BASE)
    assert body.count("## 2026-11-2") == 3


def test_notes_changed_in_the_middle_still_conflict_and_take_both_keeps_both() -> None:
    ours = BASE.replace("Goals set.", "Goals set: three.")
    theirs = BASE.replace("Goals set.", "Goals set: two.")
    result = merge_files(
        (FRONT + BASE).encode(), (FRONT + ours).encode(), (FRONT + theirs).encode()
    )
    assert result.notes_conflicts == 1
    settled = resolve(result.text, "tom-berg", "notes", "both")
    assert not has_markers(settled)
    assert "Goals set: three." in settled and "Goals set: two." in settled
    assert settled.index("three") < settled.index("two")


def test_take_both_is_for_notes_only() -> None:
    text = (
        FRONT.replace(
            "stage: active", "<<<<<<< ours\nstage: active\n=======\nstage: paused\n>>>>>>> theirs"
        )
        + BASE
    )
    with pytest.raises(UsageError, match="keeps both sides of the notes"):
        resolve(text, "tom-berg", "stage", "both")


days = st.dates(min_value=dt.date(2026, 11, 21), max_value=dt.date(2027, 3, 1))


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None, max_examples=40)
@given(st.lists(st.tuples(days, st.booleans()), min_size=1, max_size=6, unique_by=lambda t: t[0]))
def test_any_appended_sections_merge_as_a_dated_union(entries: list[tuple[object, bool]]) -> None:
    """Sections appended on either side, in any order of dates: each kept once, dates ascending."""
    ours, theirs = BASE, BASE
    for day, mine in entries:
        chunk = section(str(day), f"note of {day}")
        if mine:
            ours += chunk
        else:
            theirs += chunk
    result = merge_files(
        (FRONT + BASE).encode(), (FRONT + ours).encode(), (FRONT + theirs).encode()
    )
    assert result.clean
    body = result.text.split("---\n", 2)[2]
    found = [line[3:13] for line in body.splitlines() if line.startswith("## ")]
    if all(mine for _, mine in entries) or not any(mine for _, mine in entries):
        assert body == (ours if ours != BASE else theirs)  # one side changed: taken as is
        return
    wanted = sorted([str(d) for d, _ in entries] + ["2026-11-20"])
    assert found == wanted
    for day, _ in entries:
        assert body.count(f"note of {day}") == 1
