"""Issue 15 item 1: a command line asked again is answered before Click is imported.

``sortext``'s entry point (:func:`sortext.__main__.run`) looks the command line up
(:func:`sortext.views.recall.replay_line`): the question it asked last time (recorded
by the command under a key of the arguments, the working folder, the terminal, the
environment variables the commands read and the day), then the remembered reply to
that question under the usual key (the records, config, HEAD...).  Every test runs
the real entry point in a fresh process, as a user's shell does, and holds what it
prints to what the Click command line prints for the same question (``--repo``,
which the entry point leaves to Click).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SAMPLE_TODAY
from tests.dated import replace
from tests.test_query_recall import NORTHWIND, OLD, QUERIES, _age, _args, _dated

# Runs the entry point as the console script does and lists, at exit, whether Click
# was imported (after SystemExit: atexit still runs).
_ENTRY = (
    "import atexit, sys, os\n"
    "atexit.register(lambda: open(os.environ['MODULES_OUT'], 'w').write("
    "' '.join(sorted(sys.modules))))\n"
    "import sortext.store.answers as answers\n"
    "answers.FILE_MIN = int(os.environ.get('FILE_MIN', answers.FILE_MIN))\n"
    "sys.argv = ['sortext', *sys.argv[1:]]\n"
    "from sortext.__main__ import run\n"
    "run()\n"
)


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SORTEXT_TODAY", "NO_COLOR")}
    env["MODULES_OUT"] = str(tmp / "modules.txt")
    env.update(extra)
    return env


def _entry(cwd: Path, args: list[str], env: dict[str, str]) -> tuple[bytes, bytes, int, bool]:
    """(stdout, stderr, exit status, whether Click was imported) of the entry point."""
    done = subprocess.run(
        [sys.executable, "-c", _ENTRY, *args], cwd=cwd, env=env, capture_output=True
    )
    modules = Path(env["MODULES_OUT"]).read_text().split()
    return done.stdout, done.stderr, done.returncode, "click" in modules


def _click(root: Path, args: list[str], env: dict[str, str]) -> tuple[bytes, bytes, int]:
    """The same question through Click (``--repo`` is left to Click)."""
    out, err, code, _ = _entry(root, [*args, "--repo", str(root)], env)
    return out, err, code


def test_every_query_line_is_replayed_without_click(records_repo: Path, tmp_path: Path) -> None:
    root = _dated(records_repo)
    env = _env(tmp_path)
    for query in QUERIES:
        args = _args(query)
        expected = _click(root, args, env)
        runs = [_entry(root, args, env) for _ in range(3)]
        assert [r[:3] for r in runs] == [expected] * 3, query
        assert runs[-1][3] is False, f"{query}: Click imported on a remembered line"
        loaded = set(Path(env["MODULES_OUT"]).read_text().split())
        for heavy in ("typing", "dataclasses", "inspect", "sortext.commands", "sortext.cli"):
            assert heavy not in loaded, (query, heavy)


def test_a_changed_record_is_seen_by_a_remembered_line(records_repo: Path, tmp_path: Path) -> None:
    """The line's question is remembered, its reply is not: an edit (same size, old
    mtime) is answered afresh."""
    root = _dated(records_repo)
    env = _env(tmp_path)
    for args in (["list", "--today", SAMPLE_TODAY], ["next", "--today", SAMPLE_TODAY]):
        for _ in range(3):
            assert b"Northwind Bakery" in _entry(root, args, env)[0]
    replace(root / NORTHWIND, r"^name: Northwind Bakery", "name: Northwind Bakerz")
    os.utime(root / NORTHWIND, (OLD + 60, OLD + 60))
    for args in (["list", "--today", SAMPLE_TODAY], ["next", "--today", SAMPLE_TODAY]):
        out = _entry(root, args, env)[0]
        assert b"Northwind Bakerz" in out and b"Northwind Bakery" not in out


@pytest.mark.parametrize(
    ("first", "then"),
    [
        ({"SORTEXT_TODAY": SAMPLE_TODAY}, {"SORTEXT_TODAY": "2026-12-01"}),
        ({}, {"SORTEXT_TODAY": "2026-12-01"}),
        ({"NO_COLOR": "1"}, {}),
        ({"COLUMNS": "60"}, {"COLUMNS": "200"}),
    ],
)
def test_a_line_in_another_situation_asks_its_own_question(
    records_repo: Path, tmp_path: Path, first: dict[str, str], then: dict[str, str]
) -> None:
    """The same arguments with another day, colour or width setting are another
    question: never the reply remembered for the first."""
    root = _dated(records_repo)
    for args in (["next"], ["list", "--at-risk"], ["--color", "auto", "list"]):
        for _ in range(3):
            _entry(root, args, _env(tmp_path, **first))
        env = _env(tmp_path, **then)
        expected = _click(root, args, env)
        assert _entry(root, args, env)[:3] == expected, args
        assert _entry(root, args, env)[:3] == expected, args


def test_a_line_from_another_folder_is_its_own(records_repo: Path, tmp_path: Path) -> None:
    root = _dated(records_repo)
    env = _env(tmp_path)
    args = ["show", "northwind-bakery", "--today", SAMPLE_TODAY]
    for cwd in (root, root / "clients", root, root / "clients"):
        assert _entry(cwd, args, env)[:3] == _click(root, args, env)


@pytest.mark.parametrize(
    "value",
    ["not json", "[]", '{"parts": "next", "clock": false, "colour": false}', '{"parts": []}'],
)
def test_a_damaged_line_is_left_to_click(records_repo: Path, tmp_path: Path, value: str) -> None:
    root = _dated(records_repo)
    env = _env(tmp_path)
    args = ["list", "--today", SAMPLE_TODAY]
    expected = _click(root, args, env)
    for _ in range(3):
        _entry(root, args, env)
    with sqlite3.connect(root / ".sortext" / "index.sqlite") as conn:
        assert conn.execute("UPDATE reply_lines SET value = ?", (value,)).rowcount >= 1
    assert _entry(root, args, env)[:3] == expected


def test_a_line_asking_a_planted_question_gets_that_questions_answer(
    records_repo: Path, tmp_path: Path
) -> None:
    """A line pointing at another question (an index from elsewhere) prints that
    question's answer, never a reply that is not under its key; and what it prints is
    made inert."""
    root = _dated(records_repo)
    env = _env(tmp_path)
    args = ["list", "--today", SAMPLE_TODAY]
    for _ in range(3):
        _entry(root, args, env)
    with sqlite3.connect(root / ".sortext" / "index.sqlite") as conn:
        import zlib

        conn.execute("UPDATE replies SET out = ?", (zlib.compress(b"\x1b]0;owned\x07\x1b[2J\n"),))
    out = _entry(root, args, env)[0]
    assert b"\x1b" not in out and b"\\x1b]0;owned" in out


def test_the_lines_are_bounded_and_outlive_the_replies(records_repo: Path, tmp_path: Path) -> None:
    from sortext.views.recall import KEEP_LINES

    root = _dated(records_repo)
    env = _env(tmp_path)
    for n in range(3):
        for _ in range(2):
            _entry(root, ["search", f"word{n}"], env)
    with sqlite3.connect(root / ".sortext" / "index.sqlite") as conn:
        lines = [json.loads(v) for (v,) in conn.execute("SELECT value FROM reply_lines")]
        assert {tuple(q["parts"][1]) for q in lines} == {("word0",), ("word1",), ("word2",)}
        conn.executemany(
            "INSERT INTO reply_lines VALUES (?, '{}')", [(f"line:{n}",) for n in range(80)]
        )
    _age(root)
    replace(root / NORTHWIND, r"^name: Northwind Bakery", "name: Northwind Bakerz")
    os.utime(root / NORTHWIND, (OLD + 60, OLD + 60))
    _entry(root, ["search", "bakerz"], env)
    with sqlite3.connect(root / ".sortext" / "index.sqlite") as conn:
        assert conn.execute("SELECT count(*) FROM reply_lines").fetchone()[0] == KEEP_LINES
        assert conn.execute("SELECT count(*) FROM replies").fetchone()[0] == 0  # racy


def test_help_completion_and_another_repo_are_left_to_click(
    records_repo: Path, tmp_path: Path
) -> None:
    from sortext.views.recall import _line_key

    assert _line_key(["next", "--help"]) is None
    assert _line_key(["list", "--repo", "x"]) is None
    assert _line_key(["list", "--repo=x"]) is None
    assert _line_key(["--version"]) is None
    assert _line_key(["check"]) is None
    root = _dated(records_repo)
    env = _env(tmp_path)
    for _ in range(3):
        _entry(root, ["next"], env)
    help_text = _entry(root, ["next", "--help"], env)
    assert help_text[2] == 0 and b"Usage:" in help_text[0] and help_text[3] is True


class _Closed:
    """A stdout whose reader went away: every write of bytes fails with EPIPE."""

    encoding = "utf-8"

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = self

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return self.fd

    def flush(self) -> None:
        pass

    def write(self, data: object) -> int:
        raise BrokenPipeError


def test_a_reader_that_goes_away_ends_quietly(
    records_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``sortext list | head -1``: exit 1 and nothing more written, as Click's main
    handles a closed pipe; the stream is pointed at the null device so the final
    flush has nothing to complain about."""
    from sortext.views import recall

    root = _dated(records_repo)
    env = _env(tmp_path)
    args = ["list", "--today", SAMPLE_TODAY]
    for _ in range(3):
        _entry(root, args, env)
    monkeypatch.chdir(root)
    for name in ("SORTEXT_TODAY", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    spare = tmp_path / "stdout.txt"
    fd = os.open(spare, os.O_WRONLY | os.O_CREAT)
    try:
        monkeypatch.setattr(sys, "stdout", _Closed(fd))
        monkeypatch.setattr(recall, "_ENTRY", None)
        assert recall.replay_line(args) == 1
        os.write(fd, b"after")  # now the null device
    finally:
        os.close(fd)
    assert spare.read_bytes() == b""


def _files(root: Path) -> list[str]:
    folder = root / ".sortext" / "replies"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_long_replies_are_kept_as_files_and_replayed_the_same(
    records_repo: Path, tmp_path: Path
) -> None:
    """A long reply (here: any over 64 bytes) is kept uncompressed in a file of its own
    (its row names its length); replayed before Click and through Click alike."""
    from sortext.store.answers import FILES_KEPT

    root = _dated(records_repo)
    env = _env(tmp_path, FILE_MIN="64")
    for query in QUERIES:
        args = _args(query)
        expected = _click(root, args, env)
        runs = [_entry(root, args, env) for _ in range(3)]
        assert [r[:3] for r in runs] == [expected] * 3, query
        assert runs[-1][3] is False, query
    names = _files(root)
    assert 0 < len(names) <= FILES_KEPT
    with sqlite3.connect(root / ".sortext" / "index.sqlite") as conn:
        rows = conn.execute("SELECT key, out FROM replies WHERE substr(out, 1, 5) = ?", (b"file:",))
        assert sorted(k.rpartition(":")[2] + ".txt" for k, _ in rows) == names


@pytest.mark.parametrize("damage", ["missing", "short", "long", "planted"])
def test_a_damaged_reply_file_is_never_printed_as_it_is(
    records_repo: Path, tmp_path: Path, damage: str
) -> None:
    root = _dated(records_repo)
    env = _env(tmp_path, FILE_MIN="64")
    args = ["list", "--today", SAMPLE_TODAY]
    expected = _click(root, args, env)
    for _ in range(3):
        _entry(root, args, env)
    (name,) = [n for n in _files(root)]
    path = root / ".sortext" / "replies" / name
    data = path.read_bytes()
    if damage == "missing":
        path.unlink()
    elif damage == "short":
        path.write_bytes(data[:-1])
    elif damage == "long":
        path.write_bytes(data + b"x")
    else:  # the same length, acting on the terminal
        planted = b"\x1b]0;owned\x07"
        path.write_bytes(planted + data[len(planted) :])
    for run in (_entry(root, args, env), _click(root, args, env)):
        if damage == "planted":
            assert b"\x1b" not in run[0] and b"\\x1b]0;owned" in run[0]
        else:
            assert run[:3] == expected


def test_a_reply_file_is_named_by_its_key_only() -> None:
    from sortext.store.answers import _file_name

    assert _file_name("recall:" + "ab" * 32) == "ab" * 32 + ".txt"
    for bad in ("recall:../x", "recall:", "recall:AB", "x/y"):
        with pytest.raises(ValueError):
            _file_name(bad)


def _on_terminal(cwd: Path, args: list[str], env: dict[str, str], columns: int) -> bytes:
    """What the entry point writes to a terminal ``columns`` wide (a pseudo-terminal)."""
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    try:
        proc = subprocess.Popen(
            [sys.executable, "-c", _ENTRY, *args],
            cwd=cwd,
            env=env,
            stdout=slave,
            stderr=subprocess.DEVNULL,
        )
        os.close(slave)
        out = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the terminal's other side closed
                break
            if not chunk:
                break
            out += chunk
        proc.wait()
    finally:
        os.close(master)
    return out


def test_on_a_terminal_the_width_and_colour_are_part_of_the_line(
    records_repo: Path, tmp_path: Path
) -> None:
    """On a terminal (colour on, lines fitted to its width) a remembered line is the
    reply for that width: another width is another question."""
    root = _dated(records_repo)
    env = {k: v for k, v in _env(tmp_path).items() if k not in ("COLUMNS", "LINES")}
    args = ["next", "--today", SAMPLE_TODAY]
    for columns in (70, 70, 70, 120, 120, 70):
        fast = _on_terminal(root, args, env, columns)
        slow = _on_terminal(root, [*args, "--repo", str(root)], env, columns)
        assert fast == slow, columns
        assert b"\x1b[" in fast  # coloured: a terminal
    narrow = _on_terminal(root, args, env, 70)
    wide = _on_terminal(root, args, env, 120)
    assert narrow != wide
    assert "click" not in Path(env["MODULES_OUT"]).read_text().split()


def test_a_state_folder_leading_out_is_left_to_click(records_repo: Path, tmp_path: Path) -> None:
    """``.sortext`` or ``.sortext/replies`` as a link leading out of the repository: the
    quick path steps aside (no traceback); long replies are then not kept as files."""
    import shutil

    root = _dated(records_repo)
    env = _env(tmp_path, FILE_MIN="64")
    args = ["list", "--today", SAMPLE_TODAY]
    expected = _click(root, args, env)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    for _ in range(3):
        _entry(root, args, env)
    shutil.rmtree(root / ".sortext" / "replies")
    (root / ".sortext" / "replies").symlink_to(outside)
    for _ in range(3):
        assert _entry(root, args, env)[:3] == expected
    assert list(outside.iterdir()) == []
    shutil.move(root / ".sortext", tmp_path / "state")
    (root / ".sortext").symlink_to(tmp_path / "state")
    fast = _entry(root, args, env)
    assert fast[:3] == _click(root, args, env)
    assert b"Traceback" not in fast[1]
