"""One "today" for the practice in every command: the date in ``timezone:`` of
``sortext.yaml`` at the clock's instant, whatever ``TZ`` a process runs under.

Last round ``build``, the watcher, ``changes``, ``agenda``, exports, imports and
``money`` took their day from ``timezone:``, while ``next``, ``show``, ``list``, ``log``,
``measure``, ``pay``, the API, the assistant and the query cache's keys still took the
machine's local date: at 20:00 in New York with ``timezone: Europe/London`` (01:00
the next day there) ``next`` listed another day's overdue actions than the pages the
watcher had just built, and a command line's remembered reply, keyed by the local
day, was served after the practice's midnight.  Subprocesses are put at an instant
with ``SORTEXT_NOW`` (the clock's own variable), never by waiting for midnight.
"""

from __future__ import annotations

import ast
import datetime as dt
import json
import os
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.cli import main
from tests.conftest import clock_env as _env
from tests.conftest import run_sortext as _sortext
from tests.conftest import set_zone
from tests.test_query_recall import _age
from tests.watchkit import Daemon, wait_settled

PACKAGE = Path(__file__).resolve().parent.parent / "sortext"
#: The one module that may ask the system for the date or the time of day.
CLOCK = PACKAGE / "vcs" / "midnight.py"

#: 2026-11-24 01:00 in London (GMT in November), still 2026-11-23 in New York (20:00)
#: and in Los Angeles, already 2026-11-24 in Tokyo (10:00).
AFTER_LONDON_MIDNIGHT = "2026-11-24T01:00:00Z"
#: 2026-11-23 23:00 in London: the practice's 2026-11-23 (18:00 in New York).
BEFORE_LONDON_MIDNIGHT = "2026-11-23T23:00:00Z"
PRACTICE_DAY = "2026-11-24"  # London's at AFTER_LONDON_MIDNIGHT
LOCAL_DAY = "2026-11-23"  # New York's at AFTER_LONDON_MIDNIGHT


# --- 1. the scan: no other module reads the clock -----------------------------------

