"""The rules' shortcuts (issue 15, cold build) give what the slow paths give.

``sortext.rules.memo`` keeps a config's thresholds and stages and record dates as
text turned into dates; ``goal_statuses`` works out the record's stage once, not per
goal; the board and day-book rows are JSON-encoded with one kept encoder.  Each is
held here to the code it stands in for: the rules as they were
(``sortext/rules/findings.py`` at main e1e6892, read from git history, not copied
into the tree), ``as_date``, ``config.stage``, ``json.dumps``; over realistic
records (``bench/gen_pages.py``) and odd ones, and with the configs changing under
the kept answers (the case where they must not be used).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.gen_pages import client_text
from sortext.check.load import Record, parse_record
from sortext.record.model import as_date
from sortext.rules import agenda, memo
from sortext.rules import findings as rules
from sortext.schema.config import Config, default_config_text, parse_config
from sortext.schema.validate import RecordValidator
from sortext.store import board, daybook
from tests.conftest import module_at
from tests.test_page_odd_records import _front_matters

#: The rules before their shortcuts: ``sortext/rules/findings.py`` at this commit of
#: main, read from the repository's history (not copied into the tree).
REFERENCE_COMMIT = "e1e6892c81011202b2965c2b6532226e01f83b1e"


def _rules_before() -> ModuleType:
    """The reference rules as a module (skips where the checkout has no history, as
    in an unpacked sdist)."""
    return module_at(REFERENCE_COMMIT, "sortext/rules/findings.py", "sortext_rules_before")


def _config(**thresholds: Any) -> Config:
    base = parse_config(Path("."), default_config_text().encode(), "sortext.yaml")
    if not thresholds:
        return base
    return base._replace(thresholds={**base.thresholds, **thresholds})


CONFIG = _config()
_VALIDATOR = RecordValidator(CONFIG)


def _realistic(seed: int) -> Record:
    text = client_text(seed, random.Random(seed))
    found = parse_record(text.encode(), f"clients/c{seed}.md", _VALIDATOR).record
    assert found is not None
    return found


def _odd(data: dict[str, Any]) -> Record:
    return Record("clients/odd.md", "odd", {"id": "odd", **data}, "", 1)


def _shown(a: Any) -> tuple[str, str, str]:
    """An assessment as text (the two implementations have their own classes)."""
    return repr(a.next), repr(a.goals), repr(a.findings)


#: A count of one in the reference's words ("overdue by 1 days", "of the last 1
#: sessions"): since the reference, every count is in the right number (README
#: "Commands": "1 warning"), the one change of wording the rules have made on purpose.
_ONE_PLURAL = re.compile(r"(?<![\d.-])1 (day|session)s\b")


def _worded(shown: tuple[str, str, str]) -> tuple[str, ...]:
    """The reference's assessment text with its counts of one in the singular."""
    return tuple(_ONE_PLURAL.sub(r"1 \1", part) for part in shown)


def _same(record: Record, config: Config, today: dt.date, since: dt.date | None) -> None:
    before = _rules_before()
    fast = rules.assess(record, config, today, since)
    slow = before.assess(record, config, today, since)
    assert _shown(fast) == _worded(_shown(slow))
    assert repr(rules.goal_statuses(record, config)) == repr(before.goal_statuses(record, config))
    assert rules.is_open(record, config) == before.is_open(record, config)
    assert repr(rules.package_status(record, today)) == repr(before.package_status(record, today))


_days = st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2028, 12, 31))
_configs = st.builds(
    _config,
    due_soon_days=st.integers(0, 30),
    checkin_days=st.integers(1, 60),
    review_every_sessions=st.integers(0, 8),
    review_every_days=st.integers(0, 120),
    at_risk_window=st.integers(0, 6),
    at_risk_missed=st.integers(0, 4),
    stuck_measurements=st.integers(0, 5),
    renewal_days=st.integers(0, 60),
    invoice_due_soon_days=st.integers(0, 30),
    stale_days=st.dictionaries(
        st.sampled_from(["lead", "proposal", "active", "paused", "nope"]), st.integers(1, 90)
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10**6), _days, _configs, st.none() | _days)
def test_assess_on_realistic_records_equals_the_rules_before(
    seed: int, today: dt.date, config: Config, since: dt.date | None
) -> None:
    """Property: every rule's answer on a generated client is the old rules' answer,
    whatever the day and the thresholds (a new config each example: kept answers of
    the previous one must not be read)."""
    _same(_realistic(seed), config, today, since)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_front_matters(), _days, _configs)
