"""Break-testing ``sortext history``'s patch replay (sortext.vcs.replay) and stage facts:
what a hostile or unlucky user's repository, config or file names did to the answer."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sortext.cli import main
from sortext.repo import open_repository
from sortext.vcs.history import HistoryEntry, client_history
from sortext.vcs.log import parse_log
from sortext.vcs.stagefacts import stage_facts
from sortext.vcs.versions import VersionParser, parse_version
from tests.conftest import PROJECT_ROOT, git
from tests.test_history_cache import reference_history


def _repo(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "sortext.yaml").write_bytes(
        (PROJECT_ROOT / "sortext/skeleton/sortext.yaml").read_bytes()
    )
    (root / "clients").mkdir()
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "config", "user.email", "t@sortext.invalid")
    git(root, "config", "user.name", "Zoë Ångström")
    return root


def _commit(root: Path, n: int, message: str = "step") -> None:
    when = f"2026-01-{n + 1:02d}T12:00:00+00:00"
    env = {**os.environ, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(
        ["git", "commit", "-q", "--allow-empty", "-m", message], cwd=root, check=True, env=env
    )


def _all_ways(root: Path, record_id: str, wanted: str | None = None) -> list[HistoryEntry]:
    """History from the patches, from whole versions and from the plain reference walk:
    all three must agree (returned once)."""
    repo = open_repository(root)
    fast = client_history(repo, record_id, wanted, use_cache=False)
    slow = client_history(repo, record_id, wanted, use_cache=False, replay=False)
    assert fast == slow
    assert slow == reference_history(repo, record_id, wanted)
    return list(fast)


# --- 1. user config that changes what 'git log' lists ---------------------------------------


def _two_stages(root: Path) -> None:
    record = root / "clients" / "ada.md"
    record.write_text("---\nname: Ada\nstage: inquiry\n---\n# Ada\n")
    _commit(root, 0, "créé")  # the root commit creates the record
    record.write_text("---\nname: Ada\nstage: active\n---\n# Ada\n")
    _commit(root, 1)


@pytest.mark.parametrize(
    "setting",
    [
        ("log.showRoot", "false"),  # the root commit's files were not listed
        ("i18n.logOutputEncoding", "ISO-8859-1"),  # names came back in Latin-1
    ],
)
def test_log_settings_in_user_config_do_not_change_history_or_stage_facts(
    tmp_path: Path, setting: tuple[str, str]
) -> None:
    plain = _repo(tmp_path / "plain")
    _two_stages(plain)
    configured = _repo(tmp_path / "configured")
    git(configured, "config", *setting)
    _two_stages(configured)
    expected = [(e.date, e.author, e.field, e.old, e.new, e.kind) for e in _all_ways(plain, "ada")]
    found = [
        (e.date, e.author, e.field, e.old, e.new, e.kind) for e in _all_ways(configured, "ada")
    ]
    assert found == expected
    assert expected[0][1:] == ("Zoë Ångström", "record", None, "clients/ada.md", "created")
    assert ("stage", "inquiry", "active", "changed") in [e[2:] for e in expected]
    facts = stage_facts(open_repository(configured), use_cache=False)
    assert facts == stage_facts(open_repository(plain), use_cache=False)
    assert facts["ada"].stage_since == dt.date(2026, 1, 2)


def test_a_record_never_changed_since_the_root_commit_has_facts_whatever_log_show_root(
    tmp_path: Path,
) -> None:
    root = _repo(tmp_path / "r")
    git(root, "config", "log.showRoot", "false")
    (root / "clients" / "ada.md").write_text("---\nname: Ada\nstage: inquiry\n---\n")
    _commit(root, 0)
    (root / "clients" / "bob.md").write_text("---\nname: Bob\nstage: active\n---\n")
    _commit(root, 1)
    facts = stage_facts(open_repository(root), use_cache=False)
    assert (facts["ada"].stage, facts["ada"].stage_since) == ("inquiry", dt.date(2026, 1, 1))
    assert len(_all_ways(root, "ada")) == 1  # created


# --- 2. commit headers holding the log's own separators ------------------------------------

#: Characters a name or a subject may hold that the log's header once used as separators.
ODD = st.text(
    st.sampled_from(["a", "é", " ", "\x01", "\x1f", "\x02", "\t", ":", "\x7f"]), max_size=6
)


def _history_with(tmp: Path, name: str, subject: str) -> Path:
    root = _repo(tmp)
    git(root, "config", "user.name", name)
    _two_stages_with(root, subject)
    return root


def _two_stages_with(root: Path, subject: str) -> None:
    record = root / "clients" / "ada.md"
    for n, stage in enumerate(["inquiry", "active"]):
        record.write_text(f"---\nname: Ada\nstage: {stage}\n---\n")
        _commit(root, n, f"s{subject}")


@pytest.mark.parametrize(
    ("name", "subject"),
    [("T", "a\x01b"), ("A\x1fB", "step"), ("A\x01B", "step"), ("T", "\x1f\x1f\x1f\x1f\x1f")],
)
def test_separators_in_an_author_or_a_subject_do_not_crash_history(
    tmp_path: Path, name: str, subject: str
) -> None:
    root = _history_with(tmp_path / "r", name, subject)
    found = _all_ways(root, "ada")
    stored = git(root, "log", "-1", "--format=%an").removesuffix("\n")
    assert [e.author for e in found] == [stored, stored]
    result = CliRunner().invoke(main, ["history", "ada", "--repo", str(root)])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(name=ODD.map(lambda s: f"N{s}N"), email=ODD, subject=ODD)
@example(name="N\x01N", email="", subject="\x01")
def test_any_author_email_and_subject_read_back_as_git_stored_them(
    tmp_path_factory: pytest.TempPathFactory, name: str, email: str, subject: str
) -> None:
    """parse_log reads each commit's header fields whatever characters they hold."""
    root = _repo(tmp_path_factory.mktemp("odd") / "r")
    git(root, "config", "user.name", name)
    git(root, "config", "user.email", f"x{email}@sortext.invalid")
    _two_stages_with(root, subject)
    repo = open_repository(root)
    fast = client_history(repo, "ada", use_cache=False)
    assert fast == client_history(repo, "ada", use_cache=False, replay=False)
    from sortext.vcs.log import file_log

    commits = file_log(root, "clients/ada.md")
    for commit in commits:
        stored = git(root, "log", "-1", "--format=%an%x00%ae%x00%s", commit.sha)
        assert [commit.author, commit.email, commit.subject] == stored.removesuffix("\n").split(
            "\0"
        )
    assert [c.files[-1].path for c in commits] == ["clients/ada.md"] * 2


