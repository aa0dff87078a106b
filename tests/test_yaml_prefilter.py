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
    ascii_hits = bytes(c for c in range(128) if yamlread._RAW_CONTROL.match(chr(c)))
    assert ascii_hits == yamlread._ASCII_CONTROLS


@settings(max_examples=500, deadline=None)
@given(ODD)
def test_no_control_is_missed(text: str) -> None:
    if yamlread._RAW_CONTROL.search(text) is not None:
        assert yamlread._may_hold_control(text)
    if text.isascii() and yamlread._RAW_CONTROL.search(text) is None:
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
