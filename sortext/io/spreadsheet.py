"""Read spreadsheet and form exports as rows of ``{column: text}``.

CSV and TSV (any dialect Excel, Google Sheets, HubSpot, Pipedrive, Typeform
or Tally write: the delimiter is sniffed with :class:`csv.Sniffer`, or taken
from Excel's ``sep=`` line or the map; a UTF-8 BOM is accepted) and JSON (a
list of objects, a list under a key such as ``items``, and Tally-style
``fields: [{label, value}]`` lists).
Nested JSON values are reachable by dotted column names (``answers.email``).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sortext.errors import UsageError
from sortext.files.bytepos import line_column
from sortext.io.formula import restore
from sortext.rules.wording import count


@dataclass(frozen=True, slots=True)
class Row:
    """One response or spreadsheet row; ``number`` is 1-based (CSV: the row's first line).

    ``path`` is the file it was read from (``""``: not known), ``line`` the 1-based
    line its record starts on (0: not known, as in JSON), ``cells`` maps a column to the
    ``(line, column)`` where its cell starts in the file (1-based; a quoted cell
    at its opening quote; column in characters).
    """

    number: int
    values: dict[str, Any]
    path: str = ""
    line: int = 0
    cells: dict[str, tuple[int, int]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Table:
    """The rows of an export and how they were read.

    ``dialect`` says it in words for the plan, e.g. ``"CSV, delimiter ';'
    (from the sep= line), encoding utf-8"``.
    """

    rows: list[Row]
    dialect: str
    columns: tuple[str, ...] = ()  # the header (CSV) or every key of the responses (JSON)


#: What :func:`trim` takes off a cell's ends: every character ``str.strip`` takes
#: but the control characters among them (VT, FF, the C0 separators U+001C-U+001F,
#: NEL U+0085): those a record cannot hold, so a cell holding one is refused
#: (:func:`sortext.io.fieldmap.cell_text`), never trimmed to blank.
BLANKS = (
    "\t\n\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def trim(text: str) -> str:
    """``text`` without blanks at its ends (:data:`BLANKS`: spaces, tabs, line
    breaks; a control character stays, to be refused)."""
    return text.strip(BLANKS)


#: Delimiters the sniffer may choose between (what spreadsheet programs write).
DELIMITERS = ",;\t|"
_SAMPLE_CHARS = 64 * 1024
_SEP_LINE = re.compile(r"\A\s*sep=(.)\s*(?:\r\n|\r|\n|\Z)", re.IGNORECASE)
_NAMES = {",": "','", ";": "';'", "\t": "tab", "|": "'|'"}


def read_rows(
    path: Path,
    fmt: str | None = None,
    records: str | None = None,
    flatten: dict[str, str] | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    unquote_formulas: bool = False,
) -> list[Row]:
    """Rows of a CSV, TSV or JSON export; see :func:`read_table`."""
    return read_table(path, fmt, records, flatten, delimiter, encoding, unquote_formulas).rows


def read_table(
    path: Path,
    fmt: str | None = None,
    records: str | None = None,
    flatten: dict[str, str] | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    unquote_formulas: bool = False,
) -> Table:
    """Rows of an export, with the dialect used.

    The format comes from ``fmt`` or the file extension (``.tsv`` is
    tab-separated).  The CSV delimiter is, in this order: ``delimiter``
    (the map's ``delimiter:``), Excel's leading ``sep=X`` line, tab for
    ``.tsv``, else :class:`csv.Sniffer` on the first 64 KiB, checked: the
    delimiter must split every sampled row, quotes respected, into as many
    cells as the header (else the candidate that does is taken).
    ``encoding`` defaults to UTF-8 (a BOM is accepted).  Raises
    :class:`UsageError` for an unreadable file, or an undecodable one (at
    ``path:line:column`` of its first bad byte, with the byte offset).
    ``unquote_formulas`` (a CSV that ``sortext export csv`` wrote; the map's
    ``unquote_formulas: true``): each cell, header included, loses
    the one ``'`` the export put before a formula (:func:`sortext.io.formula.restore`).
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    codec = encoding or _bom_codec(raw) or "utf-8-sig"
    if codec.replace("_", "-").casefold() in ("utf-8", "utf8"):
        codec = "utf-8-sig"
    try:
        text = raw.decode(codec)
    except LookupError:
        raise UsageError(f"{path}: unknown encoding '{encoding}' (map 'encoding:')") from None
    except UnicodeDecodeError as exc:
        what = "UTF-8" if codec == "utf-8-sig" else codec  # (a BOM may have named UTF-16)
        # utf-8-sig reports the offset in the bytes after the BOM it took off
        start = exc.start + len(raw) - len(exc.object)
        line, column = line_column(raw, start, codec)
        raise UsageError(
            f"{path}:{line}:{column}: not {what} (byte 0x{raw[start]:02x} at byte offset "
            f"{start}); export the file as UTF-8 CSV or name its encoding with "
            "'encoding:' in the map (e.g. cp1252)"
        ) from exc
    codec_name = "utf-8" if codec == "utf-8-sig" else codec
    text = text.removeprefix("\ufeff")  # the mark of a UTF-16 or UTF-32 file
    kind = (fmt or path.suffix.lstrip(".") or "csv").lower()
    if kind == "json":
        found = _json_rows(path, text, records, flatten)
        keys = dict.fromkeys(k for row in found for k in row.values)
        return Table(found, f"JSON, encoding {codec_name}", tuple(keys))
    if kind in ("csv", "tsv", "txt"):
        rows, how, header = _csv_rows(path, text, delimiter, kind == "tsv", unquote_formulas)
        name = "TSV" if kind == "tsv" else "CSV"
        return Table(rows, f"{name}, {how}, encoding {codec_name}", tuple(header))
    raise UsageError(f"{path}: unknown format '{kind}'; use csv, tsv or json")


#: Byte-order marks and their codecs, longest first (UTF-32-LE's begins with UTF-16-LE's).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _bom_codec(raw: bytes) -> str | None:
    """The codec a UTF-16 or UTF-32 byte-order mark at the start of ``raw`` names
    (Excel's "Unicode text" is UTF-16-LE with one), or None."""
    for bom, name in _BOMS:
        if raw.startswith(bom):
            return name
    return None


def choose_delimiter(
    text: str, given: str | None = None, tsv: bool = False
) -> tuple[str, str, int]:
    """``(delimiter, how it was chosen, lines to skip)`` for CSV ``text``.

    ``lines to skip`` is 1 when the text starts with Excel's ``sep=X`` line.
    """
    found = _SEP_LINE.match(text)
    if given is not None:
        return (
            given,
            f"delimiter {_NAMES.get(given, repr(given))} (from the map)",
            1 if found else 0,
        )
    if found:
        sep = found.group(1)
        return sep, f"delimiter {_NAMES.get(sep, repr(sep))} (from the sep= line)", 1
    if tsv:
        return "\t", "delimiter tab (.tsv)", 0
    sample = text[:_SAMPLE_CHARS]
    if len(text) > _SAMPLE_CHARS:  # never sniff half a line
        sample = sample.rsplit("\n", 1)[0]
    try:
        sniffed: str | None = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        sniffed = None
    # the sniffer votes on character counts; a delimiter must also give every
    # row of the sample as many cells as the header (quotes respected).  When
    # several do, the one giving the most columns wins (a delimiter that only
    # occurs inside cells merges columns; the other never splits one), and the
    # sniffer's vote breaks a tie.
    cut = len(text) > _SAMPLE_CHARS
    fitting = [d for d in DELIMITERS if _consistent(sample, d, cut)]
    if fitting:
        sep = max(fitting, key=lambda d: (_width(sample, d), d == sniffed))
        return sep, f"delimiter {_NAMES.get(sep, repr(sep))} (sniffed)", 0
    sep = sniffed or _widest(sample) or ","
    if _width(sample, sep) < 2:
        return ",", "delimiter ',' (default: one column)", 0
    return sep, f"delimiter {_NAMES.get(sep, repr(sep))} (sniffed; rows differ in width)", 0


def _rows_of(sample: str, sep: str) -> list[list[str]]:
    try:
        rows = list(csv.reader(io.StringIO(sample, newline=""), delimiter=sep))
    except csv.Error:
        return []
    return [r for r in rows if any(c.strip() for c in r)]


def _width(sample: str, sep: str) -> int:
    rows = _rows_of(sample, sep)
    return len(rows[0]) if rows else 0


def _consistent(sample: str, sep: str, cut: bool = False) -> bool:
    """Every row of ``sample`` has the header's number of cells, and that is more than one.

    The last row is left out when the sample was cut (it may be a partial row).
    """
    rows = _rows_of(sample, sep)
    if cut and len(rows) > 1:
        rows = rows[:-1]
    return len(rows) > 0 and len(rows[0]) > 1 and all(len(r) == len(rows[0]) for r in rows)


def _widest(sample: str) -> str | None:
    """The delimiter that splits the header, outside quotes, into the most columns."""
    widths: dict[str, int] = {}
    for sep in DELIMITERS:
        try:
            header = next(csv.reader(io.StringIO(sample, newline=""), delimiter=sep), [])
        except csv.Error:
            continue
        widths[sep] = len(header)
    best = max(widths, key=lambda sep: widths[sep], default=None)
    return best if best is not None and widths[best] > 1 else None


def _csv_rows(
    path: Path, text: str, given: str | None, tsv: bool, unquote: bool = False
) -> tuple[list[Row], str, list[str]]:
    delimiter, how, skip = choose_delimiter(text, given, tsv)
    offset = 0
    if skip:
        found = _SEP_LINE.match(text)
        text = text[found.end() :] if found else text
        offset = 1
    lines = io.StringIO(text, newline="").readlines()  # as the reader splits them
    try:
        reader = csv.reader(iter(lines), csv.excel, delimiter=delimiter)
    except TypeError as exc:
        raise UsageError(f"{path}: delimiter {delimiter!r}: {exc}") from exc
    try:
        header = next(reader)
    except StopIteration:
        return [], how, []
    except csv.Error as exc:
        raise UsageError(f"{path}:{reader.line_num + offset}: {exc}") from exc
    if unquote:
        header = [restore(h) for h in header]
    header = [trim(h) for h in header]
    _check_header(path, header, 1 + offset)
    rows = []
    while True:
        consumed = reader.line_num
        first_line = consumed + 1 + offset
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise UsageError(f"{path}:{first_line}: {exc}") from exc
        if not any(c.strip(BLANKS) for c in cells):
            continue
        _check_reached(path, header, cells, first_line)
        raw = cells
        if unquote:
            cells = [restore(c) for c in cells]
        values = {h: (_lf(trim(cells[i])) if i < len(cells) else "") for i, h in enumerate(header)}
        starts = cell_starts(lines[consumed : reader.line_num], delimiter, raw)
        where = {
            h: (first_line + starts[i][0], starts[i][1])
            for i, h in enumerate(header)
            if i < len(starts)
        }
        rows.append(Row(first_line, values, str(path), first_line, where))
    return rows, how, header


def _line_starts(line: str, cells: list[str], delimiter: str) -> list[tuple[int, int]] | None:
    """:func:`cell_starts` of a one-line record from its ``cells`` as read: each
    cell's length in the line (a quoted one: 2 quotes and its doubled ones more),
    checked to end at a delimiter; None when the line is written otherwise."""
    starts = []
    at, end = 0, len(line.rstrip("\r\n"))
    for cell in cells:
        starts.append((0, at + 1))
        if line.startswith('"', at):
            at += len(cell) + 2 + cell.count('"')
            if line[at - 1 : at] != '"':
                return None
        else:
            at += len(cell)
        if at < end and line[at] != delimiter:
            return None
        at += 1
    return starts if at - 1 == end else None


def cell_starts(
    lines: list[str], delimiter: str, cells: list[str] | None = None
) -> list[tuple[int, int]]:
    """``(line offset, column)`` where each cell of one CSV record starts.

    ``lines`` are the physical lines the record spans (line ends kept, as
    ``io.StringIO(text, newline="")`` splits them); the offset is 0-based from
    its first line, the column 1-based in characters, at a quoted cell's
    opening quote.  Follows :data:`csv.excel` with ``delimiter`` as
    :func:`csv.reader` reads it (``""`` inside quotes, text after a closing
    quote joins the cell).  ``cells``, the record as read, makes a one-line
    record quick (:func:`_line_starts`).
    """
    if len(lines) == 1 and cells is not None:  # the common row: one line
        quick = _line_starts(lines[0], cells, delimiter)
        if quick is not None:
            return quick
    starts = [(0, 1)]
    state = "start"  # start | plain | quoted | closed (a quote inside quotes seen)
    for number, line in enumerate(lines):
        for index, char in enumerate(line):
            if char in "\r\n":
                if state == "quoted":
                    break  # the cell goes on on the next line
                return starts
            if state == "quoted":
                if char == '"':
                    state = "closed"
            elif char == delimiter:
                starts.append((number, index + 2))
                state = "start"
            elif state in ("start", "closed"):  # (closed: '""' inside quotes, or text after)
                state = "quoted" if char == '"' else "plain"
    return starts


def _check_header(path: Path, header: list[str], line: int) -> None:
    """Raise :class:`UsageError` when two header cells have one name: a column a map
    names must be one column (blank header cells may repeat: see :func:`_check_reached`)."""
    seen: dict[str, int] = {}
    for number, name in enumerate(header, 1):
        if name and name in seen:
            raise UsageError(
                f"{path}:{line}:{number}: the column '{name}' appears twice in the header "
                f"(columns {seen[name]} and {number}): rename one, so each is read"
            )
        seen.setdefault(name, number)


def _check_reached(path: Path, header: list[str], cells: list[str], line: int) -> None:
    """Raise :class:`UsageError` for a non-empty cell no column name reaches: one
    beyond the header's last cell, or under a blank header cell (it would be dropped
    without a word).  Empty trailing cells, as spreadsheets write them, are fine."""
    for number, text in enumerate(cells, 1):
        if not text.strip(BLANKS):
            continue
        if number > len(header):
            shown = " ".join(text.split())[:40]  # one line, whatever the cell holds
            raise UsageError(
                f"{path}:{line}:{number}: the row has {count(len(cells), 'cell')}, the header "
                f"{len(header)}: '{shown}' has no column; quote a cell holding the "
                "delimiter, or add the column's name to the header"
            )
        if not header[number - 1]:
            raise UsageError(
                f"{path}:{line}:{number}: a value under a header cell with no name; "
                "name the column in the header"
            )


def _lf(text: str) -> str:
    """A cell's line breaks as ``\\n`` (a quoted cell keeps the file's ``\\r\\n``)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


class _TwiceError(ValueError):
    """A JSON object holds one key twice (``args[0]``: the key, made one line)."""


def _one_of_each(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``json.loads``'s object hook: the object, or :class:`_TwiceError` for a key it
    holds twice (the default keeps the last value, dropping the first silently)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _TwiceError(" ".join(key.split())[:60])
        out[key] = value
    return out


def _json_rows(
    path: Path, text: str, records: str | None, flatten: dict[str, str] | None
) -> list[Row]:
    try:
        data = json.loads(text, object_pairs_hook=_one_of_each)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from exc
    except _TwiceError as exc:
        raise UsageError(
            f"{path}: the key '{exc.args[0]}' is written twice in one object: a JSON reader "
            "keeps only one of the two values; export the file again, or remove one"
        ) from None
    if records:
        for part in records.split("."):
            data = data.get(part) if isinstance(data, dict) else None
    elif isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list)]
        data = lists[0] if len(lists) == 1 else data
    if not isinstance(data, list):
        raise UsageError(
            f"{path}: expected a list of responses; name the key that holds them "
            "with 'records:' in the map"
        )
    rows = []
    for number, item in enumerate(data, 1):
        if not isinstance(item, dict):
            raise UsageError(f"{path}: response {number} is not an object")
        values = dict(item)
        if flatten:
            try:
                flat = _flatten_fields(item, flatten)
            except _TwiceError as exc:
                raise UsageError(
                    f"{path}: response {number}: two questions are labelled "
                    f"'{exc.args[0]}': one answer would replace the other; give each "
                    "question its own label"
                ) from None
            clash = sorted(flat.keys() & values.keys())
            if clash:
                key = " ".join(clash[0].split())[:60]
                raise UsageError(
                    f"{path}: response {number}: the question '{key}'"
                    " has the name of a key of the response itself: one would replace the "
                    "other; relabel the question"
                )
            values.update(flat)
        rows.append(Row(number, values))
    return rows


def _flatten_fields(item: dict[str, Any], spec: dict[str, str]) -> dict[str, Any]:
    """Tally/Typeform style ``[{label: Q, value: A}]`` lists become ``{Q: A}`` columns.
    Raises :class:`_TwiceError` for a label two questions share."""
    found = lookup(item, spec.get("list", "fields"))
    pairs: list[tuple[str, Any]] = []
    if isinstance(found, list):
        for entry in found:
            if isinstance(entry, dict):
                label = lookup(entry, spec.get("key", "label"))
                if label is not None:
                    pairs.append((str(label), lookup(entry, spec.get("value", "value"))))
    return _one_of_each(pairs)


def lookup(values: Any, column: str, missing: Any = None) -> Any:
    """A column's value; dotted names reach into nested JSON objects (list items
    by their index); ``missing`` when there is no such column."""
    if isinstance(values, dict) and column in values:
        return values[column]
    node = values
    for part in column.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return missing
    return node
