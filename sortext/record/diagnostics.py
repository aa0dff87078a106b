"""Problems found in user data, as values (never exceptions).

Every validator returns a list of :class:`Diagnostic`; the CLI formats them as
``path:line:col: severity: field: message`` followed by the offending line.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from dataclasses import field as dataclass_field
from typing import Any, Literal

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

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("source_line")
        return data

    def format(self, show_source: bool = True) -> str:
        """Render as ``path:line:col: severity: field: message`` plus the source line."""
        where = f"{self.path}:{self.line}:{self.column}"
        label = f"{self.field}: " if self.field else ""
        text = f"{where}: {self.severity}: {label}{self.message}"
        if show_source and self.source_line and self.source_line.strip():
            shown, caret = excerpt(self.source_line, self.column)
            text += f"\n    {shown}\n    {caret}"
        return text


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
