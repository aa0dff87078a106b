"""Spreadsheet formula neutralisation for CSV cells, and its exact inverse.

:func:`neutralise` is what ``sortext export csv`` does to every text cell
(the OWASP rule: a leading ``'``); :func:`restore` is what an import of a
file sortext wrote does (a map with ``unquote_formulas: true``), so an
export/import round trip gives back the text it started from.
"""

from __future__ import annotations

import unicodedata

#: A cell a spreadsheet would read as a formula (OWASP "CSV injection"):
#: ``=``, ``+``, ``-``, ``@``, tab or carriage return first.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: The characters that start a formula once a spreadsheet has trimmed what comes
#: before them and folded full-width forms (``\uff1d`` is ``=`` after NFKC).
_FORMULA_CHARS = frozenset("=+-@")


def is_formula(text: str) -> bool:
    """Whether a spreadsheet could read ``text`` as a formula: after any leading
    ``'`` it starts with one of :data:`FORMULA_START`, or its first character that
    is not blank, invisible (a control or format character: a zero-width space, a
    byte-order mark) or a quote mark is ``=``, ``+``, ``-`` or ``@`` once folded
    (NFKC: the full-width ``\uff1d``, the small ``\ufe62``).  Spreadsheets trim
    leading blanks on import and some fold full-width forms, so ``"  =1+1"`` and
    ``"\uff1d1+1"`` are formulas too.

    ``is_formula(t)`` implies ``is_formula("'" + t)``: that is what makes
    :func:`restore` the exact inverse of :func:`neutralise`.
    """
    if text.lstrip("'").startswith(FORMULA_START):
        return True
    if text.isascii() and text[:1].isalnum():
        return False  # the common case: a name, a date, an id
    for char in text:
        if char.isspace() or char in "\"'" or unicodedata.category(char) in ("Cc", "Cf"):
            continue
        return unicodedata.normalize("NFKC", char)[:1] in _FORMULA_CHARS
    return False


def neutralise(text: str) -> str:
    """``text`` with a leading ``'`` when :func:`is_formula` says so, else unchanged."""
    return "'" + text if is_formula(text) else text


def restore(cell: str) -> str:
    """The text :func:`neutralise` was given for ``cell``: one leading ``'`` less
    when what follows it is a formula (so sortext added it), else ``cell``
    unchanged (a value that itself begins with ``'`` keeps it)."""
    if cell.startswith("'") and is_formula(cell[1:]):
        return cell[1:]
    return cell
