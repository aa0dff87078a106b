"""Break-test of the replay before Click (:func:`sortext.views.recall.replay_line`).

Each test runs the real entry point in fresh processes, as a user's shell does, and
holds what a remembered line prints to what a fresh computation prints (the same
question with ``.sortext/`` moved away, or through Click with ``--repo``).

Found: on a standard output whose encoding is ASCII (``PYTHONIOENCODING=ascii``, or
``PYTHONUTF8=0`` under the C locale), Click takes the stream for misconfigured and
writes UTF-8 to its buffer, around :class:`sortext.files.inert.InertStream`: record
text reached the terminal unfiltered (an OSC sequence from the notes set the window
title) and the reply's tap saw nothing, so the next run replayed an EMPTY answer; and
a reply remembered on a UTF-8 terminal, replayed on an ASCII or Latin-1 one, ended in
a traceback.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SAMPLE_TODAY
from tests.test_query_recall import _age, _dated
from tests.test_recall_line import _entry, _env

AMARA = "clients/amara-okafor.md"
SHOW = ["show", "amara-okafor", "--today", SAMPLE_TODAY]


def _fresh(root: Path, args: list[str], env: dict[str, str]) -> tuple[bytes, bytes, int]:
    """The question answered with no remembered state (``.sortext/`` moved away)."""
    aside = root.parent / "state-aside"
    shutil.move(root / ".sortext", aside)
    try:
        out, err, code, _ = _entry(root, args, env)
    finally:
        shutil.rmtree(root / ".sortext", ignore_errors=True)
        shutil.move(aside, root / ".sortext")
    return out, err, code


def _with_title_sequence(root: Path) -> None:
    """Notes that try to set the terminal's title (and a non-ASCII character)."""
    with open(root / AMARA, "a", encoding="utf-8") as handle:
        handle.write("\nPlanted \x1b]0;pwned\x07 title, café\n")
    _age(root)


def test_an_ascii_stdout_is_answered_the_same_every_time(
    records_repo: Path, tmp_path: Path
) -> None:
    root = _dated(records_repo)
    _with_title_sequence(root)
    env = _env(tmp_path, PYTHONIOENCODING="ascii")
    runs = [_entry(root, SHOW, env)[:3] for _ in range(4)]
    out, err, code = runs[0]
    assert code == 0, err
    assert b"\x1b" not in out and b"\\x1b]0;pwned" in out  # made visible, never acted on
    assert "café".encode() in out  # UTF-8, as Click writes to an ASCII stream
    assert runs == [runs[0]] * 4
    assert _fresh(root, SHOW, env) == runs[0]


def test_a_reply_kept_on_utf8_replayed_on_ascii(records_repo: Path, tmp_path: Path) -> None:
    root = _dated(records_repo)
    _with_title_sequence(root)
    for _ in range(3):
        _entry(root, SHOW, _env(tmp_path))
    env = _env(tmp_path, PYTHONIOENCODING="ascii")
    expected = _fresh(root, SHOW, env)
    assert expected[2] == 0 and "café".encode() in expected[0]
    assert _entry(root, SHOW, env)[:3] == expected


def test_a_reply_kept_on_utf8_replayed_where_it_cannot_be_written(
    records_repo: Path, tmp_path: Path
) -> None:
    """A Latin-1 terminal cannot show the sparkline: the replay leaves the answer to
    Click (whatever it says there), never a traceback."""
    root = _dated(records_repo)
    for _ in range(3):
        _entry(root, SHOW, _env(tmp_path))
    for encoding in ("latin-1", "cp1252", "latin-1:replace", "ascii:backslashreplace"):
        env = _env(tmp_path, PYTHONIOENCODING=encoding)
        expected = _fresh(root, SHOW, env)
        got = _entry(root, SHOW, env)[:3]
        assert b"Traceback" not in got[1], (encoding, got[1].decode(errors="replace"))
        assert got == expected, encoding


# -- the rule both paths share: which bytes a text becomes on a stream ---------------

_ENCODINGS = ["utf-8", "ascii", "latin-1", "cp1252", "utf-16", "iso8859-15", "US-ASCII"]
_ERRORS = ["strict", "replace", "backslashreplace"]


