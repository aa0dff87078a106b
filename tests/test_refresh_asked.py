"""Issue 15, the watcher's refresh after a save costs what is asked: only the questions
asked since the previous refresh are worked out again (a replay marks its command line
asked, cheaply: no write when it is the line asked last); no child process at all when none
was; a configuration change keeps the questions (not their replies); and a child that
fails is told once per cause, never silently.

Every replay here goes through the real entry point in a fresh process and is held to
a fresh answer through Click (``tests.test_watch_refresh``).
"""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import sys
import time
from pathlib import Path

import pytest

from sortext.store.index import identity_of
from tests.dated import replace
from tests.test_query_recall import NORTHWIND
from tests.test_recall_line import _entry
from tests.test_watch_refresh import ASKED, Watcher, _fresh, _line, _replayed, watched
from tests.watchkit import children

__all__ = ["watched"]  # the fixture, used by name


def _marks(root: Path) -> dict[str, int]:
    conn = sqlite3.connect(root / ".sortext" / "index.sqlite")
    try:
        return dict(conn.execute("SELECT key, at FROM reply_asked"))
    finally:
        conn.close()


def test_a_question_not_asked_again_is_not_worked_out_again(
    watched: tuple[Path, Watcher, dict[str, str]],
) -> None:
    """Asked, saved: refreshed.  Saved again with nobody asking: nothing is worked out
    (the reply goes stale and is worked out when next asked, through Click), and that
    ask marks the question, so the save after it refreshes it (and only it)."""
    root, watcher, env = watched
    assert watcher.saved() == len(ASKED)
    replace(root / NORTHWIND, r"^name: Northwind Bakery", "name: Northwind Bakerz")
    assert watcher.saved("northwind-bakery.md") == 0  # nobody asked since
    query = ("list", "--at-risk")
    out, _, _, click = _entry(root, _line(query), env)
    assert click and b"Northwind Bakerz" in out  # stale: worked out afresh
    replace(root / NORTHWIND, r"^name: Northwind Bakerz", "name: Northwind Bakery")
    assert watcher.saved("northwind-bakery.md") == 1  # only the question asked since
    got = _replayed(root, query, env)
    assert b"Northwind Bakery" in got[0]
    assert got == _fresh(root, query, env)
    assert _entry(root, _line(("next",)), env)[3]  # not asked since: not refreshed


def test_a_replay_marks_its_question_asked(
    watched: tuple[Path, Watcher, dict[str, str]],
) -> None:
    """A replay (before Click) marks its command line: the next save refreshes it."""
    root, watcher, env = watched
    watcher.saved()
    query = ("next",)
    _replayed(root, query, env)
    replace(root / NORTHWIND, r"^name: Northwind Bakery", "name: Northwind Bakerz")
    assert watcher.saved("northwind-bakery.md") == 1
    got = _replayed(root, query, env)
    assert b"Northwind Bakerz" in got[0]
    assert got == _fresh(root, query, env)


def test_a_replay_writes_its_mark_once_between_two_refreshes(
    watched: tuple[Path, Watcher, dict[str, str]],
) -> None:
    """The mark is one write for a command line asked again and again: a second replay
    only reads (its mark is the newest)."""
    root, watcher, env = watched
    watcher.saved()
    query = ("next",)
    before = _marks(root)
    _replayed(root, query, env)
    first = _marks(root)
    changed = {k for k in first if first[k] != before.get(k)}
    assert len(changed) == 1  # this line's mark
    _replayed(root, query, env)
    assert _marks(root) == first  # nothing written


