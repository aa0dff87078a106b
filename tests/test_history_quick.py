"""Issue 15 ("speed that stays flat"): ``sortext history ID [--json]`` is answered
before Click is imported (:mod:`sortext.views.quickhistory`), printing what the Click
command prints, byte for byte, for every command line it takes, and leaving every
other one (and every failure) to Click.

Each comparison runs the real entry point in a fresh process twice: as the console
script runs it, and with the quick path switched off (Click's answer), then holds
stdout, stderr and the exit status equal.
"""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.views import quickhistory
from tests.conftest import PROJECT_ROOT, git
from tests.dated import AMARA, commit_at, replace

# The entry point as the console script runs it; at exit it lists the modules loaded
# (atexit runs after SystemExit).  QUICK=0: the quick path switched off (Click's answer).
_ENTRY = (
    "import atexit, sys, os\n"
    "atexit.register(lambda: open(os.environ['MODULES_OUT'], 'w').write("
    "' '.join(sorted(sys.modules))))\n"
    "if os.environ.get('QUICK') == '0':\n"
    "    import sortext.views.quickhistory as quick\n"
    "    quick.answer_line = lambda argv: None\n"
    "sys.argv = ['sortext', *sys.argv[1:]]\n"
    "from sortext.__main__ import run\n"
    "run()\n"
)

Run = tuple[bytes, bytes, int]


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SORTEXT_TODAY", "NO_COLOR")}
    env.pop("PYTHONIOENCODING", None)
    env["MODULES_OUT"] = str(tmp / "modules.txt")
    env.update(extra)
    return env


def _entry(cwd: Path, args: list[str], env: dict[str, str]) -> tuple[Run, set[str]]:
    """((stdout, stderr, exit status), the modules loaded) of the entry point."""
    done = subprocess.run(
        [sys.executable, "-c", _ENTRY, *args], cwd=cwd, env=env, capture_output=True, timeout=120
    )
    modules = set(Path(env["MODULES_OUT"]).read_text().split())
    return (done.stdout, done.stderr, done.returncode), modules


def _both(cwd: Path, args: list[str], env: dict[str, str]) -> tuple[Run, Run, set[str]]:
    """(the console script's run, Click's run, the modules the first loaded)."""
    quick, modules = _entry(cwd, args, env)
    slow, _ = _entry(cwd, args, {**env, "QUICK": "0"})
    return quick, slow, modules


def _set(path: Path, pattern: str, line: str) -> None:
    """:func:`tests.dated.replace` with ``line`` taken as it is (no group references)."""
    replace(path, pattern, line.replace("\\", "\\\\"))


def _hostile_history(root: Path) -> None:
    """Several commits to Amara's record: values with control characters, escape
    sequences, bidi controls, line breaks and non-ASCII text, a hostile author, a
    note, a rename."""
    path = root / AMARA
    replace(path, r"^stage: active$", "stage: review")
    commit_at(root, "2026-11-01", "stage")
    _set(path, r"^name: Amara Okafor$", 'name: "Amara \\e[31mOkafor\\e[0m \\u202eevil"')
    commit_at(root, "2026-11-02", "name", author="Mallory \x1b]0;pwned\x07 Évil")
    _set(path, r"^company: .*$", 'company: "Line one\\nline two\\rback\\tTab → ok"')
    with path.open("a", encoding="utf-8") as notes:
        notes.write("\nA new note: café ✓\n")
    commit_at(root, "2026-11-03", "company and a note")
    replace(path, r'^name: ".*"$', "name: Amara Okafor")
    commit_at(root, "2026-11-04", "name back")
    git(root, "mv", AMARA, "clients/amara.md")
    commit_at(root, "2026-11-05", "rename")


@pytest.fixture
def hostile_repo(records_repo: Path) -> Path:
    _hostile_history(records_repo)
    return records_repo


