"""Hostile records and untrusted text (issue 12): each failing input of the issue as a test.

Confined paths (slugs only, writes stay in their folder), symlinks, inert terminal
output, ``check`` refusing what the writers refuse, one bad record never stopping
the rest, and no quadratic path.  The property tests that generate each kind are
in tests/test_hostile_properties.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from sortext.record.source import LINK_PROBLEM
from tests.conftest import PROJECT_ROOT, SAMPLE_TODAY

Cli = Callable[..., Result]
# What a terminal acts on: C0 but tab/newline, DEL, C1, bidi controls.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def write(root: Path, name: str, front: str, body: str = "notes\n") -> Path:
    path = root / "clients" / f"{name}.md"
    path.write_text(f"---\n{front}---\n{body}", encoding="utf-8")
    return path


def outside_files(tmp: Path, root: Path) -> set[Path]:
    """Every file under ``tmp`` that is not inside the repository ``root``."""
    return {p for p in tmp.rglob("*") if p.is_file() and root not in p.parents}


def check_lines(cli: Cli, root: Path, *paths: str) -> str:
    result = cli("check", "--repo", str(root), *paths)
    return result.output


# --- 1. paths only from slugs, inside their folder --------------------------------


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("../../../victim", "'../../../victim'"),
        ("sub/evil", "'sub/evil'"),
        ("/abs/path", "'/abs/path'"),
        ('"a\\u0000b"', "a\\x00b"),
        ("a" * 300, "aaaa"),
        ('"abc\\n"', "abc\\x0a"),
    ],
)
def test_an_invalid_id_is_a_located_error_and_never_names_a_file(
    cli: Cli, empty_repo: Path, tmp_path: Path, written: str, shown: str
) -> None:
    write(empty_repo, "evil", f"name: Evil\nid: {written}\nstage: inquiry\n")
    output = check_lines(cli, empty_repo)
    assert "clients/evil.md:3:5: error: id:" in output, output
    assert shown in output
    before = outside_files(tmp_path, empty_repo)
    build = cli("build", "--repo", str(empty_repo), "--today", SAMPLE_TODAY)
    assert build.exit_code == 0, build.output
    assert "internal error" not in build.output
    pages = sorted(p.name for p in (empty_repo / "site" / "clients").iterdir())
    assert pages == ["evil.html"]  # the invalid id falls back to the file stem
    assert outside_files(tmp_path, empty_repo) == before
    again = cli("build", "--repo", str(empty_repo), "--today", SAMPLE_TODAY)
    assert again.exit_code == 0 and outside_files(tmp_path, empty_repo) == before


def test_a_file_stem_that_is_no_slug_is_an_error_and_gets_a_safe_page(
    cli: Cli, empty_repo: Path
) -> None:
    write(empty_repo, "Tom Berg", "name: Tom\nstage: inquiry\n")
    output = check_lines(cli, empty_repo)
    assert "the file name 'Tom Berg.md' is not a valid id" in output
    build = cli("build", "--repo", str(empty_repo), "--today", SAMPLE_TODAY)
    assert build.exit_code == 0, build.output
    (page,) = (empty_repo / "site" / "clients").iterdir()
    assert re.fullmatch(r"tom-berg-[0-9a-f]{8}\.html", page.name)


def test_an_id_longer_than_the_limit_is_refused_by_check(cli: Cli, empty_repo: Path) -> None:
    write(empty_repo, "a" * 65, "name: Long\nstage: inquiry\n")
    output = check_lines(cli, empty_repo)
    assert "is 65 characters long; the limit is 64" in output


@pytest.mark.parametrize(
    "args",
    [
        ["set", "../../outside2", "company=x"],
        ["log", "../../outside2"],
        ["move", "../../outside2", "active"],
        ["pay", "../x", "INV-1"],
        ["measure", "/etc/passwd", "g", "1"],
        ["show", "sub/evil"],
        ["history", "a\x00b"],
        ["restore", "../x"],
        ["resolve", "../x", "stage"],
        ["erase", "../x"],
        ["anonymise", "../x"],
        ["set", "A" * 10, "company=x"],
    ],
)
def test_every_id_argument_is_validated(cli: Cli, records_repo: Path, args: list[str]) -> None:
    result = cli(*args, "--repo", str(records_repo))
    assert result.exit_code == 2
    assert "is not a client id" in result.output
    assert "\x00" not in result.output
    assert not (records_repo.parent / "outside2.md").exists()


def test_a_site_folder_linking_outside_the_repository_is_refused(
    cli: Cli, empty_repo: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (empty_repo / "site").symlink_to(elsewhere)
    write(empty_repo, "ann", "name: Ann\nstage: inquiry\n")
    result = cli("build", "--repo", str(empty_repo), "--today", SAMPLE_TODAY)
    assert result.exit_code == 2
    assert "leads outside the repository" in result.output
    assert list(elsewhere.iterdir()) == []


def test_a_page_path_through_a_symlinked_page_is_not_written(
    cli: Cli, empty_repo: Path, tmp_path: Path
) -> None:
    victim = tmp_path / "victim.html"
    victim.write_text("keep")
    (empty_repo / "site" / "clients").mkdir(parents=True)
    (empty_repo / "site" / "clients" / "ann.html").symlink_to(victim)
    write(empty_repo, "ann", "name: Ann\nstage: inquiry\n")
    result = cli("build", "--repo", str(empty_repo), "--today", SAMPLE_TODAY)
    assert result.exit_code == 0, result.output
    assert victim.read_text() == "keep"


# --- 2. symlinks, links and read-only records -------------------------------------


def test_a_record_linking_outside_the_clients_folder_is_an_error_and_never_read(
    cli: Cli, empty_repo: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("---\nname: Top Secret Line\nstage: inquiry\n---\n")
    (empty_repo / "clients" / "link.md").symlink_to(secret)
    output = check_lines(cli, empty_repo)
    assert f"clients/link.md:1:1: error: file: {LINK_PROBLEM}" in output
    assert "Top Secret" not in output
    for args in (["list"], ["next"], ["search", "Secret"], ["export", "json"]):
        result = cli(*args, "--repo", str(empty_repo), "--today", SAMPLE_TODAY)
        assert "Top Secret" not in result.output, args
    cli("build", "--repo", str(empty_repo), "--today", SAMPLE_TODAY)
    assert not (empty_repo / "site" / "clients" / "link.html").exists()


def test_the_watcher_never_commits_a_link_as_its_targets_bytes(
    empty_repo: Path, tmp_path: Path
) -> None:
    from sortext.daemon.pipeline import read_stable

    secret = tmp_path / "secret.txt"
    secret.write_text("private")
    link = empty_repo / "clients" / "link.md"
    link.symlink_to(secret)
    assert read_stable(link) is None


def test_set_refuses_read_only_symlinked_and_hard_linked_records(
    cli: Cli, records_repo: Path
) -> None:
    path = records_repo / "clients" / "amara-okafor.md"
    before = path.read_bytes()
    path.chmod(0o444)
    try:
        result = cli("set", "amara-okafor", "company=x", "--repo", str(records_repo))
        assert result.exit_code == 2
        assert "file is read-only" in result.output
        for args in (["pay", "amara-okafor", "INV-2026-031"], ["log", "amara-okafor"]):
            result = cli(*args, "--repo", str(records_repo), "--today", SAMPLE_TODAY)
            assert result.exit_code != 0
            assert path.read_bytes() == before
    finally:
        path.chmod(0o644)
    other = records_repo / "amara-copy.md"
    os.link(path, other)
    result = cli("set", "amara-okafor", "company=x", "--repo", str(records_repo))
    assert "hard links" in result.output and path.read_bytes() == before
    other.unlink()
    target = records_repo / "clients" / "elena-marsh.md"
    linked = records_repo / "clients" / "elena-link.md"
    linked.symlink_to(target)
    result = cli("set", "elena-link", "company=x", "--repo", str(records_repo))
    assert "symbolic link" in result.output
    assert linked.is_symlink()


# --- 3. inert terminal output ------------------------------------------------------

HOSTILE_NAME = (
    "Bad \\e]0;pwned\\a \\e[2J \\e]8;;http://x\\e\\\\link\\r\\nforged \\u202eevil \\x9b1m"
)


def test_record_text_never_reaches_the_terminal_as_control_characters(
    cli: Cli, empty_repo: Path
) -> None:
    write(
        empty_repo,
        "esc",
        f'name: "{HOSTILE_NAME}"\nstage: inquiry\n'
        f'next_action: {{what: "{HOSTILE_NAME}", due: 2026-12-01}}\n',
        body="Body \x1b[31m red\n",
    )
    repo = str(empty_repo)
    for args in (
        ["next"],
        ["list"],
        ["show", "esc"],
        ["check"],
        ["--color", "always", "show", "esc"],
        ["--color", "always", "next"],
    ):
        result = cli(*args, "--repo", repo, "--today", SAMPLE_TODAY)
        check_inert(args, result.output)
    check_inert(["search"], cli("search", "Bad", "--repo", repo).output)


def check_inert(args: list[str], output: str) -> None:
    """Nothing in ``output`` a terminal acts on, but sortext's own colours."""
    text = output
    if "--color" in args:
        text = re.sub("\x1b\\[[0-9;]*m", "", text)  # our own colours only
        assert "\x1b]" not in output and "\x1b[2J" not in output
    assert not CONTROL.search(text), (args, text)
    assert "\r" not in text
    assert not any(line.startswith("forged") for line in text.splitlines()), text


