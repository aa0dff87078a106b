"""``sortext set`` and the assistant's ``preview_set_fields`` refuse a date of something
that has happened written after today, as ``pay --on``, ``log`` and ``measure`` refuse
theirs and an import row dating one so is not imported.

The class: every write path that can put a past-tense date (a payment's ``paid_on``,
a held session's date, a measurement's, a blocker's ``since``, ``first_contact``,
``last_review``, ``consent.given_on``: ``sortext.edit.routine.PAST_TENSE``) after
today.  ``set`` wrote ``invoices[0].paid_on=2062-07-09`` (2062 for 2026) silently: the
payment went into 2062's takings in ``sortext money`` and the exports.  A date the
record already held (a hand edit) does not stop an edit of another field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.edit.emit import EditRefused
from sortext.edit.routine import PAST_TENSE, happened_after
from sortext.edit.update import update_record
from sortext.repo import open_repository
from tests.conftest import SAMPLE_TODAY
from tests.roundtripkit import copy_of
from tests.test_mcp import calls, error_text

TODAY = dt.date.fromisoformat(SAMPLE_TODAY)
AMARA = Path("clients") / "amara-okafor.md"


def test_set_refuses_a_payment_dated_after_today(
    records_repo: Path, cli: Callable[..., Any]
) -> None:
    before = (records_repo / AMARA).read_bytes()
    done = cli(
        "set",
        "amara-okafor",
        "invoices[0].paid_on=2062-07-09",
        "--today",
        SAMPLE_TODAY,
        "--repo",
        str(records_repo),
    )
    assert done.exit_code != 0 and "internal error" not in done.output
    assert (
        "clients/amara-okafor.md:31:" in done.output
        and "invoices[0].paid_on: 2062-07-09 is after today (2026-11-23): is the date a typo?"
        in done.output
    ), done.output
    assert (records_repo / AMARA).read_bytes() == before
    done = cli(
        "set",
        "amara-okafor",
        "invoices[0].paid_on=2026-07-10",
        "--today",
        SAMPLE_TODAY,
        "--repo",
        str(records_repo),
    )
    assert done.exit_code == 0, done.output
    assert b"paid_on: 2026-07-10" in (records_repo / AMARA).read_bytes()


def test_a_session_made_held_is_judged_by_its_date(
    records_repo: Path, cli: Callable[..., Any]
) -> None:
    """A cancelled session moved ahead is a plan; the same one said held is refused."""
    args = ("--today", SAMPLE_TODAY, "--repo", str(records_repo))
    moved = cli("set", "amara-okafor", "sessions[6].date=2026-12-10", *args)
    assert moved.exit_code == 0, moved.output
    held = cli("set", "amara-okafor", "sessions[6].status=held", *args)
    assert held.exit_code != 0
    assert "sessions[6].date: 2026-12-10 is after today" in held.output, held.output
    scheduled = cli("set", "amara-okafor", "sessions[6].status=scheduled", *args)
    assert scheduled.exit_code == 0, scheduled.output


def test_a_future_date_the_record_held_does_not_stop_another_edit(
    records_repo: Path, cli: Callable[..., Any]
) -> None:
    path = records_repo / AMARA
    path.write_bytes(path.read_bytes().replace(b"given_on: 2026-05-12", b"given_on: 2062-05-12"))
    args = ("--today", SAMPLE_TODAY, "--repo", str(records_repo))
    done = cli("set", "amara-okafor", "billing.rate=430", *args)
    assert done.exit_code == 0, done.output
    assert b"rate: 430" in path.read_bytes() and b"given_on: 2062-05-12" in path.read_bytes()
    # moved to another day still ahead: refused (it is a new value)
    later = cli("set", "amara-okafor", "consent.given_on=2062-05-13", *args)
    assert later.exit_code != 0 and "consent.given_on: 2062-05-13 is after today" in later.output
    # corrected: written
    fixed = cli("set", "amara-okafor", "consent.given_on=2026-05-12", *args)
    assert fixed.exit_code == 0, fixed.output


def test_set_dry_run_refuses_too(records_repo: Path, cli: Callable[..., Any]) -> None:
    done = cli(
        "set",
        "amara-okafor",
        "measurements[0].date=2027-06-02",
        "--dry-run",
        "--today",
        SAMPLE_TODAY,
        "--repo",
        str(records_repo),
    )
    assert done.exit_code != 0 and "measurements[0].date: 2027-06-02 is after today" in done.output


def test_the_assistant_refuses_what_set_refuses(records_repo: Path) -> None:
    before = (records_repo / AMARA).read_bytes()
    refused, allowed = calls(
        records_repo,
        (
            "preview_set_fields",
            {
                "id": "amara-okafor",
                "fields": {"blockers[0].since": "2027-11-02"},
                "today": SAMPLE_TODAY,
            },
        ),
        (
            "preview_set_fields",
            {
                "id": "amara-okafor",
                "fields": {"blockers[0].since": "2026-11-03"},
                "today": SAMPLE_TODAY,
            },
        ),
    )
    assert refused.is_error
    assert "blockers[0].since: 2027-11-02 is after today (2026-11-23)" in error_text(refused)
    assert not allowed.is_error, error_text(allowed)
    assert (records_repo / AMARA).read_bytes() == before  # previews write nothing


# -- the class: every past-tense field, any day around today --------------------------------

TOP = [".".join(str(k) for k in path) for path in PAST_TENSE[""]]
ITEMS = [(name, str(key)) for name, paths in PAST_TENSE.items() if name for (key,) in paths]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    where=st.one_of(st.sampled_from(TOP), st.sampled_from(ITEMS)),
    offset=st.integers(-800, 800),
    index=st.integers(0, 1),
)
def test_any_past_tense_date_is_refused_exactly_when_after_today(
    sample_base: Path, tmp_path_factory: pytest.TempPathFactory, where: Any, offset: int, index: int
) -> None:
    root = copy_of(sample_base, tmp_path_factory, "ahead")
    day = TODAY + dt.timedelta(days=offset)
    if isinstance(where, str):
        path: tuple[str | int, ...] = tuple(where.split("."))
    else:
        path = (where[0], 0 if where[0] == "blockers" else index, where[1])  # one blocker
    raw = (root / AMARA).read_bytes()

    def change(editor: Any) -> None:
        if path[0] == "sessions":
            editor.set((path[0], path[1], "status"), "held")
        editor.set(path, day)

    repo = open_repository(root)
    if offset > 0:
        with pytest.raises(EditRefused) as refused:
            update_record(repo, "amara-okafor", change, today=TODAY)
        shown = "\n".join(d.format() for d in refused.value.diagnostics)
        assert "is after today" in shown and f"{day.isoformat()}" in shown
        assert (root / AMARA).read_bytes() == raw
    else:
        update_record(repo, "amara-okafor", change, today=TODAY)
        from sortext.check.load import parse_record
        from sortext.schema.validate import RecordValidator

        written = parse_record(
            (root / AMARA).read_bytes(), str(AMARA), RecordValidator(repo.config)
        )
        assert written.record is not None
        assert happened_after(written.record.data, TODAY) == []


# -- break round: copies of a held date, a front matter closed by "...", resolve, new ------


def test_a_future_date_held_once_does_not_let_a_second_one_in(
    records_repo: Path, cli: Callable[..., Any]
) -> None:
    """The exemption counts: one hand-typed 2062-07-09 does not let a second field be
    given the same day (it was a set of (field, day))."""
    path = records_repo / AMARA
    path.write_bytes(path.read_bytes().replace(b"paid_on: 2026-07-09", b"paid_on: 2062-07-09"))
    before = path.read_bytes()
    args = ("--today", SAMPLE_TODAY, "--repo", str(records_repo))
    done = cli("set", "amara-okafor", "invoices[1].paid_on=2062-07-09", *args)
    assert done.exit_code != 0, done.output
    assert "invoices[1].paid_on: 2062-07-09 is after today" in done.output, done.output
    assert path.read_bytes() == before
    path.write_bytes(
        path.read_bytes().replace(b"  - date: 2026-06-02\n", b"  - date: 2062-07-09\n", 1)
    )
    done = cli(
        "set", "amara-okafor", "sessions[6].date=2062-07-09", "sessions[6].status=held", *args
    )
    assert done.exit_code != 0 and "sessions[6].date: 2062-07-09 is after today" in done.output


def test_the_error_is_at_the_value_when_the_front_matter_closes_with_dots(
    records_repo: Path, cli: Callable[..., Any]
) -> None:
    path = records_repo / AMARA
    path.write_bytes(path.read_bytes().replace(b"architecture]\n---\n", b"architecture]\n...\n", 1))
    args = ("--today", SAMPLE_TODAY, "--repo", str(records_repo))
    done = cli("set", "amara-okafor", "invoices[0].paid_on=2062-07-09", *args)
    assert done.exit_code != 0, done.output
    assert "clients/amara-okafor.md:31:97: error: invoices[0].paid_on: 2062-07-09" in done.output


def test_resolve_take_value_is_checked_as_set_checks_it(
    records_repo: Path, cli: Callable[..., Any]
) -> None:
    from sortext.vcs.merge import merge_files

    path = records_repo / AMARA
    base = path.read_text(encoding="utf-8")
    ours = base.replace("paid_on: 2026-07-09", "paid_on: 2026-07-10")
    theirs = base.replace("paid_on: 2026-07-09", "paid_on: 2026-07-11")
    merged = merge_files(base.encode(), ours.encode(), theirs.encode())
    assert len(merged.conflicts) == 1
    path.write_text(merged.text, encoding="utf-8")
    field = "invoices[INV-2026-031].paid_on"
    args = ("--today", SAMPLE_TODAY, "--repo", str(records_repo))
    for value, said in (
        ("2062-07-09", "2062-07-09 is after today (2026-11-23)"),
        ("banana", "paid_on"),
    ):
        done = cli("resolve", "amara-okafor", field, "--take", value, *args)
        assert done.exit_code != 0 and said in done.output, done.output
        assert "--take VALUE refused, nothing written" in done.output
        assert path.read_text(encoding="utf-8") == merged.text
    done = cli("resolve", "amara-okafor", field, "--take", "2026-07-12", *args)
    assert done.exit_code == 0, done.output
    assert "paid_on: 2026-07-12" in path.read_text(encoding="utf-8")


def test_new_refuses_a_template_dating_something_that_happened_ahead(
    records_repo: Path, cli: Callable[..., Any]
) -> None:
    template = records_repo / "templates" / "client.md.j2"
    text = template.read_text(encoding="utf-8")
    assert "dates:\n" in text, text
    template.write_text(text.replace("dates:\n", "dates:\n  last_review: 2062-01-01\n", 1))
    args = ("--today", SAMPLE_TODAY, "--repo", str(records_repo))
    done = cli("new", "Test Person", *args)
    assert done.exit_code != 0 and "dates.last_review: 2062-01-01 is after today" in done.output
    assert not (records_repo / "clients" / "test-person.md").exists()


def test_an_import_row_giving_a_date_the_record_held_is_not_refused(
    records_repo: Path, cli: Callable[..., Any], tmp_path: Path
) -> None:
    """A paid_on typed ahead by hand and given again by a billing export is not the
    row's typo (``set`` lets another edit through too); a different day ahead is."""
    from tests.conftest import PROJECT_ROOT
    from tests.test_intake_first_contact import _form as _csv

    billing = PROJECT_ROOT / "docs" / "maps" / "billing-invoices.yaml"
    header = ["Invoice Number", "Customer Email", "Total", "Status", "Issue Date", "Due Date"]
    path = records_repo / AMARA
    path.write_bytes(path.read_bytes().replace(b"paid_on: 2026-07-09", b"paid_on: 2062-07-09"))
    args = ("--map", str(billing), "--accept", "theirs", "--today", SAMPLE_TODAY)
    for paid, total, refused in (("2062-07-09", "850", False), ("2062-07-10", "860", True)):
        row = ["INV-2026-031", "amara.okafor@example.com", total, "Paid"]
        row += ["2026-07-01", "2026-07-15", paid]
        bill = _csv(tmp_path / f"bill-{total}.csv", [*header, "Paid Date"], [row])
        done = cli("import", str(bill), *args, "--repo", str(records_repo))
        text = path.read_text(encoding="utf-8")
        if refused:
            assert done.exit_code == 1 and f"paid_on: {paid} is after today" in done.output
            assert "amount: 860" not in text
        else:
            assert done.exit_code == 0, done.output
            assert "amount: 850" in text, text


def test_a_row_with_two_unreadable_cells_is_one_unreadable_row(
    records_repo: Path, cli: Callable[..., Any], tmp_path: Path
) -> None:
    """The counts line counted problems as rows: one row, a total that is not a number
    and a payment dated ahead, said "2 unreadable rows" of "1 row"."""
    from tests.conftest import PROJECT_ROOT
    from tests.test_intake_first_contact import _form as _csv

    billing = PROJECT_ROOT / "docs" / "maps" / "billing-invoices.yaml"
    header = ["Invoice Number", "Customer Email", "Total", "Status", "Issue Date", "Due Date"]
    row = ["INV-2026-031", "amara.okafor@example.com", "lots", "Paid"]
    row += ["2026-07-01", "2026-07-15", "2062-07-09"]
    bill = _csv(tmp_path / "bill.csv", [*header, "Paid Date"], [row])
    args = ("--map", str(billing), "--accept", "theirs", "--today", SAMPLE_TODAY)
    done = cli("import", str(bill), *args, "--repo", str(records_repo))
    assert done.exit_code == 1, done.output
    assert "Total" in done.output and "2062-07-09 is after today" in done.output, done.output
    assert "1 row: " in done.output and "1 unreadable row" in done.output, done.output
