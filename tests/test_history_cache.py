"""History read through the blob-keyed store equals the plain walk over every version:
cold, warm, after more commits, with the store damaged or written by other code."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.files.state import StateDir
from sortext.record.fielddiff import body_summary, diff_data, field_matches
from sortext.repo import Repository, open_repository
from sortext.vcs import history
from sortext.vcs.history import HistoryEntry, client_history
from sortext.vcs.log import file_log, read_blobs
from sortext.vcs.versions import Version, parse_version
from tests.conftest import PROJECT_ROOT, git


def reference_history(repo: Repository, record_id: str, wanted: str | None) -> list[HistoryEntry]:
    """The walk as it was before the store: every version read by ``sha:path``,
    parsed by the plain parser, consecutive versions compared."""
    path = repo.relative(repo.record_path(record_id))
    commits = [c for c in file_log(repo.root, path) if c.files]
    commits.reverse()
    specs = [f"{c.sha}:{c.files[-1].path}" for c in commits if c.files[-1].status != "D"]
    blobs = iter(read_blobs(repo.root, specs))
    out: list[HistoryEntry] = []
    previous: Version | None = None
    for commit in commits:
        change = commit.files[-1]
        raw = None if change.status == "D" else next(blobs)
        current = parse_version(raw, change.path)

        def entry(fld: str, old: Any, new: Any, kind: Any, c: Any = commit) -> HistoryEntry:
            return HistoryEntry(c.date, c.sha, c.author, fld, old, new, kind)

        found: list[HistoryEntry] = []
        if change.status == "D":
            found.append(entry("record", change.path, None, "deleted"))
        else:
            if previous is None:
                found.append(entry("record", None, change.path, "created"))
            if change.status == "R" and change.old_path:
                found.append(entry("path", change.old_path, change.path, "renamed"))
            if raw is not None and current is None:
                found.append(entry("record", None, None, "unparsable"))
            elif current is not None:
                stem = history.stem_of
                implied = (stem(change.old_path), stem(change.path)) if change.old_path else None
                if previous is not None or wanted is not None:
                    for fc in diff_data(previous.data if previous else None, current.data):
                        if not (fc.path == "id" and (fc.old, fc.new) == implied):
                            found.append(entry(fc.path, fc.old, fc.new, fc.kind))
                if previous is not None and previous.body != current.body:
                    notes = body_summary(previous.body, current.body)
                    if notes:
                        found.append(entry("notes", None, notes.removeprefix("notes "), "notes"))
        out += [e for e in found if wanted is None or field_matches(e.field, wanted)]
        if current is not None or change.status == "D":
            previous = current
    return out


def _new_repo(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "sortext.yaml").write_bytes(
        (PROJECT_ROOT / "sortext/skeleton/sortext.yaml").read_bytes()
    )
    (root / "clients").mkdir()
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "config", "user.email", "t@sortext.invalid")
    git(root, "config", "user.name", "T")
    return root


def _commit(root: Path, n: int, author: str = "Maya Lind") -> None:
    day = f"2026-{n // 28 % 12 + 1:02d}-{n % 28 + 1:02d}T12:00:00+00:00"
    env = {
        **os.environ,
        "GIT_AUTHOR_DATE": day,
        "GIT_COMMITTER_DATE": day,
        "GIT_AUTHOR_NAME": author,
    }
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(
        ["git", "commit", "-q", "--allow-empty", "-m", f"step {n}"], cwd=root, check=True, env=env
    )


def _text(stage: str, sessions: int, notes: int, extra: str = "") -> str:
    lines = ["---", "name: Ada Example", f"stage: {stage}", extra]
    if sessions:
        lines.append("sessions:")
        lines += [f"  - {{date: 2026-01-{d + 1:02d}, kind: coaching}}" for d in range(sessions)]
    lines += ["---", "", "# Ada", *[f"note {i}" for i in range(notes)], ""]
    return "\n".join(line for line in lines if line is not None)


STEPS = st.lists(
    st.tuples(
        st.sampled_from(
            ["stage", "session", "notes", "broken", "id", "delete", "rename", "back", "same"]
        ),
        st.sampled_from(["inquiry", "active", "review"]),
    ),
    min_size=1,
    max_size=10,
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=STEPS, split=st.integers(0, 10))
def test_history_equals_the_plain_walk(
    tmp_path_factory: pytest.TempPathFactory, plan: list[tuple[str, str]], split: int
) -> None:
    root = _new_repo(tmp_path_factory.mktemp("hist") / "r")
    repo = open_repository(root)
    name = "ada"
    state: dict[str, Any] = {"stage": "inquiry", "sessions": 0, "notes": 1, "extra": ""}
    (root / "clients" / f"{name}.md").write_text(_text("inquiry", 0, 1))
    _commit(root, 0)

    def check() -> None:
        for wanted in (None, "stage", "sessions", "id"):
            expected = reference_history(repo, name, wanted)
            assert client_history(repo, name, wanted, use_cache=False) == expected
            assert client_history(repo, name, wanted) == expected  # cold or warm
            assert client_history(repo, name, wanted) == expected  # warm

    for n, (what, stage) in enumerate(plan, start=1):
        path = root / "clients" / f"{name}.md"
        if what == "delete" and path.exists():
            path.unlink()
        elif what in ("rename", "back") and path.exists():
            new = f"ada-{n}" if what == "rename" else "ada"
            if new != name:
                git(root, "mv", str(path), str(root / "clients" / f"{new}.md"))
                name = new
        elif what == "broken":
            path.write_text("---\nname: [Ada\n---\n")
        else:
            if what == "stage":
                state["stage"] = stage
            elif what == "session":
                state["sessions"] = int(state["sessions"]) + 1
            elif what == "notes":
                state["notes"] = int(state["notes"]) + 2
            elif what == "id":
                state["extra"] = f"id: {name}" if not state["extra"] else ""
            text = _text(str(state["stage"]), int(state["sessions"]), int(state["notes"]))
            path.write_text(text.replace("stage:", f"{state['extra']}\nstage:", 1))
        _commit(root, n, author=["Maya Lind", "Sam Ortiz"][n % 2])
        if n == split:
            check()  # the store then holds the older pairs: the rest is incremental
    if (root / "clients" / f"{name}.md").exists() or file_log(root, f"clients/{name}.md"):
        check()


@pytest.fixture
def long_repo(tmp_path: Path) -> Path:
    root = _new_repo(tmp_path / "r")
    for n in range(12):
        stage = ["inquiry", "active"][n // 4 % 2]
        (root / "clients" / "ada.md").write_text(_text(stage, n // 2, n))
        _commit(root, n)
    return root


def test_a_warm_call_reads_no_blob(long_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = open_repository(long_repo)
    first = client_history(repo, "ada")
    assert StateDir(long_repo).history_cache.exists()

    def no_blobs(*args: object) -> object:
        raise AssertionError("a blob was read")

    monkeypatch.setattr("sortext.vcs.log.read_blobs", no_blobs)
    assert client_history(repo, "ada") == first == reference_history(repo, "ada", None)


def test_a_store_written_by_other_code_is_emptied(
    long_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = open_repository(long_repo)
    truth = client_history(repo, "ada", use_cache=False)
    client_history(repo, "ada")
    path = StateDir(long_repo).history_cache
    with sqlite3.connect(path) as conn:  # what other code might have stored for these pairs
        conn.execute('UPDATE facts SET value = \'[[["stage", "x", "y", "changed"]], ""]\'')
    monkeypatch.setattr(history, "_STORE_VERSION", history._STORE_VERSION + 1)
    assert client_history(repo, "ada") == truth


@pytest.mark.parametrize("damage", [b"", b"not a database at all" * 100])
def test_a_damaged_store_is_rebuilt_not_an_error(long_repo: Path, damage: bytes) -> None:
    repo = open_repository(long_repo)
    truth = client_history(repo, "ada", use_cache=False)
    path = StateDir(long_repo).history_cache
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(damage)
    assert client_history(repo, "ada") == truth
    assert client_history(repo, "ada") == truth


def test_a_damaged_row_is_computed_again(long_repo: Path) -> None:
    repo = open_repository(long_repo)
    truth = client_history(repo, "ada")
    with sqlite3.connect(StateDir(long_repo).history_cache) as conn:
        conn.execute("UPDATE facts SET value = '{not json'")
    assert client_history(repo, "ada") == truth


def test_a_value_json_cannot_hold_is_not_stored(long_repo: Path) -> None:
    path = long_repo / "clients" / "ada.md"
    path.write_text(path.read_text().replace("stage:", "score: .inf\nstage:", 1))
    _commit(long_repo, 40)
    repo = open_repository(long_repo)
    truth = reference_history(repo, "ada", None)
    assert client_history(repo, "ada") == truth
    assert client_history(repo, "ada") == truth


@pytest.mark.parametrize(
    "line",
    [
        "score: 123456789012345678901234567890",  # past 64 bits: orjson refuses it
        # 2**70: a float holds it exactly, and orjson reads it back as one (no error)
        "score: 1180591620717411303424",
        "score: Zoë Ångström ☃",  # written as UTF-8 by orjson, as \\u escapes by json
        "score: {1: one, 2: two}",
    ],
)
def test_a_value_orjson_refuses_is_stored_by_the_json_module(long_repo: Path, line: str) -> None:
    """The comparisons are written by orjson (by the json module what orjson refuses)
    and read back by the json module, and a row is stored only when it reads back
    equal: cold and warm give the plain walk's answer, an integer past 64 bits
    included (orjson would read it back as a float)."""
    path = long_repo / "clients" / "ada.md"
    path.write_text(path.read_text().replace("stage:", f"{line}\nstage:", 1))
    _commit(long_repo, 40)
    repo = open_repository(long_repo)
    truth = reference_history(repo, "ada", None)
    assert client_history(repo, "ada") == truth
    with sqlite3.connect(StateDir(long_repo).history_cache) as conn:
        rows = [v for (v,) in conn.execute("SELECT value FROM facts") if "score" in v]
    assert len(rows) == 1
    assert client_history(repo, "ada") == truth