def test_parse_log_reads_separators_inside_fields() -> None:
    head = "\x01" + "\n".join(["a" * 40, "2026-01-01T00:00:00+00:00", "A\x01\x1fB", "e", "5", ""])
    out = f"{head}\x00\nM\x00clients/\x01x.md\x00{head}\x00\nA\x00clients/a.md\x00"
    commits = parse_log(out)
    assert [(c.author, c.subject, c.timestamp) for c in commits] == [("A\x01\x1fB", "", 5)] * 2
    assert [c.files[0].path for c in commits] == ["clients/\x01x.md", "clients/a.md"]


# --- 3. the id a file name implies ---------------------------------------------------------


def test_a_record_renamed_from_a_name_that_is_no_slug_has_the_readers_id(tmp_path: Path) -> None:
    """A client file first saved by hand as ``Ada Lovelace.md`` (no ``id:`` line), then
    renamed: its first versions' id is the one the record reader gives (a slug made
    from the name), and the rename still says the id change."""
    root = _repo(tmp_path / "r")
    first = root / "clients" / "Ada Lovelace.md"
    first.write_text("---\nname: Ada\nstage: inquiry\n---\n")
    _commit(root, 0)
    first.write_text("---\nname: Ada\nstage: active\n---\n")
    _commit(root, 1)
    git(root, "mv", str(first), str(root / "clients" / "ada.md"))
    _commit(root, 2)
    raw = (root / "clients" / "ada.md").read_bytes()
    expected = parse_version(raw, "clients/Ada Lovelace.md")
    assert expected is not None
    for wanted in (None, "id"):
        found = _all_ways(root, "ada", wanted)
        assert not [e for e in found if e.field == "id" and e.kind == "changed"]
    added = [e for e in _all_ways(root, "ada", "id") if e.kind == "added"]
    assert [e.new for e in added] == [expected.data["id"]]


