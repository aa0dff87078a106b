"""Map every key and value of a YAML document to its line and column.

Only used when something is wrong (or for writes): it re-reads the text with
ruamel.yaml's composer, which keeps a mark on every node.
"""

from __future__ import annotations

from typing import Any

from sortext.lazyre import Lazy

Path = tuple[str | int, ...]


class PositionMap:
    """1-based (line, column) of each path's key (``keys``) and of its value
    (``values``)."""

    __slots__ = ("keys", "values")

    def __init__(
        self,
        keys: dict[Path, tuple[int, int]] | None = None,
        values: dict[Path, tuple[int, int]] | None = None,
    ) -> None:
        self.keys: dict[Path, tuple[int, int]] = {} if keys is None else keys
        self.values: dict[Path, tuple[int, int]] = {} if values is None else values

    def key(self, path: Path) -> tuple[int, int]:
        """Where the key of ``path`` is written, else its nearest written ancestor."""
        for length in range(len(path), 0, -1):
            prefix = path[:length]
            if prefix in self.keys:
                return self.keys[prefix]
            if prefix in self.values:
                return self.values[prefix]
        return self.values.get((), (1, 1))

    def value(self, path: Path) -> tuple[int, int]:
        """Where the value of ``path`` starts, else its key, else an ancestor."""
        if path in self.values:
            return self.values[path]
        return self.key(path)


def _empty(node: Any) -> bool:
    """True for a value with no text at all (``email:`` and nothing after it)."""
    return bool(
        node.id == "scalar"
        and node.value == ""
        and not node.style
        and node.start_mark.index == node.end_mark.index
    )


def _compose(text: str) -> Any:
    from ruamel.yaml import YAML

    return YAML(typ="rt").compose(text)


#: Texts at least this long are composed by libyaml for their position map.
FAST_COMPOSE_FROM = 16 * 1024


def _compose_fast(text: str) -> Any:
    """The node tree from libyaml's C composer (through PyYAML, which
    python-frontmatter brings), about 15x faster than ruamel.yaml's pure-Python
    one: linear in the text either way, but a 60 KB front matter with 15,000
    flow items is located in 0.2 s instead of 3 s.  Only for texts whose lines
    and columns both count alike (see ``_NOT_PLAIN``); None when libyaml is
    missing or refuses the text (ruamel.yaml then answers).

    Only for long texts (:data:`FAST_COMPOSE_FROM` characters and up): libyaml
    places an empty value just after its ``:`` where ruamel.yaml places it at
    the next token, and every ordinary record keeps ruamel's answers."""
    if len(text) < FAST_COMPOSE_FROM or _NOT_PLAIN().search(text):
        return None
    try:
        import yaml
    except ImportError:  # pragma: no cover - python-frontmatter requires PyYAML
        return None
    loader = getattr(yaml, "CSafeLoader", None)
    if loader is None:
        return None
    try:
        return yaml.compose(text, Loader=loader)
    except (yaml.YAMLError, RecursionError):
        return None