def _fresh_bytes(text: str, encoding: str, errors: str, colour: bool) -> bytes | None:
    """What ``click.echo`` through the command line's stdout writes (None: it fails)."""
    import click

    from sortext.files.inert import InertStream, text_target

    raw = io.BytesIO()
    wrapper = io.TextIOWrapper(raw, encoding=encoding, errors=errors, write_through=True)
    with contextlib.redirect_stdout(wrapper):
        stream = InertStream(text_target(wrapper), colour)  # as cli.main does
        try:
            with contextlib.redirect_stdout(stream):
                click.echo(text, nl=False, color=colour)
                sys.stdout.flush()
        except UnicodeEncodeError:
            return None
    wrapper.flush()
    return raw.getvalue()


def _inert(text: str, colour: bool) -> str:
    from sortext.files.inert import inert_output

    return inert_output(text, colour)


def _click_bytes(text: str, encoding: str, errors: str) -> bytes | None:
    """What ``click.echo`` writes on a stream of its own (no sortext around it)."""
    import click

    raw = io.BytesIO()
    wrapper = io.TextIOWrapper(raw, encoding=encoding, errors=errors, write_through=True)
    with contextlib.redirect_stdout(wrapper):
        try:
            click.echo(text, nl=False)
            sys.stdout.flush()
        except UnicodeEncodeError:
            return None
    wrapper.flush()
    return raw.getvalue()


def _replayed_bytes(text: str, encoding: str, errors: str, colour: bool) -> bytes | None:
    """What the replay before Click writes for the same text (None: left to Click)."""
    from sortext.files.inert import inert_output
    from sortext.views import recall

    kept = inert_output(text, colour).encode("utf-8", "surrogateescape")
    raw = io.BytesIO()
    wrapper = io.TextIOWrapper(raw, encoding=encoding, errors=errors, write_through=True)
    ready = recall._prepare(kept, wrapper, colour)
    if ready is None:
        return None
    recall._send(ready, wrapper)
    wrapper.flush()
    return raw.getvalue()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.text(
        st.sampled_from(["a", "Z", " ", "\n", "\t", "é", "·", "▁", "€", "\x1b", "\x07", "\u202e"])
        | st.characters(codec="utf-8"),
        min_size=1,
        max_size=30,
    ),
    encoding=st.sampled_from(_ENCODINGS),
    errors=st.sampled_from(_ERRORS),
    colour=st.booleans(),
)
def test_a_replay_writes_the_bytes_a_fresh_answer_writes(
    text: str, encoding: str, errors: str, colour: bool
) -> None:
    fresh = _fresh_bytes(text, encoding, errors, colour)
    replayed = _replayed_bytes(text, encoding, errors, colour)
    if _inert(text, colour) == text and _click_bytes(text, encoding, "strict") is not None:
        # the filter changes nothing and the encoding has every character: Click's bytes
        # (what the encoding lacks gets sortext's stand-in whatever the error handler)
        assert fresh == _click_bytes(text, encoding, errors)
    # Any stream takes any text (sortext.files.inert.fit: a stand-in or a visible
    # escape for what its encoding lacks), and the replay writes the same bytes.
    assert fresh is not None
    assert replayed == fresh


def test_the_console_script_on_an_ascii_pipe(records_repo: Path, tmp_path: Path) -> None:
    """The installed ``sortext`` script itself (as a user runs it), LANG=C without
    Python's UTF-8 mode: the same answer three times, inert."""
    script = Path(sys.executable).with_name("sortext")
    if not script.exists():
        import pytest

        pytest.skip("no console script beside this Python")
    root = _dated(records_repo)
    _with_title_sequence(root)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "PYTHON"))}
    env.update(LANG="C", LC_ALL="C", PYTHONUTF8="0", PYTHONCOERCECLOCALE="0")
    runs = [
        subprocess.run([script, *SHOW], cwd=root, env=env, capture_output=True) for _ in range(3)
    ]
    assert [r.returncode for r in runs] == [0, 0, 0], runs[0].stderr
    assert runs[0].stdout and all(r.stdout == runs[0].stdout for r in runs)
    assert b"\x1b]" not in runs[0].stdout


# -- an erasure recorded while the client's file is still there ----------------------


