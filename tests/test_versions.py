"""The cached per-entry parser used by history gives exactly what parse_version gives."""

from __future__ import annotations

import json

from hypothesis import example, given, settings
from hypothesis import strategies as st

from sortext.record.yamlread import flow_nesting_too_deep
from sortext.vcs.versions import VersionParser, parse_version, plain_top_fields
from tests.conftest import PROJECT_ROOT

SAMPLES = sorted((PROJECT_ROOT / "clients").glob("*.md"))
LINES = [
    "name: A",
    "stage: active",
    "# a comment",
    "",
    "tags:",
    "- a",
    "  - b",
    "tags: [x, y]",
    "next_action: {what: Call, due: 2026-11-20}",
    "  due: 2026-11-21",
    "stage: review",
    "notes: |",
    "  text",
    "? odd",
    "&a x: 1",
    "key: *a",
    "---",
    "...",
    "<<<<<<< ours",
    "=======",
    ">>>>>>> theirs",
    "]",
    "  ]",
    "1: one",
    "date: 2026-02-30",
    "\tbad: tab",
    "sessions:",
    "  - {date: 2026-11-02, kind: coaching}",
    "id: other-id",
    "true: 1",
    "null: 0",
    "2026-01-01: x",
    "1.5: y",
    "at: 2026-01-02 03:04:05",
    "big: 1e400",
    "name: B",
    "0: zero",
    "false: no",
    "1.0: z",
    "True: 2",
    "~: tilde",
    '"1": quoted',
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(LINES), max_size=12), st.lists(st.sampled_from(LINES), max_size=3))
# 1 and true are different keys as text but one key to the YAML reader (1 == True):
@example(front=["1: one", "true: 1"], body=[])
@example(front=["0: zero", "false: no"], body=[])
@example(front=["1: one", "1.0: z"], body=[])
def test_cached_parser_matches_the_plain_parser(front: list[str], body: list[str]) -> None:
    text = "---\n" + "".join(f"{line}\n" for line in front) + "---\n" + "\n".join(body)
    parser = VersionParser()
    parser.parse(("---\n" + "".join(f"{line}\n" for line in front[:3]) + "---\n").encode())
    raw = text.encode()
    assert parser.parse(raw, "clients/x.md") == parse_version(raw, "clients/x.md")


def test_cached_parser_on_samples() -> None:
    parser = VersionParser()
    for path in SAMPLES:
        raw = path.read_bytes()
        assert parser.parse(raw, str(path)) == parse_version(raw, str(path))
        assert parser.parse(raw, str(path)) == parse_version(raw, str(path))  # cached


def test_flow_nesting_position() -> None:
    text = "a: 1\nb: " + "[" * 30 + "]" * 30
    # same answer as the per-character scan it replaced:
    assert flow_nesting_too_deep(text, 24) == (2, 3 + 25)
    assert flow_nesting_too_deep("x: " + "[]" * 40, 24) is None


# --- the cheap name/stage reader (new clients in the weekly section) ---------------------

_KEYS = ("id", "name", "stage")
_PLAINISH = st.from_regex(r"[A-Za-zéß_~.][A-Za-z0-9éß .,'&()/+:#-]{0,10}", fullmatch=True)
_VALUES = st.one_of(
    _PLAINISH,
    _PLAINISH,
    st.text(alphabet="abZé ß019-_.,'&()/+:#\"[]{}|>*!%@`~?\t", max_size=12),
    st.sampled_from(
        [
            "Amara Okafor",
            "active",
            "O'Brien & Co (2)",
            "true",
            "No",
            "null",
            "~",
            "yes",
            "On",
            "y",
            "2026-11-01",
            "12",
            "1.5",
            ".inf",
            "0x1F",
            '"Quoted"',
            "'single'",
            '"two\n  lines"',
            '"open\nname: x"',
            "[a, b]",
            "[a,\n  b]",
            "[a,\nname: z]",
            "{a: 1}",
            "|\n  block text",
            ">\n  folded\n  text",
            "plain\n  continued",
            "plain\n\n  after a blank",
            "word # comment",
            "a: b",
            "&anchor x",
            "*alias",
            "!tag x",
            "\n  nested: 1",
            "\n- compact\n- list",
            "\n  - item",
            "",
        ]
    ),
)
_ENTRY = st.tuples(
    st.sampled_from([*_KEYS, *_KEYS, "notes", "tags", '"name"', "name ", "? name", "Name"]),
    _VALUES,
)
_EXTRA = st.sampled_from(["", "# comment", "  # indented comment", "- stray item", "   "])


