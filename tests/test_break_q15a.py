"""Adversarial checks of the issue-15 speed work: the cached answers against the slow
paths through histories the first tests did not walk (merges of older commits, as
sync makes them)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.repo import open_repository
from sortext.vcs.stagefacts import stage_facts

SKELETON = Path(__file__).parent.parent / "sortext/skeleton/sortext.yaml"


def _git(root: Path, *args: str, day: str = "2026-10-01") -> str:
    stamp = f"{day}T12:00:00+00:00"
    env = {**os.environ, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
    done = subprocess.run(
        ["git", *args], cwd=root, check=True, env=env, capture_output=True, text=True
    )
    return done.stdout


def _repo(root: Path, folder: str = "clients") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    text = SKELETON.read_text(encoding="utf-8")
    (root / "sortext.yaml").write_text(
        text.replace("clients_dir: clients", f"clients_dir: {folder}")
    )
    (root / folder).mkdir()
    (root / ".gitignore").write_text(".sortext/\n")
    _git(root, "init", "--quiet", "--initial-branch=main")
    _git(root, "config", "user.email", "t@sortext.invalid")
    _git(root, "config", "user.name", "T")
    return root


def _record(stage: str, notes: str = "notes") -> str:
    return f"---\nname: A\nstage: {stage}\n---\n\n{notes}\n"


def test_a_merged_older_commit_does_not_move_last_touched_back(tmp_path: Path) -> None:
    """Another machine's commit (older) merged after the cache moved to a newer local
    one: the cache must say what a pass over the whole history says."""
    root = _repo(tmp_path / "r")
    record = root / "clients" / "a.md"
    record.write_text(_record("inquiry"))
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "one", day="2026-10-01")
    _git(root, "checkout", "-qb", "laptop")
    record.write_text(_record("proposal"))
    _git(root, "commit", "-qam", "laptop: stage", day="2026-10-10")
    _git(root, "checkout", "-q", "main")
    record.write_text(_record("inquiry", "notes\nmore"))
    _git(root, "commit", "-qam", "desk: notes", day="2026-10-12")
    repo = open_repository(root)
    stage_facts(repo)  # cached at the desk's commit
    _git(root, "merge", "-q", "--no-edit", "laptop", day="2026-10-13")
    truth = stage_facts(repo, use_cache=False)
    assert truth["a"].last_touched is not None and str(truth["a"].last_touched) == "2026-10-12"
    assert stage_facts(repo) == truth
    assert stage_facts(repo) == truth  # and what it saved reads back


# --- the class: two machines' histories merged, in any date order ----------------------

STAGES = ["inquiry", "proposal", "active"]
_steps = st.lists(
    st.tuples(
        st.sampled_from(["main", "side"]),  # the branch (machine) the step happens on
        st.sampled_from(["stage", "notes", "notes", "add", "rename", "delete", "merge"]),
        st.integers(0, 3),
        st.integers(1, 28),  # the commit's day: any order, as clocks of two machines
    ),
    min_size=2,
    max_size=7,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=_steps)
def test_cached_equals_uncached_through_merged_histories(
    tmp_path_factory: pytest.TempPathFactory, plan: list[tuple[str, str, int, int]]
) -> None:
    """Property: two branches committing at any dates and merging each other (sync's
    merges); after every step the cached facts are the whole pass's."""
    root = _repo(tmp_path_factory.mktemp("merged"))
    clients = root / "clients"
    for n in range(2):
        (clients / f"c{n}.md").write_text(_record(STAGES[n]))
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "start", day="2026-10-01")
    _git(root, "branch", "side")
    repo = open_repository(root)
    stage_facts(repo)
    current = "main"
    for n, (branch, what, which, day) in enumerate(plan, start=1):
        when = f"2026-10-{day:02d}"
        if branch != current:
            _git(root, "checkout", "-q", branch)
            current = branch
            assert stage_facts(repo) == stage_facts(repo, use_cache=False), (n, "switch")
        if what == "merge":
            other = "side" if branch == "main" else "main"
            stamp = f"{when}T12:00:00+00:00"
            env = {**os.environ, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
            merge = ["git", "merge", "-q", "--no-edit", "-X", "theirs", other]
            if subprocess.run(merge, cwd=root, env=env, capture_output=True).returncode:
                _git(root, "add", "-A")  # modify/delete: keep what is there
                _git(root, "commit", "-q", "--no-edit", day=when)
        else:
            clients.mkdir(exist_ok=True)  # git drops a folder left empty
            files = sorted(clients.glob("*.md"))
            target = files[which % len(files)] if files else None
            if what == "stage" and target:
                text = target.read_text()
                old = next(s for s in STAGES if f"stage: {s}\n" in text)
                new = STAGES[(STAGES.index(old) + 1) % len(STAGES)]
                target.write_text(text.replace(f"stage: {old}\n", f"stage: {new}\n"))
            elif what == "notes" and target:
                target.write_text(target.read_text() + f"note {n}\n")
            elif what == "add" or not target:
                (clients / f"n{n}.md").write_text(_record(STAGES[which % 3]))
            elif what == "rename":
                _git(root, "mv", str(target), str(clients / f"r{n}.md"))
            elif what == "delete":
                target.unlink()
            _git(root, "add", "-A")
            _git(root, "commit", "-qm", f"step {n}", "--allow-empty", day=when)
        assert stage_facts(repo) == stage_facts(repo, use_cache=False), (n, what)


# --- names and notes the pass over ``git log -p`` misread ------------------------------


@pytest.mark.parametrize("folder", ["clientèle", "my clients", "Kunden Akten é"])
def test_stage_facts_in_a_clients_folder_git_quotes_or_pads(tmp_path: Path, folder: str) -> None:
    """git writes ``"b/client\\303\\250le/a.md"`` and ``b/my clients/a.md<TAB>`` in a
    patch header: the facts were None for every client of such a folder."""
    root = _repo(tmp_path / "r", folder)
    (root / folder / "a.md").write_text(_record("proposal"))
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "one", day="2026-10-03")
    facts = stage_facts(open_repository(root), use_cache=False)
    assert facts["a"].stage == "proposal"
    assert str(facts["a"].stage_since) == str(facts["a"].last_touched) == "2026-10-03"
    assert stage_facts(open_repository(root)) == facts


