"""Regular expressions compiled when first used, not when their module is imported.

Compiling is pure Python in ``re`` (~0.1-2 ms a pattern, more for a class of many
code point ranges), and every command pays for the patterns of every module it
imports.  A module whose patterns serve only some paths (a conflict copy's name, a
control character in terminal output, a YAML construct an ordinary record lacks)
declares them with :class:`Lazy` and calls it where it matches::

    _COPY = Lazy(r"^(?P<stem>.+?) copy\\.md$")
    ...
    match = _COPY().match(name)

The pattern is compiled once per process, on the first call (``re.compile``'s own
errors then), and the same compiled object is returned after that.
``tests/test_build_imports.py`` holds which modules a cold build imports.
"""

from __future__ import annotations

import re

# No ``typing`` at run time: the quick query path imports this module without it (see
# sortext.files.state).


class Lazy:
    """``re.compile(pattern, flags)`` of a text pattern, done on the first call and kept."""

    __slots__ = ("_compiled", "_flags", "_pattern")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._pattern = pattern
        self._flags = flags
        self._compiled: re.Pattern[str] | None = None

    def __call__(self) -> re.Pattern[str]:
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = re.compile(self._pattern, self._flags)
        return compiled

    def __repr__(self) -> str:
        return f"Lazy({self._pattern!r})"


class LazyAll:
    """``tuple(re.compile(p, flags) for p in patterns)``, done on the first call and
    kept: alternatives searched one by one, each loop paying one call, not one a
    pattern."""

    __slots__ = ("_compiled", "_flags", "_patterns")

    def __init__(self, patterns: tuple[str, ...], flags: int = 0) -> None:
        self._patterns = patterns
        self._flags = flags
        self._compiled: tuple[re.Pattern[str], ...] | None = None

    def __call__(self) -> tuple[re.Pattern[str], ...]:
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = tuple(re.compile(p, self._flags) for p in self._patterns)
        return compiled

    def __repr__(self) -> str:
        return f"LazyAll({self._patterns!r})"
