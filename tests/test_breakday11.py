"""Break-test of a simulated fortnight (round 11): what a coach saw go wrong beside git.

Each test fails on the code before its fix: real git repositories in tmp folders, real
bare remotes, the real watcher (waited on through its settle counter)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import given
from hypothesis import strategies as st

from sortext.vcs.scaffold import configure_git, ensure_gitattributes
from tests.conftest import git

CLIENT = "clients/amara-okafor.md"


def _set_stage(root: Path, stage: str) -> None:
    path = root / CLIENT
    text = path.read_text(encoding="utf-8")
    assert "stage: active\n" in text
    path.write_text(text.replace("stage: active\n", f"stage: {stage}\n", 1), encoding="utf-8")


def _conflict_by(records_repo: Path, operation: str) -> None:
    """Leave ``records_repo`` stopped in ``operation`` (rebase, cherry-pick, revert) on
    a conflict in the stage of CLIENT, merged through sortext's merge driver."""
    configure_git(records_repo)
    if ensure_gitattributes(records_repo):
        git(records_repo, "add", ".gitattributes")
        git(records_repo, "commit", "--quiet", "-m", "merge driver")
    git(records_repo, "checkout", "--quiet", "-b", "other")
    _set_stage(records_repo, "paused")
    git(records_repo, "commit", "--quiet", "--no-verify", "-am", "other: paused")
    git(records_repo, "checkout", "--quiet", "main")
    if operation == "revert":  # main changes the stage again after 'paused': revert clashes
        git(records_repo, "merge", "--quiet", "--ff-only", "other")
        path = records_repo / CLIENT
        path.write_text(
            path.read_text(encoding="utf-8").replace("stage: paused\n", "stage: review\n", 1),
            encoding="utf-8",
        )
        git(records_repo, "commit", "--quiet", "--no-verify", "-am", "main: review")
        args = ["revert", "--no-edit", "HEAD~1"]
    else:
        _set_stage(records_repo, "review")
        git(records_repo, "commit", "--quiet", "--no-verify", "-am", "main: review")
        args = ["rebase", "other"] if operation == "rebase" else ["cherry-pick", "other"]
    proc = subprocess.run(["git", *args], cwd=records_repo, capture_output=True, text=True)
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert git(records_repo, "ls-files", "-u", "--", CLIENT).strip(), "no conflict left"


@pytest.mark.parametrize("operation", ["rebase", "cherry-pick", "revert"])
def test_resolve_stages_the_record_whatever_git_operation_stopped_on_it(
    records_repo: Path, cli: Callable[..., Result], operation: str
) -> None:
    """`git pull --rebase` stopped on a record: `sortext resolve` said 'no conflicts
    left' but staged it only during a merge (MERGE_HEAD), so `git rebase --continue`
    (cherry-pick, revert) refused with 'needs merge'.  The record is staged when the
    index holds it unmerged, whichever operation left it so."""
    _conflict_by(records_repo, operation)
    done = cli("resolve", "amara-okafor", "stage", "--take", "theirs", "--repo", str(records_repo))
    assert done.exit_code == 0, done.output
    assert "no conflicts left" in done.output
    assert git(records_repo, "ls-files", "-u").strip() == ""
    cont = subprocess.run(
        ["git", "-c", "core.editor=true", operation, "--continue"],
        cwd=records_repo,
        capture_output=True,
        text=True,
        env={**os.environ, "GIT_EDITOR": "true"},
    )
    assert cont.returncode == 0, cont.stdout + cont.stderr
    assert git(records_repo, "status", "--porcelain", "--", "clients").strip() == ""


