"""Field-level differences between two versions of a record.

Used for commit messages (the watcher), history and "what changed" (git), and
merge (three-way).  Lists of sessions, measurements, invoices and goals are
compared by identity (date or id), not by position, so inserting a session at
the top reads as one added session, not as every session changed.
"""

from __future__ import annotations

import json
from typing import Any, Literal, NamedTuple

from sortext.lazyre import Lazy

ChangeKind = Literal["added", "removed", "changed"]

#: How list items are identified, per top-level list.
IDENTITY: dict[str, tuple[str, ...]] = {
    "sessions": ("date", "kind"),
    "measurements": ("goal", "date"),
    "invoices": ("id",),
    "goals": ("id",),
}


class FieldChange(NamedTuple):
    """One field that differs.  ``path`` is dotted, list items by identity:
    ``sessions[2026-11-20].status``, ``invoices[INV-7]``."""

    path: str
    old: Any
    new: Any
    kind: ChangeKind

    def describe(self) -> str:
        return describe(self.path, self.old, self.new, self.kind)


def describe(path: str, old: Any, new: Any, kind: str) -> str:
    """A change in words (:meth:`FieldChange.describe`, without making one):
    ``stage active -> review``, ``sessions[2026-11-20] added``, ``tags removed``."""
    if kind == "added":
        return f"{path} added" if _is_compound(new) else f"{path} -> {_short(new)}"
    if kind == "removed":
        return f"{path} removed"
    return f"{path} {_short(old)} -> {_short(new)}"


def _is_compound(value: Any) -> bool:
    return isinstance(value, dict | list)


