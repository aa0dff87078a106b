"""Configured exports read the index and are rendered only when what they hold changed.

The class: any sequence of saves (valid, broken, deleted, new) and day
changes.  After each, the export files must hold exactly what rendering the
records parsed one by one gives (the way exports were made before the index
was used: invalid records that parse are exported as they are now), and a
call with nothing changed must not render anything.
"""

from __future__ import annotations

import datetime as dt
import random
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.gen_pages import client_text, generate_repo
from sortext.io import export
from sortext.repo import Repository, open_repository
from tests.test_view_fast import stats

__all__ = ["stats"]  # the fixture, used by name

DAY = dt.date(2026, 11, 23)
EXPORTS = "\nexports:\n  out/clients.csv: csv\n  out/clients.json: json\n  out/cal.ics: ics\n"


def _parsed_one_by_one(repo: Repository) -> list[dict[str, Any]]:
    from sortext.check.load import load_record
    from sortext.schema.validate import RecordValidator

    validator = RecordValidator(repo.config)
    found = []
    for path in repo.record_paths():
        result = load_record(str(path), repo.relative(path), validator)
        if result.record is not None:
            found.append(result.record.data)
    return sorted(found, key=lambda d: str(d.get("id")))


def _expected(repo: Repository, today: dt.date) -> dict[str, str]:
    records = _parsed_one_by_one(repo)
    return {
        "clients.csv": export.to_csv(records, today),
        "clients.json": export.to_json(records),
        "cal.ics": _no_sequence(export.to_ics(records, None, repo.config.raw.get("timezone"))),
    }


def _written(root: Path) -> dict[str, str]:
    return {p.name: _no_sequence(p.read_bytes().decode("utf-8")) for p in (root / "out").iterdir()}


def _no_sequence(text: str) -> str:
    """The calendar without SEQUENCE (it counts changes across exports: state, not content)."""
    return "".join(line for line in text.splitlines(True) if not line.startswith("SEQUENCE:"))


def _repo(base: Path) -> Path:
    root = generate_repo(8, base / "r")
    (root / "sortext.yaml").write_text((root / "sortext.yaml").read_text() + EXPORTS)
    return root


def test_nothing_changed_renders_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _repo(tmp_path)
    repo = open_repository(root)
    assert len(export.write_configured_exports(repo, DAY)) == 3
    assert _written(root) == _expected(repo, DAY)
    renders: list[str] = []
    real = export.render

    def counting(*args: Any, **kwargs: Any) -> str:
        renders.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(export, "render", counting)
    assert export.write_configured_exports(repo, DAY) == []
    assert renders == []  # nothing parsed, nothing rendered
    export.write_configured_exports(repo, DAY + dt.timedelta(days=1))
    assert renders == ["csv"]  # the day changes the ages in the CSV only
    (root / "out" / "cal.ics").unlink()
    export.write_configured_exports(repo, DAY + dt.timedelta(days=1))
    assert renders == ["csv", "ics"]


ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["write", "break", "delete", "day"]),
        st.integers(min_value=0, max_value=9),
        st.integers(min_value=0, max_value=1000),
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=15, deadline=None)
@given(actions=ACTIONS)
def test_exports_equal_the_records_parsed_one_by_one(actions: list[tuple[str, int, int]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = _repo(Path(tmp))
        today = DAY
        for action, i, seed in actions:
            path = root / "clients" / f"client-{i:05d}.md"
            if action == "day":
                today = today + dt.timedelta(days=seed % 40)
            elif action == "delete":
                path.unlink(missing_ok=True)
            elif action == "break" and path.exists():  # parses, fails the schema
                text = path.read_text(encoding="utf-8")
                path.write_text(text.replace("stage:", "stage: nowhere\nold_stage:", 1))
            elif action == "write":
                path.write_text(client_text(seed, random.Random(seed)), encoding="utf-8")
            repo = open_repository(root)
            export.write_configured_exports(repo, today)
            assert _written(root) == _expected(repo, today), actions


# -- erased.yaml: read once for an export (RecordValidator.one_pass) ---------------------


def _erase(root: Path, record_id: str, email: str) -> None:
    from sortext.record import tombstone

    stones = tombstone.load(root)
    stones.add(record_id, [email], DAY, "request")
    (root / tombstone.FILE_NAME).write_text(stones.dumps(), encoding="utf-8")


def _ids(root: Path) -> list[str]:
    import json

    return [r["id"] for r in json.loads((root / "out" / "clients.json").read_text())]


def _email_of(path: Path) -> str:
    """The record's ``email:`` value, as the file spells it."""
    return next(
        line.split(":", 1)[1].strip()
        for line in path.read_text().splitlines()
        if line.startswith("email:")
    )


def test_an_export_stats_erased_yaml_once_and_still_sees_each_erase(
    tmp_path: Path, stats: list[str]
) -> None:
    import os

    from sortext.record import tombstone
    from sortext.store.index import Index

    root = _repo(tmp_path)
    broken = root / "clients" / "client-00001.md"  # stale in the index: loaded again
    broken.write_text(broken.read_text().replace("stage:", "stage: nowhere\nold_stage:", 1))
    victim = open_repository(root).record_path("client-00002")
    _erase(root, "client-00002", _email_of(victim))
    repo = open_repository(root)
    records = export.load_records(repo)
    stats.clear()  # the index's refresh is its own pass; the export's pass is what counts
    with Index.open(repo) as index:
        found = export._records_from(repo, index)
    assert [p for p in stats if p.endswith(tombstone.FILE_NAME)] == [
        os.path.join(str(root), tombstone.FILE_NAME)
    ]
    assert [r["id"] for r in found] == [r["id"] for r in records]
    assert "client-00002" not in [r["id"] for r in found]
    assert "client-00001" in [r["id"] for r in found]  # invalid but parses: exported
    # behaviour as before: an erase made between two exports is seen by the next one
    export.write_configured_exports(repo, DAY)
    assert "client-00003" in _ids(root)
    victim = repo.record_path("client-00003")
    _erase(root, "client-00003", _email_of(victim))
    victim.write_text(victim.read_text() + "\n")  # the records changed: export again
    export.write_configured_exports(open_repository(root), DAY)
    assert "client-00003" not in _ids(root)
