"""Break-testing what edges7 and render7 landed (links, config messages, folder hints,
plain output, list --sort, the cold build's staging folder).

Each test here failed before its fix (or is named as a case that held).  The class
behind the first group: a command that reads or writes a record by its path must
take the path's own entry, as the reader does (``O_NOFOLLOW``,
:data:`sortext.record.source.LINK_PROBLEM`), never what a link leads to; and erase
must never read or write outside the repository.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.record.source import LINK_PROBLEM
from sortext.repo import open_repository
from sortext.vcs.erase import plan_erase
from tests.conftest import PROJECT_ROOT, git

Cli = Callable[..., Result]
AMARA = "clients/amara-okafor.md"


def _link_record(root: Path, name: str = "zz-link", target: str = "amara-okafor.md") -> Path:
    """``clients/<name>.md``: a symbolic link to another client's record, committed."""
    link = root / "clients" / f"{name}.md"
    link.symlink_to(target)
    git(root, "add", "--", f"clients/{name}.md")
    git(root, "commit", "--quiet", "-m", "a record that is a link")
    return link


# --- erase / anonymise / sync / resolve never read a record through a link ----------


def test_erase_plan_never_reads_through_a_link(records_repo: Path) -> None:
    """Erasing ``zz-link`` (a link to Amara's record) planned to replace Amara's name,
    email and phone in every file and commit: another client erased."""
    _link_record(records_repo)
    plan = plan_erase(open_repository(records_repo), "zz-link")
    texts = {v.text for v in plan.values + plan.too_short}
    assert not any("Amara" in t or "amara.okafor" in t or "7946" in t for t in texts), texts


def test_erase_of_a_link_leaves_the_client_it_leads_to(records_repo: Path, cli: Cli) -> None:
    _link_record(records_repo)
    before = (records_repo / AMARA).read_bytes()
    result = cli("erase", "zz-link", "--yes", "--repo", str(records_repo))
    assert result.exit_code == 0, result.output
    assert (records_repo / AMARA).read_bytes() == before
    assert not os.path.lexists(records_repo / "clients" / "zz-link.md")


def test_anonymise_refuses_a_record_that_is_a_link(records_repo: Path, cli: Cli) -> None:
    """anonymise built the anonymised record from what the link led to (Amara's
    outcomes, under a new id) and erased Amara's values everywhere."""
    _link_record(records_repo)
    before = (records_repo / AMARA).read_bytes()
    head = git(records_repo, "rev-parse", "HEAD")
    result = cli("anonymise", "zz-link", "--yes", "--repo", str(records_repo))
    assert result.exit_code == 2, result.output
    assert "clients/zz-link.md: is a symbolic link" in result.output
    assert (records_repo / AMARA).read_bytes() == before
    assert git(records_repo, "rev-parse", "HEAD") == head  # nothing rewritten
    assert not list((records_repo / "clients").glob("anon-*"))


def test_erase_never_deletes_through_a_folder_link(records_repo: Path, tmp_path: Path) -> None:
    """A path named after the client in history (``notes/amara-okafor.txt``) whose
    folder is now a link out of the repository: erase deleted the file out there."""
    notes = records_repo / "notes"
    notes.mkdir()
    (notes / "amara-okafor.txt").write_text("a note\n", encoding="utf-8")
    git(records_repo, "add", "notes")
    git(records_repo, "commit", "--quiet", "-m", "a note")
    git(records_repo, "rm", "-rq", "notes")
    git(records_repo, "commit", "--quiet", "-m", "note gone")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "amara-okafor.txt").write_text("someone else's file\n", encoding="utf-8")
    notes.symlink_to(outside)
    from sortext.vcs.erase import erase

    repo = open_repository(records_repo)
    plan = plan_erase(repo, "amara-okafor")
    assert "notes/amara-okafor.txt" in plan.paths
    import datetime as dt

    report = erase(repo, plan, dt.date(2026, 11, 30))
    assert (outside / "amara-okafor.txt").read_text(encoding="utf-8") == "someone else's file\n"
    assert "notes/amara-okafor.txt" not in report.removed_files


def _erased_elsewhere(records_repo: Path, tmp_path: Path, cli: Cli) -> Path:
    """Two clones; Amara erased in the first and pushed: the second's next sync reads
    its records to match them against the new tombstone entries."""
    from tests.gitsetup import make_remote_and_clones

    a, b = make_remote_and_clones(records_repo, tmp_path, ("ana", "ben"))
    result = cli("erase", "amara-okafor", "--yes", "--push", "--repo", str(a))
    assert result.exit_code == 0, result.output
    return b


