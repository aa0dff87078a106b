"""History rebuilt from ``git log -p`` (sortext.vcs.replay) says exactly what reading
every version whole says: the versions, the entries, the CLI's text and JSON."""

from __future__ import annotations

import difflib
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sortext.cli import main
from sortext.record.fielddiff import body_change
from sortext.repo import open_repository
from sortext.vcs import history, replay
from sortext.vcs.history import client_history
from sortext.vcs.log import BlobReader, file_log, read_blobs
from sortext.vcs.replay import Hunk, Patch, Replica, patch_log, split_lines
from sortext.vcs.versions import VersionParser
from tests.conftest import PROJECT_ROOT, git
from tests.test_history_cache import reference_history
from tests.test_versions import LINES

# --- the replica against the whole-version parser, no git -------------------------------

FRONT = [
    *LINES,
    "name: Zoë Ångström",
    "notes_ref: ünïcode ✓",
    "stage: active\r",
    "tags: [a, b]\r",
    "owner: me  ",
    "- loose item",
    "sessions:",
    "  - {date: 2026-11-03, kind: coaching}",
    "  - {date: 2026-11-04, kind: coaching}",
    "    status: held",
    "...",
    "----",
    "--- trailing",
    "",
]
BODY = ["", "Notes.", "stage: review", "---", "name: Not a field", "# Heading", "é\r", "\x01"]


def _document(front: list[str], body: list[str], crlf: bool, fenced: bool) -> bytes:
    nl = "\r\n" if crlf else "\n"
    text = "---" + nl + "".join(f"{line}{nl}" for line in front)
    text += ("---" + nl if fenced else "") + nl.join(body)
    return text.encode()


def hunks_between(old: bytes, new: bytes) -> list[Hunk]:
    """The ``-U0`` hunks from ``old`` to ``new`` (as git would write them, by difflib)."""
    a, b = split_lines(old), split_lines(new)
    out = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            out.append(Hunk(i1, j1, a[i1:i2], b[j1:j2]))
    return out


DOCUMENTS = st.builds(
    _document,
    st.lists(st.sampled_from(FRONT), max_size=10),
    st.lists(st.sampled_from(BODY), max_size=4),
    st.booleans(),
    st.booleans() | st.just(True),
)
RAW = st.one_of(
    DOCUMENTS,
    DOCUMENTS.map(lambda d: b"\xef\xbb\xbf" + d),  # a BOM
    DOCUMENTS.map(lambda d: d + b"\xff"),  # not UTF-8
    DOCUMENTS.map(lambda d: d.replace(b"Notes.", b"<<<<<<< ours")),
    st.just(b""),
    st.just(b"---\n"),
    st.just(b"---\nname: A\n---"),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(RAW, st.sampled_from(["clients/a.md", "clients/b.md"])), min_size=1))
@example([(b"---\nname: A\nsessions:\n  - {date: 2026-01-01}\n---\n", "clients/a.md")])
def test_the_replica_reads_each_version_as_the_whole_version_parser(
    versions: list[tuple[bytes, str]],
) -> None:
    parser = VersionParser()
    replica = Replica(VersionParser())
    previous = b""
    for raw, display in versions:
        assert replica.apply(hunks_between(previous, raw))
        assert replica.content() == raw
        assert replica.version(display) == parser.parse(raw, display)
        previous = raw


#: Lines a record usually holds (most edits write one of these).
PLAIN = [
    "name: A",
    "stage: active",
    "stage: review",
    "owner: me",
    "tags: [x, y]",
    "next_action: {what: Call, due: 2026-11-20}",
    "sessions:",
    "  - {date: 2026-11-02, kind: coaching}",
    "  - {date: 2026-11-05, kind: coaching}",
    "    status: held",
    "# a comment",
    "",
    "Notes.",
]
EDIT = st.tuples(
    st.sampled_from(["replace", "insert", "insert", "delete", "display"]),
    st.integers(0, 40),
    st.sampled_from(PLAIN) | st.sampled_from([*FRONT, *BODY, "---"]),
)


