"""A file that is not the encoding it is read as is reported at ``path:line:column``.

Found by trying CSV dialects on import: a Windows-1252 or Latin-1 spreadsheet
(``José`` as the byte 0xe9) was refused with only a byte offset (``not UTF-8 (byte
offset 24)``), and so were notes in the inbox (``not UTF-8 at byte 3``), where a
record's own bad byte is reported at its line and column.  The position is now
computed by one function (:func:`sortext.files.bytepos.line_column`) for every
reader; lines end at ``\\n``, ``\\r\\n`` or a lone ``\\r``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.errors import UsageError
from sortext.files.bytepos import line_column
from sortext.io.foreign import read_note
from sortext.io.spreadsheet import read_table


def test_a_latin1_csv_cell_is_reported_at_its_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "clients.csv"
    path.write_bytes(b"Client;Email\r\nJos\xe9 M\xfcller;jose@example.com\r\n")
    with pytest.raises(UsageError) as caught:
        read_table(path)
    assert str(caught.value).startswith(f"{path}:2:4: not UTF-8 (byte 0xe9 at byte offset 17)")


def test_a_utf16_file_cut_short_is_reported_at_its_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "clients.csv"
    path.write_bytes("\ufeffClient\tEmail\nAnn\tann@example.com\n".encode("utf-16-le") + b"x")
    with pytest.raises(UsageError) as caught:
        read_table(path)
    assert str(caught.value).startswith(f"{path}:3:1: not utf-16-le")


def test_a_note_that_is_not_utf8_is_reported_at_its_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "Gil Park.md"
    path.write_bytes(b"# Gil\n\nCaf\xe9 talk\n")
    note = read_note(path, "Gil Park.md")
    assert note.problem is not None
    assert note.problem.startswith("Gil Park.md:3:4: not UTF-8 at byte 10")


CELL = st.text(alphabet=st.sampled_from([*"ab é€;,", "\u05d0", "\U0001f600"]), max_size=6)
ENDS = st.sampled_from(["\n", "\r\n", "\r"])


@settings(max_examples=200, deadline=None)
@given(
    before=st.lists(st.tuples(CELL, CELL), max_size=4),
    head=CELL,
    tail=CELL,
    end=ENDS,
    bom=st.booleans(),
)
def test_the_reported_position_is_where_an_editor_shows_the_bad_byte(
    tmp_path_factory: pytest.TempPathFactory,
    before: list[tuple[str, str]],
    head: str,
    tail: str,
    end: str,
    bom: bool,
) -> None:
    # UTF-8 rows, then a row with one Latin-1 byte (0xe9) after ``head``
    rows = ['"Client";"Email"', *(f'"{a}";"{b}"' for a, b in before)]
    good = end.join(rows) + end + '"' + head
    raw = (b"\xef\xbb\xbf" if bom else b"") + good.encode() + b"\xe9" + tail.encode() + b'";x'
    lines = good.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    expected = (len(lines), len(lines[-1]) + 1)
    offset = raw.index(b"\xe9")
    assert line_column(raw, offset) == expected
    path = tmp_path_factory.mktemp("csv") / "export.csv"
    path.write_bytes(raw)
    with pytest.raises(UsageError) as caught:
        read_table(path)
    assert str(caught.value).startswith(f"{path}:{expected[0]}:{expected[1]}: not UTF-8")


# -- control characters in a cell --------------------------------------------------------
#
# A CSV cell holding an ESC sequence, a NUL or a C1 control was taken into the plan
# ("new: clients/ann-2j-bee-x.md") and refused only when the record was written,
# at a line and column of a record that does not exist ("clients/ann-2j-bee-x.md:15:14:
# NUL byte ...").  The cell is now refused where it is (row and column); intake,
# which never loses a respondent over one cell, keeps it in the notes with the
# control characters as escapes (as near to written as a record can hold).

MAP = "source: form\nmatch: email\nfields:\n  name: Client\n  email: Email\nnotes: [Why]\n"
CONTROLS = st.sampled_from(["\x00", "\x1b[2J", "\x1b]0;t\x07", "\x7f", "\x85", "\x9b31m", "\x0c"])


def _csv(tmp: Path, name: str, why: str) -> tuple[Path, Path]:
    import csv

    path = tmp / "form.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["Client", "Email", "Why"])
        writer.writerow([name, "ann@example.com", why])
    (tmp / "map.yaml").write_text(MAP, encoding="utf-8")
    return path, tmp / "map.yaml"


def _plan(tmp: Path, name: str, why: str, intake: bool) -> Any:
    from sortext.io.fieldmap import load_map
    from sortext.io.importer import plan_import
    from sortext.repo import open_repository
    from tests.conftest import sample_records

    root = sample_records(tmp / "records")
    path, fmap = _csv(tmp, name, why)
    repo = open_repository(root)
    return plan_import(repo, read_table(path).rows, load_map(fmap), "form", intake=intake)


@settings(max_examples=15, deadline=None)
@given(control=CONTROLS, where=st.sampled_from(["Client", "Why"]))
def test_a_control_character_in_a_cell_is_refused_at_its_row_and_column(
    tmp_path_factory: pytest.TempPathFactory, control: str, where: str
) -> None:
    name, why = (
        ("Ann" + control + " Bee", "sleep") if where == "Client" else ("Ann Bee", f"x{control}y")
    )
    plan = _plan(tmp_path_factory.mktemp("ctl"), name, why, intake=False)
    assert [(p.row, p.column) for p in plan.problems] == [(2, where)]
    assert "control character U+" in plan.problems[0].message
    assert not plan.records


@settings(max_examples=15, deadline=None)
@given(control=CONTROLS)
def test_intake_keeps_an_answer_with_control_characters_as_escapes(
    tmp_path_factory: pytest.TempPathFactory, control: str
) -> None:
    plan = _plan(tmp_path_factory.mktemp("ctl"), "Ann Bee", f"Stress{control}sleep", intake=True)
    assert not plan.problems
    (record,) = plan.records
    ((column, text),) = record.notes
    assert column == "Why" and text.startswith("Stress\\") and text.endswith("sleep")
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", text)
    assert any("control characters kept as escapes" in r for r in record.remarks)
