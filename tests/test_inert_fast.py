"""The inert filters' shortcuts (issue 15: printing 20,000 lines ran a regex over every
field and over the whole output; a cold build ran one over every client's notes) give
what the regexes give: plain ASCII text for :func:`inert.inert_output`, printable text
in any script (newlines and tabs kept when asked) for :func:`inert.clean`."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.files import inert

# Notes as a coach writes them, in several scripts, with the odd hostile character.
NOTES = st.lists(
    st.one_of(
        st.sampled_from(["Session 3: ", "Zoë ", "Łódź ", "東京 ", "مرحبا ", "😀", " - ", "€12"]),
        st.sampled_from(["\n", "\n\n", "\t", "\r\n", "\u202e", "\u200b", "\u2028", "\x00"]),
        st.text(st.characters(codec="utf-8"), max_size=8),
    )
).map("".join)
TEXT = st.one_of(
    st.text(st.characters(max_codepoint=0x7F)),
    st.text(st.characters(max_codepoint=0x2100)),
    st.text(st.characters()),  # every code point, lone surrogates included
    NOTES,
    st.lists(
        st.sampled_from(["ab", " ", "\t", "\n", "\r\n", "\x1b[1m", "\x1b[2J", "\x7f", "é"])
    ).map("".join),
)


def _slow_clean(text: str, newlines: bool) -> str:
    out = (inert._UNSAFE if newlines else inert._UNSAFE_LINE)().sub(inert._visible, text)
    if not out.isascii():
        out = out.encode("utf-8", "backslashreplace").decode("utf-8")
    return out


def _slow_output(text: str, colour: bool) -> str:
    def one(match: re.Match[str]) -> str:
        params = match.group(1)
        if params is not None and colour and set(params.split(";")) <= inert._OWN_SGR:
            return match.group()
        if match.group(2):
            return match.group()
        return inert._visible(match)

    out = inert._OUTPUT().sub(one, text)
    if not out.isascii():
        out = out.encode("utf-8", "backslashreplace").decode("utf-8")
    return out


@settings(max_examples=1000, deadline=None)
@given(text=TEXT, newlines=st.booleans(), colour=st.booleans())
def test_the_shortcut_gives_what_the_regexes_give(text: str, newlines: bool, colour: bool) -> None:
    assert inert.clean(text, newlines=newlines) == _slow_clean(text, newlines)
    assert inert.inert_output(text, colour) == _slow_output(text, colour)


def test_the_controls_are_the_ascii_characters_the_filters_change() -> None:
    from sortext.views import recall

    changed = bytes(c for c in range(128) if inert.inert_output(chr(c), False) != chr(c))
    assert changed == inert._CONTROLS == recall._CONTROLS


def test_no_printable_character_is_one_the_filters_change() -> None:
    """The shortcut's premise, over every code point of the running Python's Unicode
    database: a character ``str.isprintable`` passes is never one :func:`clean`
    makes visible (with or without newlines kept)."""
    unsafe, unsafe_line = inert._UNSAFE(), inert._UNSAFE_LINE()
    for code in range(0x110000):
        char = chr(code)
        if char.isprintable():
            assert not unsafe.search(char), hex(code)
            assert not unsafe_line.search(char), hex(code)
