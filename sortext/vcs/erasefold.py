"""How erase's scan compares text: full Unicode case folding and one normal form.

A value or a sentence of an erased client may be written elsewhere in another case
than the record's (``ÉLODIE``, ``STRASSE`` for ``Straße``, Turkish ``İ``/``ı``, a
Greek word's final ``ς`` as ``Σ``) and in another Unicode normal form (macOS file
names and some editors write ``é`` as ``e`` + a combining accent).  A bytes regex's
``(?i)`` folds ASCII letters only, so the scan folds both sides first: the text
searched (:func:`fold_bytes`) and the text looked for (:func:`fold`), and compares
the results byte for byte.  Line breaks are kept as they are (a hit's line number
is counted in the folded text).
"""

from __future__ import annotations

import unicodedata

#: After case folding: Turkish dotted capital I (``İ`` folds to ``i`` + U+0307) and
#: dotless small i (``ı``, the Turkish lower case of ``I``) compare as ``i``.
_TURKISH = (("i\u0307", "i"), ("\u0131", "i"))


def fold(text: str) -> str:
    """``text`` case-folded for comparison (Unicode's canonical caseless match: NFD,
    ``str.casefold``; then Turkish i's as plain ``i``) and composed again (NFC, so
    that an accent stays part of its letter for a regex's word boundaries)."""
    if text.isascii():
        return text.lower()
    folded = unicodedata.normalize("NFD", text).casefold()
    for old, new in _TURKISH:
        folded = folded.replace(old, new)
    return unicodedata.normalize("NFC", folded)


def fold_bytes(data: bytes) -> bytes:
    """:func:`fold` for bytes (UTF-8; bytes that are not UTF-8 are kept as they are,
    through ``surrogateescape``): the form the scan searches.  ASCII data (most
    objects of a repository) is only lower-cased."""
    if data.isascii():
        return data.lower()
    text = data.decode("utf-8", "surrogateescape")
    return fold(text).encode("utf-8", "surrogateescape")