@settings(max_examples=700, deadline=None)
@given(
    st.lists(st.sampled_from(PLAIN) | st.sampled_from(FRONT), max_size=8),
    st.lists(st.sampled_from(BODY), max_size=3),
    st.lists(st.lists(EDIT, min_size=1, max_size=3), min_size=1, max_size=8),
    st.booleans(),
)
@example(
    ["name: A", "stage: active", "sessions:", "  - {date: 2026-11-03, kind: coaching}"],
    ["Notes."],
    [[("insert", 5, "  - {date: 2026-11-05, kind: coaching}")], [("replace", 2, "stage: review")]],
    False,
)
@example(  # an entry inserted between one and the line continuing it takes that line
    ["  - b"],
    [],
    [
        [("insert", 3, "name: A"), ("insert", 0, "name: A")],
        [("insert", 26, "stage: active"), ("delete", 0, "name: A")],
        [("insert", 2, "name: A")],
    ],
    False,
)
def test_the_replica_follows_small_edits(
    front: list[str], body: list[str], steps: list[list[tuple[str, int, str]]], crlf: bool
) -> None:
    """Versions that differ by a line or two, as consecutive commits do: the entries
    the hunks did not touch are reused, and the answer is still the whole parse."""
    nl = "\r\n" if crlf else "\n"
    lines = ["---", *front, "---", *body]
    parser = VersionParser()
    replica = Replica(VersionParser())
    previous = b""
    display = "clients/a.md"
    for step in steps:
        for op, at, line in step:
            at = at % (len(lines) + 1)
            if op == "replace" and at < len(lines):
                lines[at] = line
            elif op == "insert":
                lines.insert(at, line)
            elif op == "delete" and at < len(lines):
                del lines[at]
            elif op == "display":
                display = "clients/b.md" if display == "clients/a.md" else "clients/a.md"
        raw = "".join(f"{line}{nl}" for line in lines).encode()
        assert replica.apply(hunks_between(previous, raw))
        assert replica.content() == raw
        assert replica.version(display) == parser.parse(raw, display)
        previous = raw


def test_a_hunk_that_does_not_fit_changes_nothing() -> None:
    replica = Replica(VersionParser())
    replica.reset(b"---\nname: A\n---\nnotes\n")
    assert not replica.apply([Hunk(1, 1, [b"name: B\n"], [b"name: C\n"])])
    assert not replica.apply([Hunk(9, 9, [b"x\n"], [])])
    assert replica.content() == b"---\nname: A\n---\nnotes\n"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "", "a\r", "c\x0c", "\u2028"]), max_size=8), st.data())
def test_notes_line_counts_equal_the_matchers(old: list[str], data: st.DataObject) -> None:
    """The shortcut for notes only added to (or cut from) the end agrees with difflib."""
    tail = data.draw(st.lists(st.sampled_from(["a", "b", "", "x\r"]), max_size=4))
    ends = data.draw(st.sampled_from(["\n", "", "\r\n", "\r"]))
    for a, b in (("\n".join(old) + ends, "\n".join(old) + ends + "\n".join(tail)),):
        for x, y in ((a, b), (b, a)):
            expected = _matcher_counts(x, y)
            assert body_change(x, y) == expected


def _matcher_counts(old: str, new: str) -> tuple[int, int]:
    a, b = old.splitlines(), new.splitlines()
    added = removed = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag in ("replace", "delete"):
            removed += i2 - i1
        if tag in ("replace", "insert"):
            added += j2 - j1
    return added, removed


# --- real histories: the patch stream against every version read whole -------------------


def _new_repo(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "sortext.yaml").write_bytes(
        (PROJECT_ROOT / "sortext/skeleton/sortext.yaml").read_bytes()
    )
    (root / "clients").mkdir()
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "config", "user.email", "t@sortext.invalid")
    git(root, "config", "user.name", "T")
    return root


def _commit(root: Path, n: int) -> None:
    day = f"2026-{n // 28 % 12 + 1:02d}-{n % 28 + 1:02d}T12:00:00+00:00"
    env = {**os.environ, "GIT_AUTHOR_DATE": day, "GIT_COMMITTER_DATE": day}
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(
        ["git", "commit", "-q", "--allow-empty", "-m", f"step {n}"], cwd=root, check=True, env=env
    )


def _record(state: dict[str, Any]) -> bytes:
    nl = "\r\n" if state["crlf"] else "\n"
    lines = ["---", f"name: {state['name']}", f"stage: {state['stage']}"]
    if state["sessions"]:
        lines.append("sessions:")
        lines += [
            f"  - {{date: 2026-01-{d + 1:02d}, kind: coaching}}" for d in range(state["sessions"])
        ]
    lines += ["---", "", *state["notes"]]
    return (nl.join(lines) + (nl if state["newline"] else "")).encode()


EDITS = st.lists(
    st.sampled_from(
        [
            "stage",
            "session",
            "unsession",
            "note",
            "note-stage",  # a notes line that reads like a field
            "unnote",
            "name",
            "broken",  # front matter that does not parse
            "crlf",
            "newline",
            "empty",
            "binary",
            "delete",
            "rename",
            "same",
        ]
    ),
    min_size=1,
    max_size=12,
)