def test_resolve_outside_any_operation_stages_nothing(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    """A record with markers written by hand (no git operation): resolve settles the
    file and leaves the index alone, as before."""
    from sortext.vcs.merge import merge_files

    path = records_repo / CLIENT
    base = path.read_text(encoding="utf-8")
    merged = merge_files(
        base.encode(),
        base.replace("stage: active", "stage: review").encode(),
        base.replace("stage: active", "stage: paused").encode(),
    )
    path.write_text(merged.text, encoding="utf-8")
    done = cli("resolve", "amara-okafor", "stage", "--take", "ours", "--repo", str(records_repo))
    assert done.exit_code == 0, done.output
    assert git(records_repo, "diff", "--cached", "--name-only").strip() == ""
    assert git(records_repo, "diff", "--name-only").strip() == CLIENT


# --- a failed push names its cause -------------------------------------------------


def _two_clones(records_repo: Path, tmp_path: Path) -> tuple[Path, Path]:
    from tests.gitsetup import make_remote_and_clones

    first, second = make_remote_and_clones(records_repo, tmp_path, ("first", "second"))
    return first, second


def _commit_stage(root: Path, stage: str) -> None:
    _set_stage(root, stage)
    git(root, "commit", "--quiet", "--no-verify", "-am", f"stage {stage}")


def test_backup_rejected_by_the_remote_says_why(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    """The second machine pushed first: backup printed only git's closing 'error:
    failed to push some refs', not the line saying why (rejected: fetch first), so the
    coach could not tell a pull was needed from a broken remote."""
    first, second = _two_clones(records_repo, tmp_path)
    _commit_stage(second, "paused")
    git(second, "push", "--quiet", "origin", "HEAD")
    _commit_stage(first, "review")
    done = cli("backup", "--repo", str(first))
    assert done.exit_code != 0
    assert "error: " in done.output, done.output  # git's verdict, then why
    assert "! [rejected] HEAD -> main (non-fast-forward)" in done.output, done.output
    assert len([line for line in done.output.splitlines() if "origin" in line]) == 1


def test_the_refs_a_push_updated_are_not_its_cause() -> None:
    """Pages force-pushed beside a rejected records branch: the pages' line is not why."""
    from sortext.vcs.git import failure

    said = str(
        failure(
            ["push", "--quiet", "origin"],
            "To /r.git\n + 45b9e20...4d5542b sortext-pages -> sortext-pages (forced update)\n"
            "   1a2b3c4..5d6e7f8  notes -> notes\n * [new branch]      x -> x\n"
            " ! [rejected]        HEAD -> master (fetch first)\n"
            "error: failed to push some refs to '/r.git'\nhint: Updates were rejected\n",
        )
    )
    assert said == (
        "git push --quiet origin failed: error: failed to push some refs to '/r.git' "
        "(! [rejected] HEAD -> master (fetch first))"
    )


def test_backup_refused_by_a_hook_shows_the_hooks_words(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    """A pre-push hook that refuses: its own message (the reason) was dropped."""
    first, _ = _two_clones(records_repo, tmp_path)
    hooks = first / ".git" / "hooks"
    hooks.mkdir(exist_ok=True)
    git(first, "config", "core.hooksPath", str(hooks))
    hook = hooks / "pre-push"
    hook.write_text("#!/bin/sh\necho 'policy: no pushes on Sundays' >&2\nexit 1\n")
    hook.chmod(0o755)
    _commit_stage(first, "review")
    done = cli("backup", "--repo", str(first))
    assert done.exit_code != 0
    assert "policy: no pushes on Sundays" in done.output, done.output


def test_the_watchers_push_error_names_the_rejection(records_repo: Path, tmp_path: Path) -> None:
    """`.sortext/push.json`'s last_error (shown by `sortext status`) is documented as
    git's line naming the cause; for a rejected push it was the generic closing line."""
    from sortext.daemon.state import read_json
    from tests.watchkit import Daemon, commit_count, wait_for

    first, second = _two_clones(records_repo, tmp_path)
    _commit_stage(second, "paused")
    git(second, "push", "--quiet", "origin", "HEAD")
    config = first / "sortext.yaml"
    config.write_text(config.read_text() + "\nbackup: {remotes: [origin]}\n")
    git(first, "commit", "--quiet", "--no-verify", "-am", "backup on")
    daemon = Daemon(first)
    try:
        daemon.wait_ready()
        commits = commit_count(first)
        _set_stage(first, "review")
        wait_for(lambda: commit_count(first) > commits, 15, lambda: daemon.log)
        status = first / ".sortext" / "push.json"
        wait_for(lambda: "last_error" in read_json(status), 20, lambda: daemon.log)
        error = read_json(status)["last_error"]
        assert "! [rejected] HEAD -> main (" in error, error  # fetch first / non-fast-forward
    finally:
        daemon.stop()


_LINE = st.text(
    st.characters(codec="utf-8", exclude_characters="\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"),
    min_size=1,
    max_size=300,
).filter(lambda line: line.strip() != "")


@given(
    before=st.lists(_LINE, max_size=6),
    verdict=_LINE.map(lambda line: "error: " + line.strip()),
    after=st.lists(_LINE, max_size=4),
)
def test_a_git_failure_keeps_the_verdict_and_the_line_saying_why(
    before: list[str], verdict: str, after: list[str]
) -> None:
    """Whatever git (or a hook, or the server) printed before its verdict, the error is
    one line naming the command, with the verdict and the last line before it that is
    not progress or advice (whitespace runs folded, cut at 200 characters)."""
    from sortext.vcs.git import _NOT_A_CAUSE, _REF_UPDATED, failure

    before = [line for line in before if not line.strip().startswith(("fatal:", "error:"))]
    message = str(failure(["push", "origin"], "\n".join([*before, verdict, *after])))
    assert len(message.splitlines()) == 1
    assert message.startswith("git push origin failed: ")
    assert " ".join(verdict.split()) in " ".join(message.split())
    causes = [
        " ".join(b.split())
        for b in before
        if not b.strip().startswith(_NOT_A_CAUSE) and not _REF_UPDATED().match(b.strip())
    ]
    if causes:
        assert causes[-1][:199] in message


# --- the pages branch follows the branch the coach works on ------------------------


def _stage_to(root: Path, rel: str, stage: str) -> None:
    path = root / rel
    text = path.read_text(encoding="utf-8")
    current = next(line for line in text.splitlines() if line.startswith("stage: "))
    path.write_text(text.replace(current, f"stage: {stage}", 1), encoding="utf-8")


def _saved(root: Path, daemon: object, rel: str, stage: str) -> str:
    """Save ``rel`` with a new stage under the running watcher (settled: the step before
    waited); wait for its commit and the batch that made it; return HEAD."""
    from tests.watchkit import Daemon, commit_count, settled, wait_for, wait_settled

    assert isinstance(daemon, Daemon)
    mark = settled(root)
    commits = commit_count(root)
    _stage_to(root, rel, stage)
    wait_for(lambda: commit_count(root) > commits, 15, lambda: daemon.log)
    wait_settled(root, mark, daemon)
    return git(root, "rev-parse", "HEAD").strip()


def _git_step(root: Path, daemon: object, *args: str) -> None:
    from tests.watchkit import Daemon, settled, wait_settled

    assert isinstance(daemon, Daemon)
    mark = settled(root)
    git(root, *args)
    wait_settled(root, mark, daemon)


def test_a_save_on_a_checked_out_old_commit_does_not_publish_old_pages(
    records_repo: Path,
) -> None:
    """`git checkout OLD` publishes nothing (documented), but a record saved there was
    committed on the detached HEAD and its pages published: NEXT.md on the git host
    went back to the old commit's state.  Nothing is published from a detached HEAD;
    back on the branch, publishing goes on."""
    from tests.watchkit import Daemon, pages_for, wait_published

    root = records_repo
    daemon = Daemon(root)
    try:
        daemon.wait_ready()
        _saved(root, daemon, "clients/amara-okafor.md", "review")
        branch_head = wait_published(root, daemon)
        _git_step(root, daemon, "checkout", "--quiet", "--detach", "HEAD~1")
        detached = _saved(root, daemon, "clients/jonas-weber.md", "paused")
        assert detached != branch_head
        assert git(root, "branch", "--contains", detached).startswith("* (HEAD detached")
        assert pages_for(root) == branch_head, daemon.log
        assert "HEAD is detached" in daemon.log
        _git_step(root, daemon, "checkout", "--quiet", "main")
        head = _saved(root, daemon, "clients/amara-okafor.md", "paused")
        assert wait_published(root, daemon) == head
    finally:
        daemon.stop()


@pytest.mark.parametrize("rewrite", ["amend", "rebase"])
def test_pages_follow_a_branch_whose_history_was_rewritten(
    records_repo: Path, rewrite: str
) -> None:
    """`git commit --amend` of a watcher commit (or `git pull --rebase` replaying it):
    the new HEAD does not descend from the commit the pages were published for, so
    nothing was published until the next save; NEXT.md on the git host stayed behind
    (and a pull or revert after it was not published either).  HEAD rewritten on the
    branch the pages were published from is published; a reset back still is not."""
    from tests.watchkit import Daemon, pages_for, wait_published

    root = records_repo
    daemon = Daemon(root)
    try:
        daemon.wait_ready()
        _saved(root, daemon, "clients/amara-okafor.md", "review")
        wait_published(root, daemon)
        if rewrite == "amend":
            _git_step(root, daemon, "commit", "--quiet", "--amend", "-m", "amara: review (typo)")
        else:  # the same commit replayed on top of another one, as pull --rebase does
            git(root, "branch", "upstream", "HEAD~1")
            git(root, "checkout", "--quiet", "upstream")
            _stage_to(root, "clients/jonas-weber.md", "paused")
            git(root, "commit", "--quiet", "--no-verify", "-am", "jonas paused upstream")
            git(root, "checkout", "--quiet", "main")
            _git_step(root, daemon, "rebase", "--quiet", "upstream")
        head = git(root, "rev-parse", "HEAD").strip()
        assert wait_published(root, daemon) == head
        # a reset back publishes nothing: the branch keeps the newest pages
        _git_step(root, daemon, "reset", "--quiet", "--hard", "HEAD~1")
        assert pages_for(root) == head
    finally:
        daemon.stop()


def test_the_watcher_never_pushes_a_detached_head_to_a_branch(
    records_repo: Path, tmp_path: Path
) -> None:
    """The watcher's push of a commit made on a detached HEAD went to
    `refs/heads/main` whatever the branch was called (a repository on 'master'
    got a stray 'main' branch on its backup); `sortext backup` refuses a detached
    HEAD.  The push holds the records branch until a branch is checked out."""
    from sortext.daemon.push import BackupTarget, Pusher
    from sortext.daemon.state import read_json

    root = records_repo
    git(root, "branch", "-q", "-m", "main", "master")
    remote = tmp_path / "backup.git"
    git(tmp_path, "init", "--quiet", "--bare", str(remote))
    git(root, "remote", "add", "origin", str(remote))
    git(root, "push", "--quiet", "origin", "master")
    _commit_stage(root, "review")
    git(root, "checkout", "--quiet", "--detach", "HEAD")
    _stage_to(root, CLIENT, "paused")
    git(root, "commit", "--quiet", "--no-verify", "-am", "on a detached HEAD")
    pusher = Pusher(root, BackupTarget(("origin",), None, None))
    pusher.status_path.parent.mkdir(exist_ok=True)
    assert pusher.push_once()
    heads = git(remote, "for-each-ref", "--format=%(refname)", "refs/heads").split()
    assert heads == ["refs/heads/master"], heads
    assert git(remote, "rev-parse", "master").strip() == git(root, "rev-parse", "HEAD~2").strip()
    assert "detached" in read_json(pusher.status_path).get("held", "")


# --- the repository deleted, moved or replaced under a running watcher -------------


@pytest.mark.parametrize("how", ["deleted", "moved"])
def test_a_watcher_whose_repository_is_replaced_stops(
    records_repo: Path, tmp_path: Path, how: str
) -> None:
    """The coach deleted (or moved aside) a clone and cloned it again at the same place
    while its watcher ran: the old watcher kept going on the new clone, with no lock
    there, so `sortext status` said no watcher ran and a second watcher started beside
    it (deleted: it first wrote NEXT.md and site/ back into the empty folder, so `git
    clone` there failed).  It stops, saying why, and touches nothing at the path."""
    from tests.watchkit import Daemon, settled

    bare = tmp_path / "backup.git"
    git(tmp_path, "clone", "--quiet", "--bare", str(records_repo), str(bare))
    daemon = Daemon(records_repo)
    try:
        daemon.wait_ready()
        assert settled(records_repo) >= 1
        if how == "deleted":  # as `rm -rf` again when the first found a file come back
            deadline = time.monotonic() + 20
            while records_repo.exists() and time.monotonic() < deadline:
                shutil.rmtree(records_repo, ignore_errors=True)
        else:
            records_repo.rename(tmp_path / "records-old")
        subprocess.run(
            ["git", "clone", "--quiet", str(bare), str(records_repo)],
            check=True,
            capture_output=True,
        )
        code = daemon.proc.wait(timeout=20)  # the event: the old watcher is gone
        assert code != 0
        assert "is no longer the repository this watcher started in" in daemon.log
        assert "Traceback" not in daemon.log
        status = git(records_repo, "status", "--porcelain", "--ignored").strip()
        assert status == "", daemon.log  # nothing written into the new clone
        assert git(records_repo, "rev-list", "--count", "--all").strip() == "1"
        if how == "moved":  # the lock it held is not removed from the moved repository
            assert (tmp_path / "records-old" / ".git" / "sortext-watch.pid").exists()
    finally:
        daemon.stop()


# --- one field of a conflict block settled, the others left for a decision --------


def _session_conflict(records_repo: Path) -> Path:
    """CLIENT with one session logged on both machines for the same day, with a
    different focus and score: one conflict block holding two fields."""
    from sortext.vcs.merge import merge_files

    path = records_repo / CLIENT
    base = path.read_text(encoding="utf-8")
    anchor = "sessions:\n"
    assert anchor in base

    def logged(focus: str, score: int) -> str:
        entry = f"  - date: 2026-11-25\n    status: held\n    focus: {focus}\n    score: {score}\n"
        return base.replace(anchor, anchor + entry, 1)

    merged = merge_files(
        base.encode(), logged("Session 2 (A)", 6).encode(), logged("Session 2", 8).encode()
    )
    path.write_text(merged.text, encoding="utf-8")
    return path


def test_resolving_one_field_of_a_block_leaves_the_others_to_decide(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    """Two machines logged the same day's session: `check` named two conflicts (focus,
    score), each with its own resolve command, but `resolve ... focus --take theirs`
    took the whole block, score included, and said 'no conflicts left': a value chosen
    without the coach (last writer wins).  Now only the field named is settled."""
    from sortext.vcs.versions import parse_version

    path = _session_conflict(records_repo)
    repo = ("--repo", str(records_repo))
    out = cli("check", *repo).output
    focus, score = "sessions[2026-11-25].focus", "sessions[2026-11-25].score"
    assert f"error: {focus}: merge conflict" in out and f"error: {score}: merge conflict" in out
    done = cli("resolve", "amara-okafor", focus, "--take", "theirs", *repo)
    assert done.exit_code == 0, done.output
    assert "other conflicts remain" in done.output
    out = cli("check", *repo).output
    assert f"{focus}: merge conflict" not in out
    assert f"error: {score}: merge conflict: ours 6, theirs 8" in out, out
    done = cli("resolve", "amara-okafor", score, "--take", "7", *repo)
    assert done.exit_code == 0, done.output
    assert "no conflicts left" in done.output
    assert cli("check", *repo).exit_code == 0
    version = parse_version(path.read_bytes())
    assert version is not None
    session = next(s for s in version.data["sessions"] if s["date"] == "2026-11-25")
    assert (session["focus"], session["score"]) == ("Session 2", 7)


@pytest.mark.parametrize("take", ["ours", "theirs", "5"])
def test_a_value_or_side_for_one_field_never_picks_the_others(
    records_repo: Path, cli: Callable[..., Result], take: str
) -> None:
    """Whichever way the score is settled, the focus stays in conflict."""
    _session_conflict(records_repo)
    repo = ("--repo", str(records_repo))
    done = cli("resolve", "amara-okafor", "sessions[2026-11-25].score", "--take", take, *repo)
    assert done.exit_code == 0, done.output
    out = cli("check", *repo).output
    assert "sessions[2026-11-25].focus: merge conflict: ours 'Session 2 (A)', theirs" in out
    assert "sessions[2026-11-25].score: merge conflict" not in out


_FIELDS = {
    "focus": st.from_regex(r"[A-Z][a-z]{1,8}( [a-z]{1,8}){0,2}", fullmatch=True),
    "kind": st.from_regex(r"[a-z]{3,10}", fullmatch=True).filter(
        lambda k: k not in ("yes", "no", "on", "off", "true", "false", "null")
    ),
    "score": st.integers(0, 10),
}


@given(
    ours=st.fixed_dictionaries({k: v for k, v in _FIELDS.items()}),
    theirs=st.fixed_dictionaries({k: v for k, v in _FIELDS.items()}),
    order=st.permutations(list(_FIELDS)),
    takes=st.lists(st.sampled_from(["ours", "theirs", "value"]), min_size=3, max_size=3),
    value=st.integers(0, 10),
)
def test_each_resolve_settles_its_field_and_no_other(
    ours: dict[str, object],
    theirs: dict[str, object],
    order: list[str],
    takes: list[str],
    value: int,
) -> None:
    """One session logged on both sides with any values: each `resolve FIELD` settles
    that field to the value taken, and every other field still in conflict keeps both
    of its values, until none is left."""
    from sortext.check.conflicts import has_markers, hunk_changes, resolve
    from sortext.record.fielddiff import value_at
    from sortext.record.peek import front_matter
    from sortext.vcs.merge import merge_files
    from tests.conftest import PROJECT_ROOT

    base = (PROJECT_ROOT / CLIENT).read_text(encoding="utf-8")

    def logged(values: dict[str, object]) -> str:
        entry = "  - date: 2026-11-25\n    status: held\n" + "".join(
            f"    {k}: {v}\n" for k, v in values.items()
        )
        return base.replace("sessions:\n", "sessions:\n" + entry, 1)

    text = merge_files(base.encode(), logged(ours).encode(), logged(theirs).encode()).text
    prefix = "sessions[2026-11-25]."
    open_fields = {k for k in _FIELDS if ours[k] != theirs[k]}
    chosen: dict[str, object] = {}
    for name, take in zip(order, takes, strict=True):
        if name not in open_fields:
            continue
        arg = take if take != "value" else (str(value) if name == "score" else f"Set{value}")
        text = resolve(text, "amara-okafor", prefix + name, arg)
        want = {"ours": ours[name], "theirs": theirs[name]}.get(arg, value)
        chosen[name] = want if take != "value" or name == "score" else f"Set{value}"
        open_fields.discard(name)
        left = {c.path: (c.old, c.new) for _, changes in hunk_changes(text) for c in changes}
        assert left == {prefix + k: (ours[k], theirs[k]) for k in open_fields}
    assert not has_markers(text)
    data = front_matter(text)
    assert data is not None
    for name, want in chosen.items():
        assert value_at(data, prefix + name) == want


# --- git's own conflict markers in the diff3 / zdiff3 style -------------------------


def _git_merged(records_repo: Path, style: str, ours: str, theirs: str) -> str:
    """CLIENT's stage changed to ``ours`` on main and ``theirs`` on a branch, merged by
    git itself (a clone without sortext's merge driver) with ``merge.conflictStyle``
    ``style``; returns the file with git's markers."""
    git(records_repo, "config", "merge.conflictStyle", style)
    git(records_repo, "checkout", "--quiet", "-b", "side")
    _stage_to(records_repo, CLIENT, theirs)
    git(records_repo, "commit", "--quiet", "--no-verify", "-am", "side")
    git(records_repo, "checkout", "--quiet", "main")
    _stage_to(records_repo, CLIENT, ours)
    git(records_repo, "commit", "--quiet", "--no-verify", "-am", "main")
    proc = subprocess.run(["git", "merge", "side"], cwd=records_repo, capture_output=True)
    assert proc.returncode == 1
    return (records_repo / CLIENT).read_text(encoding="utf-8")


@pytest.mark.parametrize("style", ["diff3", "zdiff3"])
def test_diff3_markers_name_the_field_and_resolve_settles_it(
    records_repo: Path, cli: Callable[..., Result], style: str
) -> None:
    """With git's popular `merge.conflictStyle=diff3` (or zdiff3) the base section
    ('||||||| base') was read as part of ours: `check` said only 'merge conflict
    markers in the front matter', and `resolve ID stage` answered 'no merge conflict
    on stage (conflicts: none)' for the conflict check had just reported."""
    text = _git_merged(records_repo, style, "review", "paused")
    assert "|||||||" in text
    repo = ("--repo", str(records_repo))
    out = cli("check", *repo).output
    assert "error: stage: merge conflict: ours 'review', theirs 'paused'" in out, out
    done = cli("resolve", "amara-okafor", "stage", "--take", "theirs", *repo)
    assert done.exit_code == 0, done.output
    text = (records_repo / CLIENT).read_text(encoding="utf-8")
    assert "stage: paused\n" in text
    assert "|||||||" not in text and "<<<<<<<" not in text and "stage: active" not in text
    assert cli("check", *repo).exit_code == 0
    assert git(records_repo, "ls-files", "--unmerged").strip() == ""


_STAGES = ["inquiry", "discovery", "proposal", "contracted", "review", "paused", "lost"]


@given(
    values=st.lists(st.sampled_from(_STAGES), min_size=2, max_size=2, unique=True),
    notes=st.lists(st.from_regex(r"[A-Za-z][a-z ]{0,20}", fullmatch=True), min_size=3, max_size=3),
)
def test_every_marker_style_gives_the_same_sides(values: list[str], notes: list[str]) -> None:
    """Whichever style git wrote the conflicts in (merge, diff3, zdiff3), taking our
    side of every block gives one file, and theirs another: the base section is never
    part of either side."""
    from sortext.check.conflicts import find_hunks, settle
    from tests.conftest import PROJECT_ROOT

    record = (PROJECT_ROOT / CLIENT).read_text(encoding="utf-8")
    base = record + f"\n{notes[0]}\n"
    ours = record.replace("stage: active", f"stage: {values[0]}") + f"\n{notes[1]}\n"
    theirs = record.replace("stage: active", f"stage: {values[1]}") + f"\n{notes[2]}\n"
    taken: dict[str, tuple[str, str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for name, text in (("ours", ours), ("base", base), ("theirs", theirs)):
            (Path(tmp) / name).write_text(text, encoding="utf-8")
            paths.append(str(Path(tmp) / name))
        for style in ("merge", "diff3", "zdiff3"):
            flag = [] if style == "merge" else [f"--{style}"]
            merged = subprocess.run(
                ["git", "merge-file", "-p", *flag, *paths], capture_output=True, text=True
            ).stdout
            assert find_hunks(merged), merged
            taken[style] = (settle(merged, {}, "ours"), settle(merged, {}, "theirs"))
    assert taken["diff3"] == taken["merge"] == taken["zdiff3"]
    assert "stage: " + values[0] in taken["merge"][0]
    assert "stage: " + values[1] in taken["merge"][1]


@pytest.mark.parametrize(
    "command",
    [
        ["log", "amara-okafor", "--focus", "Check-in", "--on", "2026-11-30"],
        ["set", "amara-okafor", "owner=maya"],
        ["move", "amara-okafor", "review"],
    ],
)
def test_an_edit_of_a_conflicted_record_names_the_conflict(
    records_repo: Path, cli: Callable[..., Result], command: list[str]
) -> None:
    """`sortext log` on a record a merge left marked said only the YAML parser's
    'invalid YAML: simple key expect ':'' at the marker line; it names the field in
    conflict, both values and the resolve command, as check does."""
    _git_merged(records_repo, "merge", "review", "paused")
    done = cli(*command, "--repo", str(records_repo))
    assert done.exit_code == 2
    assert "stage: merge conflict: ours 'review', theirs 'paused'" in done.output, done.output
    assert "sortext resolve amara-okafor stage" in done.output
    assert "invalid YAML" not in done.output


# --- pages never reach a remote whose records branch refused the push --------------


def _pages_commit(root: Path, text: str) -> str:
    """A commit on ``sortext-pages`` holding NEXT.md with ``text`` (as the watcher
    publishes: plumbing, no checkout)."""
    blob = subprocess.run(
        ["git", "hash-object", "-w", "--stdin"],
        cwd=root,
        input=text,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    tree = subprocess.run(
        ["git", "mktree"],
        cwd=root,
        input=f"100644 blob {blob}\tNEXT.md\n",
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    commit = git(root, "commit-tree", tree, "-m", f"pages: {text}").strip()
    git(root, "update-ref", "refs/heads/sortext-pages", commit)
    return commit


@pytest.mark.parametrize("pusher", ["watcher", "backup"])
def test_pages_are_not_pushed_over_a_remote_whose_records_refused_them(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result], pusher: str
) -> None:
    """Both machines' watchers push: the one that is behind had its records push
    rejected (fetch first) but its pages force-pushed in the same `git push`, so the
    git host's NEXT.md showed the older machine's state, for a records commit the
    remote's branch does not have.  The push is atomic: all refs or none."""
    from sortext.daemon.push import BackupTarget, Pusher

    first, second = _two_clones(records_repo, tmp_path)
    remote = tmp_path / "remote.git"
    _commit_stage(second, "paused")
    newer = _pages_commit(second, "second's pages")
    git(second, "push", "--quiet", "origin", "HEAD", "+sortext-pages:sortext-pages")
    _commit_stage(first, "review")
    _pages_commit(first, "first's stale pages")
    if pusher == "watcher":
        work = Pusher(first, BackupTarget(("origin",), None, "refs/heads/sortext-pages"))
        work.status_path.parent.mkdir(exist_ok=True)
        assert not work.push_once()
    else:
        assert cli("backup", "--repo", str(first)).exit_code != 0
    assert git(remote, "rev-parse", "sortext-pages").strip() == newer
    assert git(remote, "rev-parse", "main").strip() == git(second, "rev-parse", "HEAD").strip()


def test_a_sync_whose_merge_a_hook_stopped_says_the_merge_is_left_in_progress(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    """A pre-merge-commit hook refusing: sync printed the hook's words but not that the
    merge was left in progress (MERGE_HEAD, the records staged), nor how to go on."""
    first, second = _two_clones(records_repo, tmp_path)
    path = second / "clients/jonas-weber.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nA note.\n", encoding="utf-8")
    git(second, "commit", "--quiet", "--no-verify", "-am", "note")
    git(second, "push", "--quiet", "origin", "HEAD")
    _commit_stage(first, "review")
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    hook = hooks / "pre-merge-commit"
    hook.write_text("#!/bin/sh\necho 'policy: merges need a ticket' >&2\nexit 1\n")
    hook.chmod(0o755)
    git(first, "config", "core.hooksPath", str(hooks))
    done = cli("sync", "--repo", str(first))
    assert done.exit_code == 2, done.output
    assert "policy: merges need a ticket" in done.output
    assert "the merge is left in progress" in done.output and "git merge --abort" in done.output
    hook.unlink()
    again = cli("sync", "--repo", str(first))
    assert again.exit_code == 0, again.output
    assert git(first, "status", "--porcelain", "--", "clients").strip() == ""


def test_a_stale_clones_watcher_push_never_puts_an_erased_client_back(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    """One machine erased a client and force-pushed (`erase --push`); the other, not yet
    re-cloned, runs a watcher with backup on: its next push had the records branch
    rejected (the history was rewritten) but force-pushed its pages branch, whose
    client page and NEXT.md hold the erased client: back on the remote.  The atomic
    push keeps the remote as the erase left it."""
    from sortext.daemon.push import BackupTarget, Pusher
    from tests.test_erase import VALUES, object_hits

    first, second = _two_clones(records_repo, tmp_path)
    built = cli("build", "--repo", str(second))
    assert built.exit_code == 0, built.output
    _pages_commit(second, (second / "NEXT.md").read_text(encoding="utf-8"))
    assert cli("erase", "amara-okafor", "--yes", "--push", "--repo", str(first)).exit_code == 0
    remote = tmp_path / "remote.git"
    assert object_hits(remote, VALUES) == []
    _stage_to(second, "clients/jonas-weber.md", "paused")
    git(second, "commit", "--quiet", "--no-verify", "-am", "a save on the stale clone")
    work = Pusher(second, BackupTarget(("origin",), None, "refs/heads/sortext-pages"))
    work.status_path.parent.mkdir(exist_ok=True)
    assert not work.push_once()
    assert object_hits(remote, VALUES) == []


def test_during_a_rebase_check_and_resolve_say_which_side_is_the_coachs(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    """`git pull --rebase` stopped on a record: git's 'ours' is then the commit being
    rebased onto (the other machine's) and 'theirs' the coach's own commit, the
    reverse of a merge.  check and resolve said 'ours'/'theirs' with no word of it, so
    `--take ours` to keep one's own edit took the other machine's."""
    _conflict_by(records_repo, "rebase")  # main's 'review' replayed onto other's 'paused'
    repo = ("--repo", str(records_repo))
    out = cli("check", *repo).output
    assert "stage: merge conflict: ours 'paused', theirs 'review'" in out, out
    assert "a rebase is in progress" in out
    assert "'theirs' is your own commit being replayed" in out
    done = cli("resolve", "amara-okafor", "stage", "--take", "theirs", *repo)
    assert "a rebase is in progress" in done.output


def test_outside_a_rebase_no_word_about_sides(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    _conflict_by(records_repo, "cherry-pick")
    out = cli("check", "--repo", str(records_repo)).output
    assert "stage: merge conflict" in out and "rebase" not in out


def test_backup_on_a_detached_head_names_the_branch_there_is(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    """`sortext backup` on a checked-out old commit said 'git switch main' in a
    repository whose branch is master (git then says 'invalid reference: main')."""
    first, _ = _two_clones(records_repo, tmp_path)
    git(first, "branch", "-q", "-m", "main", "master")
    git(first, "branch", "-q", "sortext-pages")
    git(first, "checkout", "--quiet", "--detach", "HEAD")
    done = cli("backup", "--repo", str(first))
    assert done.exit_code == 2
    assert "HEAD is detached" in done.output and "(git switch master)" in done.output
    assert "main" not in done.output.replace("remote", "")


def test_erase_on_a_detached_head_names_the_branch_there_is(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    git(records_repo, "branch", "-q", "-m", "main", "master")
    git(records_repo, "checkout", "--quiet", "--detach", "HEAD")
    done = cli("erase", "amara-okafor", "--yes", "--repo", str(records_repo))
    assert done.exit_code == 2
    assert "HEAD is detached" in done.output and "(git switch master)" in done.output
