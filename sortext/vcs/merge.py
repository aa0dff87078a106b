"""Three-way merge of a client file: front matter field by field, notes by line.

Rules: a change made on one side only is taken; the same change on both sides
is accepted; sessions, measurements, invoices and goals are merged item by
item (by date or id), other lists as sets of entries (additions from both
sides kept); the notes go through ``git merge-file``.  When both sides changed
one field differently nothing is picked: the file gets standard conflict
markers around that field only, and the merge reports a conflict.  Notes to
which both sides only appended dated ``## YYYY-MM-DD`` sections (a session
logged on each laptop) merge as the union of those sections in date order.

The merged front matter is written with ruamel round-trip starting from the
'ours' text, so comments and layout of untouched fields survive.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sortext.record.fielddiff import IDENTITY, item_identity, keyed_items
from sortext.vcs.git import failure, run_full
from sortext.vcs.versions import Version, parse_version

OURS_MARK = "<<<<<<< ours"
MID_MARK = "======="
THEIRS_MARK = ">>>>>>> theirs"


class _Missing:
    """Marks a key or list item that does not exist on one side."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


@dataclass(frozen=True, slots=True)
class Conflict:
    """Both sides changed ``path`` differently; MISSING means deleted on that side."""

    path: str
    ours: Any
    theirs: Any


@dataclass(slots=True)
class MergeResult:
    """A merged record's text and the fields left for the user to decide."""

    text: str
    conflicts: list[Conflict] = field(default_factory=list)
    notes_conflicts: int = 0

    @property
    def clean(self) -> bool:
        return not self.conflicts and not self.notes_conflicts

    @property
    def data(self) -> bytes:
        """The bytes to write: :attr:`text` in UTF-8, with each byte a side held that
        was not UTF-8 (kept in ``text`` as a surrogate escape) given back as it was."""
        return self.text.encode("utf-8", "surrogateescape")


# --- merging plain data --------------------------------------------------------------


def merge_data(base: Any, ours: Any, theirs: Any, path: str = "") -> Any:
    """Merged value; conflicting spots hold :class:`Conflict` nodes."""
    if ours == theirs:
        return ours
    if ours == base:
        return theirs
    if theirs == base:
        return ours
    if isinstance(ours, dict) and isinstance(theirs, dict):
        return _merge_dicts(base if isinstance(base, dict) else {}, ours, theirs, path)
    if isinstance(ours, list) and isinstance(theirs, list):
        old = base if isinstance(base, list) else []
        by_identity = _merge_identity_lists(old, ours, theirs, path)
        return by_identity if by_identity is not None else _merge_plain_lists(old, ours, theirs)
    return Conflict(path, ours, theirs)


