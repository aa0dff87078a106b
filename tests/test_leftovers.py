"""A killed sortext process's temp files are removed from every folder sortext writes to.

A clean-clone CI run once published a killed watcher's half-written owner page
(``site/owners/.maya.html.sortext-tmp-PID-HEX``): the watcher's start-up looked
for leftovers in a list of folders kept by hand, and ``site/owners`` was not on
it.  The folders now come from one place (:func:`write_folders`); these tests
place a dead writer's temp file in each kind of folder sortext writes, and one
where it never writes, and check what the start-up removes.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.daemon.leftovers import remove_leftovers, write_folders
from sortext.repo import open_repository

TODAY = dt.date(2026, 11, 30)


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def _leftover(folder: Path, name: str, pid: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f".{name}.sortext-tmp-{pid}-0badf00d"
    path.write_text("half a page")
    return path


def test_watcher_start_removes_a_dead_writers_owner_page_and_export(records_repo: Path) -> None:
    from sortext.daemon.pipeline import Pipeline
    from sortext.daemon.renderer import PagesRenderer
    from sortext.vcs.commit import GitRepo

    root = records_repo
    config = root / "sortext.yaml"
    config.write_text(
        config.read_text(encoding="utf-8") + "\nexports:\n  exports/clients.csv: csv\n",
        encoding="utf-8",
    )
    dead = _dead_pid()
    gone = [
        _leftover(root / "site" / "owners", "maya.html", dead),
        _leftover(root / "site" / "clients", "amara-okafor.html", dead),
        _leftover(root / "exports", "clients.csv", dead),
        _leftover(root / ".sortext" / "replies", "next", dead),
        _leftover(root, "NEXT.md", dead),
    ]
    kept = [
        _leftover(root / "docs", "notes.md", dead),  # a folder sortext never writes to
        _leftover(root / "site" / "owners", "theo.html", 1),  # pid 1 is alive
    ]
    repo_git = GitRepo.open(root)
    pipeline = Pipeline(open_repository(root), repo_git, PagesRenderer(), lambda: TODAY)
    try:
        pipeline.start()
    finally:
        repo_git.close()
    assert [p for p in gone if p.exists()] == []
    assert [p for p in kept if not p.exists()] == []


folder_names = st.text(alphabet="abcxyz-_.", min_size=1, max_size=8).filter(
    lambda n: n not in (".", "..")
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    under=st.sampled_from(["site", ".sortext"]),
    depth=st.lists(folder_names, min_size=0, max_size=3),
)
def test_any_folder_under_site_or_the_state_folder_is_covered(
    empty_repo: Path, under: str, depth: list[str]
) -> None:
    folder = empty_repo.joinpath(under, *depth)
    path = _leftover(folder, "page.html", _dead_pid())
    repo = open_repository(empty_repo)
    try:
        assert folder in write_folders(repo, empty_repo / ".git")
        assert path in remove_leftovers(write_folders(repo, empty_repo / ".git"))
    finally:
        path.unlink(missing_ok=True)


def test_a_linked_folder_under_site_is_not_followed(empty_repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    path = _leftover(outside, "page.html", _dead_pid())
    (empty_repo / "site").mkdir()
    (empty_repo / "site" / "owners").symlink_to(outside, target_is_directory=True)
    repo = open_repository(empty_repo)
    remove_leftovers(write_folders(repo, empty_repo / ".git"))
    assert path.exists()  # sortext never writes through a link, so never cleans through one
