"""Parse a record as it was in some git revision, without judging it.

Old versions may predate today's schema or config; history, changes and merge
still want whatever data parsed, so validation is skipped here (``sortext
check`` is where records are judged).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import TYPE_CHECKING, Any, NamedTuple

from sortext.files.slug import implied_id
from sortext.lazyre import Lazy
from sortext.record.split import MAX_FRONT_MATTER_BYTES
from sortext.record.yamlread import _MARKUP, _NUMBER_HINT

if TYPE_CHECKING:
    from sortext.schema.validate import RecordValidator

# The whole-record reader (sortext.check.load and the schema modules behind it,
# ~25 ms of imports) is imported on the first version the entry reader cannot
# read: a history read from patches seldom needs it.
_ACCEPT_ALL: RecordValidator | None = None


def _accept_all() -> RecordValidator:
    """A validator that finds nothing: parse only (no schema is built)."""
    global _ACCEPT_ALL
    if _ACCEPT_ALL is None:
        from sortext.schema.explain import Problem
        from sortext.schema.validate import RecordValidator

        class _AcceptAll(RecordValidator):
            def __init__(self) -> None:
                pass

            def problems(
                self, data: dict[str, Any], stem: str, source: str | None = None
            ) -> list[Problem]:
                return []

        _ACCEPT_ALL = _AcceptAll()
    return _ACCEPT_ALL


class Version(NamedTuple):
    """The parsed front matter (JSON-compatible) and notes of one revision."""

    data: dict[str, Any]
    body: str


_ID_LINE = re.compile(rb"^id\s*:", re.MULTILINE)
#: One top-level entry as read alone: (key as YAML read it, key as text, value).
Entry = tuple[Any, str, Any]


def parse_version(
    raw: bytes | None, display: str = "record.md", implied_id: bool = True
) -> Version | None:
    """Data and body of a record's bytes, or None if absent or not parseable.

    ``implied_id=False`` leaves out the id taken from the file name when the
    file has no ``id:`` line (merge must not write one in)."""
    if raw is None:
        return None
    from sortext.check.load import parse_record

    result = parse_record(raw, display, _accept_all())
    if result.record is None:
        return None
    data = result.record.data
    if not implied_id and not _ID_LINE.search(raw.split(b"\n---", 1)[0]):
        data.pop("id", None)
    return Version(data, result.record.body)


class VersionParser:
    """Parses many versions of one record, re-reading only the top-level fields
    whose text changed since a version already seen.

    Consecutive versions differ in a field or two, so the front matter is cut
    into top-level entries (a line starting at column 0 begins one) and each
    entry's parsed value is cached by its text.  Anything unusual (duplicate
    keys, an entry that does not parse alone, a value that is not a single
    key) falls back to :func:`parse_version`, so results are the same.

    "Duplicate" must mean what it means to the YAML reader behind
    :func:`parse_version`: keys are compared as the values YAML resolves them
    to, where ``1``, ``1.0`` and ``true`` are one key (so are ``0``,
    ``false`` and ``-0.0``, or ``null`` and ``~``), and also as the text they
    become (``1`` and ``"1"``).  Either clash falls back.
    """

    def __init__(self) -> None:
        self._entries: dict[str, Entry | None] = {}
        self._items: dict[str, tuple[Any, str, Any] | None] = {}
        #: The last list entry read under each ``key:`` line: (text, item indent,
        #: key as read, values), so a list that grew is read from where it ended.
        self._lists: dict[str, tuple[str, str, Any, list[Any]]] = {}

    def parse(self, raw: bytes | None, display: str = "record.md") -> Version | None:
        if raw is None:
            return None
        fast = self._parse_fast(raw, display)
        return fast if fast is not None else parse_version(raw, display)

    def _parse_fast(self, raw: bytes, display: str) -> Version | None:
        from sortext.record.source import SourceText, decode

        source = decode(raw)
        if not isinstance(source, SourceText) or "\n<<<<<<<" in source.text:
            return None
        text = source.text
        start = text.find("\n---", 3) + 1 if text.startswith("---\n") else 0
        end = text.find("\n", start)
        end = len(text) if end == -1 else end
        if start <= 0 or text[start + 3 : end].strip() or "\n..." in text[3:start]:
            return None  # unusual: let parse_version say exactly what is wrong
        if start - 4 > MAX_FRONT_MATTER_BYTES // 4:
            return None
        yaml_text, body = text[4:start], text[end + 1 :]
        chunks = _top_level_entries(yaml_text)
        if chunks is None:
            return None
        return self.assemble([self.entry(chunk) for chunk in chunks], body, display)

    def entry(self, chunk: str) -> Entry | None:
        """One top-level entry's text read alone (cached by its text); None when it
        cannot be read alone (the whole document must be parsed)."""
        parsed: Entry | None = self._entries.get(chunk, _UNSEEN)
        if parsed is _UNSEEN:
            parsed = self._parse_list(chunk) if len(chunk) > _LIST_MIN else None
            if parsed is None:
                parsed = _parse_entry(chunk)
            self._entries[chunk] = parsed
        return parsed

    @staticmethod
    def assemble(entries: list[Entry | None], body: str, display: str) -> Version | None:
        """The version whose front matter's top-level entries read as ``entries`` (in
        order); None when one did not read alone or two are one key to YAML."""
        data: dict[str, Any] = {}
        resolved: set[Any] = set()  # keys as YAML read them (True, 1, None, dates, text)
        for parsed in entries:
            if parsed is None:
                return None
            raw_key, key, value = parsed
            if key in data or raw_key in resolved:
                return None  # the whole-document reader refuses or merges these keys
            resolved.add(raw_key)
            data[key] = value
        if not isinstance(data.get("id"), str):
            data.setdefault("id", _stem_of(display))
        return Version(data, body)

    def _parse_list(self, chunk: str) -> tuple[Any, str, Any] | None:
        """A long ``key:`` + block sequence entry, read item by item.

        A list of sessions grows by one item at a time: each item is read as
        ``key:`` followed by that item alone (the same context it has in the
        document) and cached by that text, so a new version costs its new items.
        None (read the entry whole) when the entry is not plainly that: a value
        or comment on the key's line, anchors or aliases (``&``, ``*``: an alias
        may point into another item), or an item that does not read as a
        one-item list of the same key."""
        cut = chunk.find("\n") + 1
        head = chunk[:cut]
        grown = self._grown(chunk, head)
        if grown is not None:
            return grown
        if not cut or not _LIST_HEAD.fullmatch(head) or "&" in chunk or "*" in chunk:
            return None
        rest = chunk[cut:]
        first = _FIRST_ITEM.match(rest)
        if first is None:
            return None
        found = self._read_items(head, rest, first.group(1), None, [])
        if found is None:
            return None
        self._lists[head] = (chunk, first.group(1), found[0], found[2])
        return found

    def _grown(self, chunk: str, head: str) -> Entry | None:
        """The list entry ``chunk`` when it is the last one read under the same
        ``key:`` line with items added at its end: only those are read.  (The
        items of the text already read start where they did and read as they
        did: what :meth:`_parse_list` would find, item by item.)  None: read it
        whole."""
        last = self._lists.get(head)
        if last is None:
            return None
        text, indent, raw_key, values = last
        if len(chunk) <= len(text) or not chunk.startswith(text):
            return None
        tail = chunk[len(text) :]
        if "&" in tail or "*" in tail or not _item_start(indent).match(tail):
            return None
        found = self._read_items(head, tail, indent, raw_key, list(values))
        if found is not None:
            self._lists[head] = (chunk, indent, found[0], found[2])
        return found

    def _read_items(
        self, head: str, rest: str, indent: str, raw_key: Any, values: list[Any]
    ) -> Entry | None:
        """Each item of ``rest`` (items indented by ``indent``) read as ``head`` plus
        that item, appended to ``values``; None when one is not a one-item list of
        the same key."""
        starts = [m.start() for m in _item_start(indent).finditer(rest)]
        if not starts or starts[0] != 0:
            return None
        for a, b in zip(starts, [*starts[1:], len(rest)], strict=True):
            item = head + rest[a:b]
            parsed = self._items.get(item, _UNSEEN)
            if parsed is _UNSEEN:
                parsed = self._items[item] = _parse_entry(item)
            if parsed is None or not isinstance(parsed[2], list) or len(parsed[2]) != 1:
                return None
            if raw_key is None:
                raw_key = parsed[0]
            elif parsed[0] != raw_key:
                return None
            values.append(parsed[2][0])
        return raw_key, head.split(":", 1)[0], values


def _stem_of(path: str) -> str:
    """The id a record at ``path`` without an ``id:`` line has: the file stem
    (:func:`sortext.check.load.stem_of`, not imported: see ``_accept_all``) made a
    slug as :func:`sortext.check.load.parse_record` makes it (``Ada Lovelace.md`` ->
    ``ada-lovelace-76740216``).  Memoized: a history asks for the same few thousands."""
    stem = _STEMS.get(path)
    if stem is None:
        if len(_STEMS) > 4096:  # (a long-running process: bounded)
            _STEMS.clear()
        stem = _STEMS[path] = implied_id(path)
    return stem


#: Stems by path (a history asks for the same few thousands of times).
_STEMS: dict[str, str] = {}


_UNSEEN: Any = object()
#: Entries longer than this that hold a block sequence are read item by item.
_LIST_MIN = 512
#: ``key:`` alone on its line (a plain key, nothing after the colon).
_LIST_HEAD = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*:\n")
#: The first line of the value: an item (``-`` then a space or the line's end).
_FIRST_ITEM = re.compile(r"( *)-(?= |\n|$)")
_ITEM_STARTS: dict[str, re.Pattern[str]] = {}


def _item_start(indent: str) -> re.Pattern[str]:
    """Lines that start an item of a block sequence indented by ``indent``."""
    found = _ITEM_STARTS.get(indent)
    if found is None:
        found = _ITEM_STARTS[indent] = re.compile(rf"^{indent}-(?= |$)", re.MULTILINE)
    return found


_BLOCK_SCALAR = Lazy(r"[:\-][ \t]+[|>]", re.MULTILINE)
#: A newline followed by a key's first character (a literal "\n" first: fast to scan).
_ENTRY_START = re.compile(r"\n(?=[^\s#\-\]}])")


def _top_level_entries(yaml_text: str) -> list[str] | None:
    """The front matter cut before each line that starts a top-level key
    (leading comments go with the first key); None when there is no key."""
    starts = [m.end() for m in _ENTRY_START.finditer(yaml_text)]
    first = yaml_text[:1]
    if first and not first.isspace() and first not in "#-]}":
        starts.insert(0, 0)
    if not starts:
        return None if yaml_text.strip() else []
    starts[0] = 0
    return [yaml_text[a:b] for a, b in zip(starts, [*starts[1:], len(yaml_text)], strict=True)]


def _parse_entry(chunk: str) -> tuple[Any, str, Any] | None:
    """One top-level ``key: value`` entry as (key as read, key as text, normalized
    value); None if it is not exactly that."""
    simple = simple_entry(chunk)
    if simple is not None:
        return simple
    return _parse_entry_yaml(chunk)


def _parse_entry_yaml(chunk: str) -> tuple[Any, str, Any] | None:
    """:func:`_parse_entry` through the shared YAML reader (every entry may go here)."""
    from sortext.record.diagnostics import Diagnostic
    from sortext.record.yamlread import load_fast

    if not chunk.strip() or (("|" in chunk or ">" in chunk) and _BLOCK_SCALAR().search(chunk)):
        return None  # block scalars end differently alone than inside the document
    loaded = load_fast(chunk)
    if isinstance(loaded, Diagnostic) or not isinstance(loaded, dict) or len(loaded) != 1:
        return None
    (raw_key,) = loaded
    ((key, value),) = _normalize_fast(loaded, chunk).items()
    return raw_key, key, value


# --- the common entries, read without the YAML reader ---------------------------------
#
# Most of what changes from one version to the next is one entry of a strict
# simple form: ``key: scalar``, ``key: {k: scalar, k: scalar}`` or ``key:`` and
# indented ``k: scalar`` lines, where each scalar is a plain word run that YAML
# can only read as its own text, an ISO date (a date, or text when impossible:
# either way the text, once normalized) or a decimal integer.  Those are read
# with a few regular expressions (~2 us, where the reader, its safety checks and
# the JSON normalization cost ~15 us); anything else at all, down to a trailing
# space or a comment, goes to the shared reader.  tests/test_versions.py holds
# the two to the same answers on generated entries.

#: A key YAML reads as this very text (no word a resolver turns into a value).
_SIMPLE_KEY = r"[A-Za-z_][A-Za-z0-9_-]*"
#: A scalar: plain text starting with a letter (block context: commas allowed),
#: an ISO date or a decimal integer.  No character that could start a comment,
#: end the scalar, or make it a tag, alias, anchor, quote or block scalar.
_BLOCK_SCALAR_TEXT = r"[^\W\d_][\w .,'&()/+-]*|[0-9]{4}-[0-9]{2}-[0-9]{2}|0|-?[1-9][0-9]{0,17}"
_FLOW_SCALAR_TEXT = r"[^\W\d_][\w .'&()/+-]*|[0-9]{4}-[0-9]{2}-[0-9]{2}|0|-?[1-9][0-9]{0,17}"
#: The three forms, each matched whole in one pass (the block form's items share
#: the first item's indentation).
_SIMPLE_LINE = re.compile(rf"({_SIMPLE_KEY}): ({_BLOCK_SCALAR_TEXT})\n")
_SIMPLE_FLOW = re.compile(
    rf"({_SIMPLE_KEY}): \{{({_SIMPLE_KEY}: (?:{_FLOW_SCALAR_TEXT})"
    rf"(?:, {_SIMPLE_KEY}: (?:{_FLOW_SCALAR_TEXT}))*)\}}\n"
)
_SIMPLE_BLOCK = re.compile(
    rf"({_SIMPLE_KEY}):\n( +)({_SIMPLE_KEY}: (?:{_BLOCK_SCALAR_TEXT})\n"
    rf"(?:\2{_SIMPLE_KEY}: (?:{_BLOCK_SCALAR_TEXT})\n)*)"
)
_SIMPLE_FLOW_ITEMS = (
    rf"{_SIMPLE_KEY}: (?:{_FLOW_SCALAR_TEXT})(?:, {_SIMPLE_KEY}: (?:{_FLOW_SCALAR_TEXT}))*"
)
#: A block sequence of flow mappings, one a line (``- {date: ..., kind: ...}``).
_SIMPLE_SEQUENCE = re.compile(
    rf"({_SIMPLE_KEY}):\n( *)- \{{{_SIMPLE_FLOW_ITEMS}\}}\n(?:\2- \{{{_SIMPLE_FLOW_ITEMS}\}}\n)*"
)
#: Words some YAML resolver reads as booleans or null (refused in any case).
_WORDS = frozenset({"true", "false", "null", "yes", "no", "on", "off", "y", "n"})


def _simple_scalar(text: str) -> str | int | None:
    """The normalized value of a scalar the patterns above matched (None: refused)."""
    first = text[0]
    if first.isdigit() or first == "-":
        return text if len(text) == 10 and text[4] == "-" else int(text)
    if text[-1] == " " or (len(text) <= 5 and text.lower() in _WORDS):
        return None
    return text


def simple_entry(chunk: str) -> tuple[str, str, Any] | None:
    """A top-level entry of the strict simple forms above, as :func:`_parse_entry`
    reads it; None (ask the YAML reader) for anything else, and for any text the
    reader would look at twice (what may be an anchor, a tag or a number some
    YAML parser reads otherwise, such as ``1_000``: it may refuse those)."""
    line = _SIMPLE_LINE.fullmatch(chunk)
    alone = ""  # the scalar of the one-line form
    items: list[str] | None = None  # the mapping's "k: v" items
    listed: list[str] | None = None  # the sequence's flow mappings, inside the braces
    if line is not None:
        key, alone = line[1], line[2]
    elif (flow := _SIMPLE_FLOW.fullmatch(chunk)) is not None:
        key = flow[1]
        items = flow[2].split(", ")  # (no comma in a flow scalar here)
    elif (block := _SIMPLE_BLOCK.fullmatch(chunk)) is not None:
        key, cut = block[1], len(block[2])
        items = [item[cut:] if i else item for i, item in enumerate(block[3].split("\n"))]
        items.pop()  # (after the last newline)
    elif (seq := _SIMPLE_SEQUENCE.fullmatch(chunk)) is not None:
        key, cut = seq[1], len(seq[2]) + 3  # the indentation and "- {"
        listed = [item[cut:-1] for item in chunk[seq.end(1) + 2 :].split("\n")]
        listed.pop()  # (after the last newline)
    else:
        return None
    if (len(key) <= 5 and key.lower() in _WORDS) or _NUMBER_HINT().search(chunk):
        return None
    if "&" in chunk and _MARKUP().search(chunk):  # (the only character of it allowed here)
        return None
    if listed is not None:
        values: list[Any] = []
        for inner in listed:
            mapping = _simple_mapping(inner.split(", "))
            if mapping is None:
                return None
            values.append(mapping)
        return key, key, values
    if items is None:
        value = _simple_scalar(alone)
        return None if value is None else (key, key, value)
    found = _simple_mapping(items)
    return None if found is None else (key, key, found)


def _simple_mapping(items: list[str]) -> dict[str, Any] | None:
    """The mapping of ``k: v`` items the patterns matched (None: refused)."""
    found: dict[str, Any] = {}
    for item in items:
        name, _, text = item.partition(": ")  # (no ": " in a key or a scalar here)
        scalar = _simple_scalar(text)
        if scalar is None or name in found or (len(name) <= 5 and name.lower() in _WORDS):
            return None
        found[name] = scalar
    return found


_ODD_KEY = Lazy(
    r"(?:^|[\s{,?-])(?:true|false|null|~|True|False|TRUE|FALSE|Null|NULL)[ \t]*:", re.MULTILINE
)


def _iso(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _normalize_fast(loaded: Any, chunk: str) -> Any:
    """Same result as ``validate.normalize`` through the C JSON codec (10x faster
    on long session lists); keys JSON would spell differently take the slow path."""
    low = chunk.lower()
    maybe_odd = "~" in low or "true" in low or "false" in low or "null" in low
    if not (maybe_odd and _ODD_KEY().search(chunk)):
        try:
            return json.loads(_ENCODER.encode(loaded))
        except (TypeError, ValueError):
            pass
    from sortext.record.values import normalize

    return normalize(loaded)


#: ``json.dumps(value, default=_iso)``, built once (one entry is read per version).
_ENCODER = json.JSONEncoder(default=_iso)


#: A top-level ``key:`` line as the cheap reader accepts it (anything else at
#: column 0 other than a comment or a compact ``-`` item makes it give up).
_TOP_KEY = Lazy(r"[A-Za-z_][A-Za-z0-9_-]*:(?= |$)")
#: A plain scalar that YAML can only read as this very text: starts with a
#: letter, no indicator that could end it (": ", " #") or make it something
#: else; the few words a resolver turns into booleans or null are refused below.
_PLAIN_TEXT = Lazy(r"[^\W\d_][\w .,'&()/+-]*")
_NOT_TEXT = frozenset({"true", "false", "null", "yes", "no", "on", "off", "y", "n"})
_OPENERS = {'"': '"', "'": "'", "[": "]", "{": "}"}


def plain_top_fields(raw: bytes, keys: tuple[str, ...]) -> dict[str, str] | None:
    """The values of top-level ``keys`` read from their lines, without a YAML parse.

    Reading a new record's name and stage this way costs microseconds where a
    full parse of a 10 KB record costs about a millisecond.  A key that is
    absent is left out; None (ask :func:`parse_version`) when any of them is
    not a one-line plain scalar that can only mean its text, is repeated, or
    the front matter is laid out in a way this line scan cannot follow
    (quoted or complex keys, multi-line quoted or flow values, CRLF, a BOM,
    conflicts...).  Wherever it answers for a record that parses, it agrees
    with the parser; it does not tell whether the rest of the record parses
    (only the front matter is decoded)."""
    if not raw.startswith(b"---\n"):
        return None
    fence = _FENCE.search(raw, 3)
    if fence is None or fence.start() > MAX_FRONT_MATTER_BYTES:
        return None  # unclosed, or a fence line with trailing text: let the parser say
    head = raw[4 : fence.start() + 1]
    if b"\r" in head or b"\x00" in head or b"\n<<<<<<<" in head:
        return None
    try:
        yaml_text = head.decode("utf-8")
    except UnicodeDecodeError:
        return None
    wanted = set(keys)
    found: dict[str, str] = {}
    text = "\n" + yaml_text  # every line, the first too, follows a newline
    top_key, plain_text, next_line = _TOP_KEY(), _PLAIN_TEXT(), _NEXT_LINE()
    for line in _COLUMN_ZERO().finditer(text):
        key = top_key.match(line.group(1))
        if key is None:
            return None
        name = key.group()[:-1]
        value = line.group(1)[key.end() :].strip(" ")
        closer = _OPENERS.get(value[:1])
        if closer is not None and not value.endswith(closer):
            return None  # may go on over the next lines, where a "key:" line is not a key
        if name not in wanted:
            continue
        if name in found or not plain_text.fullmatch(value) or value.lower() in _NOT_TEXT:
            return None
        following = next_line.match(text, line.end() + 1)
        first = following.group(1) if following is not None else ""
        if first and (first.isspace() or first == "-"):
            return None  # indented: a continuation of the value (or not YAML)
        found[name] = value
    return found


#: The first line closing the front matter; it must be ``---`` or ``...`` alone.
_FENCE = re.compile(rb"\n(?:---|\.\.\.)(?=\n|$)")
#: Lines starting at column 0 other than comments and compact ``-`` list items.
_COLUMN_ZERO = Lazy(r"\n([^ #\-\n][^\n]*)")  # "\n" first: a fast literal scan
#: The first character of the next line that is not blank (spaces and tabs).
_NEXT_LINE = Lazy(r"(?:[ \t]*\n)*(.?)")