def test_no_color_and_color_never_remove_every_escape(cli: Cli, records_repo: Path) -> None:
    repo = str(records_repo)
    coloured = cli("--color", "always", "next", "--repo", repo, "--today", SAMPLE_TODAY)
    assert "\x1b[" in coloured.output
    never = cli("--color", "never", "next", "--repo", repo, "--today", SAMPLE_TODAY)
    assert "\x1b" not in never.output
    env = cli("next", "--repo", repo, "--today", SAMPLE_TODAY, env={"NO_COLOR": "1"})
    assert "\x1b" not in env.output
    assert never.output == env.output


def test_exports_keep_their_crlf_line_ends(cli: Cli, records_repo: Path) -> None:
    result = cli("export", "csv", "--repo", str(records_repo), "--today", SAMPLE_TODAY)
    assert b"\r\n" in result.stdout_bytes and b"\\x0d" not in result.stdout_bytes


def test_the_watcher_log_line_is_inert() -> None:
    import logging

    from sortext.daemon.service import InertFormatter

    record = logging.LogRecord(
        "sortext.watch", logging.INFO, "", 1, "saved %s", ("a\x1b]0;t\x07\nb",), None
    )
    line = InertFormatter("%(levelname)s %(message)s").format(record)
    assert line == "INFO saved a\\x1b]0;t\\x07\\x0ab"