def test_assess_on_odd_records_equals_the_rules_before(
    data: dict[str, Any], today: dt.date, config: Config
) -> None:
    """Property: the same on records with fields missing or of the wrong kind."""
    _same(_odd(data), config, today, None)


def test_two_configs_alternated_each_get_their_own_answers() -> None:
    """The kept thresholds and stages belong to one config: switching back and forth
    (a watcher reloading sortext.yaml, tests with many configs) never reads the other's."""
    record = _realistic(7)
    strict = _config(checkin_days=1, due_soon_days=30, stuck_measurements=2)
    loose = _config(checkin_days=365, due_soon_days=0, stuck_measurements=5)
    today = dt.date(2026, 11, 23)
    for _ in range(3):
        for config in (strict, loose, CONFIG):
            _same(record, config, today, None)
            assert rules._int(config, "checkin_days") == int(config.threshold("checkin_days"))
            assert rules._stage(config, record.stage) == config.stage(record.stage)


def test_a_changed_stage_table_is_seen_by_a_new_config() -> None:
    """A config whose stages differ (a stage no longer open) answers for itself."""
    record = _realistic(11)
    closed = CONFIG._replace(
        stages=tuple(s._replace(open=False) for s in CONFIG.stages),
    )
    today = dt.date(2026, 11, 23)
    assert rules.is_open(record, CONFIG) == (record.stage in CONFIG.open_stages)
    assert not rules.is_open(record, closed)
    _same(record, closed, today, None)
    _same(record, CONFIG, today, None)


_date_texts = st.one_of(
    st.dates().map(dt.date.isoformat),
    st.dates().map(lambda d: d.isoformat() + "T10:00"),
    st.dates().map(lambda d: d.strftime("%Y%m%d")),
    st.sampled_from(["2026-W48-1", "2026-W48-1x", "2026-02-30", "2026-13-01", "", "20261301"]),
    st.text(max_size=14),
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(_date_texts, st.none(), st.integers(), st.floats(allow_nan=False)))
def test_kept_dates_are_as_date(value: object) -> None:
    """Property: ``day_of`` / ``iso_day`` answer what ``as_date`` answers, first time
    and from the kept table."""
    want = as_date(value)
    for _ in range(2):
        assert memo.day_of(value) == want
        assert memo.iso_day(value) == (want.isoformat() if want is not None else None)


def test_the_kept_dates_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the bound the table starts again (a long-running watcher does not grow it)."""
    monkeypatch.setattr(memo, "_DAYS_MAX", 8)
    memo._DAYS.clear()
    memo._ISO_DAYS.clear()
    start = dt.date(2026, 1, 1)
    for i in range(30):
        text = (start + dt.timedelta(days=i)).isoformat()
        assert memo.day_of(text) == start + dt.timedelta(days=i)
        assert memo.iso_day(text) == text
        assert len(memo._DAYS) <= 8 and len(memo._ISO_DAYS) <= 8
    memo._DAYS.clear()
    memo._ISO_DAYS.clear()


class _Dumps:
    """``json.dumps`` with the day book's separators, as an encoder."""

    def encode(self, value: Any) -> str:
        return json.dumps(value, separators=(",", ":"))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10**6) | _front_matters(), _days)
def test_board_and_day_rows_equal_the_slow_encoding(
    source: int | dict[str, Any], today: dt.date
) -> None:
    """Property: the board and day-book rows (one kept JSON encoder, kept dates) are
    the rows ``json.dumps`` and ``as_date`` give."""
    record = _realistic(source) if isinstance(source, int) else _odd(source)
    assessment = rules.assess(record, CONFIG, today)
    is_open = rules.is_open(record, CONFIG)
    fast = (
        board.to_rows(record.path, "k", assessment, is_open),
        daybook.to_rows(record, CONFIG, today),
    )
    with pytest.MonkeyPatch.context() as m:
        m.setattr(board, "compact_json", lambda v: json.dumps(v, separators=(",", ":")))
        m.setattr(daybook, "_COMPACT", _Dumps())
        m.setattr(agenda, "day_of", as_date)
        m.setattr(agenda, "facts", memo._Facts)  # nothing kept: looked up at each call
        slow = (
            board.to_rows(record.path, "k", assessment, is_open),
            daybook.to_rows(record, CONFIG, today),
        )
    assert repr(fast) == repr(slow)