def _front(entries: list[tuple[str, str]], extras: list[str]) -> bytes:
    lines = []
    for i, (key, value) in enumerate(entries):
        lines.append(f"{key}:{value}" if value.startswith("\n") else f"{key}: {value}")
        if i < len(extras):
            lines.append(extras[i])
    return ("---\n" + "\n".join(lines) + "\n---\n\nNotes.\n").encode()


@settings(max_examples=1500, deadline=None)
@given(st.lists(_ENTRY, max_size=8), st.lists(_EXTRA, max_size=4))
@example(entries=[("name", "Amara Okafor"), ("stage", "active")], extras=[])
@example(entries=[("name", "A"), ("notes", "[a,\nname: z]")], extras=[])
@example(entries=[("name", "A\n  B"), ("stage", "x")], extras=[])
def test_plain_top_fields_agree_with_the_parser(
    entries: list[tuple[str, str]], extras: list[str]
) -> None:
    """Wherever the line scan answers for a record that parses, it says what the
    parser says: the value of each key it found, and absence of the others (the
    id then being the one implied by the file name)."""
    raw = _front(entries, extras)
    cheap = plain_top_fields(raw, _KEYS)
    parsed = parse_version(raw, "clients/x.md")
    if cheap is None or parsed is None:
        return
    for key in _KEYS:
        if key in cheap:
            assert parsed.data.get(key) == cheap[key], (key, raw)
        elif key == "id":
            assert parsed.data["id"] == "x", raw
        else:
            assert key not in parsed.data, (key, raw)


def test_plain_top_fields_answer_for_realistic_records() -> None:
    """The records an import brings take the cheap path (else a bulk week is slow)."""
    import random

    from bench.gen_pages import client_text

    rng = random.Random(7)
    for n in range(50):
        raw = client_text(n, rng).encode()
        cheap = plain_top_fields(raw, _KEYS)
        parsed = parse_version(raw, f"clients/client-{n:05d}.md")
        assert cheap is not None and parsed is not None
        assert {k: parsed.data[k] for k in ("name", "stage")} == {
            k: cheap[k] for k in ("name", "stage")
        }


@settings(max_examples=1000, deadline=None)
@given(_PLAINISH, _VALUES, st.lists(_ENTRY, max_size=3), st.lists(_EXTRA, max_size=3))
def test_plain_name_and_stage_agree_with_the_parser(
    name: str, stage: str, others: list[tuple[str, str]], extras: list[str]
) -> None:
    """Same property, on records that do have name and stage lines (most answers)."""
    raw = _front([("name", name), *others, ("stage", stage)], extras)
    cheap = plain_top_fields(raw, _KEYS)
    parsed = parse_version(raw, "clients/x.md")
    if cheap is None or parsed is None:
        return
    for key in _KEYS:
        if key in cheap:
            assert parsed.data.get(key) == cheap[key], (key, raw)
        elif key == "id":
            assert parsed.data["id"] == "x", raw
        else:
            assert key not in parsed.data, (key, raw)


# --- long lists read item by item (VersionParser._parse_list) -------------------------