def _history_both_ways(repo_root: Path, name: str) -> None:
    repo = open_repository(repo_root)
    for wanted in (None, "stage", "sessions"):
        slow = client_history(repo, name, wanted, use_cache=False, replay=False)
        assert client_history(repo, name, wanted, use_cache=False) == slow
        assert slow == reference_history(repo, name, wanted)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=EDITS, stages=st.lists(st.sampled_from(["inquiry", "active", "review"]), min_size=12))
def test_history_from_patches_equals_history_from_whole_versions(
    tmp_path_factory: pytest.TempPathFactory, plan: list[str], stages: list[str]
) -> None:
    root = _new_repo(tmp_path_factory.mktemp("replay") / "r")
    name = "ada"
    state: dict[str, Any] = {
        "name": "Ada Ünal",
        "stage": "inquiry",
        "sessions": 1,
        "notes": ["# Ada", "Met in May."],
        "crlf": False,
        "newline": True,
    }
    path = root / "clients" / f"{name}.md"
    path.write_bytes(_record(state))
    _commit(root, 0)
    for n, what in enumerate(plan, start=1):
        path = root / "clients" / f"{name}.md"
        if what == "delete":
            if path.exists():
                path.unlink()
        elif what == "rename":
            if path.exists():
                new = f"ada-{n}"
                git(root, "mv", str(path), str(root / "clients" / f"{new}.md"))
                name = new
        elif what == "broken":
            path.write_bytes(_record(state).replace(b"stage:", b"stage: [", 1))
        elif what == "empty":
            path.write_bytes(b"")
        elif what == "binary":
            path.write_bytes(_record(state) + b"\x00binary\n")
        else:
            if what == "stage":
                state["stage"] = stages[n % len(stages)]
            elif what == "session":
                state["sessions"] += 1
            elif what == "unsession" and state["sessions"]:
                state["sessions"] -= 1
            elif what == "note":
                state["notes"] = [*state["notes"], f"Note {n} ✓."]
            elif what == "note-stage":
                state["notes"] = [*state["notes"], f"stage: {stages[n % len(stages)]}"]
            elif what == "unnote":
                state["notes"] = state["notes"][:-1]
            elif what == "name":
                state["name"] = f"Ada Ünal {n}"
            elif what == "crlf":
                state["crlf"] = not state["crlf"]
            elif what == "newline":
                state["newline"] = not state["newline"]
            path.write_bytes(_record(state))
        _commit(root, n)
    if file_log(root, f"clients/{name}.md"):
        _history_both_ways(root, name)


@pytest.fixture
def edited_repo(tmp_path: Path) -> Path:
    root = _new_repo(tmp_path / "r")
    state: dict[str, Any] = {
        "name": "Ada",
        "stage": "inquiry",
        "sessions": 0,
        "notes": ["# Ada"],
        "crlf": False,
        "newline": True,
    }
    for n in range(8):
        state["sessions"] = n // 2
        state["stage"] = ["inquiry", "active", "review"][n % 3]
        state["notes"] = [*state["notes"], f"note {n}"]
        (root / "clients" / "ada.md").write_bytes(_record(state))
        _commit(root, n)
    return root