@settings(max_examples=300, deadline=None)
@given(
    st.text(st.characters(codec="utf-8", exclude_characters="/\x00"), max_size=12),
    st.sampled_from([b"", b"id: given\n", b"id: Not A Slug\n", b"id: 5\n"]),
)
@example("Ada Lovelace", b"")
@example("", b"")
def test_every_version_reader_implies_the_id_the_record_reader_implies(
    stem: str, id_line: bytes
) -> None:
    raw = b"---\nname: Ada\n" + id_line + b"---\nnotes\n"
    display = f"clients/{stem}.md"
    expected = parse_version(raw, display)
    assert VersionParser().parse(raw, display) == expected
    from sortext.vcs.replay import Replica

    replica = Replica(VersionParser())
    replica.reset(raw)
    assert replica.version(display) == expected


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(codec="utf-8", exclude_characters="/\x00"), min_size=1, max_size=12))
@example("Ada Lovelace")
def test_the_weekly_view_implies_the_id_the_record_reader_implies(stem: str) -> None:
    """The weekly view reads a new client's name and stage from their lines, and
    took the bare file stem for its id."""
    from sortext.views.weekly import _new_record_data

    raw = b"---\nname: Ada\nstage: inquiry\n---\n"
    display = f"clients/{stem}.md"
    expected = parse_version(raw, display)
    found = _new_record_data(raw, display)
    assert expected is not None and found is not None
    assert found["id"] == expected.data["id"]


# --- 4. stage facts when .gitattributes says records are binary to diff ---------------------


def _three_commits(root: Path) -> None:
    record = root / "clients" / "ada.md"
    for n, text in enumerate(
        [
            "---\nname: Ada\nstage: inquiry\n---\n",
            "---\nname: Ada\nstage: active\n---\n",
            "---\nname: Ada\nstage: active\n---\nmore\n",
        ]
    ):
        record.write_text(text)
        _commit(root, n)


@pytest.mark.parametrize(
    ("attributes", "config"),
    [
        ("*.md -diff\n", None),
        ("*.md binary\n", None),
        ("*.md diff=locked\n", ("diff.locked.binary", "true")),
    ],
)
def test_stage_facts_when_records_are_binary_to_diff(
    tmp_path: Path, attributes: str, config: tuple[str, str] | None
) -> None:
    """``-diff`` (or a diff driver with ``binary``) made every patch "Binary files
    differ": no stage line and no touch was ever read, so every client's facts were
    None."""
    root = _repo(tmp_path / "r")
    (root / ".gitattributes").write_text(attributes)
    if config is not None:
        git(root, "config", *config)
    _three_commits(root)
    facts = stage_facts(open_repository(root), use_cache=False)["ada"]
    assert (facts.stage, facts.stage_since, facts.last_touched) == (
        "active",
        dt.date(2026, 1, 2),
        dt.date(2026, 1, 3),
    )
    assert len(_all_ways(root, "ada")) == 3  # created, stage, notes


def test_a_binary_version_is_a_touch(tmp_path: Path) -> None:
    root = _repo(tmp_path / "r")
    _three_commits(root)
    record = root / "clients" / "ada.md"
    record.write_bytes(record.read_bytes() + b"\x00\n")
    _commit(root, 3)
    facts = stage_facts(open_repository(root), use_cache=False)["ada"]
    assert (facts.stage_since, facts.last_touched) == (dt.date(2026, 1, 2), dt.date(2026, 1, 4))


# --- 5. GIT_DIFF_OPTS in the user's environment ---------------------------------------------


def _two_clients(root: Path) -> None:
    ada, bob = root / "clients" / "ada.md", root / "clients" / "bob.md"
    ada.write_text("---\nname: Ada\nstage: inquiry\nowner: me\n---\nnotes\n")
    _commit(root, 0)
    bob.write_text("---\nname: Bob\nstage: inquiry\n---\n")
    _commit(root, 1)
    ada.write_text("---\nname: Ada\nstage: active\nowner: me\n---\nnotes\n")
    bob.write_text("---\nname: Bob\nstage: won\n---\n")
    _commit(root, 2)
    ada.write_text("---\nname: Ada\nstage: active\nowner: you\n---\nnotes\nstage: review\n")
    _commit(root, 3)


