"""One sanitiser for terminal text: :func:`sortext.files.inert.clean`.

``sortext.commands.style.visible`` is a thin alias of it.  Every control (Cc),
format (Cf: bidi controls, zero-width characters, invisible tags) and line or
paragraph separator (Zl, Zp) character becomes a visible escape, in one-line
text, in multi-line text (newlines and tabs kept) and in whole command output.
"""

from __future__ import annotations

import sys
import unicodedata
from typing import Final

from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.commands.style import visible
from sortext.files.inert import clean, inert_output

ACTED_ON: Final = ("Cc", "Cf", "Zl", "Zp")
EVERY = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) in ACTED_ON]


def _hidden(text: str, keep: str = "") -> list[str]:
    """The characters of ``text`` a terminal or renderer would act on, but ``keep``."""
    return [c for c in text if unicodedata.category(c) in ACTED_ON and c not in keep]


def test_every_control_format_and_separator_character_is_made_visible() -> None:
    assert len(EVERY) > 200  # the running Python's Unicode database, not a hand list
    for char in EVERY:
        one = clean(f"a{char}b")
        assert _hidden(one) == [], (hex(ord(char)), one)
        assert "\\x" in one or "\\u" in one  # shown as its code, not dropped
        many = clean(f"a{char}b", newlines=True)
        assert _hidden(many, "\n\t") == [], hex(ord(char))
        out = inert_output(f"a{char}b", colour=False)
        assert _hidden(out, "\n\t") == [], hex(ord(char))
        assert visible(f"a{char}b") == one


TEXT = st.lists(
    st.one_of(
        st.text(max_size=8),
        st.characters(categories=list(ACTED_ON)),
        st.sampled_from(["\x1b[2J", "\x1b]8;;http://x\x07", "\r\n", "\u200d", "\U000e0041"]),
    ),
    max_size=8,
).map("".join)


@settings(max_examples=500, deadline=None)
@given(TEXT)
def test_the_one_sanitiser_leaves_nothing_to_act_on(text: str) -> None:
    one = clean(text)
    assert _hidden(one) == [] and visible(text) == one
    assert _hidden(clean(text, newlines=True), "\n\t") == []
    plain = inert_output(text, colour=False)
    assert _hidden(plain.replace("\r\n", "\n"), "\n\t") == []
    # nothing is lost: printable text comes through as it was
    if not _hidden(text) and text.isprintable():
        assert one == text.encode("utf-8", "backslashreplace").decode("utf-8")


def test_visible_takes_any_value() -> None:
    assert visible(7) == "7" and visible(None) == "None"
    assert visible("Zo\u00eb \u202eevil\x1b[31m") == "Zo\u00eb \\u202eevil\\x1b[31m"
