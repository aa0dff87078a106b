"""The pages branch follows one branch of the practice, whatever else has a watcher.

Two worktrees of one repository (or a side branch checked out), each with a
watcher, published to the one ``sortext-pages`` branch: NEXT.md on the git host
flipped between branches at every save.  The pages are now published from one
branch (:mod:`sortext.vcs.pagesource`: ``pages.from``, else the remote's default
branch ``origin/HEAD``, else the branch that first published them); a watcher on
another branch builds its pages in its worktree, does not publish or push them,
and says so once in its log and in ``sortext status``.

Real parts: two worktrees, two ``sortext watch`` processes, a real bare remote;
the tests wait on each watcher's settle counter and on the pages branch.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import git
from tests.watchkit import Daemon, commit_count, idle_mark, pages_for, wait_for, wait_published

WAIT = 30.0
HELD = "the pages are published from"


def _set(root: Path, rel: str, name: str, value: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    current = next(line for line in text.splitlines() if line.startswith(f"{name}: "))
    path.write_text(text.replace(current, f"{name}: {value}", 1), encoding="utf-8")


def _save(root: Path, daemon: Daemon, stage: str) -> str:
    """Save a record in ``root``, wait until its watcher committed it and is done with
    it; returns the new HEAD."""
    commits = commit_count(root)
    _set(root, "clients/amara-okafor.md", "stage", stage)
    wait_for(lambda: commit_count(root) > commits, WAIT, lambda: daemon.log)
    idle_mark(root, daemon, WAIT)
    return git(root, "rev-parse", "HEAD").strip()


def _remote_ref(remote: Path, ref: str) -> str:
    return subprocess.run(
        ["git", "rev-parse", "--verify", "-q", ref],
        cwd=remote,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()


@pytest.mark.parametrize("rule", ["origin-head", "first-publisher", "pages-from"])
def test_two_worktrees_two_watchers_one_pages_branch(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result], rule: str
) -> None:
    remote = None
    main = records_repo
    if rule == "origin-head":  # a clone: origin/HEAD names main; both back up
        from tests.gitsetup import make_remote_and_clones

        (main,) = make_remote_and_clones(records_repo, tmp_path, ("laptop",))
        remote = tmp_path / "remote.git"
        config = main / "sortext.yaml"
        config.write_text(config.read_text(encoding="utf-8") + "\nbackup: {remotes: [origin]}\n")
        git(main, "commit", "--quiet", "--no-verify", "-am", "backup on")
    elif rule == "pages-from":  # the side branch is named the pages' source
        config = main / "sortext.yaml"
        config.write_text(config.read_text(encoding="utf-8") + "\npages: {from: side}\n")
        git(main, "commit", "--quiet", "--no-verify", "-am", "pages from side")
    side = tmp_path / "side"
    git(main, "worktree", "add", "--quiet", "-b", "side", str(side))
    publisher, other = (side, main) if rule == "pages-from" else (main, side)
    first = Daemon(publisher)
    second: Daemon | None = None
    try:
        first.wait_ready()
        wait_published(publisher, first, WAIT)
        second = Daemon(other)
        second.wait_ready()
        idle_mark(other, second, WAIT)
        published = pages_for(publisher)
        # a save on the other branch: committed there, its pages built there, not published
        theirs = _save(other, second, "paused")
        assert pages_for(publisher) == published != theirs
        assert (other / "NEXT.md").exists()
        status = cli("status", "--repo", str(other))
        assert f"pages: {HELD} {git(publisher, 'branch', '--show-current').strip()}" in (
            status.output
        ), status.output
        assert status.exit_code == 0, status.output
        # the publisher's save publishes; the other's next save still does not
        ours = _save(publisher, first, "review")
        assert wait_published(publisher, first, WAIT) == ours
        theirs = _save(other, second, "active")
        assert pages_for(publisher) == ours
        assert second.log.count(HELD) == 1, second.log  # said once
        assert HELD not in first.log
        if remote is not None:  # the remote's pages are the publisher's; side backed up
            wait_for(
                lambda: (
                    _remote_ref(remote, "sortext-pages")
                    == git(main, "rev-parse", "sortext-pages").strip()
                    and _remote_ref(remote, "side") == theirs
                ),
                WAIT,
                lambda: second.log if second else "",
            )
            assert pages_for(remote) == ours
    finally:
        first.stop()
        if second is not None:
            second.stop()


def test_a_claim_is_checked_on_the_tip_it_replaces(records_repo: Path) -> None:
    """Two branches claiming an unclaimed pages branch at once: the second to write
    reads the first's claim on the tip its compare-and-swap replaces, and is refused."""
    from sortext.vcs.pages import PagesSettings, publish
    from sortext.vcs.pagesource import PagesElsewhere

    root = records_repo
    git(root, "branch", "side")
    head = git(root, "rev-parse", "HEAD").strip()
    (root / "NEXT.md").write_text("main's pages\n", encoding="utf-8")
    assert publish(root, head, PagesSettings(), source="main", claim=True)
    (root / "NEXT.md").write_text("side's pages\n", encoding="utf-8")
    with pytest.raises(PagesElsewhere, match="published from main"):
        publish(root, head, PagesSettings(), source="side", claim=True)
    assert "main's pages" in git(root, "show", "sortext-pages:NEXT.md")
    git(root, "branch", "-m", "main", "trunk")  # the claiming branch renamed: void claim
    assert publish(root, head, PagesSettings(), source="trunk", claim=True)
    assert "from branch: trunk" in git(root, "log", "-1", "--format=%B", "sortext-pages")