def _short(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def item_identity(list_name: str, item: Any) -> str | None:
    """The identity label of a list item (``2026-11-20`` or ``INV-7``), if it has one."""
    keys = IDENTITY.get(list_name)
    if keys is None or not isinstance(item, dict) or keys[0] not in item:
        return None
    if list_name == "sessions":
        return str(item["date"])
    return "/".join(str(item[k]) for k in keys if k in item)


def keyed_items(list_name: str, items: list[Any]) -> dict[str, Any] | None:
    """Items by identity (repeats get ``#2``), or None if some item has no identity."""
    return _label(list_name, items, {})


def _label(list_name: str, items: list[Any], out: dict[str, Any]) -> dict[str, Any] | None:
    """``out`` (the labels of the items before ``items``) with ``items`` labelled after
    them, as :func:`keyed_items` labels a list; None if some item has no identity."""
    keys = IDENTITY.get(list_name)
    if keys is None:
        return None
    first, sessions = keys[0], list_name == "sessions"
    for item in items:  # item_identity, inlined (a list of sessions is long)
        if not isinstance(item, dict) or first not in item:
            return None
        ident = str(item["date"]) if sessions else "/".join(str(item[k]) for k in keys if k in item)
        label, n = ident, 1
        while label in out:
            n += 1
            label = f"{ident}#{n}"
        out[label] = item
    return out


#: Per list name, the last list labelled and its labels (see :func:`diff_rows`).
Labels = dict[str, tuple[list[Any], dict[str, Any] | None]]
#: A change as (path, old, new, kind): what a FieldChange holds.
Row = tuple[str, Any, Any, ChangeKind]


def _keyed(list_name: str, items: list[Any], memo: Labels | None) -> dict[str, Any] | None:
    """:func:`keyed_items`, from the labels of the last list seen under the name when
    ``items`` is that very list, or that list's very items with more after them (a
    list of sessions that grew): only the new items are labelled."""
    if memo is None:
        return keyed_items(list_name, items)
    last = memo.get(list_name)
    if last is not None:
        seen, labels = last
        if seen is items:
            return labels
        n = len(seen)
        if (
            labels is not None
            and len(items) > n
            and list(map(id, items[:n])) == list(map(id, seen))  # the same objects
        ):
            found = _label(list_name, items[n:], dict(labels))
            memo[list_name] = (items, found)
            return found
    found = keyed_items(list_name, items)
    memo[list_name] = (items, found)
    return found


def diff_data(old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[FieldChange]:
    """All field changes from ``old`` to ``new`` (either may be None: created/deleted)."""
    return [FieldChange(*row) for row in diff_rows(old, new)]


def diff_rows(
    old: dict[str, Any] | None, new: dict[str, Any] | None, memo: Labels | None = None
) -> list[Row]:
    """:func:`diff_data` as (path, old, new, kind) tuples (no FieldChange built).

    ``memo`` (an empty dict, then passed to each call): when many versions are
    compared in order, a list compared before is not labelled again (the answer is
    the same; each list is held by the objects themselves, never by equal copies)."""
    changes: list[Row] = []
    _diff(old or {}, new or {}, "", changes, memo)
    return changes


def _diff(old: Any, new: Any, path: str, out: list[Row], memo: Labels | None) -> None:
    if old == new:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in [*old, *[k for k in new if k not in old]]:
            if key in new and key in old and old[key] == new[key]:
                continue  # (what _diff would find first: nothing to say)
            child = f"{path}.{key}" if path else str(key)
            if key not in new:
                out.append((child, old[key], None, "removed"))
            elif key not in old:
                out.append((child, None, new[key], "added"))
            else:
                _diff(old[key], new[key], child, out, memo)
        return
    if isinstance(old, list) and isinstance(new, list) and path in IDENTITY:
        before, after = _keyed(path, old, memo), _keyed(path, new, memo)
        if before is not None and after is not None:
            for label in [*before, *[k for k in after if k not in before]]:
                if label not in after:
                    out.append((f"{path}[{label}]", before[label], None, "removed"))
                elif label not in before:
                    out.append((f"{path}[{label}]", None, after[label], "added"))
                elif before[label] != after[label]:  # (equal items: nothing to say)
                    _diff(before[label], after[label], f"{path}[{label}]", out, memo)
            return
    out.append((path, old, new, "changed"))


def body_change(old: str | None, new: str | None) -> tuple[int, int]:
    """Lines added and removed in the notes."""
    before, after = old or "", new or ""
    if after.startswith(before) and (not before or before.endswith("\n")):
        # Lines only added at the end, after a line end: the lines of what was added
        # are the lines added (what the matcher below finds), counted without
        # splitting the lines that were there.
        return len(after[len(before) :].splitlines()), 0
    a = (old or "").splitlines()
    b = (new or "").splitlines()
    shorter, longer = (old or "", new or "") if len(a) <= len(b) else (new or "", old or "")
    if longer.startswith(shorter) and (not shorter or shorter.endswith("\n")):
        # Lines only added at the end (or only cut from it): the shorter list is a
        # prefix of the longer, the longest block the matcher finds, and all it finds.
        return (len(b) - len(a), 0) if len(a) <= len(b) else (0, len(a) - len(b))
    import difflib  # (only here: most histories add notes at the end)

    added = removed = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag in ("replace", "delete"):
            removed += i2 - i1
        if tag in ("replace", "insert"):
            added += j2 - j1
    return added, removed


def body_summary(old: str | None, new: str | None) -> str:
    """``notes +12 -3 lines`` (empty when the notes did not change)."""
    added, removed = body_change(old, new)
    if not added and not removed:
        return ""
    parts = [f"+{added}"] if added else []
    if removed:
        parts.append(f"-{removed}")
    return f"notes {' '.join(parts)} lines"


def summarize(record_id: str, changes: list[FieldChange], notes: str = "") -> str:
    """``jane-doe: stage proposal -> active; next_action.due ...; notes +12 lines``."""
    parts = [c.describe() for c in changes]
    if notes:
        parts.append(notes)
    return f"{record_id}: {'; '.join(parts) if parts else 'no field changes'}"


def field_matches(path: str, wanted: str) -> bool:
    """``next_action`` matches ``next_action.due``; ``sessions`` matches ``sessions[..]``."""
    return path == wanted or path.startswith((wanted + ".", wanted + "["))


_STEP = Lazy(r"([^.\[\]]+)|\[([^\]]+)\]")


def value_at(data: Any, path: str) -> Any:
    """The value at a change path such as ``sessions[2026-11-20].status`` (None if absent)."""
    node, name = data, ""
    for m in _STEP().finditer(path):
        if m.group(1) is not None:
            name = m.group(1)
            node = node.get(name) if isinstance(node, dict) else None
        else:
            items = keyed_items(name, node) if isinstance(node, list) else None
            node = items.get(m.group(2)) if items else None
    return node
