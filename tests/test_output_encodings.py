"""Terminal output on any stdout/stderr encoding never fails.

Found: on a Latin-1, cp1252 (or any non-UTF-8) standard output, ``sortext show`` of a
client with goals ended in "internal error: UnicodeEncodeError" (the sparkline's
block characters), as did any command printing a character the stream's encoding
lacks (an en dash in a reason, a name in another script).  The one place every
command's output passes (:class:`sortext.files.inert.InertStream`, and the replay
before Click) now fits the text to the stream: sparklines degrade to ASCII, other
characters become visible escapes; and a remembered reply is keyed by the encodings,
so an answer fitted to Latin-1 is never replayed on a UTF-8 terminal.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SAMPLE_TODAY
from tests.test_query_recall import _dated

AMARA = "clients/amara-okafor.md"
ENCODINGS = ["latin-1", "cp1252", "ascii", "iso8859-15", "cp437", "utf-8", "utf-16"]
SPARK = "▁▂▃▄▅▆▇█"


def _invoke(root: Path, charset: str, *args: str) -> tuple[int, bytes, bytes]:
    from sortext.cli import main

    runner = CliRunner(charset=charset)
    result = runner.invoke(main, [*args, "--repo", str(root)], catch_exceptions=False)
    return result.exit_code, result.stdout_bytes, result.stderr_bytes


@pytest.mark.parametrize("charset", ["latin-1", "cp1252", "ascii", "iso8859-15"])
def test_show_with_sparklines_on_a_narrow_terminal(records_repo: Path, charset: str) -> None:
    """The example: ``show`` of a client with goals on a Latin-1 (etc.) stdout."""
    code, out, err = _invoke(records_repo, charset, "show", "amara-okafor", "--today", SAMPLE_TODAY)
    assert code == 0, err
    assert b"internal error" not in err
    text = out.decode("utf-8" if charset == "ascii" else charset)
    if charset != "ascii":  # (Click writes UTF-8 on a stream that says ASCII)
        assert "_=*#" in text  # the sparkline ▁▅▇█ in ASCII
        assert not any(char in text for char in SPARK)


def test_fit_stand_ins_and_escapes() -> None:
    from sortext.files.inert import fit

    assert fit("▁▅▇█ 67% – Łódź …", "iso8859-1") == "_=*# 67% - \\u0141\\xf3d\\u017a ...".replace(
        "\\xf3", "ó"
    )
    assert fit("▁▅▇█ ☃", "utf-8") == "▁▅▇█ ☃"
    assert fit("\U0001f600", "cp1252") == "\\ud83d\\ude00"
    assert fit("anything", None) == "anything"


_FULL = st.text(st.characters(), max_size=40)  # all of Unicode, surrogates too
_ONE_LINE = st.text(st.characters(exclude_characters="\n\r"), max_size=40)


def _plant(root: Path, name: str, action: str, company: str, notes: str) -> None:
    """Generated text as a YAML-escaped name and action (any code point reaches the
    output), raw on the company line (the YAML reader may refuse it: a diagnostic that
    quotes it) and raw in the notes body."""
    path = root / AMARA
    text = path.read_text(encoding="utf-8")
    text = text.replace("name: Amara Okafor", f"name: {json.dumps(name)}", 1)
    text = text.replace(
        "  what: Send session 7 prep notes and the delegation worksheet",
        f"  what: {json.dumps('Send ' + action)}",
        1,
    )
    text = text.replace("company: Lindqvist & Okafor Architects", f"company: {company}", 1)
    data = (text + "\n" + notes + "\n").encode("utf-8", "surrogatepass")
    path.write_bytes(data)


@pytest.fixture(scope="module")
def planted_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.conftest import sample_records

    return sample_records(tmp_path_factory.mktemp("enc") / "records")


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    name=_FULL,
    action=_FULL,
    company=_ONE_LINE,
    notes=_FULL,
    word=_ONE_LINE,
    charset=st.sampled_from(ENCODINGS),
)
def test_any_record_text_through_every_query_on_any_encoding(
    planted_repo: Path, name: str, action: str, company: str, notes: str, word: str, charset: str
) -> None:
    """Generated record text (all of Unicode: controls, bidi, surrogates, astral) through
    the real command line on several stdout encodings: every command exits with its
    own status, never an internal error or a traceback, and asked twice (the second
    answer may be a remembered reply) it prints the same bytes."""
    root = planted_repo
    original = (Path(__file__).resolve().parent.parent / AMARA).read_bytes()
    (root / AMARA).write_bytes(original)
    _plant(root, name, action, company, notes)
    commands = [
        ["show", "amara-okafor", "--today", SAMPLE_TODAY],
        ["next", "--today", SAMPLE_TODAY],
        ["list", "--today", SAMPLE_TODAY],
        ["search", word or "x"],
        ["check"],
        ["show", word or "x"],  # an id that is not one: an error quoting it
    ]
    for args in commands:
        first = _invoke(root, charset, *args)
        code, out, err = first
        assert code in (0, 1, 2), (args, err)
        assert b"internal error" not in err and b"Traceback" not in err, (args, err)
        if charset not in ("ascii", "utf-16"):
            # Nothing but the stream's own encoding, and no raw ESC or bidi control.
            shown = out.decode(charset)
            assert "\x1b" not in shown and "\u202e" not in shown
        if args[0] in ("show", "next", "list", "search"):
            assert _invoke(root, charset, *args) == first, args


# -- the replay before Click, under one encoding and then another ---------------------


def _run(root: Path, encoding: str, args: list[str]) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("SORTEXT_TODAY", "NO_COLOR")}
    env["PYTHONIOENCODING"] = encoding
    return subprocess.run(
        [sys.executable, "-m", "sortext", *args], cwd=root, env=env, capture_output=True
    )


def test_a_reply_is_replayed_only_to_the_encoding_it_was_written_for(records_repo: Path) -> None:
    """The same command line on a Latin-1 stdout (three times: the last ones replayed),
    then on UTF-8: the UTF-8 run prints the sparkline, not the Latin-1 reply's ASCII
    stand-in; and back on Latin-1 the stand-in again, never a UnicodeEncodeError."""
    root = _dated(records_repo)
    args = ["show", "amara-okafor", "--today", SAMPLE_TODAY]
    latin = [_run(root, "latin-1", args) for _ in range(3)]
    assert [r.returncode for r in latin] == [0, 0, 0], latin[0].stderr
    assert all(r.stdout == latin[0].stdout for r in latin)
    assert b"_=*#" in latin[0].stdout
    utf8 = [_run(root, "utf-8", args) for _ in range(2)]
    assert [r.returncode for r in utf8] == [0, 0]
    assert "▁▅▇█".encode() in utf8[0].stdout and utf8[1].stdout == utf8[0].stdout
    again = _run(root, "cp1252", args)
    assert again.returncode == 0 and b"_=*#" in again.stdout
    assert re.search(rb"internal error|Traceback", again.stderr) is None


@pytest.mark.parametrize("charset", ["latin-1", "cp1252", "ascii"])
def test_every_other_command_on_a_narrow_terminal(records_repo: Path, charset: str) -> None:
    """A committed name no 8-bit code page holds, through the commands that read
    history, git and the day book: none fails on the stream's encoding."""
    from tests.conftest import git

    path = records_repo / AMARA
    text = path.read_text(encoding="utf-8").replace("name: Amara Okafor", "name: Łódź ☃ ▁█ 日本", 1)
    path.write_text(text, encoding="utf-8")
    git(records_repo, "commit", "-qam", "renamed ☃")
    for args in (
        ["history", "amara-okafor"],
        ["changes", "--since", "30d", "--today", SAMPLE_TODAY],
        ["agenda", "--week", "--today", SAMPLE_TODAY],
        ["money", "--today", SAMPLE_TODAY],
        ["doctor"],
        ["status"],
        ["list", "--at-risk", "--today", SAMPLE_TODAY],
    ):
        code, _out, err = _invoke(records_repo, charset, *args)
        assert b"internal error" not in err and b"Traceback" not in err, (args, err)
        assert code in (0, 1, 2), (args, err)