#: (what is called, the names it may be reached by) that give a local date or instant.
_DATE_CLASSES = {"date", "datetime"}
_FORBIDDEN_METHODS = {"today", "now", "utcnow"}


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def clock_calls(source: str) -> list[tuple[int, str]]:
    """(line, call) of every ``date.today()``, ``datetime.now()``/``.today()``/
    ``.utcnow()`` (through any alias: ``dt.date``, ``datetime.datetime``) and
    ``time.localtime()`` in ``source``, and every ``from time import localtime`` /
    ``from datetime import ...`` of those methods' owners used as such."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = _dotted(node.func.value)
            last = owner.rsplit(".", 1)[-1]
            dated = node.func.attr in _FORBIDDEN_METHODS and last in _DATE_CLASSES
            timed = node.func.attr in ("localtime", "gmtime") and last == "time"
            if dated or timed:
                found.append((node.lineno, f"{owner}.{node.func.attr}()"))
        elif isinstance(node, ast.ImportFrom) and node.module == "time":
            for alias in node.names:
                if alias.name in ("localtime", "gmtime"):
                    found.append((node.lineno, f"from time import {alias.name}"))
    return found


def test_no_module_but_the_clock_takes_today_or_now() -> None:
    """Every default "today" and "now" goes through :mod:`sortext.vcs.midnight`."""
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == CLOCK:
            continue
        for line, call in clock_calls(path.read_text(encoding="utf-8")):
            offenders.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {call}")
    assert offenders == [], "\n".join(offenders)
    assert clock_calls(CLOCK.read_text(encoding="utf-8")), "the clock module moved?"


@pytest.mark.parametrize(
    "source",
    [
        "import datetime as dt\ndt.date.today()",
        "import datetime\ndatetime.datetime.now(datetime.UTC)",
        "from datetime import datetime\ndatetime.today()",
        "from datetime import date\ndate.today()",
        "import datetime as dt\ndt.datetime.utcnow()",
        "import time\ntime.localtime()[:3]",
        "from time import localtime",
    ],
)
def test_the_scan_sees_each_form(source: str) -> None:
    assert clock_calls(source)


def test_the_scan_lets_other_calls_be() -> None:
    source = (
        "import datetime as dt, time\n"
        "dt.date.fromisoformat('2026-11-23')\n"
        "time.time() - 3\n"
        "x.now\n"
        "dt.datetime.fromtimestamp(0, dt.UTC)\n"
    )
    assert clock_calls(source) == []


# --- the clock's instant ---------------------------------------------------------------


def test_sortext_now_sets_the_instant(monkeypatch: pytest.MonkeyPatch) -> None:
    from sortext.vcs.midnight import now, utc_now

    monkeypatch.setenv("SORTEXT_NOW", AFTER_LONDON_MIDNIGHT)
    assert utc_now() == dt.datetime(2026, 11, 24, 1, tzinfo=dt.UTC)
    monkeypatch.setenv("SORTEXT_NOW", "1795482000")
    assert now() == 1795482000.0


@pytest.mark.parametrize(
    "bad", ["tomorrow", "2026-11-24T01:00:00", "nan", "inf", "1e400", "-1e11", "9999-12-31T00:00Z"]
)
def test_a_bad_sortext_now_is_a_usage_error_naming_it(
    records_repo: Path, monkeypatch: pytest.MonkeyPatch, bad: str
) -> None:
    """A date and time without its offset is refused (it would be read in the local
    zone: the very ambiguity ``timezone:`` removes)."""
    monkeypatch.delenv("SORTEXT_TODAY", raising=False)
    monkeypatch.setenv("SORTEXT_NOW", bad)
    for args in (["next"], ["money"], ["build"]):
        result = CliRunner().invoke(main, [*args, "--repo", str(records_repo)])
        assert result.exit_code == 2, (args, result.output)
        assert "SORTEXT_NOW" in result.output and "Traceback" not in result.output


@given(st.text(max_size=40))
def test_property_sortext_now_is_an_instant_in_the_record_years_or_a_usage_error(
    text: str,
) -> None:
    from sortext.errors import UsageError
    from sortext.record.values import MAX_YEAR, MIN_YEAR
    from sortext.vcs.midnight import parse_instant, practice_day

    try:
        moment = parse_instant(text)
    except UsageError as exc:
        assert "SORTEXT_NOW" in str(exc)
        return
    for zone in ("Pacific/Kiritimati", "Etc/GMT+12"):
        assert MIN_YEAR <= practice_day(zone, moment).year <= MAX_YEAR


def test_a_bad_sortext_now_with_today_given_still_answers(
    records_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--today`` needs no clock: the answer is given (nothing remembered by line)."""
    monkeypatch.delenv("SORTEXT_TODAY", raising=False)
    expected = _invoke(["next", "--today", "2026-11-20"], records_repo)
    monkeypatch.setenv("SORTEXT_NOW", "soon")
    assert _invoke(["next", "--today", "2026-11-20"], records_repo) == expected


# --- 3. the commands, under two TZ around the practice's midnight --------------------


def _overdue(next_json: str) -> list[str]:
    return [n["id"] for n in json.loads(next_json) if n["status"] == "overdue"]


