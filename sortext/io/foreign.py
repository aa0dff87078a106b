"""Foreign Markdown notes (inbox notes, an Obsidian vault, a Notion export), read leniently.

Records keep sortext's strict reader; a note written elsewhere is read with
``python-frontmatter`` and a handler that applies sortext's YAML 1.2 rules
(:func:`sortext.record.yamlread.load_fast`: ``no`` and ``on`` stay text,
dates become ISO text).  A note whose properties cannot be read is not an
error: its whole text becomes the body and ``problem`` says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import frontmatter
import frontmatter.default_handlers

from sortext.files.bytepos import line_column
from sortext.record.diagnostics import Diagnostic


class PropertiesUnreadable(ValueError):
    """The note's front matter is not YAML sortext can read (``diagnostic`` says where)."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


_YAMLHandler: Any = frontmatter.default_handlers.YAMLHandler  # the library ships no hints


class Yaml12Handler(_YAMLHandler):  # type: ignore[misc]
    """python-frontmatter's YAML handler with sortext's YAML 1.2 reader."""

    def load(self, fm: str, **kwargs: object) -> Any:
        from sortext.record.values import normalize
        from sortext.record.yamlread import load_fast

        value = load_fast(fm) if fm.strip() else {}
        if isinstance(value, Diagnostic):
            raise PropertiesUnreadable(value)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise PropertiesUnreadable(
                Diagnostic("", 1, 1, "", "the properties are not a mapping of name: value")
            )
        return normalize(value)


@dataclass(slots=True)
class ForeignNote:
    """One note: its properties (JSON values), its Markdown body, and a problem if any.
    ``exact`` is False when the text is not the file's (unreadable, or not UTF-8 and
    shown with replacement characters): such a note is shown, never copied."""

    display: str
    properties: dict[str, Any] = field(default_factory=dict)
    body: str = ""
    problem: str | None = None
    exact: bool = True


def parse_note(text: str, display: str) -> ForeignNote:
    """Split ``text`` into properties and body; never raises."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    try:
        post = frontmatter.loads(text, handler=Yaml12Handler())
    except PropertiesUnreadable as exc:
        d = exc.diagnostic
        where = f"{display}:{d.line + 1}:{d.column}" if d.line else display
        return ForeignNote(display, {}, text, f"{where}: properties not read: {d.message}")
    return ForeignNote(display, dict(post.metadata), post.content)


def read_note(path: Path, display: str) -> ForeignNote:
    """Read one note file (UTF-8; undecodable bytes shown as U+FFFD, with a problem
    and ``exact`` False)."""
    from sortext.files.plain import read_regular

    try:
        # (a named pipe there is refused, never waited on: any file kind may be named .md)
        raw = read_regular(path)[0]
    except OSError as exc:
        return ForeignNote(
            display, problem=f"{display}: cannot read: {exc.strerror or exc}", exact=False
        )
    try:
        text = raw.decode("utf-8")
        problem = None
    except UnicodeDecodeError as exc:
        text = raw.decode("utf-8", "replace")
        line, column = line_column(raw, exc.start)
        problem = f"{display}:{line}:{column}: not UTF-8 at byte {exc.start}: re-save it as UTF-8"
    note = parse_note(text, display)
    if problem:
        note.exact = False
        if not note.problem:
            note.problem = problem
    return note
