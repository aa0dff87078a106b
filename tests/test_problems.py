"""One problem type: every reader returns a Diagnostic, moved to the file by an offset."""

from __future__ import annotations

import ast
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from sortext.check.load import parse_record
from sortext.record.diagnostics import Diagnostic, problem
from sortext.record.source import decode, read_bytes
from sortext.record.split import split
from sortext.record.yamlread import load_fast, load_round_trip
from sortext.schema.validate import RecordValidator

PACKAGE = Path(__file__).resolve().parent.parent / "sortext"


def test_every_reader_returns_the_one_type(tmp_path: Path) -> None:
    found = [
        read_bytes(str(tmp_path)),  # a folder
        read_bytes(str(tmp_path / "gone.md")),
        decode(b"\xff\xfeh\x00i\x00"),
        decode(b"---\nname: Ada Br\xf6ok\n---\n"),
        split(""),
        split("name: x\n"),
        load_fast("a: [1, 2\n"),
        load_fast("a: 1\na: 2\n"),
        load_round_trip("a: 1\na: 2\n"),
    ]
    for item in found:
        assert type(item) is Diagnostic, item
        assert item.path == "" and item.line >= 1 and item.column >= 1 and item.message


def test_a_decode_problem_carries_its_line() -> None:
    found = decode(b"---\nname: Ada Br\xf6ok\n---\n")
    assert isinstance(found, Diagnostic)
    assert (found.line, found.column) == (2, 13)
    assert found.source_line is not None and found.source_line.startswith("name: Ada Br")
    assert found.field == ""


@given(
    line=st.integers(1, 500),
    column=st.integers(1, 200),
    offset=st.integers(0, 500),
    file_lines=st.lists(st.text(alphabet="abc: -#", max_size=20), max_size=600),
)
def test_shifted_then_placed_points_at_the_file_line(
    line: int, column: int, offset: int, file_lines: list[str]
) -> None:
    found = problem("bad", line, column, "stage").shifted(offset).placed("clients/a.md", file_lines)
    assert (found.path, found.line, found.column, found.field) == (
        "clients/a.md",
        line + offset,
        column,
        "stage",
    )
    expected = file_lines[line + offset - 1] if line + offset <= len(file_lines) else None
    assert found.source_line == expected


def test_placed_keeps_a_source_line_it_already_has() -> None:
    found = problem("x", 1, 1, source_line="raw bytes shown").placed("a.md", ["other"])
    assert found.source_line == "raw bytes shown"


_VALIDATOR: list[RecordValidator] = []


def _validator() -> RecordValidator:
    if not _VALIDATOR:
        from sortext.repo import open_repository

        _VALIDATOR.append(RecordValidator(open_repository(PACKAGE.parent).config))
    return _VALIDATOR[0]


@given(before=st.integers(0, 30), bad=st.sampled_from(["a: [1, 2", "a: 1\na: 2", "\ta: 1"]))
def test_a_yaml_problem_is_reported_at_its_line_in_the_file(before: int, bad: str) -> None:
    fields = "".join(f"k{i}: {i}\n" for i in range(before))
    text = f"---\n{fields}{bad}\n---\nnotes\n"
    alone = load_fast(f"{fields}{bad}\n")
    assert isinstance(alone, Diagnostic)
    result = parse_record(text.encode(), "clients/a.md", _validator())
    assert result.record is None
    (diag,) = result.diagnostics
    assert (diag.path, diag.line, diag.column) == ("clients/a.md", alone.line + 1, alone.column)
    assert diag.source_line == text.split("\n")[diag.line - 1]


@given(comments=st.integers(0, 20))
def test_a_schema_problem_is_located_on_its_line_in_the_file(comments: int) -> None:
    """A data-path Problem becomes a Diagnostic at the key's line, counted in the file."""
    top = "".join(f"# note {i}\n" for i in range(comments))
    text = f"---\n{top}id: amara-okafor\nname: Amara Okafor\nstage: dreaming\n---\n"
    result = parse_record(text.encode(), "clients/amara-okafor.md", _validator())
    stage = [d for d in result.diagnostics if d.field == "stage"]
    assert stage, result.diagnostics
    line = text.split("\n").index("stage: dreaming") + 1
    assert (stage[0].path, stage[0].line, stage[0].source_line) == (
        "clients/amara-okafor.md",
        line,
        "stage: dreaming",
    )


def test_the_record_layer_has_no_other_problem_class() -> None:
    names = {
        node.name
        for path in (PACKAGE / "record").glob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ClassDef) and "Problem" in node.name
    }
    assert names == set()
