"""Stage facts are amortised: the cache at HEAD is read without git, a stale or damaged
cache is never read, and the cached answer always equals the uncached one."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.files.state import StateDir
from sortext.repo import open_repository
from sortext.vcs import git as gitlayer
from sortext.vcs.stagefacts import stage_facts, stage_facts_at, warm_stage_facts
from tests.conftest import git
from tests.dated import AMARA, build_dated_repo, commit_at, replace


@pytest.fixture
def dated_repo(tmp_path: Path) -> Path:
    return build_dated_repo(tmp_path)


def _rev_parse(root: Path) -> str:
    return git(root, "rev-parse", "HEAD").strip()


def test_head_from_files_agrees_with_git(dated_repo: Path, tmp_path: Path) -> None:
    assert gitlayer.head_from_files(dated_repo) == _rev_parse(dated_repo)
    git(dated_repo, "pack-refs", "--all")  # the branch now only in packed-refs
    assert not (dated_repo / ".git/refs/heads/main").exists()
    assert gitlayer.head_from_files(dated_repo) == _rev_parse(dated_repo)
    git(dated_repo, "checkout", "--quiet", "--detach", "HEAD~1")
    assert gitlayer.head_from_files(dated_repo) == _rev_parse(dated_repo)
    git(dated_repo, "checkout", "--quiet", "main")
    linked = tmp_path / "linked"
    git(dated_repo, "worktree", "add", "--quiet", "-b", "other", str(linked), "HEAD~2")
    assert gitlayer.head_from_files(linked) == _rev_parse(linked) != _rev_parse(dated_repo)
    (linked / "clients" / "new-one.md").write_text("---\nname: New\nstage: inquiry\n---\n")
    commit_at(linked, "2026-11-24", "on the other branch")  # a loose ref in the common dir
    assert gitlayer.head_from_files(linked) == _rev_parse(linked)


def test_head_from_files_gives_up_rather_than_guess(tmp_path: Path) -> None:
    assert gitlayer.head_from_files(tmp_path) is None  # no .git
    git(tmp_path, "init", "--quiet", "--initial-branch=main")
    assert gitlayer.head_from_files(tmp_path) is None  # unborn branch
    (tmp_path / ".git" / "HEAD").write_text("ref: refs/heads/.invalid\n")  # reftable's
    assert gitlayer.head_from_files(tmp_path) is None


def test_a_call_at_the_cached_head_starts_no_git(
    dated_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = open_repository(dated_repo)
    first = stage_facts(repo)

    def no_git(*args: object, **kwargs: object) -> object:
        raise AssertionError(f"git started: {args}")

    monkeypatch.setattr(gitlayer, "run_full", no_git)
    monkeypatch.setattr(gitlayer, "popen", no_git)
    assert stage_facts(repo) == first
    assert stage_facts_at(repo, _rev_parse(dated_repo)) == first


def test_facts_for_another_head_or_folder_are_never_read(dated_repo: Path) -> None:
    repo = open_repository(dated_repo)
    before = _rev_parse(dated_repo)
    first = stage_facts(repo)
    replace(dated_repo / AMARA, r"^stage: active", "stage: review")
    commit_at(dated_repo, "2026-11-22", "to review")
    assert stage_facts_at(repo, _rev_parse(dated_repo)) is None  # not warmed yet
    assert stage_facts_at(repo, before) == first
    moved = stage_facts(repo)
    assert moved["amara-okafor"].stage == "review" != first["amara-okafor"].stage
    assert stage_facts_at(repo, before) == first  # the journal's base: still that commit's
    # the same commit seen through another clients folder is another answer
    saved = json.loads(StateDir(dated_repo).stage_facts.read_text())
    saved["prefix"] = "elsewhere/"
    StateDir(dated_repo).stage_facts.write_text(json.dumps(saved))
    assert stage_facts_at(repo, _rev_parse(dated_repo)) is None
    assert stage_facts(repo) == moved == stage_facts(repo, use_cache=False)


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"{not json",
        b"[]",
        b'{"version": 2}',
        b'{"version": 2, "prefix": "clients/", "head": "%s", "groups": [[1, 2]]}',
        b'{"version": 2, "prefix": "clients/", "head": "%s", "groups": [["a", "day", null, "x"]]}',
        b'{"version": 2, "prefix": "clients/", "head": "%s", "groups": "x"}',
    ],
)
def test_a_damaged_cache_is_rebuilt_not_an_error(dated_repo: Path, damage: bytes) -> None:
    repo = open_repository(dated_repo)
    truth = stage_facts(repo, use_cache=False)
    head = _rev_parse(dated_repo).encode()
    for path in (StateDir(dated_repo).stage_facts, StateDir(dated_repo).stage_scan):
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(damage.replace(b"%s", head))
        assert stage_facts(repo) == truth
        assert stage_facts(repo) == truth  # and what it saved reads back


def test_warm_never_raises_and_saves_the_answer(dated_repo: Path, tmp_path: Path) -> None:
    repo = open_repository(dated_repo)
    warm_stage_facts(repo)
    assert stage_facts_at(repo, _rev_parse(dated_repo)) == stage_facts(repo, use_cache=False)
    git(dated_repo, "reset", "--quiet", "--hard", "HEAD~1")
    warm_stage_facts(repo)  # the cached head is no longer in the history: a full pass
    assert stage_facts_at(repo, _rev_parse(dated_repo)) == stage_facts(repo, use_cache=False)


def test_install_warms_the_cache(dated_repo: Path) -> None:
    from click.testing import CliRunner

    from sortext.cli import main

    assert not StateDir(dated_repo).stage_facts.exists()
    result = CliRunner().invoke(main, ["install", "--repo", str(dated_repo)])
    assert result.exit_code == 0, result.output
    repo = open_repository(dated_repo)
    assert stage_facts_at(repo, _rev_parse(dated_repo)) == stage_facts(repo, use_cache=False)


# --- the class: any sequence of commits, renames, deletions, rewinds -------------------

STAGES = ["inquiry", "proposal", "active"]
Step = tuple[str, int, int]
steps = st.lists(
    st.tuples(
        st.sampled_from(["stage", "notes", "add", "rename", "delete", "reset", "check", "other"]),
        st.integers(0, 4),
        st.integers(0, 2),
    ),
    min_size=1,
    max_size=7,
)


def _record(name: str, stage: str, extra: str = "") -> str:
    return f"---\nname: {name}\nstage: {stage}\n---\n\n# {name}\n{extra}"


def _commit(root: Path, n: int) -> None:
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    day = f"2026-10-{n % 28 + 1:02d}T12:00:00+00:00"
    env = {"GIT_AUTHOR_DATE": day, "GIT_COMMITTER_DATE": day}
    subprocess.run(
        ["git", "commit", "-q", "--allow-empty", "-m", f"step {n}"],
        cwd=root,
        check=True,
        env={**os.environ, **env},
    )


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=steps, journal=st.sampled_from([0, 2, 64]))
def test_cached_equals_uncached_through_any_history(
    tmp_path_factory: pytest.TempPathFactory, plan: list[Step], journal: int
) -> None:
    from sortext.vcs import stagefacts

    saved, stagefacts._JOURNAL_ENTRIES = stagefacts._JOURNAL_ENTRIES, journal
    try:
        _through_history(tmp_path_factory, plan)
    finally:
        stagefacts._JOURNAL_ENTRIES = saved


def _through_history(tmp_path_factory: pytest.TempPathFactory, plan: list[Step]) -> None:
    root = tmp_path_factory.mktemp("facts")
    (root / "sortext.yaml").write_bytes(
        (Path(__file__).parent.parent / "sortext/skeleton/sortext.yaml").read_bytes()
    )
    clients = root / "clients"
    clients.mkdir()
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "config", "user.email", "t@sortext.invalid")
    git(root, "config", "user.name", "T")
    (clients / "c0.md").write_text(_record("C0", "inquiry"))
    (clients / "c1.md").write_text(_record("C1", "proposal"))
    (clients / "sub").mkdir()
    (clients / "sub" / "nested.md").write_text(_record("N", "active"))
    _commit(root, 0)
    repo = open_repository(root)
    for n, (what, which, stage) in enumerate(plan, start=1):
        files = sorted(p for p in clients.glob("*.md"))
        target = files[which % len(files)] if files else None
        if what == "stage" and target:
            text = target.read_text()
            old = next(s for s in STAGES if f"stage: {s}\n" in text)
            target.write_text(text.replace(f"stage: {old}\n", f"stage: {STAGES[stage]}\n"))
        elif what == "notes" and target:
            target.write_text(target.read_text() + f"note {n}\n")
        elif what == "add":
            (clients / f"n{n}.md").write_text(_record(f"N{n}", STAGES[stage]))
        elif what == "rename" and target:
            git(root, "mv", str(target), str(clients / f"r{n}.md"))
        elif what == "delete" and target:
            target.unlink()
        elif what == "other":
            (root / "elsewhere.txt").write_text(str(n))
        if what == "reset" and int(git(root, "rev-list", "--count", "HEAD")) > 1:
            git(root, "reset", "--quiet", "--hard", "HEAD~1")
        elif what != "check":
            _commit(root, n)
        assert stage_facts(repo) == stage_facts(repo, use_cache=False)


def test_the_watcher_brings_the_facts_to_its_new_commit(records_repo: Path) -> None:
    """Pages off (nothing else asks for stage facts): the commit itself refreshes them."""
    import datetime as dt

    from sortext.daemon.events import Change
    from sortext.daemon.pipeline import NoPages, Pipeline
    from sortext.vcs.commit import GitRepo

    repo = open_repository(records_repo)
    pipeline = Pipeline(repo, GitRepo.open(records_repo), NoPages(), lambda: dt.date(2026, 3, 2))
    pipeline.start()
    path = records_repo / "clients" / "amara-okafor.md"
    text = path.read_text()
    stage = next(line for line in text.splitlines() if line.startswith("stage:"))
    path.write_text(text.replace(stage, "stage: paused", 1))
    result = pipeline.settle([Change(path, "record")])
    assert result.commit is not None and result.commit == _rev_parse(records_repo)
    facts = stage_facts_at(repo, result.commit)
    assert facts is not None and facts["amara-okafor"].stage == "paused"
    assert facts == stage_facts(repo, use_cache=False)


def test_the_cached_answer_needs_neither_gitpython_nor_git(dated_repo: Path) -> None:
    """Queries (list, show) read stage facts: the hit path keeps to light imports."""
    import sys

    warm_stage_facts(open_repository(dated_repo))
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from sortext.repo import open_repository\n"
        "from sortext.vcs.stagefacts import stage_facts\n"
        f"facts = stage_facts(open_repository(Path({str(dated_repo)!r})))\n"
        "assert facts, 'no facts'\n"
        "assert 'git' not in sys.modules, 'GitPython imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "PATH": ""})


def test_a_commit_appends_to_the_journal_and_rewrites_nothing(dated_repo: Path) -> None:
    repo = open_repository(dated_repo)
    stage_facts(repo)
    state = StateDir(dated_repo)
    scan, facts = state.stage_scan.read_bytes(), state.stage_facts.read_bytes()
    for day, stage in (("2026-11-24", "review"), ("2026-11-25", "paused")):
        replace(dated_repo / AMARA, r"^stage: \w+", f"stage: {stage}")
        commit_at(dated_repo, day, f"to {stage}")
        moved = stage_facts(repo)
        assert moved == stage_facts(repo, use_cache=False)
        assert moved["amara-okafor"].stage == stage
        assert stage_facts_at(repo, _rev_parse(dated_repo)) == moved  # through the journal
    assert (state.stage_scan.read_bytes(), state.stage_facts.read_bytes()) == (scan, facts)
    assert state.stage_journal.read_bytes().count(b"\n") == 2


def test_a_damaged_journal_is_never_read(dated_repo: Path) -> None:
    repo = open_repository(dated_repo)
    stage_facts(repo)
    journal = StateDir(dated_repo).stage_journal
    damages = (b"{half a line", b'{"key": "2:clients/", "from": "x", "head": "y"}')
    for n, damage in enumerate(damages):
        replace(dated_repo / AMARA, r"^stage: \w+", f"stage: s{n}")
        commit_at(dated_repo, f"2026-11-2{n + 4}", f"to s{n}")
        stage_facts(repo)  # appends to the journal
        head = _rev_parse(dated_repo)
        assert journal.read_bytes().count(b"\n") == 1
        journal.write_bytes(damage + b"\n" + journal.read_bytes())
        assert stage_facts_at(repo, head) is None
        assert stage_facts(repo) == stage_facts(repo, use_cache=False)  # rewritten whole
        assert stage_facts_at(repo, head) == stage_facts(repo, use_cache=False)
        assert journal.read_bytes() == b""
