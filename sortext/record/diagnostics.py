"""Problems found in user data, as values (never exceptions): one located type.

Every reader and validator returns :class:`Diagnostic` values; the CLI formats
them as ``path:line:col: severity: field: message`` followed by the offending
line.  The readers of :mod:`sortext.record` (``source``, ``split``,
``yamlread``) do not know the file's name and count lines within the text they
were given: they return :func:`problem` values (``path`` empty), which the
caller moves to the file's lines with :meth:`Diagnostic.shifted` and names with
:meth:`Diagnostic.placed`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from sortext.files.inert import clean

Severity = Literal["error", "warning"]

SOURCE_WIDTH = 100


class Diagnostic:
    """One problem in one file, pointing at a line and column (both 1-based):
    ``path`` (as shown; empty until :meth:`placed`), ``line``, ``column``, ``field``
    (dotted path, may be empty), ``message``, ``severity``, ``source_line`` (the
    offending line, for display) and ``related_line`` (a second line the message
    names as ``line N)``, the first of two duplicate keys: moved with the problem by
    :meth:`shifted`, so the message names a line of the whole file, not of the YAML
    text).  Read-only; equal when all but ``source_line`` and ``related_line`` are.

    A plain class, not a dataclass: a cold ``history`` imports this module, and
    ``dataclasses`` (with ``inspect``) plus one frozen slotted dataclass cost ~45M
    instructions there, ~4% of the call (see :mod:`sortext.vcs.history`)."""

    __slots__ = (  # noqa: RUF023  # the constructor's order (repr, pickling)
        "path",
        "line",
        "column",
        "field",
        "message",
        "severity",
        "source_line",
        "related_line",
    )
    path: str
    line: int
    column: int
    field: str
    message: str
    severity: Severity
    source_line: str | None
    related_line: int | None

    def __init__(
        self,
        path: str,
        line: int,
        column: int,
        field: str,
        message: str,
        severity: Severity = "error",
        source_line: str | None = None,
        related_line: int | None = None,
    ) -> None:
        put = object.__setattr__
        put(self, "path", path)
        put(self, "line", line)
        put(self, "column", column)
        put(self, "field", field)
        put(self, "message", message)
        put(self, "severity", severity)
        put(self, "source_line", source_line)
        put(self, "related_line", related_line)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Diagnostic is read-only: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Diagnostic is read-only: cannot delete {name!r}")

    def _key(self) -> tuple[str, int, int, str, str, str]:
        return (self.path, self.line, self.column, self.field, self.message, self.severity)

    def __eq__(self, other: object) -> bool:
        if type(other) is not Diagnostic:
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return "Diagnostic(" + ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__slots__) + ")"

    def __reduce__(self) -> tuple[type[Diagnostic], tuple[object, ...]]:
        return Diagnostic, tuple(getattr(self, name) for name in self.__slots__)

    def replaced(self, **changes: Any) -> Diagnostic:
        """A copy with ``changes`` (field name -> value); TypeError for a name that
        is not a field (as :func:`dataclasses.replace`)."""
        values = {name: getattr(self, name) for name in self.__slots__}
        for name in changes:
            if name not in values:
                raise TypeError(f"Diagnostic has no field {name!r}")
        values.update(changes)
        return Diagnostic(**values)

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def shifted(self, lines: int) -> Diagnostic:
        """The same problem ``lines`` lines further down (YAML text -> whole file)."""
        if not lines:
            return self
        if self.related_line is None:
            return self.replaced(line=self.line + lines)
        moved = self.related_line + lines
        head, sep, tail = self.message.rpartition(f"line {self.related_line})")
        message = f"{head}line {moved}){tail}" if sep else self.message
        return self.replaced(line=self.line + lines, related_line=moved, message=message)

    def placed(self, path: str, lines: Sequence[str] | None = None) -> Diagnostic:
        """The same problem in the file shown as ``path``.

        ``lines`` (the file's text split on ``\n``) supply the offending line
        when the problem does not carry one yet.
        """
        shown = self.source_line
        if shown is None and lines is not None and 0 < self.line <= len(lines):
            shown = lines[self.line - 1]
        return self.replaced(path=path, source_line=shown)

    def to_json(self) -> dict[str, Any]:
        names = ("path", "line", "column", "field", "message", "severity")
        return {name: getattr(self, name) for name in names}

    def format(self, show_source: bool = True) -> str:
        """Render as ``path:line:col: severity: field: message`` plus the source line."""
        where = f"{self.path}:{self.line}:{self.column}"
        label = f"{self.field}: " if self.field else ""
        # Messages quote record text; a newline or escape in it must stay visible.
        text = clean(f"{where}: {self.severity}: {label}{self.message}")
        if show_source and self.source_line and self.source_line.strip():
            shown, caret = excerpt(self.source_line, self.column)
            shown = clean(shown, newlines=True)
            text += f"\n    {shown}\n    {caret}"
        return text


def problem(
    message: str,
    line: int = 1,
    column: int = 1,
    field: str = "",
    *,
    source_line: str | None = None,
) -> Diagnostic:
    """A problem found before the file is named (reading bytes, splitting, YAML).

    ``line`` and ``column`` are 1-based within the text that was read; ``path``
    stays empty until :meth:`Diagnostic.placed`.
    """
    return Diagnostic("", line, column, field, message, "error", source_line)


def excerpt(line: str, column: int, width: int = SOURCE_WIDTH) -> tuple[str, str]:
    """The source line (a window of it when long) and a caret under ``column``.

    The caret's padding copies the line's tabs so it lines up in a terminal.
    """
    index = max(column - 1, 0)
    start = 0
    if len(line) > width:
        start = max(0, min(index - width // 3, len(line) - width))
    end = start + width
    prefix = "..." if start else ""
    shown = prefix + line[start:end] + ("..." if end < len(line) else "")
    padding = "".join("\t" if c == "\t" else " " for c in prefix + line[start:index])
    return shown, padding + "^"


def sort_key(d: Diagnostic) -> tuple[str, int, int, str]:
    return (d.path, d.line, d.column, d.field)


def has_errors(diagnostics: list[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)
