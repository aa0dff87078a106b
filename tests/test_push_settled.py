"""A failed backup push is tried again as soon as the user settles its cause.

The watcher's push of the records branch (and the pages) was rejected (another
machine pushed first) or failed for a cause in this clone (a wrong remote URL);
the coach then ran ``git pull``, ``git fetch`` and ``git merge``, ``sortext sync``
or ``git remote set-url``.  The watcher went on waiting out its backoff (up to
5 minutes) and ``sortext status`` said "push failing" (exit 3) meanwhile.  It now
looks at what the push depends on (remote-tracking refs, the branch, git's
configuration, the pre-push hook) while it backs off and pushes again at once;
``status`` tells a failure settled by hand from one still there.

Real parts: a real watcher (the service on a thread, its real observer), real
clones of a real bare remote; the tests wait on the pusher's ``attempts`` counter
in ``.sortext/push.json`` and on the watcher's settle counter.  The backoff is
made ten minutes long, so a retry that waited for it would time the test out.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.daemon.state import read_json
from tests.conftest import git
from tests.watchkit import wait_for

WAIT = 30.0
RECORD = "clients/amara-okafor.md"
OTHER = "clients/jonas-weber.md"


def _set(root: Path, rel: str, name: str, value: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    current = next(line for line in text.splitlines() if line.startswith(f"{name}: "))
    path.write_text(text.replace(current, f"{name}: {value}", 1), encoding="utf-8")


def _push_state(root: Path) -> dict[str, Any]:
    return read_json(root / ".sortext" / "push.json")


def _push_ahead(second: Path, owner: str) -> None:
    """The other machine saves and pushes first: ``first``'s next push is rejected."""
    _set(second, OTHER, "owner", owner)
    git(second, "commit", "--quiet", "--no-verify", "-am", "the other machine's save")
    git(second, "push", "--quiet", "origin", "HEAD")


def _attempts(root: Path) -> int:
    value = _push_state(root).get("attempts")
    return value if isinstance(value, int) else 0


def _two_clones(records_repo: Path, tmp_path: Path) -> tuple[Path, Path, Path]:
    from tests.gitsetup import make_remote_and_clones

    first, second = make_remote_and_clones(records_repo, tmp_path, ("first", "second"))
    config = first / "sortext.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "\nbackup: {remotes: [origin]}\n")
    git(first, "commit", "--quiet", "--no-verify", "-am", "backup on")
    git(first, "push", "--quiet", "origin", "HEAD")
    git(second, "pull", "--quiet", "--no-rebase", "--no-edit")
    return tmp_path / "remote.git", first, second


def _remote_is(remote: Path, root: Path) -> bool:
    there = subprocess.run(
        ["git", "rev-parse", "main"], cwd=remote, capture_output=True, text=True, timeout=60
    ).stdout.strip()
    return there == git(root, "rev-parse", "HEAD").strip()


def _settle_by(
    how: str, first: Path, remote: Path, cli: Callable[..., Result]
) -> None:  # the coach's own git action
    if how == "pull":
        git(first, "pull", "--quiet", "--no-rebase", "--no-edit", "origin", "main")
    elif how == "fetch-then-merge":
        git(first, "fetch", "--quiet", "origin")
        git(first, "merge", "--quiet", "--no-edit", "origin/main")
    elif how == "sync":
        done = cli("sync", "--repo", str(first))
        assert done.exit_code == 0, done.output
    elif how == "set-url":
        git(first, "remote", "set-url", "origin", str(remote))
    else:  # pragma: no cover
        raise AssertionError(how)