def test_notes_lines_that_look_like_patch_headers_are_content(tmp_path: Path) -> None:
    """With -U0 a notes line ``++ b/clients/a.md`` is printed as ``+++ b/clients/a.md``:
    it moved the following lines (and a touch) to another client."""
    root = _repo(tmp_path / "r")
    (root / "clients" / "a.md").write_text(_record("inquiry"))
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "one", day="2026-10-01")
    tricky = _record("active", "++ b/clients/a.md\n+stage: lost")
    (root / "clients" / "b.md").write_text(tricky)
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "two", day="2026-10-05")
    facts = stage_facts(open_repository(root), use_cache=False)
    assert facts["a"].stage == "inquiry" and str(facts["a"].last_touched) == "2026-10-01"
    assert facts["b"].stage == "active"


_lookalikes = st.sampled_from(
    [
        "++ b/clients/a.md",
        "++ /dev/null",
        "-- a/clients/a.md",
        "@@ -1 +1 @@",
        "\\ No newline at end of file",
        "diff --git a/clients/a.md b/clients/a.md",
        "rename from clients/a.md",
        "rename to clients/z.md",
        "\x01 2020-01-01",
        "+stage: lost",
        "plain words",
        "",
    ]
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    notes=st.lists(st.lists(_lookalikes, max_size=5), min_size=1, max_size=3),
    folder=st.sampled_from(["clients", "my clients", "clientèle"]),
)
def test_notes_never_change_another_clients_facts(
    tmp_path_factory: pytest.TempPathFactory, notes: list[list[str]], folder: str
) -> None:
    """Property: whatever lines b's notes hold, a's facts are a's own commit's, b's
    stage is its front matter's, and the cache says what the whole pass says."""
    root = _repo(tmp_path_factory.mktemp("notes"), folder)
    (root / folder / "a.md").write_text(_record("inquiry"))
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "a", day="2026-10-01")
    repo = open_repository(root)
    for n, lines in enumerate(notes, start=2):
        (root / folder / "b.md").write_text(_record("active", "\n".join(lines)))
        _git(root, "add", "-A")
        _git(root, "commit", "-qm", "b", "--allow-empty", day=f"2026-10-{n:02d}")
        facts = stage_facts(repo, use_cache=False)
        assert facts["a"].stage == "inquiry" and str(facts["a"].last_touched) == "2026-10-01"
        assert facts["b"].stage == "active"
        assert stage_facts(repo) == facts


