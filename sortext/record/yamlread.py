"""One YAML meaning everywhere: YAML 1.2 core schema, no aliases, no duplicates.

The fast read path is ``yaml_rs`` (a Rust YAML 1.2 parser, ~13x faster than
PyYAML's C loader); writes go through ruamel.yaml's round-trip loader
(:func:`load_round_trip`), which keeps comments and layout.  The two agree on
every value a record may hold: ``no``/``on``/``yes`` are text, ``012`` is the
number 12, ISO dates are dates, impossible dates stay text (the schema then
reports them).  Where YAML readers disagree (``1_000``, ``0b101``, ``.9e6``,
tags, aliases) both paths refuse the text with the same message: see README
"YAML rules".  When the fast path fails, :mod:`sortext.record.positions` re-reads
the text with ruamel.yaml to point at the exact line and column.
"""

from __future__ import annotations

import re
from typing import Any

from sortext.lazyre import Lazy, LazyAll
from sortext.record.diagnostics import Diagnostic, problem

MAX_NESTING = 24

#: What a refusal says the text is when the caller does not name a file: a record's
#: front matter (or a value written into one).
RECORD = "a record"

_POSITION = Lazy(r"at line (\d+), column (\d+)")
_BRACKET = Lazy(r"[\[\]{}]")


def flow_nesting_too_deep(text: str, limit: int = MAX_NESTING) -> tuple[int, int] | None:
    """Position of the first ``[``/``{`` nested deeper than ``limit``, if any.

    Runs before any parser so hostile input (10,000 nested brackets) never
    reaches a recursive parser.  Quotes are ignored: a false alarm needs
    ``limit`` unbalanced brackets inside strings.
    """
    if text.count("[") + text.count("{") <= limit:
        return None
    if _nesting_bound(text) <= limit:
        return None
    depth = 0
    for match in _BRACKET().finditer(text):  # visit brackets only, not every character
        if match.group() in "[{":
            depth += 1
            if depth > limit:
                pos = match.start()
                return text.count("\n", 0, pos) + 1, pos - text.rfind("\n", 0, pos)
        elif depth:
            depth -= 1
    return None


def _nesting_bound(text: str) -> int:
    """An upper bound of the bracket depth :func:`flow_nesting_too_deep` measures.

    Removing an adjacent opener-closer pair changes no other bracket's depth,
    and each round of removals lowers the deepest point by at most one, so the
    depth is at most the rounds plus the openers left.  Ordinary texts
    (``[a, b]``, ``{id: 1}`` lists) are empty after a round or two.
    """
    # The brackets alone, "{" as "[" and "}" as "]": one bytes.translate deleting every
    # other byte (no UTF-8 byte of another character is a bracket).
    brackets = text.encode("utf-8", "surrogatepass").translate(_BRACKETS, _NOT_BRACKETS)
    rounds = 0
    while b"[]" in brackets and rounds < 8:
        brackets = brackets.replace(b"[]", b"")
        rounds += 1
    return rounds + brackets.count(b"[")


_BRACKETS = bytes.maketrans(b"{}", b"[]")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


_DEEP_LINES: dict[int, re.Pattern[str]] = {}


def _deep_line(deep: int) -> re.Pattern[str]:
    """A line starting with more than ``deep`` spaces and dashes (compiled once)."""
    found = _DEEP_LINES.get(deep)
    if found is None:
        found = _DEEP_LINES[deep] = re.compile(f"\n[ -]{{{deep + 1}}}")
    return found


def block_nesting_too_deep(text: str, limit: int = MAX_NESTING) -> tuple[int, int] | None:
    """Position of a line indented past ``limit`` levels (two spaces a level)."""
    deep = limit * 4
    if len(text) - len(text.lstrip(" -")) <= deep and not _deep_line(deep).search(text):
        return None  # no line starts with that many spaces and dashes
    for number, line in enumerate(text.split("\n"), 1):
        stripped = line.lstrip(" -")
        indent = len(line) - len(stripped)
        if indent > limit * 4 and stripped and not stripped.startswith("#"):
            return number, indent + 1
    return None


