"""``sortext invoice``: bill a client from the command line (a real records repository).

Found as a new user: no command added an invoice (``set ID 'invoices[0].id=...'``
on a record without invoices fails); ``log`` and ``pay`` existed, billing did not.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sortext.record.values import normalize
from sortext.record.yamlread import load_fast
from tests.conftest import SAMPLE_TODAY
from tests.roundtripkit import copy_of

AMARA = "amara-okafor"  # invoices INV-2026-031..058, billing.currency GBP
BRUNO = "bruno-castellanos"  # no invoices, no billing
FARID = "farid-haddad"  # invoices FH-09..FH-11


def front(path: Path) -> dict[str, object]:
    data = load_fast(path.read_text(encoding="utf-8").split("---\n")[1])
    assert isinstance(data, dict)
    result: dict[str, object] = normalize(data)
    return result


def invoices(repo: Path, record: str) -> list[dict[str, object]]:
    found = front(repo / "clients" / f"{record}.md").get("invoices") or []
    assert isinstance(found, list)
    return found


def run(cli: Callable[..., Result], repo: Path, *args: str) -> Result:
    """``sortext invoice ARGS --repo REPO`` on the sample day."""
    return cli("invoice", *args, "--repo", str(repo), env={"SORTEXT_TODAY": SAMPLE_TODAY})


def test_first_invoice_of_a_record_without_invoices(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    path = records_repo / "clients" / f"{BRUNO}.md"
    before = path.read_text()
    result = run(cli, records_repo, BRUNO, "1200", "--currency", "EUR", "--for", "Deposit")
    assert result.exit_code == 0, result.output
    after = path.read_text()
    assert after.startswith(before.split("\n---\n")[0])  # every line kept, in order
    (only,) = invoices(records_repo, BRUNO)
    assert only == {
        "id": "INV-2026-059",  # the practice's most used pattern, one past its highest
        "amount": 1200,
        "currency": "EUR",
        "status": "sent",
        "issued": SAMPLE_TODAY,
        "due": "2026-12-07",  # default terms: 14 days
        "description": "Deposit",
    }
    assert "retain_until: 2027-11-20   # inquiries kept one year" in after
    assert cli("check", "--repo", str(records_repo)).exit_code == 0


def test_next_id_follows_the_records_own_pattern_and_terms(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    result = run(cli, records_repo, FARID, "600.50", "--on", "2026-12-01", "--terms", "7")
    assert result.exit_code == 0, result.output
    new = invoices(records_repo, FARID)[-1]
    assert new["id"] == "FH-12"
    assert new["amount"] == 600.5 and new["currency"] == "EUR"  # billing.currency
    assert (new["issued"], new["due"]) == ("2026-12-01", "2026-12-08")
    result = run(cli, records_repo, FARID, "600", "--due", "2026-12-30", "--draft")
    assert result.exit_code == 0, result.output
    assert invoices(records_repo, FARID)[-1] == {
        "id": "FH-13",
        "amount": 600,
        "currency": "EUR",
        "status": "draft",
        "issued": SAMPLE_TODAY,
        "due": "2026-12-30",
    }


def test_next_id_is_unique_across_the_practice(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    """Another client's higher number counts: ids stay unique in the practice."""
    assert run(cli, records_repo, BRUNO, "10", "--id", "INV-2026-100").exit_code == 0
    result = run(cli, records_repo, AMARA, "840")
    assert result.exit_code == 0, result.output
    assert invoices(records_repo, AMARA)[-1]["id"] == "INV-2026-101"
    assert "invoice INV-2026-101 of 840" in result.output


