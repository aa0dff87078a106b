"""Helpers for the export-then-import round trip tests (tests/test_roundtrip9.py,
tests/test_breakquality9.py): values put into a sample record, the shipped maps, the
round trip that must change no record file, a fresh copy of the samples, and the
round trip as a property test."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.conftest import PROJECT_ROOT, git

#: The shipped map that imports each export format back.
MAPS = {
    "csv": PROJECT_ROOT / "docs" / "maps" / "sortext-export.yaml",
    "json": PROJECT_ROOT / "docs" / "maps" / "sortext-json.yaml",
}
#: The record the values go into.
RECORD = "amara-okafor.md"


def put_values(root: Path, company: str, what: str, cli: Callable[..., Result]) -> bool:
    """Write ``company`` and ``next_action.what`` into amara-okafor and commit;
    False when ``check`` refuses the record (then there is nothing to round-trip)."""
    record = root / "clients" / RECORD
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


def roundtrip(root: Path, fmt: str, cli: Callable[..., Result], *why: object) -> Result:
    """Export ``fmt``, import it back with the shipped map, every conflict accepted;
    fails the test (saying ``why`` and the import's output) if a record file changed.
    Returns the import's result."""
    before = {p.name: p.read_bytes() for p in (root / "clients").glob("*.md")}
    out = root.parent / f"clients.{fmt}"
    result = cli("export", fmt, "--out", str(out), "--repo", str(root))
    assert result.exit_code == 0, result.output
    result = cli(
        "import", str(out), "--map", str(MAPS[fmt]), "--accept", "theirs", "--repo", str(root)
    )
    assert result.exit_code == 0, result.output
    after = {p.name: p.read_bytes() for p in (root / "clients").glob("*.md")}
    assert after == before, (*why, result.output)
    return result


def import_companies(root: Path, sheet: Path, text: str, cli: Callable[..., Result]) -> Result:
    """Import the CSV ``text`` (written to ``sheet``) with a map matching records by id
    and setting their company, every conflict accepted; the import must succeed."""
    sheet.write_text(text, encoding="utf-8")
    fmap = sheet.parent / "m.yaml"
    fmap.write_text("match: id\nfields:\n  id: id\n  company: company\n", encoding="utf-8")
    result = cli(
        "import", str(sheet), "--map", str(fmap), "--accept", "theirs", "--repo", str(root)
    )
    assert result.exit_code == 0, result.output
    return result


def copy_of(base: Path, tmp_path_factory: pytest.TempPathFactory, name: str = "case") -> Path:
    """A fresh copy of ``base`` (one hypothesis example's records)."""
    root = tmp_path_factory.mktemp(name) / "records"
    shutil.copytree(base, root)
    return root


def roundtrip_property(
    values: st.SearchStrategy[str], examples: int, refused: str
) -> Callable[..., None]:
    """A property test: a copy of the samples (the ``sample_base`` fixture) with two
    values drawn from ``values`` put into a record (:func:`put_values`), exported as
    CSV or JSON and imported back changes no record file (:func:`roundtrip`).  A
    record ``check`` refuses is, by ``refused``: "skip" (not an example) or "fail"."""

    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(data=st.data())
    def test(
        data: st.DataObject,
        sample_base: Path,
        tmp_path_factory: pytest.TempPathFactory,
        cli: Callable[..., Result],
    ) -> None:
        root = copy_of(sample_base, tmp_path_factory)
        fmt = data.draw(st.sampled_from(["csv", "json"]))
        company, what = data.draw(values), data.draw(values)
        if refused == "skip":
            assume(put_values(root, company, what, cli))
        else:
            assert put_values(root, company, what, cli), (company, what)
        roundtrip(root, fmt, cli, company, what)

    return test
