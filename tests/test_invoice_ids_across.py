"""One invoice number on two clients' records (found breaking round 14).

Two laptops each ran ``sortext invoice`` before they synced, and both gave the next
number to a different client: every file was valid on its own, ``check`` said nothing
(invoice ids were held unique within a record only), and ``money`` and the exports
listed two bills under one number.  ``check`` now warns at the later record's id.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from click.testing import Result
from hypothesis import given
from hypothesis import strategies as st

from sortext.check.many import FileOutcome, duplicate_invoice_ids

AMARA = "amara-okafor"  # INV-2026-031, INV-2026-044, INV-2026-058
FARID = "farid-haddad"  # FH-09, FH-10, FH-11


def test_two_records_with_one_invoice_number(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    path = records_repo / "clients" / f"{FARID}.md"
    text = path.read_text(encoding="utf-8")
    changed = text.replace("{id: FH-10,", "{id: INV-2026-058,")
    assert changed != text
    path.write_text(changed, encoding="utf-8")
    result = cli("check", "--repo", str(records_repo))
    assert "Traceback" not in result.output
    line = next(i for i, row in enumerate(changed.splitlines(), 1) if "INV-2026-058" in row)
    col = changed.splitlines()[line - 1].index("INV-2026-058") + 1
    assert re.search(
        rf"clients/{FARID}\.md:{line}:{col}: warning: invoices\[1\]\.id: invoice INV-2026-058 "
        rf"is also an invoice of clients/{AMARA}\.md",
        result.output,
    ), result.output
    assert f"clients/{AMARA}.md:33" not in result.output  # the first record keeps it


def test_the_samples_have_no_shared_invoice_number(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    result = cli("check", "--repo", str(records_repo))
    assert "is also an invoice of" not in result.output


RECORDS = st.lists(
    st.lists(st.sampled_from(["A-1", "A-2", "B-1", "INV-9", "x"]), max_size=4),
    max_size=6,
)


@given(records=RECORDS)
def test_a_warning_for_each_number_a_record_earlier_in_path_order_has(
    records: list[list[str]],
) -> None:
    outcomes = [
        FileOutcome(f"clients/c{n}.md", f"c{n}", [], None, tuple(enumerate(ids)))
        for n, ids in enumerate(records)
    ]
    found = duplicate_invoice_ids(list(reversed(outcomes)))  # order of the input: none
    warned = {(d.path, d.field) for d in found}
    expected = set()
    owner: dict[str, str] = {}
    for outcome in sorted(outcomes, key=lambda o: o.path):
        for index, ident in outcome.invoices:
            if owner.setdefault(ident, outcome.path) != outcome.path:
                expected.add((outcome.path, f"invoices[{index}].id"))
    assert warned == expected
    assert all(d.severity == "warning" and (d.line, d.column) == (1, 1) for d in found)