def test_terms_default_to_the_clients_billing_terms(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    result = run(cli, records_repo, "kai-nakamura", "300", "--on", "2026-11-01")
    assert result.exit_code == 0, result.output
    assert invoices(records_repo, "kai-nakamura")[-1]["due"] == "2026-12-01"  # terms_days: 30
    assert "due 2026-12-01" in result.output


def test_a_new_year_starts_its_own_numbers(cli: Callable[..., Result], records_repo: Path) -> None:
    result = run(cli, records_repo, AMARA, "840", "--on", "2027-01-04")
    assert result.exit_code == 0, result.output
    assert invoices(records_repo, AMARA)[-1]["id"] == "INV-2027-001"


@pytest.mark.parametrize(
    ("given_id", "where"), [("FH-11", "another client"), ("INV-2026-058", "this client")]
)
def test_a_used_id_is_refused(
    cli: Callable[..., Result], records_repo: Path, given_id: str, where: str
) -> None:
    path = records_repo / "clients" / f"{AMARA}.md"
    before = path.read_bytes()
    result = run(cli, records_repo, AMARA, "840", "--id", given_id)
    assert result.exit_code == 2
    assert f"invoice id '{given_id}' is already used by {where}" in result.output
    assert "Traceback" not in result.output
    assert path.read_bytes() == before


@pytest.mark.parametrize("given_id", ["INV\x1b[2J-1", "INV-1\nstatus: paid", "  "])
def test_an_id_that_is_not_one_printable_line_is_refused(
    cli: Callable[..., Result], records_repo: Path, given_id: str
) -> None:
    path = records_repo / "clients" / f"{AMARA}.md"
    before = path.read_bytes()
    result = run(cli, records_repo, AMARA, "840", "--id", given_id)
    assert result.exit_code == 2 and "\x1b" not in result.output
    assert "Traceback" not in result.output
    assert path.read_bytes() == before


def test_invoices_that_are_not_a_list_are_refused_not_a_traceback(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    path = records_repo / "clients" / f"{BRUNO}.md"
    path.write_text(path.read_text().replace("tags:", "invoices: 5\ntags:", 1))
    before = path.read_bytes()
    result = run(cli, records_repo, BRUNO, "840")
    assert result.exit_code == 2
    assert "invoices is not a list" in result.output and "Traceback" not in result.output
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-5", "AMOUNT '-5' is negative"),
        ("0", "AMOUNT '0' is zero"),
        ("0.00", "AMOUNT '0.00' is zero"),
        ("NaN", "AMOUNT 'NaN' is not an amount"),
        ("1e3", "AMOUNT '1e3' is not an amount"),
        ("1,000", "AMOUNT '1,000' is not an amount"),
        ("12.345", "AMOUNT '12.345' has 3 decimal places; GBP has 2"),
        ("1000000000000", "AMOUNT '1000000000000' is too large"),
    ],
)
def test_bad_amounts_are_refused_naming_the_argument(
    cli: Callable[..., Result], records_repo: Path, amount: str, message: str
) -> None:
    path = records_repo / "clients" / f"{AMARA}.md"
    before = path.read_bytes()
    result = cli("invoice", "--repo", str(records_repo), "--", AMARA, amount)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert "clients/" not in result.output  # no path: the argument is at fault
    assert path.read_bytes() == before


def test_money_and_pay_see_the_new_invoice(cli: Callable[..., Result], records_repo: Path) -> None:
    assert run(cli, records_repo, BRUNO, "450.25", "--currency", "USD").exit_code == 0
    money = cli("money", "--json", "--repo", str(records_repo), env={"SORTEXT_TODAY": SAMPLE_TODAY})
    assert money.exit_code == 0, money.output
    assert '"INV-2026-059"' in money.output and "450.25" in money.output
    paid = cli(
        "pay",
        BRUNO,
        "INV-2026-059",
        "--repo",
        str(records_repo),
        env={"SORTEXT_TODAY": SAMPLE_TODAY},
    )
    assert paid.exit_code == 0, paid.output
    assert invoices(records_repo, BRUNO)[-1]["status"] == "paid"
    assert cli("check", "--repo", str(records_repo)).exit_code == 0


