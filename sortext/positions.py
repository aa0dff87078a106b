"""Map every key and value of a YAML document to its line and column.

Only used when something is wrong (or for writes): it re-reads the text with
ruamel.yaml's composer, which keeps a mark on every node.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sortext.yamlparse import YamlProblem

Path = tuple[str | int, ...]


@dataclass(slots=True)
class PositionMap:
    """1-based (line, column) of each path's key and of its value."""

    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)
    values: dict[Path, tuple[int, int]] = field(default_factory=dict)

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


def _compose(text: str) -> Any:
    from ruamel.yaml import YAML

    return YAML(typ="rt").compose(text)


def build_position_map(text: str) -> PositionMap:
    """Positions for all nodes; an unparseable text gives an empty map."""
    from ruamel.yaml.error import YAMLError

    result = PositionMap()
    try:
        root = _compose(text)
    except (YAMLError, RecursionError):
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
                result.keys.setdefault(
                    child, (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                )
                stack.append((value_node, child))
        elif node.id == "sequence":
            for index, item in enumerate(node.value):
                stack.append((item, (*path, index)))
    return result


def find_duplicate_key(text: str) -> YamlProblem | None:
    """The first key that appears twice in one mapping, pointing at the repeat."""
    from ruamel.yaml.error import YAMLError

    try:
        root = _compose(text)
    except (YAMLError, RecursionError):
        return None
    stack: list[tuple[Any, Path]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if node is None:
            continue
        if node.id == "mapping":
            seen: dict[str, int] = {}
            for key_node, value_node in node.value:
                key = str(key_node.value)
                if key in seen:
                    dotted = format_path((*path, key))
                    return YamlProblem(
                        f"duplicate key '{key}' (first written on line {seen[key]}); "
                        "YAML keeps only one of them, so remove or rename one",
                        key_node.start_mark.line + 1,
                        key_node.start_mark.column + 1,
                        dotted,
                    )
                seen[key] = key_node.start_mark.line + 1
                stack.append((value_node, (*path, key)))
        elif node.id == "sequence":
            stack.extend((item, (*path, i)) for i, item in enumerate(node.value))
    return None


def format_path(path: Path) -> str:
    """``("sessions", 3, "status")`` -> ``sessions[3].status``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