@pytest.mark.parametrize("kind", ["folder", "link-out", "fifo"])
def test_sync_matching_reads_no_record_through_a_link_or_a_pipe(
    records_repo: Path, tmp_path: Path, cli: Cli, kind: str
) -> None:
    """sync matched every record's bytes against the new tombstone entries with
    ``path.read_bytes()``: a folder named ``x.md`` was a traceback, a link was read
    through (out of the repository), a named pipe hung sync for ever."""
    b = _erased_elsewhere(records_repo, tmp_path, cli)
    odd = b / "clients" / "aa-odd.md"
    if kind == "folder":
        odd.mkdir()
    elif kind == "link-out":
        secret = tmp_path / "secret.md"
        secret.write_text("---\nname: Amara Okafor\n---\n", encoding="utf-8")
        odd.symlink_to(secret)
    else:
        os.mkfifo(odd)
    done = subprocess.run(
        [sys.executable, "-m", "sortext", "sync", "--repo", str(b)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    assert "clients/amara-okafor.md is a client erased on another machine" in done.stderr
    assert "aa-odd" not in done.stderr  # judged by its own entry: no erased client's text


def test_resolve_never_reads_or_replaces_a_link(records_repo: Path, cli: Cli) -> None:
    """resolve read the record a link led to and replaced the link with a copy."""
    amara = records_repo / AMARA
    text = amara.read_text(encoding="utf-8")
    conflicted = text.replace(
        "stage: active\n", "<<<<<<< ours\nstage: active\n=======\nstage: paused\n>>>>>>> theirs\n"
    )
    amara.write_text(conflicted, encoding="utf-8")
    git(records_repo, "commit", "--quiet", "-am", "conflicted")
    link = _link_record(records_repo)
    result = cli("resolve", "zz-link", "stage", "--take", "ours", "--repo", str(records_repo))
    assert result.exit_code == 2, result.output
    assert LINK_PROBLEM in result.output.replace("\n", " ")
    assert link.is_symlink()
    assert amara.read_text(encoding="utf-8") == conflicted


# --- the merge driver's .gitattributes line matches the records and nothing else ------


def _attributed(root: Path, line: str, paths: list[str]) -> list[bool]:
    """Whether git gives each of ``paths`` the sortext merge driver, with ``line`` as
    the repository's whole .gitattributes."""
    (root / ".gitattributes").write_text(line + "\n", encoding="utf-8")
    done = subprocess.run(
        ["git", "check-attr", "-z", "merge", "--", *paths],
        cwd=root,
        capture_output=True,
        check=True,
    )
    fields = done.stdout.split(b"\0")
    return [fields[i * 3 + 2] == b"sortext" for i in range(len(paths))]


def _matches_records_only(root: Path, folder: str) -> None:
    from sortext.vcs.scaffold import gitattributes_line

    paths = [
        f"{folder}/ann.md",
        f"{folder}/b c.md",
        f"{folder}/sub/ann.md",
        f"{folder}x/ann.md",
        "elsewhere/ann.md",
        f"{folder}/ann.mdx",
    ]
    got = _attributed(root, gitattributes_line(folder), paths)
    assert got == [True, True, False, False, False, False], (folder, gitattributes_line(folder))


@pytest.mark.parametrize("folder", ["#clients", "!clients", "# a", "! a", "#", "!", "a/#b"])
def test_gitattributes_line_of_a_folder_starting_with_hash_or_bang(
    tmp_path: Path, folder: str
) -> None:
    """``#clients/*.md merge=sortext`` is a comment and ``!clients/*.md ...`` a negative
    pattern git ignores (with a warning): the records had no merge driver."""
    git(tmp_path, "init", "--quiet")
    _matches_records_only(tmp_path, folder)


_PART = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="/\0"),
    min_size=1,
    max_size=6,
).filter(lambda part: part not in (".", ".."))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.sampled_from(["", "#", "!", "\\", "[", "*", '"', " ", "-"]),
    st.lists(_PART, min_size=1, max_size=3),
)
def test_gitattributes_line_matches_the_records_of_any_folder(
    tmp_path: Path, lead: str, parts: list[str]
) -> None:
    """Any folder (any characters a file name may hold, a character git reads
    specially in front): its line gives the driver to its records and nothing else."""
    if not (tmp_path / ".git").exists():
        git(tmp_path, "init", "--quiet")
    _matches_records_only(tmp_path, lead + "/".join(parts))


# --- sortext.yaml: an unknown setting, a clients folder that is not the user's --------


