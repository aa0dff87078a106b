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
from dataclasses import asdict, dataclass, replace
from dataclasses import field as dataclass_field
from typing import Any, Literal

from sortext.files.inert import clean

Severity = Literal["error", "warning"]

SOURCE_WIDTH = 100


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem in one file, pointing at a line and column (both 1-based)."""

    path: str
    line: int
    column: int
    field: str
    message: str
    severity: Severity = "error"
    source_line: str | None = dataclass_field(default=None, compare=False)

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def shifted(self, lines: int) -> Diagnostic:
        """The same problem ``lines`` lines further down (YAML text -> whole file)."""
        return replace(self, line=self.line + lines) if lines else self

    def placed(self, path: str, lines: Sequence[str] | None = None) -> Diagnostic:
        """The same problem in the file shown as ``path``.

        ``lines`` (the file's text split on ``\n``) supply the offending line
        when the problem does not carry one yet.
        """
        shown = self.source_line
        if shown is None and lines is not None and 0 < self.line <= len(lines):
            shown = lines[self.line - 1]
        return replace(self, path=path, source_line=shown)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("source_line")
        return data

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
