"""Break-testing ``sortext erase`` (branch erase10): the client's text surviving an erase
somewhere other than the branches' files: git notes, tags on the pages branch, an
annotated tag's message, a state folder that is a link out of the repository, the
remote-tracking refs of a real bare remote, git's own files.

THE property (last test): after erase, no object in the repository's object store
(reachable or not), no file under the repository (``.git`` included) and nothing in
the pushed-to bare remote holds the erased client's id, name, email or a sentence
of their notes.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.vcs import git as gitlayer
from tests.conftest import SAMPLE_TODAY, git, sample_records
from tests.test_breakerase9 import ID, MARKED, RECORD, marker_hits

OTHER = "clients/bruno-castellanos.md"


def _commit(root: Path, message: str) -> str:
    git(root, "add", "-A")
    git(root, "commit", "--quiet", "--no-verify", "-m", message)
    return git(root, "rev-parse", "HEAD").strip()


def _touch_other(root: Path, line: str) -> str:
    other = root / OTHER
    other.write_text(other.read_text("utf-8") + f"\n{line}\n", "utf-8")
    return _commit(root, f"bruno: {line}")


def _bare(tmp_path: Path, root: Path) -> Path:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "--bare", "--quiet", str(remote))
    git(root, "remote", "add", "origin", str(remote))
    return remote


def _new_id(root: Path, subject: str) -> str:
    """The rewritten commit whose subject is ``subject`` (on main)."""
    out = git(root, "log", "main", "--format=%H %s").splitlines()
    return next(line.split(" ", 1)[0] for line in out if line.split(" ", 1)[1] == subject)


# --- 1. git notes -------------------------------------------------------------------


def test_git_notes_follow_the_rewritten_commits_without_the_client(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    """A note on a commit that only changed the client (the commit is dropped) kept a
    sentence of their notes reachable from refs/notes/commits; a note on a rewritten
    commit stayed filed under the old id (no longer shown) with the name in it; the
    backup kept both."""
    root = records_repo
    remote = _bare(tmp_path, root)
    (root / RECORD).write_text(MARKED, "utf-8")
    only = _commit(root, "the client alone")
    git(root, "notes", "add", "-m", "Zvqnotes: private text about her health.", only)
    kept = _touch_other(root, "A plan for Bruno.")
    git(root, "notes", "add", "-m", "Referred Zvqora Quellen.\nzvqora-quellen: next call", kept)
    git(root, "notes", "--ref=review", "add", "-m", "Reviewed, fine.", kept)
    git(root, "push", "--quiet", "origin", "main", "refs/notes/*:refs/notes/*")
    assert marker_hits(root) and marker_hits(remote)  # the test can fail

    result = cli("erase", ID, "--yes", "--push", "--today", SAMPLE_TODAY, "--repo", str(root))
    assert result.exit_code == 0, result.output
    assert "1 filed again" not in result.output  # two notes moved (two refs), one dropped
    assert "2 filed again under the rewritten commits, 1 dropped" in result.output
    assert marker_hits(root) == [] and marker_hits(remote) == []
    new = _new_id(root, "bruno: A plan for Bruno.")
    assert new != kept
    assert git(root, "notes", "show", new) == (
        "Referred (erased).\n(erased): (a change to an erased client)\n"
    )
    assert git(root, "notes", "--ref=review", "show", new) == "Reviewed, fine.\n"
    assert git(remote, "notes", "show", new).startswith("Referred (erased).")
    # the notes history is one commit: no old text behind it
    assert git(root, "rev-list", "--count", "refs/notes/commits").strip() == "1"


def test_a_notes_ref_left_empty_is_deleted_here_and_on_the_backup(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    root = records_repo
    remote = _bare(tmp_path, root)
    (root / RECORD).write_text(MARKED, "utf-8")
    only = _commit(root, "the client alone")
    git(root, "notes", "--ref=calls", "add", "-m", "Zvqcall: she cried.", only)
    git(root, "push", "--quiet", "origin", "main", "refs/notes/*:refs/notes/*")
    result = cli("erase", ID, "--yes", "--push", "--today", SAMPLE_TODAY, "--repo", str(root))
    assert result.exit_code == 0, result.output
    assert "refs/notes/calls" not in git(root, "for-each-ref")
    assert "refs/notes/calls" not in git(remote, "for-each-ref")
    assert marker_hits(root) == [] and marker_hits(remote) == []


_TEXTS = st.text(st.characters(codec="utf-8"), min_size=4, max_size=20).filter(
    lambda t: t.strip() != ""
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    record_id=st.from_regex(r"[a-z0-9][a-z0-9-]{3,12}", fullmatch=True),
    name=_TEXTS,
    note=st.text(st.characters(codec="utf-8")),
)
def test_a_note_is_rewritten_by_the_very_rules_filter_repo_reads_for_messages(
    record_id: str, name: str, note: str
) -> None:
    """The rules applied to a note's text are the ``--replace-message`` rules exactly as
    git-filter-repo parses them from the file erase writes: a note reads like the commit
    message it annotates after the erase."""
    from git_filter_repo import FilteringOptions  # type: ignore[import-untyped]

    from sortext.vcs.erase import ErasePlan, Value, message_rules, message_substitutions
    from sortext.vcs.erasenotes import apply_rules

    plan = ErasePlan(record_id, values=[Value("id", record_id), Value("name", name.strip())])
    with tempfile.TemporaryDirectory() as tmp:
        rules = Path(tmp) / "messages"
        rules.write_bytes(message_rules(plan))
        parsed = FilteringOptions.get_replace_text(str(rules))
    assert parsed["literals"] == []
    theirs = [(rx.pattern, replacement) for rx, replacement in parsed["regexes"]]
    assert theirs == message_substitutions(plan)
    text = f"{note}\n{record_id}: next_action.what {note}\nsaw {name.strip()}\n".encode()
    expected = text
    for rx, replacement in parsed["regexes"]:
        expected = rx.sub(replacement, expected)
    assert apply_rules(text, message_substitutions(plan)) == expected


# --- 2. tags ------------------------------------------------------------------------


def test_tags_on_the_pages_branch_go_with_it_and_tag_messages_lose_the_client(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    """A tag on a pages commit kept the old pages alive (the client's next action,
    invoices, goals under "(erased)") through the rewrite, here and on the backup; an
    annotated tag on a records commit named the client in its message."""
    from sortext.vcs.pages import PagesSettings, publish

    root = records_repo
    remote = _bare(tmp_path, root)
    (root / RECORD).write_text(MARKED, "utf-8")
    _commit(root, "the client")
    assert cli("build", "--today", SAMPLE_TODAY, "--repo", str(root)).exit_code == 0
    assert publish(root, git(root, "rev-parse", "HEAD").strip(), PagesSettings())
    git(root, "tag", "pages-light", "sortext-pages")
    git(root, "tag", "-a", "pages-annotated", "-m", "pages of the week", "sortext-pages")
    assert "Zvqnext" in git(root, "grep", "-h", "Zvqnext", "pages-light", "--", "NEXT.md")
    kept = _touch_other(root, "A plan for Bruno.")
    git(root, "tag", "-a", "signed-up", "-m", "Zvqora Quellen and Bruno signed up", kept)
    git(root, "push", "--quiet", "origin", "main", "sortext-pages", "--tags")

    result = cli("erase", ID, "--yes", "--push", "--today", SAMPLE_TODAY, "--repo", str(root))
    assert result.exit_code == 0, result.output
    assert "refs/tags/pages-light" in result.output  # the plan says they go
    for where in (root, remote):
        tags = git(where, "tag", "--list").split()
        assert tags == ["signed-up"], (where, tags)
    assert git(root, "tag", "-l", "--format=%(contents)", "signed-up") == (
        "(erased) and Bruno signed up\n\n"
    )
    assert marker_hits(root) == [] and marker_hits(remote) == []


def test_a_tag_on_old_pages_goes_when_the_pages_branch_was_deleted_before(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    """The pages branch deleted by hand, a tag on one of its commits kept: the tag alone
    holds the old pages.  (A guard: the pages' files, derived, are dropped from every
    commit the rewrite keeps, so the pages commits are left empty and go, with the tag.)"""
    from sortext.vcs.pages import PagesSettings, publish

    root = records_repo
    (root / RECORD).write_text(MARKED, "utf-8")
    _commit(root, "the client")
    assert cli("build", "--today", SAMPLE_TODAY, "--repo", str(root)).exit_code == 0
    assert publish(root, git(root, "rev-parse", "HEAD").strip(), PagesSettings())
    git(root, "tag", "-a", "old-pages", "-m", "the week's pages", "sortext-pages")
    git(root, "branch", "-D", "sortext-pages")
    git(root, "tag", "-a", "release", "-m", "pages for " + "a" * 40, "main")  # a user's own
    result = cli("erase", ID, "--yes", "--today", SAMPLE_TODAY, "--repo", str(root))
    assert result.exit_code == 0, result.output
    assert git(root, "tag", "--list").split() == ["release"]
    assert marker_hits(root) == []


def test_a_commit_or_tag_made_as_the_client_loses_their_name_and_email(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    """The author, committer and tagger of a commit or tag (an edit the client sent,
    made with ``--author``; a tag made on their machine) kept their name and email: no
    file or message rule reaches a header (STILL FOUND after rewriting)."""
    root = records_repo
    remote = _bare(tmp_path, root)
    (root / RECORD).write_text(MARKED, "utf-8")
    _commit(root, "the client")
    other = root / OTHER
    other.write_text(other.read_text("utf-8") + "\nA line.\n", "utf-8")
    client = "Zvqora Quellen <zvqmail@example.com>"
    git(root, "commit", "--quiet", "-am", "an edit", "--author", client)
    import subprocess

    as_client = {
        **os.environ,
        "GIT_COMMITTER_NAME": "Zvqora Quellen",
        "GIT_COMMITTER_EMAIL": "ZVQMAIL@example.com",
    }
    subprocess.run(
        ["git", "tag", "-a", "theirs", "-m", "a tag"], cwd=root, env=as_client, check=True
    )
    git(root, "push", "--quiet", "origin", "main", "--tags")
    result = cli("erase", ID, "--yes", "--push", "--today", SAMPLE_TODAY, "--repo", str(root))
    assert result.exit_code == 0, result.output
    assert marker_hits(root) == [] and marker_hits(remote) == []
    assert git(root, "log", "-1", "--format=%an <%ae>", "main~1") == "(erased) <(erased)>\n"
    assert git(root, "tag", "-l", "--format=%(taggername)", "theirs") == "(erased)\n"
    assert git(root, "log", "--format=%an", "main").splitlines().count("Test User") >= 1


# --- 3. a state folder that is a link -----------------------------------------------


@pytest.mark.parametrize("inside", [False, True])
def test_a_state_folder_that_is_a_link_is_refused_naming_its_target(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result], inside: bool
) -> None:
    """``.sortext`` moved (another disk, another folder) with a link left behind: erase
    removed the link and the index at the target (every client's notes) survived; for a
    target outside the repository the refusal said "replace the link with a real
    folder", which left it there too.  Erase never deletes through a link (it may lead
    to a home folder): it refuses before reading anything, naming the target."""
    root = records_repo
    (root / RECORD).write_text(MARKED, "utf-8")
    _commit(root, "the client")
    target = (root / "state") if inside else (tmp_path / "elsewhere" / "state")
    target.mkdir(parents=True)
    (target / "index.sqlite").write_bytes(b"SQLite ... Zvqnotes: private text")
    (root / ".sortext").symlink_to(target, target_is_directory=True)
    head = git(root, "rev-parse", "HEAD")

    result = cli("erase", ID, "--yes", "--today", SAMPLE_TODAY, "--repo", str(root))
    assert result.exit_code == 2, result.output
    assert f".sortext is a link to {target.resolve()}" in result.output
    assert "delete it and the link" in result.output
    assert "Traceback" not in result.output
    assert git(root, "rev-parse", "HEAD") == head and (root / RECORD).exists()
    # done as told: the erase goes through
    shutil.rmtree(target)
    (root / ".sortext").unlink()
    result = cli("erase", ID, "--yes", "--today", SAMPLE_TODAY, "--repo", str(root))
    assert result.exit_code == 0, result.output
    assert marker_hits(root) == []


def test_the_api_refuses_a_linked_state_folder_too(records_repo: Path) -> None:
    """:func:`sortext.vcs.erase.erase` called without the command (a link made inside
    the repository after the plan) refuses before rewriting."""
    import datetime as dt

    from sortext.errors import UsageError
    from sortext.repo import open_repository
    from sortext.vcs.erase import erase, plan_erase

    root = records_repo
    repo = open_repository(root)
    plan = plan_erase(repo, "amara-okafor")
    (root / "state").mkdir()
    (root / ".sortext").symlink_to(root / "state", target_is_directory=True)
    head = git(root, "rev-parse", "HEAD")
    with pytest.raises(UsageError, match="is a link to"):
        erase(repo, plan, dt.date(2026, 11, 23))
    assert git(root, "rev-parse", "HEAD") == head


# --- 4. git's own places -------------------------------------------------------------


def test_a_kept_pack_does_not_keep_the_client(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    """A pack marked ``.keep`` (a fetch or clone can leave one) is never repacked or
    pruned by gc: the client's old blobs stayed in it and erase ended STILL FOUND."""
    root = records_repo
    (root / RECORD).write_text(MARKED, "utf-8")
    _commit(root, "the client")
    git(root, "repack", "-a", "-d", "-q")
    packs = sorted((root / ".git" / "objects" / "pack").glob("*.pack"))
    for pack in packs:
        pack.with_suffix(".keep").write_text("kept by a clone\n", "utf-8")
    result = cli("erase", ID, "--yes", "--today", SAMPLE_TODAY, "--repo", str(root))
    assert result.exit_code == 0, result.output
    assert f"removed .git/objects/pack/{packs[0].with_suffix('.keep').name}" in result.output
    assert marker_hits(root) == []