# Characters YAML 1.2 does not allow in a document (outside c-printable): C0
# controls but tab, newline and carriage return, DEL, and C1 controls but NEL.
# yaml_rs accepts some of them raw where ruamel.yaml refuses; both paths refuse.
_RAW_CONTROL = Lazy("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f]")


# _RAW_CONTROL's ASCII characters, for one bytes.translate that deletes them: a text of
# ASCII only whose length it keeps has none (~1 us, where the search takes ~15 us).
_ASCII_CONTROLS = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])


def _may_hold_control(text: str) -> bool:
    """False only when ``_RAW_CONTROL().search(text)`` finds nothing."""
    if not text.isascii():
        return True
    raw = text.encode("ascii")
    return len(raw.translate(None, _ASCII_CONTROLS)) != len(raw)


def _guard(
    text: str, scan_always: bool, rare: bool | None = None, what: str = RECORD
) -> tuple[Diagnostic | None, bool]:
    """The checks both read paths share: nesting, then the YAML features we refuse.

    Also says whether ruamel.yaml failed to parse the text while scanning it;
    if the fast parser then accepts it, the two readers disagree.  ``rare``:
    :func:`_holds_rare` of ``text`` when the caller has it.
    """
    raw = _RAW_CONTROL().search(text) if _may_hold_control(text) else None
    if raw is not None:
        pos = raw.start()
        return (
            problem(
                f"control character U+{ord(raw.group()):04X} written into the file; YAML "
                "does not allow it (ruamel.yaml refuses it): remove it",
                text.count("\n", 0, pos) + 1,
                pos - text.rfind("\n", 0, pos),
            ),
            False,
        )
    deep = flow_nesting_too_deep(text) or block_nesting_too_deep(text)
    if deep is not None:
        return (
            problem(f"nesting deeper than {MAX_NESTING} levels; a record never needs this", *deep),
            False,
        )
    if scan_always:
        return scan_features(text, what)
    rare = _holds_rare(text) if rare is None else rare
    # ("<" first: one character is a memchr, two a slower search of the whole text)
    if _markup_in(text, rare) or _number_hint_in(text) or ("<" in text and "<<" in text):
        return scan_features(text, what)
    return None, False


def load_fast(text: str, what: str = RECORD) -> Any | Diagnostic:
    """Parse YAML text to plain Python values, or describe why it cannot be read.

    ``what``: what the text is, as a refusal names it ("anchors ... are not allowed
    in {what}"): :data:`RECORD` (a record's front matter, a value for one) or a
    file's name such as ``"sortext.yaml"``."""
    return _load(text, dates=True, what=what)[0]


def load_data(text: str) -> Any | Diagnostic:
    """``normalize(load_fast(text))``: JSON-compatible data, or the same Diagnostic.

    What a record's front matter is read with.  Cheaper on ordinary records (the
    same values, held to the slow path by tests/test_load_data.py): a date is read
    as the text it is written as (what :func:`normalize` makes of it) unless the text
    may hold a timestamp with a time of day (:data:`_TIMESTAMP`), and then nothing
    is copied unless a key is not text (:func:`_text_keys`).
    """
    from sortext.record.values import normalize

    value, dated = _load(text, dates=_TIMESTAMP().search(text) is not None)
    if isinstance(value, Diagnostic):
        return value
    if dated or not _text_keys(value):
        return normalize(value)
    return value


def _text_keys(value: Any) -> bool:
    """True when every mapping key in ``value`` (read without dates) is text: then
    :func:`normalize` would return an equal copy.

    orjson answers first when it is installed (~6 us for a realistic record, where the
    walk takes ~40): it raises TypeError on a key whose type is not exactly ``str`` in
    any mapping it writes, and it writes every mapping :func:`_text_keys_walk` visits,
    so success means the walk would say True; anything it refuses (such a key, an
    integer past 64 bits, a lone surrogate, deep nesting) gets the walk's answer."""
    try:
        import orjson
    except ImportError:  # pragma: no cover - a dependency, but the walk needs nothing
        return _text_keys_walk(value)
    try:
        orjson.dumps(value)
    except TypeError:  # orjson.JSONEncodeError
        return _text_keys_walk(value)
    return True


