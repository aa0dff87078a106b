"""The pages' "since last week" section, from real dated git repositories."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

import sortext.views.weekly as weekly
from sortext.pages.render import environment, render
from sortext.repo import open_repository
from sortext.vcs import window
from sortext.views.weekly import (
    GROUP_LIMIT,
    PAIR_CACHE,
    VIEW_CACHE,
    WeeklyChanges,
    head_commit,
    recent_changes,
)
from tests.conftest import PROJECT_ROOT, git
from tests.dated import commit_at

TODAY = dt.date(2026, 11, 23)  # window: 2026-11-16 00:00 to the end of 2026-11-23


def record(name: str, stage: str, *extra: str) -> str:
    return "\n".join(["---", f"name: {name}", f"stage: {stage}", *extra, "---", "", "Notes.", ""])


def write(root: Path, rid: str, text: str) -> None:
    (root / "clients" / f"{rid}.md").write_text(text, encoding="utf-8")


def new_repo(tmp_path: Path) -> Path:
    root = tmp_path / "records"
    (root / "clients").mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "sortext.yaml", root / "sortext.yaml")
    (root / ".gitignore").write_text(".sortext/\n", encoding="utf-8")
    git(root, "init", "--quiet", "--initial-branch=main")
    return root


AMARA_BEFORE = record(
    "Amara Okafor",
    "active",
    "next_action: {what: Send prep notes, owner: maya, due: 2026-11-19}",
    "goals:",
    "  - {id: deep-work, title: Protect design time, baseline: 3, target: 12}",
    "measurements:",
    "  - {goal: deep-work, date: 2026-10-27, value: 9}",
    "sessions:",
    "  - {date: 2026-10-27, kind: coaching, status: held}",
    "invoices:",
    "  - {id: INV-1, amount: 840, currency: GBP, status: sent, due: 2026-10-29}",
    "  - {id: INV-2, amount: 420, currency: GBP, status: sent, due: 2026-11-01}",
    "  - {id: INV-3, amount: 100, currency: GBP, status: sent, due: 2026-11-20}",
)
AMARA_AFTER = record(
    "Amara Okafor",
    "review",
    "next_action: {what: Book the review, owner: maya, due: 2026-11-30}",
    "goals:",
    "  - {id: deep-work, title: Protect design time, baseline: 3, target: 12}",
    "measurements:",
    "  - {goal: deep-work, date: 2026-10-27, value: 9}",
    "  - {goal: deep-work, date: 2026-11-18, value: 11}",
    "sessions:",
    "  - {date: 2026-10-27, kind: coaching, status: held}",
    "  - {date: 2026-11-18, kind: review, status: held, focus: Mid-point review}",
    "invoices:",
    "  - {id: INV-1, amount: 840, currency: GBP, status: paid, due: 2026-10-29}",
    "  - {id: INV-2, amount: 420, currency: GBP, status: overdue, due: 2026-11-01}",
    "  - {id: INV-3, amount: 100, currency: GBP, status: sent, due: 2026-11-20}",
)


@pytest.fixture
def week_repo(tmp_path: Path) -> Path:
    """Every kind of change, committed on 2026-11-18 over a state from 2026-11-01."""
    root = new_repo(tmp_path)
    write(root, "amara-okafor", AMARA_BEFORE)
    write(
        root,
        "ben-ito",
        record(
            "Ben Ito", "proposal", "next_action: {what: Call Ben, owner: maya, due: 2026-11-17}"
        ),
    )
    write(
        root,
        "cara-diaz",
        record("Cara Diaz", "active", "next_action: {what: Send invoice, due: 2026-11-20}"),
    )
    write(root, "old-client", record("Old Client", "completed"))
    write(root, "dan-moss", record("Dan Moss", "paused"))
    write(root, "eve-ng", record("Eve Ng", "inquiry"))
    commit_at(root, "2026-11-01", "state before the week")
    write(root, "amara-okafor", AMARA_AFTER)
    write(
        root,
        "ben-ito",
        record(
            "Ben Ito", "proposal", "next_action: {what: Call Ben, owner: theo, due: 2026-11-17}"
        ),
    )
    write(root, "cara-diaz", record("Cara Diaz", "active"))
    (root / "clients" / "old-client.md").unlink()
    git(root, "mv", "clients/dan-moss.md", "clients/dan-moss-ltd.md")
    write(root, "eve-ng", "---\nname: [unclosed\n---\n")
    write(
        root,
        "tomas-berg",
        record("Tomas Berg", "inquiry", "next_action: {what: Reply, due: 2026-11-24}"),
    )
    commit_at(root, "2026-11-18", "a week of changes", author="Sam Ortiz")
    return root


def lines_of(view: WeeklyChanges | None) -> dict[str, list[str]]:
    """Group key -> 'record-id: text [old ->] new' (compact, for assertions)."""
    assert view is not None
    out: dict[str, list[str]] = {}
    for g in view.groups:
        for line in g.lines:
            arrow = (
                "" if line.new is None else f" {line.old + ' -> ' if line.old else ''}{line.new}"
            )
            out.setdefault(g.key, []).append(f"{line.record_id}: {line.text}{arrow}")
    return out


def test_every_kind_of_change_appears(week_repo: Path) -> None:
    view = recent_changes(open_repository(week_repo), TODAY)
    assert view is not None and (view.since, view.today) == (dt.date(2026, 11, 16), TODAY)
    assert lines_of(view) == {
        "new": ["tomas-berg: new client in inquiry"],
        "stage": ["amara-okafor: stage active -> review"],
        "next": [
            "amara-okafor: done: Send prep notes -> Book the review (due 2026-11-30)",
            "ben-ito: Call Ben: owner maya -> theo",
            "cara-diaz: done: Send invoice; no next action now",
        ],
        "sessions": ["amara-okafor: 2026-11-18 review held: Mid-point review"],
        "measurements": ["amara-okafor: Protect design time (2026-11-18): 9 -> 11"],
        "paid": ["amara-okafor: INV-1 (840 GBP): sent -> paid"],
        "overdue": [
            "amara-okafor: INV-2 (420 GBP): sent -> overdue",
            "amara-okafor: INV-3 (100 GBP) due 2026-11-20: still unpaid",
        ],
        "deleted": ["old-client: deleted (was completed)"],
        "renamed": ["dan-moss-ltd: renamed clients/dan-moss.md -> clients/dan-moss-ltd.md"],
        "unreadable": ["eve-ng: front matter does not parse (run sortext check)"],
    }
    by_key = {g.key: g for g in view.groups}
    assert [g.key for g in view.groups] == [key for key, _, _ in weekly.GROUPS]
    assert by_key["deleted"].lines[0].path is None  # nothing to link to
    assert by_key["new"].lines[0].path == "clients/tomas-berg.md"
    assert view.total == 13
    assert WeeklyChanges.from_json(json.loads(json.dumps(view.to_json()))) == view


def test_window_edges_follow_today(tmp_path: Path) -> None:
    root = new_repo(tmp_path)
    for rid in ("a", "b", "c", "d"):
        write(root, rid, record(rid.upper(), "inquiry"))
    commit_at(root, "2026-11-01", "start")
    for rid, day in (
        ("a", "2026-11-15"),
        ("b", "2026-11-16"),
        ("c", "2026-11-23"),
        ("d", "2026-11-24"),
    ):
        write(root, rid, record(rid.upper(), "active"))
        commit_at(root, day, f"{rid} to active")
    repo = open_repository(root)

    def moved(today: dt.date) -> list[str]:
        return [line.split(":")[0] for line in lines_of(recent_changes(repo, today))["stage"]]

    assert moved(TODAY) == ["b", "c"]  # 11-16 is the first day, today the last
    assert moved(TODAY + dt.timedelta(days=1)) == ["c", "d"]
    assert moved(dt.date(2026, 11, 22)) == ["a", "b"]  # 11-15 in, 11-23 not yet
    empty = recent_changes(repo, dt.date(2026, 10, 31))  # before the first commit
    assert empty is not None and empty.groups == ()


def test_first_commit_inside_the_window_makes_everyone_new(tmp_path: Path) -> None:
    root = new_repo(tmp_path)
    write(root, "a", record("A", "inquiry"))
    commit_at(root, "2026-11-20", "first")
    assert lines_of(recent_changes(open_repository(root), TODAY)) == {
        "new": ["a: new client in inquiry"]
    }


def test_each_group_is_capped(tmp_path: Path) -> None:
    root = new_repo(tmp_path)
    write(root, "z", record("Z", "inquiry"))
    commit_at(root, "2026-11-01", "start")
    for n in range(GROUP_LIMIT + 3):
        write(root, f"c{n:02d}", record(f"Client {n:02d}", "inquiry"))
    commit_at(root, "2026-11-20", "thirteen inquiries")
    view = recent_changes(open_repository(root), TODAY)
    assert view is not None
    (group,) = view.groups
    assert (len(group.lines), group.more, group.total) == (GROUP_LIMIT, 3, GROUP_LIMIT + 3)
    assert group.lines[0].name == "Client 00"
    text = render(environment(root), "_changes.md.j2", weekly=view)
    assert "### New clients (13)\n" in text
    assert text.count("\n- [Client") == GROUP_LIMIT
    assert "- … and 3 more (`sortext changes --since 2026-11-16`)" in text


def _forbid_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"a process was started: {args[0] if args else kwargs}")

    monkeypatch.setattr(subprocess, "run", refuse)
    monkeypatch.setattr(subprocess, "Popen", refuse)


def test_same_head_and_today_start_no_process(
    week_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = open_repository(week_repo)
    first = recent_changes(repo, TODAY)
    assert (week_repo / VIEW_CACHE).is_file() and (week_repo / PAIR_CACHE).is_file()
    with monkeypatch.context() as patch:
        _forbid_processes(patch)
        assert recent_changes(repo, TODAY) == first
        with pytest.raises(AssertionError, match="a process was started"):
            recent_changes(repo, TODAY + dt.timedelta(days=1))  # another key must run git
    assert git(week_repo, "status", "--porcelain") == ""  # the cache is git-ignored


def test_head_is_read_from_git_files(week_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = git(week_repo, "rev-parse", "HEAD").strip()
    wt = week_repo.parent / "wt"
    git(week_repo, "worktree", "add", "--quiet", "--detach", str(wt))
    git(week_repo, "pack-refs", "--all")
    assert not (week_repo / ".git/refs/heads/main").exists()
    with monkeypatch.context() as patch:
        _forbid_processes(patch)
        assert head_commit(week_repo) == expected  # packed ref
        assert head_commit(wt) == expected  # worktree: .git is a file, detached HEAD
    git(wt, "checkout", "--quiet", "-b", "side")
    (wt / "clients" / "a.md").write_text(record("A", "inquiry"), encoding="utf-8")
    commit_at(wt, "2026-11-19", "on the side branch")
    side = git(wt, "rev-parse", "HEAD").strip()
    with monkeypatch.context() as patch:
        _forbid_processes(patch)
        assert head_commit(wt) == side != expected  # loose ref in the common dir
        assert head_commit(week_repo) == expected


def test_a_new_commit_reads_only_the_new_blobs(
    week_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = open_repository(week_repo)
    recent_changes(repo, TODAY)
    read: list[str] = []
    real = weekly.read_blobs

    def counting(root: Path, specs: list[str]) -> list[bytes | None]:
        read.extend(specs)
        return real(root, specs)

    monkeypatch.setattr(weekly, "read_blobs", counting)
    write(week_repo, "ben-ito", record("Ben Ito", "contracted"))
    commit_at(week_repo, "2026-11-21", "ben signed")
    view = recent_changes(repo, TODAY)
    assert len(read) == 2  # Ben's version before the week and now; nobody else's
    assert view == _uncached(week_repo)
    assert "ben-ito: stage proposal -> contracted" in lines_of(view)["stage"]


def _uncached(root: Path) -> WeeklyChanges | None:
    for name in (VIEW_CACHE, PAIR_CACHE):
        (root / name).unlink(missing_ok=True)
    return recent_changes(open_repository(root), TODAY)


@pytest.mark.parametrize(
    "damage",
    [
        b"\x00\xffnot json",
        b'{"version": 1, "head": "',
        b"[1, 2, 3]",
        b'{"version": 1, "view": {"since": "x"}}',
    ],
)
def test_corrupt_cache_files_are_recomputed(week_repo: Path, damage: bytes) -> None:
    expected = _uncached(week_repo)
    repo = open_repository(week_repo)
    for name in (VIEW_CACHE, PAIR_CACHE):
        (week_repo / name).write_bytes(damage)
    assert recent_changes(repo, TODAY) == expected
    assert json.loads((week_repo / VIEW_CACHE).read_bytes())["head"] == head_commit(week_repo)


def test_a_cache_with_the_right_key_but_wrong_lines_is_recomputed(week_repo: Path) -> None:
    expected = _uncached(week_repo)
    cache = json.loads((week_repo / VIEW_CACHE).read_bytes())
    cache["view"]["groups"][0]["lines"][0] = {"bogus": 1}
    (week_repo / VIEW_CACHE).write_text(json.dumps(cache), encoding="utf-8")
    pairs = json.loads((week_repo / PAIR_CACHE).read_bytes())
    pairs["pairs"] = {key: [["nonsense", {}]] for key in pairs["pairs"]}
    (week_repo / PAIR_CACHE).write_text(json.dumps(pairs), encoding="utf-8")
    assert recent_changes(open_repository(week_repo), TODAY) == expected


def test_no_history_means_no_section(tmp_path: Path, empty_repo: Path) -> None:
    assert recent_changes(open_repository(empty_repo), TODAY) is None  # not a git repository
    assert not (empty_repo / ".sortext").exists()
    root = new_repo(tmp_path)
    assert recent_changes(open_repository(root), TODAY) is None  # git init, no commit yet


def test_partials(week_repo: Path) -> None:
    write(week_repo, "tomas-berg", record("Tomas <b>[Berg](javascript:x)</b>", "inquiry"))
    commit_at(week_repo, "2026-11-19", "odd name")
    view = recent_changes(open_repository(week_repo), TODAY)
    env = environment(week_repo)
    md = render(env, "_changes.md.j2", weekly=view)
    assert md.startswith("## Since last week (2026-11-16 – 2026-11-23)\n\n### New clients (1)\n")
    assert "- [Amara Okafor](site/clients/amara-okafor.html): stage active → review\n" in md
    assert "- Old Client: deleted (was completed)\n" in md
    assert r"[Tomas \<b\>\[Berg\](javascript:x)\</b\>](site/clients/tomas-berg.html)" in md
    html = render(env, "_changes.html.j2", weekly=view)
    assert "<h2>Since last week (2026-11-16 – 2026-11-23) <span" in html
    assert '<a class="who" href="clients/amara-okafor.html">Amara Okafor</a>: stage' in html
    assert "<b>" not in html and "Tomas &lt;b&gt;" in html
    assert '<span class="who">Old Client</span>' in html
    assert render(env, "_changes.md.j2", weekly=None).strip() == ""
    assert render(env, "_changes.html.j2", weekly=None).strip() == ""
    quiet = WeeklyChanges(dt.date(2026, 11, 16), TODAY)
    assert "No client record changed." in render(env, "_changes.md.j2", weekly=quiet)
    assert "No client record changed." in render(env, "_changes.html.j2", weekly=quiet)


def test_build_puts_the_section_on_both_pages(week_repo: Path) -> None:
    from sortext.pages.build import build

    result = build(open_repository(week_repo), dt.date(2026, 11, 20))
    assert result.warnings == []
    md = (week_repo / "NEXT.md").read_text()
    section = md[md.index("## Since last week (2026-11-13 – 2026-11-20)") :]
    assert "[Tomas Berg](site/clients/tomas-berg.html)" in section
    html = (week_repo / "site" / "index.html").read_text()
    card = html[html.index('id="since-last-week"') :]
    assert 'href="clients/tomas-berg.html">Tomas Berg</a>' in card
    # A week later the window is empty: the heading stays, with nothing listed.
    build(open_repository(week_repo), dt.date(2026, 12, 20))
    later = (week_repo / "NEXT.md").read_text()
    assert "## Since last week (2026-12-13 – 2026-12-20)" in later
    assert "No client record changed." in later


# --- the stored window, applied commit by commit -------------------------------------


def _from_scratch(root: Path, today: dt.date = TODAY) -> WeeklyChanges | None:
    """The view computed in a copy of ``root`` without ``.sortext`` (no cache at all)."""
    fresh = root.parent / "fresh"
    shutil.rmtree(fresh, ignore_errors=True)
    shutil.copytree(root, fresh, ignore=shutil.ignore_patterns(".sortext"))
    return recent_changes(open_repository(fresh), today)


def _counting_computes(
    monkeypatch: pytest.MonkeyPatch, root: Path, name: str = "_compute", module: Any = weekly
) -> list[Path]:
    """Calls of ``<module>.<name>`` (default: ``weekly._compute``, whole-window
    computations) in ``root``, not in the from-scratch copy."""
    calls: list[Path] = []
    real = getattr(module, name)

    def counting(where: Path, *args: Any) -> Any:
        if where == root:
            calls.append(where)
        return real(where, *args)

    monkeypatch.setattr(module, name, counting)
    return calls


def _random_step(root: Path, rng: Any, n: int) -> str:
    """Change a few records the way a week of work does; the commit's date."""
    clients = root / "clients"
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        names = sorted(p.stem for p in clients.glob("*.md"))
        op = rng.choice(
            [
                "stage",
                "stage",
                "next",
                "session",
                "invoice",
                "new",
                "delete",
                "rename",
                "unreadable",
                "other",
            ]
        )
        rid = rng.choice(names) if names else None
        if op == "new" or rid is None:
            write(root, f"n{n}-{rng.randrange(1000)}", record(f"New {n}", "inquiry"))
        elif op == "stage":
            stage = rng.choice(["inquiry", "active", "review", "paused"])
            write(root, rid, record(rid.title(), stage, f"next_action: {{what: Call {rid}}}"))
        elif op == "next":
            write(
                root,
                rid,
                record(
                    rid.title(),
                    "active",
                    f"next_action: {{what: Step {n}, due: 2026-11-2{n % 10}}}",
                ),
            )
        elif op == "session":
            write(
                root,
                rid,
                record(
                    rid.title(),
                    "active",
                    "sessions:",
                    f"  - {{date: 2026-11-{10 + n % 14}, kind: coaching}}",
                ),
            )
        elif op == "invoice":
            status = rng.choice(["sent", "paid", "overdue"])
            write(
                root,
                rid,
                record(
                    rid.title(),
                    "active",
                    "invoices:",
                    f"  - {{id: I-{rid}, amount: 5, status: {status}, due: 2026-11-20}}",
                ),
            )
        elif op == "delete":
            (clients / f"{rid}.md").unlink()
        elif op == "rename":
            git(root, "mv", f"clients/{rid}.md", f"clients/{rid}-x.md")
        elif op == "unreadable":
            write(root, rid, "---\nname: [unclosed\n---\n")
        else:  # not a record: a note beside the records, or a file in a subfolder
            (clients / "sub").mkdir(exist_ok=True)
            (clients / rng.choice(["notes.txt", "sub/x.md"])).write_text(f"{n}\n")
    if not git(root, "status", "--porcelain"):
        write(root, f"n{n}", record(f"New {n}", "inquiry"))  # the step changed nothing
    if rng.random() < 0.1:
        return "2026-11-10"  # back-dated before the window: its start moves
    return str(rng.choice(["2026-11-18", "2026-11-20", "2026-11-23"]))


