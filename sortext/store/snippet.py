"""The search snippet, cut from a record's notes (the notes index keeps no text).

FTS5's ``snippet()`` needs the indexed text stored beside the index; the notes
index is contentless (the notes live once, in ``records.body``), so the
snippet is made here (a token matches when it starts with a searched word, as
the prefix query does): the text is split into tokens as FTS5's ``unicode61``
tokenizer splits it (runs of letters and digits; case and Latin diacritics
ignored), the window of ``width`` tokens that holds the most distinct query
tokens wins (the earliest on a tie; a quarter of it before the first match when the
text allows), each matching token is wrapped in
``[`` ``]``, an ellipsis marks text cut off on either side, and whitespace is
collapsed to single spaces.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

_TOKEN = re.compile(r"[^\W_]+")
ELLIPSIS = "…"


def fold(token: str) -> str:
    """A token as the index compares it: case-folded, diacritics removed."""
    decomposed = unicodedata.normalize("NFKD", token.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def make_snippet(text: str, terms: Sequence[str], width: int = 12) -> str:
    """Up to ``width`` tokens of ``text`` around the query ``terms``, matches in brackets.

    ``terms`` are the words searched for (each may hold several tokens); a text
    without any of them gives its first ``width`` tokens.  Returns "" for a text
    without tokens.
    """
    spans = [(m.start(), m.end(), fold(m.group())) for m in _TOKEN.finditer(text)]
    if not spans:
        return ""
    wanted = {fold(t) for term in terms for t in _TOKEN.findall(term)}
    prefixes = tuple(wanted)
    hits = [i for i, (_, _, folded) in enumerate(spans) if folded.startswith(prefixes)]
    start = 0
    if hits:
        best = -1
        for first in hits:
            begin = max(0, min(first - width // 4, len(spans) - width))
            seen = {spans[i][2] for i in hits if begin <= i < begin + width}
            if len(seen) > best:
                best, start = len(seen), begin
    stop = min(len(spans), start + width)
    out = [ELLIPSIS] if start > 0 else []
    cursor = spans[start][0] if start > 0 else 0
    for i in range(start, stop):
        begin, end, folded = spans[i]
        out.append(text[cursor:begin])
        word = text[begin:end]
        out.append(f"[{word}]" if folded.startswith(prefixes) else word)
        cursor = end
    out.append(ELLIPSIS if stop < len(spans) else text[cursor:])
    return " ".join("".join(out).split())