def _text_keys_walk(value: Any) -> bool:
    """:func:`_text_keys` by a walk that builds nothing (~40 us for a realistic record,
    half of what normalizing costs)."""
    stack = [value]
    while stack:
        found = stack.pop()
        if type(found) is dict:
            for key, item in found.items():
                if type(key) is not str:
                    return False
                kind = type(item)
                if kind is dict or kind is list:
                    stack.append(item)
        elif type(found) is list:
            for item in found:
                kind = type(item)
                if kind is dict or kind is list:
                    stack.append(item)
    return True


# Where yaml_rs may read a timestamp (a date with a time of day): a date followed by
# anything but spaces up to a line end, a flow separator, a comment or the end.  A plain date
# alone is read as the date whose isoformat() is its own text: no need to parse it.  A line
# end followed by (spaces and) a digit counts as "anything": a plain scalar folds over lines,
# and "when: 2026-11-30" then an indented "10:00" is the timestamp "2026-11-30 10:00".
# ("\r\n" is one line end: "\r" alone must not count as a line end before "\n".)
_TIMESTAMP = Lazy(
    r"-(?<=[0-9]-)[0-9]{1,2}-[0-9]{1,2}(?![0-9])"
    r"(?![ \t]*(?:(?:\r\n|\r(?!\n)|\n)(?![ \t]*[0-9])|[,\]}]|\Z)|[ \t]+#)"
)


def _load(text: str, dates: bool, what: str = RECORD) -> tuple[Any | Diagnostic, bool]:
    """:func:`load_fast`'s work, reading dates and timestamps only when ``dates``;
    also says whether the value returned may hold them."""
    import yaml_rs

    rare = _holds_rare(text)
    refused, unparsed = _guard(text, scan_always=False, rare=rare, what=what)
    if refused is not None:
        return refused, False
    try:
        value = yaml_rs.loads(
            text,
            parse_datetime=dates,
            alias_limits=yaml_rs.AliasLimits(max_total_replayed_events=0),
        )
    except TypeError:  # a key yaml_rs cannot make a dict key (a mapping, a list in it)
        return _unhashable_key(text), False
    except (yaml_rs.YAMLDecodeError, RecursionError, ValueError, OverflowError) as exc:
        if not dates:  # read as load_fast reads it (a date key and its quoted text
            return _load(text, dates=True, what=what)  # are two keys there): the same refusal
        if isinstance(exc, yaml_rs.YAMLDecodeError):
            return _describe_decode_error(text, str(exc)), False
        return problem(f"cannot read YAML: {exc}", 1, 1), False
    marker = (
        _DOCUMENT_MARKER().search(text)
        if "\n---" in text or "\n..." in text or text.startswith(("---", "..."))
        else None
    )
    if marker is not None:
        line = text.count("\n", 0, marker.start()) + 1
        return problem(
            "a second YAML document ('---' or '...') inside the fields; remove that line",
            line,
            1,
        ), False
    if unparsed or _flow_indicator_in(text, rare) or _odd_block_scalar(text):
        if not dates:  # ruamel.yaml reads dates: compare like with like
            return _load(text, dates=True, what=what)
        return _double_check(text, value), True
    return value, dates


# Where a complex key starts: an explicit "?" key, or a flow collection as a key.
_COMPLEX_KEY = Lazy(r"(?:^|[\s,\[{])(\?)(?=[ \t\n\[{]|\Z)|^[ \t]*(?:-[ \t]+)*([\[{])", re.M)


def _unhashable_key(text: str) -> Diagnostic:
    """The refusal of a key that is a mapping or holds a list (yaml_rs raises
    ``TypeError`` building such a dict), at the first complex key's position (1:1
    when none is found by its shape)."""
    found = _COMPLEX_KEY().search(text)
    line, column = 1, 1
    if found is not None:
        pos = found.start(1) if found.group(1) is not None else found.start(2)
        line = text.count("\n", 0, pos) + 1
        column = pos - text.rfind("\n", 0, pos)
    return problem("a key must be plain text, not a list or mapping", line, column)


# A document marker alone on a line: front matter is one YAML document.
_DOCUMENT_MARKER = Lazy(r"^(?:---|\.\.\.)(?:[ \t]|$)", re.MULTILINE)