@pytest.mark.parametrize(("seed", "before_window"), [(1, True), (2, True), (3, False), (4, False)])
def test_commit_by_commit_equals_from_scratch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int, before_window: bool
) -> None:
    import random

    rng = random.Random(seed)
    root = new_repo(tmp_path)
    for n in range(8):
        write(root, f"c{n}", record(f"Client {n}", "active", "next_action: {what: Call}"))
    commit_at(root, "2026-11-01" if before_window else "2026-11-17", "start")
    repo = open_repository(root)
    calls = _counting_computes(monkeypatch, root)
    listed = _counting_computes(monkeypatch, root, "changed_records", window)  # full or resync
    assert recent_changes(repo, TODAY) == _from_scratch(root)
    steps = 20
    for n in range(steps):
        commit_at(root, _random_step(root, rng, n), f"step {n}")
        day = TODAY + dt.timedelta(days=n == 10)  # one step on the next day, then back
        assert recent_changes(repo, day) == _from_scratch(root, day), f"step {n}"
    assert len(calls) == 3  # the first call, the next day, back to today
    assert len(listed) < steps  # the other steps applied their diff, or listed the window
    if before_window:
        assert len(listed) > len(calls)  # deletions: some steps had to list the window again


def test_bulk_week_applies_one_record_per_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Everyone created this week: a new commit re-reads only the record it touched."""
    root = new_repo(tmp_path)
    for n in range(30):
        write(
            root,
            f"c{n:02d}",
            record(
                f"Client {n:02d}", "inquiry", "sessions:", "  - {date: 2026-10-01, kind: intake}"
            ),
        )
    commit_at(root, "2026-11-17", "import")
    repo = open_repository(root)
    recent_changes(repo, TODAY)
    read: list[str] = []
    real = weekly.read_blobs

    def counting(root: Path, specs: list[str]) -> list[bytes | None]:
        read.extend(specs)
        return real(root, specs)

    monkeypatch.setattr(weekly, "read_blobs", counting)
    calls = _counting_computes(monkeypatch, root)
    write(root, "c05", record("Aaron Renamed", "active"))
    commit_at(root, "2026-11-21", "one client")
    view = recent_changes(repo, TODAY)
    assert (len(read), calls) == (1, [])  # the new version only: no commit before the window
    assert view == _from_scratch(root)
    assert lines_of(view)["new"][0] == "c05: new client in active"  # sorted by the new name


def test_a_missing_or_damaged_store_is_recomputed(
    week_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = open_repository(week_repo)
    expected = recent_changes(repo, TODAY)
    calls = _counting_computes(monkeypatch, week_repo)
    for damage in (None, b"not a database at all" * 100, b""):
        store = week_repo / weekly.STORE
        for extra in ("", "-wal", "-shm", "-journal"):
            Path(f"{store}{extra}").unlink(missing_ok=True)
        if damage is not None:
            store.write_bytes(damage)
        (week_repo / VIEW_CACHE).unlink()
        assert recent_changes(repo, TODAY) == expected
    assert len(calls) == 3
    # the store of another key (or another generation) is not trusted either
    manifest = json.loads((week_repo / PAIR_CACHE).read_bytes())
    manifest["pairs"]["token"] = "0" * 16
    (week_repo / PAIR_CACHE).write_text(json.dumps(manifest), encoding="utf-8")
    write(week_repo, "ben-ito", record("Ben Ito", "contracted"))
    commit_at(week_repo, "2026-11-21", "ben signed")
    assert recent_changes(repo, TODAY) == _from_scratch(week_repo)
    assert len(calls) == 4


def test_an_unusable_store_still_gives_the_view(week_repo: Path) -> None:
    expected = _from_scratch(week_repo)
    (week_repo / ".sortext").mkdir()
    (week_repo / weekly.STORE).mkdir()  # a folder where the database should be
    assert recent_changes(open_repository(week_repo), TODAY) == expected


def test_a_new_client_is_one_line_whatever_history_it_brings(tmp_path: Path) -> None:
    """An imported client's past sessions, measurements, invoices and next action
    are not this week's news: one "New clients" line each (``sortext changes``
    still lists them all)."""
    from sortext.vcs.changes import classify
    from sortext.vcs.versions import parse_version

    root = new_repo(tmp_path)
    write(root, "z", record("Z", "inquiry"))
    commit_at(root, "2026-11-01", "start")
    write(root, "amara-okafor", AMARA_AFTER)  # sessions, measurements, invoices, next action
    write(root, "quoted", record('"Quinn: Q"', "'active'", "sessions: [{date: 2026-11-18}]"))
    write(root, "broken", "---\nname: [unclosed\n---\n")
    commit_at(root, "2026-11-18", "import")
    assert lines_of(recent_changes(open_repository(root), TODAY)) == {
        "new": ["amara-okafor: new client in review", "quoted: new client in active"],
        "unreadable": ["broken: front matter does not parse (run sortext check)"],
    }
    parsed = parse_version(AMARA_AFTER.encode(), "clients/amara-okafor.md")
    assert parsed is not None
    kinds = {kind for kind, *_ in classify(None, parsed.data, TODAY, TODAY)}
    assert {"new_client", "session_logged", "measurement_added", "invoice_paid"} <= kinds


def test_new_clients_take_the_line_scan_not_the_parser(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plain name and stage lines are enough: a bulk import is not YAML-parsed."""
    import sortext.vcs.versions

    root = new_repo(tmp_path)
    for n in range(5):
        write(root, f"c{n}", record(f"Client {n}", "active", "sessions: [{date: 2026-11-18}]"))
    commit_at(root, "2026-11-18", "import")

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("parsed a new record")

    monkeypatch.setattr(sortext.vcs.versions, "parse_version", refuse)
    monkeypatch.setattr(sortext.vcs.versions.VersionParser, "parse", refuse)
    view = recent_changes(open_repository(root), TODAY)
    assert lines_of(view) == {"new": [f"c{n}: new client in active" for n in range(5)]}
