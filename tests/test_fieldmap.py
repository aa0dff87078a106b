"""Reading exports and converting cells: dialects, types, clear errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from sortext.errors import UsageError
from sortext.io.fieldmap import CellError, FieldSpec, convert, parse_map
from sortext.io.spreadsheet import read_rows


def test_semicolon_csv_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(b"\xef\xbb\xbfName;Email\r\nAnn Lee;ann@example.org\r\n\r\n")
    rows = read_rows(path)
    assert [r.values for r in rows] == [{"Name": "Ann Lee", "Email": "ann@example.org"}]
    assert rows[0].number == 2


def test_json_list_under_one_key(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text('{"items": [{"answers": {"email": "a@example.org"}}]}')
    rows = read_rows(path)
    from sortext.io.spreadsheet import lookup

    assert lookup(rows[0].values, "answers.email") == "a@example.org"


def test_non_utf8_export_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("Name\nJosé\n".encode("latin-1"))
    with pytest.raises(UsageError, match="not UTF-8"):
        read_rows(path)


@pytest.mark.parametrize(
    ("spec", "cell", "expected"),
    [
        (FieldSpec(("r",), type="number"), "€1,200.50", 1200.5),
        (FieldSpec(("r",), type="number"), "1.200,5", 1200.5),
        (FieldSpec(("r",), type="number"), "1,200", 1200),
        (FieldSpec(("r",), type="integer"), "42", 42),
        (FieldSpec(("d",), type="date"), "2026/11/18 09:12:44 AM GMT", dt.date(2026, 11, 18)),
        (FieldSpec(("d",), type="date"), "2026-11-20T10:04:31Z", dt.date(2026, 11, 20)),
        (
            FieldSpec(("d",), type="date", date_formats=("%d/%m/%Y",)),
            "05/12/2026",
            dt.date(2026, 12, 5),
        ),
        (FieldSpec(("b",), type="boolean"), "Yes", True),
        (FieldSpec(("t",), type="list", separator=";"), "a; b;;c", ["a", "b", "c"]),
        (FieldSpec(("s",), values={"Customer": "active"}), "customer", "active"),
        (FieldSpec(("s",)), "   ", None),
    ],
)
def test_convert(spec: FieldSpec, cell: str, expected: Any) -> None:
    assert convert(spec, cell) == expected


@pytest.mark.parametrize(
    ("spec", "cell", "message"),
    [
        (FieldSpec(("r",), type="number"), "lots", "not a number"),
        (FieldSpec(("d",), type="date"), "05/12/2026", "set date_format"),
        (FieldSpec(("d",), type="date"), "2026-02-30", "impossible date"),
        (FieldSpec(("s",), values={"Lead": "inquiry"}), "VIP", "not one of: Lead"),
    ],
)
def test_convert_errors(spec: FieldSpec, cell: str, message: str) -> None:
    with pytest.raises(CellError, match=message):
        convert(spec, cell)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "needs a 'fields:'"),
        ({"fields": {"name": {"type": "text"}}}, "give 'column'"),
        ({"fields": {"name": {"column": "N", "type": "money"}}}, "type must be one of"),
        ({"fields": {"name": "N"}, "match": "phone"}, "match must be"),
        ({"fields": {"name": "N"}, "colums": {}}, "unknown section"),
    ],
)
def test_bad_maps_are_explained(data: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_map(data, "map.yaml")
