"""``sortext export json`` writes each record's front matter as it is, so a field no
record holds is no key of the file.  The shipped ``docs/maps/sortext-json.yaml``
reads it back: a practice where nobody has a phone or a company (a new one, made
with ``sortext init`` and ``sortext new``) must read its own export back too (the map
named ``company`` and ``phone`` as required columns, and the import stopped with
"the map names columns this file does not have").  Fields the map marks
``optional: true`` may be absent from the file."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import PROJECT_ROOT, SAMPLE_TODAY, git

JSON_MAP = PROJECT_ROOT / "docs" / "maps" / "sortext-json.yaml"
#: keys the shipped map reads that a record may lack (name, stage, id are always there)
SPARSE = ("email", "company", "phone", "owner", "next_action")


def test_a_new_practice_reads_its_own_json_export_back(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    root = tmp_path / "practice"
    assert cli("init", str(root)).exit_code == 0
    repo = ("--repo", str(root))
    assert cli("new", "Ada Lovelace", "--today", SAMPLE_TODAY, *repo).exit_code == 0
    git(root, "add", "-A")
    git(root, "commit", "--quiet", "--no-verify", "-m", "ada")
    out = tmp_path / "clients.json"
    assert cli("export", "json", "--out", str(out), *repo).exit_code == 0
    assert "phone" not in out.read_text(encoding="utf-8")
    before = (root / "clients" / "ada-lovelace.md").read_bytes()
    done = cli("import", str(out), "--map", str(JSON_MAP), "--today", SAMPLE_TODAY, *repo)
    assert done.exit_code == 0, done.output
    assert "1 row: 0 records to update, 0 new, 0 conflicts, 0 unreadable rows" in done.output
    assert (root / "clients" / "ada-lovelace.md").read_bytes() == before


def test_a_required_column_is_still_required(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    """``optional`` is per field: a map column without it that the file lacks stops
    the import as before."""
    fmap = records_repo.parent / "strict.yaml"
    fmap.write_text(
        "format: json\nmatch: id\nfields:\n  id: id\n  phone: telephone\n"
        "  company: {column: firm, optional: true}\n",
        encoding="utf-8",
    )
    data = records_repo.parent / "x.json"
    data.write_text('[{"id": "amara-okafor"}]', encoding="utf-8")
    done = cli("import", str(data), "--map", str(fmap), "--repo", str(records_repo))
    assert done.exit_code == 2, done.output
    assert "phone: 'telephone'" in done.output and "firm" not in done.output


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(dropped=st.sets(st.sampled_from(SPARSE)))
def test_any_sparse_json_export_reads_back_without_change(
    cli: Callable[..., Result], records_repo: Path, dropped: set[str]
) -> None:
    """Whatever optional fields no record holds, the export reads back and changes
    nothing (the keys are taken out of the sample export; empty cells are skipped)."""
    rows = json.loads((PROJECT_ROOT / "tests" / "data" / "sortext-export.json").read_text())
    for row in rows:
        for key in dropped:
            row.pop(key, None)
    data = records_repo.parent / "sparse.json"
    data.write_text(json.dumps(rows), encoding="utf-8")
    done = cli(
        "import", str(data), "--map", str(JSON_MAP), "--dry-run", "--repo", str(records_repo)
    )
    assert done.exit_code == 0, done.output
    assert f"{len(rows)} rows: 0 records to update, 0 new, 0 conflicts" in done.output