def _merge_dicts(
    base: dict[str, Any], ours: dict[str, Any], theirs: dict[str, Any], path: str
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in [*ours, *[k for k in theirs if k not in ours]]:
        child = f"{path}.{key}" if path else key
        value = merge_data(
            base.get(key, MISSING), ours.get(key, MISSING), theirs.get(key, MISSING), child
        )
        if value is not MISSING:
            out[key] = value
    return out


def _merge_identity_lists(
    base: list[Any], ours: list[Any], theirs: list[Any], path: str
) -> list[Any] | None:
    if path not in IDENTITY:
        return None
    b, o, t = keyed_items(path, base), keyed_items(path, ours), keyed_items(path, theirs)
    if b is None or o is None or t is None:
        return None
    labels = [*o, *[k for k in t if k not in o]]
    merged: list[tuple[str, Any]] = []
    for label in labels:
        value = merge_data(
            b.get(label, MISSING),
            o.get(label, MISSING),
            t.get(label, MISSING),
            f"{path}[{label}]",
        )
        if value is not MISSING:
            merged.append((label, value))
    if list(o) == sorted(o) and list(t) == sorted(t):
        merged.sort(key=lambda pair: pair[0])
    return [value for _, value in merged]


def _merge_plain_lists(base: list[Any], ours: list[Any], theirs: list[Any]) -> list[Any]:
    """Entries removed on one side go; entries added on either side stay."""
    kept = [x for x in ours if not (x in base and x not in theirs)]
    return kept + [x for x in theirs if x not in ours and x not in base]


def conflicts_in(tree: Any) -> list[Conflict]:
    if isinstance(tree, Conflict):
        return [tree]
    if isinstance(tree, dict):
        return [c for v in tree.values() for c in conflicts_in(v)]
    if isinstance(tree, list):
        return [c for v in tree for c in conflicts_in(v)]
    return []


def side(tree: Any, which: str) -> Any:
    """The merged tree with every conflict settled as ``which`` ('ours'/'theirs')."""
    if isinstance(tree, Conflict):
        return tree.ours if which == "ours" else tree.theirs
    if isinstance(tree, dict):
        out = {k: side(v, which) for k, v in tree.items()}
        return {k: v for k, v in out.items() if v is not MISSING}
    if isinstance(tree, list):
        return [x for x in (side(v, which) for v in tree) if x is not MISSING]
    return tree


# --- writing YAML that keeps the 'ours' layout -------------------------------------


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    return yaml


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _plain(node: Any) -> Any:
    from sortext.record.values import normalize

    return normalize(node)


def _to_yaml(value: Any, like: Any = None) -> Any:
    """Plain JSON-like data as ruamel nodes (dates back to dates, flow style copied)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, dict):
        node = CommentedMap()
        for k, v in value.items():
            node[k] = _to_yaml(v)
        if isinstance(like, CommentedMap) and like.fa.flow_style():
            node.fa.set_flow_style()
        return node
    if isinstance(value, list):
        seq = CommentedSeq()
        seq.extend(_to_yaml(v) for v in value)
        if isinstance(like, CommentedSeq) and like.fa.flow_style():
            seq.fa.set_flow_style()
        return seq
    if isinstance(value, str) and _DATE.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


def _sync(node: Any, target: Any, path: str) -> Any:
    """Change ruamel ``node`` in place into ``target`` touching only what differs."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if _plain(node) == target:
        return node
    if isinstance(node, CommentedMap) and isinstance(target, dict):
        for key in [k for k in node if str(k) not in target]:
            del node[key]
        names = {str(k): k for k in node}
        previous = -1
        for key, value in target.items():
            child = f"{path}.{key}" if path else key
            if key in names:
                real = names[key]
                node[real] = _sync(node[real], value, child)
                previous = list(node).index(real)
            else:
                sibling = next(iter(node.values()), None) if path else None
                node.insert(previous + 1, key, _to_yaml(value, sibling))
                previous += 1
        return node
    if isinstance(node, CommentedSeq) and isinstance(target, list):
        pool = list(node)
        labels = [item_identity(path, _plain(x)) for x in pool]
        items = []
        for wanted in target:
            label = item_identity(path, wanted)
            found = next((i for i, x in enumerate(pool) if _plain(x) == wanted), None)
            if found is None and label is not None and label in labels:
                found = labels.index(label)
            if found is not None:
                item = _sync(pool.pop(found), wanted, f"{path}[{label}]")
                labels.pop(found)
            else:
                item = _to_yaml(wanted, node[0] if len(node) else None)
            items.append(item)
        del node[:]
        node.extend(items)
        return node
    return _to_yaml(target, node)


def render_front_matter(ours_yaml: str, target: dict[str, Any]) -> str:
    """``ours_yaml`` changed into ``target`` with ruamel round-trip (layout kept)."""
    import io

    yaml = _yaml()
    tree = yaml.load(ours_yaml) if ours_yaml.strip() else None
    if tree is None:
        from ruamel.yaml.comments import CommentedMap

        tree = CommentedMap()
    tree = _sync(tree, target, "")
    out = io.StringIO()
    yaml.dump(tree, out)
    return out.getvalue()


def wrap_conflicts(ours_text: str, theirs_text: str) -> str:
    """Lines that differ between the two renderings, wrapped in conflict markers."""
    a, b = ours_text.splitlines(keepends=True), theirs_text.splitlines(keepends=True)
    out: list[str] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out.extend(a[i1:i2])
            continue
        out.append(OURS_MARK + "\n")
        out.extend(a[i1:i2])
        out.append(MID_MARK + "\n")
        out.extend(b[j1:j2])
        out.append(THEIRS_MARK + "\n")
    return "".join(out)


# --- the notes --------------------------------------------------------------------

_SECTION = re.compile(r"^(?=## \d{4}-\d{2}-\d{2}\b)", re.MULTILINE)
_SECTION_DATE = re.compile(r"## (\d{4}-\d{2}-\d{2})\b")


def _dated_sections(tail: str) -> list[str] | None:
    """``tail`` split into ``## YYYY-MM-DD ...`` sections, or None when it holds other text."""
    chunks = _SECTION.split(tail)
    if chunks and not _SECTION_DATE.match(chunks[0]):
        if chunks[0].strip():
            return None  # text before the first dated heading: not only appended sections
        chunks = chunks[1:]
    return [c.strip("\n") for c in chunks if c.strip()]


def union_appended(base: str, ours: str, theirs: str) -> str | None:
    """Notes to which both sides only appended dated sections: all of them, in date order.

    Returns None when a side changed the notes another way (then the lines
    are merged by ``git merge-file``).  Sections of one date keep their order,
    ours first; a section both sides appended identically appears once.
    """
    stem = base.rstrip("\n")
    if not (ours.startswith(stem) and theirs.startswith(stem)):
        return None
    if theirs.rstrip("\n") == stem or ours == theirs:
        return ours
    if ours.rstrip("\n") == stem:
        return theirs
    mine, yours = _dated_sections(ours[len(stem) :]), _dated_sections(theirs[len(stem) :])
    if mine is None or yours is None:
        return None
    if stem and any(not t[len(stem) :].startswith("\n") for t in (ours, theirs) if t != stem):
        return None  # a side extended the last line instead of appending a section
    sections = list(mine)
    sections += [s for s in yours if s not in mine]
    date = _SECTION_DATE.match
    ordered = sorted(sections, key=lambda s: m.group(1) if (m := date(s)) else "")
    if not ordered:
        return ours
    joined = "\n\n".join(ordered) + "\n"
    return f"{stem}\n\n{joined}" if stem else joined


def merge_lines(base: str, ours: str, theirs: str) -> tuple[str, int]:
    """``git merge-file`` on three texts: (merged text, number of conflicts)."""
    with tempfile.TemporaryDirectory(prefix="sortext-merge-") as tmp:
        paths = []
        for name, text in (("ours", ours), ("base", base), ("theirs", theirs)):
            p = Path(tmp) / name
            p.write_text(text, encoding="utf-8", errors="surrogateescape")
            paths.append(str(p))
        args = ["merge-file", "-p", "-L", "ours", "-L", "base", "-L", "theirs", *paths]
        done = run_full(Path(tmp), *args)
    if done.returncode < 0 or done.returncode > 127:
        raise failure(args, done.stderr.decode("utf-8", "replace"))
    return done.stdout.decode("utf-8", "surrogateescape"), done.returncode


# --- the whole file ---------------------------------------------------------------


def _split(raw: bytes) -> tuple[Version, str] | None:
    """Parsed version plus its raw front matter text, or None when unusable."""
    from sortext.record.source import SourceText, decode
    from sortext.record.split import Split, split

    version = parse_version(raw, implied_id=False)
    source = decode(raw)
    if version is None or not isinstance(source, SourceText):
        return None
    parts = split(source.text)
    assert isinstance(parts, Split)
    return version, parts.yaml_text


def merge_files(base: bytes, ours: bytes, theirs: bytes) -> MergeResult:
    """Merge three versions of a record file (base may be empty: added on both sides).

    When a side cannot be read as a record, or the structured merge fails on
    YAML it cannot write back, the whole file is merged line by line instead:
    git's markers then keep both sides, byte for byte (bytes that are not UTF-8
    too: write :attr:`MergeResult.data`), so nothing is lost either way."""
    empty = (Version({}, ""), "")
    b = empty if not base.strip() else _split(base)
    o, t = _split(ours), _split(theirs)
    if b is not None and o is not None and t is not None:
        try:
            return _merge_records(b, o, t, ours)
        except Exception:  # any failure here falls back to the lossless line merge
            pass
    # Bytes that are not UTF-8 pass through as surrogate escapes (``MergeResult.data``
    # gives them back): "replace" turned a Latin-1 side's 0xe9 into U+FFFD, lost.
    text, count = merge_lines(
        base.decode("utf-8", "surrogateescape"),
        ours.decode("utf-8", "surrogateescape"),
        theirs.decode("utf-8", "surrogateescape"),
    )
    return MergeResult(text, [], count)


def _merge_records(
    b: tuple[Version, str], o: tuple[Version, str], t: tuple[Version, str], ours: bytes
) -> MergeResult:
    (bv, _), (ov, ours_yaml), (tv, _) = b, o, t
    tree = merge_data(bv.data, ov.data, tv.data)
    conflicts = conflicts_in(tree)
    merged_ours = side(tree, "ours")
    unchanged = merged_ours == ov.data  # keep our text byte for byte
    front = ours_yaml if unchanged else render_front_matter(ours_yaml, merged_ours)
    if conflicts:
        front = wrap_conflicts(front, render_front_matter(ours_yaml, side(tree, "theirs")))
    union = union_appended(bv.body, ov.body, tv.body)
    body, count = (union, 0) if union is not None else merge_lines(bv.body, ov.body, tv.body)
    newline = "\r\n" if b"\r\n" in ours else "\n"
    text = f"---\n{front}---\n{body}"
    if newline != "\n":
        text = text.replace("\n", newline)
    if ours.startswith(b"\xef\xbb\xbf"):
        text = "\ufeff" + text
    return MergeResult(text, conflicts, count)
