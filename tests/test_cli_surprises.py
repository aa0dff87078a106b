"""A CLI that never surprises: user mistakes and closed pipes are never an
``internal error``; unknown filter values are usage errors naming the known ones;
JSON keeps one shape; counts read in the right number; ``next`` fits the terminal."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SAMPLE_TODAY

READERS = [
    ["list"],
    ["next"],
    ["changes", "--since", "30d"],
    ["search", "a"],
    ["show", "amara-okafor"],
    ["check"],
    ["schema"],
    ["history", "amara-okafor"],
    ["export", "json"],
]


def sortext_bin() -> str:
    found = shutil.which("sortext", path=str(Path(sys.executable).parent))
    assert found
    return found


@pytest.mark.parametrize("args", READERS, ids=lambda a: a[0])
def test_a_closed_pipe_ends_quietly(records_repo: Path, args: list[str]) -> None:
    """`sortext list | head -1`: the reader is gone before sortext writes."""
    env = {**os.environ, "SORTEXT_TODAY": SAMPLE_TODAY}
    proc = subprocess.Popen(
        [sortext_bin(), *args],
        cwd=records_repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # nobody reads: every write meets EPIPE
    err = proc.stderr.read().decode()
    code = proc.wait(timeout=120)
    assert "internal error" not in err and "Traceback" not in err and "BrokenPipe" not in err
    assert code in (0, 1), err


def test_a_list_index_out_of_range_is_a_clear_error(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    result = cli("set", "--repo", str(records_repo), "amara-okafor", "invoices[9].status=paid")
    assert result.exit_code == 2
    assert "invoices[9]: no list item 9" in result.output
    assert "internal error" not in result.output


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    field=st.sampled_from(["invoices", "sessions", "goals", "tags"]),
    index=st.integers(min_value=30, max_value=10**6) | st.integers(max_value=-30),
    rest=st.sampled_from(["", ".status", ".date", ".x.y"]),
)
def test_any_missing_list_item_is_refused_not_crashed(
    cli: Callable[..., Result], records_repo: Path, field: str, index: int, rest: str
) -> None:
    before = (records_repo / "clients" / "amara-okafor.md").read_bytes()
    result = cli("set", "--repo", str(records_repo), "amara-okafor", f"{field}[{index}]{rest}=1")
    assert result.exit_code == 2, result.output
    assert "internal error" not in result.output
    assert (records_repo / "clients" / "amara-okafor.md").read_bytes() == before


@pytest.mark.parametrize(
    ("args", "known"),
    [
        (["next", "--owner", "zed"], "known: maya, theo"),
        (["list", "--stage", "activ"], "did you mean 'active'"),
        (["list", "--tag", "nosuchtag"], "retainer"),
    ],
)
def test_unknown_filter_values_are_usage_errors(
    cli: Callable[..., Result], records_repo: Path, args: list[str], known: str
) -> None:
    result = cli(*args, "--repo", str(records_repo), "--today", SAMPLE_TODAY)
    assert result.exit_code == 2, result.output
    assert known in result.output
    assert "Nothing to do" not in result.output and "No clients match" not in result.output


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(owner=st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=12))
def test_any_owner_nobody_is_is_refused(
    cli: Callable[..., Result], records_repo: Path, owner: str
) -> None:
    result = cli("next", "--owner", owner, "--repo", str(records_repo), "--today", SAMPLE_TODAY)
    if owner in ("maya", "theo"):
        assert result.exit_code == 0
    else:
        assert result.exit_code == 2 and "unknown person" in result.output


def test_sortext_today_is_named_in_its_error(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    result = cli("next", "--repo", str(records_repo), env={"SORTEXT_TODAY": "garbage"})
    assert result.exit_code == 2
    assert "SORTEXT_TODAY" in result.output and "--today" not in result.output.split("Error")[-1]


def test_check_of_a_missing_file_is_a_usage_error(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    result = cli("check", "--repo", str(records_repo), "clients/nosuch.md")
    assert result.exit_code == 2
    assert "no such file: clients/nosuch.md" in result.output


def test_check_prints_a_one_line_summary_in_the_right_number(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    one = cli("check", "--repo", str(records_repo), str(records_repo / "clients/amara-okafor.md"))
    assert one.exit_code == 0
    assert one.output == "1 record checked: OK, no problems\n"
    every = cli("check", "--repo", str(records_repo))
    assert every.output.splitlines()[-1] == "11 records checked: 0 errors, 1 warning"


@given(
    n=st.integers(min_value=0, max_value=10**6), word=st.sampled_from(["row", "warning", "record"])
)
def test_count_agrees_in_number(n: int, word: str) -> None:
    from sortext.views.format import count

    text = count(n, word)
    assert text == (f"1 {word}" if n == 1 else f"{n} {word}s")


def test_list_json_has_the_same_fields_with_or_without_at_risk(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    common = ("--repo", str(records_repo), "--today", SAMPLE_TODAY, "--json")
    every = json.loads(cli("list", *common).output)
    risky = json.loads(cli("list", "--at-risk", *common).output)
    assert {frozenset(row) for row in every} == {frozenset(row) for row in risky}
    by_id = {row["id"]: row for row in every}
    assert risky, "the samples have clients at risk"
    for row in risky:
        assert row["at_risk"] and by_id[row["id"]]["at_risk"] == row["at_risk"]


def test_next_fits_the_terminal_and_aligns_due_dates(
    cli: Callable[..., Result], records_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sortext.commands.next as next_command

    monkeypatch.setattr(next_command, "terminal_width", lambda: 72)
    out = cli("next", "--repo", str(records_repo), "--today", SAMPLE_TODAY).output
    lines = out.splitlines()
    assert lines and all(len(line) <= 72 for line in lines), out
    starts = {re.search(r"\d{4}-\d\d-\d\d \(", line).start() for line in lines if "(" in line}  # type: ignore[union-attr]
    assert len(starts) == 1, out
    assert "…" in out


WRITERS = [
    ["set", "amara-okafor", "next_action.due=2026-12-09"],
    ["pay", "amara-okafor", "INV-2026-058", "--on", "2026-11-20"],
    ["measure", "amara-okafor", "deep-work", "10", "--on", "2026-11-20"],
    ["move", "amara-okafor", "review"],
    ["log", "amara-okafor", "--focus", "Pricing", "--on", "2026-11-22"],
]


@pytest.mark.parametrize("args", WRITERS, ids=lambda a: a[0])
def test_every_writer_writes_by_default_and_previews_with_dry_run(
    cli: Callable[..., Result], records_repo: Path, args: list[str]
) -> None:
    path = records_repo / "clients" / "amara-okafor.md"
    before = path.read_bytes()
    common: tuple[str, ...] = ("--repo", str(records_repo), "--today", SAMPLE_TODAY)
    common = common if args[0] not in ("set", "move") else common[:2]
    dry = cli(*args, "--dry-run", *common)
    assert dry.exit_code == 0, dry.output
    assert "dry run, nothing written" in dry.output
    assert "+++ b/clients/amara-okafor.md" in dry.output
    assert path.read_bytes() == before
    done = cli(*args, *common)
    assert done.exit_code == 0, done.output
    assert path.read_bytes() != before


def test_import_writes_by_default_too(cli: Callable[..., Result], records_repo: Path) -> None:
    result = cli("import", "--help")
    assert "--dry-run" in result.output and "--apply" not in result.output


def test_log_takes_on_like_pay_and_keeps_date_as_a_hidden_alias(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    helptext = cli("log", "--help").output
    options = helptext.split("Options:")[1]
    assert "--on YYYY-MM-DD" in options and "--date" not in options
    common = ("--repo", str(records_repo), "--focus", "Old spelling")
    old = cli("log", "amara-okafor", "--date", "2026-11-21", *common)
    assert old.exit_code == 0 and "2026-11-21" in old.output
    both = cli("log", "amara-okafor", "--date", "2026-11-21", "--on", "2026-11-22", *common)
    assert both.exit_code == 2


def test_show_and_search_speak_json(cli: Callable[..., Result], records_repo: Path) -> None:
    shown = cli(
        "show", "amara-okafor", "--json", "--repo", str(records_repo), "--today", SAMPLE_TODAY
    )
    view = json.loads(shown.output)
    assert view["id"] == "amara-okafor" and view["next"]["status"] == "overdue"
    assert {g["goal_id"] for g in view["goals"]} >= {"deep-work"}
    found = cli("search", "delegation", "--json", "--repo", str(records_repo))
    assert "amara-okafor" in [h["id"] for h in json.loads(found.output)]
    none = cli("search", "zzzyzzy", "--json", "--repo", str(records_repo))
    assert none.exit_code == 1 and json.loads(none.output) == []


def test_a_changed_value_flags_the_comment_that_described_the_old_one(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    result = cli("set", "amara-okafor", "next_action.due=2026-11-26", "--repo", str(records_repo))
    assert result.exit_code == 0
    assert "next_action.due: was 2026-11-19" in result.output
    assert "# slipped: she asked to move the call" in result.output
    text = (records_repo / "clients" / "amara-okafor.md").read_text(encoding="utf-8")
    assert "due: 2026-11-26   # slipped" in text  # the user's words are kept, flagged
    same = cli("set", "amara-okafor", "next_action.due=2026-11-26", "--repo", str(records_repo))
    assert "note:" not in same.output  # nothing changed, nothing to flag


@settings(max_examples=40, deadline=None)
@given(
    comment=st.text(
        st.characters(blacklist_categories=["Cc", "Cs", "Zl", "Zp"]), min_size=0, max_size=20
    ),
    old=st.integers(0, 999),
    new=st.integers(0, 999),
)
def test_any_trailing_comment_on_a_changed_scalar_is_kept_and_flagged(
    comment: str, old: int, new: int
) -> None:
    from sortext.edit.roundtrip import RecordEditor

    raw = f"---\nname: A\nbilling:\n  rate: {old}   # {comment}\n---\nnotes\n".encode()
    editor = RecordEditor(raw, "clients/a.md")
    editor.set(("billing", "rate"), new)
    out = editor.result().decode()
    assert f"# {comment}".rstrip() in out
    flagged = [c for _, _, c in editor.stale_comments]
    assert flagged == ([f"# {comment}".strip()] if old != new else [])


def test_progress_shows_on_a_terminal_and_is_cleared(monkeypatch: pytest.MonkeyPatch) -> None:
    """`busy` writes a status line to a terminal's stderr during long work, clears it,
    and writes nothing at all when stderr is not a terminal."""
    import io
    import threading

    from sortext.commands import style

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    term = Terminal()
    monkeypatch.setattr("sortext.commands.style.sys.stderr", term)
    shown = threading.Event()
    with style.busy("checking the records", after=0.0):
        # wait for the status line itself, not for time
        while "checking the records…" not in term.getvalue():
            shown.wait(0.01)
    assert term.getvalue().endswith("\r\033[K")
    pipe = io.StringIO()
    monkeypatch.setattr("sortext.commands.style.sys.stderr", pipe)
    with style.busy("checking the records", after=0.0):
        pass
    assert pipe.getvalue() == ""