@pytest.mark.parametrize("opts", ["-u3", "--unified=5"])
def test_git_diff_opts_in_the_environment_changes_no_fact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, opts: str
) -> None:
    """``GIT_DIFF_OPTS=-u3`` gave every ``-U0`` patch three lines of context: the
    stage scan counted them twice, read past its hunks and took a notes line for
    the stage (and missed another client's move)."""
    root = _repo(tmp_path / "r")
    _two_clients(root)
    monkeypatch.delenv("GIT_DIFF_OPTS", raising=False)
    expected = stage_facts(open_repository(root), use_cache=False)
    history = _all_ways(root, "ada")
    assert (expected["ada"].stage, expected["ada"].stage_since) == ("active", dt.date(2026, 1, 3))
    assert (expected["bob"].stage, expected["bob"].stage_since) == ("won", dt.date(2026, 1, 3))
    monkeypatch.setenv("GIT_DIFF_OPTS", opts)
    assert stage_facts(open_repository(root), use_cache=False) == expected
    assert _all_ways(root, "ada") == history


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.integers(0, 7), st.booleans())
@example(3, False)
def test_the_stage_scan_reads_hunks_with_any_context(
    tmp_path_factory: pytest.TempPathFactory, context: int, blank_empty: bool
) -> None:
    """The scan's hunk reader counts each side's lines, so a patch with context lines
    (blank ones written empty, too) reads as its ``-U0`` patch does."""
    from sortext.vcs.log import read_blobs
    from sortext.vcs.stagefacts import _parse_patches

    root = _repo(tmp_path_factory.mktemp("ctx") / "r")
    _two_clients(root)

    def scan(lines: int) -> object:
        out = git(
            root,
            *(["-c", "diff.suppressBlankEmpty=true"] if blank_empty else []),
            "log",
            "--format=\x01%aI",
            "-p",
            f"-U{lines}",
            "-M",
            "--full-index",
            "--",
            "clients/",
        )
        return _parse_patches(out, lambda blobs: read_blobs(root, blobs))

    assert scan(context) == scan(0)


# --- 6. a partial clone whose remote cannot be reached ----------------------------------------


@pytest.fixture
def offline_partial_clone(tmp_path: Path) -> Path:
    """A ``--filter=blob:none`` clone (versions fetched from the remote when read)
    whose remote has gone: reading an old version makes git give up."""
    source = _repo(tmp_path / "source")
    git(source, "config", "uploadpack.allowFilter", "true")
    _three_commits(source)
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--filter=blob:none", "--no-checkout", f"file://{source}", "clone")
    git(clone, "checkout", "-q", "main", "--", "sortext.yaml")
    git(clone, "remote", "set-url", "origin", f"file://{tmp_path / 'gone'}")
    return clone


@pytest.mark.parametrize("replay", [True, False])
def test_history_in_an_offline_partial_clone_is_a_git_error_not_a_crash(
    offline_partial_clone: Path, replay: bool
) -> None:
    """``git cat-file --batch`` exits when it cannot fetch a version: the reader took
    the end of its output for a header (IndexError, a traceback)."""
    from sortext.errors import GitError

    repo = open_repository(offline_partial_clone)
    with pytest.raises(GitError, match="cat-file"):
        client_history(repo, "ada", use_cache=False, replay=replay)
    result = CliRunner().invoke(main, ["history", "ada", "--repo", str(offline_partial_clone)])
    assert result.exit_code != 0
    assert "cat-file" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


# --- 7. a clients folder whose name git would read as a pattern -------------------------------


def _folder_history(root: Path, folder: str) -> list[tuple[object, ...]]:
    """Commits: the record in ``folder`` created, decoys in folders a pattern could
    match, the record's stage moved; then history and stage facts of ``ada``."""
    config = root / "sortext.yaml"
    config.write_text(
        config.read_text().replace("clients_dir: clients", f"clients_dir: '{folder}'")
    )
    record = root / folder / "ada.md"
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text("---\nname: Ada\nstage: inquiry\n---\n")
    _commit(root, 0)
    for n, decoy in enumerate(["clients", "c", "cc", "x", "C"], start=1):
        if decoy != folder:
            (root / decoy).mkdir(exist_ok=True)
            (root / decoy / "ada.md").write_text(f"---\nname: Decoy {n}\nstage: lost\n---\n")
            _commit(root, n)
    record.write_text("---\nname: Ada\nstage: won\n---\n")
    _commit(root, 9)
    return [(e.field, e.old, e.new, e.kind) for e in _all_ways(root, "ada")]


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.text(st.sampled_from(["c", "*", "?", "[", "]", ":", "(", ")", "!", "^", "x"]), min_size=1)
)
@example("c*")
@example("c?")
@example("[c]c")
@example(":(icase)X")
@example(":!x")
def test_a_clients_folder_named_like_a_pattern_is_read_literally(
    tmp_path_factory: pytest.TempPathFactory, folder: str
) -> None:
    """``clients_dir: 'c*'`` made ``git log -- 'c*/ada.md'`` a glob: the history showed
    another folder's client; ``:(icase)X`` was pathspec magic: "never committed"."""
    root = _repo(tmp_path_factory.mktemp("folder") / "r")
    found = _folder_history(root, folder)
    assert found == [
        ("record", None, f"{folder}/ada.md", "created"),
        ("stage", "inquiry", "won", "changed"),
    ]
    facts = stage_facts(open_repository(root), use_cache=False)
    assert (facts["ada"].stage, facts["ada"].stage_since) == ("won", dt.date(2026, 1, 10))


