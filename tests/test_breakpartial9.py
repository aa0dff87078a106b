"""Break-test of the incremental paths of a build (breakpartial9).

The oracle: after any sequence of edits, builds and queries, every page (NEXT.md,
site/**) and every query's output equal what a build from scratch (the index, the
pages and NEXT.md removed) gives for the same records, ``--today`` and configuration.
The existing equivalence tests hold a build to the same build with its summary key
dropped (the index kept): that misses what the index itself keeps wrong (the day
counts, the money totals, the memo, the weekly caches).  Here the other side is a
copy of the repository built cold.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sortext.pages.build as build_module
from sortext.cli import main
from sortext.pages.build import build
from sortext.repo import open_repository
from tests.conftest import SAMPLE_TODAY, git, sample_records
from tests.test_summary_key import _drop_key

TODAY = dt.date.fromisoformat(SAMPLE_TODAY)
DERIVED = (".sortext", "site", "NEXT.md")
OWNERS = ("maya", "theo", "zoe", "", "Maya")
CURRENCIES = ("GBP", "EUR", "USD")
# Stages no requirement of the sample configuration makes an error (an error keeps the
# record's last valid version in the index, which a cold build cannot know).
STAGES = ("inquiry", "discovery", "proposal", "paused", "lost")


def _pages(root: Path) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    if (root / "NEXT.md").is_file():
        found["NEXT.md"] = (root / "NEXT.md").read_bytes()
    site = root / "site"
    for folder, _, files in os.walk(site):
        for name in files:
            path = Path(folder) / name
            found[path.relative_to(root).as_posix()] = path.read_bytes()
    return found


QUESTIONS = (
    ("next",),
    ("list",),
    ("list", "--at-risk"),
    ("list", "--json"),
    ("agenda", "--week"),
    ("money",),
)


def _ask(root: Path, today: dt.date, question: tuple[str, ...]) -> tuple[int, str]:
    done = CliRunner().invoke(
        main, [*question, "--today", today.isoformat(), "--repo", str(root)], catch_exceptions=False
    )
    return done.exit_code, done.output


def _cold(root: Path, tmp: Path) -> Path:
    """A copy of ``root`` without anything derived, built from scratch."""
    other = tmp / "cold"
    if other.exists():
        shutil.rmtree(other)
    shutil.copytree(root, other, symlinks=True, ignore=shutil.ignore_patterns(*DERIVED))
    return other


def _same_as_cold(root: Path, tmp: Path, today: dt.date, questions: bool = False) -> None:
    """The pages (and the questions' answers) equal a cold build's of a copy; while a
    record has errors (its last valid version is shown, which only this index knows)
    they equal the same index rendered again with the summary key dropped."""
    other = _cold(root, tmp)
    cold = build(open_repository(other), today)
    if cold.errors:
        warm = tmp / "warm"
        if warm.exists():
            shutil.rmtree(warm)
        shutil.copytree(root, warm, symlinks=True)
        before = _pages(warm)
        _drop_key(warm)
        build(open_repository(warm), today)
        assert _pages(warm) == before
        return
    assert _pages(root) == _pages(other)
    if questions:
        for question in QUESTIONS:
            assert _ask(root, today, question) == _ask(other, today, question), question


# --- edits ------------------------------------------------------------------------------


def _clients(root: Path) -> list[Path]:
    return sorted((root / "clients").glob("*.md"))


def _front_end(text: str) -> int:
    """Offset of the closing front matter fence."""
    return text.index("\n---\n", 4) + 1


def _set_top(text: str, field: str, value: str | None) -> str:
    pattern = rf"(?m)^{field}:.*\n"
    if value is None:
        return re.sub(pattern, "", text, count=1)
    if re.search(pattern, text):
        return re.sub(pattern, f"{field}: {value}\n", text, count=1)
    end = _front_end(text)
    return text[:end] + f"{field}: {value}\n" + text[end:]


def _set_action(text: str, owner: str | None, due: dt.date | None) -> str:
    match = re.search(r"(?m)^next_action:\n((?:  .*\n)*)", text)
    if match is None:
        end = _front_end(text)
        text = text[:end] + "next_action:\n  what: Call back\n" + text[end:]
        match = re.search(r"(?m)^next_action:\n((?:  .*\n)*)", text)
        assert match is not None
    body = match.group(1)
    if owner is not None:
        body = re.sub(r"(?m)^  owner:.*\n", "", body)
        if owner:
            body += f"  owner: {owner}\n"
    if due is not None:
        body = re.sub(r"(?m)^  due:.*\n", "", body) + f"  due: {due.isoformat()}\n"
    return text[: match.start(1)] + body + text[match.end(1) :]


def _set_invoice(text: str, state: int, n: int) -> str:
    """A test invoice T-INV-<n>: none (0), or in one of the currencies, paid or not."""
    text = re.sub(r"(?m)^  - \{id: T-INV-.*\n", "", text)
    if state == 0:
        return text
    currency = CURRENCIES[state % len(CURRENCIES)]
    paid = state % 2 == 0
    line = (
        f"  - {{id: T-INV-{n}, amount: {100 + state}, currency: {currency}, "
        f"status: {'paid' if paid else 'sent'}, issued: 2026-11-02, due: 2026-11-16"
        + (", paid_on: 2026-11-10}" if paid else "}")
        + "\n"
    )
    match = re.search(r"(?m)^invoices:\n", text)
    if match is None:
        end = _front_end(text)
        return text[:end] + "invoices:\n" + line + text[end:]
    return text[: match.end()] + line + text[match.end() :]


def _filler(root: Path, n: int, due: dt.date) -> Path:
    path = root / "clients" / f"filler-{n}.md"
    path.write_text(
        "---\n"
        f"name: Filler Client {n}\n"
        "stage: inquiry\n"
        "owner: maya\n"
        "next_action:\n"
        f"  what: Reply to filler {n}\n"
        "  owner: maya\n"
        f"  due: {due.isoformat()}\n"
        "dates:\n"
        "  first_contact: 2026-11-20\n"
        "---\n\nNotes.\n"
    )
    return path


EDITS = (
    "due",
    "owner",
    "action owner",
    "invoice",
    "stage",
    "break",
    "unbreak",
    "rename",
    "delete",
    "restore",
    "note",
    "new",
    "same id rename",
    "dup id",
    "drop id",
    "consent",
    "session",
)

edit = st.tuples(
    st.sampled_from(EDITS),
    st.integers(min_value=0, max_value=40),
    st.integers(min_value=-4, max_value=9),
)


def _apply(root: Path, today: dt.date, kind: str, which: int, arg: int) -> list[Path]:
    """Make one edit; returns the record files it touched (for a told build)."""
    files = _clients(root)
    if kind == "restore":
        gone = sorted(
            set(git(root, "ls-files", "clients").split()) - {f"clients/{p.name}" for p in files}
        )
        if not gone:
            return []
        rel = gone[which % len(gone)]
        git(root, "checkout", "--", rel)
        return [root / rel]
    if kind == "new":
        return [_filler(root, 100 + which, today + dt.timedelta(days=arg % 7))]
    if not files:
        return []
    path = files[which % len(files)]
    text = path.read_text()
    if kind == "due":
        text = _set_action(text, None, today + dt.timedelta(days=arg))
    elif kind == "owner":
        owner = OWNERS[arg % len(OWNERS)]
        text = _set_top(text, "owner", owner or None)
    elif kind == "action owner":
        text = _set_action(text, OWNERS[arg % len(OWNERS)], None)
    elif kind == "invoice":
        text = _set_invoice(text, arg % 7, which)
    elif kind == "stage":
        text = _set_top(text, "stage", STAGES[arg % len(STAGES)])
    elif kind == "break":
        end = _front_end(text)
        text = text[:end] + "broken: [\n" + text[end:]
    elif kind == "unbreak":  # every broken record mended
        for other in files:
            other.write_text(other.read_text().replace("broken: [\n", ""))
        return files
    elif kind == "consent":  # data_use given or withdrawn
        given = "true" if arg % 2 else "false"
        if re.search(r"(?m)^  data_use: ", text):
            text = re.sub(r"(?m)^  data_use: .*$", f"  data_use: {given}", text, count=1)
        else:
            end = _front_end(text)
            text = text[:end] + f"consent:\n  data_use: {given}\n" + text[end:]
    elif kind == "session":  # a session of this week (none: the test's removed)
        text = re.sub(r"(?m)^  - \{date: .*, focus: T-session\}\n", "", text)
        if arg >= 0:
            day = today + dt.timedelta(days=arg % 7)
            line = (
                f'  - {{date: {day.isoformat()}, time: "{8 + which % 9:02d}:00", minutes: 50, '
                "kind: coaching, status: scheduled, focus: T-session}\n"
            )
            match = re.search(r"(?m)^sessions:\n", text)
            if match is None:
                end = _front_end(text)
                text = text[:end] + "sessions:\n" + line + text[end:]
            else:
                text = text[: match.end()] + line + text[match.end() :]
    elif kind == "drop id":
        text = _set_top(text, "id", None)
    else:
        end = text.index("\n---\n", 4) + 5
        text = text[:end] + f"\nOne more note {which}.\n" + text[end:]
    path.write_text(text)
    return [path]


def _examples(variable: str, default: int) -> Callable[[Any], Any]:
    """Hypothesis settings of these slow properties: ``default`` examples (the
    environment variable ``variable`` sets another number), no deadline."""
    return settings(
        max_examples=int(os.environ.get(variable, str(default))),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


def _edits(
    one: st.SearchStrategy[tuple[str, int, int]],
    most: int,
    how: tuple[str, ...] = ("told", "looked"),
) -> st.SearchStrategy[tuple[str, list[tuple[str, int, int]], str]]:
    """An "edits" step: 1 to ``most`` edits drawn from ``one``, then a build ``how``."""
    return st.tuples(
        st.just("edits"), st.lists(one, min_size=1, max_size=most), st.sampled_from(how)
    )


step = st.one_of(
    _edits(edit, 3, ("told", "looked", "cli")),
    st.tuples(st.just("today"), st.integers(min_value=-3, max_value=3), st.just("")),
    st.tuples(st.just("commit"), st.integers(min_value=0, max_value=9), st.just("")),
    st.tuples(st.just("inbox"), st.integers(min_value=0, max_value=3), st.just("")),
    st.tuples(st.just("people"), st.integers(min_value=0, max_value=4), st.just("")),
    st.tuples(st.just("privacy"), st.booleans(), st.just("")),
    st.tuples(
        st.just("query"),
        st.integers(min_value=0, max_value=len(QUESTIONS) - 1),
        st.integers(min_value=-2, max_value=2),
    ),
)

PEOPLE = ("[maya, theo]", "[maya]", "[maya, theo, zoe]", "[theo, maya]", "[maya, Maya, theo]")


def _dated_commit(root: Path, when: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    subprocess.run(
        ["git", "commit", "--quiet", "--allow-empty", "-m", f"step {when}"],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
    )


def _run_fresh(
    tmp_path_factory: pytest.TempPathFactory, name: str, steps: list[tuple[object, object, object]]
) -> None:
    """:func:`_run` on a fresh repository in a new folder (one example's)."""
    tmp = tmp_path_factory.mktemp(name)
    _run(_repo(tmp), tmp, steps)


def _run(root: Path, tmp: Path, steps: list[tuple[object, object, object]]) -> None:
    today = TODAY
    unbuilt = False  # the last step was a commit with no build after it
    for name, a, b in steps:
        unbuilt = False
        touched: list[Path] = []
        if name == "edits":
            assert isinstance(a, list)
            for kind, which, arg in a:
                touched += _apply(root, today, kind, which, arg)
        elif name == "today":
            assert isinstance(a, int)
            today += dt.timedelta(days=a)
        elif name == "commit" and b == "undo":  # the last commit undone, files kept
            if int(git(root, "rev-list", "--count", "HEAD")) > 2:
                git(root, "reset", "--quiet", "--soft", "HEAD~1")
            unbuilt = True
            continue  # as a commit outside sortext: the next build is told of files only
        elif name == "commit":  # dated in the sequence's today (its week's window)
            assert isinstance(a, int)
            when = f"{(today - dt.timedelta(days=a)).isoformat()}T{10 + len(touched)}:00:00+00:00"
            git(root, "add", "-A", "clients", "sortext.yaml")
            _dated_commit(root, when)
        elif name == "inbox":
            assert isinstance(a, int)
            (root / "inbox").mkdir(exist_ok=True)
            (root / "inbox" / f"note-{a}.md").write_text(f"Call Maya back {a}\n")
        elif name == "people":
            assert isinstance(a, int)
            config = root / "sortext.yaml"
            config.write_text(
                re.sub(r"(?m)^people: .*$", f"people: {PEOPLE[a]}", config.read_text())
            )
        elif name == "privacy":
            config = root / "sortext.yaml"
            text = re.sub(r"(?m)^privacy: .*\n", "", config.read_text())
            config.write_text(text + ("privacy: {pages: consented}\n" if a else ""))
        elif name == "query":  # asked for today, or another day (stores its own)
            assert isinstance(a, int) and isinstance(b, int)
            _ask(root, today + dt.timedelta(days=b), QUESTIONS[a])
        if name == "commit" and b == "unbuilt":  # as a watcher's: the next build is told
            unbuilt = True
            continue
        if name == "edits" and b == "told":
            build(open_repository(root), today, changed=sorted(set(touched)))
        elif name == "edits" and b == "cli":
            done = CliRunner().invoke(
                main, ["build", "--today", today.isoformat(), "--repo", str(root)]
            )
            assert done.exit_code in (0, 1), done.output
        else:
            build(open_repository(root), today)
        _same_as_cold(root, tmp, today)
    if unbuilt:  # pages are what the last build made: the next build comes first
        build(open_repository(root), today)
    _same_as_cold(root, tmp, today, questions=True)


@pytest.fixture
def small_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """A day shows 3 items: the "N more" cut-off is reached by a few records."""
    monkeypatch.setattr(build_module, "LIST_LIMIT", 3)


def _repo(tmp: Path) -> Path:
    root = sample_records(tmp / "records")
    for n in range(5):
        _filler(root, n, TODAY + dt.timedelta(days=1))
    git(root, "add", "-A")
    _dated_commit(root, "2026-11-10T09:00:00+00:00")
    build(open_repository(root), TODAY)
    build(open_repository(root), TODAY)
    return root


@_examples("BP9_EXAMPLES", 10)
@given(steps=st.lists(step, min_size=1, max_size=8))
def test_any_sequence_leaves_what_a_cold_build_gives(
    tmp_path_factory: pytest.TempPathFactory,
    small_limit: None,
    steps: list[tuple[object, object, object]],
) -> None:
    _run_fresh(tmp_path_factory, "bp9", steps)


def test_due_moves_then_a_break_told(tmp_path: Path, small_limit: None) -> None:
    """The first sequence generated that broke (shown while a record has errors)."""
    _run(
        _repo(tmp_path),
        tmp_path,
        [
            ("today", 3, ""),
            ("edits", [("due", 17, -2), ("due", 20, -4), ("due", 0, 5)], "told"),
            ("edits", [("break", 37, 0)], "told"),
        ],
    )


@_examples("BP9_KILLS", 6)
@given(
    edits=st.lists(edit, min_size=1, max_size=3),
    delay=st.floats(min_value=0.0, max_value=1.5),
    forward=st.integers(min_value=0, max_value=2),
)
def test_a_build_killed_anywhere_then_a_build_gives_what_a_cold_build_gives(
    tmp_path_factory: pytest.TempPathFactory,
    edits: list[tuple[str, int, int]],
    delay: float,
    forward: int,
) -> None:
    """Edits, ``sortext build`` killed (SIGKILL) after ``delay`` seconds, then a build
    told only the edited files (the watcher's next save) and one that looks: the pages
    equal a cold build's."""
    tmp = tmp_path_factory.mktemp("bp9kill")
    root = _repo(tmp)
    today = TODAY + dt.timedelta(days=forward)
    touched = [p for e in edits for p in _apply(root, today, *e)]
    env = {**os.environ, "SORTEXT_TODAY": today.isoformat()}
    child = subprocess.Popen(
        [sys.executable, "-m", "sortext", "build", "--repo", str(root)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        child.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        child.send_signal(signal.SIGKILL)
        child.wait()
    build(open_repository(root), today, changed=sorted(set(touched)))
    _same_as_cold(root, tmp, today)
    build(open_repository(root), today)
    _same_as_cold(root, tmp, today, questions=True)


_clean_edit = st.tuples(
    st.sampled_from([e for e in EDITS if e not in ("break", "unbreak")]),
    st.integers(min_value=0, max_value=40),
    st.integers(min_value=-4, max_value=9),
)


@_examples("BP9_EXAMPLES", 10)
@given(
    steps=st.lists(
        _edits(_clean_edit, 3),
        min_size=1,
        max_size=5,
    )
)
def test_one_file_builds_leave_what_a_cold_build_gives(
    tmp_path_factory: pytest.TempPathFactory,
    small_limit: None,
    steps: list[tuple[object, object, object]],
) -> None:
    """Only edits and the builds after them (the partial summary rendering's path)."""
    _run_fresh(tmp_path_factory, "bp9one", steps)


@_examples("BP9_EXAMPLES", 10)
@given(
    steps=st.lists(
        st.one_of(
            _edits(_clean_edit, 2),
            st.tuples(
                st.just("commit"),
                st.integers(min_value=0, max_value=9),
                st.sampled_from(("", "unbuilt", "undo")),
            ),
            st.tuples(st.just("today"), st.integers(min_value=-3, max_value=3), st.just("")),
        ),
        min_size=2,
        max_size=8,
    )
)
def test_commits_in_the_window_leave_what_a_cold_build_gives(
    tmp_path_factory: pytest.TempPathFactory,
    small_limit: None,
    steps: list[tuple[object, object, object]],
) -> None:
    """Edits committed inside the week "since last week" reads (or a commit undone),
    today moving: the weekly caches' path, and time in stage moved by a commit made
    outside the build, before one told only of other files."""
    _run_fresh(tmp_path_factory, "bp9week", steps)


@_examples("BP9_ERASE", 3)
@given(
    which=st.integers(min_value=0, max_value=15),
    before=st.lists(_clean_edit, max_size=2),
    told=st.booleans(),
)
def test_an_erased_record_leaves_what_a_cold_build_gives(
    tmp_path_factory: pytest.TempPathFactory,
    small_limit: None,
    which: int,
    before: list[tuple[str, int, int]],
    told: bool,
) -> None:
    """A record on the dashboard erased (history rewritten, .sortext deleted), then the
    next build (told the erased file, as a watcher's, or looking): a cold build's pages."""
    tmp = tmp_path_factory.mktemp("bp9erase")
    root = _repo(tmp)
    for e in before:
        _apply(root, TODAY, *e)
    build(open_repository(root), TODAY)
    git(root, "add", "-A", "clients")
    _dated_commit(root, "2026-11-20T10:00:00+00:00")
    path = _clients(root)[which % len(_clients(root))]
    found = re.search(r"(?m)^id: (.*)$", path.read_text())
    rid = found.group(1) if found else path.stem
    done = CliRunner().invoke(
        main, ["erase", rid, "--yes", "--today", TODAY.isoformat(), "--repo", str(root)]
    )
    assert done.exit_code == 0, done.output
    build(open_repository(root), TODAY, changed=[path] if told else None)
    _same_as_cold(root, tmp, TODAY, questions=True)


def test_a_real_watchers_saves_leave_what_a_cold_build_gives(tmp_path: Path) -> None:
    """Saves of several kinds, each committed by a real ``sortext watch`` (its builds
    are told the saved files): after the last, the pages equal a cold build's."""
    from tests.watchkit import Daemon, idle_mark, wait_settled

    root = _repo(tmp_path)
    daemon = Daemon(root)
    try:
        daemon.wait_ready()
        mark = idle_mark(root, daemon)
        saves = [
            ("due", 1, 2),
            ("stage", 2, 2),
            ("owner", 3, 1),
            ("invoice", 3, 1),
            ("note", 4, 0),
            ("action owner", 5, 0),
            ("delete", 6, 0),
            ("restore", 0, 0),
            ("invoice", 3, 0),
            ("session", 7, 3),
            ("consent", 8, 0),
        ]
        for kind, which, arg in saves:
            if not _apply(root, TODAY, kind, which, arg):
                continue
            mark = wait_settled(root, mark, daemon)
            _same_as_cold(root, tmp_path, TODAY)
    finally:
        daemon.stop()
    _same_as_cold(root, tmp_path, TODAY, questions=True)


def test_a_stage_committed_then_another_record_told(tmp_path: Path, small_limit: None) -> None:
    """A record's stage moved and committed (as the watcher commits a save), then a
    build told only another record: the moved record's time in stage is git's now."""
    _run(
        _repo(tmp_path),
        tmp_path,
        [
            ("edits", [("stage", 2, 2)], "told"),
            ("commit", 0, "unbuilt"),
            ("edits", [("note", 5, 0)], "told"),
        ],
    )


def test_a_real_watcher_after_a_stage_move_then_another_save(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The watcher commits a stage move (dated in its today); the next save, of another
    record, is built told of that file only: the moved record's page says since when."""
    from tests.watchkit import Daemon, idle_mark, wait_settled

    when = f"{SAMPLE_TODAY}T12:00:00+00:00"
    monkeypatch.setenv("GIT_AUTHOR_DATE", when)
    monkeypatch.setenv("GIT_COMMITTER_DATE", when)
    root = _repo(tmp_path)
    daemon = Daemon(root)
    try:
        daemon.wait_ready()
        mark = idle_mark(root, daemon)
        for kind, which, arg in (("stage", 2, 2), ("note", 5, 0)):
            _apply(root, TODAY, kind, which, arg)
            mark = wait_settled(root, mark, daemon)
        _same_as_cold(root, tmp_path, TODAY)
    finally:
        daemon.stop()


@_examples("BP9_EXAMPLES", 10)
@given(
    moves=st.lists(
        st.tuples(
            st.just("stage"),
            st.integers(min_value=0, max_value=40),
            st.integers(min_value=0, max_value=9),
        ),
        min_size=1,
        max_size=3,
    ),
    back=st.integers(min_value=0, max_value=9),
    undo=st.booleans(),
    then=st.lists(_clean_edit, min_size=1, max_size=2),
)
def test_history_moved_outside_a_build_then_a_told_build(
    tmp_path_factory: pytest.TempPathFactory,
    small_limit: None,
    moves: list[tuple[str, int, int]],
    back: int,
    undo: bool,
    then: list[tuple[str, int, int]],
) -> None:
    """Stage moves built, then committed by someone else (and maybe the commit undone),
    then a build told only of other edits: every record's time in stage is git's."""
    steps: list[tuple[object, object, object]] = [
        ("edits", moves, "told"),
        ("commit", back, "unbuilt"),
        ("edits", [("note", 0, 0)], "told"),
    ]
    if undo:
        steps.append(("commit", 0, "undo"))
    steps.append(("edits", then, "told"))
    _run_fresh(tmp_path_factory, "bp9clock", steps)
