"""One watcher save parses and validates the saved version once.

The pipeline validates the bytes it read; the index, the pages and the commit
message reuse that result instead of reading and parsing the file again.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import sortext.check.load as load
import sortext.store.index as index_module
from sortext.daemon.events import Change
from sortext.daemon.pipeline import Pipeline
from sortext.daemon.renderer import PagesRenderer
from sortext.repo import open_repository
from sortext.vcs.commit import GitRepo
from tests.conftest import git

TODAY = dt.date(2026, 3, 2)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Counter[bytes]:
    """Every parse_record call, counted by the bytes it parsed."""
    calls: Counter[bytes] = Counter()
    real = load.parse_record

    def counting(raw: bytes, display: str, validator: Any) -> load.LoadResult:
        calls[raw] += 1
        return real(raw, display, validator)

    monkeypatch.setattr(load, "parse_record", counting)
    monkeypatch.setattr(index_module, "parse_record", counting)
    return calls


def _pipeline(root: Path) -> Pipeline:
    repo = open_repository(root)
    pipeline = Pipeline(repo, GitRepo.open(root), PagesRenderer(), lambda: TODAY)
    pipeline.start()
    return pipeline


def test_one_save_parses_the_new_version_once(records_repo: Path, counted: Counter[bytes]) -> None:
    pipeline = _pipeline(records_repo)
    path = records_repo / "clients" / "amara-okafor.md"
    old = path.read_bytes()
    new = old.replace(b"7946 0312", b"7946 0001", 1)
    assert new != old
    path.write_bytes(new)
    counted.clear()

    result = pipeline.settle([Change(path, "record")])

    assert result.commit is not None, result
    assert counted[new] == 1
    assert "phone" in (result.message or "")
    assert git(records_repo, "show", "HEAD:clients/amara-okafor.md").encode() == new
    page = (records_repo / "site" / "clients" / "amara-okafor.html").read_text("utf-8")
    assert "+44 20 7946 0001" in page


def test_a_file_changed_after_the_read_is_parsed_from_disk(
    records_repo: Path, counted: Counter[bytes]
) -> None:
    """The index reuses a result only for the bytes it was computed from."""
    pipeline = _pipeline(records_repo)
    path = records_repo / "clients" / "amara-okafor.md"
    read = path.read_bytes().replace(b"7946 0312", b"7946 0002", 1)
    later = read.replace(b"0002", b"0003")
    stale = {"clients/amara-okafor.md": (read, load.parse_record(read, "x", pipeline.validator))}
    path.write_bytes(later)
    counted.clear()

    PagesRenderer().update(pipeline.repo, [path], TODAY, stale)

    assert counted[later] == 1
    page = (records_repo / "site" / "clients" / "amara-okafor.html").read_text("utf-8")
    assert "+44 20 7946 0003" in page
