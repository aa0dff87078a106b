"""A record in clients/ hard-linked to a file outside the repository, edited through
the other name.

Such an edit raises no event in the clients folder (the kernel reports it to the
folder of the name written through), so the watcher cannot see it at once.  What
sortext does (README, ``sortext watch``):

* ``sortext build`` and ``sortext check`` show what the files hold: check reads every
  file, and a build makes its stat pass even while a watcher vouches for its index
  (the edit changed the file's ctime);
* the watcher looks for record files with other hard links at start and every
  ``rescan_every`` seconds (30) while idle, reads each again (the edit is committed
  then) and, while any exists, does not vouch for its index, so quick queries
  (``show``, ``list``, ``next``) stat the files and see the edit too.

Real git repository, real watchdog observer; waits on the settle counter.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.files import watchmark
from tests.conftest import git, sample_records
from tests.test_break_watch7 import WAIT, settle, watching, with_field
from tests.watchkit import wait_for

RECORD = "clients/amara-okafor.md"


def _edit_in_place(path: Path, text: str) -> None:
    """Write through this name, keeping the inode (and so every other link)."""
    with open(path, "r+", encoding="utf-8") as handle:
        handle.write(text)
        handle.truncate()


def _page(root: Path) -> str:
    return (root / "site" / "clients" / "amara-okafor.html").read_text(encoding="utf-8")


def test_an_edit_through_an_outside_link_while_the_watcher_runs(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    root = records_repo
    record = root / RECORD
    outside = tmp_path / "elsewhere" / "amara.md"
    outside.parent.mkdir()
    with watching(root, rescan_every=0.5) as service:
        settle(service, root)
        wait_for(lambda: watchmark.vouched(root, root / "clients"), WAIT)
        os.link(record, outside)
        _edit_in_place(outside, with_field(outside, "name", "Amara Linked"))
        assert record.read_text(encoding="utf-8") == outside.read_text(encoding="utf-8")
        # a build shows it at once, whatever the watcher saw
        done = cli("build", "--repo", str(root))
        assert done.exit_code == 0, done.output
        assert "Amara Linked" in _page(root)
        # the watcher's next look reads the record again and commits the edit
        wait_for(lambda: "Amara Linked" in git(root, "show", f"HEAD:{RECORD}"), WAIT)
        settle(service, root)
        assert not watchmark.vouched(root, root / "clients")  # linked: queries stat
        assert "name: Amara Linked" in git(root, "show", f"HEAD:{RECORD}")
        before = git(root, "rev-parse", "HEAD").strip()
        # a second edit through the link: quick queries and check see it before the
        # watcher's next look (they never trust its index while a record is linked)
        _edit_in_place(outside, with_field(outside, "name", "Amara Twice"))
        shown = cli("show", "amara-okafor", "--repo", str(root))
        assert "Amara Twice" in shown.output, shown.output
        _edit_in_place(outside, with_field(outside, "stage", "nowhere"))
        checked = cli("check", "--repo", str(root))
        assert checked.exit_code == 1 and f"{RECORD}:" in checked.output, checked.output
        assert "nowhere" in checked.output
        # the link removed, the watcher vouches again after its next look
        _edit_in_place(outside, with_field(outside, "stage", "active"))
        outside.unlink()
        wait_for(lambda: watchmark.vouched(root, root / "clients"), WAIT)
        settle(service, root)
        assert "Amara Twice" in git(root, "show", f"HEAD:{RECORD}")
        assert git(root, "rev-parse", "HEAD").strip() != before


def test_a_link_made_before_the_watcher_starts_is_found_at_start(
    records_repo: Path, tmp_path: Path
) -> None:
    root = records_repo
    outside = tmp_path / "amara.md"
    os.link(root / RECORD, outside)
    with watching(root) as service:  # the default look: every 30 s
        settle(service, root)
        assert not watchmark.vouched(root, root / "clients")
        from sortext.daemon.service import WatchService

        assert isinstance(service, WatchService)
        assert set(service._linked) == {root / RECORD}


_NAMES = st.text(
    alphabet=st.characters(whitelist_categories=("Lu", "Ll"), max_codepoint=0x17F),
    min_size=1,
    max_size=24,
)


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(names=st.lists(_NAMES, min_size=1, max_size=3))
def test_builds_see_every_edit_through_a_link(cli: Callable[..., Result], names: list[str]) -> None:
    """Property: any run of edits through an outside hard link (names of any length,
    the same length as before included), each followed by a build: the page shows
    the last one, exactly as a build from nothing does."""
    with tempfile.TemporaryDirectory() as base:
        root = sample_records(Path(base) / "r")
        outside = Path(base) / "amara.md"
        assert cli("build", "--repo", str(root)).exit_code == 0
        os.link(root / RECORD, outside)
        for i, name in enumerate(names):
            _edit_in_place(outside, with_field(outside, "name", f"Amara {name} {i}"))
            done = cli("build", "--repo", str(root))
            assert done.exit_code == 0, done.output
            assert f"Amara {name} {i}" in _page(root)
        page = _page(root)
        (root / "site").rename(Path(base) / "old-site")
        (root / ".sortext").rename(Path(base) / "old-state")
        assert cli("build", "--repo", str(root)).exit_code == 0
        assert _page(root) == page