# --- 4. check refuses what the writers refuse --------------------------------------


@pytest.mark.parametrize(
    ("front", "where", "message"),
    [
        ('name: "a\\eb"\n', "2:7: error: name:", "control character U+001B"),
        ('name: "a\\0b"\n', "2:7: error: name:", "control character U+0000"),
        ("name: a\x1bb\n", "2:8: error", "control character U+001B written into the file"),
        ("name: A\n# \x1b[2J\n", "3:3: error", "control character U+001B written into the file"),
        (
            'name: A\nbilling: {currency: "GBP\\n"}\n',
            "3:21: error: billing.currency:",
            "three-letter",
        ),
        ("name: A\nbilling: {rate: 1e309}\n", "3:17: error: billing.rate:", "not a finite number"),
        (f"name: A\nbilling: {{rate: {'9' * 5000}}}\n", "3:17: error: billing.rate:", "too large"),
        ("name: A\nbilling: {rate: 1e300}\n", "3:17: error: billing.rate:", "too large"),
        ("name: A\ndates: {started: 9999-12-31}\n", "3:18: error: dates.started:", "2199"),
        ("name: A\ngoals: [{id: [x], title: t}]\n", "3:14: error: goals[0].id:", "expected text"),
        ("name: A\ncustom:\n  1: a\n  true: b\n", "5:3: error: custom.true:", "same key as '1'"),
    ],
)
def test_check_refuses_each_hostile_value_with_a_location(
    cli: Cli, empty_repo: Path, front: str, where: str, message: str
) -> None:
    write(empty_repo, "odd", front + "stage: completed\n")
    output = check_lines(cli, empty_repo)
    assert f"clients/odd.md:{where}" in output, output
    assert message in output, output
    assert "internal error" not in output
    for args in (["build"], ["next"], ["list"], ["export", "json"], ["export", "ics"]):
        result = cli(*args, "--repo", str(empty_repo), "--today", SAMPLE_TODAY)
        assert "internal error" not in result.output, (args, result.output)
        assert "Infinity" not in result.output


