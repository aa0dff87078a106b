"""The plain-text test of the position finder: the pattern it compiles finds exactly
the characters the pattern written as a complement finds, for every code point."""

from __future__ import annotations

import re

from sortext.record import positions


def test_not_plain_finds_the_same_characters_as_its_complement_form() -> None:
    fast = positions._NOT_PLAIN()
    slow = re.compile(positions.NOT_PLAIN_AS_COMPLEMENT)
    differ = [
        hex(c)
        for c in range(0x110000)
        if (fast.match(chr(c)) is None) != (slow.match(chr(c)) is None)
    ]
    assert differ == []


def test_the_characters_that_matter_are_found() -> None:
    for ch in "\t\r\x85\u2028\u2029\ufeff\x00\x7f":
        assert positions._NOT_PLAIN().search(f"name: a{ch}b") is not None
    assert positions._NOT_PLAIN().search("name: Ana Lúcia 日本 😀\n") is None