def build_position_map(text: str) -> PositionMap:
    """Positions for all nodes; an unparseable text gives an empty map."""
    from ruamel.yaml.error import YAMLError

    result = PositionMap()
    try:
        root = _compose_fast(text) or _compose(text)
    except (YAMLError, RecursionError, NotImplementedError):  # NotImplementedError: a
        # comment ruamel.yaml's round-trip reader cannot place
        return result
    if root is None:
        return result
    stack: list[tuple[Any, Path]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        result.values[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if node.id == "mapping":
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node.value, str) else str(key_node.value)
                child = (*path, key)
                key_at = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                result.keys.setdefault(child, key_at)
                if _empty(value_node):
                    # nothing is written: ruamel marks the next token (the next key, or
                    # the closing ---); the problem is on the key's own line
                    result.values[child] = key_at
                    continue
                stack.append((value_node, child))
        elif node.id == "sequence":
            for index, item in enumerate(node.value):
                stack.append((item, (*path, index)))
    return result


# A plain key a person types at the start of a line: its text is exactly the key.
_SIMPLE_KEY = Lazy(r"([A-Za-z_][A-Za-z0-9_-]*):(?: |$)")
# Characters that make ruamel.yaml count lines or columns differently from
# ``str.split("\n")`` (tabs, \r, \x85, \u2028/9, a BOM) or refuse the text
# outright (its reader rejects non-printable characters; its map is then empty).
# Written as the characters it finds, not as the complement of those it lets through
# (NOT_PLAIN_AS_COMPLEMENT, as it was written before): the same set
# (tests/test_positions_plain.py holds them equal over every code point), compiled in
# 0.5 ms instead of 12 ms in every process that parses a record.
_NOT_PLAIN = Lazy("[\x00-\t\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")
NOT_PLAIN_AS_COMPLEMENT = (
    "[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)

Position = tuple[int, int]


class SimplePositions:
    """What :func:`build_position_map` says, found by scanning lines instead of parsing.

    Only answers for paths through block mappings and block sequences written
    the ordinary way (``key: value`` lines, ``- item`` lines, comments, blank
    lines); :meth:`key` and :meth:`value` return None wherever a text is
    unusual, and the caller then builds the full map with ruamel.yaml.

    Why a line scan cannot be fooled: in a block mapping every key starts a
    line at the mapping's indentation (the first key of a ``- key: v`` item
    starts after the dash).  The scan requires every other non-comment line at
    that indentation to be a plain ``key:`` line, and these lines to name
    exactly the parsed mapping's keys in order.  So a continuation line of a
    multi-line scalar that looks like ``stage: x`` either adds one line too
    many or takes the place of a real key line that then fails the check.
    Block sequences are checked the same way with ``-`` lines.
    """

    __slots__ = ("_blocks", "_data", "_lines")

    def __init__(self, lines: list[str], data: Any) -> None:
        self._lines = lines
        self._data = data
        # Each block's entry lines (and, for mappings, each name's index), scanned
        # once per text: a record with thousands of problems stays linear.
        self._blocks: dict[tuple[Any, ...], Any] = {}

    def _entries(
        self, line: int, col: int, stop: int, mapping: bool
    ) -> tuple[list[tuple[int, str, int]], dict[str, int]] | None:
        key = (line, col, stop, mapping)
        if key not in self._blocks:
            entries = _block_entries(
                self._lines, line, col, stop, _mapping_line if mapping else _item_line
            )
            names = {name: i for i, (_, name, _) in enumerate(entries)} if entries else {}
            self._blocks[key] = (entries, names) if entries is not None else None
        found: tuple[list[tuple[int, str, int]], dict[str, int]] | None = self._blocks[key]
        return found

    def key(self, path: Path) -> Position | None:
        """Like :meth:`PositionMap.key`, or None when unsure."""
        found = self._resolve(path)
        if found is None:
            return None
        key_at, value_at, depth = found
        if depth == 0:
            return value_at  # the root node, as PositionMap falls back to
        return key_at if key_at is not None else value_at

    def value(self, path: Path) -> Position | None:
        """Like :meth:`PositionMap.value`, or None when unsure."""
        found = self._resolve(path)
        if found is None:
            return None
        key_at, value_at, depth = found
        if depth == len(path):
            return value_at
        if depth == 0:
            return value_at
        return key_at if key_at is not None else value_at

    def _resolve(self, path: Path) -> tuple[Position | None, Position, int] | None:
        """Walk ``path`` as far as the data has it.

        Returns the deepest node's key position (None for a list item), its
        value position and how many parts of ``path`` it covers.
        """
        lines = self._lines
        start = _first_content(lines, 0, len(lines))
        if start is None:
            return None
        node = self._data
        line, col = start  # where the current node's value starts (0-based)
        stop = len(lines)  # its lines end before this line
        key_at: Position | None = None
        value_at: Position = (line + 1, col + 1)
        depth = 0
        for part in path:
            if isinstance(node, dict):
                if not isinstance(part, str) or part not in node:
                    break
                block = self._entries(line, col, stop, True)
                if block is None:
                    return None
                entries, names = block
                if len(entries) != len(node) or len(names) != len(node):
                    return None
                index = names.get(part, -1)
                if index < 0 or entries[index][1] != part:
                    return None
                if not _same_order(entries, node, self._blocks, (line, col, stop)):
                    return None
                entry_line, name, _ = entries[index]
                key_at = (entry_line + 1, col + 1)
                after = col + len(name) + 1
            elif isinstance(node, list):
                if not isinstance(part, int) or not 0 <= part < len(node):
                    break
                block = self._entries(line, col, stop, False)
                if block is None or len(block[0]) != len(node):
                    return None
                entries = block[0]
                entry_line, _, _ = entries[part]
                key_at = None
                after = col + 1
                index = part
            else:
                break
            child_stop = entries[index + 1][0] if index + 1 < len(entries) else stop
            text = lines[entry_line]
            rest = text[after:]
            inline = rest.lstrip(" ")
            if inline and not inline.startswith("#"):
                line, col = entry_line, len(text) - len(inline)
            elif isinstance(node, list):
                return None  # "-" alone on its line: ruamel points at odd places
            else:
                below = _first_content(lines, entry_line + 1, child_stop)
                if below is not None:
                    line, col = below
                else:
                    line = entry_line  # an empty value: its problem is on the key's line
            value_at = (line + 1, col + 1)
            node = node[part]
            stop = child_stop
            depth += 1
        return key_at, value_at, depth


def _same_order(
    entries: list[tuple[int, str, int]],
    node: dict[str, Any],
    blocks: dict[Any, Any],
    where: tuple[int, int, int],
) -> bool:
    """Do the entry lines name exactly ``node``'s keys in order?  Compared once per block
    (the answer is remembered in ``blocks`` under ``(*where, "order")``)."""
    key = (*where, "order")
    if key not in blocks:
        blocks[key] = [name for _, name, _ in entries] == list(node)
    return bool(blocks[key])


def simple_positions(text: str, data: Any) -> SimplePositions | None:
    """A line-scanning stand-in for :func:`build_position_map`, for texts it can read.

    ``data`` is what the YAML text was parsed to (keys as text, in order).
    """
    if not isinstance(data, dict) or _NOT_PLAIN().search(text):
        return None
    return SimplePositions(text.split("\n"), data)


def _first_content(lines: list[str], start: int, stop: int) -> Position | None:
    """0-based line and column of the first line in range that is not blank or a comment."""
    for number in range(start, min(stop, len(lines))):
        line = lines[number]
        stripped = line.lstrip(" ")
        if stripped and not stripped.startswith("#"):
            return number, len(line) - len(stripped)
    return None


def _mapping_line(line: str, col: int) -> str | None:
    match = _SIMPLE_KEY().match(line, col)
    return match.group(1) if match else None


def _item_line(line: str, col: int) -> str | None:
    if line.startswith("- ", col) or (len(line) == col + 1 and line[col] == "-"):
        return "-"
    return None


def _block_entries(
    lines: list[str], first: int, col: int, stop: int, entry: Any
) -> list[tuple[int, str, int]] | None:
    """Each entry line of the block collection whose first entry is at (first, col).

    Every line up to ``stop`` that is not blank or a comment must be indented
    past ``col`` (inside an entry) or start an entry exactly at ``col``.
    """
    name = entry(lines[first], col)
    if name is None:
        return None
    found = [(first, name, col)]
    for number in range(first + 1, stop):
        line = lines[number]
        stripped = line.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(line) - len(stripped)
        if indent > col:
            continue
        if indent < col:
            return None
        name = entry(line, col)
        if name is None:
            return None
        found.append((number, name, col))
    return found


def format_path(path: Path) -> str:
    """``("sessions", 3, "status")`` -> ``sessions[3].status``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
