"""Derived folders that are links leading out of the repository (issue 12, item 1).

A sync tool (or a careless ``ln -s``) can leave ``site/owners``, ``site/clients``,
``.sortext`` or one file inside them as a symbolic link to a place outside the
repository.  A build writes pages into those folders and deletes stale pages from
them, and the state folder's files are written on every command: each such link
is refused with a message naming it, and nothing outside the repository is
written or deleted.  The property test generates the kind: any derived folder or
state file, linked to a folder (or file) outside.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.cli import main as cli_main
from sortext.errors import UnsafePathError
from sortext.files.state import StateDir
from tests.conftest import PROJECT_ROOT, SAMPLE_TODAY

Cli = Callable[..., Result]

RECORD = (
    "---\nname: Amy Ng\nstage: inquiry\nowner: me\nemail: amy@example.com\n"
    "next_action: {what: Call back, due: 2026-11-25}\n---\nnotes\n"
)


def make_repo(base: Path) -> Path:
    root = base / "repo"
    (root / "clients").mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "sortext" / "skeleton" / "sortext.yaml", root / "sortext.yaml")
    (root / "clients" / "amy-ng.md").write_text(RECORD, encoding="utf-8")
    return root


def outside(base: Path) -> dict[str, bytes]:
    victim = base / "victim"
    return {str(p): p.read_bytes() for p in victim.rglob("*") if p.is_file()}


def plant_victim(base: Path) -> Path:
    victim = base / "victim"
    victim.mkdir()
    (victim / "precious.html").write_text("keep me\n", encoding="utf-8")
    (victim / "me.html").write_text("keep me too\n", encoding="utf-8")
    return victim


@pytest.mark.parametrize("folder", ["site/owners", "site/clients", ".sortext"])
def test_a_derived_folder_linked_outside_is_refused_and_nothing_outside_changes(
    cli: Cli, tmp_path: Path, folder: str
) -> None:
    root = make_repo(tmp_path)
    assert cli("build", "--repo", str(root), "--today", SAMPLE_TODAY).exit_code == 0
    victim = plant_victim(tmp_path)
    before = outside(tmp_path)
    shutil.rmtree(root / folder)
    (root / folder).symlink_to(victim, target_is_directory=True)
    result = cli("build", "--repo", str(root), "--today", SAMPLE_TODAY)
    assert result.exit_code == 2, result.output
    assert f"{folder}: leads outside the repository" in result.output
    assert "internal error" not in result.output
    assert outside(tmp_path) == before  # nothing written there, nothing deleted


def test_a_state_file_linked_outside_is_never_written(cli: Cli, tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    victim = plant_victim(tmp_path)
    (root / ".sortext").mkdir()
    (root / ".sortext" / "index.sqlite").symlink_to(victim / "precious.html")
    before = outside(tmp_path)
    result = cli("build", "--repo", str(root), "--today", SAMPLE_TODAY)
    assert result.exit_code == 2, result.output
    assert ".sortext/index.sqlite: leads outside the repository" in result.output
    assert outside(tmp_path) == before


def test_next_md_linked_outside_is_not_written(cli: Cli, tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    victim = plant_victim(tmp_path)
    (root / "NEXT.md").symlink_to(victim / "precious.html")
    before = outside(tmp_path)
    result = cli("build", "--repo", str(root), "--today", SAMPLE_TODAY)
    assert result.exit_code == 2, result.output
    assert "NEXT.md: leads outside the repository" in result.output
    assert outside(tmp_path) == before


STATE_FILES = [
    name for name in vars(StateDir) if isinstance(vars(StateDir)[name], property) and name != "path"
]


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from([*STATE_FILES, "path"]),
    st.sampled_from(["victim", "victim/precious.html", "victim/deeper/none"]),
)
def test_every_state_path_linked_outside_is_refused(prop: str, target: str) -> None:
    """Any state folder path (the folder or any file in it) that is a link leading
    outside the repository raises UnsafePathError; a link inside is fine."""
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        root = make_repo(base)
        plant_victim(base)
        state = StateDir(root)
        link = root / ".sortext"
        if prop != "path":
            link.mkdir()
            link = link / _file_name(prop)
        link.symlink_to(base / target)
        with pytest.raises(UnsafePathError, match="leads outside the repository"):
            getattr(state, prop)
        link.unlink()
        inside = root / "inside"
        inside.mkdir(exist_ok=True)
        link.symlink_to(inside)
        assert getattr(state, prop) == link


def _file_name(prop: str) -> str:
    """The file name a StateDir property ends in (``watch_log`` -> ``watch.log``)."""
    return Path(str(getattr(StateDir(Path("/r")), prop))).name


def test_state_folder_and_build_use_one_runner() -> None:
    """A CLI run in a clean repository still works (the checks refuse only links out)."""
    with tempfile.TemporaryDirectory() as tmp:
        root = make_repo(Path(tmp))

        result = CliRunner().invoke(
            cli_main, ["next", "--repo", str(root), "--today", SAMPLE_TODAY]
        )
        assert result.exit_code == 0, result.output
        assert "Amy Ng" in result.output


@pytest.mark.parametrize("linked", ["inbox", "inbox.md"])
def test_an_inbox_linked_outside_is_never_read_filed_or_emptied(
    cli: Cli, tmp_path: Path, linked: str
) -> None:
    """inbox/ (or inbox.md) leading outside: the outside note is not folded into a
    record (it would be committed and backed up) and not deleted there."""
    root = make_repo(tmp_path)
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "amy-ng.md").write_text("## 2026-11-30 Amy Ng\nAmy Ng: outside text\n")
    target = notes if linked == "inbox" else notes / "amy-ng.md"
    (root / linked).symlink_to(target)
    result = cli("inbox", "--file", "--repo", str(root), "--today", SAMPLE_TODAY)
    assert result.exit_code == 2, result.output
    assert f"{linked}: leads outside the repository" in result.output
    assert (notes / "amy-ng.md").exists()
    assert "outside text" not in (root / "clients" / "amy-ng.md").read_text()


@settings(max_examples=30, deadline=None)
@given(
    st.sampled_from(["inbox", "inbox.md", "site", "site/clients", "site/owners", ".sortext"]),
    st.sampled_from(["inbox", "build", "next"]),
)
def test_no_command_goes_through_a_link_leading_out(linked: str, command: str) -> None:
    """Any of the repository's working folders (or inbox.md) as a link to a folder
    outside: the command either refuses it or never touches it; outside, no file
    is written, changed or deleted."""
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        root = make_repo(base)
        victim = plant_victim(base)
        (victim / "amy-ng.md").write_text("Amy Ng: outside text\n")
        before = outside(base)
        link = root / linked
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(victim / "amy-ng.md" if linked == "inbox.md" else victim)
        args = ["--file"] if command == "inbox" else []
        result = CliRunner().invoke(
            cli_main,
            [command, *args, "--repo", str(root), "--today", SAMPLE_TODAY],
        )
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert "internal error" not in result.output
        assert outside(base) == before, result.output
        assert "outside text" not in (root / "clients" / "amy-ng.md").read_text()


def test_a_clients_folder_leading_out_is_refused(cli: Cli, tmp_path: Path) -> None:
    """clients/ as a link to an outside folder: `set` wrote the outside record
    (which git cannot even commit); now every command names the link."""
    root = make_repo(tmp_path)
    victim = plant_victim(tmp_path)
    (victim / "bo.md").write_text(RECORD.replace("Amy Ng", "Bo Outside"))
    before = outside(tmp_path)
    shutil.rmtree(root / "clients")
    (root / "clients").symlink_to(victim)
    for args in (["list"], ["set", "bo", "company=X"], ["check"]):
        result = cli(*args, "--repo", str(root))
        assert result.exit_code == 2, result.output
        assert "clients: leads outside the repository" in result.output
    assert outside(tmp_path) == before


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.sampled_from(["..", ".", "clients", "victim", "sub", "/tmp", "repo"]), min_size=1)
)
def test_clients_dir_is_inside_the_repository_or_refused(parts: list[str]) -> None:
    """Any ``clients_dir`` in sortext.yaml: its records are read and written only when
    it resolves inside the repository; otherwise commands refuse it (exit 2)."""
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        root = make_repo(base)
        victim = plant_victim(base)
        (victim / "bo.md").write_text(RECORD.replace("Amy Ng", "Bo Outside"))
        before = outside(base)
        folder = "/".join(parts)
        config = (root / "sortext.yaml").read_text()
        (root / "sortext.yaml").write_text(
            config.replace("clients_dir: clients", f"clients_dir: {json.dumps(folder)}")
        )
        inside = (root / folder).resolve().is_relative_to(root.resolve())
        for args in (["list"], ["set", "bo", "company=X"]):
            result = CliRunner().invoke(cli_main, [*args, "--repo", str(root)])
            assert "internal error" not in result.output
            if not inside:
                assert result.exit_code == 2, result.output
        assert outside(base) == before


def test_merge_copy_never_reads_or_writes_outside(cli: Cli, tmp_path: Path) -> None:
    """A conflict copy outside the clients folder made ``/tmp/amy-ng.md`` its record
    (and wrote it); a copy that is a link folded the outside file into the record."""
    root = make_repo(tmp_path)
    victim = plant_victim(tmp_path)
    copy_name = "amy-ng (conflicted copy).md"
    (victim / copy_name).write_text(RECORD.replace("Amy Ng", "Outside Secret"))
    (victim / "amy-ng.md").write_text(RECORD)
    before = outside(tmp_path)
    result = cli("merge-copy", str(victim / copy_name), "--repo", str(root))
    assert result.exit_code == 2 and "not in the clients folder" in result.output
    (root / "clients" / copy_name).symlink_to(victim / copy_name)
    result = cli("merge-copy", str(root / "clients" / copy_name), "--repo", str(root))
    assert result.exit_code == 2 and "a symbolic link" in result.output
    assert outside(tmp_path) == before
    assert "Outside Secret" not in (root / "clients" / "amy-ng.md").read_text()


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(["victim", "clients", "clients/sub", "."]),
    st.sampled_from(["file", "symlink-out", "symlink-in"]),
)
def test_merge_copy_of_any_placed_copy_stays_inside(where: str, kind: str) -> None:
    """A conflict copy anywhere (outside, in the clients folder, below it, at the
    root), a file or a link: nothing outside the repository is read into a record,
    written or deleted, and only a plain file in the clients folder is merged."""
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        root = make_repo(base)
        victim = plant_victim(base)
        copy_name = "amy-ng (conflicted copy).md"
        secret = RECORD.replace("Amy Ng", "Outside Secret")
        (victim / "src.md").write_text(secret)
        (victim / "amy-ng.md").write_text(RECORD)
        folder = victim if where == "victim" else root / where
        folder.mkdir(parents=True, exist_ok=True)
        copy = folder / copy_name
        if kind == "file":
            copy.write_text(RECORD.replace("Amy Ng", "Amy Ng-Lee"))
        elif kind == "symlink-out":
            copy.symlink_to(victim / "src.md")
        else:
            (root / "inside.md").write_text(secret)
            copy.symlink_to(root / "inside.md")
        before = outside(base)
        result = CliRunner().invoke(cli_main, ["merge-copy", str(copy), "--repo", str(root)])
        assert "internal error" not in result.output
        merged = where == "clients" and kind == "file"
        assert (result.exit_code in (0, 1)) if merged else (result.exit_code == 2), result.output
        assert outside(base) == before
        assert "Outside Secret" not in (root / "clients" / "amy-ng.md").read_text()
