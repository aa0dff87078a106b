"""Break-tests of the watcher's refresh after a save (``sortext.commands.watch.
refresh_in_child`` / ``refresh_replies``, :class:`sortext.views.recall.Refresh`).

Each test holds what a query prints after the watcher's refresh to what a fresh
computation (no remembered replies) prints for the same records, arguments and
terminal, or holds the watcher's child to what a command line may do.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.dated import replace
from tests.test_query_recall import NORTHWIND
from tests.test_recall_line import _entry
from tests.test_watch_refresh import Watcher, _fresh, _line, _replayed, watched
from tests.watchkit import children

if TYPE_CHECKING:
    from tests.watchkit import Daemon

__all__ = ["watched"]  # the fixture, used by name


def test_the_child_does_not_import_code_from_the_watchers_working_folder(
    watched: tuple[Path, Watcher, dict[str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``python -c`` puts the working folder first on ``sys.path``: a ``click.py`` (or
    ``sortext/``, ``yaml.py``...) in the folder ``sortext watch`` was started in (the
    records' repository, which may come from anyone) ran as the watcher's child.  The
    console script never looks there; nor may its child."""
    from sortext.commands.watch import refresh_in_child

    planted = tmp_path / "planted"
    planted.mkdir()
    ran = tmp_path / "ran.txt"
    (planted / "click.py").write_text(
        f"import pathlib\npathlib.Path({str(ran)!r}).write_text('planted')\n"
        "raise ImportError('planted click')\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(planted)
    root, watcher, env = watched  # questions asked: a child is started
    watcher.saved(refresh=False)
    assert refresh_in_child(root, lambda: False) == 0
    assert not ran.exists()
    assert not _entry(root, _line(("next",)), env)[3]  # the child did its work


HOSTILE = (
    ("list", "--sort", "billing.nothing"),
    ("list", "--sort", "-name"),
    ("list", "--owner", "ma\x1b[31mya\x07"),
    ("next", "--owner", "\x1b]0;title\x07"),
    ("list", "--where", "name~\x1b[2J"),
    ("list", "--where", "billing.rate>=300", "--json"),
    ("next", "--within", "99999999999999999999d"),
)


def test_hostile_questions_are_refreshed_as_a_fresh_answer(
    watched: tuple[Path, Watcher, dict[str, str]],
) -> None:
    root, watcher, env = watched
    for query in HOSTILE:
        for _ in range(2):
            _entry(root, _line(query), env)
    replace(root / NORTHWIND, r"^name: Northwind Bakery", "name: Northwind Bakerz")
    watcher.saved("northwind-bakery.md")
    got = {query: _entry(root, _line(query), env) for query in HOSTILE}  # before any is dropped
    for query in HOSTILE:
        assert got[query][:3] == _fresh(root, query, env), query


def test_an_invalid_record_beside_the_save_is_told_as_afresh(
    watched: tuple[Path, Watcher, dict[str, str]],
) -> None:
    root, watcher, env = watched
    (root / "clients" / "broken.md").write_text("---\nname: [\n---\n", encoding="utf-8")
    watcher.saved("broken.md")
    asked = (("next",), ("list", "--at-risk"), ("next", "--json"))
    for query in asked:  # asked again after that save: the next refresh has them
        _replayed(root, query, env)
    replace(root / NORTHWIND, r"^name: Northwind Bakery", "name: Northwind Bakerz")
    watcher.saved("northwind-bakery.md")
    got = {query: _replayed(root, query, env) for query in asked}
    for query in asked:
        assert got[query] == _fresh(root, query, env), query


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_child_killed_while_writing_a_reply_leaves_no_temp_file(
    watched: tuple[Path, Watcher, dict[str, str]],
) -> None:
    """The child is killed when a change waits, possibly in the middle of writing a
    long reply's file (the one writer's ``.<name>.sortext-tmp-<pid>-<hex>``): the
    watcher runs for weeks and removed such files only at its start, so each save
    that cut a write left up to a reply's size (MBs at 30,000 clients) in
    .sortext/replies.  The watcher removes what its killed child was writing."""
    from sortext.commands.watch import refresh_in_child
    from sortext.files.state import StateDir

    root, watcher, _ = watched
    watcher.saved(refresh=False)
    folder = StateDir(root).replies
    folder.mkdir(exist_ok=True)
    planted: list[Path] = []

    def hurry() -> bool:  # a change arrives while the child writes a reply's file
        if not planted:
            kids = children()
            if not kids:
                return False
            temp = folder / f".{'a' * 64}.txt.sortext-tmp-{kids[0]}-0123abcd"
            temp.write_bytes(b"half a reply")
            planted.append(temp)
        return True

    assert refresh_in_child(root, hurry) is None
    assert planted and not planted[0].exists()


def _on_tty(root: Path, query: tuple[str, ...], env: dict[str, str], columns: int) -> bytes:
    """What the entry point writes to a terminal ``columns`` wide (stdout a pty)."""
    import fcntl
    import pty
    import struct
    import subprocess
    import termios

    from tests.test_recall_line import _ENTRY

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-c", _ENTRY, *_line(query)],
        cwd=root,
        env=env,
        stdout=follower,
        stderr=subprocess.DEVNULL,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    proc.wait()
    os.close(leader)
    return b"".join(chunks)


@pytest.mark.parametrize("columns", [40, 200])
def test_a_question_asked_on_a_terminal_is_refreshed_for_its_width_and_colour(
    watched: tuple[Path, Watcher, dict[str, str]], columns: int
) -> None:
    from tests.test_watch_refresh import _forget

    root, watcher, env = watched
    env = {k: v for k, v in env.items() if k not in ("COLUMNS", "LINES", "TERM")}
    asked = (("next",), ("list", "--at-risk"))
    for query in asked * 2:
        _on_tty(root, query, env, columns)
    replace(root / NORTHWIND, r"^name: Northwind Bakery", "name: Northwind Bakerz Of Many Words")
    assert watcher.saved("northwind-bakery.md") >= len(asked)
    got = {}
    for query in asked:
        got[query] = _on_tty(root, query, env, columns)
        assert "click" not in Path(env["MODULES_OUT"]).read_text().split(), query
    for query in asked:
        _forget(root)
        assert got[query] == _on_tty(root, query, env, columns), query
        assert b"\x1b[" in got[query]  # coloured, as a terminal gets it


Query = tuple[str, ...]


def _ask_twice(root: Path, asked: Sequence[Query], env: dict[str, str]) -> None:
    """Each question asked twice through the entry point (so that it is remembered)."""
    for query in [*asked, *asked]:
        _entry(root, _line(query), env)


@contextlib.contextmanager
def _asked_watcher(root: Path, asked: Sequence[Query], env: dict[str, str]) -> Iterator[Daemon]:
    """A real ``sortext watch`` on ``root``, ready with its state current, and the
    ``asked`` questions asked twice; stopped on leaving."""
    from sortext.files.state import StateDir
    from tests.watchkit import Daemon, wait_for

    daemon = Daemon(root)
    try:
        daemon.wait_ready()
        wait_for(StateDir(root).watch_current.exists, 20, lambda: daemon.log)
        _ask_twice(root, asked, env)
        yield daemon
    finally:
        daemon.stop()


def _replays_are_fresh(
    root: Path, asked: Sequence[Query], env: dict[str, str]
) -> dict[Query, tuple[bytes, bytes, int]]:
    """Each question's replay (asserted a replay) equals a fresh answer; the replays."""
    got = {query: _replayed(root, query, env) for query in asked}
    for query in asked:
        assert got[query] == _fresh(root, query, env), query
    return got


def test_a_real_watcher_after_a_save_then_a_reset_hard_replays_a_fresh_answer(
    records_repo: Path, tmp_path: Path
) -> None:
    """``sortext watch`` (real observer, its child): a save, its refresh, then
    ``git reset --hard`` to the commit before (the records and HEAD go back): the
    queries after the watcher settled print what a fresh computation prints."""
    from tests.conftest import git
    from tests.test_query_recall import _dated
    from tests.test_recall_line import _env
    from tests.watchkit import replies_refreshed, saved_and_refreshed, wait_for

    root = _dated(records_repo)
    env = _env(tmp_path)
    asked = (("next",), ("list", "--at-risk"), ("list", "--sort", "in_stage"))
    with _asked_watcher(root, asked, env) as daemon:
        before = git(root, "rev-parse", "HEAD").strip()
        saved_and_refreshed(root, asked, daemon, NORTHWIND, r"^stage: proposal", "stage: paused")
        for query in asked:  # asked again (replayed): the refresh after the reset has them
            _replayed(root, query, env)
        git(root, "reset", "--hard", "--quiet", before)
        wait_for(
            lambda: (
                git(root, "rev-parse", "HEAD").strip() == before and replies_refreshed(root, asked)
            ),
            30,
            lambda: daemon.log,
        )
        got = _replays_are_fresh(root, asked, env)
        assert b"proposal" in got[("list", "--at-risk")][0]


@pytest.mark.parametrize("link", [".sortext/replies", ".sortext"])
def test_a_replies_folder_linked_into_the_repository_loses_no_user_file(
    watched: tuple[Path, Watcher, dict[str, str]], link: str
) -> None:
    """``.sortext`` is derived data that may come from elsewhere (a synced folder): a
    link ``.sortext/replies`` -> ``../notes`` stays inside the repository, so it was
    used, and every reply kept (by the watcher's refresh after each save, unasked)
    removed each ``*.txt`` there that was not a reply: the user's notes.  Only the
    real ``.sortext/replies`` folder holds replies; nothing else is written or removed."""
    import shutil

    root, watcher, env = watched
    notes = root / "notes"
    (notes / "replies").mkdir(parents=True)
    kept = [notes / "meeting.txt", notes / "replies" / "call.txt"]
    for path in kept:
        path.write_text("the user's own notes\n", encoding="utf-8")
    if link == ".sortext":
        state = root / ".sortext"
        for entry in state.iterdir():
            if entry.name != "replies":
                shutil.move(str(entry), notes / entry.name)
        shutil.rmtree(state)
        state.symlink_to("notes", target_is_directory=True)
    else:
        shutil.rmtree(root / link, ignore_errors=True)
        (root / link).symlink_to("../notes", target_is_directory=True)
    before = {p.name for p in notes.rglob("*.txt")}
    replace(root / NORTHWIND, r"^name: Northwind Bakery", "name: Northwind Bakerz")
    watcher.saved("northwind-bakery.md")
    _entry(root, _line(("next",)), env)
    assert all(path.read_text(encoding="utf-8") == "the user's own notes\n" for path in kept)
    assert {p.name for p in notes.rglob("*.txt")} == before


@settings(max_examples=40, deadline=None)
@given(names=st.lists(st.text(alphabet="0123456789abcdefABx.-_", min_size=1, max_size=70)))
def test_keeping_a_reply_removes_only_forgotten_reply_files(names: list[str]) -> None:
    """Whatever else sits in the replies folder (generated names, ``.txt`` or not, hex
    or not), keeping a reply removes only the files of replies no longer kept."""
    import hashlib
    import sqlite3
    import tempfile

    from sortext.store import answers

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "replies"
        folder.mkdir()
        forgotten = hashlib.sha256(b"an old reply").hexdigest() + ".txt"
        (folder / forgotten).write_text("old", encoding="utf-8")
        others = {n for n in (f"{n}.txt" for n in names) if n != forgotten and "/" not in n}
        others = {n for n in others if n not in (".", "..", ".txt")}
        for name in others:
            (folder / name).write_text("the user's", encoding="utf-8")
        conn = sqlite3.connect(":memory:")
        conn.execute("CREATE TABLE replies (key TEXT PRIMARY KEY, code INTEGER, out, err)")
        key = "recall:" + hashlib.sha256(b"now").hexdigest()
        answers.keep_reply(conn, key, 0, "x" * answers.FILE_MIN, "", 4, folder)
        left = set(os.listdir(folder))
        assert forgotten not in left
        assert others <= left
        assert answers._file_name(key) in left


@pytest.mark.parametrize(
    "streams",
    [
        {"PYTHONIOENCODING": "ascii"},
        {"PYTHONIOENCODING": "utf-16"},
        {"PYTHONIOENCODING": "cp437:backslashreplace", "NO_COLOR": "1"},
        {"LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"},
    ],
)
def test_a_question_asked_on_other_streams_is_refreshed_for_them(
    watched: tuple[Path, Watcher, dict[str, str]], streams: dict[str, str]
) -> None:
    """Streams that say ASCII (Click then writes UTF-8), UTF-16 (a BOM), a code page
    with its own error handler: the watcher's reply is what that command line prints."""
    root, watcher, env = watched
    env = dict(env, **streams)
    asked = (("list",), ("next",))
    for query in asked * 2:
        _entry(root, _line(query), env)
    replace(root / NORTHWIND, r"^name: Northwind Bakery", "name: Northwind Bäckerei ▁▂")
    watcher.saved("northwind-bakery.md")
    got = {query: _replayed(root, query, env) for query in asked}
    for query in asked:
        assert got[query] == _fresh(root, query, env), query


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32", "utf-8-sig", "utf-16-le"])
def test_a_replay_on_a_pipe_writes_the_byte_order_mark_a_fresh_answer_writes(
    records_repo: Path, tmp_path: Path, encoding: str
) -> None:
    """No watcher: a command line's own reply, replayed before Click on a pipe, was
    encoded by a fresh encoder (a UTF-16 or UTF-32 BOM first) while the stream a fresh
    answer goes through writes none on a pipe (Python's stdout is not at a file's
    start): the replay is written through that stream."""
    from tests.test_query_recall import _dated
    from tests.test_recall_line import _env

    root = _dated(records_repo)
    env = dict(_env(tmp_path), PYTHONIOENCODING=encoding)
    for query in (("list",), ("next",)):
        runs = [_entry(root, _line(query), env) for _ in range(3)]
        assert not runs[-1][3], query  # replayed
        assert [r[:3] for r in runs] == [runs[0][:3]] * 3, query


class _Pipe(io.BytesIO):
    """A stream's buffer that cannot seek (a pipe, a terminal)."""

    def seekable(self) -> bool:
        return False


def _through(raw: io.BytesIO, encoding: str, errors: str) -> io.TextIOWrapper:
    return io.TextIOWrapper(raw, encoding=encoding, errors=errors, write_through=True)


@settings(max_examples=80, deadline=None)
@given(
    text=st.text(st.sampled_from(["a", " ", "\n", "é", "▁", "€", "\x1b", "𝄞"]), max_size=12),
    encoding=st.sampled_from(["utf-16", "utf-32", "utf-8-sig", "utf-16-be", "latin-1", "ascii"]),
    errors=st.sampled_from(["strict", "replace"]),
    colour=st.booleans(),
    seekable=st.booleans(),
)
def test_a_replay_writes_what_the_stream_writes_fresh(
    text: str, encoding: str, errors: str, colour: bool, seekable: bool
) -> None:
    """On a pipe or at a file's start, with any encoding (byte-order marks included),
    the replay writes the bytes ``click.echo`` through the command line's stream does."""
    import click

    from sortext.files.inert import InertStream, inert_output, text_target
    from sortext.views import recall

    kinds = io.BytesIO if seekable else _Pipe
    fresh_raw = kinds()
    wrapper = _through(fresh_raw, encoding, errors)
    stream = InertStream(text_target(wrapper), colour)
    try:
        with contextlib.redirect_stdout(stream):
            click.echo(text, nl=False, color=colour)
            sys.stdout.flush()
        fresh: bytes | None = fresh_raw.getvalue()
    except UnicodeEncodeError:
        fresh = None
    kept = inert_output(text, colour).encode("utf-8", "surrogateescape")
    replay_raw = kinds()
    wrapper = _through(replay_raw, encoding, errors)
    ready = recall._prepare(kept, wrapper, colour)
    if ready is not None:
        recall._send(ready, wrapper)
        wrapper.flush()
    assert (None if ready is None else replay_raw.getvalue()) == fresh


def test_the_child_runs_the_watchers_own_source_tree(tmp_path: Path) -> None:
    """A watcher run from a source tree (``python -m sortext watch`` in a checkout, or
    a copy on its path): its child, started without the working folder on its path,
    imports that same tree, not another sortext the interpreter may find."""
    import shutil
    import subprocess

    import sortext

    tree = tmp_path / "tree"
    shutil.copytree(
        Path(sortext.__file__).parent,
        tree / "sortext",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    ran = tmp_path / "ran.txt"
    watch = tree / "sortext" / "commands" / "watch.py"
    watch.write_text(
        watch.read_text(encoding="utf-8")
        + f"\n\ndef refresh_replies(root, hurry):  # this tree's\n"
        f"    Path({str(ran)!r}).write_text('this tree')\n    return 0\n",
        encoding="utf-8",
    )
    recall = tree / "sortext" / "views" / "recall.py"  # a question pending: a child starts
    recall.write_text(
        recall.read_text(encoding="utf-8")
        + "\n\ndef questions(root, newest, pending=False):  # this tree's\n"
        "    return [{}]\n",
        encoding="utf-8",
    )
    script = tmp_path / "parent.py"
    script.write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(tree)!r})\n"
        "from pathlib import Path\n"
        "from sortext.commands.watch import refresh_in_child\n"
        f"print(refresh_in_child(Path({str(tmp_path)!r}), lambda: False))\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "0"
    assert ran.read_text(encoding="utf-8") == "this tree"


