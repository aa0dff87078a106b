"""``sortext next / list / show / search / build`` on the sample clients."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from tests.conftest import SAMPLE_TODAY

Cli = Callable[..., Result]
STATUS_ORDER = ["overdue", "today", "soon", "missing", "later"]


def test_next_json_order_and_fields(cli: Cli, records_repo: Path) -> None:
    result = cli("next", "--repo", str(records_repo), "--today", SAMPLE_TODAY, "--json")
    assert result.exit_code == 0, result.output
    items = json.loads(result.output)
    for item in items:
        assert {"id", "name", "what", "owner", "due", "status"} <= set(item)
    ranks = [STATUS_ORDER.index(i["status"]) for i in items]
    assert ranks == sorted(ranks)
    assert items[0]["status"] == "overdue"
    amara = next(i for i in items if i["id"] == "amara-okafor")
    assert (amara["status"], amara["due"], amara["owner"]) == ("overdue", "2026-11-19", "maya")
    assert any(i["status"] == "missing" and i["what"] is None for i in items)
    overdue_dues = [i["due"] for i in items if i["status"] == "overdue"]
    assert overdue_dues == sorted(overdue_dues)


def test_next_filters(cli: Cli, records_repo: Path) -> None:
    args = ["next", "--repo", str(records_repo), "--today", SAMPLE_TODAY, "--json"]
    theo = json.loads(cli(*args, "--owner", "theo").output)
    assert theo and all(i["owner"] == "theo" for i in theo)
    soon = json.loads(cli(*args, "--within", "1d").output)
    assert {i["status"] for i in soon} <= {"overdue", "today", "soon", "missing"}
    assert all(i["days"] is None or i["days"] <= 1 for i in soon)
    bad = cli(*args, "--within", "soonish")
    assert bad.exit_code == 2 and "not a number of days" in bad.output


def test_next_text_and_env_today(cli: Cli, records_repo: Path) -> None:
    result = cli("next", "--repo", str(records_repo), env={"SORTEXT_TODAY": SAMPLE_TODAY})
    lines = result.output.splitlines()
    assert lines[0].startswith("OVERDUE")
    assert any("Amara Okafor" in ln and "2026-11-19 (4 days ago)" in ln for ln in lines)
    assert any(ln.startswith("NO ACTION") and "Greta Lindholm" in ln for ln in lines)
    assert "\x1b[" not in result.output  # not a terminal: no colour


def test_list_filters(cli: Cli, records_repo: Path) -> None:
    base = ["list", "--repo", str(records_repo), "--today", SAMPLE_TODAY]
    every = json.loads(cli(*base, "--json").output)
    assert len(every) == len(list((records_repo / "clients").glob("*.md")))
    active = json.loads(cli(*base, "--stage", "active", "--json").output)
    assert active and all(c["stage"] == "active" for c in active)
    tagged = json.loads(cli(*base, "--tag", "leadership", "--json").output)
    assert "amara-okafor" in [c["id"] for c in tagged]
    assert all("leadership" in c["tags"] for c in tagged)
    risky = json.loads(cli(*base, "--at-risk", "--json").output)
    amara = next(c for c in risky if c["id"] == "amara-okafor")
    assert "missed_sessions" in [r["kind"] for r in amara["at_risk"]]
    text = cli(*base, "--at-risk").output
    assert "2 of the last 4 sessions missed" in text
    wrong = cli(*base, "--stage", "nonsense")
    assert wrong.exit_code == 2 and "unknown stage" in wrong.output


def test_show_session_prep(cli: Cli, records_repo: Path) -> None:
    result = cli("show", "amara-okafor", "--repo", str(records_repo), "--today", SAMPLE_TODAY)
    out = result.output
    assert result.exit_code == 0, out
    for expected in (
        "NEXT ACTION",
        "OVERDUE",
        "Send session 7 prep notes",
        "GOALS",
        "stuck: no improvement",
        "LAST SESSION",
        "2026-10-27",
        "commitment: Write the job description",
        "SINCE THEN",
        "cancelled",
        "INV-2026-058",
        "NOTES",
        "mid-point review",
    ):
        assert expected in out, expected
    missing = cli("show", "nobody", "--repo", str(records_repo))
    assert missing.exit_code == 2 and "no client 'nobody'" in missing.output


def test_search(cli: Cli, records_repo: Path) -> None:
    found = cli("search", "delegation", "--repo", str(records_repo))
    assert found.exit_code == 0 and "Amara Okafor (amara-okafor)" in found.output
    assert "[delegation]" in found.output
    nothing = cli("search", "xylophone", "--repo", str(records_repo))
    assert nothing.exit_code == 1


def test_build_command(cli: Cli, records_repo: Path) -> None:
    result = cli("build", "--repo", str(records_repo), "--today", SAMPLE_TODAY, "-v")
    assert result.exit_code == 0, result.output
    assert "wrote NEXT.md" in result.output and "wrote site/index.html" in result.output
    again = cli("build", "--repo", str(records_repo), "--today", SAMPLE_TODAY)
    assert again.output.startswith("0 written")


def test_warm_next_imports_no_jinja_or_git_and_parses_nothing(records_repo: Path) -> None:
    """Run in a fresh interpreter: what `sortext next` imports is what users pay for."""
    code = f"""
import sys
from sortext.cli import main
from sortext.store import index
calls = []
real = index.parse_record
index.parse_record = lambda *a: calls.append(a[1]) or real(*a)
for _ in range(2):
    calls.clear()
    try:
        main(["next", "--repo", {str(records_repo)!r}, "--today", "{SAMPLE_TODAY}"])
    except SystemExit as exc:
        assert not exc.code, exc.code
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("jinja2", "git", "markdown_it"))
print("HEAVY", heavy, "PARSED", len(calls), file=sys.stderr)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY [] PARSED 0" in done.stderr, done.stderr