def _config_repo(base: Path, extra: str) -> Path:
    root = base / "cfg"
    root.mkdir()
    (root / "clients").mkdir()
    skeleton = (PROJECT_ROOT / "sortext" / "skeleton" / "sortext.yaml").read_text("utf-8")
    (root / "sortext.yaml").write_text(skeleton + extra, encoding="utf-8")
    return root


def test_an_unknown_top_level_setting_is_an_error_with_a_hint(tmp_path: Path, cli: Cli) -> None:
    """``pagse: {notes: false}`` was accepted without a word (the schema's top level
    allowed any key), so the pages kept the notes the user meant to hide."""
    root = _config_repo(tmp_path, "pagse: {notes: false}\n")
    result = cli("check", "--repo", str(root))
    assert result.exit_code == 2, result.output
    assert "pagse: unknown field 'pagse' (did you mean 'pages'?)" in result.output
    line = 1 + (PROJECT_ROOT / "sortext" / "skeleton" / "sortext.yaml").read_text().count("\n")
    assert f"sortext.yaml:{line}:1:" in result.output


@settings(max_examples=30, deadline=None)
@given(st.from_regex(r"[a-z][a-z_]{0,12}", fullmatch=True))
def test_any_unknown_top_level_setting_is_named(key: str) -> None:
    import tempfile

    from sortext.errors import ConfigError
    from sortext.schema.config import CONFIG_SCHEMA, parse_config

    if key in CONFIG_SCHEMA["properties"]:
        return
    with tempfile.TemporaryDirectory() as tmp:
        text = f"people: [me]\n{key}: 1\n".encode()
        with pytest.raises(ConfigError) as caught:
            parse_config(Path(tmp), text, "sortext.yaml")
    assert f"sortext.yaml:2:1: error: {key}: unknown field '{key}'" in str(caught.value)


@pytest.mark.parametrize(
    ("folder", "words"),
    [
        (".", "is the repository's root"),
        (".sortext/people", "lies in .sortext/"),
        ("./.git", "lies in .git/"),
        ("site", "lies in site/"),
        ("clients/../site/x", "lies in site/"),
        ("inbox", "lies in inbox/, the inbox of quick notes"),
        ("..", "leads outside the repository"),
        ("/etc", "leads outside the repository"),
    ],
)
def test_clients_dir_in_a_folder_not_for_records_is_refused(
    tmp_path: Path, cli: Cli, folder: str, words: str
) -> None:
    """``clients_dir: .sortext/people`` was accepted: its records were git-ignored (never
    committed by the watcher) and deleted with the derived data (erase removes
    .sortext/); ``site`` likewise, and ``.`` made README.md and NEXT.md records."""
    root = _config_repo(tmp_path, "")
    text = (root / "sortext.yaml").read_text("utf-8")
    (root / "sortext.yaml").write_text(
        text.replace("clients_dir: clients", f'clients_dir: "{folder}"'), encoding="utf-8"
    )
    result = cli("list", "--repo", str(root))
    assert result.exit_code == 2, result.output
    assert f"clients_dir: '{folder}' {words}" in result.output
    assert "sortext.yaml:2:14: error:" in result.output


def test_the_reserved_folders_are_those_sortext_uses() -> None:
    from sortext.files.state import StateDir
    from sortext.pages.build import SITE_DIR
    from sortext.schema.config import RESERVED_FOLDERS

    assert {StateDir.FOLDER, SITE_DIR, ".git"} == set(RESERVED_FOLDERS)
    from sortext.schema.config import INBOX_FOLDER
    from sortext.views.day import INBOX_DIR

    assert INBOX_FOLDER == INBOX_DIR


# --- output that cannot be written: a full disk, a closed stream ----------------------