ITEM_LINES = [
    "  - {date: 2026-11-02, kind: coaching, status: held}",
    "  - {date: 2026-11-09, kind: coaching}",
    "  - date: 2026-11-16",
    "    kind: review",
    "    status: held",
    "  -",
    "  - plain text",
    "  - - nested",
    "    - deeper",
    "  -b",
    " - one space",
    "   - three spaces",
    "- at column zero",
    "  # a comment",
    "# column-zero comment",
    "",
    "  - &anchor {date: 2026-11-23}",
    "  - *anchor",
    "  - note: |",
    "      a block scalar",
    "  - {date: 2026-11-30,",
    "     kind: split}",
    "  - [a, b]",
    "  ]",
    "  - 'quoted: text'",
    "  - {date: 2026-11-02, date: 2026-11-03}",
    "  - true: 1",
    "    1: one",
    "  - .nan",
    "\t- tab",
]
HEADS = ["sessions:", "sessions:  ", "sessions: # c", "sessions: []", "1:", "sessions:"]


@settings(max_examples=600, deadline=None)
@given(
    st.sampled_from(HEADS),
    st.lists(st.sampled_from(ITEM_LINES), max_size=10),
    st.lists(st.lists(st.sampled_from(ITEM_LINES), max_size=10), max_size=3),
)
@example(head="sessions:", items=["  - &anchor {date: 2026-11-23}", "  - *anchor"], earlier=[])
def test_lists_read_item_by_item_match_the_plain_parser(
    head: str, items: list[str], earlier: list[list[str]]
) -> None:
    from sortext.vcs import versions

    def doc(lines: list[str]) -> bytes:
        return ("---\nname: A\n" + "\n".join([head, *lines]) + "\nstage: active\n---\n").encode()

    saved = versions._LIST_MIN
    versions._LIST_MIN = 0  # every list entry item by item, however short
    try:
        parser = VersionParser()
        for lines in earlier:  # items seen before, in other versions, are reused
            raw = doc(lines)
            assert parser.parse(raw, "clients/x.md") == parse_version(raw, "clients/x.md")
        raw = doc(items)
        assert parser.parse(raw, "clients/x.md") == parse_version(raw, "clients/x.md")
    finally:
        versions._LIST_MIN = saved


def test_a_growing_list_is_read_once_per_item() -> None:
    from sortext.vcs import versions

    parser = VersionParser()
    sessions = [
        f"  - {{date: 2026-01-{d:02d}, kind: coaching, status: held}}" for d in range(1, 29)
    ]
    for n in range(20, 29):
        raw = ("---\nname: A\nsessions:\n" + "\n".join(sessions[:n]) + "\n---\n").encode()
        assert parser.parse(raw, "clients/a.md") == parse_version(raw, "clients/a.md")
    assert len(sessions[0]) * 20 > versions._LIST_MIN
    assert len(parser._items) == 28  # each item read once, not once per version


# --- the simple entries read without the YAML reader (versions.simple_entry) -----------

_S_KEYS = st.one_of(
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,8}", fullmatch=True),
    st.sampled_from(["true", "False", "null", "Null", "yes", "On", "y", "N", "1", "a b", "é"]),
)
_S_SCALARS = st.one_of(
    st.from_regex(r"[A-Za-zéßЖ_0-9][A-Za-z0-9éß .,'&()/+-]{0,12}", fullmatch=True),
    st.text(alphabet="abZéß019-_.,'&()/+:#\"[]{}|>*!%@`~?\t \u00a0\u0085\u2028\x07", max_size=10),
    st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", fullmatch=True),
    st.from_regex(r"-?[0-9]{1,21}", fullmatch=True),
    st.sampled_from(
        [
            "2026-11-20",
            "2026-02-30",
            "0000-01-01",
            "2026-1-2",
            "2026-11-20 10:00",
            "012",
            "-0",
            "0",
            "-17",
            "99999999999999999999",
            "1_000",
            "1e3",
            "0x1F",
            ".inf",
            "true",
            "TRUE",
            "no",
            "Off",
            "~",
            "x  ",
            "a # c",
            "a: b",
            "Follow up (3)",
            "Coaching, 6 months",
            "O'Brien & Co",
            "x\ty",
            "",
        ]
    ),
)
_S_PAIRS = st.lists(st.tuples(_S_KEYS, _S_SCALARS), min_size=1, max_size=4)


