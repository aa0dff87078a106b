"""The one writer (temp name, refusal to clobber, cleanup) and the one state-folder object."""

from __future__ import annotations

import ast
import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sortext.daemon.events import is_debris
from sortext.daemon.leftovers import is_leftover, remove_leftovers
from sortext.errors import ConflictError, StorageError
from sortext.files.state import StateDir
from sortext.files.write import (
    atomic_write,
    is_temp_name,
    read_for_update,
    replace_if_unchanged,
    temp_path,
    temp_writer,
    write_if_changed,
    write_if_unchanged,
)

PACKAGE = Path(__file__).resolve().parent.parent / "sortext"

# A file name a user (or another tool) could give a file: no slash, no NUL, not . or ..
names = st.text(
    alphabet=st.characters(blacklist_characters="/\x00", blacklist_categories=["Cs"]),
    min_size=1,
    max_size=40,
).filter(lambda n: n not in (".", "..") and len(n.encode("utf-8")) < 200)


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


# --- the temp name -------------------------------------------------------------------


def test_temp_name_carries_the_writer_pid_and_stays_in_the_folder(tmp_path: Path) -> None:
    target = tmp_path / "amara-okafor.md"
    temp = temp_path(target)
    assert temp.parent == tmp_path
    assert temp.name.startswith(".amara-okafor.md.sortext-tmp-")
    assert temp_writer(temp.name) == os.getpid()
    assert is_temp_name(temp.name) and is_debris(temp.name)
    assert temp_path(target) != temp  # two writers in one process never share a temp file


def test_names_that_are_not_ours_have_no_writer() -> None:
    for name in ("amara.md", ".amara.md.swp", ".a.md.sortext-tmp-1f", ".a.md.4821.tmp", "x.tmp"):
        assert temp_writer(name) is None


@given(name=names)
def test_every_temp_name_is_ignored_by_the_watcher_and_kept_while_its_writer_lives(
    name: str,
) -> None:
    temp = temp_path(Path("/r/clients") / name).name
    assert temp_writer(temp) == os.getpid()
    assert is_debris(temp)
    assert not is_leftover(temp)


@given(name=names)
def test_a_name_sortext_does_not_make_is_never_a_leftover(name: str) -> None:
    if is_leftover(name):
        assert "sortext-" in name or name.endswith(".tmp")


# --- refusal to clobber --------------------------------------------------------------


def test_replace_if_unchanged_refuses_a_file_changed_since_read(tmp_path: Path) -> None:
    target = tmp_path / "backup.json"
    target.write_bytes(b"{}\n")
    before = target.read_bytes()
    target.write_bytes(b'{"edited": true}\n')
    with pytest.raises(ConflictError, match="changed since sortext read it"):
        replace_if_unchanged(target, b'{"ours": 1}\n', before)
    assert target.read_bytes() == b'{"edited": true}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["backup.json"]


def test_replace_if_unchanged_refuses_a_file_that_appeared(tmp_path: Path) -> None:
    target = tmp_path / "new.md"
    target.write_bytes(b"someone else\n")
    with pytest.raises(ConflictError):
        replace_if_unchanged(target, b"ours\n", None)
    assert target.read_bytes() == b"someone else\n"


def test_exclusive_write_never_replaces_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "new.md"
    target.write_bytes(b"created meanwhile\n")
    with pytest.raises(ConflictError, match="created by someone else"):
        atomic_write(target, b"ours\n", exclusive=True)
    assert target.read_bytes() == b"created meanwhile\n"
    assert [p.name for p in tmp_path.iterdir()] == ["new.md"]


def test_a_new_file_is_written_when_nothing_is_there(tmp_path: Path) -> None:
    target = tmp_path / "new.md"
    write_if_unchanged(target, read_for_update(target), b"fresh\n")
    assert target.read_bytes() == b"fresh\n"
    assert os.stat(target).st_mode & 0o777 == 0o644 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_a_failed_write_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "page.html"
    target.mkdir()  # a folder where the file should go: the rename fails
    with pytest.raises(StorageError, match="cannot write"):
        atomic_write(target, b"<p>x</p>\n")
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]


def test_write_if_changed_leaves_identical_files_alone(tmp_path: Path) -> None:
    target = tmp_path / "NEXT.md"
    assert write_if_changed(target, b"# next\n") is True
    inode = os.stat(target).st_ino
    assert write_if_changed(target, b"# next\n", durable=False) is False
    assert os.stat(target).st_ino == inode  # not rewritten: no file event
    assert write_if_changed(target, b"# next again\n", durable=False) is True
    assert target.read_bytes() == b"# next again\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["NEXT.md"]


# --- cleanup -------------------------------------------------------------------------


