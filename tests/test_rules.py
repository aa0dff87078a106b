"""Each rule on small inline records, against the default thresholds."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.check.load import Record
from sortext.rules import findings as rules
from sortext.schema.config import Config, default_config_text, parse_config

TODAY = dt.date(2026, 11, 23)


@pytest.fixture(scope="module")
def config() -> Config:
    return parse_config(Path("."), default_config_text().encode(), "sortext.yaml")


def rec(rid: str = "ada", **data: Any) -> Record:
    data.setdefault("name", rid.title())
    data.setdefault("stage", "active")
    return Record(f"clients/{rid}.md", rid, {"id": rid, **data}, "", 1)


def restage(r: Record, stage: str) -> Record:
    return Record(r.path, r.id, {**r.data, "stage": stage}, "", 1)


def kinds(found: list[rules.Finding]) -> list[str]:
    return [f.kind for f in found]


# -- next actions ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "status"),
    [
        ("2026-11-19", "overdue"),
        ("2026-11-23", "today"),
        ("2026-11-24", "soon"),
        ("2026-11-30", "soon"),
        ("2026-12-01", "later"),
    ],
)
def test_next_action_status(config: Config, due: str, status: str) -> None:
    item = rules.next_action(rec(next_action={"what": "Call", "due": due}), config, TODAY)
    assert item is not None and item.status == status
    assert item.days == (dt.date.fromisoformat(due) - TODAY).days


def test_open_client_without_next_action_is_an_error(config: Config) -> None:
    found = rules.next_action_findings(rec(stage="proposal"), config, TODAY)
    assert kinds(found) == ["next_missing"] and found[0].level == "error"
    assert rules.next_action(rec(stage="completed"), config, TODAY) is None


def test_next_action_owner_defaults_to_client_owner(config: Config) -> None:
    item = rules.next_action(
        rec(owner="maya", next_action={"what": "x", "due": "2026-11-30"}), config, TODAY
    )
    assert item is not None and item.owner == "maya"


def test_next_actions_page_order(config: Config) -> None:
    records = [
        rec("later", next_action={"what": "a", "due": "2027-01-01"}),
        rec("missing", stage="discovery"),
        rec("soon", next_action={"what": "b", "due": "2026-11-25"}),
        rec("old", next_action={"what": "c", "due": "2026-10-01"}),
        rec("newer", next_action={"what": "d", "due": "2026-11-20"}),
        rec("today", next_action={"what": "e", "due": "2026-11-23"}),
    ]
    order = [n.id for n in rules.next_actions(records, config, TODAY)]
    assert order == ["old", "newer", "today", "soon", "missing", "later"]
    overdue = rules.next_action_findings(records[3], config, TODAY)
    assert overdue[0].reason == "next action overdue by 53 days: c"


# -- invoices -------------------------------------------------------------------


def test_invoices(config: Config) -> None:
    r = rec(
        billing={"currency": "EUR"},
        invoices=[
            {"id": "A", "amount": 100, "status": "overdue", "due": "2026-11-01"},
            {"id": "B", "amount": 200, "status": "sent", "due": "2026-11-20"},
            {"id": "C", "amount": 300, "status": "sent", "due": "2026-11-30"},
            {"id": "D", "amount": 400, "status": "sent", "due": "2027-01-30"},
            {"id": "E", "amount": 500, "status": "paid", "due": "2026-10-01"},
            {"id": "F", "amount": 600, "status": "draft", "due": "2026-10-01"},
        ],
    )
    found = rules.invoice_findings(r, config, TODAY)
    assert [(f.kind, f.ref) for f in found] == [
        ("invoice_overdue", "A"),
        ("invoice_overdue", "B"),
        ("invoice_due", "C"),
    ]
    assert found[1].reason == "invoice B 200 EUR overdue, due 2026-11-20 (3 days late)"
    assert found[0].currency == "EUR" and found[0].amount == 100


# -- sessions -------------------------------------------------------------------


def _sessions(*statuses: str, start: str = "2026-09-01", step: int = 14) -> list[dict[str, Any]]:
    first = dt.date.fromisoformat(start)
    return [
        {"date": (first + dt.timedelta(days=i * step)).isoformat(), "status": s}
        for i, s in enumerate(statuses)
    ]


def test_missed_sessions(config: Config) -> None:
    risky = rec(sessions=_sessions("held", "held", "no-show", "held", "cancelled"))
    found = rules.missed_sessions_findings(risky, config, TODAY)
    assert kinds(found) == ["missed_sessions"]
    assert found[0].reason.startswith("2 of the last 4 sessions missed")
    fine = rec(sessions=_sessions("cancelled", "held", "held", "held", "rescheduled"))
    assert rules.missed_sessions_findings(fine, config, TODAY) == []
    # A future scheduled session does not count, nor a closed client.
    assert rules.missed_sessions_findings(restage(risky, "completed"), config, TODAY) == []


def test_checkin_due(config: Config) -> None:
    late = rec(sessions=_sessions("held", start="2026-10-30"))
    found = rules.checkin_findings(late, config, TODAY)
    assert kinds(found) == ["checkin_due"] and found[0].due == "2026-11-20"
    recent = rec(sessions=_sessions("held", start="2026-11-10"))
    assert rules.checkin_findings(recent, config, TODAY) == []
    started = rec(dates={"started": "2026-10-01"})
    assert "started 2026-10-01" in rules.checkin_findings(started, config, TODAY)[0].reason
    assert rules.checkin_findings(restage(late, "proposal"), config, TODAY) == []


def test_review_due_by_sessions_days_and_plan(config: Config) -> None:
    six = rec(sessions=_sessions(*["held"] * 6, start="2026-09-01", step=7))
    assert "6 sessions since the last review" in rules.review_findings(six, config, TODAY)[0].reason
    reviewed = [*_sessions(*["held"] * 5, start="2026-09-01", step=7)]
    reviewed[-1]["review"] = True
    assert rules.review_findings(rec(sessions=reviewed), config, TODAY) == []
    old = rec(sessions=_sessions("held", start="2026-07-01"))
    assert "145 days since the first session" in rules.review_findings(old, config, TODAY)[0].reason
    planned = rec(dates={"next_review": "2026-11-27"})
    assert "review planned in 4 days" in rules.review_findings(planned, config, TODAY)[0].reason
    paused = rec(stage="paused", sessions=six.data["sessions"])
    assert rules.review_findings(paused, config, TODAY) == []


def test_renewal_and_retention(config: Config) -> None:
    soon = rules.renewal_findings(
        rec(billing={"renewal": "2026-12-10", "plan": "P"}), config, TODAY
    )
    assert kinds(soon) == ["renewal_due"] and soon[0].reason == "renewal in 17 days: 2026-12-10 (P)"
    passed = rules.renewal_findings(rec(dates={"renewal": "2026-11-01"}), config, TODAY)
    assert passed[0].level == "error" and "passed 22 days ago" in passed[0].reason
    assert rules.renewal_findings(rec(dates={"renewal": "2027-06-01"}), config, TODAY) == []
    expired = rules.retention_findings(
        rec(stage="completed", consent={"retain_until": "2026-10-31"}), config, TODAY
    )
    assert kinds(expired) == ["retention_expired"] and expired[0].level == "error"
    assert (
        rules.retention_findings(rec(consent={"retain_until": "2026-11-23"}), config, TODAY) == []
    )


def test_blockers_and_stale_stage(config: Config) -> None:
    blocked = rules.blocker_findings(
        rec(blockers=[{"what": "Signed contract", "waiting_on": "Legal", "since": "2026-11-13"}]),
        config,
        TODAY,
    )
    assert blocked[0].reason == (
        "blocked: Signed contract (waiting on Legal; since 2026-11-13, 10 days)"
    )
    stale = rec(stage="proposal", dates={"first_contact": "2026-10-01"})
    assert kinds(rules.stale_stage_findings(stale, config, TODAY)) == ["stale_stage"]
    fresh = rec(stage="proposal", dates={"first_contact": "2026-11-10"})
    assert rules.stale_stage_findings(fresh, config, TODAY) == []
    assert rules.stale_stage_findings(restage(stale, "active"), config, TODAY) == []


# -- goals ----------------------------------------------------------------------


def _goal(baseline: float, target: float, *values: float) -> Record:
    ms = [{"goal": "g", "date": f"2026-0{i + 1}-01", "value": v} for i, v in enumerate(values)]
    return rec(
        goals=[{"id": "g", "title": "G", "baseline": baseline, "target": target}], measurements=ms
    )


@pytest.mark.parametrize(
    ("goal", "state", "percent"),
    [
        (_goal(3, 12, 3, 6, 8, 9), "progressing", 66.67),
        (_goal(10, 2, 10, 8, 8, 8), "stuck", 25.0),
        (_goal(10, 2, 10, 9, 7, 6), "progressing", 50.0),  # decreasing target
        (_goal(10, 2, 9, 8, 2), "achieved", 100.0),
        (_goal(5, 10, 5, 4), "behind", -20.0),
        (_goal(5, 10), "no data", None),
    ],
)
def test_goal_states(config: Config, goal: Record, state: str, percent: float | None) -> None:
    (status,) = rules.goal_statuses(goal, config)
    assert status.state == state
    if percent is None:
        assert status.percent is None
    else:
        assert status.percent == pytest.approx(percent, abs=0.01)


def test_stuck_goal_is_a_risk(config: Config) -> None:
    r = _goal(10, 2, 10, 8, 8, 8)
    found = rules.findings([r], config, TODAY)
    assert "goal_stuck" in kinds(found)
    (risk,) = rules.at_risk([r], found, config)
    assert "goal_stuck" in [f.kind for f in risk.reasons]


@settings(max_examples=200, deadline=None)
@given(
    baseline=st.integers(-50, 50),
    target=st.integers(-50, 50),
    a=st.integers(-100, 100),
    b=st.integers(-100, 100),
)
def test_percent_grows_toward_target(baseline: int, target: int, a: int, b: int) -> None:
    """Whichever way the target lies, a value nearer it is further along."""
    cfg = parse_config(Path("."), default_config_text().encode(), "sortext.yaml")
    if baseline == target:
        return
    pa = rules.goal_statuses(_goal(baseline, target, a), cfg)[0].percent
    pb = rules.goal_statuses(_goal(baseline, target, b), cfg)[0].percent
    assert pa is not None and pb is not None
    low, high = sorted((baseline, target))
    if low <= a <= high and low <= b <= high and abs(a - target) < abs(b - target):
        assert pa > pb
    assert (pa >= 100) == (a == target or (a - target) * (target - baseline) > 0)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
    | st.sampled_from(["2026-11-01", "2026-13-45", "held", "overdue", "sent", "active"]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "what",
                    "due",
                    "date",
                    "status",
                    "goal",
                    "value",
                    "id",
                    "amount",
                    "baseline",
                    "target",
                    "since",
                    "renewal",
                    "retain_until",
                    "review",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None)
@given(
    data=st.dictionaries(
        st.sampled_from(
            [
                "stage",
                "next_action",
                "invoices",
                "sessions",
                "goals",
                "measurements",
                "blockers",
                "dates",
                "billing",
                "consent",
                "owner",
                "name",
            ]
        ),
        json_values,
        max_size=8,
    )
)
def test_rules_never_crash_on_odd_data(data: dict[str, Any]) -> None:
    """Records that slipped past validation (stale, hand-made) never break a page."""
    cfg = parse_config(Path("."), default_config_text().encode(), "sortext.yaml")
    r = Record("clients/x.md", "x", {"id": "x", **data}, "", 1)
    for f in rules.findings([r], cfg, TODAY):
        assert f.reason and f.level in ("error", "warning", "info")
    rules.next_actions([r], cfg, TODAY)


def test_assessment_json_round_trip(config: Config) -> None:
    """The index caches assessments as JSON; reading one back gives the same values."""
    import json

    from sortext.repo import open_repository
    from tests.conftest import PROJECT_ROOT

    repo = open_repository(PROJECT_ROOT)
    from sortext.schema.validate import RecordValidator
    from sortext.store.index import _parse_file, _unpack_doc

    validator = RecordValidator(repo.config)
    for path in repo.record_paths():
        parsed = _parse_file(str(path), f"clients/{path.name}", validator)
        assert parsed.data is not None
        data = json.loads(_unpack_doc(parsed.data)[0])
        r = Record(parsed.path, parsed.record_id or "", data, "", 1)
        done = rules.assess(r, repo.config, TODAY)
        back = rules.assessment_from_json(json.loads(json.dumps(rules.assessment_to_json(done))), r)
        assert back == done