# Texts where yaml_rs and ruamel.yaml are known to differ: a flow item that
# starts with an indicator character ([>x], [?]), "x:" right before a flow
# separator, explicit "?" keys, tabs inside values, "|" or ">" followed by
# text on the same line (not a block header), JSON-like '"a":b', an empty
# block scalar or one inside a flow collection.  (Written like _MARKUP below.)
# Plain form: [\[{,\n][ \t]*[>|%@`?:]|:[,\]}]|\t|(?:^|\s)\?|[\"']:\S
#             |[:-][ \t]+(?:[>|][-+0-9]*[ \t]*[^\s#]|[%@`])
_FLOW_INDICATOR = Lazy(
    r"\[[ \t]*[>|%@`?:]|\{[ \t]*[>|%@`?:]|,[ \t]*[>|%@`?:]|\n[ \t]*[>|%@`?:]"
    r"|:(?:[,\]}]|[ \t]+(?:[>|][-+0-9]*[ \t]*[^\s#]|[%@`]))"
    r"|-[ \t]+(?:[>|][-+0-9]*[ \t]*[^\s#]|[%@`])"
    r"|\t|\?(?<!\S\?)|\":\S|':\S"
)
_BLOCK_HEADER = Lazy(r"(?:^|[ \t])[|>][-+1-9]{0,2}[ \t]*(?:#[^\n]*)?$", re.MULTILINE)


def _odd_block_scalar(text: str) -> bool:
    """A block scalar the two readers may read differently: empty, starting with
    a blank line, or written inside a flow collection."""
    if "|" not in text and ">" not in text:
        return False
    for match in _BLOCK_HEADER().finditer(text):
        start = text.rfind("\n", 0, match.start()) + 1
        header = text[start : match.start()]
        if "[" in header or "{" in header:
            return True
        indent = len(header) - len(header.lstrip(" -"))
        pos = match.end() + 1
        first = True
        while pos < len(text):
            end = text.find("\n", pos)
            line = text[pos:] if end == -1 else text[pos:end]
            if line.strip():
                if len(line) - len(line.lstrip(" ")) <= indent:
                    return True  # no content: an empty block scalar
                break
            if first and line:
                return True  # a first line of only spaces
            first = False
            pos = len(text) if end == -1 else end + 1
        else:
            return True
    return False