# --- the class: any order of publishes from any branches ---------------------------


@settings(max_examples=12, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(st.sampled_from(["main", "side", "third"]), min_size=1, max_size=6),
    explicit=st.sampled_from([None, "side"]),
)
def test_the_pages_branch_only_ever_names_its_source(
    tmp_path_factory: pytest.TempPathFactory,
    steps: list[str],
    explicit: str | None,
) -> None:
    """Watchers on any branches publishing in any order (each deciding as the watcher
    does: pages_source, then a publish that checks the claim): every pages commit names
    one branch, ``pages.from`` when set, else the first to publish."""
    from sortext.vcs.pages import PagesSettings, publish
    from sortext.vcs.pagesource import PagesElsewhere, pages_source

    root = tmp_path_factory.mktemp("one") / "repo"
    git(root.parent, "init", "--quiet", "--initial-branch=main", str(root))
    git(root, "config", "user.name", "T")
    git(root, "config", "user.email", "t@example.invalid")
    git(root, "commit", "--quiet", "--allow-empty", "-m", "records")
    head = git(root, "rev-parse", "HEAD").strip()
    for name in ("side", "third"):
        git(root, "branch", name)
    settings_ = PagesSettings(source=explicit)
    for n, branch in enumerate(steps):
        (root / "NEXT.md").write_text(f"pages {n} of {branch}\n", encoding="utf-8")
        source = pages_source(root, settings_.ref, settings_.source, ("origin",))
        if not source.allows(branch):
            continue
        try:
            publish(root, head, settings_, source=branch, claim=source.claimed)
        except PagesElsewhere:
            continue
    publishers = [b for b in steps if explicit in (None, b)]
    if not publishers:
        assert not git(root, "branch", "--list", "sortext-pages").strip()
        return
    names = {
        line.removeprefix("from branch: ")
        for line in git(root, "log", "--format=%B", "sortext-pages").splitlines()
        if line.startswith("from branch: ")
    }
    assert names == {explicit or publishers[0]}, (names, steps)


def test_the_remotes_head_read_from_the_files_is_gits(records_repo: Path, tmp_path: Path) -> None:
    """``remote_head`` reads ``refs/remotes/origin/HEAD`` from the common git directory
    (no process per save); in the main worktree and a linked one it says what ``git
    symbolic-ref`` says, as the remote's HEAD is set, moved and removed."""
    from sortext.vcs.pagesource import remote_head
    from tests.gitsetup import make_remote_and_clones

    (clone,) = make_remote_and_clones(records_repo, tmp_path, ("laptop",))
    git(clone, "push", "--quiet", "origin", "HEAD:refs/heads/trunk")
    git(clone, "fetch", "--quiet", "origin")
    linked = tmp_path / "linked"
    git(clone, "worktree", "add", "--quiet", "-b", "side", str(linked))

    def gits(root: Path) -> str | None:
        out = subprocess.run(
            ["git", "symbolic-ref", "-q", "refs/remotes/origin/HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout.strip()
        return out.removeprefix("refs/remotes/origin/") or None

    for step in ("cloned", "trunk", "deleted"):
        if step == "trunk":
            git(clone, "remote", "set-head", "origin", "trunk")
        elif step == "deleted":
            git(clone, "remote", "set-head", "origin", "--delete")
        for root in (clone, linked):
            assert remote_head(root, "origin") == gits(root), (step, root)
        assert remote_head(clone, "nowhere") is None
