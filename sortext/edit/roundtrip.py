"""Change values in a record without touching a byte of anything else.

ruamel.yaml's round-trip dumper re-emits the whole front matter, and in doing
so normalises spacing, flow-list layout and comment columns the user chose.
So sortext edits by *splicing*: ruamel's round-trip composer gives the exact
span of every node, the new value is rendered by :mod:`sortext.edit.emit`
(ruamel's emitter, so quoting follows YAML 1.2), and only that span changes.
New keys and list items are inserted as whole lines after the last line of
their mapping or list, indented like their siblings (flow collections get
``, item`` before the bracket).

Every operation is verified: the edited text is re-read and must hold exactly
the intended data (the old data with the change applied), else the edit is
refused.  BOM, CRLF line ends (even mixed) and the Markdown body survive.
"""

from __future__ import annotations

import bisect
import copy
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sortext.edit.emit import EditRefused as EditRefused
from sortext.edit.emit import (
    Layout,
    is_scalar,
    plain,
    render_block_item,
    render_block_mapping,
    render_block_sequence,
    render_flow,
)
from sortext.record.diagnostics import Diagnostic
from sortext.record.positions import Path, format_path

_PATH_HELP = "is not a field path (like billing.rate or invoices[0].status)"
_PATH_PART = re.compile(r"\.?([^.\[\]]+)|\[(-?\d+)\]")


def parse_path(text: str) -> Path:
    """``invoices[2].status`` -> ``("invoices", 2, "status")``."""
    parts: list[str | int] = []
    pos = 0
    while pos < len(text):
        match = _PATH_PART.match(text, pos)
        if match is None or (pos > 0 and match.group(1) and text[pos] != "."):
            raise EditRefused(f"'{text}' {_PATH_HELP}")
        parts.append(match.group(1) if match.group(1) is not None else int(match.group(2)))
        pos = match.end()
    if not parts or not isinstance(parts[0], str):
        raise EditRefused(f"'{text}' {_PATH_HELP}")
    return tuple(parts)


# --- the document -----------------------------------------------------------


@dataclass
class _Doc:
    """The file text in two forms: ``norm`` (``\\n`` line ends) and ``orig`` (as on disk)."""

    orig: str
    bom: bool
    norm: str = ""
    crlf_at: list[int] = field(default_factory=list)
    newline: str = "\n"

    def __post_init__(self) -> None:
        self._sync()

    def _sync(self) -> None:
        self.norm = self.orig.replace("\r\n", "\n")
        self.crlf_at = []
        for shift, match in enumerate(re.finditer("\r\n", self.orig)):
            self.crlf_at.append(match.start() - shift)
        lone = self.norm.count("\n") - len(self.crlf_at)
        self.newline = "\r\n" if len(self.crlf_at) > lone else "\n"

    def to_orig(self, index: int) -> int:
        return index + bisect.bisect_left(self.crlf_at, index)

    def splice(self, start: int, end: int, text: str) -> None:
        """Replace ``norm[start:end]`` with ``text``; mirror it in ``orig``."""
        o_start, o_end = self.to_orig(start), self.to_orig(end)
        self.orig = self.orig[:o_start] + text.replace("\n", self.newline) + self.orig[o_end:]
        self._sync()

    def encode(self) -> bytes:
        return (b"\xef\xbb\xbf" if self.bom else b"") + self.orig.encode("utf-8")


@dataclass
class _Where:
    """A located node: the node, its key node (in a mapping) and whether it is in flow."""

    node: Any
    key: Any | None
    flow: bool


