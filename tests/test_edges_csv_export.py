"""CSV out is safe and complete (issue 13, item 7).

A client name ``=HYPERLINK(...)`` from a web form was written verbatim: a
spreadsheet runs it.  Every text cell starting with ``=``, ``+``, ``-``,
``@``, tab or CR gets a leading ``'`` (OWASP); numbers sortext writes stay
numbers.  Phone, consent and custom fields are columns, and the columns are
configurable."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import Result
from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.io.export import CSV_COLUMNS, FORMULA_START, to_csv
from sortext.repo import open_repository
from tests.conftest import PROJECT_ROOT

TODAY = dt.date(2026, 11, 30)


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_hyperlink_name_is_neutralised() -> None:
    record: dict[str, Any] = {
        "id": "eve",
        "name": '=HYPERLINK("http://evil.invalid","click")',
        "email": "@eve@example.com",
        "phone": "+49 30 1234567",
        "company": "-Acme",
        "stage": "inquiry",
        "tags": ["\tx"],
        "billing": {"rate": -5, "plan": "\rmonthly"},
        "consent": {"data_use": False, "contact": "email"},
    }
    row = _rows(to_csv([record], TODAY))[0]
    assert row["name"] == "'" + record["name"]
    assert row["email"] == "'@eve@example.com"
    assert row["phone"] == "'+49 30 1234567"
    assert row["company"] == "'-Acme"
    assert row["tags"] == "'\tx"
    assert row["billing_plan"] == "'\rmonthly"
    assert row["billing_rate"] == "-5"  # a number sortext writes stays a number
    assert row["consent_data_use"] == "false"
    assert row["consent_contact"] == "email"


def test_configured_columns_and_custom_fields(tmp_path: Path, cli: Callable[..., Result]) -> None:
    root = tmp_path / "r"
    shutil.copytree(PROJECT_ROOT / "clients", root / "clients")
    config = (PROJECT_ROOT / "sortext.yaml").read_text(encoding="utf-8")
    config = config.replace("custom_fields: {}", "custom_fields:\n  referral: {type: string}")
    config += "\nexports:\n  out/people.csv: {format: csv, columns: [id, phone, referral]}\n"
    (root / "sortext.yaml").write_text(config, encoding="utf-8")
    amara = root / "clients" / "amara-okafor.md"
    text = amara.read_text(encoding="utf-8")
    amara.write_text(text.replace("\nstage:", "\nreferral: '=1+1'\nstage:", 1), "utf-8")
    result = cli("check", "--repo", str(root))
    assert "referral" not in result.output, result.output
    from sortext.io.export import write_configured_exports

    repo = open_repository(root)
    write_configured_exports(repo, TODAY)
    rows = _rows((root / "out" / "people.csv").read_text(encoding="utf-8"))
    assert list(rows[0]) == ["id", "phone", "referral"]
    got = {r["id"]: r["referral"] for r in rows}
    assert got["amara-okafor"] == "'=1+1"
    # the default CSV names every built-in column and each custom field
    result = cli("export", "csv", "--repo", str(root))
    header = next(csv.reader(io.StringIO(result.output)))
    assert header == [*CSV_COLUMNS, "referral"]
    result = cli("export", "csv", "--columns", "id,consent.data_use", "--repo", str(root))
    assert result.output.splitlines()[0] == "id,consent.data_use"


def test_bad_exports_config_is_a_check_error(tmp_path: Path, cli: Callable[..., Result]) -> None:
    root = tmp_path / "r"
    shutil.copytree(PROJECT_ROOT / "clients", root / "clients")
    config = (PROJECT_ROOT / "sortext.yaml").read_text(encoding="utf-8")
    config += "\nexports:\n  out/people.csv: {format: xlsx, columns: []}\n"
    (root / "sortext.yaml").write_text(config, encoding="utf-8")
    result = cli("check", "--repo", str(root))
    assert result.exit_code != 0
    assert "sortext.yaml:" in result.output and "exports" in result.output


_text = st.text(
    alphabet=st.sampled_from(["=", "+", "-", "@", "\t", "\r", "\n", " ", "a", "1", '"', ",", ";"]),
    max_size=8,
)


@settings(max_examples=150, deadline=None)
@given(
    name=_text,
    email=_text,
    phone=_text,
    company=_text,
    what=_text,
    tags=st.lists(_text, max_size=3),
    plan=_text,
    rate=st.one_of(st.none(), st.integers(-1000, 1000), st.floats(-1e6, 1e6, allow_nan=False)),
    referral=_text,
)
def test_property_no_cell_starts_a_formula(
    name: str,
    email: str,
    phone: str,
    company: str,
    what: str,
    tags: list[str],
    plan: str,
    rate: float | None,
    referral: str,
) -> None:
    record = {
        "id": "x",
        "name": name,
        "email": email,
        "phone": phone,
        "company": company,
        "stage": "active",
        "next_action": {"what": what, "due": "2026-12-01"},
        "tags": tags,
        "billing": {"plan": plan, "rate": rate},
        "custom": {"referral": referral},
    }
    text = to_csv([record], TODAY, [*CSV_COLUMNS, "custom.referral", "custom"])
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) == 2
    for cell in rows[1]:
        if cell.startswith(FORMULA_START):
            float(cell)  # only a number sortext wrote may start with '-'
