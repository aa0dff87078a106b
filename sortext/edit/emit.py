"""Values written as YAML 1.2 text that reads back as the same value.

``render_flow`` gives one-line text for any value (a scalar, or a flow list or
mapping) by way of ruamel.yaml's emitter, and checks that sortext's reader and
the round-trip composer both read it back unchanged in every place an edit
puts it (after ``key:``, after ``- ``, inside ``[...]`` and ``{k: ...}``);
``render_block_*`` give the lines of a block mapping, list or list item
indented like the document (:class:`Layout`).  A value that cannot be written
so is refused with :class:`EditRefused`, the error of every edit.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

from sortext.errors import SortextError
from sortext.record.diagnostics import Diagnostic


class EditRefused(SortextError):
    """The edit would make the record invalid (or could not be made safely)."""

    def __init__(self, message: str, diagnostics: list[Diagnostic] | None = None) -> None:
        super().__init__(message)
        self.diagnostics = diagnostics or []


def plain(value: Any) -> Any:
    """Strip ruamel wrapper types so values compare as plain Python data."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def render_flow(value: Any, quote: str | None = None) -> str:
    """One-line YAML 1.2 text for ``value``, valid inside and outside flow collections."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    from io import StringIO

    from ruamel.yaml import YAML
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

    if isinstance(value, str):
        if quote == '"' or any(c in value for c in "\n\r\t") or not value.isprintable():
            value = DoubleQuotedScalarString(value)
        elif quote == "'":
            value = SingleQuotedScalarString(value)
    elif isinstance(value, dict):
        value = {_safe_key(k): _safe_text(v) for k, v in value.items()}
    elif isinstance(value, list | tuple):
        value = [_safe_text(v) for v in value]
    yaml = YAML(typ="rt")
    yaml.default_flow_style = True
    yaml.width = 1_000_000
    yaml.allow_unicode = True
    out = StringIO()
    yaml.dump([value], out)
    text = out.getvalue().strip()
    if not (text.startswith("[") and text.endswith("]")) or "\n" in text:
        raise EditRefused(f"cannot write {value!r} as a single YAML value")
    if isinstance(value, dict) and not text.startswith("[{"):
        text = "[{" + text[1:-1] + "}]"  # ruamel writes [a: 1] for a one-pair mapping
    if not _reads_back(text, value):
        if isinstance(value, str) and not isinstance(value, DoubleQuotedScalarString):
            return render_flow(value, '"')
        raise EditRefused(f"cannot write {value!r} so that it reads back unchanged")
    return text[1:-1]


def _safe_text(value: Any) -> Any:
    """Inside a collection, quote any string that would not read back as text."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    if isinstance(value, str):
        plain = render_flow(value)
        return DoubleQuotedScalarString(value) if plain.startswith('"') else value
    if isinstance(value, dict):
        return {_safe_key(k): _safe_text(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_safe_text(v) for v in value]
    return value


def _safe_key(key: Any) -> Any:
    return _safe_text(str(key))


def _reads_back(flow_text: str, value: Any) -> bool:
    """Cached for scalars: imports render the same stage or currency many times."""
    if isinstance(value, dict | list | tuple):
        return _reads_back_uncached(flow_text, value)
    return _reads_back_scalar(flow_text, type(value).__name__, value)


@functools.lru_cache(maxsize=4096)
def _reads_back_scalar(flow_text: str, kind: str, value: Any) -> bool:
    return _reads_back_uncached(flow_text, value)


def _reads_back_uncached(flow_text: str, value: Any) -> bool:
    """Is ``[value]``'s inner text read back as ``value`` wherever sortext puts it?

    It goes after ``key:`` and ``- `` in block style and inside ``[...]`` and
    ``{k: ...}``; each context is read by sortext's reader (yaml_rs) and by the
    round-trip composer the next edit uses.
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    from sortext.record.values import normalize
    from sortext.record.yamlread import load_fast

    inner = flow_text[1:-1]
    wanted = normalize(plain(value))
    contexts = [
        (f"[{inner}]", [wanted]),
        (f"{{k: {inner}}}", {"k": wanted}),
        (f"k: {inner}", {"k": wanted}),
        (f"- {inner}", [wanted]),
    ]
    for text, expected in contexts:
        loaded = load_fast(text)
        if isinstance(loaded, Exception) or normalize(loaded) != expected:
            return False
        try:
            YAML(typ="rt").compose(text)
        except (YAMLError, NotImplementedError):  # a comment ruamel.yaml cannot place
            return False
    return True


@dataclass(frozen=True, slots=True)
class Layout:
    """How this document indents: nested mappings, dashes under a key, content after a dash."""

    mapping: int = 2
    dash: int = 2
    item: int = 2


def is_scalar(value: Any) -> bool:
    """Not a mapping or a list (written on the line of its key or dash)."""
    return not isinstance(value, dict | list)


def render_block_mapping(value: dict[str, Any], indent: int, layout: Layout) -> list[str]:
    """Lines (without newlines) of a block mapping whose keys start at ``indent``."""
    lines: list[str] = []
    pad = " " * indent
    for key, item in value.items():
        head = f"{pad}{render_flow(str(key))}:"
        if (
            is_scalar(item)
            or not item
            or (isinstance(item, list) and all(is_scalar(v) for v in item))
        ):
            lines.append(f"{head} {render_flow(item)}")
        elif isinstance(item, dict):
            lines.append(head)
            lines.extend(render_block_mapping(item, indent + layout.mapping, layout))
        else:
            lines.append(head)
            lines.extend(render_block_sequence(item, indent + layout.dash, layout))
    return lines


def render_block_sequence(value: list[Any], dash_col: int, layout: Layout) -> list[str]:
    lines: list[str] = []
    for item in value:
        lines.extend(render_block_item(item, dash_col, layout))
    return lines


def render_block_item(item: Any, dash_col: int, layout: Layout) -> list[str]:
    """``- item`` lines; a mapping puts its first key on the dash line."""
    pad = " " * dash_col
    gap = " " * max(layout.item - 1, 1)
    if isinstance(item, dict) and item:
        body = render_block_mapping(item, dash_col + 1 + len(gap), layout)
        first = body[0].lstrip(" ")
        return [f"{pad}-{gap}{first}", *body[1:]]
    return [f"{pad}-{gap}{render_flow(item)}"]
