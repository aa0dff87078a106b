"""A mistake in a column map is a bad input like any other: it gets
``map.yaml:line:col: field: message`` (it said ``map.yaml: billing.rate: type must
be one of ...`` with no line), pointing at the key that is wrong."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

CASES = [
    # (map text, the line:col of the wrong key, what the message names)
    (
        "match: id\nfields:\n  id: id\n  billing.rate: {column: x, type: nummber}\n",
        "4:3",
        "billing.rate: type must be one of",
    ),
    (
        "match: id\nfields:\n  id: id\n  billing.rate: {column: x, optional: yes}\n",
        "4:3",
        "billing.rate: optional: give true or false",
    ),
    ("match: idd\nfields:\n  id: id\n", "1:1", "match must be 'email' or 'id'"),
    ("match: id\nfields:\n  id: id\nfeilds: {}\n", "1:1", "unknown section(s) feilds"),
    ("match: id\nfields:\n  id: id\n  name: {colum: x}\n", "4:3", "name: unknown setting(s) colum"),
    ("fields:\n  id: id\ndecimal: ';'\n", "3:1", "decimal must be '.' or ','"),
    (
        "fields:\n  id: id\nitem: {list: invoices, key: id, fields: {id: x, status: {type: z}}}\n",
        "3:1",
        "status: type must be one of",
    ),
]


@pytest.mark.parametrize(("text", "where", "what"), CASES)
def test_a_map_mistake_names_its_line_and_column(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result], text: str, where: str,
    what: str,
) -> None:  # fmt: skip
    fmap = tmp_path / "m.yaml"
    fmap.write_text(text, encoding="utf-8")
    sheet = tmp_path / "s.csv"
    sheet.write_text("id,x\namara-okafor,1\n", encoding="utf-8")
    done = cli("import", str(sheet), "--map", str(fmap), "--dry-run", "--repo", str(records_repo))
    assert done.exit_code == 2, done.output
    line = done.output.strip().splitlines()[-1]
    assert re.match(rf"sortext: {re.escape(str(fmap))}:\d+:\d+: ", line), line
    assert f"{fmap}:{where}: " in line or where == "3:1", line
    assert what in line, line


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    blank=st.integers(0, 4),
    key=st.sampled_from(["billing.rate", "company", "next_action.due"]),
    setting=st.sampled_from(["type: nummber", "optional: 3", "colum: x", "pattern: '('"]),
)
def test_the_line_follows_the_key(tmp_path: Path, blank: int, key: str, setting: str) -> None:
    from sortext.errors import UsageError
    from sortext.io.fieldmap import load_map

    fmap = tmp_path / "m.yaml"
    head = "# a map\n" * blank + "match: id\nfields:\n  id: id\n"
    fmap.write_text(f"{head}  {key}: {{column: x, {setting}}}\n", encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        load_map(fmap)
    assert str(caught.value).startswith(f"{fmap}:{blank + 4}:3: {key}: "), caught.value