def test_no_child_is_started_when_nothing_was_asked(
    watched: tuple[Path, Watcher, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A save nobody asks after costs a read of the index: no process is started."""
    import subprocess

    from sortext.commands.watch import RefreshChild

    root, watcher, env = watched
    watcher.saved()  # every question refreshed; nobody asked since
    started: list[object] = []
    real = subprocess.Popen

    def popen(argv: list[str], *args: object, **kwargs: object) -> object:
        if "-P" in argv:  # the watcher's child (a query's process is not)
            started.append(argv)
        return real(argv, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(subprocess, "Popen", popen)
    watcher.saved(refresh=False)
    assert RefreshChild()(root, lambda: False) == 0
    assert started == []
    _entry(root, _line(("next",)), env)  # asked (worked out: the save made it stale)
    watcher.saved(refresh=False)
    assert RefreshChild()(root, lambda: False) == 0
    assert len(started) == 1
    assert not _entry(root, _line(("next",)), env)[3]


def test_a_stopped_refresh_leaves_its_questions_to_the_next(
    watched: tuple[Path, Watcher, dict[str, str]],
) -> None:
    """Stopped by a waiting change (or not vouched for at that moment), a refresh is not
    noted as done: the next one works out the same questions."""
    from sortext.commands.watch import refresh_replies
    from sortext.files import watchmark

    root, watcher, env = watched
    watcher.saved(refresh=False)
    assert refresh_replies(root, lambda: True) == 0
    watchmark.clear(root)
    assert refresh_replies(root, lambda: False) == 0  # nothing vouched for
    watchmark.mark(root, root / "clients", identity_of(root))
    assert refresh_replies(root, lambda: False) == len(ASKED)
    assert not _entry(root, _line(("next",)), env)[3]


def test_a_clock_set_back_after_a_refresh_refreshes_the_marked_questions(
    watched: tuple[Path, Watcher, dict[str, str]],
) -> None:
    """A refresh noted in the future (the wall clock was set back since) would leave
    every question asked after it unrefreshed until the clock caught up: a mark is
    always past the refresh it follows, so the next save refreshes the question asked
    since (and only it: the ones asked before were that refresh's; counting the
    refresh as none made every later save start a child; tests/test_breakrefresh9.py
    holds this against any clock steps)."""
    from sortext.store import answers

    root, watcher, env = watched
    conn = sqlite3.connect(root / ".sortext" / "index.sqlite")
    with conn:
        answers.set_refreshed(conn, time.time_ns() + 3600 * 10**9)
    conn.close()
    _entry(root, _line(("next",)), env)  # asked now: the clock is behind the refresh
    assert watcher.saved() == 1
    assert watcher.saved() == 0  # nothing asked since: nothing worked out
    assert _entry(root, _line(("next",)), env)[3]  # (so this one is stale: worked out)
    assert watcher.saved() == 1
    assert not _entry(root, _line(("next",)), env)[3]


def test_an_index_without_the_marks_still_replays(
    watched: tuple[Path, Watcher, dict[str, str]],
) -> None:
    """An index from before the marks (no reply_asked table): the replay works, writes
    nothing, and the refresh finds no question pending (none is refreshed until a
    command line records it again)."""
    from sortext.commands.watch import refresh_replies

    root, watcher, env = watched
    watcher.saved()
    _index_sql(root, "DROP TABLE reply_asked")
    got = _replayed(root, ("next",), env)
    _forget_replies(root)
    assert got == _fresh(root, ("next",), env)
    assert refresh_replies(root, lambda: False) == 0


def _forget_replies(root: Path) -> None:
    _index_sql(root, "DELETE FROM replies")


def _index_sql(root: Path, statement: str) -> None:
    """``statement`` run on the index in a transaction of its own."""
    conn = sqlite3.connect(root / ".sortext" / "index.sqlite")
    with conn:
        conn.execute(statement)
    conn.close()


def test_damaged_marks_are_read_as_none(
    watched: tuple[Path, Watcher, dict[str, str]],
) -> None:
    """A mark that is not an integer (a planted or damaged row) is as if never made: the
    replay marks the line again, nothing fails."""
    root, watcher, env = watched
    watcher.saved()
    _index_sql(root, "UPDATE reply_asked SET at = 'soon'")
    _replayed(root, ("next",), env)
    replace(root / NORTHWIND, r"^name: Northwind Bakery", "name: Northwind Bakerz")
    assert watcher.saved("northwind-bakery.md") == 1
    assert not _entry(root, _line(("next",)), env)[3]


def test_a_configuration_change_keeps_the_questions_not_their_replies(
    watched: tuple[Path, Watcher, dict[str, str]],
) -> None:
    """A change of ``sortext.yaml`` rebuilds the index (its fingerprint moved): the
    questions asked and their marks are kept, so the refresh after the rebuild works
    them out under the new configuration, and the first query after it is a replay
    equal to a fresh answer; the replies of the old configuration are gone."""
    root, watcher, env = watched
    config = root / "sortext.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text + "\n# a new comment\n", encoding="utf-8")
    conn = sqlite3.connect(root / ".sortext" / "index.sqlite")
    lines = conn.execute("SELECT key, value FROM reply_lines ORDER BY rowid").fetchall()
    conn.close()
    assert watcher.saved() == len(ASKED)  # the rebuild (Index.open), then the refresh
    conn = sqlite3.connect(root / ".sortext" / "index.sqlite")
    after = conn.execute("SELECT key, value FROM reply_lines ORDER BY rowid").fetchall()
    conn.close()
    assert after == lines
    got = {query: _replayed(root, query, env) for query in ASKED}
    for query in ASKED:
        assert got[query] == _fresh(root, query, env), query


# -- a child that fails is told, once per cause ----------------------------------------


def test_a_child_that_cannot_import_is_told_once(
    watched: tuple[Path, Watcher, dict[str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The child's import fails (here a broken ``sortext`` first on its path, as an
    upgrade half done leaves one): a warning with the error, once for many saves; the
    watcher goes on (nothing raised), and its own stop of a child is never told."""
    from sortext.commands import watch

    root, watcher, _ = watched
    broken = tmp_path / "broken"
    (broken / "sortext").mkdir(parents=True)
    (broken / "sortext" / "__init__.py").write_text(
        "raise ImportError('a half-installed sortext')\n", encoding="utf-8"
    )
    monkeypatch.setattr(watch, "_source_tree", lambda: str(broken))
    refresh = watch.RefreshChild()
    caplog.set_level(logging.WARNING, logger="sortext.watch")
    watcher.saved(refresh=False)
    assert refresh(root, lambda: False) == 1
    assert refresh(root, lambda: False) == 1
    told = [r for r in caplog.records if "a half-installed sortext" in r.getMessage()]
    assert len(told) == 1 and "ImportError" in told[0].getMessage()
    assert refresh(root, lambda: True) is None  # its own stop: not a failure
    assert len([r for r in caplog.records if r.name == "sortext.watch"]) == 1


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_child_killed_by_someone_else_is_told_once(
    watched: tuple[Path, Watcher, dict[str, str]], caplog: pytest.LogCaptureFixture
) -> None:
    """Killed by another hand (the kernel's out-of-memory killer sends SIGKILL): told,
    once per cause; the next refresh runs as usual."""
    from sortext.commands.watch import RefreshChild

    root, watcher, env = watched
    refresh = RefreshChild()
    caplog.set_level(logging.WARNING, logger="sortext.watch")

    def killer() -> bool:
        for pid in children():
            os.kill(pid, signal.SIGKILL)
        return False

    for _ in range(2):
        watcher.saved(refresh=False)
        assert refresh(root, killer) == -signal.SIGKILL
    told = [r.getMessage() for r in caplog.records if r.name == "sortext.watch"]
    assert len(told) == 1 and "SIGKILL" in told[0]
    assert refresh(root, lambda: False) == 0
    assert not _entry(root, _line(("next",)), env)[3]


def test_a_child_failing_without_a_word_is_told_by_its_status(
    watched: tuple[Path, Watcher, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A child that exits non-zero with nothing on standard error: its exit status."""
    from sortext.commands import watch

    root, watcher, _ = watched
    monkeypatch.setattr(watch, "_CHILD", "import os\nos._exit(3)\n")
    refresh = watch.RefreshChild()
    caplog.set_level(logging.WARNING, logger="sortext.watch")
    watcher.saved(refresh=False)
    assert refresh(root, lambda: False) == 3
    told = [r.getMessage() for r in caplog.records if r.name == "sortext.watch"]
    assert len(told) == 1 and "exit status 3" in told[0]
