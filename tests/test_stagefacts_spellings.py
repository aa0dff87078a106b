"""The stage in every YAML spelling the record reader accepts.

Found: the stage-facts scan matched ``+stage:`` lines with a regex, so a stage written
``"stage": x``, ``'stage': x``, ``stage : x``, with its value on the next line, in a
flow front matter (``{stage: x, ...}``), quoted or followed by a comment was missed
(or misread), leaving the time in stage unknown or wrong.  The scan now takes each
version's stage from its ``stage:`` line only where the line scan is sure (the plain
spelling) and from the record reader's YAML everywhere else; a commit counts when the
stage it wrote differs from the one before.  The property: for generated histories of
front matters in many spellings (with ``stage:`` lines in a block scalar and in the
notes, which must not count), the facts equal what reading every version with the
record reader gives.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.repo import open_repository
from sortext.vcs.stagefacts import stage_facts
from sortext.vcs.versions import parse_version
from tests.test_stagefacts_notes import _commit, _repo

STAGES = ["inquiry", "discovery", "active", "review"]

# Each spelling: the front matter lines for stage ``s`` (the other fields around it).
SPELLINGS = {
    "plain": lambda s: [f"stage: {s}"],
    "double-key": lambda s: [f'"stage": {s}'],
    "single-key": lambda s: [f"'stage': {s}"],
    "space-colon": lambda s: [f"stage : {s}"],
    "next-line": lambda s: ["stage:", f"  {s}"],
    "comment": lambda s: [f"stage: {s}   # moved after the call"],
    "double-value": lambda s: [f'stage: "{s}"'],
    "single-value": lambda s: [f"stage: '{s}'"],
    "folded": lambda s: ["stage: >-", f"  {s}"],
    "escaped-key": lambda s: [f'"st\\x61ge": {s}'],
    "tab-comment": lambda s: [f"stage: {s} #x"],
}


# Other fields around the stage: edits to them remove lines with quotes, flow
# collections, apostrophes, block scalars and comments (the fast path must judge
# them).  (No anchors: the reader refuses them, and a version it refuses whose
# stage line is plain keeps that line's stage, which the line scan reads without
# parsing the rest.)
EXTRAS = [
    [],
    ['phone: "+44 20 7946 0312"'],
    ["sessions: [{date: 2026-01-01, kind: intro}]"],
    ["sessions:", "  - {date: 2026-01-02, kind: review}", "  - {date: 2026-01-09, kind: x}"],
    ["company: Lindqvist & Okafor's studio"],
    ["tags: ['a', 'b']"],
    ["next_action:", "  what: Send the notes", "  due: 2026-11-19   # slipped: she's away"],
    ["summary: >", "  two lines", "  of text"],
]


def _front(
    stage: str | None, spelling: str, name: str, decoy: str | None, flow: bool, extra: int
) -> list[str]:
    if flow:
        parts = [f"name: {name}", "owner: me"]
        if stage is not None:
            parts.insert(1, f"stage: {stage}")
        return ["{" + ", ".join(parts) + "}"]
    lines = [f"name: {name}", *EXTRAS[extra]]
    if stage is not None:
        lines += SPELLINGS[spelling](stage)
    lines.append("owner: me")
    if decoy is not None:  # a stage: line inside a block scalar: not the stage
        lines += ["summary2: |", f"  stage: {decoy}", "  more text"]
    return lines


VERSION = st.tuples(
    st.one_of(st.none(), st.sampled_from(STAGES), st.sampled_from(STAGES)),  # None: no stage
    st.sampled_from(sorted(SPELLINGS)),
    st.sampled_from(["Ada", "Ada Lovelace", "Ada L."]),
    st.one_of(st.none(), st.sampled_from(STAGES)),  # block-scalar decoy
    st.one_of(st.none(), st.sampled_from(STAGES)),  # a notes line "stage: x"
    st.booleans(),  # flow front matter
    st.integers(0, 2),  # notes length
    st.integers(0, len(EXTRAS) - 1),  # other fields
)


#: a version of the record: stage, spelling, name, decoy, notes' stage, flow, notes length,
#: other fields (see VERSION)
Version = tuple[str | None, str, str, str | None, str | None, bool, int, int]


def _text(version: Version) -> bytes:
    stage, spelling, name, decoy, notes_stage, flow, length, extra = version
    lines = ["---", *_front(stage, spelling, name, decoy, flow, extra), "---", "", "# Notes"]
    lines += [f"Talked about week {n}." for n in range(length)]
    if notes_stage is not None:
        lines.append(f"stage: {notes_stage}")
    return ("\n".join(lines) + "\n").encode()


def _read_stage(raw: bytes) -> tuple[bool, str | None]:
    """(readable, stage) as the record reader reads the version."""
    parsed = parse_version(raw)
    if parsed is None:
        return False, None
    stage = parsed.data.get("stage")
    return True, stage if isinstance(stage, str) else None


def _expected(history: list[tuple[dt.date, bytes]]) -> tuple[str | None, dt.date | None]:
    """The stage of the newest version and the day of the newest commit whose version's
    stage differs from the version before it (before the first: no stage).  A version
    that does not read says nothing of its own: it has the stage of the version after
    it (a save that broke the YAML on the way to the next one), the newest one that of
    the version before it."""
    read = [_read_stage(raw) for _, raw in history]
    stages: list[str | None] = [None] * len(read)
    newer: tuple[bool, str | None] | None = None
    for i in range(len(read) - 1, -1, -1):
        readable, stage = read[i]
        if readable:
            stages[i] = stage
        elif newer is not None:
            stages[i] = newer[1]
        else:  # the newest ones: the first readable version before them
            stages[i] = next((s for ok, s in reversed(read[:i]) if ok), None)
            continue
        newer = (True, stages[i])
    for i in range(len(history) - 1, -1, -1):
        before = stages[i - 1] if i else None
        if stages[i] != before:
            return stages[-1], history[i][0]
    return stages[-1], None


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(versions=st.lists(VERSION, min_size=1, max_size=7))
def test_stage_facts_equal_the_record_readers_stage(
    tmp_path_factory: pytest.TempPathFactory, versions: list[Version]
) -> None:
    root = _repo(tmp_path_factory.mktemp("spell") / "r")
    repo = open_repository(root)
    day = dt.date(2026, 1, 1)
    history: list[tuple[dt.date, bytes]] = []
    for version in versions:
        raw = _text(version)
        if history and history[-1][1] == raw:
            continue
        day += dt.timedelta(days=1)
        (root / "clients" / "ada.md").write_bytes(raw)
        _commit(root, day)
        history.append((day, raw))
        stage_facts(repo)  # the saved facts moved forward commit by commit
    stage, since = _expected(history)
    whole = stage_facts(repo, use_cache=False)["ada"]
    assert (whole.stage or None, whole.stage_since) == (stage, since)
    stepped = stage_facts(repo)["ada"]
    assert (stepped.stage or None, stepped.stage_since) == (stage, since)


@pytest.mark.parametrize("spelling", sorted(SPELLINGS))
def test_each_spelling_counts(tmp_path: Path, spelling: str) -> None:
    """The examples: a move from inquiry to active written in each spelling."""
    root = _repo(tmp_path / "r")
    first = ("inquiry", "plain", "Ada", None, None, False, 0, 0)
    second = ("active", spelling, "Ada", None, None, False, 1, 0)
    for n, version in enumerate([first, second]):
        (root / "clients" / "ada.md").write_bytes(_text(version))
        _commit(root, dt.date(2026, 1, 1 + n))
    facts = stage_facts(open_repository(root), use_cache=False)["ada"]
    assert (facts.stage, facts.stage_since) == ("active", dt.date(2026, 1, 2))


def test_a_block_scalar_stage_line_does_not_count(tmp_path: Path) -> None:
    root = _repo(tmp_path / "r")
    (root / "clients" / "ada.md").write_bytes(
        _text(("active", "plain", "A", None, None, False, 0, 0))
    )
    _commit(root, dt.date(2026, 1, 1))
    (root / "clients" / "ada.md").write_bytes(
        _text(("active", "plain", "A", "review", "lost", False, 0, 0))
    )
    _commit(root, dt.date(2026, 1, 2))
    facts = stage_facts(open_repository(root), use_cache=False)["ada"]
    assert (facts.stage, facts.stage_since) == ("active", dt.date(2026, 1, 1))


def test_plain_histories_keep_the_fast_path(tmp_path: Path) -> None:
    """The plain spelling stays cheap: a history of notes and field edits around a
    plain ``stage:`` line reads one version per record (the newest), whatever its
    length; a spelling the line scan cannot follow costs reads, not a wrong answer."""
    from sortext.vcs import git, stagefacts
    from sortext.vcs.log import read_blobs

    root = _repo(tmp_path / "r")
    names = ["Ada", "Ada Lovelace", "Ada L."]
    for n in range(12):
        stage = "inquiry" if n < 3 else "active"
        version = (stage, "plain", names[n % 3], None, None, False, n % 4, n % 3)
        (root / "clients" / "ada.md").write_bytes(_text(version))
        _commit(root, dt.date(2026, 1, 1 + n))
    asked: list[str] = []

    def read(blobs: list[str]) -> list[bytes | None]:
        asked.extend(blobs)
        return read_blobs(root, blobs)

    out = git.run(
        root,
        "log",
        "--format=\x01%aI",
        "--root",
        "-p",
        "-U0",
        "-M",
        "--full-index",
        "--src-prefix=a/",
        "--dst-prefix=b/",
        "HEAD",
        "--",
        "clients/",
    ).decode()
    scan = stagefacts._parse_patches(out, read)
    assert scan.stages["clients/ada.md"] == ("active", "2026-01-04")
    # the newest version, and the one before the stage's commit (its hunk is the stage line)
    assert len(asked) == 2


@settings(max_examples=150, deadline=None)
@given(versions=st.lists(VERSION, min_size=1, max_size=6))
def test_the_history_readers_agree_on_every_spelling(versions: list[Version]) -> None:
    """The same class on the history side: the incremental version parser (top-level
    entries read alone, the simple forms without YAML: ``simple_entry``) and the line
    scan of plain top fields give, for every spelling, what the record reader gives."""
    from sortext.vcs.versions import VersionParser, plain_top_fields

    parser = VersionParser()
    for version in versions:
        raw = _text(version)
        whole = parse_version(raw, "clients/ada.md")
        step = parser.parse(raw, "clients/ada.md")
        assert (whole is None) == (step is None)
        if whole is not None and step is not None:
            assert step.data == whole.data
        plain = plain_top_fields(raw, ("stage", "name"))
        if plain is not None and whole is not None:
            assert plain.get("stage") == whole.data.get("stage")
            assert plain.get("name") == whole.data.get("name")
