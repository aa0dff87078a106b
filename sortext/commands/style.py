"""Terminal output shared by the commands: inert record text, and colour when wanted.

Record text (names, actions, notes, file names, diagnostic excerpts) comes
from many hands and is printed through :func:`clean` or :func:`paint`, which
make every control character, escape sequence and bidi override a visible
escape.  Colour follows ``--color auto|always|never`` (the ``sortext``
group's option), then ``NO_COLOR``, then whether stdout is a terminal.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from sortext.files.inert import clean

__all__ = ["clean", "colour_mode", "paint", "use_colour"]

STATUS_STYLE: dict[str, dict[str, Any]] = {
    "overdue": {"fg": "red", "bold": True},
    "missing": {"fg": "red", "bold": True},
    "today": {"fg": "yellow", "bold": True},
    "soon": {"fg": "yellow"},
    "later": {"dim": True},
    "error": {"fg": "red"},
    "warning": {"fg": "yellow"},
    "info": {},
    "heading": {"bold": True},
    "muted": {"dim": True},
}
LEVEL_MARK = {"error": "!", "warning": "~", "info": "-"}
SPARK = "▁▂▃▄▅▆▇█"


def colour_mode() -> str:
    """``always``, ``never`` or ``auto``: --color, else NO_COLOR (never), else auto."""
    ctx = click.get_current_context(silent=True)
    while ctx is not None:
        chosen = ctx.meta.get("sortext.color")
        if chosen:
            return str(chosen)
        ctx = ctx.parent
    if os.environ.get("NO_COLOR"):
        return "never"
    return "auto"


def use_colour() -> bool:
    """Whether to colour standard output (``--color``, ``NO_COLOR``, else: is it a terminal)."""
    mode = colour_mode()
    if mode != "auto":
        return mode == "always"
    return sys.stdout.isatty()


def paint(text: str, style: str, colour: bool) -> str:
    """``text`` cleaned (one line, see :func:`clean`), coloured when ``colour``."""
    text = clean(text)
    if not colour or not STATUS_STYLE.get(style):
        return text
    return click.style(text, **STATUS_STYLE[style])


def spark(values: list[float]) -> str:
    """A one-line sparkline of values, for terminals."""
    if not values:
        return ""
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    return "".join(SPARK[round((v - low) / span * (len(SPARK) - 1))] for v in values)


def parse_days(text: str | None) -> int | None:
    """'7d', '2w', '10' -> days."""
    if text is None:
        return None
    value = text.strip().lower()
    factor = 1
    if value.endswith("w"):
        factor, value = 7, value[:-1]
    elif value.endswith("d"):
        value = value[:-1]
    if not value.isdigit():
        raise click.BadParameter(
            f"'{text}' is not a number of days (e.g. 7d, 2w)", param_hint="--within"
        )
    return int(value) * factor


def visible(text: object) -> str:
    """``text`` with control characters made visible (``\\x1b`` -> ``␛``, others as
    ``\\xNN``): a record's text never moves the cursor or recolours a terminal."""
    out = []
    for ch in str(text):
        code = ord(ch)
        if code == 0x1B:
            out.append("\u241b")
        elif (code < 0x20 and ch not in "\t") or 0x7F <= code < 0xA0:
            out.append(f"\\x{code:02x}")
        else:
            out.append(ch)
    return "".join(out)
