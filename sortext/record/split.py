"""Split a record into YAML front matter and Markdown body, keeping line numbers."""

from __future__ import annotations

import re
from typing import NamedTuple

from sortext.lazyre import Lazy
from sortext.record.diagnostics import Diagnostic, problem

MAX_FRONT_MATTER_BYTES = 64 * 1024
FENCE = "---"


class Split(NamedTuple):
    """Front matter text starts on file line ``yaml_line``; the body on ``body_line``."""

    yaml_text: str
    yaml_line: int
    body: str
    body_line: int


def split(text: str) -> Split | Diagnostic:
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
    if first_end != -1:  # find the closing line with one search instead of line by line
        fence = _CLOSING().search(text, first_end)
        if fence is not None and fence.start() + 1 - start <= MAX_FRONT_MATTER_BYTES:
            pos = fence.start() + 1
            return _closed(text, start, pos, text.find("\n", pos), text.count("\n", start, pos) + 2)
    pos = start
    line_no = 2
    while pos < len(text):
        end = text.find("\n", pos)
        line = text[pos:] if end == -1 else text[pos:end]
        if line.rstrip() in (FENCE, "..."):
            return _closed(text, start, pos, end, line_no)
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


# The newline before a line that is the closing fence once trailing whitespace
# is stripped (``str.rstrip`` and ``\s`` agree on what whitespace is).
_CLOSING = Lazy(r"\n(?:---|\.\.\.)[^\S\n]*$", re.MULTILINE)


def _closed(text: str, start: int, pos: int, end: int, line_no: int) -> Split | Diagnostic:
    """The split when the closing fence is the line at ``pos`` (number ``line_no``)."""
    yaml_text = text[start:pos]
    if len(yaml_text.encode("utf-8")) > MAX_FRONT_MATTER_BYTES:
        return problem(
            f"front matter is larger than {MAX_FRONT_MATTER_BYTES // 1024} KiB; "
            "move long text into the notes below the closing '---'",
        )
    body_start = len(text) if end == -1 else end + 1
    return Split(yaml_text, 2, text[body_start:], line_no + 1)