def test_history_answers_before_click_with_the_same_bytes(
    hostile_repo: Path, tmp_path: Path
) -> None:
    """Answered before Click; an ESC in the text without colour (Amara's plain text,
    not a terminal) is left to Click, whose echo strips what it takes for colour."""
    env = _env(tmp_path)
    root = hostile_repo
    for args, before_click in (
        (["history", "amara"], False),
        (["history", "amara", "--json"], True),
        (["history", "--json", "amara"], True),
        (["history", "amara", "--repo", str(root), "--json"], True),
        (["history", f"--repo={root}", "--json", "amara"], True),
        (["history", "bruno-castellanos"], True),
        (["history", "bruno-castellanos", "--repo", str(root)], True),
    ):
        quick, slow, modules = _both(root, args, env)
        assert quick == slow, args
        assert quick[2] == 0 and quick[0], args
        for heavy in ("click", "sortext.cli", "sortext.commands"):
            assert (heavy not in modules) is before_click, (args, heavy)
        # nothing to replay for history: the remembered replies' code is not loaded
        assert "sortext.views.recall" not in modules, args


def test_history_from_another_folder_with_repo(hostile_repo: Path, tmp_path: Path) -> None:
    """``--repo DIR`` from a folder that is no repository (relative and absolute)."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = _env(tmp_path)
    relative = os.path.relpath(hostile_repo, elsewhere)
    for args in (
        ["history", "amara", "--json", "--repo", relative],
        ["history", "amara", "--json", "--repo", "."],
    ):
        cwd = elsewhere if args[-1] != "." else hostile_repo
        quick, slow, modules = _both(cwd, args, env)
        assert quick == slow and quick[2] == 0, args
        assert "click" not in modules


def test_failures_and_odd_lines_are_said_as_click_says_them(
    hostile_repo: Path, tmp_path: Path
) -> None:
    """Unknown id, hostile ids, no history, not a repository, odd options: the quick
    path writes nothing and Click answers (same bytes, same status)."""
    root = hostile_repo
    (root / "clients" / "never-committed.md").write_text(
        "---\nname: Never Committed\nstage: inquiry\n---\n", encoding="utf-8"
    )
    not_repo = tmp_path / "not-a-repo"
    not_repo.mkdir()
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    env = _env(tmp_path)
    cases: list[tuple[Path, list[str]]] = [
        (root, ["history", "nobody"]),
        (root, ["history", "nobody", "--json"]),
        (root, ["history", "never-committed"]),
        (root, ["history", "../clients/amara"]),
        (root, ["history", "..%2Famara"]),
        (root, ["history", "amara\x1b[2J"]),
        (root, ["history", "amara\nforged line"]),
        (root, ["history", "Amara"]),
        (root, ["history", ""]),
        (root, ["history"]),
        (root, ["history", "amara", "bruno-castellanos"]),
        (root, ["history", "amara", "--json", "--json"]),
        (root, ["history", "amara", "--field", "stage"]),
        (root, ["history", "amara", "--help"]),
        (root, ["history", "--", "amara"]),
        (root, ["history", "-"]),
        (root, ["history", "amara", "--repo"]),
        (root, ["history", "amara", "--repo", str(tmp_path / "a-file")]),
        (root, ["history", "amara", "--repo", str(tmp_path / "missing")]),
        (root, ["history", "amara", "--repo", str(not_repo)]),
        (root, ["history", "amara", "--repo", "--json"]),
        (root, ["--color", "always", "history", "amara"]),
        (not_repo, ["history", "amara"]),
        (not_repo, ["history", "amara", "--json"]),
    ]
    for cwd, args in cases:
        quick, slow, _ = _both(cwd, args, env)
        assert quick == slow, args
        if args[1:2] in (["nobody"], ["never-committed"]) or cwd == not_repo:
            assert quick[2] == 2 and quick[1].startswith(b"sortext: "), args


def test_the_streams_encoding_and_colour_are_kept(hostile_repo: Path, tmp_path: Path) -> None:
    """ASCII (Click writes UTF-8 then), Latin-1 and UTF-8 streams, NO_COLOR: the same
    bytes as Click writes (an ESC in the text without colour: Click's own stripping)."""
    root = hostile_repo
    for extra in (
        {"PYTHONIOENCODING": "ascii"},
        {"PYTHONIOENCODING": "latin-1"},
        {"PYTHONIOENCODING": "utf-8"},
        {"NO_COLOR": "1"},
    ):
        env = _env(tmp_path, **extra)
        for args in (["history", "amara"], ["history", "amara", "--json"]):
            quick, slow, _ = _both(root, args, env)
            assert quick == slow, (extra, args)
            assert quick[2] == 0


def _on_terminal(cwd: Path, args: list[str], env: dict[str, str]) -> tuple[bytes, int]:
    """(what reached a terminal, exit status) of the entry point with stdout on a pty."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-c", _ENTRY, *args],
        cwd=cwd,
        env=env,
        stdout=follower,
        stderr=subprocess.DEVNULL,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the terminal's other end closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return b"".join(chunks), proc.wait(timeout=120)


def test_on_a_terminal_colour_is_on_as_click_decides(hostile_repo: Path, tmp_path: Path) -> None:
    """On a terminal (colour on: the text's ESC is the inert filter's to show) the text
    is answered before Click as the Click command writes it; with NO_COLOR too (then
    Click's, for the ESC)."""
    for extra in ({}, {"NO_COLOR": "1"}):
        env = _env(tmp_path, **extra)
        quick = _on_terminal(hostile_repo, ["history", "amara"], env)
        loaded = Path(env["MODULES_OUT"]).read_text().split()
        assert ("click" in loaded) is bool(extra), extra
        slow = _on_terminal(hostile_repo, ["history", "amara"], {**env, "QUICK": "0"})
        assert quick == slow, extra
        assert quick[1] == 0 and b"amara" in quick[0]


def test_a_reader_that_goes_away_is_a_quiet_exit(hostile_repo: Path, tmp_path: Path) -> None:
    """``sortext history ID | head -c 1``-like: stdout closed by its reader."""
    env = _env(tmp_path)
    results = []
    for quick in ("1", "0"):
        proc = subprocess.Popen(
            [sys.executable, "-c", _ENTRY, "history", "amara"],
            cwd=hostile_repo,
            env={**env, "QUICK": quick},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert proc.stdout is not None and proc.stderr is not None
        proc.stdout.close()  # before it writes: the write finds no reader
        err = proc.stderr.read()
        results.append((err, proc.wait(timeout=120)))
    assert results[0] == results[1]
    assert results[0][0] == b""


def test_a_full_disk_is_said_as_click_says_it(hostile_repo: Path, tmp_path: Path) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    env = _env(tmp_path)
    results = []
    for quick in ("1", "0"):
        with open("/dev/full", "wb") as full:
            done = subprocess.run(
                [sys.executable, "-c", _ENTRY, "history", "amara"],
                cwd=hostile_repo,
                env={**env, "QUICK": quick},
                stdout=full,
                stderr=subprocess.PIPE,
                timeout=120,
            )
        results.append((done.stderr, done.returncode))
    assert results[0] == results[1]
    assert results[0][1] == 2 and b"cannot write the output" in results[0][0]


# -- the words it takes: exactly what Click's command takes them for ---------------------

_WORDS = st.sampled_from(
    [
        *("history", "amara", "bruno", "--json", "--repo", "--repo=.", ".", "--field"),
        *("stage", "-h", "--help", "--", "-", "../x", "A b", "x\x1b", "--jso", "--color", ""),
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_WORDS, max_size=6).map(lambda words: ["history", *words]))
def test_parse_takes_a_line_only_as_click_takes_it(argv: list[str]) -> None:
    """Whatever :func:`quickhistory.parse` takes, Click's ``history`` command parses to
    the same id, ``--json`` and ``--repo``, with no ``--field``."""
    from sortext.commands.history import command

    asked = quickhistory.parse(argv)
    if asked is None:
        return
    record_id, as_json, repo = asked
    context = command.make_context("history", list(argv[1:]))  # raises if Click refuses
    params = context.params
    assert params["record_id"] == record_id
    assert params["as_json"] is as_json
    assert params["field"] is None
    assert params["repo_dir"] == (Path(repo) if repo is not None else None)


def test_parse_leaves_refused_ids_to_click() -> None:
    from sortext.commands.history import command

    for word in ("../x", "A b", "x\x1b", "amara/../x", "a" * 300):
        assert quickhistory.parse(["history", word]) is None
        with pytest.raises(click.UsageError):
            command.make_context("history", [word])


# -- open-ended record text: the quick answer is Click's -------------------------------

_TEXT = st.lists(
    st.sampled_from(
        [
            *"ab Z:-#'\"{}[]",
            *("\x1b", "[31m", "\r", "\n", "\t", "é", "€", "\u202e", "→"),
            *("\x07", "\x9b", "\u200b", "\x00", "Okafor"),
        ]
    ),
    max_size=12,
).map("".join)


def _tiny_repo(root: Path) -> None:
    root.mkdir()
    shutil.copy(PROJECT_ROOT / "sortext" / "skeleton" / "sortext.yaml", root / "sortext.yaml")
    (root / "clients").mkdir()
    git(root, "init", "--quiet", "--initial-branch=main")


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    values=st.lists(_TEXT, min_size=1, max_size=3),
    author=_TEXT.filter(lambda t: "\x00" not in t and "\n" not in t),
    stream=st.sampled_from([{}, {"PYTHONIOENCODING": "ascii"}, {"PYTHONIOENCODING": "latin-1"}]),
)
def test_any_record_text_prints_as_click_prints_it(
    tmp_path_factory: pytest.TempPathFactory,
    values: list[str],
    author: str,
    stream: dict[str, str],
) -> None:
    base = tmp_path_factory.mktemp("quick")
    root = base / "records"
    _tiny_repo(root)
    path = root / "clients" / "x.md"
    for step, value in enumerate(values):
        quoted = json.dumps(value)  # a YAML double-quoted scalar
        path.write_text(
            f"---\nname: {quoted}\nstage: inquiry\n---\n\nNote {step}: {value}\n",
            encoding="utf-8",
            newline="",
        )
        commit_at(root, f"2026-10-{step + 1:02d}", f"step {step}", author="Ann " + author)
    env = _env(base, **stream)
    for args in (["history", "x"], ["history", "x", "--json"]):
        quick, slow, _ = _both(root, args, env)
        assert quick == slow, (args, values)
        assert quick[2] == 0


# -- what the cold path compiles when its modules are imported --------------------------

_COMPILED_AT_IMPORT = (
    "import re, sys\n"
    "seen = []\n"
    "compile = re.compile\n"
    "def counting(pattern, flags=0):\n"
    "    seen.append(pattern)\n"
    "    return compile(pattern, flags)\n"
    "re.compile = counting\n"
    "import sortext.views.quickhistory, sortext.views.historytext, sortext.vcs.history\n"
    "import sortext.vcs.replay, sortext.vcs.versions, sortext.record.yamlread\n"
    "import sortext.record.split, sortext.record.fielddiff, sortext.vcs.git\n"
    "re.compile = compile\n"
    "import json\n"
    "print(json.dumps([p if isinstance(p, str) else p.decode('latin-1') for p in seen]))\n"
)

#: Patterns a history of ordinary records never uses: compiled on first use (Lazy).
_FIRST_USE = {
    "sortext.vcs.versions": ("_BLOCK_SCALAR", "_ODD_KEY", "_TOP_KEY", "_PLAIN_TEXT"),
    "sortext.record.yamlread": ("_FLOW_INDICATOR", "_MARKUP", "_TIMESTAMP"),
    "sortext.record.split": ("_CLOSING",),
    "sortext.record.fielddiff": ("_STEP",),
    "sortext.vcs.git": ("_REF_UPDATED",),
}


def test_the_history_path_compiles_no_pattern_it_does_not_use() -> None:
    """Importing the modules of a cold history compiles none of the patterns only
    unusual records, other commands or errors need (~1.5 ms of ``re`` per cold call)."""
    import importlib
    import re

    done = subprocess.run(
        [sys.executable, "-c", _COMPILED_AT_IMPORT],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    compiled = set(json.loads(done.stdout))
    for name, attributes in _FIRST_USE.items():
        module = importlib.import_module(name)
        for attribute in attributes:
            value = getattr(module, attribute)
            text = value.pattern if isinstance(value, re.Pattern) else value._pattern
            assert text not in compiled, (name, attribute)


def test_a_history_loads_neither_dataclasses_nor_orjson(records_repo: Path, tmp_path: Path) -> None:
    """Neither a cold call (which stores its comparisons, with the json module) nor a
    warm one imports ``dataclasses`` (with ``inspect``, ``ast``, ``dis``: ~42M
    instructions), orjson (which also loads ``uuid`` and ``platform``) or Click: the
    history path's value types are named tuples and plain slotted classes."""
    _hostile_history(records_repo)
    env = _env(tmp_path)
    cold, cold_modules = _entry(records_repo, ["history", "amara", "--json"], env)
    warm, warm_modules = _entry(records_repo, ["history", "amara", "--json"], env)
    assert cold == warm and cold[2] == 0
    for modules in (cold_modules, warm_modules):
        for heavy in ("dataclasses", "inspect", "orjson", "uuid", "click"):
            assert heavy not in modules, heavy
