"""Reading exports and converting cells: dialects, types, clear errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.errors import UsageError
from sortext.io.fieldmap import (
    CellError,
    FieldSpec,
    column_decimals,
    convert,
    map_fields,
    parse_map,
)
from sortext.io.spreadsheet import Row, read_rows, read_table


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
        (FieldSpec(("r",), type="number"), "1,200", "ambiguous: 1.2 or 1200"),
        (FieldSpec(("r",), type="number"), "1.200", "ambiguous: 1.2 or 1200"),
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


# --- item 1: spreadsheets read the way people write them ---------------------------


def test_delimiter_inside_quoted_header_is_not_counted(tmp_path: Path) -> None:
    path = tmp_path / "umfrage.csv"
    path.write_text('Name;"Was, wann, wie?";Email\nAnn Lee;"Coaching, montags";ann@example.org\n')
    table = read_table(path)
    assert table.rows[0].values == {
        "Name": "Ann Lee",
        "Was, wann, wie?": "Coaching, montags",
        "Email": "ann@example.org",
    }
    assert "delimiter ';' (sniffed)" in table.dialect


def test_excel_sep_line_is_honoured_and_rows_keep_their_file_lines(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_text('sep=|\nName|Notes\nAnn|"two\nlines"\nBen|x\n')
    table = read_table(path)
    assert [r.values["Name"] for r in table.rows] == ["Ann", "Ben"]
    assert [r.number for r in table.rows] == [3, 5]  # a row is named by its first line
    assert "from the sep= line" in table.dialect


def test_tsv_is_tab_separated_even_with_commas(tmp_path: Path) -> None:
    path = tmp_path / "sheet.tsv"
    path.write_text("Name\tRate\nLee, Ann\t90\n")
    table = read_table(path)
    assert table.rows[0].values == {"Name": "Lee, Ann", "Rate": "90"}
    assert table.dialect.startswith("TSV, delimiter tab")


def test_map_names_delimiter_and_encoding(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("Name,Ort\nJosé,Köln\n".replace(",", ";").encode("cp1252"))
    fmap = parse_map({"fields": {"name": "Name"}, "delimiter": ";", "encoding": "cp1252"}, "m.yaml")
    table = read_table(path, delimiter=fmap.delimiter, encoding=fmap.encoding)
    assert table.rows[0].values == {"Name": "José", "Ort": "Köln"}
    assert "from the map" in table.dialect and "cp1252" in table.dialect


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"fields": {"name": "N"}, "delimiter": ";;"}, "one character"),
        ({"fields": {"name": "N"}, "decimal": ";"}, "decimal must be"),
        ({"fields": {"name": "N"}, "encoding": "klingon"}, "unknown encoding"),
    ],
)
def test_bad_dialect_settings_are_explained(data: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_map(data, "map.yaml")


def _rate_rows(cells: list[str]) -> list[Row]:
    return [Row(n + 2, {"Rate": c}) for n, c in enumerate(cells)]


def test_numbers_decided_per_column_from_the_file() -> None:
    spec = FieldSpec(("billing", "rate"), column="Rate", type="number")
    rows = _rate_rows(["450,00", "1.200,50", "1.200"])
    decimals = column_decimals([spec], rows)
    assert decimals == {"Rate": ","}
    got = [map_fields((spec,), r, decimals)[0] for r in rows]
    assert [v[("billing", "rate")] for v in got] == [450, 1200.5, 1200]


def test_ambiguous_number_refused_with_row_and_column() -> None:
    spec = FieldSpec(("billing", "rate"), column="Rate", type="number")
    rows = _rate_rows(["90", "1.200"])
    values, problems = map_fields((spec,), rows[1], column_decimals([spec], rows))
    assert values == {}
    assert [(p.row, p.column) for p in problems] == [(3, "Rate")]
    assert "ambiguous" in problems[0].message
    fixed = column_decimals([spec], rows, given=".")
    assert map_fields((spec,), rows[1], fixed)[0] == {("billing", "rate"): 1.2}


def test_column_with_both_conventions_decides_nothing() -> None:
    spec = FieldSpec(("r",), column="Rate", type="number")
    assert column_decimals([spec], _rate_rows(["1,5", "2.5"])) == {}


def test_text_cells_have_line_breaks_normalised() -> None:
    spec = FieldSpec(("next_action",), column="Next")
    assert convert(spec, "call\r\nthen\rmail") == "call\nthen\nmail"
    assert convert(FieldSpec(("t",), type="list"), "a\r,b") == ["a", "b"]


@given(
    whole=st.integers(min_value=1, max_value=999_999_999),
    cents=st.integers(min_value=0, max_value=99),
    mark=st.sampled_from([".", ","]),
    grouped=st.booleans(),
)
def test_any_written_amount_reads_back_or_is_refused(
    whole: int, cents: int, mark: str, grouped: bool
) -> None:
    """A number as a spreadsheet writes it, in either convention, never reads as another."""
    grouping = "," if mark == "." else "."
    digits = f"{whole:,}".replace(",", grouping) if grouped else str(whole)
    with_cents = f"{digits}{mark}{cents:02d}"
    spec = FieldSpec(("r",), column="R", type="number")
    assert convert(spec, with_cents) == pytest.approx(whole + cents / 100)
    assert convert(spec, with_cents, mark) == pytest.approx(whole + cents / 100)
    # whole amounts: the column's convention reads them right; alone they read or are refused
    assert convert(spec, digits, mark) == whole
    try:
        alone = convert(spec, digits)
    except CellError as exc:
        assert "ambiguous" in str(exc)
    else:
        assert alone == whole


def _table_shape(text: str, delimiter: str) -> tuple[int, int] | None:
    """(rows, columns) when ``delimiter`` splits every line of ``text`` into the same
    number of cells, more than one; None otherwise."""
    import csv
    import io

    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error:
        return None
    rows = [r for r in rows if any(c.strip() for c in r)]
    widths = {len(r) for r in rows}
    if not rows or len(widths) != 1 or widths == {1}:
        return None
    return len(rows), widths.pop()


def test_a_sheet_two_delimiters_read_alike_takes_the_sniffers_and_says_so(
    tmp_path: Path,
) -> None:
    """``0;,`` is two cells with ';' and with ',': the file cannot say which; the
    reading names the delimiter it took, so the map's delimiter: can correct it."""
    path = tmp_path / "export.csv"
    path.write_text("0;,\r\n0;,\r\n", newline="")
    table = read_table(path)
    assert "(sniffed)" in table.dialect
    assert [r.values for r in read_table(path, delimiter=";").rows] == [{"0": "0", ",": ","}]