class RecordEditor:
    """Apply edits to one record's bytes; read the result with :meth:`result`.

    ``editor.set(("billing", "rate"), 450)``, ``editor.append(("sessions",), {...})``,
    ``editor.append_body("## 2026-11-23 ...")``.  Each call verifies itself.
    """

    def __init__(self, raw: bytes, display: str = "record") -> None:
        from sortext.record.source import decode
        from sortext.record.split import split

        self.display = display
        self.original = raw
        source = decode(raw)
        if isinstance(source, Diagnostic):
            raise EditRefused(f"{display}:{source.line}:{source.column}: {source.message}")
        text = raw[3:].decode("utf-8") if source.bom else raw.decode("utf-8")
        self._doc = _Doc(text, source.bom)
        parts = split(self._doc.norm)
        if isinstance(parts, Diagnostic):
            raise EditRefused(f"{display}:{parts.line}:{parts.column}: {parts.message}")
        self.data: dict[str, Any] = self._load()
        self.changed_paths: list[Path] = []
        # (path, old value, comment): a value changed on a line whose trailing comment
        # may describe the old value ("due: 2026-11-19  # slipped: she moved the call").
        # The comment is kept (it is the user's text); the caller flags it.
        self.stale_comments: list[tuple[Path, Any, str]] = []

    # -- reading ---------------------------------------------------------------

    def _bounds(self) -> tuple[int, int]:
        from sortext.record.split import Split, split

        parts = split(self._doc.norm)
        if not isinstance(parts, Split):  # an edit made the front matter unreadable (too big)
            raise EditRefused(f"{self.display}:{parts.line}:{parts.column}: {parts.message}")
        start = self._doc.norm.index("\n") + 1
        return start, start + len(parts.yaml_text)

    def _yaml(self) -> tuple[str, int]:
        start, end = self._bounds()
        return self._doc.norm[start:end], start

    def _load(self) -> dict[str, Any]:
        from sortext.record.values import normalize
        from sortext.record.yamlread import load_fast

        text, start = self._yaml()
        loaded = load_fast(text) if text.strip() else {}
        if isinstance(loaded, Diagnostic):
            self._refuse_conflict()
            where = loaded.shifted(self._doc.norm[:start].count("\n"))
            raise EditRefused(
                f"{self.display}:{where.line}:{where.column}: {where.message} "
                "(fix the file before sortext edits it)"
            )
        if not isinstance(loaded, dict):
            raise EditRefused(f"{self.display}: front matter is not a mapping of fields")
        result: dict[str, Any] = normalize(loaded)
        return result

    def _refuse_conflict(self) -> None:
        """A front matter that does not read because a merge left conflict markers in
        it: refused with the field and both values, as ``check`` says it (not the YAML
        parser's complaint about a marker line)."""
        from sortext.check.conflicts import conflict_diagnostics, has_markers

        if not has_markers(self._doc.norm):
            return
        stem = self.display.rsplit("/", 1)[-1].removesuffix(".md")
        found = [d for d in conflict_diagnostics(self._doc.norm, self.display, stem) if d.field]
        if found:
            first = found[0]
            more = f" (and {len(found) - 1} more: sortext check)" if len(found) > 1 else ""
            raise EditRefused(
                f"{self.display}:{first.line}:{first.column}: {first.field}: {first.message}"
                f"{more}; sortext edits the record once no conflict is left"
            )

    def _root(self) -> tuple[Any, str, int]:
        from ruamel.yaml import YAML
        from ruamel.yaml.error import YAMLError

        text, start = self._yaml()
        try:
            root = YAML(typ="rt").compose(text)
        except (YAMLError, NotImplementedError) as exc:  # NotImplementedError: a comment
            mark = getattr(exc, "problem_mark", None)  # ruamel.yaml cannot place
            where = f"{mark.line + 2}:{mark.column + 1}: " if mark is not None else ""
            raise EditRefused(
                f"{self.display}:{where}sortext's editor cannot read this YAML "
                f"({getattr(exc, 'problem', None) or exc}); edit the file by hand"
            ) from exc
        if root is None or root.id != "mapping":
            raise EditRefused(f"{self.display}: front matter is not a mapping of fields")
        return root, text, start

    def _find(self, root: Any, path: Path) -> _Where | None:
        where = _Where(root, None, bool(root.flow_style))
        for part in path:
            node = where.node
            if node.id == "mapping" and isinstance(part, str):
                pair = next((p for p in node.value if str(p[0].value) == part), None)
                if pair is None:
                    return None
                flow = where.flow or bool(node.flow_style)
                where = _Where(pair[1], pair[0], flow or _flow(pair[1]))
            elif node.id == "sequence" and isinstance(part, int):
                if not -len(node.value) <= part < len(node.value):
                    return None
                item = node.value[part]
                where = _Where(item, None, where.flow or bool(node.flow_style) or _flow(item))
            else:
                return None
        return where

    def _layout(self, root: Any) -> Layout:
        mapping = dash = item = None
        stack = [root]
        while stack and (mapping is None or dash is None or item is None):
            node = stack.pop()
            if node.id == "mapping" and not node.flow_style:
                for key, value in node.value:
                    if value.id == "mapping" and not value.flow_style and mapping is None:
                        mapping = value.start_mark.column - key.start_mark.column
                    if value.id == "sequence" and not value.flow_style and value.value:
                        first = value.value[0]
                        dash_col = self._dash_column(first)
                        if dash is None:
                            dash = dash_col - key.start_mark.column
                        if item is None:
                            item = first.start_mark.column - dash_col
                    stack.append(value)
            elif node.id == "sequence":
                stack.extend(node.value)
        return Layout(
            mapping if mapping and mapping > 0 else 2,
            dash if dash is not None and dash >= 0 else 2,
            item if item and item > 0 else 2,
        )

    def _dash_column(self, item: Any) -> int:
        text, _ = self._yaml()
        line_start = text.rfind("\n", 0, item.start_mark.index) + 1
        pos: int = item.start_mark.index - 1
        while pos >= line_start and text[pos] == " ":
            pos -= 1
        if pos >= line_start and text[pos] == "-":
            return pos - line_start
        return max(int(item.start_mark.column) - 2, 0)

    # -- text positions --------------------------------------------------------

    @staticmethod
    def _after_colon(text: str, key: Any) -> int:
        pos: int = key.end_mark.index
        while pos < len(text) and text[pos] != ":":
            pos += 1
        return pos + 1

    def _content_end(self, text: str, node: Any, key: Any | None) -> int:
        """Index just past the last character that belongs to ``node``."""
        if node.id == "scalar" and node.value == "" and node.tag.endswith(":null") and key:
            return self._after_colon(text, key)
        if node.id == "mapping" and not node.flow_style and node.value:
            last_key, last_value = node.value[-1]
            return self._content_end(text, last_value, last_key)
        if node.id == "sequence" and not node.flow_style and node.value:
            return self._content_end(text, node.value[-1], None)
        end: int = node.end_mark.index
        if node.id == "scalar" and getattr(node, "style", None) in ("|", ">"):
            return end
        return end

    @staticmethod
    def _line_after(text: str, end: int) -> int:
        if end > 0 and text[end - 1] == "\n":
            return end
        newline = text.find("\n", end)
        return len(text) if newline == -1 else newline + 1

    # -- public operations -----------------------------------------------------

    def get(self, path: Path) -> Any:
        node: Any = self.data
        for part in path:
            in_map = isinstance(node, dict) and isinstance(part, str) and part in node
            in_list = (
                isinstance(node, list) and isinstance(part, int) and -len(node) <= part < len(node)
            )
            if in_map or in_list:
                node = node[part]
            else:
                return None
        return node

    def set(self, path: Path, value: Any) -> None:
        """Set the value at ``path``, creating missing mappings on the way.  A scalar
        that changes on a line with a trailing comment is noted in ``stale_comments``."""
        value = plain(value)
        expected = copy.deepcopy(self.data)
        _assign(expected, path, value)
        old = copy.deepcopy(self.get(path))
        comment = self._trailing_comment(path)
        self._set(path, value)
        self._verify(expected, path)
        if comment and old is not None and old != self.get(path):
            self.stale_comments.append((path, old, comment))

    def _trailing_comment(self, path: Path) -> str | None:
        """The ``# comment`` after the scalar at ``path`` on its own line, if any."""
        root, text, _ = self._root()
        where = self._find(root, path)
        if where is None or where.node.id != "scalar" or _is_null(where.node):
            return None
        end = where.node.end_mark.index
        line_end = text.find("\n", end)
        rest = text[end : len(text) if line_end == -1 else line_end]
        stripped = rest.strip()
        return stripped if stripped.startswith("#") else None

    def append(self, path: Path, item: Any) -> None:
        """Append ``item`` to the list at ``path`` (created when missing or empty)."""
        item = plain(item)
        expected = copy.deepcopy(self.data)
        current = self.get(path)
        if current is None:
            _assign(expected, path, [item])
        elif isinstance(current, list):
            _assign(expected, path, [*current, item])
        else:
            raise EditRefused(f"{format_path(path)} is not a list")
        root, text, _ = self._root()
        where = self._find(root, path)
        if (
            where is None
            or _is_null(where.node)
            or (where.node.id == "sequence" and not where.node.value)
        ):
            self._set(path, [item])
        else:
            self._append(where, item, root, text)
        self._verify(expected, path)

    def extend(self, path: Path, items: Sequence[Any]) -> None:
        """Append each of ``items`` to the list at ``path``, in order: the same bytes,
        ``data``, ``changed_paths`` and errors as :meth:`append` called once per item,
        in one edit.

        Each :meth:`append` composes the front matter, splices and reads it back, so
        N items appended to one list cost O(N x the record): 184 sessions booked
        into one client took 12-24 s.  Here the list is composed once, each item is
        rendered as :meth:`_append` would render it after the ones before (see
        :meth:`_rendered`), the text of all of them is spliced in at once and the
        record read back once.  The first item goes through :meth:`append` while the
        list is missing, null or empty (it creates the list), and so does an item
        with a nested block (a mapping, or a list holding one, as a value: its lines
        depend on the document's layout, see :func:`_flat`).

        Raises EditRefused as :meth:`append` would, at the same item: when the
        items do not all go in (a front matter past 64 KiB, a value that cannot be
        written), the longest run of the first ones that does is found by halving
        (O(log N) read-backs: a refusal holds from the item that causes it on), and
        the item after it is appended alone, raising what the one-by-one appends
        would have stopped at."""
        pending = list(items)
        while pending:
            current = self.get(path)
            if not isinstance(current, list) or not current or not _flat(plain(pending[0])):
                self.append(path, pending.pop(0))
                continue
            run = 0
            while run < len(pending) and _flat(plain(pending[run])):
                run += 1
            batch, pending = [plain(item) for item in pending[:run]], pending[run:]
            at, texts = self._rendered(path, batch)
            done, refused = 0, len(texts)  # batch[:done] is in; batch[:refused] does not go in
            if self._splice_items(path, batch[:refused], texts, at):
                done = refused
            while refused - done > 1:
                middle = (done + refused) // 2
                step = "".join(texts[done:middle])
                if self._splice_items(path, batch[done:middle], texts[done:middle], at):
                    done, at = middle, at + len(step)
                else:
                    refused = middle
            if done < len(batch):
                self.append(path, batch[done])  # raises what append raises there
                pending = batch[done + 1 :] + pending

    def _rendered(self, path: Path, items: list[Any]) -> tuple[int, list[str]]:
        """Where (an index of the ``\\n`` text) :meth:`_append` puts the next item of
        the non-empty list at ``path``, and the text it writes for each of ``items``
        in turn (``, item`` in a flow list, the ``- item`` lines of a block one),
        without composing again between them: a block item starts at the last one's
        dash column, its text after a gap of ``max(gap - 1, 1)`` spaces (so the next
        gap is ``max(gap, 2)``), written ``- {...}`` when the item before is a flow
        mapping.  Stops before the first item that cannot be written (EditRefused
        from :func:`render_flow`).  ``items`` hold no nested block (:func:`_flat`),
        so the document's layout does not change between them."""
        root, text, offset = self._root()
        where = self._find(root, path)
        if where is None or where.node.id != "sequence" or not where.node.value:
            return 0, []
        node = where.node
        texts: list[str] = []
        if where.flow:
            end = self._content_end(text, node.value[-1], None)
            for item in items:
                try:
                    texts.append(", " + render_flow(item))
                except EditRefused:
                    break
            return offset + end, texts
        layout = self._layout(root)
        last = node.value[-1]
        dash_col = self._dash_column(last)
        gap = max(last.start_mark.column - dash_col, 1)
        flow_mapping = _flow(last) and last.id == "mapping"
        for item in items:
            local = Layout(layout.mapping, layout.dash, gap)
            try:
                if isinstance(item, dict) and item and flow_mapping:
                    dash = f"{' ' * dash_col}-{' ' * max(local.item - 1, 1)}"
                    lines = [dash + render_flow(item)]
                else:
                    lines = render_block_item(item, dash_col, local)
            except EditRefused:
                break
            texts.append("".join(line + "\n" for line in lines))
            gap = 1 + max(gap - 1, 1)
            flow_mapping = isinstance(item, dict) and (not item or flow_mapping)
        end = self._line_after(text, self._content_end(text, node, where.key))
        return offset + end, texts

    def _splice_items(self, path: Path, items: list[Any], texts: list[str], at: int) -> bool:
        """Insert ``texts`` (of ``items``, from :meth:`_rendered`) at ``at`` and read
        the record back: True when it holds the list with ``items`` appended
        (``data`` and ``changed_paths`` as one :meth:`append` each leaves them);
        False, with the editor as it was, when it does not."""
        if not items:
            return False
        current = self.get(path)
        if not isinstance(current, list):
            return False
        expected = copy.deepcopy(self.data)
        _assign(expected, path, [*current, *items])
        saved = self._doc.orig
        self._doc.splice(at, at, "".join(texts))
        try:
            self._verify(expected, path)
        except EditRefused:
            self._doc.orig = saved
            self._doc._sync()
            return False
        self.changed_paths.extend([path] * (len(items) - 1))  # one per item in all
        return True

    def append_body(self, section: str) -> None:
        """Append a Markdown section at the end of the body, after one blank line."""
        norm = self._doc.norm
        prefix = "" if norm.endswith("\n") else "\n"
        if not (norm + prefix).endswith("\n\n"):
            prefix += "\n"
        self._doc.splice(len(norm), len(norm), prefix + section.rstrip("\n") + "\n")

    def result(self) -> bytes:
        return self._doc.encode()

    # -- implementation --------------------------------------------------------

    def _set(self, path: Path, value: Any) -> None:
        root, text, offset = self._root()
        where = self._find(root, path)
        if where is not None:
            self._replace(where, value, root, text, offset)
            return
        parent_path, last = path[:-1], path[-1]
        parent = self._find(root, parent_path)
        if parent is None or _is_null(parent.node):
            if not isinstance(last, str) or not parent_path:
                raise EditRefused(f"{format_path(path)}: no such field or list item")
            self._set(parent_path, {last: value})
            return
        node = parent.node
        if node.id == "mapping" and isinstance(last, str):
            self._insert_key(parent, last, value, root, text, offset)
        elif node.id == "sequence" and isinstance(last, int) and last == len(node.value):
            self._append(parent, value, root, text)
        else:
            raise EditRefused(f"{format_path(path)}: {format_path(parent_path)} has no such entry")

    def _splice(self, offset: int, start: int, end: int, text: str) -> None:
        self._doc.splice(offset + start, offset + end, text)

    def _replace(self, where: _Where, value: Any, root: Any, text: str, offset: int) -> None:
        node, key = where.node, where.key
        layout = self._layout(root)
        if is_scalar(value) or where.flow or not value:
            quote = getattr(node, "style", None) if node.id == "scalar" else None
            keep = quote if quote in ('"', "'") and isinstance(value, str) else None
            rendered = render_flow(value, keep)
            if node.id == "scalar" and not _is_null(node):
                start, end = node.start_mark.index, node.end_mark.index
                span = text[start:end]
                rendered += span[len(span.rstrip("\n")) :]
                self._splice(offset, start, end, rendered)
            elif key is not None and (_is_null(node) or (node.id != "scalar" and not _flow(node))):
                start = self._after_colon(text, key)
                self._splice(offset, start, self._content_end(text, node, key), " " + rendered)
            else:
                start = node.start_mark.index
                self._splice(offset, start, self._content_end(text, node, key), rendered)
            return
        # a non-empty collection in block context
        if key is not None:
            column = key.start_mark.column
            if isinstance(value, dict):
                lines = render_block_mapping(value, column + layout.mapping, layout)
            else:
                lines = render_block_sequence(value, column + layout.dash, layout)
            if node.id in ("mapping", "sequence") and not _flow(node):
                start = text.rfind("\n", 0, node.start_mark.index) + 1
                end = self._line_after(text, self._content_end(text, node, key))
                self._splice(offset, start, end, "\n".join(lines) + "\n")
            elif _is_null(node) and node.value == "":
                # ``key:`` (maybe with a comment): the new lines go below it
                end = self._line_after(text, self._after_colon(text, key))
                self._splice(offset, end, end, "\n".join(lines) + "\n")
            else:
                start = self._after_colon(text, key)
                end = self._content_end(text, node, key)
                self._splice(offset, start, end, "\n" + "\n".join(lines))
            return
        # a sequence item: first line stays after the dash
        column = node.start_mark.column
        if isinstance(value, dict):
            lines = render_block_mapping(value, column, layout)
        else:
            lines = render_block_sequence(value, column, layout)
        first = lines[0].lstrip(" ")
        end = self._content_end(text, node, None)
        self._splice(offset, node.start_mark.index, end, "\n".join([first, *lines[1:]]))

    def _insert_key(
        self, parent: _Where, key: str, value: Any, root: Any, text: str, offset: int
    ) -> None:
        node = parent.node
        layout = self._layout(root)
        if parent.flow:
            entry = f"{render_flow(key)}: {render_flow(value)}"
            if not node.value:
                self._splice(offset, node.start_mark.index + 1, node.start_mark.index + 1, entry)
            else:
                last_key, last_value = node.value[-1]
                end = self._content_end(text, last_value, last_key)
                self._splice(offset, end, end, ", " + entry)
            return
        column = node.value[0][0].start_mark.column if node.value else 0
        lines = render_block_mapping({key: value}, column, layout)
        end = self._line_after(text, self._content_end(text, node, parent.key))
        self._splice(offset, end, end, "\n".join(lines) + "\n")

    def _append(self, where: _Where, item: Any, root: Any, text: str) -> None:
        _, offset = self._yaml()
        node = where.node
        if where.flow:
            rendered = render_flow(item)
            if not node.value:
                self._splice(offset, node.start_mark.index + 1, node.start_mark.index + 1, rendered)
            else:
                end = self._content_end(text, node.value[-1], None)
                self._splice(offset, end, end, ", " + rendered)
            return
        layout = self._layout(root)
        last = node.value[-1]
        dash_col = self._dash_column(last)
        local = Layout(layout.mapping, layout.dash, max(last.start_mark.column - dash_col, 1))
        if isinstance(item, dict) and item and _flow(last) and last.id == "mapping":
            lines = [f"{' ' * dash_col}-{' ' * max(local.item - 1, 1)}{render_flow(item)}"]
        else:
            lines = render_block_item(item, dash_col, local)
        end = self._line_after(text, self._content_end(text, node, where.key))
        self._splice(offset, end, end, "\n".join(lines) + "\n")

    def _verify(self, expected: dict[str, Any], path: Path) -> None:
        from sortext.record.values import normalize

        try:
            actual = self._load()
        except EditRefused as exc:
            raise EditRefused(
                f"{self.display}: sortext could not change {format_path(path)} safely "
                f"({exc}); nothing was written"
            ) from exc
        if actual != normalize(expected):
            raise EditRefused(
                f"{self.display}: sortext could not change {format_path(path)} safely "
                "(the edited text did not read back as intended); nothing was written"
            )
        self.data = actual
        self.changed_paths.append(path)


