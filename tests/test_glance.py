"""Every glance says a thing once, in a person's words: the dashboard groups per
client, "At risk" links to the panels that already list a reason, no Python
spellings or alphabetical dates on client pages, a paused client's goals are not
"progressing", NEXT.md sections stand apart; and the demo repository's history makes
"since last week" a believable week."""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import PROJECT_ROOT, SAMPLE_TODAY

TODAY = dt.date.fromisoformat(SAMPLE_TODAY)


def built(root: Path) -> Path:
    from sortext.pages.build import build
    from sortext.repo import open_repository

    build(open_repository(root), TODAY)
    return root


def section(html: str, ident: str) -> str:
    start = html.index(f'id="{ident}"')
    return html[start : html.index("</section>", start)]


def test_dates_panel_has_one_row_per_client(records_repo: Path) -> None:
    html = (built(records_repo) / "site" / "index.html").read_text(encoding="utf-8")
    dates = section(html, "dates")
    names = Counter(re.findall(r'class="who" href="clients/([^"]+)\.html"', dates))
    assert names and max(names.values()) == 1, names
    assert "check-in due" in dates and "renewal in 9 days" in dates  # Amara's two, one row


def test_at_risk_links_rather_than_repeats(records_repo: Path) -> None:
    html = (built(records_repo) / "site" / "index.html").read_text(encoding="utf-8")
    risk = section(html, "at-risk")
    assert '<a href="#money">invoice overdue</a>' in risk
    assert '<a href="#next">next action overdue</a>' in risk
    assert "INV-2026-058" not in risk  # the invoice line lives in Money
    assert "2 of the last 4 sessions missed" in risk  # no other panel says this one


def test_blocked_and_retention_wording(records_repo: Path) -> None:
    root = built(records_repo)
    html = (root / "site" / "index.html").read_text(encoding="utf-8")
    blocked = section(html, "blocked")
    assert "Blocked" in blocked and "blocked:" not in blocked.lower().replace("<h2>blocked", "")
    assert "Retention date passed" in html and "Retention expired" not in html
    md = (root / "NEXT.md").read_text(encoding="utf-8")
    assert "## Retention date passed" in md


def test_paused_clients_are_not_progressing(records_repo: Path) -> None:
    html = (built(records_repo) / "site" / "index.html").read_text(encoding="utf-8")
    assert "ines-moreau" not in section(html, "progressing")  # Inès is paused
    page = (records_repo / "site" / "clients" / "ines-moreau.html").read_text(encoding="utf-8")
    assert "paused" in page


def test_client_page_reads_as_words_and_dates_in_order(records_repo: Path) -> None:
    built(records_repo)
    page = (records_repo / "site" / "clients" / "farid-haddad.html").read_text(encoding="utf-8")
    facts = section(page, "facts")
    assert ">True<" not in facts and ">False<" not in facts
    assert "<dt>data use</dt><dd>yes</dd>" in facts
    order = re.findall(r"<dt>(first contact|started|next review|renewal)</dt>", facts)
    assert order == ["first contact", "started", "next review", "renewal"]


def test_no_page_tells_to_run_a_command_for_more(records_repo: Path) -> None:
    html = (built(records_repo) / "site" / "index.html").read_text(encoding="utf-8")
    assert "more: run" not in html


def test_next_md_sections_stand_apart() -> None:
    from sortext.pages.render import environment, render

    finding = SimpleNamespace(record_id="a", name="A", reason="retention date passed")
    dash = SimpleNamespace(
        today=SAMPLE_TODAY,
        count=lambda s: 0,
        invoices_overdue=[],
        at_risk=[],
        dates_due=[],
        stuck=[],
        retention=[finding] * 3,
        errors=[],
    )
    weekly = SimpleNamespace(since="2026-11-16", today=SAMPLE_TODAY, groups=[])
    text = render(
        environment(PROJECT_ROOT),
        "NEXT.md.j2",
        d=dash,
        limit=2,
        sections=[],
        groups={},
        soon_days=7,
        paths={"a": "clients/a.md"},
        weekly=weekly,
    )
    assert "and 1 more" in text.split("## Retention date passed")[1]
    assert "\n\n## Since last week" in text


