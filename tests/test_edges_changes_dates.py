"""`changes` dates each change by the commit that made it (issue 13, item 8).

A stage move made on 10-21 and an unrelated edit on 11-26 used to print the
move as ``[2026-11-26]`` (the last commit touching the record)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable
from pathlib import Path

from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.repo import open_repository
from sortext.vcs.changes import changes_since
from tests.conftest import PROJECT_ROOT, git
from tests.dated import AMARA, commit_at, replace

TODAY = dt.date(2026, 11, 30)


def _base(root: Path) -> None:
    root.mkdir()
    shutil.copy(PROJECT_ROOT / "sortext.yaml", root / "sortext.yaml")
    (root / "clients").mkdir()
    shutil.copy(PROJECT_ROOT / AMARA, root / AMARA)
    git(root, "init", "--quiet", "--initial-branch=main")
    commit_at(root, "2026-09-01", "samples")


def test_stage_move_is_dated_by_its_own_commit(tmp_path: Path, cli: Callable[..., Result]) -> None:
    root = tmp_path / "r"
    _base(root)
    replace(root / AMARA, r"^stage: active", "stage: review")
    commit_at(root, "2026-10-21", "amara to review", author="Sam Ortiz")
    replace(root / AMARA, r"^  due: 2026-11-19.*$", "  due: 2026-11-26")
    commit_at(root, "2026-11-26", "move the next action")
    report = changes_since(open_repository(root), dt.date(2026, 10, 1), TODAY)
    dates = {c.kind: (c.when, c.author) for c in report.changes}
    assert dates["stage_moved"] == ("2026-10-21", "Sam Ortiz")
    assert dates["next_action_moved"] == ("2026-11-26", "Maya Lind")
    result = cli(
        "changes",
        "--since",
        "2026-10-01",
        "--today",
        "2026-11-30",
        "--json",
        "--repo",
        str(root),
    )
    data = json.loads(result.output)
    moved = next(c for c in data["changes"] if c["kind"] == "stage_moved")
    assert moved["when"] == "2026-10-21"


def test_rename_between_move_and_later_edit_keeps_the_date(tmp_path: Path) -> None:
    root = tmp_path / "r"
    _base(root)
    replace(root / AMARA, r"^stage: active", "stage: review")
    commit_at(root, "2026-10-21", "amara to review")
    git(root, "mv", AMARA, "clients/amara-okafor-smith.md")
    commit_at(root, "2026-11-10", "rename")
    replace(root / "clients/amara-okafor-smith.md", r"^  due: 2026-11-19.*$", "  due: 2026-11-26")
    commit_at(root, "2026-11-26", "later edit")
    report = changes_since(open_repository(root), dt.date(2026, 10, 1), TODAY)
    dates = {c.kind: c.when for c in report.changes}
    assert dates["stage_moved"] == "2026-10-21"


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    move_day=st.integers(min_value=2, max_value=20),
    edits=st.lists(st.integers(min_value=1, max_value=9), min_size=0, max_size=3),
)
def test_property_stage_move_date_ignores_later_edits(
    tmp_path_factory: object, move_day: int, edits: list[int]
) -> None:
    """Any number of unrelated later edits: the move keeps its own date."""
    base = tmp_path_factory.mktemp("p")  # type: ignore[attr-defined]
    root = base / "r"
    _base(root)
    replace(root / AMARA, r"^stage: active", "stage: review")
    commit_at(root, f"2026-10-{move_day:02d}", "move")
    day = move_day
    for n, gap in enumerate(edits):
        day = min(day + gap, 28)
        with (root / AMARA).open("a", encoding="utf-8") as fh:
            fh.write(f"\nedit {n}\n")
        commit_at(root, f"2026-10-{day:02d}", f"edit {n}")
    report = changes_since(open_repository(root), dt.date(2026, 10, 1), TODAY)
    moved = [c for c in report.changes if c.kind == "stage_moved"]
    assert [c.when for c in moved] == [f"2026-10-{move_day:02d}"]