def test_a_file_name_that_is_not_utf8_is_a_located_error(cli: Cli, empty_repo: Path) -> None:
    folder = os.fsencode(empty_repo / "clients")
    with open(folder + b"/bad\xff.md", "wb") as handle:
        handle.write(b"---\nname: X\nstage: inquiry\n---\n")
    write(empty_repo, "good", "name: Good\nstage: inquiry\n")
    output = check_lines(cli, empty_repo)
    assert "clients/bad\\xff.md:1:1: error: the file name is not valid UTF-8" in output
    for args in (["build"], ["next"], ["list"], ["export", "json"]):
        result = cli(*args, "--repo", str(empty_repo), "--today", SAMPLE_TODAY)
        assert result.exit_code == 0, (args, result.output)
    listed = cli("list", "--repo", str(empty_repo), "--json")
    assert [c["id"] for c in json.loads(listed.output)] == ["good"]


def test_the_writers_refuse_what_check_refuses() -> None:
    """One YAML meaning: raw control characters are refused by both read paths."""
    from sortext.record.diagnostics import Diagnostic
    from sortext.record.yamlread import load_fast, load_round_trip

    for text in ("name: a\x1bb\n", "name: a\x85b\x9bc\n", "# \x07\nname: a\n"):
        fast, slow = load_fast(text), load_round_trip(text)
        assert isinstance(fast, Diagnostic) and isinstance(slow, Diagnostic), text
        assert (fast.line, fast.column, fast.message) == (slow.line, slow.column, slow.message)


# --- 5. one bad record never stops the rest ----------------------------------------


def test_invalid_records_with_wrong_types_do_not_stop_any_command(
    cli: Cli, records_repo: Path
) -> None:
    write(records_repo, "tags-seven", "name: T\nstage: active\ntags: 7\nsessions: 5\n")
    write(records_repo, "goals-odd", "name: G\nstage: active\ngoals: 5\ninvoices: {a: 1}\n")
    repo = str(records_repo)
    for args in (
        ["build"],
        ["next"],
        ["list"],
        ["show", "tags-seven"],
        ["show", "amara-okafor"],
        ["export", "json"],
        ["export", "csv"],
        ["export", "ics"],
    ):
        result = cli(*args, "--repo", repo, "--today", SAMPLE_TODAY)
        assert result.exit_code in (0, 1), (args, result.output)
        assert "internal error" not in result.output, (args, result.output)
    listed = json.loads(cli("list", "--repo", repo, "--json").output)
    assert "amara-okafor" in {c["id"] for c in listed}
    found = cli("search", "Amara", "--repo", repo)
    assert found.exit_code == 0 and "amara-okafor" in found.output


# --- 6. no quadratic path ----------------------------------------------------------