def sample_history() -> ModuleType:
    path = PROJECT_ROOT / "scripts" / "sample_history.py"
    spec = importlib.util.spec_from_file_location("sample_history", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks itself up there
    spec.loader.exec_module(module)
    return module


def test_demo_history_makes_a_believable_week(tmp_path: Path) -> None:
    from sortext.repo import open_repository
    from sortext.views.weekly import recent_changes

    root = sample_history().build(tmp_path / "demo")
    for sample in (PROJECT_ROOT / "clients").glob("*.md"):
        assert (root / "clients" / sample.name).read_bytes() == sample.read_bytes()
    view = recent_changes(open_repository(root), TODAY)
    assert view is not None
    groups = {g.key: g for g in view.groups}
    assert [line.record_id for line in groups["new"].lines] == ["bruno-castellanos"]
    assert {"stage", "sessions", "measurements"} <= set(groups)
    assert view.total < 15  # a week, not every client as new


def test_demo_history_run_twice_says_so_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's demo command run a second time (the folder is there from the
    first run) printed a FileExistsError traceback; it says what to do, exit 2."""
    module = sample_history()
    assert module.main([str(tmp_path / "demo")]) == 0
    assert module.main([str(tmp_path / "demo")]) == 2
    err = capsys.readouterr().err
    assert "exists and is not empty" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c", "d"]), st.integers(0, 9)), max_size=30))
def test_by_client_keeps_every_finding_once_per_client(pairs: list[tuple[str, int]]) -> None:
    from sortext.pages.render import by_client

    found = [SimpleNamespace(record_id=r, name=r.upper(), owner=None, n=n) for r, n in pairs]
    groups = by_client(found)
    ids = [g[0] for g in groups]
    assert len(ids) == len(set(ids))
    assert ids == list(dict.fromkeys(f.record_id for f in found))  # first-seen order
    assert [f for g in groups for f in g[3]] == sorted(found, key=lambda f: ids.index(f.record_id))


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.text("abcdefgh_", min_size=1, max_size=8),
        st.one_of(st.booleans(), st.dates(), st.text(max_size=5), st.integers(), st.none()),
        max_size=8,
    )
)
def test_values_read_as_words_and_dates_in_time_order(mapping: dict[str, object]) -> None:
    from sortext.pages.render import chronological, shown

    for value in mapping.values():
        if isinstance(value, bool):
            assert shown(value) in ("yes", "no")
    items = chronological(mapping)
    assert sorted(items, key=lambda kv: kv[0]) == sorted(mapping.items(), key=lambda kv: kv[0])
    dates = [v for _, v in items if isinstance(v, dt.date)]
    assert dates == sorted(dates)
    seen_other = False
    for _, v in items:  # dates first
        if isinstance(v, dt.date):
            assert not seen_other
        else:
            seen_other = True


def test_lower_is_better_goals_rise_as_they_progress(cli, records_repo: Path) -> None:  # type: ignore[no-untyped-def]
    out = cli("show", "amara-okafor", "--repo", str(records_repo), "--today", SAMPLE_TODAY).output
    lines = out.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("  Delegate client admin"))
    assert "lower is better" in lines[at]
    bars = lines[at + 1].split()[0]
    assert bars[0] == "▁" and bars[-1] == "█", bars  # 10 -> 8 toward 2 reads as a rise


@given(
    st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=12),
    st.floats(-1e6, 1e6),
    st.floats(-1e6, 1e6),
)
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_toward_target_orders_values_by_closeness(
    values: list[float], baseline: float, target: float
) -> None:
    from sortext.commands.style import toward_target

    turned = toward_target(values, baseline, target)
    for a, b, ta, tb in zip(values, values[1:], turned, turned[1:], strict=False):
        if a != b and target != baseline:
            nearer = (b < a) if target < baseline else (b > a)
            assert (tb > ta) == nearer


def test_goal_charts_have_a_legend(records_repo: Path) -> None:
    built(records_repo)
    page = (records_repo / "site" / "clients" / "amara-okafor.html").read_text(encoding="utf-8")
    goals = section(page, "goals")
    assert goals.count('class="legend muted"') == 2
    assert "lower is better" in goals


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.one_of(st.dates().map(dt.date.isoformat), st.text(max_size=8)), max_size=6).map(
        " ".join
    )
)
def test_dates_in_page_text_never_break_and_text_stays_escaped(text: str) -> None:
    from markupsafe import escape

    from sortext.files.inert import clean
    from sortext.pages.render import keepdates

    out = str(keepdates(text))
    # escaped, with what a renderer acts on made visible (the pages' rule)
    shown = clean(str(escape(text)), newlines=True)
    assert re.sub(r'<span class="nobr">|</span>', "", out) == shown
    for date in re.findall(r"\b\d{4}-\d{2}-\d{2}\b", shown):
        assert f'<span class="nobr">{date}</span>' in out