cell_text = st.text(
    alphabet=st.sampled_from(list("abc XYZ,;|\t\"'0123456789.-@äé")), min_size=1, max_size=12
).filter(lambda t: t.strip() == t and t.strip())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    delimiter=st.sampled_from([",", ";", "\t", "|"]),
    header=st.lists(cell_text, min_size=2, max_size=5, unique=True),
    data=st.data(),
)
def test_any_sheet_written_by_csv_reads_back_the_same(
    tmp_path_factory: pytest.TempPathFactory, delimiter: str, header: list[str], data: Any
) -> None:
    """Whatever delimiter a program used, and whatever separators sit inside quoted
    cells, the rows read back as written (or the map's delimiter: says it)."""
    import csv
    import io

    rows = data.draw(
        st.lists(
            st.lists(cell_text, min_size=len(header), max_size=len(header)), min_size=2, max_size=5
        )
    )
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path = tmp_path_factory.mktemp("sheet") / "export.csv"
    path.write_text(out.getvalue(), newline="")
    expected = [dict(zip(header, r, strict=True)) for r in rows]
    assert [r.values for r in read_table(path, delimiter=delimiter).rows] == expected
    # Sniffing reads the file as written unless the file itself cannot say: another
    # delimiter that splits every line into as many (or more) equal rows is just as
    # good a reading (``0;,`` is two cells with ';' and with ','), and then the plan
    # names the delimiter it took and the map's delimiter: decides.
    text = out.getvalue()
    own = _table_shape(text, delimiter)
    assert own is not None  # written with it: a header of two or more cells
    ambiguous = any(
        other != delimiter and (shape := _table_shape(text, other)) and shape[1] >= own[1]
        for other in (",", ";", "\t", "|")
    )
    if not ambiguous:
        assert [r.values for r in read_table(path).rows] == expected  # sniffed
    excel = path.with_name("excel.csv")
    excel.write_text(f"sep={delimiter}\r\n" + out.getvalue(), newline="")
    assert [r.values for r in read_table(excel).rows] == expected
