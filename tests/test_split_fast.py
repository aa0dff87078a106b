"""split's one-search path finds the closing fence exactly where the line loop does."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.record.diagnostics import Diagnostic, problem
from sortext.record.split import FENCE, MAX_FRONT_MATTER_BYTES, Split, split


def plain_split(text: str) -> Split | Diagnostic:
    """Find the ``---`` fenced block at the top of ``text`` (newlines already ``\\n``)."""
    if not text.strip():
        return problem("empty file: a record starts with a '---' line, then its fields")
    first_end = text.find("\n")
    first = text if first_end == -1 else text[:first_end]
    if first.rstrip() != FENCE:
        return problem(
            "no front matter: a record must start with a line '---', "
            "then its YAML fields, then another '---'"
        )
    start = first_end + 1
    pos = start
    line_no = 2
    while pos < len(text):
        end = text.find("\n", pos)
        line = text[pos:] if end == -1 else text[pos:end]
        if line.rstrip() in (FENCE, "..."):
            yaml_text = text[start:pos]
            if len(yaml_text.encode("utf-8")) > MAX_FRONT_MATTER_BYTES:
                return problem(
                    f"front matter is larger than {MAX_FRONT_MATTER_BYTES // 1024} KiB; "
                    "move long text into the notes below the closing '---'",
                )
            body_start = len(text) if end == -1 else end + 1
            return Split(yaml_text, 2, text[body_start:], line_no + 1)
        if pos - start > MAX_FRONT_MATTER_BYTES:
            return problem(
                f"front matter is larger than {MAX_FRONT_MATTER_BYTES // 1024} KiB "
                "(or its closing '---' is missing)",
            )
        if end == -1:
            break
        pos = end + 1
        line_no += 1
    return problem("front matter is not closed: add a line '---' after the last field", 1, 1)


PIECES = st.sampled_from(
    [
        "---",
        "...",
        "--",
        "----",
        "-- -",
        " ---",
        "--- ",
        "...\t",
        "---\x1c",
        "---\x85",
        "---\u2028",
        "---\u00a0",
        "---\r",
        "--- x",
        "a: 1",
        "",
        " ",
        "\n",
        "\n",
        "\n",
        "é",
    ]
)


@settings(max_examples=2000, deadline=None)
@given(st.sampled_from(["---\n", "--- \n", ""]), st.lists(PIECES, max_size=16).map("".join))
def test_split_matches_the_line_loop(opening: str, rest: str) -> None:
    text = opening + rest
    assert split(text) == plain_split(text)


@settings(max_examples=50, deadline=None)
@given(st.integers(MAX_FRONT_MATTER_BYTES - 40, MAX_FRONT_MATTER_BYTES + 40), st.booleans())
def test_split_matches_the_line_loop_at_the_size_limit(size: int, wide: bool) -> None:
    filler = ("é" if wide else "a") * 10 + "\n"
    body = filler * (size // len(filler))
    for text in (f"---\n{body}---\nbody\n", f"---\n{body}", f"---\n{body}...\n"):
        assert split(text) == plain_split(text)
