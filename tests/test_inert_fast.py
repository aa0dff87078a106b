"""inert_output's fast answer for ASCII text without controls is the full scan's."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from sortext.files.inert import _scan_output, inert_output

_PIECES = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x7F), max_size=12),
    st.text(max_size=6),  # any character, lone surrogates included
    st.sampled_from(
        ["\x1b[1m", "\x1b[31m", "\x1b[0m", "\x1b[2J", "\r\n", "\r", "\t", "\n", "\x7f", "\x9b"]
    ),
    st.sampled_from(["é", "\u202e", "\u200b", "\ufeff", "\U000e0041", "\udcff", "x"]),
)


@settings(max_examples=800, deadline=None)
@given(st.lists(_PIECES, max_size=10).map("".join), st.booleans())
@example("2026-11-20  abcdef12  Maya Lind  stage active -> review\n", False)
@example("plain\ttext\n", True)
@example("\x1b[1mbold\x1b[0m\n", True)
def test_inert_output_is_the_full_scan(text: str, colour: bool) -> None:
    assert inert_output(text, colour) == _scan_output(text, colour)


def test_plain_ascii_output_is_passed_through_unchanged() -> None:
    text = "2026-11-20  abcdef12  Maya Lind  next_action.due 2026-11-27 -> 2026-12-04\n" * 100
    assert inert_output(text, False) is text  # (the fast answer: no scan, no copy)
    assert inert_output("a\x1bb", False) == "a\\x1bb"  # a control still goes through the scan