@pytest.mark.parametrize("how", ["pull", "fetch-then-merge", "sync", "set-url"])
def test_a_failed_push_is_tried_again_once_the_user_settled_it(
    records_repo: Path,
    tmp_path: Path,
    cli: Callable[..., Result],
    monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    from sortext.daemon import push
    from tests.test_break_watch7 import running

    monkeypatch.setattr(push.Pusher.__init__, "__defaults__", (600.0,))  # ten minutes
    remote, first, second = _two_clones(records_repo, tmp_path)
    if how == "set-url":  # the cause is in this clone: a remote URL that went wrong
        git(first, "remote", "set-url", "origin", str(tmp_path / "moved.git"))
    else:  # the cause is the remote: another machine pushed first
        _push_ahead(second, "maya")
    with running(first) as (service, _stop):
        start = service.settled
        _set(first, RECORD, "stage", "review")
        service.wait_settled(start, WAIT)
        wait_for(lambda: _push_state(first).get("failing") is True, WAIT)
        assert not _remote_is(remote, first)
        status = cli("status", "--repo", str(first))
        assert status.exit_code == 3, status.output
        tried = _attempts(first)
        _settle_by(how, first, remote, cli)
        # pushed again at once, not in ten minutes
        wait_for(
            lambda: _attempts(first) > tried and _push_state(first).get("failing") is False,
            WAIT,
            lambda: str(_push_state(first)),
        )
        assert _remote_is(remote, first)
        # the pages of the merged HEAD, published after, go too (the nudge of their
        # publish): the remote ends with this clone's records and pages
        head = git(first, "rev-parse", "HEAD").strip()
        wait_for(
            lambda: read_json(first / ".sortext" / "watch.json").get("published_for") == head, WAIT
        )
        wait_for(
            lambda: (
                _remote_is(remote, first)
                and git(remote, "rev-parse", "sortext-pages")
                == git(first, "rev-parse", "sortext-pages")
                and _push_state(first).get("failing") is False
            ),
            WAIT,
            lambda: str(_push_state(first)),
        )
        status = cli("status", "--repo", str(first))
        assert status.exit_code == 0, status.output


def test_the_watchers_own_commits_do_not_end_the_backoff(
    records_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Saves while the remote is ahead: each commit moves the branch, but only by the
    watcher's own commits, which cannot settle a rejection: no push per save."""
    from sortext.daemon import push
    from tests.test_break_watch7 import running

    monkeypatch.setattr(push.Pusher.__init__, "__defaults__", (600.0,))  # ten minutes
    _remote, first, second = _two_clones(records_repo, tmp_path)
    _push_ahead(second, "maya")
    with running(first) as (service, _stop):
        start = service.settled
        _set(first, RECORD, "stage", "review")
        service.wait_settled(start, WAIT)
        wait_for(lambda: _push_state(first).get("failing") is True, WAIT)
        tried = _attempts(first)
        for stage in ("paused", "active", "review"):
            mark = service.settled
            _set(first, RECORD, "stage", stage)
            service.wait_settled(mark, WAIT)
        # a user action after them is seen: it ends the wait (so the polls ran).  The
        # watcher fetched before its push (the resurrection check), so the user's fetch
        # settles something only when the remote moved again since
        _push_ahead(second, "theo")
        git(first, "fetch", "--quiet", "origin")
        wait_for(lambda: _attempts(first) > tried, WAIT, lambda: str(_push_state(first)))
        assert _attempts(first) == tried + 1  # the fetch's retry, none for the saves
        assert _push_state(first).get("failing") is True  # (still behind: rejected)


def test_status_tells_a_failure_settled_by_hand(records_repo: Path, tmp_path: Path) -> None:
    """No watcher retry needed for the truth: the branch the failed push pushed is on
    the remote now (pulled and pushed by hand) -> not failing; a failure whose refs did
    not move stays failing."""
    from sortext.daemon.push import BackupTarget, Pusher
    from sortext.daemon.status import read_status

    _remote, first, second = _two_clones(records_repo, tmp_path)
    _push_ahead(second, "maya")
    _set(first, RECORD, "stage", "review")
    git(first, "commit", "--quiet", "--no-verify", "-am", "a save")
    target = BackupTarget(("origin",), None, None)
    pusher = Pusher(first, target)
    pusher.status_path.parent.mkdir(exist_ok=True)
    assert not pusher.push_once()
    status = read_status(first)
    assert status["push_failed"] and not status.get("pushed_since")
    git(first, "fetch", "--quiet", "origin")  # the remote moved, the branch did not
    assert read_status(first)["push_failed"]
    git(first, "merge", "--quiet", "--no-edit", "origin/main")
    git(first, "push", "--quiet", "origin", "main")
    status = read_status(first)
    assert not status["push_failed"] and status.get("pushed_since"), status


# --- the class: what ends a backoff, over generated histories ----------------------

_ACTIONS = st.lists(
    st.sampled_from(["own", "user-commit", "fetch", "config", "switch", "hook"]),
    min_size=1,
    max_size=6,
)


@settings(max_examples=15, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=_ACTIONS)
def test_only_the_users_changes_end_a_backoff(tmp_path_factory: Any, actions: list[str]) -> None:
    """Over any sequence of the watcher's own commits and user actions on a real
    repository: the snapshot moved (``what_moved`` says why) exactly when a user action
    happened since the last look; the watcher's own commits alone never count."""
    from sortext.daemon.pushinputs import read_inputs, watched_files, what_moved

    where = tmp_path_factory.mktemp("inputs")
    remote, root = where / "remote.git", where / "clone"
    git(where, "init", "--quiet", "--bare", "--initial-branch=main", str(remote))
    git(where, "init", "--quiet", "--initial-branch=main", str(root))
    git(root, "config", "user.name", "T")
    git(root, "config", "user.email", "t@example.invalid")
    git(root, "remote", "add", "origin", str(remote))
    git(root, "commit", "--quiet", "--allow-empty", "-m", "first")
    git(root, "push", "--quiet", "origin", "main")
    git(root, "branch", "side")
    own: list[str] = []
    files = watched_files(root)
    before = read_inputs(root, ("origin",), files)
    for n, action in enumerate(actions):
        if action == "own":
            git(root, "commit", "--quiet", "--allow-empty", "-m", f"watcher {n}")
            own.append(git(root, "rev-parse", "HEAD").strip())
        elif action == "user-commit":
            git(root, "commit", "--quiet", "--allow-empty", "-m", f"user {n}")
        elif action == "fetch":  # another machine pushed; this clone fetched it
            tree = git(remote, "rev-parse", "main^{tree}").strip()
            parent = git(remote, "rev-parse", "main").strip()
            new = git(remote, "commit-tree", tree, "-p", parent, "-m", f"other {n}").strip()
            git(remote, "update-ref", "refs/heads/main", new)
            git(root, "fetch", "--quiet", "origin")
        elif action == "config":
            git(root, "config", "sortext.test", str(n))
        elif action == "switch":
            other = "side" if git(root, "branch", "--show-current").strip() == "main" else "main"
            git(root, "switch", "--quiet", other)
        elif action == "hook":
            hook = Path(files[-1])
            hook.parent.mkdir(parents=True, exist_ok=True)
            fresh = hook.with_name("pre-push.new")  # as an editor saves: a new file
            fresh.write_text(f"#!/bin/sh\n# {n}\nexit 0\n")
            fresh.replace(hook)
        after = read_inputs(root, ("origin",), files)
        why = what_moved(root, before, after, own)
        assert (why is None) == (action == "own"), (action, why)
        before = after
