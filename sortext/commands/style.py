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

from sortext.files.inert import clean, json_text

__all__ = ["clean", "colour_mode", "json_out", "paint", "use_colour", "visible"]

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


def terminal_width() -> int | None:
    """Columns of the terminal stdout writes to; None when stdout is not a terminal
    (a pipe or file gets whole lines)."""
    import shutil

    if not sys.stdout.isatty():
        return None
    return shutil.get_terminal_size().columns


def clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, ending in an ellipsis when cut."""
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def paint(text: str, style: str, colour: bool) -> str:
    """``text`` cleaned (one line, see :func:`clean`), coloured when ``colour``."""
    text = clean(text)
    if not colour or not STATUS_STYLE.get(style):
        return text
    return click.style(text, **STATUS_STYLE[style])


def toward_target(values: list[float], baseline: float | None, target: float | None) -> list[float]:
    """``values`` turned so that up means nearer the target: a lower-is-better goal
    (target below baseline) is mirrored, so its falling line reads as progress."""
    if baseline is not None and target is not None and target < baseline:
        return [-v for v in values]
    return values


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


class busy:  # used as ``with busy("checking"):``
    """Progress for long work on a terminal: after ``after`` seconds, a status line on
    stderr ("checking… 3s") refreshed every half second and cleared at the end.
    Silent when stderr is not a terminal (pipes, logs, tests), so output stays clean.
    """

    def __init__(self, label: str, after: float = 1.0) -> None:
        import threading

        self.label = label
        self.after = after
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._shown = False

    def __enter__(self) -> busy:
        import threading

        if sys.stderr.isatty():
            self._thread = threading.Thread(target=self._run, name="sortext-busy", daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        import time

        start = time.monotonic()
        if self._stop.wait(self.after):
            return
        while not self._stop.is_set():
            sys.stderr.write(f"\r{self.label}… {time.monotonic() - start:.0f}s ")
            sys.stderr.flush()
            self._shown = True
            self._stop.wait(0.5)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            if self._shown:
                sys.stderr.write("\r\033[K")
                sys.stderr.flush()


def visible(text: object) -> str:
    """Alias of :func:`sortext.files.inert.clean` (one line) for any value: its text
    with every control, format and separator character made a visible escape."""
    return clean(str(text))


def json_out(value: Any) -> str:
    """``value`` as indented JSON for standard output: text the stream's encoding
    lacks is JSON-escaped (:func:`sortext.files.inert.json_text`), never given the
    terminal's ASCII stand-ins, so ``--json`` stays valid JSON carrying the records'
    text on any encoding."""
    return json_text(value, getattr(sys.stdout, "encoding", None), indent=2)