def test_a_record_with_thousands_of_problems_is_checked_quickly(empty_repo: Path) -> None:
    from sortext.check.load import MAX_DIAGNOSTICS, parse_record
    from sortext.schema.config import load_config
    from sortext.schema.validate import RecordValidator

    validator = RecordValidator(load_config(empty_repo))
    cases = {
        "5,000 unknown keys": "".join(f"x{i:05d}: 1\n" for i in range(5000)),
        "10,000 block items": "tags:\n" + "- 1\n" * 10000,
        "15,000 flow items": "tags: [" + ",".join(["1"] * 15000) + "]\n",
        "4,000 sessions": "sessions:\n" + "- {date: x}\n" * 4000,
    }
    for label, body in cases.items():
        raw = f"---\nname: A\nstage: inquiry\n{body}---\n".encode()
        assert len(raw) < 64 * 1024
        start = time.perf_counter()
        result = parse_record(raw, "clients/a.md", validator)
        took = time.perf_counter() - start
        print(f"{label}: {len(raw):,} bytes checked in {took:.2f} s")
        assert len(result.diagnostics) == MAX_DIAGNOSTICS + 1
        assert "more problems not shown" in " ".join(d.message for d in result.diagnostics)
        assert took < 2.0, (label, took)


def test_the_sample_records_are_unchanged_by_the_guards(cli: Cli, tmp_path: Path) -> None:
    root = tmp_path / "r"
    shutil.copytree(PROJECT_ROOT / "clients", root / "clients")
    shutil.copy(PROJECT_ROOT / "sortext.yaml", root / "sortext.yaml")
    result = cli("check", "--repo", str(root))
    assert "error:" not in result.output, result.output


def test_a_full_disk_is_a_storage_message_not_an_internal_error(cli: Cli, tmp_path: Path) -> None:
    """A real full file system: a 200 KiB tmpfs (needs root; skipped elsewhere)."""
    import subprocess

    small = tmp_path / "small"
    small.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", str(small)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        shutil.copy(PROJECT_ROOT / "sortext" / "skeleton" / "sortext.yaml", small)
        (small / "clients").mkdir()
        for i in range(40):
            write(
                small,
                f"c{i}",
                f"name: Client {i}\nstage: inquiry\nnext_action: {{what: call, due: 2026-12-01}}\n",
                body="x" * 3000 + "\n",
            )
        result = cli("next", "--repo", str(small), "--today", SAMPLE_TODAY)
        assert "internal error" not in result.output
        assert result.exit_code == 2
        assert "cannot use the index or state files in .sortext/" in result.output
        assert "disk is full" in result.output
    finally:
        subprocess.run(["umount", "-l", str(small)], check=True)  # lazy: a test may hold a file


def test_json_output_stays_valid_json_with_the_same_text(cli: Cli, empty_repo: Path) -> None:
    """The filter writes \\uXXXX for what it escapes from DEL up: a JSON escape too."""
    write(empty_repo, "ann", 'name: "Ann \\u202e\\u2066 \\u2028 Lee"\nstage: inquiry\n')
    result = cli("list", "--json", "--repo", str(empty_repo))
    assert "\u202e" not in result.output and "\\u202e" in result.output
    (client,) = json.loads(result.output)
    assert client["name"] == "Ann \u202e\u2066 \u2028 Lee"


def test_an_index_held_by_another_writer_is_a_busy_message(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """SQLite's "database is locked" (another process held the index for writing
    longer than the wait) is reported as a busy index, not as a full disk or an
    internal error.  The queries and the build fall back or wait rather than fail
    (tried with the index held: every reading command and ``build`` exit 0), so the
    message is exercised at the one place every command's errors pass through."""
    import sqlite3

    import click

    from sortext.cli import _internal

    for text in ("database is locked", "database table is locked", "database is busy"):
        with click.Context(click.Command("x")) as ctx, pytest.raises(click.exceptions.Exit):
            _internal(ctx, sqlite3.OperationalError(text))
        err = capsys.readouterr().err
        assert "the index in .sortext/ is busy" in err and text in err
        assert "free disk space" not in err and "internal error" not in err
    with click.Context(click.Command("x")) as ctx, pytest.raises(click.exceptions.Exit):
        _internal(ctx, sqlite3.OperationalError("database or disk is full"))
    assert "free disk space" in capsys.readouterr().err
