"""A save that deletes the record and writes it anew (an editor that unlinks the file,
then creates it) is one change, whatever the debounce window and however long the
file was missing in between (within the watcher's grace for a missing record).

With a 20 ms debounce such a save was once committed as "record deleted", then the
record re-created in a second commit: the deletion's quiet window ended before the
new file appeared.  Real watchdog observer, real git repository; each test waits on
the settle counter, then reads history: no commit may delete a record that exists
once the save settled.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import git, sample_records
from tests.test_break_watch7 import settle, watching, with_field

RECORD = "clients/amara-okafor.md"


def deletions(root: Path, rel: str = RECORD) -> list[str]:
    """The commits (subject lines) of main that delete ``rel``."""
    return git(root, "log", "--diff-filter=D", "--format=%s", "main", "--", rel).splitlines()


def delete_then_create(path: Path, text: str, gap: float) -> None:
    """An editor's save: unlink, (its own work for ``gap`` seconds), write anew."""
    path.unlink()
    if gap:
        time.sleep(gap)  # the editor is busy: the file is missing meanwhile
    with open(path, "x", encoding="utf-8") as handle:
        handle.write(text)


def test_a_delete_create_save_slower_than_the_debounce_is_one_change(records_repo: Path) -> None:
    root = records_repo
    path = root / RECORD
    with watching(root, debounce=0.02) as service:
        before = len(git(root, "rev-list", "main").split())
        delete_then_create(path, with_field(path, "name", "Amara Saved Anew"), gap=0.2)
        settle(service, root)
        assert "Amara Saved Anew" in git(root, "show", f"HEAD:{RECORD}")
        assert deletions(root) == [], git(root, "log", "--stat", "-3")
        assert len(git(root, "rev-list", "main").split()) == before + 1


def test_a_real_deletion_is_still_committed(records_repo: Path) -> None:
    root = records_repo
    with watching(root, debounce=0.02) as service:
        (root / RECORD).unlink()
        settle(service, root)
        assert len(deletions(root)) == 1
        assert RECORD not in git(root, "ls-tree", "-r", "--name-only", "HEAD")


def test_a_rename_is_still_one_commit_with_its_deletion(records_repo: Path) -> None:
    """The grace is for a missing record only: a rename's source is gone at once."""
    root = records_repo
    with watching(root, debounce=0.02) as service:
        before = len(git(root, "rev-list", "main").split())
        os.replace(root / RECORD, root / "clients" / "amara-o.md")
        settle(service, root)
        names = git(root, "ls-tree", "-r", "--name-only", "HEAD", "clients/").split()
        assert "clients/amara-o.md" in names and RECORD not in names
        assert len(git(root, "rev-list", "main").split()) == before + 1


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    debounce=st.sampled_from([0.0, 0.005, 0.02, 0.05, 0.3]),
    gaps=st.lists(st.sampled_from([0.0, 0.03, 0.1, 0.4]), min_size=1, max_size=3),
)
def test_delete_create_saves_never_show_as_deletions(
    tmp_path_factory: object, debounce: float, gaps: list[float]
) -> None:
    """Property: any debounce, any run of delete+create saves with the file missing
    for up to 0.4 s each: history never deletes the record, and HEAD holds the last save."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        root = sample_records(Path(tmp) / "r")
        path = root / RECORD
        with watching(root, debounce=debounce) as service:
            for i, gap in enumerate(gaps):
                delete_then_create(path, with_field(path, "name", f"Amara Save {i}"), gap)
            settle(service, root)
            assert f"Amara Save {len(gaps) - 1}" in git(root, "show", f"HEAD:{RECORD}")
            assert deletions(root) == [], (debounce, gaps, git(root, "log", "--stat", "-5"))