def meaning(value: Any) -> Any:
    """A value reduced to what it means (type class and content), for comparisons."""
    import datetime as dt
    import math

    if isinstance(value, dict):
        return {_key(k): meaning(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [meaning(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return ("int", int(value))
    if isinstance(value, float):
        return ("float", "nan" if math.isnan(value) else float(value))
    if isinstance(value, dt.date):
        return ("date", value.isoformat())
    if isinstance(value, str):
        return ("str", str(value))
    return ("other", type(value).__name__, repr(value))


def _key(key: Any) -> str:
    from sortext.record.values import key_text

    return key_text(key)


def _double_check(text: str, fast: Any) -> Any | Diagnostic:
    """Read ``text`` with ruamel.yaml too; refuse it where the readers disagree."""
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        slow = round_trip_yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        return problem(
            f"invalid YAML: {exc.problem or exc.context} (quote the value to keep it as text)",
            line,
            col,
        )
    except (YAMLError, RecursionError, ValueError, OverflowError) as exc:
        return problem(f"cannot read YAML: {exc}", 1, 1)
    except NotImplementedError as exc:  # ruamel.yaml: "overlap in comment"
        return _unplaced_comment(exc)
    path = _first_difference(meaning(fast), meaning(slow), ())
    if path is None:
        return fast
    from sortext.record.positions import build_position_map, format_path

    line, col = build_position_map(text).value(path)
    return problem(
        "YAML readers disagree on this value; quote it (or write a block of text "
        "with content) so it means one thing",
        line,
        col,
        format_path(path),
    )


def _first_difference(a: Any, b: Any, path: tuple[str | int, ...]) -> Any:
    if isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys():
        for key in a:
            found = _first_difference(a[key], b[key], (*path, key))
            if found is not None:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            found = _first_difference(x, y, (*path, index))
            if found is not None:
                return found
        return None
    return None if a == b else path


def round_trip_yaml() -> Any:
    """A ruamel.yaml round-trip reader/writer that means what :func:`load_fast` means.

    YAML 1.2 (ruamel's default), and an impossible date such as 2026-02-30
    stays text (ruamel would raise) so the schema can report it.
    """
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.Constructor = _round_trip_constructor()
    return yaml


def load_round_trip(text: str) -> Any | Diagnostic:
    """Parse with ruamel.yaml's round-trip loader (keeps comments and layout for writes).

    Applies exactly the refusals of :func:`load_fast` (and its stricter
    syntax: ruamel accepts a few texts YAML 1.2 forbids, such as ``[-]``), so
    a text is either refused by both paths or read to the same values by both.
    """
    from ruamel.yaml.constructor import DuplicateKeyError
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    refused, _ = _guard(text, scan_always=True)
    if refused is not None:
        return refused
    fast = load_fast(text)  # the strict YAML 1.2 parser is the judge of syntax
    if isinstance(fast, Diagnostic):
        return fast
    try:
        return round_trip_yaml().load(text)
    except DuplicateKeyError:
        return find_duplicate_key(text) or problem("duplicate key", 1, 1)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        return problem(f"invalid YAML: {exc.problem or exc.context}", line, col)
    except (YAMLError, RecursionError, ValueError, OverflowError) as exc:
        return problem(f"cannot read YAML: {exc}", 1, 1)
    except NotImplementedError as exc:  # ruamel.yaml: "overlap in comment"
        return _unplaced_comment(exc)


# Where ruamel.yaml's "overlap in comment" names its first comment (0-based).
_COMMENT_AT = Lazy(r"line: (\d+), col: (\d+)")


def _unplaced_comment(exc: NotImplementedError) -> Diagnostic:
    """The problem for a comment ruamel.yaml's round-trip reader cannot keep (it raises
    NotImplementedError for a comment after a key whose value starts on a later line,
    followed by a blank line): placed at that comment when the message names it."""
    found = _COMMENT_AT().search(str(exc))
    line, col = (int(found[1]) + 1, int(found[2]) + 1) if found else (1, 1)
    return problem(
        "a comment here cannot be kept when sortext writes this record; "
        "move it onto a line of its own",
        line,
        col,
    )


_CONSTRUCTOR: Any = None


def _round_trip_constructor() -> Any:
    global _CONSTRUCTOR
    if _CONSTRUCTOR is None:
        from ruamel.yaml.constructor import RoundTripConstructor

        class SortextConstructor(RoundTripConstructor):
            """Round-trip constructor keeping impossible dates and '=' as text."""

            def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
                try:
                    return super().construct_yaml_timestamp(node, values)
                except ValueError:
                    return self.construct_scalar(node)

        SortextConstructor.add_constructor(
            "tag:yaml.org,2002:timestamp", SortextConstructor.construct_yaml_timestamp
        )
        # YAML 1.1's "value key" '=' is plain text in YAML 1.2 (and in yaml_rs).
        SortextConstructor.add_constructor(
            "tag:yaml.org,2002:value", SortextConstructor.construct_yaml_str
        )
        _CONSTRUCTOR = SortextConstructor
    return _CONSTRUCTOR


def _describe_decode_error(text: str, message: str) -> Diagnostic:
    if message.startswith("duplicate mapping key"):
        found = find_duplicate_key(text)
        if found is not None:
            return found
        return problem(message, 1, 1)
    match = _POSITION().search(message)
    reason = message.strip().splitlines()[-1].strip() if message.strip() else message
    if match is None:
        return problem(f"invalid YAML: {reason}", 1, 1)
    line, col = int(match.group(1)), int(match.group(2))
    lines = text.split("\n")
    source = lines[line - 1] if 0 < line <= len(lines) else ""
    indent = source[: len(source) - len(source.lstrip())]
    if "\t" in indent or "tab" in reason:
        column = indent.index("\t") + 1 if "\t" in indent else col
        return problem("tab character in indentation: YAML indents with spaces only", line, column)
    return problem(f"invalid YAML: {reason}", line, col)


# These scans run over every record, so each alternative below starts with one
# literal character: ``re`` then jumps from candidate to candidate instead of
# trying the whole pattern at every position (about 10x faster on a 5 KB front
# matter).  What precedes that character is checked with a lookbehind; a
# two-character negative lookbehind such as ``(?<!\S\?)`` also succeeds at the
# start of the text.  tests/test_yaml_scan.py checks each pattern finds a match
# exactly when the plain form given in its comment does.

# Anchors (&a), aliases (*a) and tags (!x) start right after a space, a line
# start or a flow indicator.  A match only means "look closer".
# Keys that may be a list or mapping: "]:" / "}:", "? ", or inside a flow mapping.
# Plain form: (?:^|[\s\[\]{},:])(?:[&*][^\s\[\]{},]|!)
#             |[\]}][ \t]*:|[{,][ \t]*[\[{]|(?:^|\s)\?\s
_MARKUP = Lazy(
    r"&(?<![^\s\[\]{},:]&)[^\s\[\]{},]|\*(?<![^\s\[\]{},:]\*)[^\s\[\]{},]|!(?<![^\s\[\]{},:]!)"
    r"|\][ \t]*:|\}[ \t]*:|\{[ \t]*[\[{]|,[ \t]*[\[{]|\?(?<!\S\?)\s"
)
# Every plain scalar some YAML parser reads as a number outside NUMBER contains
# one of these (underscores, radix prefixes, exponents).
# Plain form: [0-9._+-]_|_[0-9.]|0[xXbBoO]|[0-9]\.?[eE][-+]?[0-9]|\.(?:inf|Inf|INF|nan|NaN|NAN)
_NUMBER_HINT = Lazy(
    r"_(?<=[0-9._+-]_)|_[0-9.]|0[xXbBoO]"
    r"|e(?:(?<=[0-9]e)|(?<=[0-9]\.e))[-+]?[0-9]|E(?:(?<=[0-9]E)|(?<=[0-9]\.E))[-+]?[0-9]"
    r"|\.(?:inf|Inf|INF|nan|NaN|NAN)"
)


# _MARKUP, _NUMBER_HINT and _FLOW_INDICATOR decided faster on an ordinary record (issue
# 15; tests/test_yaml_scan.py holds each decision equal to its plain form's).  Two
# things make a search over a ~5 KB front matter cost: ``re`` tries a pattern of many
# alternatives at every candidate of any of them (a comma, a colon, a line end, an
# "e"), where a pattern that starts with one literal jumps from one occurrence of it
# to the next with a fast scan (the alternatives searched one by one cost ~half the
# one search); and most alternatives need a character records seldom hold, which one
# bytes.translate finds or rules out for them all at once (_holds_rare).
_RARE = b">|%`?\t\"'&*!"
_NOT_RARE = bytes(b for b in range(256) if b not in _RARE)
# _MARKUP's alternatives that need none of _RARE.
_MARKUP_PLAIN = LazyAll((r"\][ \t]*:", r"\}[ \t]*:", r"\{[ \t]*[\[{]", r",[ \t]*[\[{]"))
# _NUMBER_HINT's alternatives, one literal first each.  The exponent's: every "e" of
# the text is a candidate, and most are followed by a letter, so what follows is
# looked at (a lookahead) before the two lookbehinds: the same candidates match.
_NUMBER_HINTS = LazyAll(
    (
        r"_(?:(?<=[0-9._+-]_)|[0-9.])",
        r"0[xXbBoO]",
        r"e(?=[-+]?[0-9])(?:(?<=[0-9]e)|(?<=[0-9]\.e))",
        r"E(?=[-+]?[0-9])(?:(?<=[0-9]E)|(?<=[0-9]\.E))",
        r"\.(?:inf|Inf|INF|nan|NaN|NAN)",
    )
)
# _FLOW_INDICATOR's alternatives that need none of _RARE, "@" aside (see _at_indicated).
_FLOW_PLAIN = LazyAll((r"\[[ \t]*:", r"\{[ \t]*:", r",[ \t]*:", r"\n[ \t]*:", r":[,\]}]"))


def _holds_rare(text: str) -> bool:
    """True when ``text`` holds one of the characters of :data:`_RARE` (no UTF-8 byte of
    another character is an ASCII one)."""
    return bool(text.encode("utf-8", "surrogatepass").translate(None, _NOT_RARE))


def _markup_in(text: str, rare: bool) -> bool:
    """``_MARKUP.search(text) is not None`` (``rare``: :func:`_holds_rare` of ``text``)."""
    if rare:
        return _MARKUP().search(text) is not None
    return any(pattern.search(text) is not None for pattern in _MARKUP_PLAIN())


def _number_hint_in(text: str) -> bool:
    """``_NUMBER_HINT().search(text) is not None``."""
    return any(pattern.search(text) is not None for pattern in _NUMBER_HINTS())


def _flow_indicator_in(text: str, rare: bool) -> bool:
    """``_FLOW_INDICATOR.search(text) is not None`` (``rare``: :func:`_holds_rare`)."""
    if rare:
        return _FLOW_INDICATOR().search(text) is not None
    if "@" in text and _at_indicated(text):
        return True
    return any(pattern.search(text) is not None for pattern in _FLOW_PLAIN())


def _at_indicated(text: str) -> bool:
    """An "@" that _FLOW_INDICATOR matches: after ``[``, ``{``, ``,`` or a line end and
    spaces or tabs, or after ``:`` or ``-`` and at least one of them.  (An "@" is in
    every e-mail address, at most a few a record: each is looked at in Python.)"""
    at = text.find("@")
    while at != -1:
        start = at
        while start and text[start - 1] in " \t":
            start -= 1
        if start:
            before = text[start - 1]
            if before in "[{,\n" or (before in ":-" and start < at):
                return True
        at = text.find("@", at + 1)
    return False


_NOT_JSON = Lazy(r"[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)")
# The numbers sortext accepts unquoted (both parsers read them alike).
NUMBER = Lazy(
    r"[-+]?[0-9]+"
    r"|[-+]?[0-9]+\.[0-9]*(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.[0-9]+"
    r"|[-+]?[0-9]+[eE][-+]?[0-9]+"
    r"|0o[0-7]+|0x[0-9a-fA-F]+"
)


def refused_feature(text: str, what: str = RECORD) -> Diagnostic | None:
    """The first anchor, alias, tag, complex key or ambiguous number in ``text``."""
    return scan_features(text, what)[0]


def scan_features(text: str, what: str = RECORD) -> tuple[Diagnostic | None, bool]:
    """The first refused feature in ``text``, and whether ruamel.yaml failed to parse it.

    ``what`` names what the text is in a refusal (see :func:`load_fast`).

    Aliases make one value appear in several places (and power the "billion
    laughs" attack); tags (``!!str``, ``!!binary``, ``!!set``) make values
    no JSON tool can hold; numbers such as ``1_000``, ``0b101``, ``0X1F`` or
    ``.9e6`` are read differently by different YAML parsers.  A record needs
    none of them; neither does a key that is itself a list or a mapping.
    Syntax errors are left to the caller.
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError
    from ruamel.yaml.events import (
        AliasEvent,
        CollectionEndEvent,
        CollectionStartEvent,
        MappingStartEvent,
        NodeEvent,
        ScalarEvent,
    )

    # Per open collection: is it a mapping, and how many nodes it holds so far.
    open_nodes: list[list[Any]] = []
    try:
        for event in YAML(typ="rt").parse(text):
            mark = event.start_mark
            where = (mark.line + 1, mark.column + 1)
            if isinstance(event, CollectionEndEvent):
                open_nodes.pop()
                continue
            if isinstance(event, NodeEvent) and open_nodes:
                parent = open_nodes[-1]
                is_key = parent[0] and parent[1] % 2 == 0
                parent[1] += 1
                if is_key and isinstance(event, CollectionStartEvent):
                    return _refuse("a key must be plain text, not a list or mapping", *where)
            if isinstance(event, CollectionStartEvent):
                open_nodes.append([isinstance(event, MappingStartEvent), 0])
            if isinstance(event, AliasEvent) or getattr(event, "anchor", None) is not None:
                return _refuse(
                    f"anchors and aliases (&name / *name) are not allowed in {what}; "
                    "write the value out",
                    *where,
                )
            if getattr(event, "tag", None) is not None:
                tag = str(event.tag).replace("tag:yaml.org,2002:", "!!")
                return _refuse(
                    f"YAML tags ({tag}) are not allowed in {what}; "
                    "write the plain value (quote it to keep it as text)",
                    *where,
                )
            if isinstance(event, ScalarEvent) and event.style is None and event.value == "<<":
                return _refuse(
                    f"merge keys (<<) are not allowed in {what}; write the fields out",
                    *where,
                )
            if (
                isinstance(event, ScalarEvent)
                and event.style is None
                and _NOT_JSON().fullmatch(event.value)
            ):
                return _refuse(
                    f"'{event.value}' (infinity / not-a-number) cannot be stored or compared; "
                    "write a real number",
                    *where,
                )
            if (
                isinstance(event, ScalarEvent)
                and event.style is None
                and not NUMBER().fullmatch(event.value)
                and _read_as_number(event.value)
            ):
                return _refuse(
                    f"'{event.value}' is not a plain number and YAML readers disagree "
                    "on it: write digits only (like 1000 or 12.5), "
                    "or put it in quotes to keep it as text",
                    *where,
                )
    except (YAMLError, NotImplementedError):  # ruamel.yaml: "overlap in comment"
        return None, True
    return None, False


def _refuse(message: str, line: int, column: int) -> tuple[Diagnostic, bool]:
    return problem(message, line, column), False


def _read_as_number(value: str) -> bool:
    """Would either YAML reader take this plain scalar for a number?"""
    if not _NUMBER_HINT().search(value):
        return False
    from ruamel.yaml.nodes import ScalarNode
    from ruamel.yaml.resolver import VersionedResolver

    tag = str(VersionedResolver(version=(1, 2)).resolve(ScalarNode, value, (True, False)))
    if tag.endswith((":int", ":float")):
        return True
    import yaml_rs

    try:
        fast = yaml_rs.loads(f"v: {value}\n")
    except Exception:
        return True
    found = fast.get("v") if isinstance(fast, dict) else None
    return isinstance(found, int | float) and not isinstance(found, bool)


def find_duplicate_key(text: str) -> Diagnostic | None:
    """The first key that appears twice in one mapping, pointing at the repeat."""
    from ruamel.yaml.error import YAMLError

    from sortext.record.positions import Path, _compose, format_path

    try:
        root = _compose(text)
    except (YAMLError, RecursionError, NotImplementedError):
        return None
    stack: list[tuple[Any, Path]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if node is None:
            continue
        if node.id == "mapping":
            seen: dict[str, int] = {}
            meant: dict[Any, tuple[str, int]] = {}
            for key_node, value_node in node.value:
                key = str(key_node.value)
                same = _key_meaning(key_node)
                if key not in seen and same in meant:
                    # Different texts, one meaning to a Python reader: 1, 1.0 and true
                    # (0 and false) are equal keys once read, so one would be lost.
                    other, line = meant[same]
                    return problem(
                        f"key '{key}' is read as the same key as '{other}' (line {line}); "
                        f"quote the keys ('{key}': ...) to keep both as text",
                        key_node.start_mark.line + 1,
                        key_node.start_mark.column + 1,
                        format_path((*path, key)),
                    ).replaced(related_line=line)
                meant.setdefault(same, (key, key_node.start_mark.line + 1))
                if key in seen:
                    dotted = format_path((*path, key))
                    return problem(
                        f"duplicate key '{key}' (first written on line {seen[key]}); "
                        "YAML keeps only one of them, so remove or rename one",
                        key_node.start_mark.line + 1,
                        key_node.start_mark.column + 1,
                        dotted,
                    ).replaced(related_line=seen[key])
                seen[key] = key_node.start_mark.line + 1
                stack.append((value_node, (*path, key)))
        elif node.id == "sequence":
            stack.extend((item, (*path, i)) for i, item in enumerate(node.value))
    return None


def _key_meaning(key_node: Any) -> Any:
    """What a Python reader makes of a mapping key node (plain scalars resolved
    as YAML 1.2 core: ``1``, ``1.0`` and ``true`` compare equal)."""
    value = key_node.value
    if key_node.id != "scalar" or not isinstance(value, str) or key_node.style is not None:
        return ("text", str(value))
    tag = str(key_node.tag)
    if tag.endswith(":bool"):
        return value.lower() == "true"
    if tag.endswith((":int", ":float")):
        try:
            number = float(value)
        except ValueError:
            return ("text", value)
        return int(number) if number.is_integer() else number
    return ("text", value)
