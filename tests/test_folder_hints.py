"""Hints that name a path or a command use the configured clients folder, made visible
(edges7, item 3).

``sortext history ID`` of a record never committed said "check the id with 'ls
clients/'" whatever ``clients_dir`` says, and printed the record's path with a raw
tab when the folder's name held one.  The class: every message naming the clients
folder or a file in it (history, show, set, subject exports, erase, merge-copy,
inbox, install's .gitattributes line, doctor) names the configured folder, and
every error line reaches the terminal with its control characters made visible.
The property test generates folder names (any characters a folder name may hold)
and runs each command taking a client id against an id that is not there.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.cli import main
from sortext.files.inert import _UNSAFE_CHARS, clean
from sortext.vcs.scaffold import gitattributes_line
from tests.conftest import PROJECT_ROOT

RAW = re.compile(f"[\\t{_UNSAFE_CHARS}]")  # what no message line may hold raw


def _repo(base: Path, folder: str) -> Path:
    root = base / "repo"
    root.mkdir()
    text = (PROJECT_ROOT / "sortext" / "skeleton" / "sortext.yaml").read_text(encoding="utf-8")
    text = text.replace("clients_dir: clients", f"clients_dir: {json.dumps(folder)}")
    (root / "sortext.yaml").write_text(text, encoding="utf-8")
    (root / folder).mkdir()
    (root / folder / "ann.md").write_text("---\nname: Ann Lee\nstage: inquiry\n---\n")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, result.output


def _run_in_folder(folder: str, command: list[str]) -> tuple[int, str] | None:
    """Run ``command`` in a new repository whose clients folder is ``folder`` and hold
    its output to the rules every message keeps: no raw control character on any line,
    no 'clients/' unless that is the folder.  None when the file system refuses the
    name (not UTF-8, too long in bytes)."""
    try:
        folder.encode("utf-8")
    except UnicodeEncodeError:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        try:
            root = _repo(Path(tmp), folder)
        except OSError:
            return None
        code, out = _run(*command, "--repo", str(root))
    for line in out.split("\n"):
        assert not RAW.search(line), (folder, command, out)
    if folder != "clients":
        assert "clients/" not in out, (folder, command, out)
    return code, out


def test_history_of_a_record_never_committed_names_the_configured_folder(
    tmp_path: Path,
) -> None:
    root = _repo(tmp_path, "my\tpeople")
    code, out = _run("history", "ann", "--repo", str(root))
    assert code == 2
    assert "clients/" not in out
    assert "'ls " not in out
    assert "my\\x09people/ann.md was never committed" in out
    assert "the file names in my\\x09people/" in out
    assert "\t" not in out


def test_a_plain_clients_folder_reads_as_before(tmp_path: Path) -> None:
    root = _repo(tmp_path, "clients")
    code, out = _run("history", "ann", "--repo", str(root))
    assert code == 2 and "clients/ann.md was never committed" in out
    code, out = _run("show", "zed", "--repo", str(root))
    assert code == 2 and "no client 'zed' in clients/" in out


COMMANDS = [
    ["history", "zed"],
    ["history", "ann"],
    ["show", "zed"],
    ["set", "zed", "company=X"],
    ["log", "zed", "--focus", "x", "--on", "2026-11-20"],
    ["pay", "zed", "INV-1"],
    ["measure", "zed", "g", "1"],
    ["move", "zed", "active"],
    ["restore", "zed"],
    ["export", "client", "zed"],
]

any_folder_st = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="/\0"),
    min_size=1,
    max_size=12,
).filter(lambda name: not name.startswith(".") and name.strip() == name and bool(name))
# the names that showed the bug, beside any name: a tab, an escape sequence, a bidi control
folder_st = st.one_of(
    st.sampled_from(["my\tpeople", "a\x1b[2Jb", "x\u202ey", "c\rd", "people"]), any_folder_st
)


@settings(max_examples=25, deadline=None)
@given(folder_st, st.sampled_from(COMMANDS))
def test_every_hint_names_the_configured_folder_made_visible(
    folder: str, command: list[str]
) -> None:
    ran = _run_in_folder(folder, command)
    if ran is None:
        return
    code, out = ran
    assert code != 0, out
    if command[0] in ("history", "show", "set"):
        assert clean(folder) + "/" in out, (folder, command, out)


def test_install_gives_the_configured_folder_the_merge_driver(tmp_path: Path) -> None:
    """The .gitattributes line install writes (and doctor looks for) is the configured
    folder's: 'clients/*.md' left the records of another folder without the driver."""
    for folder in ("people", "my people", "a*b", "x\ty"):
        base = tmp_path / str(abs(hash(folder)))
        base.mkdir()
        root = _repo(base, folder)
        code, out = _run("install", "--repo", str(root))
        assert code == 0, out
        assert "clients/" not in out and "\t" not in out
        line = gitattributes_line(folder)
        assert line in (root / ".gitattributes").read_text().splitlines()
        checked = subprocess.run(
            ["git", "check-attr", "merge", "--", f"{folder}/ann.md"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert checked.endswith(": merge: sortext\n"), checked
        code, out = _run("doctor", "--json", "--repo", str(root))
        (merge,) = [f for f in json.loads(out) if f["check"] == "merge driver"]
        assert merge["status"] == "ok", merge
        shutil.rmtree(base)


@settings(max_examples=20, deadline=None)
@given(folder_st, st.sampled_from([["new", "Zed Ray"], ["search", "Ann"], ["check"]]))
def test_what_a_command_reports_of_a_record_names_its_folder_made_visible(
    folder: str, command: list[str]
) -> None:
    """The paths a command reports on success (created, found, checked) name the
    configured folder, made visible like the errors' paths."""
    ran = _run_in_folder(folder, command)
    if ran is None:
        return
    _, out = ran
    assert clean(folder) + "/" in out, (folder, command, out)
