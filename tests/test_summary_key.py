"""A build with nothing changed renders no summary page (NEXT.md, site/index.html,
site/owners/): the summary key in the index says what they were rendered from and
what bytes were written.  Every way the key must be bypassed is a test here, each
holding the fast build's pages equal to a rendering (the slow path: the same build
with the kept key dropped), and a hypothesis test drives a repository through
sequences of such changes."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sortext.pages.build as build_module
from sortext.pages.build import SUMMARY_KEY, BuildResult, build
from sortext.repo import open_repository
from sortext.store.index import Index, identity_of
from tests.conftest import SAMPLE_TODAY, git, sample_records

TODAY = dt.date.fromisoformat(SAMPLE_TODAY)
SUMMARY = ("NEXT.md", "site/index.html")


def _summary_files(root: Path) -> dict[str, bytes]:
    found = {rel: (root / rel).read_bytes() for rel in SUMMARY if (root / rel).is_file()}
    owners = root / "site" / "owners"
    if owners.is_dir():
        for name in sorted(os.listdir(owners)):
            found[f"site/owners/{name}"] = (owners / name).read_bytes()
    return found


class _Counting:
    """Counts renderings of the summary pages (a spy on ``_summary_pages``)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        real = build_module._summary_pages

        def spy(*args: object, **kwargs: object) -> object:
            self.calls += 1
            return real(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(build_module, "_summary_pages", spy)


def _drop_key(root: Path) -> None:
    with Index.open(open_repository(root)) as index, index.conn:
        index.conn.execute("DELETE FROM meta WHERE key = ?", (SUMMARY_KEY,))


def _same_as_rendering(root: Path, today: dt.date = TODAY) -> BuildResult:
    """Build (the fast path, maybe keeping the summary pages), then the same build
    with the kept key dropped (rendering them): the pages, error count and warnings
    must be the same.  Returns the first build's result."""
    fast = build(open_repository(root), today)
    pages = _summary_files(root)
    _drop_key(root)
    slow = build(open_repository(root), today)
    assert _summary_files(root) == pages
    assert not set(slow.written) & set(pages)  # the rendering found nothing to change
    assert (slow.errors, slow.warnings) == (fast.errors, fast.warnings)
    assert set(pages) <= set(fast.written) | set(fast.unchanged)
    assert set(pages) <= set(slow.unchanged)
    if not fast.written and not fast.removed:  # the same report: the count it prints
        # (a record whose mtime fell in the index's own tick is parsed again and its
        # page listed as unchanged, where a later build counts it: same total)
        assert [p for p in fast.unchanged if p in pages] == [
            p for p in slow.unchanged if p in pages
        ]
        assert len(fast.unchanged) + fast.unchanged_pages == (
            len(slow.unchanged) + slow.unchanged_pages
        )
    return fast


@pytest.fixture
def built(records_repo: Path) -> Path:
    build(open_repository(records_repo), TODAY)
    return records_repo


def test_a_build_with_nothing_changed_renders_no_summary_page(
    built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = build(open_repository(built), TODAY)  # keeps the key (the first may be racy)
    counting = _Counting(monkeypatch)
    again = build(open_repository(built), TODAY)
    assert counting.calls == 0
    assert again.written == [] and again.removed == []
    assert set(again.unchanged) == set(first.unchanged) and again.errors == first.errors
    assert {"NEXT.md", "site/index.html"} <= set(again.unchanged)
    assert any(p.startswith("site/owners/") for p in again.unchanged)


def test_the_kept_build_reports_what_a_rendering_reports(built: Path) -> None:
    _same_as_rendering(built)


def test_a_no_change_build_imports_neither_jinja_nor_the_rules_nor_the_parser(
    built: Path,
) -> None:
    build(open_repository(built), TODAY)
    code = (
        "import sys, datetime as dt\n"
        "from sortext.pages.build import build\n"
        "from pathlib import Path\nfrom sortext.repo import open_repository\n"
        f"r = build(open_repository(Path(sys.argv[1])), dt.date.fromisoformat('{SAMPLE_TODAY}'))\n"
        "assert not r.written, r.written\n"
        "bad = [m for m in sys.modules if m.split('.')[0] == 'jinja2' or m in "
        "('sortext.rules.findings', 'sortext.check.load')]\n"
        "print(','.join(sorted(bad)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(built)], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == ""


def _edit_record(root: Path) -> None:
    path = root / "clients" / "bruno-castellanos.md"
    path.write_text(path.read_text().replace("Bruno Castellanos", "Bruno Castellano", 1))


def _change_config(root: Path) -> None:
    path = root / "sortext.yaml"
    path.write_text(path.read_text().replace("due_soon_days: 7", "due_soon_days: 9", 1))


def _drop_owner(root: Path) -> None:
    path = root / "sortext.yaml"
    path.write_text(path.read_text().replace("people: [maya, theo]", "people: [maya]", 1))


def _override_template(root: Path) -> None:
    shipped = Path(build_module.__file__).parent.parent / "templates" / "NEXT.md.j2"
    text = shipped.read_text()
    (root / "templates" / "NEXT.md.j2").write_text(text + "\nOverridden here.\n")


def _add_template_file(root: Path) -> None:
    (root / "templates" / "parts").mkdir(exist_ok=True)
    (root / "templates" / "parts" / "unused.html").write_text("<p>not used</p>\n")


def _edit_next_by_hand(root: Path) -> None:
    path = root / "NEXT.md"
    path.write_bytes(path.read_bytes().replace(b"Overdue", b"Ovrdue", 1))


def _same_size_edit_of_the_dashboard(root: Path) -> None:
    path = root / "site" / "index.html"
    data = path.read_bytes()
    st = os.stat(path)
    path.write_bytes(data.replace(b"<", b">", 1))  # same size
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # same mtime too


def _delete_next(root: Path) -> None:
    (root / "NEXT.md").unlink()


def _delete_owner_page(root: Path) -> None:
    pages = sorted((root / "site" / "owners").iterdir())
    pages[0].unlink()


def _plant_owner_page(root: Path) -> None:
    (root / "site" / "owners" / "nobody.html").write_text("<p>left over</p>\n")


def _rebuild_index(root: Path) -> None:
    shutil.rmtree(root / ".sortext")


def _inbox_note(root: Path) -> None:
    (root / "inbox").mkdir(exist_ok=True)
    (root / "inbox" / "call-back.md").write_text("Call back about the invoice.\n")


def _inbox_file_section(root: Path) -> None:
    with open(root / "inbox.md", "a", encoding="utf-8") as out:
        out.write("## A note\n\nFollow up.\n")


def _commit(root: Path) -> None:
    git(root, "commit", "-q", "--allow-empty", "-m", "HEAD moves, no file changes")


def _query_stores(root: Path) -> None:
    """``list --at-risk`` for another day stores that day's assessments in the index."""
    done = subprocess.run(
        [sys.executable, "-m", "sortext", "list", "--at-risk", "--today", "2026-12-02"],
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert done.returncode in (0, 1), done.stderr


def _damage_key(root: Path) -> None:
    with Index.open(open_repository(root)) as index, index.conn:
        index.conn.execute(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)", (SUMMARY_KEY, '{"key": 3, "files"')
        )


def _plant_key(root: Path) -> None:
    """A key naming a file outside the summary pages is not read (it renders)."""
    with Index.open(open_repository(root)) as index, index.conn:
        raw = index.meta(SUMMARY_KEY)
        assert raw
        kept = json.loads(raw)
        kept["files"].append(["clients/amara-okafor.md", "0" * 40])
        index.conn.execute(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)", (SUMMARY_KEY, json.dumps(kept))
        )


CHANGES: dict[str, Callable[[Path], None]] = {
    "record edited": _edit_record,
    "config changed": _change_config,
    "owner dropped": _drop_owner,
    "template overridden": _override_template,
    "template file added": _add_template_file,
    "NEXT.md edited by hand": _edit_next_by_hand,
    "dashboard edited in place, same size and mtime": _same_size_edit_of_the_dashboard,
    "NEXT.md deleted": _delete_next,
    "owner page deleted": _delete_owner_page,
    "owner page planted": _plant_owner_page,
    "index rebuilt": _rebuild_index,
    "inbox note": _inbox_note,
    "inbox.md section": _inbox_file_section,
    "commit (since last week)": _commit,
    "query stored another day": _query_stores,
    "kept key damaged": _damage_key,
    "kept key planted": _plant_key,
}


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_each_change_renders_the_summary_pages_again(
    built: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    build(open_repository(built), TODAY)  # the key kept
    before = _summary_files(built)
    CHANGES[name](built)
    counting = _Counting(monkeypatch)
    build(open_repository(built), TODAY)
    assert counting.calls == 1, f"{name}: the summary pages were not rendered"
    assert set(_summary_files(built)) <= set(before) | {"site/owners/nobody.html"}
    _same_as_rendering(built)


def test_a_new_day_renders_them(built: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build(open_repository(built), TODAY)
    counting = _Counting(monkeypatch)
    build(open_repository(built), TODAY + dt.timedelta(days=1))
    assert counting.calls == 1
    _same_as_rendering(built, TODAY + dt.timedelta(days=1))
    counting.calls = 0
    build(open_repository(built), TODAY)  # and back
    assert counting.calls == 1
    _same_as_rendering(built)


def test_a_template_removed_renders_them(built: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _override_template(built)
    build(open_repository(built), TODAY)
    assert b"Overridden here." in (built / "NEXT.md").read_bytes()
    build(open_repository(built), TODAY)
    (built / "templates" / "NEXT.md.j2").unlink()
    counting = _Counting(monkeypatch)
    build(open_repository(built), TODAY)
    assert counting.calls == 1
    assert b"Overridden here." not in (built / "NEXT.md").read_bytes()
    _same_as_rendering(built)


def test_a_watcher_build_told_of_one_file_keeps_them_equal(built: Path) -> None:
    """The watcher's builds name the changed files: the kept key covers them too."""
    path = built / "clients" / "amara-okafor.md"
    path.write_text(path.read_text().replace("Amara Okafor", "Amara Okafor-Mensah", 1))
    build(open_repository(built), TODAY, changed=[path])
    assert b"Amara Okafor-Mensah" in (built / "NEXT.md").read_bytes()
    _same_as_rendering(built)


def test_the_inbox_names_match_the_day_view() -> None:
    from sortext.views import day

    assert (build_module.INBOX_DIR, build_module.INBOX_FILE) == (day.INBOX_DIR, day.INBOX_FILE)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(st.sampled_from(sorted(CHANGES) + ["nothing"] * 3), max_size=4))
def test_any_sequence_of_changes_leaves_the_pages_a_rendering_gives(
    tmp_path_factory: pytest.TempPathFactory, steps: list[str]
) -> None:
    root = sample_records(tmp_path_factory.mktemp("seq") / "records")
    build(open_repository(root), TODAY)
    for step in steps:
        if step != "nothing":
            if step == "owner page deleted" and not (root / "site" / "owners").is_dir():
                continue
            if step == "kept key planted" and not _has_key(root):
                continue
            CHANGES[step](root)
        _same_as_rendering(root)


def _has_key(root: Path) -> bool:
    if not (root / ".sortext").is_dir():
        return False
    with Index.open(open_repository(root)) as index:
        return bool(index.meta(SUMMARY_KEY))


def test_a_warning_keeps_nothing_so_the_next_build_renders_again(
    built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Since last week left out on a git failure: each build says so and renders,
    and the first build after git answers again has the section."""
    import sortext.views.weekly as weekly
    from sortext.errors import GitError

    _commit(built)  # HEAD moves: "since last week" is read again
    build(open_repository(built), TODAY)
    with_section = (built / "NEXT.md").read_bytes()
    _commit(built)
    real = weekly.recent_changes

    def failing(*args: object, **kwargs: object) -> object:
        raise GitError("git log: fatal: simulated")

    monkeypatch.setattr(weekly, "recent_changes", failing)
    counting = _Counting(monkeypatch)
    for _ in range(2):
        result = build(open_repository(built), TODAY)
        assert any("since last week" in w for w in result.warnings)
    assert counting.calls == 2
    monkeypatch.setattr(weekly, "recent_changes", real)
    result = build(open_repository(built), TODAY)
    assert result.warnings == [] and counting.calls == 3
    assert (built / "NEXT.md").read_bytes() == with_section


def test_with_a_watcher_vouching_nothing_is_rendered(
    built: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A running watcher with nothing pending vouches for its index: the build still
    stats the record files (an edit through a hard link outside the repository raises
    no event the watcher sees; ``tests/test_hard_links.py``) and, nothing changed and
    its summary key matching, renders nothing; a save the watcher indexed (the
    generation moves) renders them again, and they equal a rendering."""
    from sortext.daemon.lock import acquire
    from sortext.files import watchmark
    from sortext.files.state import StateDir

    build(open_repository(built), TODAY)
    lock = acquire(StateDir(built).watch_lock)
    try:
        watchmark.mark(built, built / "clients", identity_of(built))
        real_look = Index.stat_changes
        looks: list[list[str]] = []

        def counted_look(self: Index, stamp: bool = True) -> list[str]:
            found = real_look(self, stamp)
            looks.append(found)
            return found

        monkeypatch.setattr(Index, "stat_changes", counted_look)
        counting = _Counting(monkeypatch)
        result = build(open_repository(built), TODAY)
        assert len(looks) == 1 and counting.calls == 0 and result.written == []
        # the watcher indexes a save (its refresh of the named file), then vouches again
        watchmark.clear(built)
        path = built / "clients" / "bruno-castellanos.md"
        path.write_text(path.read_text().replace("Bruno Castellanos", "Bruno Castell", 1))
        with Index.open(open_repository(built)) as index:
            index.refresh(only=[path.name])
        watchmark.mark(built, built / "clients", identity_of(built))
        result = build(open_repository(built), TODAY)
        assert counting.calls == 1
        assert b"Bruno Castell]" in (built / "NEXT.md").read_bytes()
        monkeypatch.setattr(Index, "stat_changes", real_look)
    finally:
        lock.release()
    _same_as_rendering(built)


def test_the_command_prints_the_same_bytes_kept_or_rendered(built: Path) -> None:
    """``sortext build``'s output (verbose too) is the same whether the summary pages
    were kept or rendered."""

    def run(*args: str) -> bytes:
        done = subprocess.run(
            [sys.executable, "-m", "sortext", "build", "--today", SAMPLE_TODAY, *args],
            cwd=built,
            capture_output=True,
            check=True,
        )
        return done.stdout + b"|" + done.stderr

    for args in ((), ("-v",)):
        run(*args)  # the key kept (the fixture's build may have been another run's)
        kept = run(*args)
        _drop_key(built)
        assert run(*args) == kept
