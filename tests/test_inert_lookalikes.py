"""Plain output never shows a character as another (edges7, item 4).

On a Shift-JIS stdout the yen sign was written as it came: Shift-JIS encodes it as
the byte of the backslash, so ``¥500`` read ``\\500`` (and the overline ``~``).
``inert.fit`` only replaced what the encoding could not encode.  The class: every
character an encoding encodes but reads back as another (Shift-JIS and EUC-JP's yen
sign and overline, cp932's cent, pound, not sign, double bar, minus and wave dash,
EUC-KR's Hangul filler...): plain output escapes it as ``--json`` already did.  The
property: over all of Unicode and several encodings, what is written decodes to the
character itself, its visible escape, or (sortext's own typography only) its
ASCII stand-in, never to a different character.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.files.inert import _STAND_INS, InertStream, _escape, codec_name, fit

ENCODINGS = [
    "shift_jis",
    "cp932",
    "euc_jp",
    "euc_kr",
    "iso2022_jp",
    "big5",
    "cp1252",
    "latin-1",
    "koi8_r",
    "cp437",
]
SURROGATES = range(0xD800, 0xE000)


def _allowed(char: str) -> set[str]:
    """What a character may be written as: itself, its escape, its stand-in."""
    return {char, _escape(char), *([_STAND_INS[char]] if char in _STAND_INS else [])}


def _reads_back(char: str, encoding: str) -> str:
    out = fit(char, codec_name(encoding))
    return out.encode(encoding).decode(encoding)


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_no_character_of_all_of_unicode_reads_back_as_another(encoding: str) -> None:
    """Every code point (surrogates aside) in one text: what is written reads back
    exactly as written, and each character is there, in order, as itself, its escape
    or its stand-in."""
    text = "".join(chr(code) for code in range(0x20, 0x110000) if code not in SURROGATES)
    out = fit(text, codec_name(encoding))
    assert out.encode(encoding).decode(encoding) == out
    at = 0
    wrong = []
    for char in text:
        for form in sorted(_allowed(char), key=len, reverse=True):
            if out.startswith(form, at):
                at += len(form)
                break
        else:
            wrong.append(f"U+{ord(char):04X}")
            at += 1
            if len(wrong) > 20:
                break
    assert not wrong, wrong
    assert at == len(out)


@settings(max_examples=200, deadline=None)
@given(
    st.text(st.characters(min_codepoint=0x20, exclude_categories=["Cs"]), max_size=30),
    st.sampled_from(ENCODINGS),
)
def test_any_text_reads_back_as_written_char_by_char(text: str, encoding: str) -> None:
    """A whole text: what is written reads back exactly as ``fit`` gave it (nothing
    the encoding changes), and each of the text's characters is there as itself, its
    escape or its stand-in, in order."""
    name = codec_name(encoding)
    out = fit(text, name)
    assert out.encode(encoding).decode(encoding) == out
    rebuilt = "".join(
        char if fit(char, name) == char else fit(char, name) for char in text
    )  # char by char, the same as the whole text
    assert out == rebuilt
    for char in text:
        assert fit(char, name) in _allowed(char)


def test_the_reported_yen_sign_on_a_shift_jis_stream() -> None:
    raw = io.BytesIO()
    target = io.TextIOWrapper(raw, encoding="shift_jis", write_through=True)
    stream = InertStream(target, colour=False)
    stream.write("Fee ¥500 and ‾ and \\ stays\n")
    shown = raw.getvalue().decode("shift_jis")
    assert shown == "Fee \\u00a5500 and \\u203e and \\ stays\n"


def test_show_on_a_shift_jis_terminal_escapes_the_yen_sign(records_repo: Path) -> None:
    """The whole path: a record's note with a yen sign, ``sortext show`` writing to a
    Shift-JIS stdout (PYTHONIOENCODING), read back as that terminal does."""
    path = records_repo / "clients" / "amara-okafor.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("company: ", "company: Yen ¥ Works ", 1), encoding="utf-8")
    env = {**os.environ, "PYTHONIOENCODING": "shift_jis", "NO_COLOR": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "sortext", "show", "amara-okafor", "--today", "2026-11-23"],
        cwd=records_repo,
        env=env,
        capture_output=True,
        timeout=120,
    )
    shown = done.stdout.decode("shift_jis")
    assert "Yen \\u00a5 Works" in shown, shown
    assert "Yen \\ Works" not in shown