def _cli(root: Path, *args: str) -> str:
    result = CliRunner().invoke(main, [*args, "--repo", str(root)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize(
    "args", [(), ("--json",), ("--field", "stage"), ("--field", "sessions", "--json")]
)
def test_the_cli_prints_the_same_bytes_either_way(
    edited_repo: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    fast = _cli(edited_repo, "history", "ada", *args)  # cold: rebuilt from patches
    (edited_repo / ".sortext" / "history.sqlite").unlink()
    monkeypatch.setattr(history, "REPLAY", False)
    assert _cli(edited_repo, "history", "ada", *args) == fast


def test_user_diff_config_cannot_change_the_answer(edited_repo: Path) -> None:
    """Prefixes, colour, an external diff, a textconv driver, context between hunks,
    blank-line and rename settings in the user's config: the stream is the same."""
    script = edited_repo.parent / "ext.sh"
    script.write_text("#!/bin/sh\necho external\n")
    script.chmod(0o755)
    for key, value in {
        "diff.noprefix": "true",
        "diff.mnemonicPrefix": "true",
        "color.ui": "always",
        "color.diff": "always",
        "diff.external": str(script),
        "diff.interHunkContext": "10",
        "diff.context": "5",
        "diff.suppressBlankEmpty": "true",
        "diff.md.textconv": "tr a-z A-Z",
        "diff.algorithm": "patience",
        "diff.renames": "copies",
        "core.quotePath": "false",
    }.items():
        git(edited_repo, "config", key, value)
    (edited_repo / ".gitattributes").write_text("*.md diff=md\n")
    repo = open_repository(edited_repo)
    commits, patches = patch_log(edited_repo, "clients/ada.md")
    commits = [c for c in commits if c.files][::-1]
    rebuilt = replay.replay(commits, patches, VersionParser())
    assert len(rebuilt) == len(commits)  # every version came from the patches
    blobs = read_blobs(edited_repo, [c.files[-1].blob or "" for c in commits])
    parser = VersionParser()
    for i, commit in enumerate(commits):
        assert rebuilt[i] == parser.parse(blobs[i], commit.files[-1].path)
    slow = client_history(repo, "ada", use_cache=False, replay=False)
    assert client_history(repo, "ada", use_cache=False) == slow


def test_a_patch_stream_that_does_not_check_out_is_not_used(edited_repo: Path) -> None:
    """A line wrongly rebuilt (here: tampered with) makes the chain's last version hash
    to another blob: none of that chain's versions is used."""
    commits, patches = patch_log(edited_repo, "clients/ada.md")
    commits = [c for c in commits if c.files][::-1]
    sha = commits[3].sha
    hunks = patches[sha].hunks
    assert hunks
    wrong = [
        Hunk(h.old, h.new, h.removed, [line.replace(b"note", b"nite") for line in h.added])
        for h in hunks
    ]
    patches[sha] = Patch(patches[sha].old_blob, wrong)
    assert replay.replay(commits, patches, VersionParser()) == {}


def test_merges_and_branches_read_the_same(tmp_path: Path) -> None:
    root = _new_repo(tmp_path / "r")
    record = root / "clients" / "ada.md"
    record.write_text("---\nname: Ada\nstage: inquiry\n---\nnotes\n")
    _commit(root, 0)
    git(root, "checkout", "-q", "-b", "side")
    record.write_text("---\nname: Ada\nstage: active\n---\nnotes\n")
    _commit(root, 1)
    git(root, "checkout", "-q", "main")
    record.write_text("---\nname: Ada\nstage: inquiry\n---\nnotes\nmore notes\n")
    _commit(root, 2)
    git(root, "merge", "-q", "--no-edit", "side")
    record.write_text(record.read_text().replace("active", "review"))
    _commit(root, 3)
    record.write_bytes(record.read_bytes() + b"\x00 a binary version\n")
    _commit(root, 4)
    record.write_bytes(record.read_bytes().replace(b"\x00 a binary version\n", b"after\n"))
    _commit(root, 5)
    repo = open_repository(root)
    slow = client_history(repo, "ada", use_cache=False, replay=False)
    assert (
        client_history(repo, "ada", use_cache=False) == slow == reference_history(repo, "ada", None)
    )
    assert json.dumps([e.to_json() for e in slow])
    # after the merge and around the binary version the walk reads the version a
    # patch starts from and goes on: every version is still rebuilt
    commits, patches = patch_log(root, "clients/ada.md")
    commits = [c for c in commits if c.files][::-1]
    with BlobReader(root) as reader:
        rebuilt = replay.replay(commits, patches, VersionParser(), reader.read)
    assert sorted(rebuilt) == list(range(len(commits)))
    assert replay.replay(commits, patches, VersionParser()) != rebuilt  # without: fewer


ITEMS = [
    "  - {date: 2026-11-02, kind: coaching}",
    "  - {date: 2026-11-03, kind: call}",
    "    status: held",
    "  -",
    "  - &a {date: 2026-11-04}",
    "  - *a",
    "- {date: 2026-11-05}",
    "  - [x, y]",
    "  # a comment",
    "  - 'text'",
    "",
]


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(["sessions:", "null:", "tags:", "sessions: # c"]),
    st.lists(st.lists(st.sampled_from(ITEMS), max_size=3), min_size=1, max_size=6),
)
def test_a_list_that_grows_reads_as_the_whole_parser_reads_it(
    key: str, additions: list[list[str]]
) -> None:
    """Each version adds items at the end of one long list (as sessions grow): the
    items read before are not read again, and every version reads as parse_version."""
    from sortext.vcs.versions import parse_version

    parser = VersionParser()
    items = ["  - {date: 2026-01-01, kind: coaching, status: held, notes: " + "x" * 500 + "}"]
    for added in additions:
        items += added
        raw = ("---\nname: A\n" + key + "\n" + "".join(f"{i}\n" for i in items) + "---\n").encode()
        assert parser.parse(raw, "clients/a.md") == parse_version(raw, "clients/a.md")