@st.composite
def _simple_chunks(draw: st.DrawFn) -> str:
    key = draw(_S_KEYS)
    form = draw(st.sampled_from(["line", "flow", "block", "sequence"]))
    if form == "line":
        chunk = f"{key}: {draw(_S_SCALARS)}\n"
    elif form == "flow":
        sep = draw(st.sampled_from([", ", ",", " , ", ",  "]))
        inner = sep.join(f"{k}: {v}" for k, v in draw(_S_PAIRS))
        chunk = f"{key}: {{{inner}}}\n"
    elif form == "sequence":
        indents = draw(st.lists(st.sampled_from(["  ", "  ", "", " ", "\t"]), min_size=3))
        chunk = f"{key}:\n"
        for i in range(draw(st.integers(1, 3))):
            sep = draw(st.sampled_from([", ", ", ", ",", " , "]))
            inner = sep.join(f"{k}: {v}" for k, v in draw(_S_PAIRS))
            dash = draw(st.sampled_from(["- ", "- ", "-", "-  "]))
            chunk += f"{indents[i]}{dash}{{{inner}}}\n"
    else:
        indents = draw(st.lists(st.sampled_from(["  ", "  ", "   ", " ", "\t"]), min_size=4))
        pairs = draw(_S_PAIRS)
        chunk = f"{key}:\n" + "".join(f"{indents[i]}{k}: {v}\n" for i, (k, v) in enumerate(pairs))
    tail = draw(st.sampled_from(["", "", "", "\n", "# c\n", "  # c\n", "x"]))
    return chunk + tail


@settings(max_examples=1500, deadline=None)
@given(_simple_chunks())
@example("next_action: {what: Follow up with Long Client (3), owner: me, due: 2026-01-08}\n")
@example("next_action:\n  what: Send the session prep notes\n  owner: maya\n  due: 2026-11-27\n")
@example("a: {b: 1, b: 2}\n")
@example("a:\n  b: 1\n  b: 2\n")
@example("a: {true: 1}\n")
@example("a: 2026-02-30\n")
def test_simple_entries_read_as_the_yaml_reader_reads_them(chunk: str) -> None:
    from sortext.vcs.versions import _parse_entry_yaml, simple_entry

    simple = simple_entry(chunk)
    if simple is not None:
        slow = _parse_entry_yaml(chunk)
        assert simple == slow
        assert json.dumps(simple) == json.dumps(slow)  # 1 and True, 1 and 1.0 differ here


def test_simple_entries_answer_for_the_common_forms() -> None:
    """The forms that dominate a history (the test above is not vacuous)."""
    from sortext.vcs.versions import simple_entry

    for chunk in [
        "stage: active\n",
        "rate: 150\n",
        "due: 2026-11-27\n",
        "next_action: {what: Follow up with Long Client (3), owner: me, due: 2026-01-08}\n",
        "next_action:\n  what: Send the session prep notes\n  owner: maya\n  due: 2026-11-27\n",
        "billing:\n  plan: Coaching, 6 months\n  rate: 150\n  currency: GBP\n",
        "sessions:\n  - {date: 2026-11-02, kind: coaching, status: held}\n",
        "invoices:\n- {id: INV-7, amount: 300, due: 2026-08-24}\n- {id: INV-8, amount: 30}\n",
    ]:
        assert simple_entry(chunk) is not None, chunk
    for chunk in ["a: x # c\n", "a: yes\n", "a: 1.5\n", "a: 012\n", "a: x \n", "a: {}\n"]:
        assert simple_entry(chunk) is None, chunk