def test_borrowed_objects_are_refused_naming_where(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    """A clone made with ``--reference``/``--shared`` reads its old objects from another
    repository's store, which no rewrite or gc here can reach."""
    root = records_repo
    (root / RECORD).write_text(MARKED, "utf-8")
    _commit(root, "the client")
    borrower = tmp_path / "borrower"
    git(tmp_path, "clone", "--quiet", "--shared", str(root), str(borrower))
    git(borrower, "config", "user.email", "test@sortext.invalid")
    git(borrower, "config", "user.name", "Test User")
    head = git(borrower, "rev-parse", "HEAD")
    result = cli("erase", ID, "--yes", "--today", SAMPLE_TODAY, "--repo", str(borrower))
    assert result.exit_code == 2, result.output
    assert "borrows objects from another" in result.output
    assert str(root / ".git" / "objects") in result.output
    assert git(borrower, "rev-parse", "HEAD") == head
    git(borrower, "repack", "-a", "-d", "-q")
    (borrower / ".git" / "objects" / "info" / "alternates").unlink()
    result = cli("erase", ID, "--yes", "--today", SAMPLE_TODAY, "--repo", str(borrower))
    assert result.exit_code == 0, result.output
    assert marker_hits(borrower) == []


def test_git_s_own_files_keep_nothing_after_a_conflicted_merge_and_a_fetch(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    """rerere's recorded conflict (both sides of the client's record), ORIG_HEAD,
    FETCH_HEAD, packed refs and the remote-tracking refs of a real bare remote: after an
    erase without --push nothing here holds the client, and the report says the backup
    still does."""
    import subprocess

    root = records_repo
    remote = _bare(tmp_path, root)
    git(root, "config", "rerere.enabled", "true")
    (root / RECORD).write_text(MARKED, "utf-8")
    _commit(root, "the client")
    git(root, "checkout", "--quiet", "-b", "side")
    (root / RECORD).write_text(MARKED.replace("Zvqnext call", "Zvqside call"), "utf-8")
    _commit(root, "side")
    git(root, "checkout", "--quiet", "main")
    (root / RECORD).write_text(MARKED.replace("Zvqnext call", "Zvqmain call"), "utf-8")
    _commit(root, "main")
    merge = subprocess.run(["git", "merge", "side"], cwd=root, capture_output=True)
    assert merge.returncode == 1
    assert any((root / ".git" / "rr-cache").rglob("preimage"))
    (root / RECORD).write_text(MARKED.replace("Zvqnext call", "Zvqmerged call"), "utf-8")
    _commit(root, "merged")
    git(root, "branch", "-D", "side")
    git(root, "push", "--quiet", "origin", "main")
    git(root, "fetch", "--quiet", "origin")
    git(root, "pack-refs", "--all")
    assert (root / ".git" / "FETCH_HEAD").exists() and marker_hits(root)
    result = cli("erase", ID, "--yes", "--today", SAMPLE_TODAY, "--repo", str(root))
    assert result.exit_code == 0, result.output
    assert marker_hits(root) == []
    assert "backup remotes still hold the client" in result.output
    assert marker_hits(remote)  # untouched without --push, as said


@pytest.mark.parametrize("kind", ["blob", "tree", "tree-content", "annotated"])
def test_a_ref_to_a_file_or_folder_holding_the_client_is_refused(
    records_repo: Path, cli: Callable[..., Result], kind: str
) -> None:
    """A tag (or any ref) leading straight to a blob or a tree, not a commit: the rewrite
    left it, and the client's record it kept alive, as it was (STILL FOUND after the
    history was already rewritten).  A ref to a file that does not hold the client
    (a project's key, say) is left alone."""
    root = records_repo
    (root / RECORD).write_text(MARKED, "utf-8")
    _commit(root, "the client")
    blob = git(root, "rev-parse", f"HEAD:{RECORD}").strip()
    tree = git(root, "rev-parse", "HEAD:clients").strip()
    harmless = git(root, "rev-parse", "HEAD:sortext.yaml").strip()
    git(root, "tag", "key", harmless)
    if kind == "blob":
        git(root, "tag", "a-file", blob)
    elif kind == "tree":
        git(root, "update-ref", "refs/kept/folder", tree)
    elif kind == "tree-content":  # a folder whose file names do not say whose it is
        import subprocess

        listing = f"100644 blob {harmless}\ta.yaml\n100644 blob {blob}\tcopy.md\n"
        made = subprocess.run(
            ["git", "mktree"], cwd=root, input=listing, capture_output=True, text=True
        )
        git(root, "update-ref", "refs/kept/folder", made.stdout.strip())
    else:
        git(root, "tag", "-a", "a-file", "-m", "the file", blob)
    head = git(root, "rev-parse", "HEAD")
    result = cli("erase", ID, "--yes", "--today", SAMPLE_TODAY, "--repo", str(root))
    assert result.exit_code == 2, result.output
    refused = next(x for x in result.output.splitlines() if "refs leading to a file" in x)
    ref = "refs/kept/folder" if kind.startswith("tree") else "refs/tags/a-file"
    assert ref in refused
    assert "refs/tags/key" not in refused
    assert git(root, "rev-parse", "HEAD") == head
    git(root, "update-ref", "-d", ref)
    result = cli("erase", ID, "--yes", "--today", SAMPLE_TODAY, "--repo", str(root))
    assert result.exit_code == 0, result.output
    assert marker_hits(root) == []
    assert git(root, "rev-parse", "key").strip() == harmless


def test_a_note_on_a_commit_the_rewrite_keeps_as_it_was_stays_on_it(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    root = records_repo
    first = git(root, "rev-parse", "HEAD").strip()
    git(root, "notes", "add", "-m", "The practice started here.", first)
    (root / RECORD).write_text(MARKED, "utf-8")
    _commit(root, "the client")
    result = cli("erase", ID, "--yes", "--today", SAMPLE_TODAY, "--repo", str(root))
    assert result.exit_code == 0, result.output
    root_now = git(root, "rev-list", "--max-parents=0", "HEAD").strip()
    assert git(root, "notes", "show", root_now) == "The practice started here.\n"


def test_a_bisect_in_progress_is_refused(records_repo: Path, cli: Callable[..., Result]) -> None:
    """``git bisect`` keeps a log quoting the subject of each commit it was told about
    (``zvqora-quellen: next_action.what ...``), which a rewrite leaves (STILL FOUND after
    the history was rewritten), and its detached HEAD took the tombstone commit, lost
    at the next ``git bisect reset``."""
    root = records_repo
    (root / RECORD).write_text(MARKED, "utf-8")
    _commit(root, f"{ID}: next_action.what Zvqnext call about the plan")
    _touch_other(root, "A plan for Bruno.")
    git(root, "bisect", "start", "HEAD~1", "HEAD~2")
    assert "Zvqnext" in (root / ".git" / "BISECT_LOG").read_text("utf-8")
    head = git(root, "rev-parse", "HEAD")
    result = cli("erase", ID, "--yes", "--today", SAMPLE_TODAY, "--repo", str(root))
    assert result.exit_code == 2, result.output
    assert "git bisect reset" in result.output
    assert git(root, "rev-parse", "HEAD") == head
    git(root, "bisect", "reset")
    result = cli("erase", ID, "--yes", "--today", SAMPLE_TODAY, "--repo", str(root))
    assert result.exit_code == 0, result.output
    assert marker_hits(root) == []


def test_a_detached_head_is_refused(records_repo: Path, cli: Callable[..., Result]) -> None:
    """On a detached HEAD the tombstone commit went to no branch: lost at the next
    checkout, and with it what keeps sync, import and the watcher from bringing the
    client back."""
    root = records_repo
    (root / RECORD).write_text(MARKED, "utf-8")
    _commit(root, "the client")
    git(root, "checkout", "--quiet", "--detach", "HEAD")
    result = cli("erase", ID, "--yes", "--today", SAMPLE_TODAY, "--repo", str(root))
    assert result.exit_code == 2, result.output
    assert "HEAD is detached" in result.output and "git switch" in result.output
    assert (root / RECORD).exists()
    git(root, "checkout", "--quiet", "main")
    result = cli("erase", ID, "--yes", "--today", SAMPLE_TODAY, "--repo", str(root))
    assert result.exit_code == 0, result.output
    assert "erased.yaml" in git(root, "show", "--stat", "main")


def test_a_remote_that_is_not_a_backup_is_named_as_still_holding_the_client(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    """``--push`` rewrites the backup remotes only; another remote (a second copy the
    user pushed to by hand) kept the client without a word."""
    root = records_repo
    origin = _bare(tmp_path, root)
    mirror = tmp_path / "mirror.git"
    git(tmp_path, "init", "--bare", "--quiet", str(mirror))
    git(root, "remote", "add", "mirror", str(mirror))
    (root / RECORD).write_text(MARKED, "utf-8")
    _commit(root, "the client")
    git(root, "push", "--quiet", "origin", "main")
    git(root, "push", "--quiet", "mirror", "main")
    result = cli("erase", ID, "--yes", "--push", "--today", SAMPLE_TODAY, "--repo", str(root))
    assert result.exit_code == 0, result.output
    assert "other remotes NOT changed (not backup remotes): mirror" in result.output
    assert marker_hits(origin) == []
    assert marker_hits(mirror)  # as said


# --- 5. THE property: nothing anywhere ----------------------------------------------


def leaks(places: list[Path], needles: list[str]) -> list[str]:
    """Every object (any kind, reachable or not, loose or packed) of each repository in
    ``places`` and every file under it (``.git`` and a bare repository's own files
    included, links not followed) holding one of ``needles`` (UTF-8, ASCII case
    ignored); ref names too."""
    wanted = [n.encode("utf-8").lower() for n in needles]
    found: list[str] = []
    for place in places:
        for oid, kind, data in gitlayer.all_objects(place):
            low = data.lower()
            found += [f"{place.name}: {kind} {oid}: {n!r}" for n in wanted if n in low]
        refs = git(place, "for-each-ref", "--format=%(refname)").lower().encode()
        found += [f"{place.name}: ref name {n!r}" for n in wanted if n in refs]
        for folder, _dirs, files in os.walk(place):
            for name in files:
                path = Path(folder) / name
                if path.is_symlink():
                    continue
                low = path.read_bytes().lower()
                rel = path.relative_to(place)
                found += [f"{place.name}: {rel}: {n!r}" for n in wanted if n in low]
    return found


_METACHARS = ".*+?()[]{}|^$\\"
_LETTERS = st.characters(categories=["L"])
_WORD = st.text(_LETTERS, min_size=2, max_size=6)


@st.composite
def clients(draw: st.DrawFn) -> tuple[str, str, str, str]:
    """``(id, name, email, notes sentence)``: a name of Unicode letters with a regex
    metacharacter in it, all unique to the example (prefixed ``Zq``)."""
    tail = draw(st.text("abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=6))
    first = "Zq" + draw(_WORD)
    meta = draw(st.sampled_from(_METACHARS))
    last = draw(_WORD) + meta + draw(_WORD)
    sentence = "Zqs " + " ".join(draw(st.lists(_WORD, min_size=3, max_size=5)))
    return f"zq-{tail}", f"{first} {last}", f"zq.{tail}@example.org", sentence


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(client=clients())
def test_after_erase_nothing_anywhere_holds_the_client(client: tuple[str, str, str, str]) -> None:
    """The client saved, changed with another, annotated (git notes), tagged (annotated
    tag naming them), the author of a commit, indexed, searched and built (.sortext/,
    the pages), published (the pages branch, a tag on it), pushed to a real bare
    remote and fetched back (remote-tracking refs, FETCH_HEAD), merged (ORIG_HEAD),
    packed (refs, and objects in a pack marked .keep), then erased with ``--push``: no
    object and no file here or in the remote holds their id, name, email or notes
    sentence."""
    from click.testing import CliRunner

    from sortext.cli import main
    from sortext.vcs.pages import PagesSettings, publish

    record_id, name, email, sentence = client
    with tempfile.TemporaryDirectory(prefix="be10-") as tmp:
        base = Path(tmp)
        root = sample_records(base / "records")
        remote = _bare(base, root)
        record = root / "clients" / f"{record_id}.md"
        front = f"name: {json.dumps(name)}\nemail: {email}\nstage: active\n"
        record.write_text(f"---\n{front}---\n\n{sentence}.\n", "utf-8")
        only = _commit(root, f"{record_id}: new client {name}")
        git(root, "notes", "add", "-m", f"{name} called. {sentence}.", only)
        git(root, "tag", "-a", "first", "-m", f"{name} signed up ({email})", only)
        record.write_text(f"---\n{front}---\n\n{sentence}.\nMore.\n", "utf-8")
        both = _touch_other(root, f"Bruno met {name}.")
        git(root, "notes", "add", "-m", f"Both: {name}.", both)
        (root / "sent.txt").write_text("An edit the client sent.\n", "utf-8")
        git(root, "add", "sent.txt")
        git(root, "commit", "--quiet", "-m", "their edit", "--author", f"{name} <{email}>")
        run = CliRunner()
        today = ("--today", SAMPLE_TODAY)
        for args in (("build", *today), ("search", sentence.split()[1]), ("next", *today)):
            done = run.invoke(main, [*args, "--repo", str(root)])
            assert done.exit_code in (0, 1), done.output  # index, caches, pages written
        assert publish(root, both, PagesSettings())
        git(root, "tag", "pages-week", "sortext-pages")
        git(root, "push", "--quiet", "origin", "main", "sortext-pages", "--tags")
        git(root, "push", "--quiet", "origin", "refs/notes/*:refs/notes/*")
        git(root, "fetch", "--quiet", "origin")
        git(root, "checkout", "--quiet", "-b", "side", "HEAD~1")
        (root / "side.txt").write_text("A side change.\n", "utf-8")
        _commit(root, "a side change")
        git(root, "checkout", "--quiet", "main")
        git(root, "merge", "--quiet", "--no-edit", "side")
        git(root, "pack-refs", "--all")
        git(root, "repack", "-a", "-d", "-q")
        for pack in (root / ".git" / "objects" / "pack").glob("*.pack"):
            pack.with_suffix(".keep").write_text("kept\n", "utf-8")
        needles = [record_id, name, email, sentence]
        assert leaks([root, remote], needles)  # the test can fail

        result = run.invoke(
            main,
            ["erase", record_id, "--yes", "--push", "--today", SAMPLE_TODAY, "--repo", str(root)],
        )
        assert result.exit_code == 0, result.output
        assert leaks([root, remote], needles) == []
        assert (root / OTHER).exists()


@pytest.mark.parametrize("verb", ["erase", "anonymise"])
@pytest.mark.parametrize("block", ["detached", "stash", "dirty", "bisect"])
def test_a_refusal_comes_before_the_question(
    records_repo: Path, cli: Callable[..., Result], verb: str, block: str
) -> None:
    """Every refusal is made before the command asks "for good?": a user who answered
    yes was told only then that nothing could be done (and asked to decide again)."""
    root = records_repo
    (root / RECORD).write_text(MARKED, "utf-8")
    _commit(root, "the client")
    _touch_other(root, "A plan for Bruno.")
    if block == "detached":
        git(root, "checkout", "--quiet", "--detach", "HEAD")
    elif block == "stash":
        (root / OTHER).write_text((root / OTHER).read_text("utf-8") + "\nkept\n", "utf-8")
        git(root, "stash", "--quiet")
    elif block == "dirty":
        (root / OTHER).write_text((root / OTHER).read_text("utf-8") + "\nunsaved\n", "utf-8")
    else:
        git(root, "bisect", "start", "HEAD", "HEAD~1")
    head = git(root, "rev-parse", "HEAD")
    result = cli(verb, ID, "--today", SAMPLE_TODAY, "--repo", str(root), input="y\n")
    assert result.exit_code == 2, result.output
    assert "for good?" not in result.output
    assert git(root, "rev-parse", "HEAD") == head
    assert (root / RECORD).exists()