def _flat(item: Any) -> bool:
    """Whether ``item`` is written without a nested block: not a mapping, or a
    mapping whose values are scalars, empty collections or lists of scalars (each
    on its key's line), so its lines do not depend on the document's layout nor
    change it (:meth:`RecordEditor.extend`)."""
    if not isinstance(item, dict):
        return True
    return all(
        is_scalar(v) or not v or (isinstance(v, list) and all(is_scalar(i) for i in v))
        for v in item.values()
    )


def _flow(node: Any) -> bool:
    return node.id in ("mapping", "sequence") and bool(node.flow_style)


def _is_null(node: Any) -> bool:
    return bool(node.id == "scalar" and node.tag.endswith(":null"))


def _assign(data: Any, path: Path, value: Any) -> None:
    """Set ``value`` at ``path`` in plain data, creating mappings on the way."""
    node = data
    for i, part in enumerate(path[:-1]):
        if isinstance(node, dict):
            if not isinstance(node.get(part), dict | list):
                node[part] = {}
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int):
            if not -len(node) <= part < len(node):
                raise EditRefused(
                    f"{format_path(path[: i + 1])}: no list item {part} "
                    f"(the list has {len(node)}: 0 to {len(node) - 1})"
                    if node
                    else f"{format_path(path[: i + 1])}: no list item {part} (the list is empty)"
                )
            node = node[part]
        else:
            raise EditRefused(f"{format_path(path[: i + 1])} is not a mapping or list")
    last = path[-1]
    if isinstance(node, dict) and isinstance(last, str):
        node[last] = value
    elif isinstance(node, list) and isinstance(last, int):
        if last == len(node):
            node.append(value)
        elif -len(node) <= last < len(node):
            node[last] = value
        else:
            raise EditRefused(f"{format_path(path)}: no list item {last}")
    else:
        raise EditRefused(f"{format_path(path)}: cannot set this path")
