"""A map that does not fit the file is an error, not a new client (issue 13, item 2).

The old Pipedrive map named ``Person - Email``; real exports split it by label
(``Person - Email - Work``), so every row matched no client and ``--apply``
created ``ben-marsh-2.md`` with exit 0.  Every column a map names is now
checked against the header before planning."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.errors import UsageError
from sortext.io.fieldmap import FieldMap, FieldSpec, check_columns, load_map, missing_columns
from sortext.io.spreadsheet import Row
from tests.test_import import DATA, MAPS, run, snapshot

OLD_PIPEDRIVE = """source: pipedrive
match: email
fields:
  name: Person - Name
  email: Person - Email
  phone: Person - Phone
"""


def test_old_map_on_label_split_export_stops_before_planning(
    cli: Callable[..., Result], records_repo: Path, tmp_path: Path
) -> None:
    fmap = tmp_path / "old.yaml"
    fmap.write_text(OLD_PIPEDRIVE, encoding="utf-8")
    before = snapshot(records_repo)
    args = ("import", str(DATA / "pipedrive-persons.csv"), "--map", str(fmap), "--apply")
    result = run(cli, records_repo, *args)
    assert result.exit_code == 2, result.output
    assert "email: 'Person - Email' (did you mean 'Person - Email - Work'?)" in result.output
    assert "phone: 'Person - Phone'" in result.output
    assert "the file's columns: 'Person - ID', 'Person - Name'" in result.output
    assert snapshot(records_repo) == before  # nothing created: no ben-marsh-2.md
    assert "new" not in result.output.split("columns")[0]


def test_intake_with_a_map_checks_columns_too(
    cli: Callable[..., Result], records_repo: Path, tmp_path: Path
) -> None:
    fmap = tmp_path / "form.yaml"
    fmap.write_text(
        "match: email\nfields:\n  name: Full name\n  email: Email Adress\nnotes: [Goals]\n",
        encoding="utf-8",
    )
    form = tmp_path / "form.csv"
    form.write_text("Full name,Email Address,Goals\nZoe Ng,zoe@example.org,Run\n", "utf-8")
    result = run(cli, records_repo, "intake", str(form), "--map", str(fmap))
    assert result.exit_code == 2, result.output
    assert "did you mean 'Email Address'" in result.output


def test_alternatives_are_satisfied_by_any_one() -> None:
    fmap = load_map(MAPS / "pipedrive-persons.yaml")
    header = (DATA / "pipedrive-persons.csv").read_text("utf-8").splitlines()[0].split(",")
    assert missing_columns(fmap, header) == []
    fmap = load_map(MAPS / "pipedrive-deals.yaml")
    for sample in ("pipedrive-deals.csv", "pipedrive-deals-labels.csv"):
        header = (DATA / sample).read_text("utf-8").splitlines()[0].split(",")
        assert missing_columns(fmap, header) == [], sample


def test_template_columns_and_json_paths() -> None:
    fmap = FieldMap(
        fields=(
            FieldSpec(("name",), template="{First} {Last}"),
            FieldSpec(("email",), column="contact.email"),
        )
    )
    rows = [Row(1, {"First": "A", "contact": {"email": "a@b.org"}})]
    assert missing_columns(fmap, ["First", "contact"], rows) == [("name", ("Last",))]
    with pytest.raises(UsageError, match="name: 'Last'"):
        check_columns(fmap, ["First", "contact"], rows, "x.json")


_names = st.text(alphabet="abcdef -", min_size=1, max_size=6)


@settings(max_examples=200, deadline=None)
@given(
    header=st.lists(_names, unique=True, max_size=6),
    specs=st.lists(st.lists(_names, min_size=1, max_size=3), min_size=1, max_size=4),
)
def test_property_missing_iff_no_alternative_in_header(
    header: list[str], specs: list[list[str]]
) -> None:
    """A field is reported exactly when none of its columns is in the header."""
    fmap = FieldMap(
        fields=tuple(
            FieldSpec(("custom", f"f{i}"), column=names[0], alternatives=tuple(names[1:]))
            for i, names in enumerate(specs)
        )
    )
    reported = {what for what, _ in missing_columns(fmap, header)}
    expected = {f"custom.f{i}" for i, names in enumerate(specs) if not set(names) & set(header)}
    assert reported == expected
    if expected:
        with pytest.raises(UsageError, match="the file's columns"):
            check_columns(fmap, header, [], "f.csv")
    else:
        check_columns(fmap, header, [], "f.csv")
