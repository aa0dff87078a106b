"""Issue 16 end to end on real repositories: time in stage from git on list/show and
the pages, agenda, money, list --where/--sort/--owner, show --owner, search."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from tests.conftest import SAMPLE_TODAY
from tests.dated import commit_at, replace


def run(cli: Callable[..., Result], root: Path, *args: str) -> Result:
    return cli(*args, "--repo", str(root))


def _dated_repo(records_repo: Path) -> Path:
    """The samples with history: everything committed 2026-09-01, Northwind moved to
    proposal on 2026-10-07 (47 days before the sample day)."""
    import shutil

    from tests.conftest import git

    shutil.rmtree(records_repo / ".git")
    git(records_repo, "init", "--quiet", "--initial-branch=main")
    replace(records_repo / "clients/northwind-bakery.md", r"^stage: proposal", "stage: discovery")
    commit_at(records_repo, "2026-09-01", "samples")
    replace(records_repo / "clients/northwind-bakery.md", r"^stage: discovery", "stage: proposal")
    commit_at(records_repo, "2026-10-07", "Northwind: proposal sent")
    return records_repo


def test_time_in_stage_on_list_show_and_pages(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    root = _dated_repo(records_repo)
    listed = json.loads(run(cli, root, "list", "--json", "--today", SAMPLE_TODAY).output)
    by_id = {row["id"]: row for row in listed}
    assert by_id["northwind-bakery"]["days_in_stage"] == 47
    assert by_id["northwind-bakery"]["stage_since"] == "2026-10-07"
    assert by_id["amara-okafor"]["days_in_stage"] == 83
    shown = run(cli, root, "show", "northwind-bakery", "--today", SAMPLE_TODAY)
    assert "in proposal for 47 days" in shown.output.split("\n")[0]
    risky = run(cli, root, "list", "--at-risk", "--today", SAMPLE_TODAY).output
    assert "in proposal for 47 days (since 2026-10-07)" in risky
    assert run(cli, root, "build", "--today", SAMPLE_TODAY).exit_code == 0
    page = (root / "site/clients/northwind-bakery.html").read_text(encoding="utf-8")
    assert "in proposal for 47 days" in page
    index = (root / "site/index.html").read_text(encoding="utf-8")
    assert "in proposal for 47 days (since 2026-10-07)" in index  # the at-risk list
    # an uncommitted move has no start day yet: unknown, never a wrong count
    replace(root / "clients/northwind-bakery.md", r"^stage: proposal", "stage: paused")
    again = json.loads(run(cli, root, "list", "--json", "--today", SAMPLE_TODAY).output)
    assert {r["id"]: r for r in again}["northwind-bakery"]["days_in_stage"] is None
    # the build redoes only the moved client's assessment and page
    rebuilt = run(cli, root, "build", "--today", SAMPLE_TODAY, "-v")
    assert "site/clients/amara-okafor.html" not in rebuilt.output


def test_agenda_day_and_week(cli: Callable[..., Result], records_repo: Path) -> None:
    day = run(cli, records_repo, "agenda", "--today", SAMPLE_TODAY)
    assert day.exit_code == 0, day.output
    lines = day.output.splitlines()
    assert lines[0] == "Monday 23 November 2026  (today)"
    assert "11:00-11:45 Chiara Bellini" in lines[1]  # timed first
    assert next(ln for ln in lines if "late" in ln).split()[0] == "7d"  # most overdue first
    assert lines[-1] == "times in Europe/London"
    week = json.loads(
        run(cli, records_repo, "agenda", "--week", "--json", "--today", SAMPLE_TODAY).output
    )
    assert len(week) == 7
    friday = week[4]
    assert [(i["kind"], i["id"], i["time"]) for i in friday["items"]] == [
        ("session", "farid-haddad", "15:00"),
        ("due", "elena-marsh", None),
    ]
    theo = json.loads(
        run(
            cli,
            records_repo,
            "agenda",
            "--week",
            "--owner",
            "theo",
            "--json",
            "--today",
            SAMPLE_TODAY,
        ).output
    )
    assert {i["owner"] for d in theo for i in d["items"]} == {"theo"}


def test_agenda_makes_control_characters_visible(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    path = records_repo / "clients/chiara-bellini.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("  what: Discovery call", '  what: "Discovery \\e[31mcall', 1).replace(
            "confirm goals and format\n", 'confirm goals and format"\n', 1
        ),
        encoding="utf-8",
    )
    result = cli("agenda", "--today", SAMPLE_TODAY, "--repo", str(records_repo))
    # check refuses control characters in values, so the agenda never prints one
    assert "\x1b" not in result.output
    assert "Discovery" not in result.output or "\u241b[31mcall" in result.output


def test_money(cli: Callable[..., Result], records_repo: Path) -> None:
    result = run(cli, records_repo, "money", "--json", "--today", SAMPLE_TODAY)
    data = json.loads(result.output)
    gbp = next(c for c in data["currencies"] if c["currency"] == "GBP")
    assert gbp["outstanding"] == {"0-30": 2600.0, "31-60": 2170.0, "61-90": 0.0, "90+": 0.0}
    assert data["open_invoices"][0]["invoice"] == "TA-0714"  # the oldest first
    text = run(cli, records_repo, "money", "--today", SAMPLE_TODAY).output
    assert "outstanding 4,770  (0-30: 2,600  31-60: 2,170  61-90: 0  90+: 0 days)" in text
    maya = json.loads(
        run(cli, records_repo, "money", "--json", "--owner", "maya", "--today", SAMPLE_TODAY).output
    )
    assert {i["id"] for i in maya["open_invoices"]} <= {
        "amara-okafor",
        "farid-haddad",
        "greta-lindholm",
        "chiara-bellini",
        "ines-moreau",
    }
    bad = run(cli, records_repo, "money", "--month", "2026-13")
    assert bad.exit_code == 2 and "YYYY-MM" in bad.output


def test_package_on_show(cli: Callable[..., Result], records_repo: Path) -> None:
    out = run(cli, records_repo, "show", "greta-lindholm", "--today", SAMPLE_TODAY).output
    assert "package: used up: 8 of 8" in out
    assert "package used up (8 of 8 sessions)" in out
    amara = run(cli, records_repo, "show", "amara-okafor", "--today", SAMPLE_TODAY).output
    assert "package: session 5 of 12 (7 left)" in amara


def test_list_where_sort_owner(cli: Callable[..., Result], records_repo: Path) -> None:
    rows = json.loads(
        run(
            cli,
            records_repo,
            "list",
            "--where",
            "billing.rate>=300",
            "--where",
            "tags=leadership",
            "--sort",
            "due",
            "--json",
            "--today",
            SAMPLE_TODAY,
        ).output
    )
    assert [r["id"] for r in rows] == ["amara-okafor"]
    due = json.loads(
        run(cli, records_repo, "list", "--sort", "due", "--json", "--today", SAMPLE_TODAY).output
    )
    dues = [r["next"]["due"] for r in due if r["next"] and r["next"]["due"]]
    assert dues == sorted(dues)
    theo = json.loads(
        run(cli, records_repo, "list", "--owner", "theo", "--json", "--today", SAMPLE_TODAY).output
    )
    assert theo and {r["owner"] for r in theo} == {"theo"}
    bad = run(cli, records_repo, "list", "--where", "rate 300")
    assert bad.exit_code == 2 and "FIELD OP VALUE" in bad.output and "Traceback" not in bad.output


def test_show_owner(cli: Callable[..., Result], records_repo: Path) -> None:
    out = run(cli, records_repo, "show", "--owner", "theo", "--today", SAMPLE_TODAY).output
    assert "Kai Nakamura" in out and "Amara Okafor  (" not in out
    wrong = run(cli, records_repo, "show", "amara-okafor", "--owner", "theo")
    assert wrong.exit_code == 2 and "owned by maya" in wrong.output


def test_search_every_text_field_by_prefix(cli: Callable[..., Result], records_repo: Path) -> None:
    hits = run(cli, records_repo, "search", "lead").output
    assert "amara-okafor" in hits  # the tag "leadership"
    assert (
        "bruno-castellanos" in run(cli, records_repo, "search", "castellanos-cer").output
    )  # email
    assert "amara-okafor" in run(cli, records_repo, "search", "partner", "hire").output  # blocker


def test_pages_have_week_money_inbox_and_owner_pages(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    (records_repo / "inbox").mkdir()
    (records_repo / "inbox" / "note.md").write_text("Kai: shipped\n", encoding="utf-8")
    assert run(cli, records_repo, "build", "--today", SAMPLE_TODAY).exit_code == 0
    index = (records_repo / "site/index.html").read_text(encoding="utf-8")
    assert 'id="this-week"' in index and "11:00-11:45" in index
    assert 'id="money-glance"' in index and "1 unfiled inbox note" in index
    assert 'href="owners/theo.html"' in index
    theo = (records_repo / "site/owners/theo.html").read_text(encoding="utf-8")
    assert "Kai Nakamura" in theo and "Amara Okafor" not in theo
    md = (records_repo / "NEXT.md").read_text(encoding="utf-8")
    assert "## This week" in md and "1 unfiled inbox note" in md


def test_the_day_book_agrees_with_the_rules(cli: Callable[..., Result], records_repo: Path) -> None:
    """The pages' week and money (stored rows, summed by SQLite) equal what the rules
    compute from the records (what `agenda` and `money` print)."""
    import datetime as dt

    from sortext.repo import open_repository
    from sortext.rules.agenda import agenda
    from sortext.rules.money import money_summary
    from sortext.store.index import Index
    from sortext.views.day import day_from_index

    assert run(cli, records_repo, "build", "--today", SAMPLE_TODAY).exit_code == 0
    repo = open_repository(records_repo)
    today = dt.date.fromisoformat(SAMPLE_TODAY)
    with Index.open(repo) as index:
        records = index.records()
        for owner in (None, "maya", "theo"):
            stored = day_from_index(index.conn, repo.config, today, 0, owner)
            assert stored.week == agenda(records, repo.config, today, 7, owner)
            computed = money_summary(records, today, owner=owner)
            assert [c.to_json() for c in stored.money.currencies] == [
                c.to_json() for c in computed.currencies
            ]
            assert stored.money.top_clients == computed.top_clients
