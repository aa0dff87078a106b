"""The guards' fast scans decide exactly what their plain forms decide.

``sortext.record.yamlread`` writes its look-closer patterns so that every alternative
starts with a literal character (much faster in ``re``) and skips whole scans
when a cheap test shows they cannot match.  These tests hold the plain forms
and compare on generated texts full of the characters that matter.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.record import yamlread as yamlparse
from sortext.record.source import SourceText, decode
from sortext.record.split import Split, split
from tests.conftest import PROJECT_ROOT

PLAIN_MARKUP = re.compile(
    r"(?:^|[\s\[\]{},:])(?:[&*][^\s\[\]{},]|!)"
    r"|[\]}][ \t]*:|[{,][ \t]*[\[{]|(?:^|\s)\?\s"
)
PLAIN_NUMBER_HINT = re.compile(
    r"[0-9._+-]_|_[0-9.]|0[xXbBoO]|[0-9]\.?[eE][-+]?[0-9]|\.(?:inf|Inf|INF|nan|NaN|NAN)"
)
PLAIN_FLOW_INDICATOR = re.compile(
    r"[\[{,\n][ \t]*[>|%@`?:]|:[,\]}]|\t|(?:^|\s)\?|[\"']:\S"
    r"|[:-][ \t]+(?:[>|][-+0-9]*[ \t]*[^\s#]|[%@`])"
)
PAIRS = [
    (PLAIN_MARKUP, yamlparse._MARKUP()),
    (PLAIN_NUMBER_HINT, yamlparse._NUMBER_HINT()),
    (PLAIN_FLOW_INDICATOR, yamlparse._FLOW_INDICATOR()),
]


def plain_flow_nesting(text: str, limit: int) -> tuple[int, int] | None:
    depth = 0
    for match in re.finditer(r"[\[\]{}]", text):
        if match.group() in "[{":
            depth += 1
            if depth > limit:
                pos = match.start()
                return text.count("\n", 0, pos) + 1, pos - text.rfind("\n", 0, pos)
        elif depth:
            depth -= 1
    return None


def plain_block_nesting(text: str, limit: int) -> tuple[int, int] | None:
    for number, line in enumerate(text.split("\n"), 1):
        stripped = line.lstrip(" -")
        indent = len(line) - len(stripped)
        if indent > limit * 4 and stripped and not stripped.startswith("#"):
            return number, indent + 1
    return None


def check_all(text: str) -> None:
    for plain, fast in PAIRS:
        assert bool(fast.search(text)) == bool(plain.search(text)), (plain.pattern, text)
    # The decisions the readers take (issue 15: searched alternative by alternative, and
    # only those that need no rare character when the text holds none).
    rare = yamlparse._holds_rare(text)
    assert rare == any(chr(c) in text for c in yamlparse._RARE), text
    assert yamlparse._markup_in(text, rare) == bool(PLAIN_MARKUP.search(text)), text
    assert yamlparse._number_hint_in(text) == bool(PLAIN_NUMBER_HINT.search(text)), text
    assert yamlparse._flow_indicator_in(text, rare) == bool(PLAIN_FLOW_INDICATOR.search(text)), text
    plain_marker = yamlparse._DOCUMENT_MARKER().search(text)
    if plain_marker is not None:
        assert "\n---" in text or "\n..." in text or text.startswith(("---", "..."))


PIECES = st.sampled_from(
    [
        "a",
        "b",
        "e",
        "E",
        "x",
        "X",
        "o",
        "B",
        "0",
        "1",
        "9",
        "_",
        ".",
        "+",
        "-",
        " ",
        "  ",
        "\t",
        "\n",
        "\u2003",
        "\x85",
        "&",
        "*",
        "!",
        "?",
        "[",
        "]",
        "{",
        "}",
        ",",
        ":",
        "'",
        '"',
        "#",
        ">",
        "|",
        "%",
        "@",
        "`",
        "inf",
        "NaN",
        ".inf",
        "1e5",
        "0x",
        "&a",
        "*a",
        "? ",
        ": ",
        "- ",
        "---",
        "...",
        "<<",
    ]
)
TEXTS = st.lists(PIECES, max_size=24).map("".join)


@settings(max_examples=3000, deadline=None)
@given(TEXTS)
def test_fast_patterns_match_exactly_when_plain_ones_do(text: str) -> None:
    check_all(text)


# Texts without the rare characters (yamlread._RARE), where the readers search only the
# alternatives that can match without them: "@", colons, brackets and commas.
PLAIN_PIECES = st.sampled_from(
    [
        *("a", "e", "E", "0", "1", "_", ".", "-", "@", "[", "]", "{", "}", ",", ":", "#"),
        *(".inf", "1e5", "0x", "<<", "é", " ", "  ", "\n", "\u2003", ": ", "- "),
    ]
)


@settings(max_examples=3000, deadline=None)
@given(st.lists(PLAIN_PIECES, max_size=24).map("".join))
def test_fast_decisions_without_rare_characters(text: str) -> None:
    assert not yamlparse._holds_rare(text)
    check_all(text)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=30))
def test_fast_patterns_on_any_text(text: str) -> None:
    check_all(text)


@pytest.mark.parametrize(
    "text",
    [
        "&a",
        "x &a",
        "x&a",
        "[&a]",
        "*",
        "!",
        "a!",
        " !",
        "]:",
        "} :",
        "{ [",
        ",{",
        "?",
        "? ",
        "a ? b",
        "?\n",
        "1_0",
        "_1",
        "a_b",
        "__",
        "0x1",
        "1e5",
        "1.e5",
        "1.5e-3",
        "e5",
        ".e5",
        ".inf",
        "[>",
        "{ ?",
        ",:",
        "\n:",
        "a:,",
        "a:]",
        "\t",
        " ?",
        "x?",
        '"a":b',
        "'a': b",
        "k: >x",
        "k: |",
        "k: >-  x",
        "- %x",
        "k: @x",
        "k:  `x`",
        "a@b.com",
        "10:30",
        "{id: INV-1, amount: 840}",
        "email: a@b.com",
        "k: @x",
        "k:@x",
        "- @x",
        "-@x",
        "[ @x]",
        "{\t@x}",
        "a, \t @b",
        "\n  @x",
        "@x",
        " @x",
        "x@y, @z",
        "k: a@b\nl: @c",
        "é: @x",
        "1_000",
        "2e9",
        "a.nan",
    ],
)
def test_fast_patterns_on_examples(text: str) -> None:
    check_all(text)


SAMPLES = sorted((PROJECT_ROOT / "clients").glob("*.md")) + sorted(
    (PROJECT_ROOT / "tests" / "corpus").glob("*/*.md")
)


@pytest.mark.parametrize("path", SAMPLES, ids=[f"{p.parent.name}/{p.name}" for p in SAMPLES])
def test_fast_patterns_on_samples(path: Path) -> None:
    source = decode(path.read_bytes())
    if isinstance(source, SourceText):
        parts = split(source.text)
        check_all(parts.yaml_text if isinstance(parts, Split) else source.text)


BRACKETY = st.lists(st.sampled_from(["[", "]", "{", "}", "a", "\n", ", ", "[]", "{}"]), max_size=80)


@settings(max_examples=1500, deadline=None)
@given(BRACKETY.map("".join), st.integers(0, 30))
def test_flow_nesting_matches_plain_walk(text: str, limit: int) -> None:
    assert yamlparse.flow_nesting_too_deep(text, limit) == plain_flow_nesting(text, limit)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["[", "{", "]", "}", "[]", "x"]), min_size=20, max_size=200))
def test_flow_nesting_matches_plain_walk_near_the_limit(parts: list[str]) -> None:
    text = "".join(parts)
    for limit in (1, 5, 12, 24):
        assert yamlparse.flow_nesting_too_deep(text, limit) == plain_flow_nesting(text, limit)


INDENTS = st.lists(
    st.tuples(
        st.integers(0, 110),
        st.sampled_from(["", "- ", "-", "  - "]),
        st.sampled_from(["", "x", "#", "- y"]),
    ),
    max_size=6,
)


@settings(max_examples=1000, deadline=None)
@given(INDENTS, st.sampled_from([24, 2, 0]))
def test_block_nesting_matches_plain_scan(lines: list[tuple[int, str, str]], limit: int) -> None:
    text = "\n".join(" " * n + dash + rest for n, dash, rest in lines)
    assert yamlparse.block_nesting_too_deep(text, limit) == plain_block_nesting(text, limit)


#: The exponent hints as round 11 wrote them (the lookahead now comes first).
_OLD_EXPONENT_HINTS = (
    re.compile(r"e(?:(?<=[0-9]e)|(?<=[0-9]\.e))[-+]?[0-9]"),
    re.compile(r"E(?:(?<=[0-9]E)|(?<=[0-9]\.E))[-+]?[0-9]"),
)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="0123456789.eE+-_ x\n", max_size=40))
def test_the_exponent_hints_find_what_they_found(text: str) -> None:
    for old, new in zip(_OLD_EXPONENT_HINTS, yamlparse._NUMBER_HINTS()[2:4], strict=True):
        assert (old.search(text) is None) == (new.search(text) is None), text
