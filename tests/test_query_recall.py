"""Issue 15 items 1-2: quick queries answered from what is stored, and never stale.

``next``/``list``/``show``/``search`` replay a remembered answer when nothing it
depends on changed (:mod:`sortext.views.recall`); ``list --at-risk`` reads the
assessments a build stores (:func:`sortext.views.queries.stored_risks`) with
time in stage kept in the index per HEAD (:mod:`sortext.store.clock`).  Every
test runs on a real git repository; each invalidation (a file changed, a
commit moving a stage with the same file bytes, another day, another config,
a watcher's save) is a case where the stored answer MUST be bypassed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.store.index import identity_of
from tests.conftest import SAMPLE_TODAY, git
from tests.dated import commit_at, replace

OLD = 1_700_000_000  # seconds: files older than the racy window, as on a real disk
NORTHWIND = "clients/northwind-bakery.md"
QUERIES = (
    ("next",),
    ("next", "--json"),
    ("next", "--owner", "maya", "--within", "7d"),
    ("list",),
    ("list", "--at-risk"),
    ("list", "--json"),
    ("list", "--where", "billing.rate>=100", "--sort", "-in_stage"),
    ("list", "--stage", "active", "--owner", "maya"),
    ("show", "northwind-bakery"),
    ("show", "amara-okafor", "--json"),
    ("show", "--owner", "maya"),
    ("search", "bakery"),
    ("search", "--json", "zzzqqq"),
    ("search", "zzzqqq"),
    ("--color", "always", "next"),
    ("--color", "always", "list", "--at-risk"),
    ("--color", "always", "show", "northwind-bakery"),
    ("--color", "always", "search", "bakery"),
)
DAY = ("--today", SAMPLE_TODAY)


def _age(root: Path) -> None:
    """Give every record and the clients folder an old mtime, and wait until their
    ctimes (which nothing can set back) are past the racy window: answers about files
    written or touched this very second are not remembered (recall.RACY_WINDOW_NS)."""
    import time

    from sortext.views.recall import RACY_WINDOW_NS

    for path in (root / "clients").iterdir():
        os.utime(path, (OLD, OLD))
    os.utime(root / "clients", (OLD, OLD))
    newest = max(p.stat().st_ctime_ns for p in (root / "clients").iterdir())
    while time.time_ns() <= newest + RACY_WINDOW_NS:  # the clock passing a moment
        time.sleep(0.05)


def _dated(root: Path) -> Path:
    """The samples with history: committed 2026-09-01, Northwind moved to proposal on
    2026-10-07 (47 days before the sample day)."""
    import shutil

    shutil.rmtree(root / ".git")
    git(root, "init", "--quiet", "--initial-branch=main")
    replace(root / NORTHWIND, r"^stage: proposal", "stage: discovery")
    commit_at(root, "2026-09-01", "samples")
    replace(root / NORTHWIND, r"^stage: discovery", "stage: proposal")
    commit_at(root, "2026-10-07", "Northwind: proposal sent")
    _age(root)
    return root


def _args(query: tuple[str, ...]) -> list[str]:
    return [*query] if "search" in query else [*query, *DAY]


def _run(cli: Callable[..., Result], root: Path, *args: str) -> tuple[str, str, int]:
    result = cli(*args, "--repo", str(root))
    return result.stdout, result.stderr, result.exit_code


@pytest.fixture
def no_work(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], None]]:
    """Call it to make every query's real work fail: what prints then was replayed."""

    def forbid() -> None:
        from sortext.views import queries

        def fail(*args: object, **kwargs: object) -> None:
            raise AssertionError("the query did its work instead of replaying")

        for name in ("next_list", "client_list", "client_detail", "search"):
            monkeypatch.setattr(queries, name, fail)

    yield forbid


def _remembered(root: Path) -> int:
    with sqlite3.connect(root / ".sortext" / "index.sqlite") as conn:
        return int(conn.execute("SELECT count(*) FROM replies").fetchone()[0])


def test_every_query_replays_the_same_bytes(
    cli: Callable[..., Result], records_repo: Path, no_work: Callable[[], None]
) -> None:
    root = _dated(records_repo)
    first = {q: _run(cli, root, *_args(q)) for q in QUERIES}
    for q in QUERIES:  # the second call remembers (the first learnt where the records are)
        assert _run(cli, root, *_args(q)) == first[q], q
    assert _remembered(root) == len(QUERIES)
    assert first[("search", "zzzqqq")][2] == 1 and first[("search", "--json", "zzzqqq")][2] == 1
    assert "\x1b[" in first[("--color", "always", "list", "--at-risk")][0]
    no_work()
    for q in QUERIES:
        assert _run(cli, root, *_args(q)) == first[q], q


