"""A ``stage:`` line in a record's notes is not its stage: the stage-facts scan
(``git log -p -U0``) counts only ``stage:`` lines written into the front matter."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.repo import open_repository
from sortext.vcs.stagefacts import in_front_matter, stage_facts
from tests.conftest import PROJECT_ROOT, git

STAGES = ["inquiry", "discovery", "active", "review"]


def _repo(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "sortext.yaml").write_bytes(
        (PROJECT_ROOT / "sortext/skeleton/sortext.yaml").read_bytes()
    )
    (root / "clients").mkdir()
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "config", "user.email", "t@sortext.invalid")
    git(root, "config", "user.name", "T")
    return root


def _commit(root: Path, day: dt.date) -> None:
    when = f"{day.isoformat()}T12:00:00+00:00"
    env = {**os.environ, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(
        ["git", "commit", "-q", "--allow-empty", "-m", "step"], cwd=root, check=True, env=env
    )


def _text(stage: str, notes: list[str], crlf: bool) -> bytes:
    nl = "\r\n" if crlf else "\n"
    lines = ["---", "name: Ada", f"stage: {stage}", "owner: me", "---", "", "# Ada", *notes, ""]
    return nl.join(lines).encode()


PLAN = st.lists(
    st.tuples(
        st.sampled_from(["stage", "note", "note-stage", "unnote", "crlf", "other"]),
        st.sampled_from(STAGES),
    ),
    min_size=1,
    max_size=10,
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=PLAN, new_file_with_notes=st.booleans())
def test_a_stage_line_in_the_notes_never_counts(
    tmp_path_factory: pytest.TempPathFactory,
    plan: list[tuple[str, str]],
    new_file_with_notes: bool,
) -> None:
    """Two histories alike but for the notes lines that read ``stage: X`` (in one)
    or ``stagex: X`` (in the other) give the same facts; and the stage since is the
    day of the last commit that changed the stage in the front matter."""
    base = tmp_path_factory.mktemp("notes")
    roots = [_repo(base / "with"), _repo(base / "without")]
    day = dt.date(2026, 1, 1)
    stage = "inquiry"
    notes = ["stage: review"] if new_file_with_notes else []  # a new file's notes too
    crlf = False
    since = day
    for n, root in enumerate(roots):
        written = [line if n == 0 else line.replace("stage:", "stagex:") for line in notes]
        (root / "clients" / "ada.md").write_bytes(_text(stage, written, crlf))
        _commit(root, day)
    for what, value in plan:
        day += dt.timedelta(days=1)
        if what == "stage":
            value = next(s for s in STAGES[STAGES.index(value) :] + STAGES if s != stage)
            stage, since = value, day
        elif what == "note":
            notes = [*notes, f"Talked on {day}."]
        elif what == "note-stage":
            notes = [*notes, f"stage: {value}"]
        elif what == "unnote" and notes:
            notes = notes[:-1]
        elif what == "crlf":
            crlf = not crlf  # every line rewritten, the stage kept: not a stage change
        for n, root in enumerate(roots):
            written = [line if n == 0 else line.replace("stage:", "stagex:") for line in notes]
            (root / "clients" / "ada.md").write_bytes(_text(stage, written, crlf))
            _commit(root, day)
    facts = [stage_facts(open_repository(root), use_cache=False)["ada"] for root in roots]
    assert facts[0] == facts[1]
    assert (facts[0].stage, facts[0].stage_since) == (stage, since)
    cached = stage_facts(open_repository(roots[0]))  # through the saved scan: the same
    assert cached["ada"] == facts[0]


def test_the_watcher_step_ignores_a_notes_stage_line(tmp_path: Path) -> None:
    """The one-commit step (the saved facts moved forward) reads the same way."""
    root = _repo(tmp_path / "r")
    record = root / "clients" / "ada.md"
    record.write_bytes(_text("inquiry", [], False))
    _commit(root, dt.date(2026, 1, 1))
    repo = open_repository(root)
    assert stage_facts(repo)["ada"].stage_since == dt.date(2026, 1, 1)
    record.write_bytes(_text("inquiry", ["stage: review"], False))
    _commit(root, dt.date(2026, 1, 5))
    step = stage_facts(repo)["ada"]
    assert (step.stage, step.stage_since, step.last_touched) == (
        "inquiry",
        dt.date(2026, 1, 1),
        dt.date(2026, 1, 5),
    )
    assert step == stage_facts(repo, use_cache=False)["ada"]


@pytest.mark.parametrize(
    ("text", "line", "inside"),
    [
        ("---\nstage: a\n---\nstage: b\n", 2, True),
        ("---\nstage: a\n---\nstage: b\n", 4, False),
        ("\ufeff---\r\nstage: a\r\n---\r\n", 2, True),
        ("---\nname: x\n...\nstage: b\n", 4, False),
        ("---  \nstage: a\n---\t\n", 2, True),
        ("no front matter\nstage: b\n", 2, False),
        ("---\nstage: a\n", 2, True),  # not closed: the reader refuses it; a stage line still
    ],
)
def test_in_front_matter(text: str, line: int, inside: bool) -> None:
    assert in_front_matter(text, line) is inside
    assert in_front_matter(text.encode(), line) is inside