def test_a_command_line_and_a_watcher_in_two_zones_agree_on_todays_overdue(
    records_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``timezone: Europe/London``; at 01:00 London time a watcher under TZ=Asia/Tokyo
    builds NEXT.md and ``sortext next`` runs under TZ=America/New_York (20:00 the day
    before there): both list the overdue actions of London's day (Chiara's action,
    due the 23rd, is overdue on the 24th), the command line's first answer and its
    replay alike."""
    root = records_repo
    assert "timezone: Europe/London" in (root / "sortext.yaml").read_text()
    new_york = _env(TZ="America/New_York", SORTEXT_NOW=AFTER_LONDON_MIDNIGHT)
    monkeypatch.delenv("SORTEXT_TODAY", raising=False)
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    monkeypatch.setenv("SORTEXT_NOW", AFTER_LONDON_MIDNIGHT)
    daemon = Daemon(root, pinned_today=False)
    try:
        daemon.wait_ready()
        wait_settled(root, 0, daemon)
        page = (root / "NEXT.md").read_text(encoding="utf-8")
        answers = [_sortext(root, ["next", "--json"], new_york) for _ in range(2)]
    finally:
        daemon.stop()
    on_the_day = _sortext(root, ["next", "--json", "--today", PRACTICE_DAY], _env())
    day_before = _sortext(root, ["next", "--json", "--today", LOCAL_DAY], _env())
    assert _overdue(on_the_day) != _overdue(day_before)  # the test can tell the two days
    assert answers == [on_the_day, on_the_day]
    assert f"# What happens next ({PRACTICE_DAY})" in page, page[:200]
    overdue = _overdue(on_the_day)
    assert f"\n{len(overdue)} overdue · " in page
    assert "chiara-bellini" in overdue


def test_today_still_wins_over_the_clock_and_the_zone(records_repo: Path) -> None:
    """``--today`` (and SORTEXT_TODAY) decide the day whatever TZ, SORTEXT_NOW and
    ``timezone:`` say."""
    root = records_repo
    plain = _sortext(root, ["next", "--json", "--today", "2026-11-20"], _env(TZ="UTC"))
    for tz in ("America/New_York", "Asia/Tokyo"):
        env = _env(TZ=tz, SORTEXT_NOW=AFTER_LONDON_MIDNIGHT)
        assert _sortext(root, ["next", "--json", "--today", "2026-11-20"], env) == plain
        env["SORTEXT_TODAY"] = "2026-11-20"
        assert _sortext(root, ["next", "--json"], env) == plain


def test_a_replay_is_not_served_on_a_practice_day_it_does_not_belong_to(
    records_repo: Path, tmp_path: Path
) -> None:
    """Under TZ=America/New_York, ``next`` at 18:00 (London 23:00, the 23rd) is
    remembered and replayed before Click; at 20:00 (London 01:00, the 24th: the same
    local day) the remembered line is not served: the answer is the 24th's.  Under
    TZ=Asia/Tokyo at a London instant of the 24th, the 24th's reply is replayed (the
    key holds the practice's day, not the machine's)."""
    from tests.test_recall_line import _entry
    from tests.test_recall_line import _env as entry_env

    root = records_repo
    _age(root)  # answers about files written this very second are not remembered
    before = entry_env(tmp_path, TZ="America/New_York", SORTEXT_NOW=BEFORE_LONDON_MIDNIGHT)
    after = dict(before, SORTEXT_NOW=AFTER_LONDON_MIDNIGHT)
    tokyo = dict(after, TZ="Asia/Tokyo")
    expect = {
        day: _sortext(root, ["next", "--today", day], _env()).encode()
        for day in (LOCAL_DAY, PRACTICE_DAY)
    }
    assert expect[LOCAL_DAY] != expect[PRACTICE_DAY]
    runs = [_entry(root, ["next"], before) for _ in range(3)]
    assert [r[0] for r in runs] == [expect[LOCAL_DAY]] * 3
    assert runs[-1][3] is False, "not replayed before Click"
    first_after = _entry(root, ["next"], after)
    assert first_after[0] == expect[PRACTICE_DAY]
    assert first_after[3] is True, "yesterday's line was served"
    again = _entry(root, ["next"], after)
    assert again[0] == expect[PRACTICE_DAY] and again[3] is False
    elsewhere = [_entry(root, ["next"], tokyo) for _ in range(2)]
    assert [r[0] for r in elsewhere] == [expect[PRACTICE_DAY]] * 2
    assert elsewhere[-1][3] is False


def test_a_warm_replay_reads_no_yaml_and_no_zone_database(
    records_repo: Path, tmp_path: Path
) -> None:
    """With ``timezone:`` set, a remembered ``next`` tells the practice's day from the
    index's meta row (the day's span): neither the YAML parser nor zoneinfo is
    imported."""
    from tests.test_recall_line import _entry
    from tests.test_recall_line import _env as entry_env

    _age(records_repo)
    env = entry_env(tmp_path, TZ="America/New_York", SORTEXT_NOW=AFTER_LONDON_MIDNIGHT)
    for _ in range(2):
        _entry(records_repo, ["next"], env)
    _, _, code, clicked = _entry(records_repo, ["next"], env)
    assert code == 0 and not clicked
    loaded = set(Path(env["MODULES_OUT"]).read_text().split())
    for heavy in ("zoneinfo", "yaml", "ruamel", "sortext.schema.config", "click"):
        assert not any(m == heavy or m.startswith(heavy + ".") for m in loaded), heavy


def _invoke(args: list[str], root: Path) -> str:
    result = CliRunner().invoke(main, [*args, "--repo", str(root)])
    assert result.exit_code == 0, result.output
    return result.output


def test_every_dated_command_takes_the_practices_day(
    records_repo: Path, monkeypatch: pytest.MonkeyPatch, zone: None
) -> None:
    """``next``, ``show``, ``list``, ``pay``, ``measure`` and ``log`` (the writes as dry
    runs) under TZ=America/New_York at London's 01:00: each takes London's day."""
    monkeypatch.delenv("SORTEXT_TODAY", raising=False)
    set_zone(monkeypatch, "America/New_York")
    monkeypatch.setenv("SORTEXT_NOW", AFTER_LONDON_MIDNIGHT)
    root = records_repo
    shown = json.loads(_invoke(["show", "chiara-bellini", "--json"], root))
    assert shown["today"] == PRACTICE_DAY
    assert "chiara-bellini" in _overdue(_invoke(["next", "--json"], root))
    listed = _invoke(["list", "--json"], root)
    assert listed == _invoke(["list", "--json", "--today", PRACTICE_DAY], root)
    paid = _invoke(["pay", "amara-okafor", "INV-2026-058", "--dry-run"], root)
    assert f"paid on {PRACTICE_DAY}" in paid
    measured = _invoke(["measure", "amara-okafor", "deep-work", "7", "--dry-run"], root)
    assert measured == _invoke(
        ["measure", "amara-okafor", "deep-work", "7", "--dry-run", "--on", PRACTICE_DAY], root
    )
    logged = _invoke(["log", "amara-okafor", "--focus", "x", "--dry-run"], root)
    assert f"session on {PRACTICE_DAY}" in logged


# --- the property: every default day is the practice day ---------------------------

_TZS = ["UTC", "America/New_York", "Asia/Tokyo", "Pacific/Kiritimati", "America/Los_Angeles"]
_CONFIGURED = [None, "Europe/London", "America/Santiago", "Australia/Lord_Howe", "Asia/Kolkata"]

_INSTANTS = st.integers(min_value=1_700_000_000, max_value=1_900_000_000)


def _expected(configured: str | None, instant: int) -> dt.date:
    """The practice's date at ``instant``, told by zoneinfo alone (``TZ`` when no
    zone is configured)."""
    zone = configured or os.environ["TZ"]
    return dt.datetime.fromtimestamp(instant, ZoneInfo(zone)).date()


@pytest.fixture(scope="module")
def zone_roots(tmp_path_factory: pytest.TempPathFactory) -> dict[str | None, Path]:
    """A practice folder per configured zone: sortext.yaml with that ``timezone:``."""
    roots: dict[str | None, Path] = {}
    for configured in _CONFIGURED:
        root = tmp_path_factory.mktemp("zone")
        (root / "clients").mkdir()
        line = f"timezone: {configured}\n" if configured else ""
        (root / "sortext.yaml").write_text(f"clients_dir: clients\n{line}", encoding="utf-8")
        roots[configured] = root
    return roots


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    tz=st.sampled_from(_TZS),
    configured=st.sampled_from(_CONFIGURED),
    instant=_INSTANTS,
    kept=_INSTANTS,
)
def test_property_every_default_day_is_the_practice_day(
    monkeypatch: pytest.MonkeyPatch,
    zone: None,
    zone_roots: dict[str | None, Path],
    tz: str,
    configured: str | None,
    instant: int,
    kept: int,
) -> None:
    """Property over (TZ, ``timezone:``, instant): the CLI's default ``--today``
    (:func:`resolve_today`), the API's (:meth:`Practice.today`), the assistant's
    (``guard.today``) and a quick query's (``next``, ``show``, ``list``), told from a
    meta row written at any other instant ``kept`` (its span, or its zone) or, with
    no row, from the configuration, are all the practice's date."""
    from types import SimpleNamespace
    from typing import Any, cast

    from sortext.api import Practice
    from sortext.assistant import guard
    from sortext.commands.options import resolve_today
    from sortext.views.recall import _day_from, _meta_row, _practice_today

    monkeypatch.delenv("SORTEXT_TODAY", raising=False)
    set_zone(monkeypatch, tz)
    monkeypatch.setenv("SORTEXT_NOW", str(kept))
    row = json.loads(_meta_row("digest", "clients", configured))
    monkeypatch.setenv("SORTEXT_NOW", str(instant))
    repo = cast(Any, SimpleNamespace(config=SimpleNamespace(timezone=configured)))
    expected = _expected(configured, instant)
    assert resolve_today(None, configured) == expected
    assert Practice(repo).today() == expected
    assert guard.today(None, repo) == expected
    assert _day_from(row) == expected
    assert _practice_today(zone_roots[configured], None) == expected
    assert _practice_today(zone_roots[configured], row) == expected


