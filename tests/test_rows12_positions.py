"""Every problem an import or intake reports is at ``path:line:col`` of its cell.

Found in review: import problems read ``row 3: Rate: 'lots' is not a number``,
without the file (plain ``import``) or the column, and with the row's number,
which is not the line once a quoted cell holds line breaks.  Cells are now
placed where their record starts in the file (physical lines, the reader's
``line_num``) and at the character column where the cell starts (a quoted
cell at its opening quote); a calendar's at its event's ``BEGIN:VEVENT`` line.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.io.calendar import read_calendar
from sortext.io.fieldmap import FieldSpec, map_fields
from sortext.io.spreadsheet import DELIMITERS, read_table

_TEXT = st.text(alphabet="ab ,;|\t\"'\r\n=é", max_size=12)


@st.composite
def _sheets(draw: st.DrawFn) -> tuple[str, list[list[str]], int, int, str]:
    width = draw(st.integers(min_value=1, max_value=5))
    where = draw(st.integers(min_value=0, max_value=width))  # the Rate column
    header = [f"c{i}" for i in range(width)]
    header.insert(where, "Rate")
    rows = draw(st.lists(st.lists(_TEXT, min_size=width, max_size=width), min_size=1, max_size=4))
    bad_row = draw(st.integers(min_value=0, max_value=len(rows) - 1))
    bad = "lots" + draw(_TEXT)
    out = []
    for number, cells in enumerate(rows):
        cells = list(cells)
        cells.insert(where, bad if number == bad_row else "")
        out.append(cells)
    return draw(st.sampled_from(DELIMITERS)), [header, *out], where, bad_row, bad


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sheet=_sheets(),
    ending=st.sampled_from(["\r\n", "\n"]),
    bom=st.booleans(),
    sep_line=st.booleans(),
)
def test_a_bad_cell_is_reported_where_it_starts_in_the_file(
    tmp_path_factory: object,
    sheet: tuple[str, list[list[str]], int, int, str],
    ending: str,
    bom: bool,
    sep_line: bool,
) -> None:
    delimiter, table, _, _, bad = sheet
    text = ("\ufeff" if bom else "") + (f"sep={delimiter}{ending}" if sep_line else "")
    text += "".join(delimiter.join(_quoted(c, delimiter) for c in r) + ending for r in table)
    path = Path(str(tmp_path_factory.mktemp("csv"))) / "sheet.csv"  # type: ignore[attr-defined]
    path.write_bytes(text.encode("utf-8"))

    rows = read_table(path).rows
    problems = [p for row in rows for p in map_fields((_RATE,), row)[1]]
    assert len(problems) == 1, problems
    problem = problems[0]
    assert problem.text().startswith(f"{path}:{problem.line}:{problem.col}: Rate: ")
    # open the file, go to line:col: the bad cell (or its opening quote) starts there
    lines = io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="").readlines()
    rest = lines[problem.line - 1][problem.col - 1 :] + "".join(lines[problem.line :])
    assert rest.startswith(('"', "lots"))
    first = next(csv.reader(io.StringIO(rest, newline=""), delimiter=delimiter))
    assert first[0] == bad


def _quoted(cell: str, delimiter: str) -> str:
    """A cell as spreadsheet programs write it: quoted when it holds the delimiter,
    a quote or a line break (csv.writer leaves a lone CR unquoted under LF endings)."""
    if any(c in cell for c in (delimiter, '"', "\r", "\n")):
        return '"' + cell.replace('"', '""') + '"'
    return cell


_RATE = FieldSpec(("billing", "rate"), column="Rate", type="number")


def test_a_cell_after_a_quoted_cell_with_line_breaks_is_at_its_own_line(tmp_path: Path) -> None:
    path = tmp_path / "form.csv"
    path.write_text('Name;Story;Rate\r\nAnn;"one\r\ntwo ""x"" ";lots\r\n', newline="")
    (row,) = read_table(path).rows
    (problem,) = map_fields((_RATE,), row)[1]
    assert problem.text() == f"{path}:3:13: Rate: 'lots' is not a number"


_ICS = """BEGIN:VCALENDAR\r
VERSION:2.0\r
BEGIN:VEVENT\r
UID:one@example.org\r
DTSTART:20300105T100000Z\r
ATTENDEE;CN=Ann:mailto:ann@example.org\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:two@example.org\r
DTSTART:20300106T100000Z\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_a_calendar_problem_is_at_its_events_begin_line() -> None:
    found = read_calendar(_ICS.encode(), "UTC", "cal.ics", dt.date(2030, 1, 1))
    (problem,) = found.problems
    assert problem.text() == (
        "cal.ics:8:1: ATTENDEE: event two@example.org: no attendee besides the organizer"
    )


def test_a_folder_notes_property_is_at_its_line(tmp_path: Path) -> None:
    from sortext.io.notes_folder import property_cells

    note = tmp_path / "Ann.md"
    note.write_text("---\nname: Ann\n# a comment\nrate: lots\n  nested: 1\n---\nbody\n")
    assert property_cells(note) == {"name": (2, 1), "rate": (4, 1), "body": (7, 1)}


def test_a_json_response_without_a_line_is_named_by_its_number(tmp_path: Path) -> None:
    path = tmp_path / "form.json"
    path.write_text('[{"Rate": "1"}, {"Rate": "lots"}]')
    problems = [p for row in read_table(path).rows for p in map_fields((_RATE,), row)[1]]
    assert [p.text(str(path)) for p in problems] == [
        f"{path}: response 2: Rate: 'lots' is not a number"
    ]


@settings(max_examples=300, deadline=None)
@given(line=st.text(alphabet='ab ,;"x', max_size=16), delimiter=st.sampled_from(",;"))
def test_the_quick_scan_of_a_one_line_row_agrees_with_the_full_one(
    line: str, delimiter: str
) -> None:
    from sortext.io.spreadsheet import cell_starts

    rows = list(csv.reader(io.StringIO(line + "\r\n", newline=""), delimiter=delimiter))
    if len(rows) != 1:
        return
    lines = [line + "\r\n"]
    assert cell_starts(lines, delimiter, rows[0]) == cell_starts(lines, delimiter)