def test_a_real_watcher_after_a_config_change_replays_a_fresh_answer(
    records_repo: Path, tmp_path: Path
) -> None:
    """``sortext watch``: sortext.yaml changed (a stage closed, a person added), the
    questions asked under it, then a save: the watcher's replies are what a fresh
    computation prints under the new configuration."""
    from sortext.files.state import StateDir
    from tests.test_query_recall import _dated
    from tests.test_recall_line import _env
    from tests.watchkit import commit_count, saved_and_refreshed, wait_for

    root = _dated(records_repo)
    env = _env(tmp_path)
    asked = (("next",), ("list", "--at-risk"), ("next", "--json"))
    marker = StateDir(root).watch_current
    with _asked_watcher(root, asked, env) as daemon:
        commits = commit_count(root)
        replace(root / "sortext.yaml", r"^people: \[maya, theo\]", "people: [maya, theo, zoe]")
        replace(
            root / "sortext.yaml",
            r"^  - \{name: paused, open: true",
            "  - {name: paused, open: false",
        )
        wait_for(lambda: commit_count(root) > commits and marker.exists(), 30, lambda: daemon.log)
        _ask_twice(root, asked, env)  # the full rebuild forgot the questions: asked again
        saved_and_refreshed(
            root, asked, daemon, NORTHWIND, r"^name: Northwind Bakery", "name: Northwind Bakerz"
        )
        _replays_are_fresh(root, asked, env)