def _sortext(args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    kwargs.setdefault("timeout", 120)
    return subprocess.run([sys.executable, "-m", "sortext", *args], text=True, **kwargs)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize(
    "args",
    [
        ["list", "--today", "2026-11-23"],
        ["list", "--json", "--today", "2026-11-23"],
        ["next", "--today", "2026-11-23"],
        ["search", "Amara"],
        ["show", "amara-okafor", "--today", "2026-11-23"],
        ["check"],
    ],
)
def test_a_full_output_is_a_plain_error_not_an_internal_one(
    records_repo: Path, args: list[str]
) -> None:
    """``sortext list > /dev/full`` (a full disk) was ``internal error: OSError: [Errno
    28]``: once as the command runs, once from its remembered reply."""
    for _ in range(2):  # the first run's answer is remembered: the second replays it
        with open("/dev/full", "w") as full:
            done = _sortext(
                [*args, "--repo", str(records_repo)], stdout=full, stderr=subprocess.PIPE
            )
        assert done.returncode == 2, done.stderr
        assert "internal error" not in done.stderr and "Traceback" not in done.stderr
        assert "Exception ignored" not in done.stderr, done.stderr
        assert "sortext: cannot write the output: No space left on device" in done.stderr
        _sortext([*args, "--repo", str(records_repo)], stdout=subprocess.DEVNULL)


def test_a_closed_stdout_is_a_plain_error(records_repo: Path) -> None:
    """``sortext list >&-``: Python gives no sys.stdout at all, and the colour check
    was ``internal error: AttributeError: 'NoneType' object has no attribute 'isatty'``."""
    done = _sortext(
        ["list", "--repo", str(records_repo), "--today", "2026-11-23"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: os.close(1),
    )
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 2, done.stderr
    assert "sortext: cannot write the output: standard output is closed" in done.stderr


def test_a_closed_stdout_is_no_error_for_a_command_that_prints_nothing(
    records_repo: Path,
) -> None:
    done = _sortext(
        ["check", "--quiet", "--repo", str(records_repo)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: os.close(1),
    )
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr, done.stderr


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_output_on_a_line_replayed_before_click(records_repo: Path) -> None:
    """The remembered line's reply (written before Click is imported) to a full disk
    was a traceback (``OSError: [Errno 28]`` out of ``replay_line``)."""
    from tests.test_query_recall import _age

    _age(records_repo)
    env = {k: v for k, v in os.environ.items() if k not in ("SORTEXT_TODAY", "NO_COLOR")}
    args = ["list", "--today", "2026-11-23"]
    for _ in range(3):  # learnt, then remembered
        _sortext(args, cwd=records_repo, env=env, stdout=subprocess.DEVNULL, check=True)
    code = (
        "import sys; from sortext.views.recall import replay_line as r; sys.exit(r(sys.argv[1:]))"
    )
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-c", code, *args],
            cwd=records_repo,
            env=env,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr
    assert done.returncode == 2, done.stderr
    assert "sortext: cannot write the output: No space left on device" in done.stderr


# --- the cold build's staging folder: a pid in its name proves nothing once reused ----


def _staging_repo(base: Path) -> Path:
    from bench.gen_pages import generate_repo

    return generate_repo(3, base / "repo", seed=5)


def _cold_build(root: Path) -> None:
    import datetime as dt

    from sortext.pages.build import build

    build(open_repository(root), dt.date(2026, 11, 23))


@pytest.mark.parametrize("whose", ["this process", "a running process"])
def test_a_killed_builds_staging_folder_under_a_reused_pid_is_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, whose: str
) -> None:
    """A build killed in a container runs as the same pid every time (pid 1, or the
    same few): its staging folder (every client's page, personal data, in a hidden
    folder that erase then reports as still holding an erased client) was skipped as
    "this build's own" or "a live process's" by every later build, for ever.  Whether
    a build is still filling a staging folder is its lock on it, not its pid."""
    from sortext.files.write import TEMP_MARKER
    from sortext.pages import build as pages_build

    monkeypatch.setattr(pages_build, "STAGING_GRACE_S", 0.0)  # any age is old enough
    root = _staging_repo(tmp_path)
    site = root / "site"
    site.mkdir()
    pid = os.getpid() if whose == "this process" else os.getppid()
    left = site / f".clients{TEMP_MARKER}{pid}-0a1b2c3d"
    left.mkdir()
    (left / "client-00000.html").write_text("<h1>a page of a killed build</h1>")
    _cold_build(root)
    assert not left.exists()
    assert (site / "clients").is_dir()


_HOLDER = (
    "import fcntl, os, sys\n"
    "folder = sys.argv[1]\n"
    "os.makedirs(folder, exist_ok=True)\n"
    "fd = os.open(os.path.join(folder, '.lock'), os.O_RDWR | os.O_CREAT)\n"
    "fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
    "print('held', flush=True)\n"
    "sys.stdin.read()\n"
)
_TRY_LOCK = (
    "import fcntl, os, sys\n"
    "fd = os.open(os.path.join(sys.argv[1], '.lock'), os.O_RDWR)\n"
    "try:\n"
    "    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
    "except OSError:\n"
    "    sys.exit(3)\n"
)


def test_a_staging_folder_a_live_build_holds_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process holding a staging folder's lock (a build filling it) keeps it,
    whatever its age; once that process is gone the next build removes it."""
    from sortext.files.write import TEMP_MARKER
    from sortext.pages import build as pages_build

    monkeypatch.setattr(pages_build, "STAGING_GRACE_S", 0.0)
    root = _staging_repo(tmp_path)
    site = root / "site"
    site.mkdir()
    live = site / f".clients{TEMP_MARKER}{os.getppid()}-0a1b2c3d"
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(live)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        _cold_build(root)
        assert live.is_dir()
    finally:
        holder.communicate("", timeout=30)
    (site / "clients").rename(site / "old-clients")  # a cold build again
    _cold_build(root)
    assert not live.exists()


def test_a_cold_build_holds_its_staging_folder_while_it_fills_it(tmp_path: Path) -> None:
    from sortext.pages.build import STAGING_LOCK, _Staging

    site = tmp_path / "site"
    staging = _Staging.start(tmp_path, site, site / "clients")
    assert staging is not None
    tried = subprocess.run([sys.executable, "-c", _TRY_LOCK, str(staging.folder)], timeout=30)
    assert tried.returncode == 3  # held by this build
    staging.publish()
    assert not (site / "clients" / STAGING_LOCK).exists()  # the lock is not published
    assert staging.fd is None


@pytest.mark.parametrize("pages", [1, 150, 420])
def test_a_cold_build_killed_after_n_pages_leaves_nothing_the_next_keeps(
    tmp_path: Path, pages: int
) -> None:
    """A real ``sortext build`` (forked page workers: 450 records) SIGKILLed once its
    staging folder holds ``pages`` pages: the next build removes the folder (no
    worker of the killed one holds it) and publishes every page."""
    import signal
    import time

    from bench.gen_pages import generate_repo
    from sortext.files.write import TEMP_MARKER

    root = generate_repo(450, tmp_path / "repo", seed=7)
    _sortext(["check", "--quiet", "--repo", str(root)])  # the index: pages come soon
    site = root / "site"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sortext", "build", "--today", "2026-11-23", "--repo", str(root)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while proc.poll() is None:
            staged = [n for n in os.listdir(site) if TEMP_MARKER in n] if site.is_dir() else []
            count = sum(len(os.listdir(site / n)) for n in staged if (site / n).is_dir())
            if count >= pages:
                break
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    _cold_build(root)
    assert [n for n in os.listdir(site) if TEMP_MARKER in n] == []
    assert len(list((site / "clients").glob("*.html"))) == 450


# --- the pages' folders: never a link, even one leading inside the repository -------


@pytest.mark.parametrize(
    ("link", "target"),
    [
        ("site", "clients"),
        ("site/clients", "../clients"),
        ("site/owners", "../clients"),
        ("site", "."),
    ],
)
def test_a_pages_folder_that_is_a_link_inside_the_repository_is_refused(
    records_repo: Path, cli: Cli, link: str, target: str
) -> None:
    """``site`` a link to ``clients`` (inside the repository, so not "leading out"):
    the build wrote index.html, clients/ and owners/ into the records folder, and its
    removal of stale pages deleted .html files there."""
    (records_repo / "site").mkdir(exist_ok=True)
    if link != "site":
        (records_repo / "site" / "index.html").write_text("old")
    else:
        (records_repo / "site").rmdir()
    (records_repo / link).symlink_to(target, target_is_directory=True)
    (records_repo / "clients" / "keep.html").write_text("the user's own file\n")
    before = sorted(p.name for p in (records_repo / "clients").iterdir())
    result = cli("build", "--repo", str(records_repo), "--today", "2026-11-23")
    assert result.exit_code == 2, result.output
    assert f"{link}: is a symbolic link" in result.output
    assert sorted(p.name for p in (records_repo / "clients").iterdir()) == before
    assert not (records_repo / "index.html").exists()


def test_resolve_never_parts_a_hard_linked_record(
    records_repo: Path, tmp_path: Path, cli: Cli
) -> None:
    """resolve replaced a record with a new file: its other name (a hard link, say a
    copy a backup tool keeps) kept the conflict; every other command that updates a
    record refuses a hard-linked one (files.write.refuse_unusual_target)."""
    amara = records_repo / AMARA
    text = amara.read_text(encoding="utf-8").replace(
        "stage: active\n", "<<<<<<< ours\nstage: active\n=======\nstage: paused\n>>>>>>> theirs\n"
    )
    amara.write_text(text, encoding="utf-8")
    other = tmp_path / "other-name.md"
    os.link(amara, other)
    result = cli("resolve", "amara-okafor", "stage", "--take", "ours", "--repo", str(records_repo))
    assert result.exit_code == 2, result.output
    assert "hard links" in result.output
    assert os.path.samefile(amara, other)
    assert amara.read_text(encoding="utf-8") == text


def test_erase_reads_no_pipe_and_no_link_in_the_working_tree(
    records_repo: Path, tmp_path: Path
) -> None:
    """erase's last look for values left in the working tree read every file under the
    repository: a named pipe there (any tool's) hung erase for ever, after the history
    was rewritten; a link was read through, out of the repository."""
    os.mkfifo(records_repo / "tool.pipe")
    outside = tmp_path / "outside.txt"
    outside.write_text("Amara Okafor\n", encoding="utf-8")
    (records_repo / "notes-link.txt").symlink_to(outside)
    done = _sortext(
        ["erase", "amara-okafor", "--yes", "--repo", str(records_repo)],
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "STILL FOUND" not in done.stdout


def test_finishing_a_merge_reads_no_conflicted_link(records_repo: Path, tmp_path: Path) -> None:
    """sync finished a merge by reading each unmerged path for markers through
    ``read_text``: a conflicted symbolic link (a collaborator's commit) was read
    through, out of the repository (to ``/dev/zero``: for ever), and staged when
    what it led to held no markers."""
    from sortext.vcs.sync import _finish_merge

    root = records_repo
    link = root / "clients" / "zz-link.md"
    link.symlink_to("base.md")
    git(root, "add", "--", "clients/zz-link.md")
    git(root, "commit", "--quiet", "-m", "base link")
    git(root, "switch", "--quiet", "-c", "theirs")
    link.unlink()
    link.symlink_to("theirs.md")
    git(root, "commit", "--quiet", "-am", "their link")
    git(root, "switch", "--quiet", "main")
    outside = tmp_path / "outside.md"
    outside.write_text("no markers here\n", encoding="utf-8")
    link.unlink()
    link.symlink_to(outside)
    git(root, "commit", "--quiet", "-am", "our link")
    merged = subprocess.run(
        ["git", "merge", "--no-edit", "theirs"], cwd=root, capture_output=True, text=True
    )
    assert merged.returncode != 0  # a conflict on the link
    assert _finish_merge(root) == ["clients/zz-link.md"]  # left for the user to settle
    assert (root / ".git" / "MERGE_HEAD").exists()  # nothing committed


@pytest.mark.parametrize("kind", ["link", "fifo", "folder"])
@pytest.mark.parametrize("args", [["set", "zz", "stage=paused"], ["move", "zz", "paused"]])
def test_an_edit_of_a_record_that_is_no_file_of_its_own_says_what_it_is(
    records_repo: Path, kind: str, args: list[str]
) -> None:
    """``set zz stage=active`` with clients/zz.md a link to Amara's record read Amara's
    record and answered "already up to date" (exit 0); a pipe or a folder there was
    "clients/zz.md does not exist (did you mean zz?)"."""
    entry = records_repo / "clients" / "zz.md"
    if kind == "link":
        entry.symlink_to("amara-okafor.md")
        words = "clients/zz.md: is a symbolic link"
    elif kind == "fifo":
        os.mkfifo(entry)
        words = "clients/zz.md: is a named pipe (FIFO)"
    else:
        entry.mkdir()
        words = "clients/zz.md: is a directory"
    before = (records_repo / AMARA).read_bytes()
    done = _sortext([*args, "--repo", str(records_repo)], capture_output=True, timeout=60)
    assert done.returncode == 2, done.stdout + done.stderr
    assert words in done.stderr and "does not exist" not in done.stderr, done.stderr
    assert (records_repo / AMARA).read_bytes() == before


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (b"people: &p [me]\nowner_list: *p\n", "are not allowed in sortext.yaml;"),
        (b"people: !!set {me}\n", "are not allowed in sortext.yaml;"),
        (b"base: {a: 1}\nmore:\n  <<: {b: 2}\n", "are not allowed in sortext.yaml;"),
        (b"people: [me]\n" + b"# padding\n" * 200_000, "larger than 1 MiB; a configuration is"),
    ],
)
def test_config_messages_speak_of_the_configuration(text: bytes, words: str) -> None:
    """sortext.yaml was told YAML anchors and tags "are not allowed in records", and a
    huge one that "a client record should be far smaller (split old notes...)"."""
    import tempfile

    from sortext.errors import ConfigError
    from sortext.schema.config import parse_config

    with tempfile.TemporaryDirectory() as tmp, pytest.raises(ConfigError) as caught:
        parse_config(Path(tmp), text, "sortext.yaml")
    assert words in str(caught.value)
    assert "record" not in str(caught.value)


# --- unknown values: the suggestion does not depend on letter case ------------------


@pytest.mark.parametrize(
    ("args", "close"),
    [
        (["list", "--sort", "NAME"], "name"),
        (["list", "--sort", "-Billing.Rate"], "billing.rate"),
        (["next", "--owner", "MAYA"], "maya"),
        (["list", "--stage", "ACTIVE"], "active"),
    ],
)
def test_an_unknown_value_in_other_letter_case_gets_its_suggestion(
    records_repo: Path, cli: Cli, args: list[str], close: str
) -> None:
    """``--sort NAME`` and ``--owner MAYA`` named the known values without the one
    meant (difflib compares letters as they are: 'NAME' and 'name' share none)."""
    result = cli(*args, "--repo", str(records_repo), "--today", "2026-11-23")
    assert result.exit_code == 2, result.output
    assert f"did you mean '{close}'?" in result.output


@settings(max_examples=40, deadline=None)
@given(st.lists(st.from_regex(r"[a-z][a-z_.]{2,10}", fullmatch=True), min_size=1, max_size=8))
def test_a_known_value_in_any_letter_case_is_suggested(known: list[str]) -> None:
    from sortext.errors import UnknownValue

    for value in known:
        error = UnknownValue("--x", "value", value.upper(), known)
        assert f"did you mean '{value}'?" in str(error) or value.upper() == value


@pytest.mark.parametrize(("key", "close"), [("--name", "name"), ("---due", "due"), ("-", None)])
def test_a_sort_key_with_more_than_one_dash_is_no_key(
    records_repo: Path, cli: Cli, key: str, close: str | None
) -> None:
    """``--sort=--name`` was taken for ``-name`` (every leading dash stripped, the
    list reversed once), and ``--sort=-`` was told "unknown sort key ''"."""
    result = cli("list", f"--sort={key}", "--repo", str(records_repo), "--today", "2026-11-23")
    assert result.exit_code == 2, result.output
    assert f"unknown sort key '{key}'" in result.output
    if close:
        assert f"did you mean '{close}'?" in result.output


# --- the watcher's read: the entry it looked at is the entry it reads -----------------


def test_the_watchers_read_never_waits_on_a_pipe_that_replaced_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """read_stable looked at the entry (lstat: a regular file), then opened the path
    by name: a record replaced by a named pipe in between (the instant between the
    two calls, made certain here) blocked the watcher's thread for ever."""
    import threading

    from sortext.daemon import pipeline

    regular = tmp_path / "regular.md"
    regular.write_bytes(b"---\nname: A\n---\n")
    pipe = tmp_path / "x.md"
    os.mkfifo(pipe)
    real_lstat = os.lstat
    monkeypatch.setattr(os, "lstat", lambda p: real_lstat(regular if Path(p) == pipe else p))
    got: list[object] = []
    reader = threading.Thread(target=lambda: got.append(pipeline.read_stable(pipe)), daemon=True)
    reader.start()
    reader.join(10)
    if reader.is_alive():  # let the blocked open through, then fail
        os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
        reader.join(10)
        pytest.fail("read_stable waited on a named pipe")
    assert got and got[0] is not None and not isinstance(got[0], bytes)  # UNSTABLE: looked at again


@pytest.mark.parametrize("call", ["read_for_update", "replace_if_unchanged"])
def test_the_one_writer_never_waits_on_a_pipe(tmp_path: Path, call: str) -> None:
    """read_for_update and replace_if_unchanged opened the path to compare its bytes:
    a named pipe there (a record replaced by one after the command looked) blocked
    the command for ever."""
    import threading

    from sortext.errors import StorageError
    from sortext.files import write

    pipe = tmp_path / "x.md"
    os.mkfifo(pipe)
    got: list[object] = []

    def run() -> None:
        try:
            if call == "read_for_update":
                write.read_for_update(pipe)
            else:
                write.replace_if_unchanged(pipe, b"new", b"old")
        except StorageError as exc:
            got.append(exc)

    reader = threading.Thread(target=run, daemon=True)
    reader.start()
    reader.join(10)
    if reader.is_alive():
        os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
        reader.join(10)
        pytest.fail(f"{call} waited on a named pipe")
    assert got and "not a regular file" in str(got[0])
    assert stat_is_fifo(pipe)


def stat_is_fifo(path: Path) -> bool:
    import stat

    return stat.S_ISFIFO(os.lstat(path).st_mode)


@pytest.mark.parametrize("name", ["client.html.j2", "parts/footer.html"])
def test_a_pipe_in_the_templates_folder_never_stops_a_build(records_repo: Path, name: str) -> None:
    """The templates' fingerprint read every file under templates/: a named pipe there
    (``client.html.j2``, or any name: Jinja can include any) blocked the build (and
    the watcher's page pass) for ever.  Jinja's loader takes only regular files, so
    the shipped template is used."""
    pipe = records_repo / "templates" / name
    pipe.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(pipe)
    done = _sortext(
        ["build", "--today", "2026-11-23", "--repo", str(records_repo)],
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (records_repo / "site" / "clients" / "amara-okafor.html").is_file()


@pytest.mark.parametrize("kind", ["fifo", "folder"])
@pytest.mark.parametrize("args", [["check"], ["list"], ["next"], ["export", "csv"]])
def test_an_erased_yaml_that_is_no_file_is_reported_not_waited_on(
    records_repo: Path, kind: str, args: list[str]
) -> None:
    """``erased.yaml`` (the erased clients' hashes) read by name in three places: a
    named pipe there hung every query and check, a folder was ``internal error:
    IsADirectoryError``.  Now it is what a malformed erased.yaml always was: each
    record's error, as erasures cannot be enforced."""
    erased = records_repo / "erased.yaml"
    if kind == "fifo":
        os.mkfifo(erased)
    else:
        erased.mkdir()
    done = _sortext([*args, "--repo", str(records_repo)], capture_output=True, timeout=60)
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    if args == ["check"]:
        assert done.returncode == 1, done.stderr
        assert "erased.yaml: cannot read: " in done.stdout + done.stderr


@pytest.mark.parametrize("where", ["site", "site/clients", "site/owners"])
def test_a_pages_folder_that_is_a_file_is_named(records_repo: Path, cli: Cli, where: str) -> None:
    """``site`` a file was "site/clients: cannot create: File exists" (a folder the
    user never made, and the file's name missing)."""
    target = records_repo / where
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("a file of the user's\n")
    result = cli("build", "--repo", str(records_repo), "--today", "2026-11-23")
    assert result.exit_code == 2, result.output
    assert f"{where}: is a file, not a folder" in result.output
    assert target.read_text() == "a file of the user's\n"


@pytest.mark.parametrize(
    ("setting", "words"),
    [
        (
            'backup: {remotes: ["--receive-pack=/tmp/x.sh"]}',
            "backup.remotes[0]: expected a git remote",
        ),
        ('backup: {remotes: ["-f"]}', "backup.remotes[0]: expected a git remote"),
        ('backup: {branch: "--delete"}', "backup.branch: expected a git branch name"),
        (
            'backup: {encrypted: {"--mirror": {url: "gcrypt::/x", recipients: [a]}}}',
            "backup.encrypted.--mirror: expected a git remote name",
        ),
    ],
)
def test_a_backup_remote_or_branch_that_git_would_take_for_an_option_is_refused(
    tmp_path: Path, cli: Cli, setting: str, words: str
) -> None:
    """``backup: {remotes: ["--receive-pack=CMD"]}`` (sortext.yaml travels with the
    records: a collaborator's commit) was accepted, and ``sortext backup`` ran
    ``git push --quiet --receive-pack=CMD ...``: git took the name for an option."""
    root = _config_repo(tmp_path, setting + "\n")
    result = cli("check", "--repo", str(root))
    assert result.exit_code == 2, result.output
    assert words in result.output


@pytest.mark.parametrize(
    "name",
    [
        "erased.yaml",
        "sortext.yaml",
        ".githooks/pre-commit",
        ".git/hooks/post-merge",
        ".gitattributes",
        "site/all.csv",
        "templates/client.html.j2",
        "NEXT.md",
        "inbox/notes.md",
    ],
)
def test_an_export_never_replaces_sortexts_or_gits_own_files(tmp_path: Path, name: str) -> None:
    """``exports: {erased.yaml: json}`` (sortext.yaml travels with the records) was a
    file inside the repository and outside the clients folder, so the watcher would
    write the export over the erasures; onto ``.githooks/pre-commit`` (its mode kept)
    a CSV whose multi-line cell holds a command line would run at the next commit."""
    from sortext.errors import ConfigError
    from sortext.io.export import configured_exports

    root = _config_repo(tmp_path, f'exports: {{"{name}": csv, "exports/ok.csv": csv}}\n')
    with pytest.raises(ConfigError, match="an export would replace it"):
        configured_exports(open_repository(root))


def test_an_export_to_a_folder_of_its_own_is_kept(tmp_path: Path) -> None:
    from sortext.io.export import configured_exports

    root = _config_repo(tmp_path, 'exports: {"exports/all.csv": csv, "reports/a.json": json}\n')
    found = configured_exports(open_repository(root))
    assert [p.relative_to(root.resolve()).as_posix() for p, _, _ in found] == [
        "exports/all.csv",
        "reports/a.json",
    ]