def test_dry_run_writes_nothing(cli: Callable[..., Result], records_repo: Path) -> None:
    path = records_repo / "clients" / f"{AMARA}.md"
    before = path.read_bytes()
    result = run(cli, records_repo, AMARA, "840", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "+  - {id: INV-2026-059, amount: 840, currency: GBP, status: sent" in result.output
    assert path.read_bytes() == before


def test_a_record_saved_meanwhile_is_refused(
    cli: Callable[..., Result], records_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The editor saves the file after the command read it: nothing of ours is written."""
    from collections.abc import Iterable

    from sortext.edit import invoice
    from sortext.edit.roundtrip import RecordEditor

    path = records_repo / "clients" / f"{AMARA}.md"
    saved = path.read_bytes() + b"\nSaved in the editor meanwhile.\n"
    real = invoice.add_invoice

    def save_then_add(
        editor: RecordEditor, new: invoice.NewInvoice, others: Iterable[object]
    ) -> invoice.AddedInvoice:
        path.write_bytes(saved)
        return real(editor, new, others)

    monkeypatch.setattr(invoice, "add_invoice", save_then_add)
    result = run(cli, records_repo, AMARA, "840")
    assert result.exit_code == 2
    assert "clients/amara-okafor.md changed on disk since" in result.output
    assert path.read_bytes() == saved


AMOUNT_TEXT = st.one_of(
    st.decimals(min_value=0, max_value=10**12, places=2).map(lambda d: format(d, "f")),
    st.from_regex(r"\A[0-9]{1,13}(\.[0-9]{1,3})?\Z"),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.decimals(min_value=-(10**13), max_value=10**13, places=3).map(lambda d: format(d, "f")),
    st.from_regex(r"\A[-+ ]?[0-9]{0,14}(\.[0-9]{0,4})?([eE][-+]?[0-9])?\Z"),
    st.text(alphabet="0123456789.,-+eE_ nNaI١", max_size=8),
)


def accepted(text: str) -> bool:
    """The oracle: plain digits, at most 2 places (GBP), more than 0, at most 12 digits."""
    return bool(re.fullmatch(r"[0-9]+(\.[0-9]{1,2})?", text)) and (
        0 < Decimal(text) <= Decimal("999999999999")
    )


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(text=AMOUNT_TEXT)
@example("0.1")
@example("999999999999.99")
@example("007.50")
@example("1e3")
@example("nan")
@example("-0")
def test_amounts_round_trip_or_leave_the_file_alone(
    cli: Callable[..., Result],
    sample_base: Path,
    tmp_path_factory: pytest.TempPathFactory,
    text: str,
) -> None:
    repo = copy_of(sample_base, tmp_path_factory)
    path = repo / "clients" / f"{AMARA}.md"
    before = path.read_bytes()
    result = cli("invoice", "--repo", str(repo), "--today", SAMPLE_TODAY, "--", AMARA, text)
    assert "Traceback" not in result.output
    if accepted(text):
        assert result.exit_code == 0, result.output
        amount = invoices(repo, AMARA)[-1]["amount"]
        assert isinstance(amount, int | float) and Decimal(str(amount)) == Decimal(text)
    else:
        assert result.exit_code == 2, result.output
        assert "AMOUNT" in result.output
        assert path.read_bytes() == before


def _waiting_on(folder: Path) -> int:
    """How many flock requests on ``folder`` are blocked (``/proc/locks``' ``->`` lines)."""
    import os

    st = os.stat(folder)
    inode = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    lines = Path("/proc/locks").read_text().splitlines()
    return sum(1 for line in lines if "->" in line and f" {inode} " in line)


def test_invoices_at_once_for_different_clients_get_different_ids(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    """Found breaking round 12: five ``sortext invoice`` at once on five new clients
    gave four of them INV-2026-002 (each read the ids before any wrote, ``check``
    still OK).  Here the processes start while the numbering lock is held, so all
    of them are past start-up together; released, each must see the others' ids."""
    import os
    import subprocess
    import sys
    import time

    from sortext.files.write import folder_lock

    names = [f"Parallel {n}" for n in "abcd"]
    for name in names:
        assert cli("new", name, "--repo", str(records_repo)).exit_code == 0
    env = {**os.environ, "SORTEXT_TODAY": SAMPLE_TODAY, "NO_COLOR": "1"}
    with folder_lock(records_repo):
        children = [
            subprocess.Popen(
                [sys.executable, "-m", "sortext", "invoice", slug, "100"],
                cwd=records_repo,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            for slug in (f"parallel-{n}" for n in "abcd")
        ]
        deadline = time.monotonic() + 120
        # every child blocked on the lock (new code) or finished (a run without it)
        while _waiting_on(records_repo) < len(children) and any(c.poll() is None for c in children):
            assert time.monotonic() < deadline, "children neither blocked nor finished"
            time.sleep(0.05)
    outputs = [c.communicate(timeout=120)[0].decode() for c in children]
    assert all(c.returncode == 0 for c in children), outputs
    given_ids = [str(invoices(records_repo, f"parallel-{n}")[-1]["id"]) for n in "abcd"]
    assert sorted(given_ids) == [f"INV-2026-0{n}" for n in range(59, 63)], given_ids


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    core=st.from_regex(r"[A-Z]{2,4}-[0-9]{1,3}", fullmatch=True),
    before=st.sampled_from(["", " ", "\u00a0", "\u3000"]),
    after=st.sampled_from(["", " ", "  ", "\u00a0"]),
)
def test_an_id_with_space_at_its_ends_is_refused(
    cli: Callable[..., Result], records_repo: Path, core: str, before: str, after: str
) -> None:
    """Found breaking round 12: ``--id ' INV-7 '`` was written as typed, and
    ``sortext pay ID INV-7`` then found no such invoice."""
    path = records_repo / "clients" / f"{BRUNO}.md"
    original = path.read_bytes()
    result = run(cli, records_repo, BRUNO, "10", "--id", f"{before}{core}{after}", "--dry-run")
    if before or after:
        assert result.exit_code == 2, result.output
        # (a no-break or ideographic space is not printable: refused as such)
        plain = (before + after).strip(" ") == ""
        why = "begins or ends with a space" if plain else "is not one line of printable"
        assert why in result.output, result.output
    else:
        assert result.exit_code == 0, result.output
    assert path.read_bytes() == original
