"""Break-tests for quality9 / roundtrip9 (unreadable records, the practice zone,
nested clients folders, future mtimes, the export/import round trip).

Real git repositories in tmp dirs, the real commands through Click's runner, the
real watchdog observer (waiting on the settle counter, never on time)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.conftest import PROJECT_ROOT, git, sample_records

EXPORT_MAP = PROJECT_ROOT / "docs" / "maps" / "sortext-export.yaml"
JSON_MAP = PROJECT_ROOT / "docs" / "maps" / "sortext-json.yaml"

# --- export then import: values an import trims ---------------------------------


def _put_values(root: Path, company: str, what: str, cli: Callable[..., Result]) -> bool:
    """Write ``company`` and ``next_action.what`` into amara-okafor and commit;
    False when ``check`` refuses the record (then there is nothing to round-trip)."""
    record = root / "clients" / "amara-okafor.md"
    text = record.read_text(encoding="utf-8")
    text = text.replace("company: Lindqvist & Okafor Architects", f"company: {json.dumps(company)}")
    text = text.replace(
        "  what: Send session 7 prep notes and the delegation worksheet",
        f"  what: {json.dumps(what)}",
        1,
    )
    record.write_text(text, encoding="utf-8")
    if cli("check", str(record), "--repo", str(root)).exit_code != 0:
        return False
    git(root, "commit", "-qam", "values")
    return True


def _roundtrip(root: Path, fmt: str, cli: Callable[..., Result]) -> Result:
    """Export ``fmt``, import it back with the shipped map, every conflict accepted;
    fails the test if a record file changed."""
    before = {p.name: p.read_bytes() for p in (root / "clients").glob("*.md")}
    out = root.parent / f"clients.{fmt}"
    result = cli("export", fmt, "--out", str(out), "--repo", str(root))
    assert result.exit_code == 0, result.output
    mapping = EXPORT_MAP if fmt == "csv" else JSON_MAP
    result = cli("import", str(out), "--map", str(mapping), "--accept", "theirs", "--repo", str(root))
    assert result.exit_code == 0, result.output
    after = {p.name: p.read_bytes() for p in (root / "clients").glob("*.md")}
    assert after == before, result.output
    return result


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_blanks_at_the_ends_of_a_value_survive_export_then_import(
    fmt: str, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    """An import trims every cell; it used to write the trimmed value back over a
    record whose value had a blank at an end ('Acme  ' -> 'Acme', accepted)."""
    root = sample_records(tmp_path / "records")
    assert _put_values(root, "Acme  ", " send it ", cli)
    result = _roundtrip(root, fmt, cli)
    assert "0 records to update" in result.output


_BLANKS = st.text(alphabet=st.sampled_from([" ", "\u00a0", "\u3000", "\u2003"]), max_size=3)
_CORE = st.text(alphabet=st.sampled_from(["a", "1", "=", "'", " ", "+", "@", ",", ";"]), max_size=5)


@st.composite
def _padded(draw: st.DrawFn) -> str:
    return draw(_BLANKS) + draw(_CORE) + "x" + draw(_BLANKS)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_records(tmp_path_factory.mktemp("bq9") / "records")


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_property_padded_values_survive_export_then_import(
    data: st.DataObject,
    base: Path,
    tmp_path_factory: pytest.TempPathFactory,
    cli: Callable[..., Result],
) -> None:
    root = tmp_path_factory.mktemp("case") / "records"
    shutil.copytree(base, root)
    fmt = data.draw(st.sampled_from(["csv", "json"]))
    assume(_put_values(root, data.draw(_padded()), data.draw(_padded()), cli))
    _roundtrip(root, fmt, cli)


def test_a_sheet_that_changes_more_than_blanks_still_updates(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    """The trimmed comparison does not hide a real change."""
    root = sample_records(tmp_path / "records")
    assert _put_values(root, "Acme  ", "send it", cli)
    sheet = tmp_path / "s.csv"
    sheet.write_text("id,company\namara-okafor,  Acme Ltd \n", encoding="utf-8")
    fmap = tmp_path / "m.yaml"
    fmap.write_text("match: id\nfields:\n  id: id\n  company: company\n", encoding="utf-8")
    result = cli("import", str(sheet), "--map", str(fmap), "--accept", "theirs", "--repo", str(root))
    assert result.exit_code == 0, result.output
    assert 'company: "Acme Ltd"' in (root / "clients" / "amara-okafor.md").read_text("utf-8")


@pytest.mark.parametrize(
    ("fmt", "mapping", "message"),
    [
        ("json", EXPORT_MAP, "the map names columns this file does not have"),
        ("csv", JSON_MAP, "invalid JSON"),
    ],
)
def test_a_file_imported_with_the_other_format_map_is_refused_unchanged(
    fmt: str, mapping: Path, message: str, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    root = sample_records(tmp_path / "records")
    before = {p.name: p.read_bytes() for p in (root / "clients").glob("*.md")}
    out = tmp_path / f"clients.{fmt}"
    assert cli("export", fmt, "--out", str(out), "--repo", str(root)).exit_code == 0
    result = cli("import", str(out), "--map", str(mapping), "--accept", "theirs", "--repo", str(root))
    assert result.exit_code == 2 and message in result.output, result.output
    assert "Traceback" not in result.output
    assert {p.name: p.read_bytes() for p in (root / "clients").glob("*.md")} == before