# --- 8. signed commits and log.showSignature ---------------------------------------------------


@pytest.mark.parametrize("verifiable", [True, False])
def test_signed_commits_read_the_same_whatever_log_show_signature(
    tmp_path: Path, verifiable: bool
) -> None:
    """``log.showSignature`` with signed commits (``commit.gpgsign``) wrote "Good ...
    signature" (or "No signature") before each header: the plain log read none of
    them, and the record was "never committed"."""
    key = tmp_path / "key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    root = _repo(tmp_path / "r")
    for setting in [
        ("gpg.format", "ssh"),
        ("user.signingkey", str(key)),
        ("commit.gpgsign", "true"),
        ("log.showSignature", "true"),
    ]:
        git(root, "config", *setting)
    if verifiable:
        allowed = tmp_path / "allowed"
        allowed.write_text(f"t@sortext.invalid {(tmp_path / 'key.pub').read_text()}")
        git(root, "config", "gpg.ssh.allowedSignersFile", str(allowed))
    _two_clients(root)
    assert "signature" in git(root, "log", "-1", "--format=%s")
    found = [(e.field, e.old, e.new) for e in _all_ways(root, "ada")]
    assert found == [
        ("record", None, "clients/ada.md"),
        ("stage", "inquiry", "active"),
        ("owner", "me", "you"),
        ("notes", None, "+1 lines"),
    ]
    facts = stage_facts(open_repository(root), use_cache=False)
    assert (facts["ada"].stage, facts["ada"].stage_since) == ("active", dt.date(2026, 1, 3))


@pytest.mark.parametrize(
    "variable", ["GIT_GLOB_PATHSPECS", "GIT_NOGLOB_PATHSPECS", "GIT_ICASE_PATHSPECS"]
)
def test_a_users_pathspec_variables_neither_fail_git_nor_widen_a_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    """Literal pathspecs cannot be combined with GIT_GLOB/NOGLOB_PATHSPECS (git stops:
    "incompatible"), and GIT_ICASE_PATHSPECS made ``clients/ada.md`` match
    ``clients/ADA.md``, another client."""
    root = _repo(tmp_path / "r")
    _three_commits(root)
    (root / "clients" / "ADA.md").write_text("---\nname: Other\nstage: lost\n---\n")
    _commit(root, 5)
    expected = _all_ways(root, "ada")
    monkeypatch.setenv(variable, "1")
    assert _all_ways(root, "ada") == expected
    facts = stage_facts(open_repository(root), use_cache=False)
    assert (facts["ada"].stage, facts["ada"].stage_since) == ("active", dt.date(2026, 1, 2))


@pytest.mark.parametrize(
    ("folder", "show_root"), [("site/clients", "false"), ("Akten é\n", "true")]
)
def test_erase_plans_every_path_named_after_the_client(
    tmp_path: Path, folder: str, show_root: str
) -> None:
    """``log.showRoot=false`` left the root commit's files out of ``git log
    --name-only`` (a page named after the client, committed there and never changed
    since, was not planned for removal), and git quoted a name holding "é" or a
    newline, which the id pattern did not match."""
    from sortext.vcs.erase import plan_erase

    root = _repo(tmp_path / "r")
    git(root, "config", "log.showRoot", show_root)
    (root / folder).mkdir(parents=True)
    (root / folder / "ada.html").write_text("<p>Ada</p>\n")
    (root / "clients" / "ada.md").write_text("---\nname: Ada\nstage: inquiry\n---\n")
    _commit(root, 0)
    (root / "clients" / "ada.md").write_text("---\nname: Ada\nstage: active\n---\n")
    _commit(root, 1)
    plan = plan_erase(open_repository(root), "ada")
    assert plan.paths == sorted(["clients/ada.md", f"{folder}/ada.html"])
    assert plan.commits == 2