@settings(max_examples=60, deadline=None)
@given(configured=st.sampled_from([z for z in _CONFIGURED if z]), instant=_INSTANTS)
def test_property_a_days_span_holds_only_that_day(configured: str, instant: int) -> None:
    """:func:`day_span`: when a day has one (no clock change in it), every instant in
    it is that day and the instants just outside are not."""
    from sortext.vcs.midnight import day_span, practice_day

    day = practice_day(configured, instant)
    span = day_span(day, configured)
    if span is None:
        return
    start, end = span
    assert start <= instant < end
    assert practice_day(configured, start) == practice_day(configured, end - 1) == day
    assert practice_day(configured, start - 1) != day
    assert practice_day(configured, end) != day


def test_a_clock_change_day_has_no_span() -> None:
    from sortext.vcs.midnight import day_span

    assert day_span(dt.date(2026, 10, 25), "Europe/London") is None  # 25 hours
    assert day_span(dt.date(2026, 10, 26), "Europe/London") == (1792972800, 1793059200)


# --- the watcher's refresh asks the practice day's questions -----------------------


def test_the_refresh_asks_the_questions_of_the_practices_day(
    records_repo: Path, monkeypatch: pytest.MonkeyPatch, zone: None
) -> None:
    """The watcher's refresh works out again the questions asked on the practice's day
    (London's 24th, at 20:00 on the 23rd in New York), not those of the machine's."""
    import sqlite3
    import time

    from sortext.store import answers
    from sortext.views.recall import questions

    monkeypatch.delenv("SORTEXT_TODAY", raising=False)
    set_zone(monkeypatch, "America/New_York")
    monkeypatch.setenv("SORTEXT_NOW", AFTER_LONDON_MIDNIGHT)
    _invoke(["next"], records_repo)  # makes the index
    conn = sqlite3.connect(records_repo / ".sortext" / "index.sqlite")
    try:
        with conn:
            for key, on in (("line:practice", [2026, 11, 24]), ("line:local", [2026, 11, 23])):
                question = {
                    "parts": ["next", key, None, False, "2026-11-20", False, None],
                    "clock": False,
                    "colour": False,
                    "outputs": ["utf-8", "utf-8"],
                    "on": on,
                }
                answers.keep_line(conn, key, json.dumps(question), 64, time.time_ns())
    finally:
        conn.close()
    asked = [q["parts"][1] for q in questions(records_repo, 8)]
    assert asked == ["line:practice"]
