"""A cell holding only NEL (U+0085) or another control character that
``str.strip`` takes for whitespace is refused, not read as blank.

Found in review: the CSV reader trimmed each cell with ``str.strip`` before
the control-character check, so a cell of U+0085 (a C1 control), VT, FF or the
separators U+001C-U+001F became empty without a word (and ``Ann<NEL>`` became
``Ann``).  Only blanks are trimmed now (:data:`sortext.io.spreadsheet.BLANKS`);
a control character stays in the cell and the cell is refused at its place.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.io.fieldmap import FieldSpec, map_fields
from sortext.io.spreadsheet import read_table

#: the characters ``sortext check`` refuses in a record
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_WHITESPACE = [chr(i) for i in range(sys.maxunicode + 1) if chr(i).isspace()]
_CONTROL_SPACES = [c for c in _WHITESPACE if _CONTROL.match(c) and c != "\r"]
_NAME = FieldSpec(("name",), column="Name")
_FULL = FieldSpec(("name",), template="{Name} {Other}")


def test_blanks_are_the_whitespace_that_is_not_a_control_character() -> None:
    from sortext.io.spreadsheet import BLANKS

    # (CR is a line break: a cell's CR is written as LF, never refused)
    assert set(BLANKS) == {c for c in _WHITESPACE if c == "\r" or not _CONTROL.match(c)}
    assert "\x85" in _CONTROL_SPACES and "\x1c" in _CONTROL_SPACES


@settings(max_examples=60, deadline=None)
@given(
    char=st.sampled_from(_CONTROL_SPACES),
    before=st.sampled_from(["", "Ann", " ", "Ann "]),
    after=st.sampled_from(["", " ", "\u00a0"]),
    spec=st.sampled_from([_NAME, _FULL]),
)
def test_a_control_that_strip_takes_for_space_is_refused_at_its_cell(
    tmp_path_factory: object, char: str, before: str, after: str, spec: FieldSpec
) -> None:
    path = Path(str(tmp_path_factory.mktemp("csv"))) / "c.csv"  # type: ignore[attr-defined]
    path.write_text(f"Email,Name,Other\r\na@example.org,{before}{char}{after},x\r\n", "utf-8")
    (row,) = read_table(path).rows
    values, problems = map_fields((spec,), row)
    assert values == {}
    (problem,) = problems
    assert problem.text().startswith(f"{path}:2:15: ")
    assert f"holds the control character U+{ord(char):04X}" in problem.message


@settings(max_examples=30, deadline=None)
@given(blank=st.text(alphabet=" \t\xa0\u2000\u200a\u202f\u3000\u2028", min_size=1))
def test_a_cell_of_spaces_is_blank(tmp_path_factory: object, blank: str) -> None:
    path = Path(str(tmp_path_factory.mktemp("csv"))) / "c.csv"  # type: ignore[attr-defined]
    path.write_text(f"Email,Name\r\na@example.org,{blank}\r\n", "utf-8")
    (row,) = read_table(path).rows
    assert map_fields((_NAME,), row) == ({}, [])
