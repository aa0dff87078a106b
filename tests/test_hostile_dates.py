"""Date arguments at the extremes (issue 12, item 4: numbers and dates at the extremes
in every command).

Records hold dates in 1900-2199 only; ``--today 9999-12-31`` (or
``SORTEXT_TODAY=0001-01-01``) made ``build`` step past Python's last date, an
internal error.  Every date argument now goes through one parser with the same
years.  The property test gives every date-taking command any date.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner, Result
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sortext.cli import main
from sortext.record.values import MAX_YEAR, MIN_YEAR
from tests.conftest import PROJECT_ROOT

Cli = Callable[..., Result]

RECORD = (
    "---\nname: Amy Ng\nstage: active\nowner: me\nemail: amy@example.com\n"
    "billing: {plan: monthly, rate: 100, currency: GBP}\nlinks: {contract: x.pdf}\n"
    "next_action: {what: Call back, due: 2026-11-25}\n"
    "sessions: [{date: 2026-11-20, status: done}]\n"
    "invoices: [{id: INV-1, amount: 100, issued: 2026-11-01, due: 2026-11-15, status: sent}]\n"
    "---\nnotes\n"
)


def make_repo(base: Path) -> Path:
    root = base / "repo"
    (root / "clients").mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "sortext" / "skeleton" / "sortext.yaml", root / "sortext.yaml")
    (root / "clients" / "amy-ng.md").write_text(RECORD, encoding="utf-8")
    return root


def test_build_on_the_last_day_python_knows_is_a_usage_error(tmp_path: Path) -> None:
    root = make_repo(tmp_path)
    result = CliRunner().invoke(main, ["build", "--repo", str(root), "--today", "9999-12-31"])
    assert result.exit_code == 2
    assert "outside the years 1900 to 2199" in result.output
    assert "internal error" not in result.output
    env = {"SORTEXT_TODAY": "0001-01-01"}
    result = CliRunner().invoke(main, ["next", "--repo", str(root)], env=env)
    assert result.exit_code == 2 and "internal error" not in result.output


COMMANDS = [
    ["build"],
    ["next"],
    ["list"],
    ["agenda"],
    ["money"],
    ["show", "amy-ng"],
    ["export", "ics"],
    ["export", "csv"],
    ["inbox"],
]


@settings(max_examples=60, deadline=None)
@given(st.dates(), st.sampled_from(COMMANDS))
@example(dt.date(MAX_YEAR, 12, 31), ["build"])
@example(dt.date(MIN_YEAR, 1, 1), ["build"])
@example(dt.date(MAX_YEAR, 12, 31), ["export", "ics"])
def test_any_today_is_answered_or_refused_never_a_crash(day: dt.date, command: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = make_repo(Path(tmp))
        result = CliRunner().invoke(
            main, [*command, "--repo", str(root), "--today", day.isoformat()]
        )
    assert "internal error" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    if MIN_YEAR <= day.year <= MAX_YEAR:
        assert result.exit_code in (0, 1), result.output
    else:
        assert result.exit_code == 2 and "outside the years" in result.output
