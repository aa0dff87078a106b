"""The shortcuts in front of the YAML guards (issue 15) against what they stand for:

* ``_may_hold_control`` is False only where ``_RAW_CONTROL`` finds nothing, and its
  byte list is exactly the ASCII part of that pattern;
* ``_nesting_bound`` (bytes) is the bound the text formulation gave.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.record import yamlread

ODD = st.text(
    st.characters(max_codepoint=0x2FF) | st.sampled_from("[]{}\x00\x1b\x7f\x85\x9f\t\r\n é"),
    max_size=80,
)


def test_the_ascii_controls_are_those_of_the_pattern() -> None:
    ascii_hits = bytes(c for c in range(128) if yamlread._RAW_CONTROL().match(chr(c)))
    assert ascii_hits == yamlread._ASCII_CONTROLS


@settings(max_examples=500, deadline=None)
@given(ODD)
def test_no_control_is_missed(text: str) -> None:
    if yamlread._RAW_CONTROL().search(text) is not None:
        assert yamlread._may_hold_control(text)
    if text.isascii() and yamlread._RAW_CONTROL().search(text) is None:
        assert not yamlread._may_hold_control(text)


def _text_bound(text: str) -> int:
    brackets = re.sub(r"[^\[\]{}]+", "", text).replace("{", "[").replace("}", "]")
    rounds = 0
    while "[]" in brackets and rounds < 8:
        brackets = brackets.replace("[]", "")
        rounds += 1
    return rounds + brackets.count("[")


@settings(max_examples=500, deadline=None)
@given(ODD)
def test_nesting_bound_is_the_text_formulation(text: str) -> None:
    assert yamlread._nesting_bound(text) == _text_bound(text)


class _Text(str):
    """A text subclass: neither the walk nor orjson takes it for a plain key."""


class _Mapping(dict):  # type: ignore[type-arg]
    """A mapping subclass: the walk does not enter it, orjson writes it."""


KEYS = (
    st.text(max_size=3)
    | st.integers(-3, 2**70)
    | st.floats()
    | st.booleans()
    | st.none()
    | st.builds(_Text, st.text(max_size=2))
    | st.sampled_from(["\udcff", "2026-11-30"])
)
LEAVES = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text()
NESTED = st.recursive(
    LEAVES,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.lists(inner, max_size=2).map(tuple)
        | st.dictionaries(st.text(max_size=3), inner, max_size=3)
        | st.dictionaries(KEYS, inner, max_size=3)
        | st.dictionaries(KEYS, inner, max_size=2).map(_Mapping)
    ),
    max_leaves=12,
)


@settings(max_examples=1000, deadline=None)
@given(NESTED)
def test_text_keys_answers_as_the_walk(value: object) -> None:
    """orjson's shortcut in yamlread._text_keys says what the walk says (issue 15)."""
    assert yamlread._text_keys(value) == yamlread._text_keys_walk(value)


def test_text_keys_on_deep_nesting() -> None:
    deep: object = {"k": 1}
    for _ in range(300):  # deeper than orjson writes: the walk answers
        deep = {"k": [deep]}
    assert yamlread._text_keys(deep) is True
    assert yamlread._text_keys({"a": [{1: "x"}]}) is False
