"""Problems found in user data, as values (never exceptions).

Every validator returns a list of :class:`Diagnostic`; the CLI formats them as
``path:line:col: severity: field: message`` followed by the offending line.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from dataclasses import field as dataclass_field
from typing import Any, Literal

Severity = Literal["error", "warning"]


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
        if show_source and self.source_line is not None:
            caret = " " * max(self.column - 1, 0) + "^"
            text += f"\n    {self.source_line}\n    {caret}"
        return text


def sort_key(d: Diagnostic) -> tuple[str, int, int, str]:
    return (d.path, d.line, d.column, d.field)


def has_errors(diagnostics: list[Diagnostic]) -> bool:
    return any(d.is_error for d in diagnostics)
