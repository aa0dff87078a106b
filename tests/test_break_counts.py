"""Break-testing the kept counts (layout 14: ``board_counts`` and the client page count
in the index's meta) and whatever else makes an incremental build's outputs differ
from a cold build's on the same files and ``--today``.

The oracle is always a cold build (``.sortext``, ``site`` and ``NEXT.md`` removed) of a
copy of the same files: NEXT.md, site/index.html, site/owners/*.html, the client pages
and the number of pages the build names (written + unchanged) must be the same.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from click.testing import CliRunner

from bench.gen_pages import TODAY, generate_repo
from sortext.cli import main

_SUMMARY = re.compile(r"(\d+) written, (\d+) unchanged, (\d+) removed")


def _outputs(root: Path, today: str = TODAY.isoformat()) -> dict[str, str]:
    """A build's pages (and how many pages it named) as text, by name."""
    built = CliRunner().invoke(main, ["build", "--today", today, "--repo", str(root)])
    assert built.exit_code in (0, 1), built.output
    found = _SUMMARY.search(built.output)
    assert found is not None, built.output
    out = {"pages named": str(int(found[1]) + int(found[2]))}
    for name in ("NEXT.md", "site/index.html"):
        out[name] = (root / name).read_text("utf-8")
    for folder in ("owners", "clients"):
        for page in sorted((root / "site" / folder).glob("*.html")):
            out[f"{folder}/{page.name}"] = page.read_text("utf-8")
    return out


def _cold(root: Path, today: str = TODAY.isoformat()) -> dict[str, str]:
    """The outputs of a cold build of a copy of ``root``'s files."""
    copy = root.parent / "cold"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(
        root, copy, symlinks=True, ignore=shutil.ignore_patterns(".sortext", "site", "NEXT.md")
    )
    return _outputs(copy, today)


def _with_next_action_today(path: Path) -> None:
    """Give the record at ``path`` an open stage and a next action due on TODAY."""
    text = path.read_text("utf-8")
    text = re.sub(r"(?m)^stage: \S+", "stage: active", text, count=1)
    text = re.sub(r"(?ms)^next_action:\n(  .*?\n)+", "", text, count=1)
    text = text.replace(
        "\ndates:\n",
        f"\nnext_action:\n  what: Call back\n  owner: maya\n  due: {TODAY.isoformat()}\ndates:\n",
        1,
    )
    path.write_text(text, "utf-8")


def test_this_weeks_ties_are_in_path_order_after_a_restore(tmp_path: Path) -> None:
    """Two clients with the same name and next action on the same day (a copied file)
    tie in the day book's order: a cold build lists them by path, and so must an
    incremental one after the first was stored again (its rows inserted last)."""
    root = generate_repo(3, tmp_path / "r")
    first = root / "clients" / "client-00000.md"
    _with_next_action_today(first)
    _outputs(root)
    shutil.copy(first, root / "clients" / "zz-copy.md")
    _outputs(root)
    first.write_text(first.read_text("utf-8") + "\nOne more line.\n", "utf-8")
    assert _outputs(root) == _cold(root)
