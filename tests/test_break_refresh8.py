"""Break-tests of the watcher's refresh after a save (``sortext.commands.watch.
refresh_in_child`` / ``refresh_replies``, :class:`sortext.views.recall.Refresh`).

Each test holds what a query prints after the watcher's refresh to what a fresh
computation (no remembered replies) prints for the same records, arguments and
terminal, or holds the watcher's child to what a command line may do.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.dated import replace
from tests.test_query_recall import NORTHWIND
from tests.test_recall_line import _entry
from tests.test_watch_refresh import Watcher, _fresh, _line, _replayed, watched

__all__ = ["watched"]  # the fixture, used by name


def test_the_child_does_not_import_code_from_the_watchers_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``python -c`` puts the working folder first on ``sys.path``: a ``click.py`` (or
    ``sortext/``, ``yaml.py``...) in the folder ``sortext watch`` was started in (the
    records' repository, which may come from anyone) ran as the watcher's child.  The
    console script never looks there; nor may its child."""
    from sortext.commands.watch import refresh_in_child

    planted = tmp_path / "planted"
    planted.mkdir()
    ran = tmp_path / "ran.txt"
    (planted / "click.py").write_text(
        f"import pathlib\npathlib.Path({str(ran)!r}).write_text('planted')\n"
        "raise ImportError('planted click')\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(planted)
    assert refresh_in_child(planted, lambda: False) == 0
    assert not ran.exists()