def test_cleanup_removes_temp_files_of_a_gone_writer_only(tmp_path: Path) -> None:
    dead = _dead_pid()
    ours = temp_path(tmp_path / "a.md").name
    names = {
        f".a.md.sortext-tmp-{dead}-0badf00d": True,
        f".index.html.sortext-tmp-{dead}-1234abcd": True,
        ours: False,  # this process is alive
        f".b.md.sortext-tmp-{os.getppid()}-0badf00d": False,  # so is its parent
        f"a.md.sortext-tmp-{dead}-0badf00d": False,  # not a dotfile: not a name we make
        f".a.md.sortext-tmp-{dead}-xyz": False,
        "a.md": False,
    }
    for name in names:
        (tmp_path / name).write_text("x")
    removed = {p.name for p in remove_leftovers([tmp_path])}
    assert removed == {name for name, gone in names.items() if gone}
    assert {p.name for p in tmp_path.iterdir()} == {n for n, gone in names.items() if not gone}


# --- one writer, one state folder: the tree itself -----------------------------------


def _calls(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            base = node.func.value
            if isinstance(base, ast.Name):
                found.add(f"{base.id}.{node.func.attr}")
    return found


def test_only_the_one_writer_renames_files_into_place() -> None:
    writer = PACKAGE / "files" / "write.py"
    others = {
        str(p.relative_to(PACKAGE)): sorted(_calls(p) & {"os.replace", "os.rename", "os.link"})
        for p in PACKAGE.rglob("*.py")
        if p != writer
    }
    assert {k: v for k, v in others.items() if v} == {}


def _state_literals(path: Path) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            value = node.value
            if value == ".sortext" or value.startswith(".sortext/"):
                out.append(value)
    return out


def test_only_the_state_object_spells_the_state_folder() -> None:
    state = PACKAGE / "files" / "state.py"
    found = {
        str(p.relative_to(PACKAGE)): _state_literals(p) for p in PACKAGE.rglob("*.py") if p != state
    }
    assert {k: v for k, v in found.items() if v} == {}
    assert _state_literals(state) == [".sortext"]


def test_state_dir_knows_every_path(tmp_path: Path) -> None:
    state = StateDir(tmp_path)
    expected = {
        "index": "index.sqlite",
        "config_cache": "config.json",
        "weekly_view": "weekly.json",
        "weekly_pairs": "weekly-pairs.json",
        "weekly_store": "weekly.sqlite",
        "stage_facts": "stage-facts.json",
        "stage_scan": "stage-scan.json",
        "stage_journal": "stage-journal.jsonl",
        "history_cache": "history.sqlite",
        "watch_pid": "watch.pid",
        "watch_state": "watch.json",
        "watch_log": "watch.log",
        "push_state": "push.json",
        "backup_state": "backup.json",
        "template_cache": "templates",
    }
    for prop, name in expected.items():
        assert getattr(state, prop) == tmp_path / ".sortext" / name, prop
    paths = [getattr(state, prop) for prop in expected]
    assert len(set(paths)) == len(paths)
    assert StateDir.rel(StateDir.INDEX) == ".sortext/index.sqlite"
    assert not state.path.exists()  # asking for a path creates nothing


def test_the_daemon_and_queries_use_the_same_paths(tmp_path: Path) -> None:
    """What the daemon writes is what status reads: both ask StateDir."""
    from sortext.daemon.state import write_json
    from sortext.daemon.status import read_status

    state = StateDir(tmp_path)
    write_json(state.watch_state, {"last_commit": {"sha": "abc"}, "errors": {}})
    write_json(state.push_state, {"last_error": None})
    status = read_status(tmp_path)
    assert status["last_commit"] == {"sha": "abc"}
    assert status["push"] == {"last_error": None}
    assert not status["running"]


def _method_calls(path: Path, names: set[str]) -> list[str]:
    return [
        node.func.attr
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in names
    ]


def test_no_module_writes_a_target_file_in_place() -> None:
    """write_text/write_bytes leave a half-written file on a crash: only scratch files may."""
    scratch = {
        "vcs/commit.py",  # sortext-blob-<pid>-<n> in .git, handed to git hash-object
        "vcs/merge.py",  # three texts in a TemporaryDirectory for git merge-file
        "vcs/erase.py",  # git filter-repo's path and replace-text lists in a TemporaryDirectory
    }
    found = {
        str(p.relative_to(PACKAGE)): _method_calls(p, {"write_text", "write_bytes"})
        for p in PACKAGE.rglob("*.py")
    }
    assert {k for k, v in found.items() if v} == scratch


def test_gitattributes_line_is_added_atomically_keeping_every_byte(tmp_path: Path) -> None:
    from sortext.vcs.scaffold import GITATTRIBUTES_LINE, ensure_gitattributes

    path = tmp_path / ".gitattributes"
    path.write_bytes(b"*.bin binary\n# caf\xe9 (latin-1)")
    assert ensure_gitattributes(tmp_path) is True
    assert path.read_bytes() == b"*.bin binary\n# caf\xe9 (latin-1)\n" + (
        GITATTRIBUTES_LINE.encode() + b"\n"
    )
    assert ensure_gitattributes(tmp_path) is False
    assert [p.name for p in tmp_path.iterdir()] == [".gitattributes"]
