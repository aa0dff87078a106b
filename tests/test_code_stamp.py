"""Derived stores are keyed by the build of sortext, not by its version alone.

Found (breakcold10): kept assessments worded by older code ("1 days") were read after
the wording was fixed, because their key held the version number, which stays the
same from one commit to the next: a user who installs from a clone, pulls and
installs again, or runs a source tree, got what the old code had worked out (the
assessments until midnight; a validated configuration, the weekly summary and the
configured exports until something else changed).  Every such key now holds
:func:`sortext.files.codestamp.code_stamp`.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

from sortext.files import codestamp
from tests.conftest import PROJECT_ROOT
from tests.test_query_recall import _dated
from tests.test_recall_source_tree import _edit, _run

AT_RISK = ["list", "--at-risk", "--today", "2026-11-23"]

#: where the version number may be read: the package itself, the stamp, the CLI's
#: --version, and keys that hash the code itself besides it (the history store hashes
#: its modules' sources; compiled templates depend on the template text, which Jinja
#: checks, and on render.py, which the key hashes)
VERSION_READERS = {
    "sortext/__init__.py",
    "sortext/files/codestamp.py",
    "sortext/vcs/history.py",
    "sortext/pages/render.py",
}


def test_only_the_stamp_reads_the_version_for_a_key() -> None:
    found = []
    for path in sorted((PROJECT_ROOT / "sortext").rglob("*.py")):
        rel = path.relative_to(PROJECT_ROOT).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            name = node.id if isinstance(node, ast.Name) else None
            if isinstance(node, ast.Attribute):
                name = node.attr
            if name == "__version__" and rel not in VERSION_READERS:
                assert isinstance(node, ast.Name | ast.Attribute)
                found.append(f"{rel}:{node.lineno}")
    assert not found, "key derived data with files.codestamp.code_stamp():\n" + "\n".join(found)


def test_a_new_build_changes_every_key(monkeypatch: pytest.MonkeyPatch) -> None:
    import datetime as dt

    from sortext.repo import open_repository
    from sortext.schema.config import _cache_key
    from sortext.schema.effective import schema_fingerprint
    from sortext.store.board import rules_key

    config = open_repository(PROJECT_ROOT).config
    day = dt.date(2026, 11, 23)

    def keys() -> tuple[str, str, str]:
        return _cache_key("f" * 64), schema_fingerprint(config), rules_key(day, config)

    monkeypatch.setattr(codestamp, "_STAMP", "0.1.0:1:2:3:4")
    first = keys()
    monkeypatch.setattr(codestamp, "_STAMP", "0.1.0:1:2:3:5")
    second = keys()
    assert all(a != b for a, b in zip(first, second, strict=True)), (first, second)


def test_kept_assessments_are_worked_out_again_by_edited_code(
    records_repo: Path, tmp_path: Path
) -> None:
    """A source tree whose wording changes: ``list --at-risk`` reads the assessments
    the index keeps, and must not print what the old code wrote there."""
    source = tmp_path / "src"
    shutil.copytree(
        PROJECT_ROOT / "sortext", source / "sortext", ignore=shutil.ignore_patterns("__pycache__")
    )
    root = _dated(records_repo)
    before = _run(root, source, AT_RISK)
    assert b"overdue by" in before, before
    _edit(source / "sortext/rules/findings.py", 'f"overdue by {', 'f"late by {')
    after = _run(root, source, AT_RISK)
    assert b"overdue by" not in after and b"late by" in after, after
