"""A remembered reply is never replayed by other code: an edit in a source tree counts.

Found: the reply key held sortext's version and the identity of its ``__init__.py``,
which an installed copy rewrites on every install; but run from a source tree (an
editable install, ``pip install -e .``, or a checkout on ``PYTHONPATH``), editing any
other module or template kept replaying the old answers.  The key now also holds the
newest change to the package's files whenever the package is not an installed copy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import PROJECT_ROOT, SAMPLE_TODAY
from tests.test_query_recall import _dated

SHOW = ["show", "amara-okafor", "--today", SAMPLE_TODAY]


def _run(root: Path, source: Path, args: list[str]) -> bytes:
    env = {k: v for k, v in os.environ.items() if k not in ("SORTEXT_TODAY", "NO_COLOR")}
    env["PYTHONPATH"] = str(source)
    done = subprocess.run(
        [sys.executable, "-m", "sortext", *args], cwd=root, env=env, capture_output=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_editing_any_module_of_a_source_tree_recomputes(records_repo: Path, tmp_path: Path) -> None:
    source = tmp_path / "src"
    shutil.copytree(
        PROJECT_ROOT / "sortext",
        source / "sortext",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    root = _dated(records_repo)
    first = [_run(root, source, SHOW) for _ in range(3)]  # the later ones replayed
    assert first[0] == first[1] == first[2]
    assert b"\nGOALS\n" in first[0]
    # a module other than __init__.py: how a heading is written
    time.sleep(0.01)  # (a new mtime even on a coarse clock)
    _edit(source / "sortext/commands/show.py", "text.upper()", '"== " + text.upper()')
    after = _run(root, source, SHOW)
    assert b"\n== GOALS\n" in after, after[:400]
    assert _run(root, source, SHOW) == after  # remembered again, under the new build
    # a template-like data file: the stamp covers every file of the package
    from sortext.files import codestamp

    stamp = codestamp.source_stamp(str(source / "sortext"))
    (source / "sortext/templates/NEXT.md.j2").write_text("changed\n", encoding="utf-8")
    assert codestamp.source_stamp(str(source / "sortext")) != stamp


def test_an_installed_copy_is_told_by_its_folder() -> None:
    from sortext.files import codestamp

    assert codestamp.installed("/usr/lib/python3/dist-packages/sortext")
    assert codestamp.installed("/x/.venv/lib/python3.11/site-packages/sortext")
    assert not codestamp.installed(str(PROJECT_ROOT / "sortext"))
