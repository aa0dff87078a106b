"""Consent and retention: no contact proposed when consent forbids it, a visible
marker, notes left off the pages on request, retention policy with the commands."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

from click.testing import Result
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import SAMPLE_TODAY

CLIENT = "clients/amara-okafor.md"


def set_consent(root: Path, block: str) -> None:
    path = root / CLIENT
    text = path.read_text("utf-8")
    new = re.sub(r"consent:\n(  .*\n)+", block, text, count=1)
    assert new != text
    path.write_text(new, "utf-8")


def add_config(root: Path, text: str) -> None:
    config = root / "sortext.yaml"
    config.write_text(config.read_text("utf-8") + "\n" + text, "utf-8")


def test_no_contact_drops_reminders_and_calendar_events(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    env = {"SORTEXT_TODAY": "2026-11-25"}
    before = cli("export", "ics", "--repo", str(records_repo), env=env).output
    assert "amara-okafor-renewal@sortext" in before and "amara-okafor-review@sortext" in before
    set_consent(records_repo, "consent:\n  data_use: true\n  contact: none\n")
    after = cli("export", "ics", "--repo", str(records_repo), env=env).output
    assert "amara-okafor-renewal@sortext" not in after
    assert "amara-okafor-review@sortext" not in after
    assert "amara-okafor-invoice" in after  # money owed is not a proposal to contact


def kinds(root: Path, today: dt.date) -> set[str]:
    from sortext.check.load import load_record
    from sortext.repo import open_repository
    from sortext.rules.findings import assess
    from sortext.schema.validate import RecordValidator

    repo = open_repository(root)
    loaded = load_record(str(root / CLIENT), CLIENT, RecordValidator(repo.config))
    assert loaded.record is not None
    return {f.kind for f in assess(loaded.record, repo.config, today).findings}


def test_no_contact_drops_checkin_review_and_renewal_findings(records_repo: Path) -> None:
    today = dt.date(2026, 11, 28)
    assert {"renewal_due", "review_due"} <= kinds(records_repo, today)
    set_consent(records_repo, "consent:\n  data_use: false\n")
    left = kinds(records_repo, today)
    assert not left & {"renewal_due", "review_due", "checkin_due"}
    assert "invoice_overdue" in left


def test_client_page_marker_and_notes_off(records_repo: Path, cli: Callable[..., Result]) -> None:
    set_consent(records_repo, "consent:\n  data_use: false\n")
    add_config(records_repo, "pages: {notes: false}\n")
    result = cli("build", "--today", SAMPLE_TODAY, "--repo", str(records_repo))
    assert result.exit_code == 0, result.output
    page = next(records_repo.glob("site/**/amara-okafor.html")).read_text("utf-8")
    assert 'id="no-contact"' in page and "data use withdrawn" in page
    assert "Founder of a twelve-person" not in page and 'id="notes"' not in page
    other = next(records_repo.glob("site/**/bruno-castellanos.html")).read_text("utf-8")
    assert 'id="no-contact"' not in other


def test_retention_policy_lists_expired_records_with_the_commands(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    set_consent(records_repo, "consent:\n  data_use: true\n")
    path = records_repo / CLIENT
    path.write_text(path.read_text("utf-8").replace("stage: active", "stage: lost", 1), "utf-8")
    add_config(records_repo, "retention: {completed: 7y, lost: 1d}\n")
    result = cli("build", "--today", SAMPLE_TODAY, "--repo", str(records_repo))
    assert result.exit_code == 0, result.output
    next_md = (records_repo / "NEXT.md").read_text("utf-8")
    assert "sortext erase amara-okafor --push" in next_md
    assert "sortext anonymise amara-okafor --push" in next_md
    index = next(records_repo.glob("site/index.html")).read_text("utf-8")
    assert "sortext erase amara-okafor --push" in index


def test_bad_retention_period_is_a_config_error(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    add_config(records_repo, "retention: {completed: seven years}\n")
    result = cli("check", "--repo", str(records_repo))
    assert result.exit_code == 2 and "retention.completed" in result.output


@given(
    st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2090, 12, 31)),
    st.integers(min_value=1, max_value=30),
    st.sampled_from("dwmy"),
)
def test_policy_date_is_after_the_last_date(base: dt.date, n: int, unit: str) -> None:
    from sortext.check.load import Record
    from sortext.rules.findings import retention_policy_date
    from sortext.schema.config import Config

    config = Config(root=Path("."), raw={"retention": {"lost": f"{n}{unit}"}})
    record = Record(
        "clients/x.md",
        "x",
        {"name": "X", "stage": "lost", "dates": {"ended": base.isoformat()}},
        "",
        1,
    )
    when = retention_policy_date(record, config)
    assert when is not None and when > base
    assert (when - base).days <= n * 366 + 3


def test_exports_leave_out_withdrawn_consent_when_configured(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    set_consent(records_repo, "consent:\n  data_use: false\n")
    env = {"SORTEXT_TODAY": SAMPLE_TODAY}
    assert "amara-okafor" in cli("export", "json", "--repo", str(records_repo), env=env).output
    add_config(records_repo, "privacy: {exports: consented}\n")
    for kind in ("json", "csv", "ics"):
        out = cli("export", kind, "--repo", str(records_repo), env=env).output
        assert "amara-okafor" not in out and "Amara" not in out, kind
        assert "bruno-castellanos" in out


def test_exports_never_carry_an_erased_client_brought_back(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    old = (records_repo / CLIENT).read_bytes()
    assert cli("erase", "amara-okafor", "--yes", "--repo", str(records_repo)).exit_code == 0
    (records_repo / CLIENT).write_bytes(old)
    for kind in ("json", "csv", "ics"):
        out = cli("export", kind, "--repo", str(records_repo)).output
        assert "Amara" not in out and "amara-okafor" not in out, kind