# --- erase: the new caches forget the erased client --------------------------------------


def test_erase_leaves_nothing_of_the_client_in_the_history_store_or_stage_facts(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    """``history`` and the stage facts cache what they read (by blob id): after
    ``erase`` neither the store nor the facts may hold the erased client."""
    record = records_repo / "clients" / "amara-okafor.md"
    text = record.read_text(encoding="utf-8")
    record.write_text(text.replace("stage: active", "stage: review", 1), encoding="utf-8")
    _git(records_repo, "commit", "-qam", "amara to review", day="2026-11-02")
    assert cli("history", "amara-okafor", "--repo", str(records_repo)).exit_code == 0
    stage_facts(open_repository(records_repo))
    state = records_repo / ".sortext"
    cached = [state / "history.sqlite", state / "stage-facts.json"]
    assert all(b"amara" in p.read_bytes().lower() for p in cached)  # the test can fail
    result = cli("erase", "amara-okafor", "--yes", "--repo", str(records_repo))
    assert result.exit_code == 0, result.output
    assert cli("history", "bruno-castellanos", "--repo", str(records_repo)).exit_code == 0
    facts = stage_facts(open_repository(records_repo))
    assert "amara-okafor" not in facts and facts == stage_facts(
        open_repository(records_repo), use_cache=False
    )
    for path in state.rglob("*"):
        if path.is_file():
            data = path.read_bytes().lower()
            assert b"amara" not in data and b"okafor" not in data, path


# --- the history store's code fingerprint ------------------------------------------------


def test_the_history_store_is_keyed_by_every_module_its_answers_depend_on() -> None:
    """A stored comparison is what decode, split, the YAML reader, normalize and
    fielddiff made of two blobs: a change to any of them must empty the store (the
    fingerprint hashed three of the parse path's modules, not decode or normalize)."""
    import sys

    code = (
        "import sys\n"
        "import sortext.vcs.history as h\n"
        "before = set(sys.modules)\n"
        "from sortext.vcs.versions import VersionParser, parse_version\n"
        "from sortext.record.fielddiff import body_summary, diff_data\n"
        "raw = b'---\\nname: A\\nsessions:\\n  - {date: 2026-01-01}\\n---\\nnotes\\n'\n"
        "new = raw.replace(b'notes', b'more notes')\n"
        "a = VersionParser().parse(raw, 'clients/a.md')\n"
        "b = parse_version(new, 'clients/a.md')\n"
        "from sortext.vcs.replay import Hunk, Replica\n"  # versions rebuilt from patches
        "r = Replica(VersionParser())\n"
        "r.reset(raw)\n"
        "r.apply([Hunk(5, 5, [b'notes\\n'], [b'more notes\\n'])])\n"
        "assert r.version('clients/a.md') == b\n"
        "diff_data(a.data, b.data)\n"
        "body_summary(a.body, b.body)\n"
        "loaded = {m for m in set(sys.modules) - before if m.startswith('sortext.')}\n"
        "loaded = {m for m in loaded if getattr(sys.modules[m], '__file__', '')}\n"
        "loaded -= {m for m in loaded if sys.modules[m].__file__.endswith('__init__.py')}\n"
        "missing = sorted(loaded - set(h.FINGERPRINTED) - {'sortext.vcs.history'})\n"
        "assert not missing, missing\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


# --- the cold build's shortcuts -----------------------------------------------------------


def test_a_template_edited_within_the_same_second_and_size_is_used(records_repo: Path) -> None:
    """No template is stat'ed during a build and compiled ones are cached: an edit
    that keeps the file's size and mtime (two saves in one second) still shows."""
    import datetime as dt

    from sortext.pages.build import build

    override = records_repo / "templates" / "client.html.j2"
    override.write_text(
        (Path(__file__).parent.parent / "sortext/templates/client.html.j2")
        .read_text(encoding="utf-8")
        .replace("<header>", "<header><!-- AAAA -->", 1),
        encoding="utf-8",
    )
    today = dt.date(2026, 11, 23)
    build(open_repository(records_repo), today)
    page = records_repo / "site" / "clients" / "amara-okafor.html"
    assert "AAAA" in page.read_text(encoding="utf-8")
    before = override.stat()
    override.write_text(
        override.read_text(encoding="utf-8").replace("AAAA", "BBBB"), encoding="utf-8"
    )
    os.utime(override, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert override.stat().st_size == before.st_size
    build(open_repository(records_repo), today)
    assert "BBBB" in page.read_text(encoding="utf-8")


def test_a_shallow_clone_deepened_is_not_answered_from_its_shallow_cache(tmp_path: Path) -> None:
    """``git fetch --unshallow`` keeps HEAD and brings the past: stage_since cached
    from the shallow history (the boundary commit's day) must not be served."""
    origin = _repo(tmp_path / "origin")
    record = origin / "clients" / "a.md"
    record.write_text(_record("inquiry"))
    _git(origin, "add", "-A")
    _git(origin, "commit", "-qm", "one", day="2026-10-01")
    record.write_text(_record("inquiry", "more notes"))
    _git(origin, "commit", "-qam", "two", day="2026-10-05")
    _git(tmp_path, "clone", "-q", "--depth", "1", f"file://{origin}", "clone")
    clone = tmp_path / "clone"
    repo = open_repository(clone)
    assert str(stage_facts(repo)["a"].stage_since) == "2026-10-05"  # all a shallow clone knows
    _git(clone, "fetch", "-q", "--unshallow")
    truth = stage_facts(repo, use_cache=False)
    assert str(truth["a"].stage_since) == "2026-10-01"
    assert stage_facts(repo) == truth


def test_a_page_that_became_a_link_out_of_site_is_never_written_through(
    records_repo: Path, tmp_path: Path
) -> None:
    """Between two builds a page is replaced by a link to a file outside ``site/``
    and its record changes: the second build (one lstat per page) must not write
    through the link, as the full check would not."""
    import datetime as dt

    from sortext.pages.build import build

    today = dt.date(2026, 11, 23)
    build(open_repository(records_repo), today)
    page = records_repo / "site" / "clients" / "amara-okafor.html"
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me", encoding="utf-8")
    page.unlink()
    page.symlink_to(outside)
    record = records_repo / "clients" / "amara-okafor.md"
    text = record.read_text(encoding="utf-8")
    record.write_text(text.replace("stage: active", "stage: review", 1), encoding="utf-8")
    build(open_repository(records_repo), today)
    assert outside.read_text(encoding="utf-8") == "keep me"
    assert not any(p.name.startswith(".precious") for p in tmp_path.iterdir())


def test_a_deepened_shallow_clone_gets_a_fresh_stage_clock_in_queries_and_pages(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    """The index's stage clock, the remembered query answers and the no-change build
    are keyed by HEAD: a deepened clone (same HEAD, older stage_since) must not be
    answered from them."""
    import json

    origin = _repo(tmp_path / "origin")
    record = origin / "clients" / "a.md"
    record.write_text(_record("proposal"))
    _git(origin, "add", "-A")
    _git(origin, "commit", "-qm", "one", day="2026-10-01")
    record.write_text(_record("proposal", "more notes"))
    _git(origin, "commit", "-qam", "two", day="2026-10-05")
    _git(tmp_path, "clone", "-q", "--depth", "1", f"file://{origin}", "clone")
    clone = tmp_path / "clone"
    day = ("--today", "2026-10-20", "--repo", str(clone))

    def since() -> object:
        result = cli("list", "--json", *day)
        assert result.exit_code == 0, result.output
        return {r["id"]: r for r in json.loads(result.output)}["a"]["stage_since"]

    assert cli("build", *day).exit_code == 0
    assert since() == since() == "2026-10-05"  # computed, then remembered
    page = clone / "site" / "clients" / "a.html"
    assert "15 days" in page.read_text(encoding="utf-8")
    _git(clone, "fetch", "-q", "--unshallow")
    assert since() == "2026-10-01"
    assert cli("build", *day).exit_code == 0
    assert "19 days" in page.read_text(encoding="utf-8")


def test_erase_refuses_while_a_linked_worktree_holds_its_own_copy_and_caches(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    """A linked worktree has its own checkout and its own .sortext/ (the history store
    of the client's every value): erase rewrote the repository, left both in place
    and kept the objects alive.  It must refuse first, as it does for a stash."""
    laptop = tmp_path / "laptop"
    _git(records_repo, "worktree", "add", "-q", "-b", "laptop", str(laptop))
    assert cli("history", "amara-okafor", "--repo", str(laptop)).exit_code == 0
    store = laptop / ".sortext" / "history.sqlite"
    assert b"amara" in store.read_bytes().lower()
    head = _git(records_repo, "rev-parse", "HEAD")
    result = cli("erase", "amara-okafor", "--yes", "--repo", str(records_repo))
    assert result.exit_code == 2 and "worktree" in result.output, result.output
    assert _git(records_repo, "rev-parse", "HEAD") == head  # nothing rewritten
    _git(records_repo, "worktree", "remove", "--force", str(laptop))
    done = cli("erase", "amara-okafor", "--yes", "--repo", str(records_repo))
    assert done.exit_code == 0, done.output


@pytest.mark.parametrize(
    "setting", ["diff.noprefix=true", "diff.mnemonicPrefix=true", "diff.renames=copies"]
)
def test_stage_facts_whatever_the_users_diff_settings(tmp_path: Path, setting: str) -> None:
    """The pass reads ``git log -p``; a user's ``diff.noprefix`` (no ``b/`` before
    names) made every client's facts None."""
    root = _repo(tmp_path / "r")
    key, value = setting.split("=")
    _git(root, "config", key, value)
    (root / "clients" / "a.md").write_text(_record("proposal"))
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "one", day="2026-10-03")
    (root / "clients" / "b.md").write_text(_record("proposal"))
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "a copy", day="2026-10-04")
    facts = stage_facts(open_repository(root), use_cache=False)
    assert (facts["a"].stage, str(facts["a"].stage_since)) == ("proposal", "2026-10-03")
    assert (facts["b"].stage, str(facts["b"].stage_since)) == ("proposal", "2026-10-04")


def test_a_named_pipe_where_a_page_goes_does_not_hang_the_build(tmp_path: Path) -> None:
    """write_if_changed reads the old page to compare: opening a FIFO for reading
    blocks until a writer comes, so the build (and the watcher) hung for ever."""
    import sys

    page = tmp_path / "a.html"
    os.mkfifo(page)
    code = (
        "from pathlib import Path\n"
        "from sortext.files.write import write_if_changed\n"
        f"assert write_if_changed(Path({str(page)!r}), b'<p>page</p>', durable=False)\n"
    )
    try:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=20)
    except subprocess.TimeoutExpired:
        pytest.fail("write_if_changed hung on a named pipe")
    assert done.returncode == 0, done.stderr[-2000:]
    assert page.is_file() and page.read_bytes() == b"<p>page</p>"
