"""``sortext money`` prints its two tables in columns: the open invoices (age, client,
invoice, amount) and the top clients (client, amount).  The invoice ids and the
amounts were printed straight after the names, so a longer id pushed its amount out
of line (``TA-0714  1,330 GBP`` above ``INV-2026-058  840 GBP``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from tests.conftest import SAMPLE_TODAY


def section(text: str, title: str) -> list[str]:
    rows = text.split(title, 1)[1].split("\n\n", 1)[0].splitlines()[1:]
    return [r for r in rows if r.strip()]


def test_money_tables_line_up(records_repo: Path, cli: Callable[..., Result]) -> None:
    done = cli("money", "--today", SAMPLE_TODAY, "--repo", str(records_repo))
    assert done.exit_code == 0, done.output
    invoices = section(done.stdout, "Outstanding, oldest first")
    top = section(done.stdout, "(paid)")
    assert len(invoices) >= 2 and len(top) >= 2, done.stdout
    for rows in (invoices, top):
        assert len({len(r) for r in rows}) == 1, rows  # amounts end in one column
    ids = {r.split()[-3] for r in invoices}
    # every invoice id starts at the same column
    assert len({r.index(i) for r in invoices for i in ids if f"  {i}  " in r}) == 1, invoices