def _reasons(cli: Callable[..., Result], root: Path, record_id: str) -> list[str]:
    rows = json.loads(_run(cli, root, "list", "--at-risk", "--json", *DAY)[0])
    return [r["reason"] for row in rows if row["id"] == record_id for r in row["at_risk"]]


def test_a_commit_moving_a_stage_with_the_same_bytes_is_seen(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    """The stage clock comes from git: a commit that lands a stage move while the
    file's bytes stay the same changes time in stage, the stale-stage finding (the
    stored assessment's key) and every answer showing them."""
    root = _dated(records_repo)
    replace(root / NORTHWIND, r"^stage: proposal", "stage: discovery")
    _age(root)
    for _ in range(2):  # computed, then remembered
        rows = json.loads(_run(cli, root, "list", "--json", *DAY)[0])
        row = {r["id"]: r for r in rows}["northwind-bakery"]
        assert row["stage_since"] is None  # the move is not committed: unknown
        assert not any("in discovery for" in r for r in _reasons(cli, root, "northwind-bakery"))
        shown = _run(cli, root, "show", "northwind-bakery", *DAY)[0]
        assert "in discovery for" not in shown.split("\n")[0]
        assert re.search(r"northwind-bakery .* discovery +\? ", _run(cli, root, "list", *DAY)[0])
    commit_at(root, "2026-10-20", "Northwind: back to discovery")  # same bytes, HEAD moved
    rows = json.loads(_run(cli, root, "list", "--json", *DAY)[0])
    row = {r["id"]: r for r in rows}["northwind-bakery"]
    assert (row["stage_since"], row["days_in_stage"]) == ("2026-10-20", 34)
    assert any("in discovery for 34 days" in r for r in _reasons(cli, root, "northwind-bakery"))
    shown = _run(cli, root, "show", "northwind-bakery", *DAY)[0]
    assert "in discovery for 34 days" in shown.split("\n")[0]
    assert re.search(r"northwind-bakery .* discovery +34d ", _run(cli, root, "list", *DAY)[0])


def test_another_day_or_config_is_answered_afresh(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    root = _dated(records_repo)
    for _ in range(2):
        assert "in proposal for 47 days" in _run(cli, root, "list", "--at-risk", *DAY)[0]
    later = _run(cli, root, "list", "--at-risk", "--today", "2026-11-30")[0]
    assert "in proposal for 54 days" in later and "47 days" not in later
    config = root / "sortext.yaml"
    config.write_text(
        config.read_text("utf-8").replace("proposal: 21", "proposal: 60"), encoding="utf-8"
    )
    assert "in proposal for" not in _run(cli, root, "list", "--at-risk", *DAY)[0]


def test_a_changed_file_is_seen_without_a_watcher(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    root = _dated(records_repo)
    for _ in range(2):
        assert "Northwind Bakery" in _run(cli, root, "list", *DAY)[0]
        assert "Northwind Bakery" in _run(cli, root, "next", *DAY)[0]
    replace(root / NORTHWIND, r"^name: Northwind Bakery", "name: Northwind Bakerz")
    # the same size, and an mtime long past (edited, then looked at later)
    os.utime(root / NORTHWIND, (OLD + 60, OLD + 60))
    assert "Northwind Bakerz" in _run(cli, root, "list", *DAY)[0]
    assert "Northwind Bakerz" in _run(cli, root, "next", *DAY)[0]
    (root / "clients" / "amara-okafor.md").unlink()  # a removed record
    assert "amara-okafor" not in _run(cli, root, "list", *DAY)[0]


def test_files_written_this_second_are_not_remembered(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    root = _dated(records_repo)
    (root / NORTHWIND).write_bytes((root / NORTHWIND).read_bytes())  # mtime: now
    for _ in range(3):
        _run(cli, root, "list", *DAY)
    assert _remembered(root) == 0


def test_a_damaged_answer_is_worked_out_again(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    root = _dated(records_repo)
    good = _run(cli, root, "list", *DAY)
    assert _run(cli, root, "list", *DAY) == good  # remembered
    with sqlite3.connect(root / ".sortext" / "index.sqlite") as conn:
        conn.execute("UPDATE replies SET out = X'00ff'")
    assert _run(cli, root, "list", *DAY) == good
    with sqlite3.connect(root / ".sortext" / "index.sqlite") as conn:
        conn.execute("UPDATE replies SET out = 'text, not zlib', err = 1")
    assert _run(cli, root, "list", *DAY) == good


def test_a_watcher_vouches_and_its_saves_are_seen(
    cli: Callable[..., Result], records_repo: Path, no_work: Callable[[], None]
) -> None:
    """With a watcher holding its lock and vouching for its index, no file is looked
    at; a save the watcher indexed (and marked again) is answered afresh."""
    from sortext.daemon.lock import acquire
    from sortext.files import watchmark
    from sortext.files.state import StateDir
    from sortext.repo import open_repository
    from sortext.store.index import Index

    root = _dated(records_repo)
    _run(cli, root, "list", *DAY)  # the index exists
    lock = acquire(StateDir(root).watch_lock)
    try:
        watchmark.mark(root, root / "clients", identity_of(root))
        first = _run(cli, root, "list", *DAY)
        assert _run(cli, root, "list", *DAY) == first  # remembered (no racy window: vouched)
        replace(root / NORTHWIND, r"^name: Northwind Bakery", "name: Northwind Bakerz")
        watchmark.clear(root)  # what the watcher does when a change is queued
        with Index.open(open_repository(root)) as index:
            assert index.refresh().parsed == 1
        watchmark.mark(root, root / "clients", identity_of(root))
        assert "Northwind Bakerz" in _run(cli, root, "list", *DAY)[0]
        again = _run(cli, root, "list", *DAY)
        no_work()
        assert _run(cli, root, "list", *DAY) == again
    finally:
        watchmark.clear(root)
        lock.release()


_BOARD = ("assessed", "next_items", "findings", "goals", "day_items", "day_invoices")
# the tables under _BOARD (day_invoices is a view of day_inv and day_who)
_STORED = ("assessed", "next_items", "findings", "goals", "day_items", "day_inv", "day_who")


def _board(root: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(root / ".sortext" / "index.sqlite") as conn:
        return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in _BOARD}


@pytest.mark.parametrize("consent", [False, True])
def test_a_query_stores_the_rows_a_build_stores(
    cli: Callable[..., Result], records_repo: Path, consent: bool
) -> None:
    """What ``list --at-risk`` stores for an outdated record is what a build stores
    (so the next build keeps it), including a record kept off the pages by consent."""
    root = _dated(records_repo)
    if consent:
        from tests.test_pages_consent import add_config, set_consent

        add_config(root, "privacy: {pages: consented}\n")
        set_consent(root, "false")
    assert _run(cli, root, "build", *DAY)[2] == 0
    built = _board(root)
    with sqlite3.connect(root / ".sortext" / "index.sqlite") as conn:
        for table in _STORED:
            conn.execute(f"DELETE FROM {table}")
    risky = _run(cli, root, "list", "--at-risk", "--json", *DAY)
    assert _board(root) == built
    assert json.loads(risky[0]) == _rules_answer(root, dt.date.fromisoformat(SAMPLE_TODAY))
    if consent:
        assert "amara-okafor" in {row["id"] for row in json.loads(risky[0])}


def _rules_answer(root: Path, today: dt.date) -> list[dict[str, object]]:
    """``list --at-risk --json`` worked out by running the rules on every record (the
    way it was computed before the stored assessments were read)."""
    from sortext.repo import open_repository
    from sortext.rules import findings as rules
    from sortext.store.index import Index
    from sortext.views.queries import ClientRow, row_json
    from sortext.views.stagetime import stage_since_map

    repo = open_repository(root)
    with Index.open(repo) as index:
        records = index.records()
    since = stage_since_map(repo, records)
    found = rules.findings(records, repo.config, today, since)
    risks = {c.record_id: c.reasons for c in rules.at_risk(records, found, repo.config)}
    out = []
    for rec in sorted(records, key=lambda r: (r.name.casefold(), r.id)):
        if rec.id in risks:
            row = ClientRow(
                rec, rules.next_action(rec, repo.config, today), risks[rec.id], since.get(rec.id)
            )
            out.append(row_json(row, today))
    return out


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """60 realistic generated clients (bench/gen_pages.py) in git, with stage moves."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from bench.gen_pages import generate_repo
    from bench.query_bench import make_git_history

    root = generate_repo(60, tmp_path_factory.mktemp("gen") / "records")
    make_git_history(root, 60)
    return root


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(day=st.dates(dt.date(2026, 8, 1), dt.date(2027, 12, 31)))
def test_at_risk_from_the_stored_assessments_equals_the_rules(
    cli: Callable[..., Result], generated: Path, day: dt.date
) -> None:
    """The class: any day (so any mix of overdue, stale, due and achieved) on realistic
    records with history; the stored assessments answer as the rules do."""
    out, _, code = _run(cli, generated, "list", "--at-risk", "--json", "--today", day.isoformat())
    assert code == 0
    assert json.loads(out) == _rules_answer(generated, day)


def test_the_clock_is_kept_per_head(records_repo: Path) -> None:
    from sortext.repo import open_repository
    from sortext.store import clock
    from sortext.store.index import Index
    from sortext.vcs.headref import head_id
    from sortext.views.stagetime import stage_clock

    root = _dated(records_repo)
    repo = open_repository(root)
    with Index.open(repo) as index:
        first = stage_clock(repo, index.conn)
        key = f"{head_id(root)}|{repo.config.fingerprint}|{clock.FACTS_VERSION}"
        assert clock.read(index.conn, key) == first
        assert first["northwind-bakery"] == ("proposal", dt.date(2026, 10, 7))
        replace(root / NORTHWIND, r"^stage: proposal", "stage: review")
        commit_at(root, "2026-10-20", "review")
        moved = f"{head_id(root)}|{repo.config.fingerprint}|{clock.FACTS_VERSION}"
        assert moved != key and clock.read(index.conn, moved) is None  # not taken at it
        assert stage_clock(repo, index.conn)["northwind-bakery"] == (
            "review",
            dt.date(2026, 10, 20),
        )
        (root / "README.txt").write_text("x", encoding="utf-8")
        commit_at(root, "2026-10-21", "another commit")  # a build keeps the clock
        after = f"{head_id(root)}|{repo.config.fingerprint}|{clock.FACTS_VERSION}"
        assert clock.read(index.conn, after) is None
        from sortext.pages.build import build

        build(repo, dt.date(2026, 11, 23))
        assert clock.read(index.conn, after) == stage_clock(repo)


# -- HEAD from the ref files --------------------------------------------------------


def _rev_parse(root: Path) -> str:
    return git(root, "rev-parse", "HEAD").strip()


def test_head_from_ref_files_agrees_with_git(tmp_path: Path) -> None:
    from sortext.vcs.headref import NO_REPOSITORY, UNBORN, head_id

    plain = tmp_path / "plain"
    plain.mkdir()
    assert head_id(plain) == NO_REPOSITORY
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "--quiet", "--initial-branch=main")
    assert head_id(root) == UNBORN
    git(root, "config", "user.email", "t@sortext.invalid")
    git(root, "config", "user.name", "T")
    (root / "a").write_text("1")
    git(root, "add", "a")
    git(root, "commit", "--quiet", "-m", "one")
    assert head_id(root) == _rev_parse(root)  # loose ref
    (root / "sub").mkdir()
    assert head_id(root / "sub") == _rev_parse(root)  # a folder inside the work tree
    git(root, "pack-refs", "--all")
    assert not (root / ".git/refs/heads/main").exists()
    assert head_id(root) == _rev_parse(root)  # packed
    (root / "a").write_text("2")
    git(root, "commit", "--quiet", "-am", "two")
    assert head_id(root) == _rev_parse(root)  # loose again, over the packed one
    git(root, "checkout", "--quiet", "--detach", "HEAD~1")
    assert head_id(root) == _rev_parse(root)  # detached
    git(root, "checkout", "--quiet", "main")
    other = tmp_path / "other"
    git(root, "worktree", "add", "--quiet", "-b", "side", str(other), "HEAD~1")
    assert head_id(other) == _rev_parse(other) != _rev_parse(root)  # a worktree
    git(root, "symbolic-ref", "HEAD", "refs/heads/nothing-yet")
    assert head_id(root) == UNBORN


def test_head_is_not_guessed_when_git_is_told_otherwise(
    records_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sortext.vcs.headref import head_id

    monkeypatch.setenv("GIT_DIR", str(records_repo / ".git"))
    assert head_id(records_repo) is None


def test_a_remembered_answer_imports_little(records_repo: Path) -> None:
    """The replay path imports neither the rules, the record model, the index code,
    the schema validators nor GitPython (fresh interpreter)."""
    root = _dated(records_repo)
    code = (
        "import sys\n"
        "from sortext.cli import main\n"
        "try:\n"
        f"    main({['list', '--at-risk', *DAY, '--repo', str(root)]!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(' '.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "SORTEXT_TODAY"}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, check=True)
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    loaded = set(done.stderr.split())
    for heavy in (
        "sortext.rules.findings",
        "sortext.record.model",
        "sortext.store.index",
        "sortext.check.load",
        "sortext.schema.config",
        "sortext.views.queries",
        "jsonschema",
        "git",
        "yaml_rs",
    ):
        assert heavy not in loaded, heavy


def test_the_remembered_answers_are_bounded(cli: Callable[..., Result], records_repo: Path) -> None:
    from sortext.views.recall import KEEP

    root = _dated(records_repo)
    for n in range(KEEP + 6):
        for _ in range(2):
            _run(cli, root, "search", f"word{n}")
    assert _remembered(root) == KEEP


@settings(max_examples=400)
@given(
    text=st.text(st.characters(max_codepoint=0x2100)) | st.text("\x1b[0123;m\r\n\tab\x9b"),
    colour=st.booleans(),
)
def test_a_replay_is_what_the_filter_lets_through(text: str, colour: bool) -> None:
    """A reply is kept as the inert filter wrote it; replayed, it is written as it is
    when plain ASCII (the filter would not change it) and filtered again otherwise
    (the filter changes nothing in its own output, and a planted reply is made inert)."""
    from sortext.files.inert import inert_output
    from sortext.views.recall import _plain

    once = inert_output(text, colour)
    assert inert_output(once, colour) == once
    if _plain(text):
        assert inert_output(text, colour) == text


@settings(max_examples=400)
@given(data=st.binary() | st.binary(max_size=4).map(lambda b: b"plain text\n\t" + b + b"."))
def test_the_plain_check_is_the_translate_check(data: bytes) -> None:
    """:func:`_plain_bytes` (one search per control byte) answers what deleting the
    control bytes and comparing lengths answers."""
    from sortext.views.recall import _CONTROLS, _plain_bytes

    slow = data.isascii() and len(data.translate(None, _CONTROLS)) == len(data)
    assert _plain_bytes(data) is slow


def test_a_planted_reply_cannot_act_on_the_terminal(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    root = _dated(records_repo)
    for _ in range(2):
        _run(cli, root, "list", *DAY)
    import zlib

    with sqlite3.connect(root / ".sortext" / "index.sqlite") as conn:
        conn.execute("UPDATE replies SET out = ?", (zlib.compress(b"\x1b]0;owned\x07\x1b[2J\n"),))
    out = _run(cli, root, "list", *DAY)[0]
    assert "\x1b" not in out and "\\x1b]0;owned" in out


def test_at_risk_runs_the_rules_when_another_writer_holds_the_index(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    """A watcher's long build holds the index for writing: ``list --at-risk`` cannot
    bring the stored assessments current, so it runs the rules (after SQLite's wait)."""
    root = _dated(records_repo)
    _run(cli, root, "list", *DAY)
    holder = sqlite3.connect(root / ".sortext" / "index.sqlite", isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        out, _, code = _run(cli, root, "list", "--at-risk", "--json", "--today", "2026-12-01")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert code == 0
    assert json.loads(out) == _rules_answer(root, dt.date(2026, 12, 1))


def test_with_a_real_watcher_a_save_is_answered_afresh(
    cli: Callable[..., Result], records_repo: Path, no_work: Callable[[], None]
) -> None:
    """The real ``sortext watch``: replies are remembered while it vouches, and an
    in-place save (no folder mtime change) is seen once it has settled it."""
    from sortext.files.state import StateDir
    from tests.watchkit import Daemon, commit_count, idle_mark, wait_commits, wait_for

    root = _dated(records_repo)
    marker = StateDir(root).watch_current
    daemon = Daemon(root)
    try:
        daemon.wait_ready()
        wait_for(marker.exists, 10, lambda: daemon.log)
        idle_mark(root, daemon)
        first = _run(cli, root, "list", *DAY)
        assert _run(cli, root, "list", *DAY) == first
        target = root / NORTHWIND
        text = target.read_text(encoding="utf-8")
        before = commit_count(root)
        with open(target, "r+", encoding="utf-8") as handle:  # in place, as VS Code saves
            handle.write(text.replace("name: Northwind Bakery", "name: Zelda Quillfeather", 1))
            handle.truncate()
        wait_commits(root, before + 1, daemon)
        idle_mark(root, daemon)
        wait_for(marker.exists, 10, lambda: daemon.log)
        fresh = _run(cli, root, "list", *DAY)
        assert "Zelda Quillfeather" in fresh[0] and "Northwind Bakery" not in fresh[0]
        assert _run(cli, root, "list", *DAY) == fresh
        no_work()
        assert _run(cli, root, "list", *DAY) == fresh  # remembered again
    finally:
        daemon.stop()