def test_an_erasure_is_seen_without_the_records_changing(
    records_repo: Path, tmp_path: Path
) -> None:
    """``erased.yaml`` gaining a client (a sync tool carrying it ahead of the file's
    removal, a pull that kept a local copy) while the file stays as it was: the
    replay, and the index itself, showed the erased client; a fresh answer does not
    (derived data must not hold an erased client at all)."""
    import datetime as dt

    from sortext.record.tombstone import Tombstones

    root = _dated(records_repo)
    env = _env(tmp_path)
    queries = [["list", "--today", SAMPLE_TODAY], ["search", "Amara"], ["next"]]
    for args in queries:
        for _ in range(3):
            assert b"Amara Okafor" in _entry(root, args, env)[0]
    stones = Tombstones()
    stones.add("amara-okafor", ["amara.okafor@example.com"], dt.date(2026, 11, 1), "request")
    (root / "erased.yaml").write_text(stones.dumps(), encoding="utf-8")
    for args in queries:
        expected = _fresh(root, args, env)
        assert b"Amara Okafor" not in expected[0]
        assert _entry(root, args, env)[:3] == expected, args
        assert _entry(root, [*args, "--repo", str(root)], env)[:3] == expected, args


def test_the_replay_names_the_erasures_file_as_the_tombstones_do() -> None:
    from sortext.record import tombstone
    from sortext.views import recall

    assert recall.ERASED == tombstone.FILE_NAME


# -- a long reply's file that is not a regular file of the repository ---------------


@pytest.mark.parametrize("kind", ["fifo", "link-out", "link-fifo"])
def test_a_reply_file_that_is_not_a_plain_file_is_worked_out_again(
    records_repo: Path, tmp_path: Path, kind: str
) -> None:
    """A FIFO in place of a long reply's file hung the replay (open() waits for a
    writer); a link to a file elsewhere of the same length printed that file."""
    root = _dated(records_repo)
    env = _env(tmp_path, FILE_MIN="64")
    args = ["list", "--today", SAMPLE_TODAY]
    for _ in range(3):
        _entry(root, args, env)
    expected = _fresh(root, args, env)
    (path,) = (root / ".sortext" / "replies").iterdir()
    size = path.stat().st_size
    path.unlink()
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "link-out":
        elsewhere = tmp_path / "elsewhere.txt"
        elsewhere.write_bytes(b"not this repository's answer\n".ljust(size, b"x"))
        path.symlink_to(elsewhere)
    else:
        os.mkfifo(tmp_path / "pipe")
        path.symlink_to(tmp_path / "pipe")
    for extra in ([], ["--repo", str(root)]):
        done = subprocess.run(
            [sys.executable, "-m", "sortext", *args, *extra],
            cwd=root,
            env=env,
            capture_output=True,
            timeout=60,
        )
        assert (done.stdout, done.stderr, done.returncode) == expected, (kind, extra)


# -- history read differently while HEAD stays -----------------------------------------


def test_a_replacement_commit_does_not_change_the_stage_clock(
    records_repo: Path, tmp_path: Path
) -> None:
    """``git replace`` makes git read another commit in HEAD's place while HEAD's id
    (the replies' and the stage clock's key) stays: a fresh answer read the replaced
    history (Northwind's days in stage became "?"), the replay did not.  sortext's
    history passes read the commits themselves (--no-replace-objects)."""
    from tests.conftest import git

    root = _dated(records_repo)
    env = _env(tmp_path)
    args = ["list", "--today", SAMPLE_TODAY]
    before = [_entry(root, args, env)[:3] for _ in range(3)]
    assert b"47d" in before[0][0]
    head = git(root, "rev-parse", "HEAD").strip()
    git(root, "replace", head, f"{head}~1")
    assert _fresh(root, args, env) == before[0]
    assert _entry(root, args, env)[:3] == before[0]


# -- another build of sortext under the same version number ----------------------------


def test_an_upgrade_keeping_the_version_number_is_answered_afresh(
    records_repo: Path, tmp_path: Path
) -> None:
    """sortext's version number stays 0.1.0 from one commit to the next: installing a
    newer build (pip rewrites every file of the package) kept replaying what the old
    code printed.  Here the "new build" labels overdue actions LATE."""
    import sortext

    root = _dated(records_repo)
    site = tmp_path / "site"
    package = Path(sortext.__file__).parent

    def install(label: str) -> None:
        shutil.rmtree(site / "sortext", ignore_errors=True)
        shutil.copytree(package, site / "sortext", ignore=shutil.ignore_patterns("__pycache__"))
        nxt = site / "sortext" / "commands" / "next.py"
        nxt.write_text(nxt.read_text().replace('"OVERDUE"', f'"{label}"'))

    env = _env(tmp_path, PYTHONPATH=str(site))
    args = ["next", "--today", SAMPLE_TODAY]
    install("OVERDUE")
    for _ in range(3):
        assert b"OVERDUE" in _entry(root, args, env)[0]
    install("LATE")
    out = _entry(root, args, env)[0]
    assert b"LATE " in out and b"OVERDUE" not in out
