"""Column maps: how the columns of an export become record fields.

A map is a small YAML file (examples in ``docs/maps/``)::

    source: hubspot            # name used for owned fields (--source overrides)
    match: email               # how a row finds an existing client: email or id
    fields:
      name: "{First Name} {Last Name}"        # a template of columns
      email: Email                            # a column
      billing.rate: {column: Hourly Rate, type: number}
      stage: {column: Lifecycle Stage, values: {lead: inquiry, customer: active}}
      phone: {column: [Phone - Mobile, Phone - Work]}   # the first that is not empty
      email: {column: Contact, pattern: "\\(([^()]+)\\)$"}  # "Ann Lee (ann@x.org)" -> ann@x.org
    item:                      # optional: each row is also one entry of a list
      list: invoices
      key: id
      fields:
        id: Invoice Number
        due: {column: Due Date, type: date, date_format: "%m/%d/%Y"}
    notes: [What do you want to work on?]     # intake: columns copied to the notes
    delimiter: ";"             # CSV delimiter (default: Excel's sep= line, or sniffed)
    decimal: ","               # decimal mark of number columns (default: from the column)
    encoding: cp1252           # the file's encoding (default: UTF-8)
    # any field: optional: true  (the file may lack its column)

Empty cells are skipped: an import never blanks a field.  A number whose
reading depends on the convention (``1.200``: 1.2 or 1200?) is read by the
convention the other values of its column show, or by ``decimal:``;
otherwise it is refused with its row and column, never guessed.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from sortext.errors import UsageError
from sortext.io.spreadsheet import Row, lookup, trim
from sortext.record.positions import Path as DataPath

TYPES = ("text", "number", "integer", "date", "boolean", "list")
DECIMAL_MARKS = (".", ",")
_TEMPLATE = re.compile(r"\{([^{}]+)\}")
_ISO_PREFIX = re.compile(r"^(\d{4})[-/](\d{2})[-/](\d{2})(?:$|[ T])")


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """How one record field is filled from a row."""

    target: DataPath
    column: str | None = None
    template: str | None = None
    type: str = "text"
    values: dict[str, Any] | None = None
    separator: str = ","
    date_formats: tuple[str, ...] = ()
    default: Any = None
    alternatives: tuple[str, ...] = ()  # more columns, tried in order when ``column`` is empty
    pattern: str | None = None  # a regex whose first group is the value
    #: the file may lack the column (a JSON export omits a field no record holds)
    optional: bool = False


@dataclass(frozen=True)
class FieldMap:
    """A parsed map file."""

    fields: tuple[FieldSpec, ...]
    source: str | None = None
    format: str | None = None
    records: str | None = None
    flatten: dict[str, str] | None = None
    match: str = "email"
    item_list: str | None = None
    item_key: str | None = None
    item_fields: tuple[FieldSpec, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    delimiter: str | None = None
    decimal: str | None = None
    encoding: str | None = None
    #: the file is a ``sortext export csv``: undo the ``'`` it put before formulas
    unquote_formulas: bool = False


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A cell that cannot become a field value.

    ``path``, ``line`` and ``col`` place it in its file (1-based; ``line`` 0 when
    not known: :meth:`where` then names the response's number).
    """

    row: int
    column: str
    message: str
    path: str = ""
    line: int = 0
    col: int = 0

    def where(self, file: str = "") -> str:
        """``path:line:col`` of the cell (``file`` when the problem has no path);
        ``path: response N`` when its line is not known (a JSON export's response:
        the JSON reader gives no positions, and its number is no line)."""
        if not self.line:
            return f"{self.path or file}: response {self.row}"
        return f"{self.path or file}:{self.line}:{self.col or 1}"

    def text(self, file: str = "") -> str:
        """``path:line:col: column: message`` (no column: ``path:line:col: message``)."""
        column = f" {self.column}:" if self.column else ""
        return f"{self.where(file)}:{column} {self.message}"


def row_problem(row: Row, column: str, message: str, cell: str | None = None) -> RowProblem:
    """A :class:`RowProblem` at the cell of ``cell`` (default ``column``) in ``row``
    (a template's first column; no such cell: the row's first line)."""
    named = cell or column
    if named not in row.cells:
        named = next(iter(_TEMPLATE.findall(named)), named)
    line, col = row.cells.get(named) or (row.line, 1 if row.line else 0)
    return RowProblem(row.number, column, message, row.path, line, col)


def row_where(row: Row, column: str) -> str:
    """``path:line:col: column`` of a row's cell, for remarks about it."""
    return row_problem(row, column, "").text().rstrip(": ")


class MapProblem(UsageError):
    """A mistake in a map, at ``at`` (the keys leading to it, ``("fields",
    "billing.rate")``): :func:`load_map` turns it into ``map.yaml:line:col: ...``."""

    def __init__(self, where: str, at: tuple[str, ...], text: str) -> None:
        super().__init__(f"{where}: {text}")
        self.where, self.at, self.text = where, at, text


def _into_list(path: DataPath, top: bool) -> str | None:
    """The list ``path`` steps into (an index, ``invoices[2].paid_on``, or a field of a
    record's list, ``invoices.paid_on``), or None.  Such a path names no one entry
    (the index of an entry is not the entry: another import reorders them), goes
    round ``item:``'s checks (a payment dated after today) and cannot be written."""
    from sortext.record.positions import format_path

    for n, part in enumerate(path):
        if isinstance(part, int):
            return format_path(path[:n]) or str(part)
    if top and len(path) > 1 and path[0] in _record_lists():
        return str(path[0])
    return None


@cache
def _record_lists() -> frozenset[str]:
    """The record's fields that are lists in the shipped schema (sessions, tags...)."""
    from sortext.schema.shipped import default_schema

    schema = default_schema()
    defs = schema.get("$defs", {})
    found = set()
    for name, node in (schema.get("properties") or {}).items():
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            node = defs.get(node["$ref"].rsplit("/", 1)[-1], {})
        if isinstance(node, dict) and node.get("type") == "array":
            found.add(name)
    return frozenset(found)


def _spec(target: str, raw: Any, where: str, at: tuple[str, ...] = ("fields",)) -> FieldSpec:
    from sortext.edit.roundtrip import parse_path

    path = parse_path(target)
    into = _into_list(path, top=at == ("fields",))
    if into is not None:
        raise MapProblem(
            where,
            (*at, target),
            f"{target}: a path into the list {into}: an import fills a list's entries "
            "through the map's item: (list, key and fields), one entry per row",
        )
    if isinstance(raw, str):
        if _TEMPLATE.search(raw):
            return FieldSpec(path, template=raw)
        return FieldSpec(path, column=raw)
    if not isinstance(raw, dict):
        raise MapProblem(
            where, (*at, target), f"{target}: give a column name or a mapping with 'column'"
        )
    unknown = set(raw) - {
        "column",
        "template",
        "type",
        "values",
        "separator",
        "date_format",
        "default",
        "pattern",
        "optional",
    }
    if unknown:
        raise MapProblem(
            where, (*at, target), f"{target}: unknown setting(s) {', '.join(sorted(unknown))}"
        )
    kind = str(raw.get("type", "text"))
    if kind not in TYPES:
        raise MapProblem(where, (*at, target), f"{target}: type must be one of {', '.join(TYPES)}")
    formats = raw.get("date_format") or ()
    if isinstance(formats, str):
        formats = (formats,)
    if "column" not in raw and "template" not in raw and "default" not in raw:
        raise MapProblem(where, (*at, target), f"{target}: give 'column', 'template' or 'default'")
    values = raw.get("values")
    column = raw.get("column")
    alternatives: tuple[str, ...] = ()
    if isinstance(column, list):
        if not column or not all(isinstance(c, str) for c in column):
            raise MapProblem(
                where, (*at, target), f"{target}: column: give a name or a list of names"
            )
        column, alternatives = column[0], tuple(column[1:])
    optional = raw.get("optional", False)
    if not isinstance(optional, bool):
        raise MapProblem(where, (*at, target), f"{target}: optional: give true or false")
    pattern = raw.get("pattern")
    if pattern is not None:
        try:
            if re.compile(str(pattern)).groups < 1:
                raise MapProblem(
                    where, (*at, target), f"{target}: pattern needs a (group) for the value"
                )
        except re.error as exc:
            raise MapProblem(where, (*at, target), f"{target}: pattern: {exc}") from None
    return FieldSpec(
        path,
        column=column,
        alternatives=alternatives,
        pattern=str(pattern) if pattern is not None else None,
        template=raw.get("template"),
        type=kind,
        values={str(k): v for k, v in values.items()} if isinstance(values, dict) else None,
        separator=str(raw.get("separator", ",")),
        date_formats=tuple(str(f) for f in formats),
        default=raw.get("default"),
        optional=optional,
    )


def parse_map(data: Any, where: str) -> FieldMap:
    """Build a FieldMap from the loaded YAML of a map file."""
    if not isinstance(data, dict) or not isinstance(data.get("fields"), dict):
        raise MapProblem(where, (), "a map needs a 'fields:' mapping of field: column")
    known = {
        "source",
        "format",
        "records",
        "flatten",
        "match",
        "fields",
        "item",
        "notes",
        "description",
        "delimiter",
        "decimal",
        "encoding",
        "unquote_formulas",
    }
    unknown = set(data) - known
    if unknown:
        raise MapProblem(where, (), f"unknown section(s) {', '.join(sorted(unknown))}")
    fields = tuple(_spec(str(k), v, where) for k, v in data["fields"].items())
    item = data.get("item") or {}
    item_fields: tuple[FieldSpec, ...] = ()
    if item:
        if not isinstance(item, dict) or not {"list", "key", "fields"} <= set(item):
            raise MapProblem(where, ("item",), "item: needs list, key and fields")
        item_fields = tuple(
            _spec(str(k), v, where, ("item", "fields")) for k, v in item["fields"].items()
        )
        if not any(s.target == (item["key"],) for s in item_fields):
            raise MapProblem(where, ("item",), f"item: fields must fill the key '{item['key']}'")
    notes = data.get("notes") or []
    match = str(data.get("match", "email"))
    if match not in ("email", "id"):
        raise MapProblem(where, ("match",), "match must be 'email' or 'id'")
    delimiter = data.get("delimiter")
    if delimiter is not None:
        delimiter = {"tab": "\t", "\\t": "\t"}.get(str(delimiter), str(delimiter))
        if len(delimiter) != 1:
            raise MapProblem(where, ("delimiter",), "delimiter must be one character (or 'tab')")
    decimal = data.get("decimal")
    if decimal is not None and decimal not in DECIMAL_MARKS:
        raise MapProblem(where, ("decimal",), "decimal must be '.' or ','")
    encoding = data.get("encoding")
    if encoding is not None:
        import codecs

        try:
            codecs.lookup(str(encoding))
        except LookupError:
            raise MapProblem(
                where, ("encoding",), f"encoding: unknown encoding '{encoding}'"
            ) from None
    unquote = data.get("unquote_formulas", False)
    if not isinstance(unquote, bool):
        raise MapProblem(where, ("unquote_formulas",), "unquote_formulas must be true or false")
    return FieldMap(
        unquote_formulas=unquote,
        delimiter=delimiter,
        decimal=decimal,
        encoding=str(encoding) if encoding is not None else None,
        fields=fields,
        source=data.get("source"),
        format=data.get("format"),
        records=data.get("records"),
        flatten=data.get("flatten"),
        match=match,
        item_list=item.get("list") if item else None,
        item_key=item.get("key") if item else None,
        item_fields=item_fields,
        notes=tuple(str(n) for n in notes),
    )


def load_map(path: Path) -> FieldMap:
    from sortext.record.diagnostics import Diagnostic
    from sortext.record.source import decode
    from sortext.record.yamlread import load_fast

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the map: {exc.strerror or exc}") from exc
    source = decode(raw)
    if isinstance(source, Diagnostic):
        raise UsageError(f"{path}:{source.line}:{source.column}: {source.message}")
    data = load_fast(source.text, "a field map")
    if isinstance(data, Diagnostic):
        raise UsageError(f"{path}:{data.line}:{data.column}: {data.message}")
    try:
        return parse_map(data, str(path))
    except MapProblem as problem:
        from sortext.record.positions import build_position_map

        try:
            line, col = build_position_map(source.text).key(problem.at) if problem.at else (1, 1)
        except (KeyError, IndexError, ValueError, TypeError):
            line, col = 1, 1
        raise UsageError(f"{path}:{line}:{col}: {problem.text}") from None


# --- converting cells ------------------------------------------------------------


class CellError(ValueError):
    """A cell's text does not fit the field's type."""


_SLASHED = re.compile(
    r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T,]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
    r"(?:\s*[AaPp][Mm])?(?:\s*(?:Z|[+-]\d{2}:?\d{2}|[A-Z]{2,5}))?)?$"
)
#: A time of day after a written-out date (``at 9:12 AM``, ``14:03:10 GMT``).
_TIME_TAIL = re.compile(
    r",?(?:\s+at)?\s+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[AaPp][Mm])?"
    r"(?:\s*(?:Z|[+-]\d{2}:?\d{2}|[A-Z]{2,5}))?$"
)
#: Written-out months: one reading only, whatever the locale's order.
_WORDED = (
    "%d %b %Y",
    "%d %B %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%b %d %Y",
    "%B %d %Y",
    "%d-%b-%Y",
    "%a, %d %b %Y",
)


def date_evidence(text: str) -> str | None:
    """``"mdy"`` or ``"dmy"`` when a slashed date can only be read one way
    (``11/30/2026``, ``30/11/2026``); None otherwise (ISO, dotted, ``05/06/2026``)."""
    slashed = _SLASHED.match(text.strip())
    if slashed is None or "." in text.split()[0]:
        return None
    first, second = int(slashed.group(1)), int(slashed.group(2))
    if first > 12 >= second:
        return "dmy"
    if second > 12 >= first:
        return "mdy"
    return None


def _column_verdicts(
    columns: Iterable[str], rows: Iterable[Row], evidence: Callable[[str], str | None]
) -> dict[str, str]:
    """Column -> the one reading ``evidence`` finds among its non-empty values (a
    decimal mark, a day/month order); a column with none, or with two, is absent."""
    seen: dict[str, set[str]] = {c: set() for c in columns}
    for row in rows:
        for column in seen:
            raw = lookup(row.values, column)
            if isinstance(raw, str) and trim(raw):
                found = evidence(raw)
                if found is not None:
                    seen[column].add(found)
    return {c: next(iter(found)) for c, found in seen.items() if len(found) == 1}


def column_date_orders(specs: Iterable[FieldSpec], rows: Iterable[Row]) -> dict[str, str]:
    """The day/month order of each date column without a ``date_format``, decided from
    all its values: a column whose unambiguous slashed dates all read one way
    (``11/30/2026``: month first) reads its ambiguous ones (``05/06/2026``) that way
    too.  A column with no such date, or with both orders, is absent (its ambiguous
    values are refused by :func:`convert`)."""
    columns = {s.column for s in specs if s.column and s.type == "date" and not s.date_formats}
    return _column_verdicts(columns, rows, date_evidence)


def _to_date(
    text: str, formats: tuple[str, ...], order: str | None = None, zone: str | None = None
) -> dt.date:
    """A date from the map's ``date_format``s, else any common unambiguous form.

    Recognised without a format: ISO (``2026-11-30``, with a time or zone),
    ``11/30/2026 9:12:44`` (Google Sheets, US), ``30/11/2026``, ``30.11.2026``
    and ``30 Nov 2026`` / ``Nov 30, 2026`` (each with or without a time of day).
    A day/month pair that reads both
    ways (``05/06/2026``) is refused, never guessed, unless ``order`` (``"mdy"`` or
    ``"dmy"``, the column's order, see :func:`column_date_orders`) says; dots are
    day-first.

    An ISO date and time with its UTC offset (``2026-11-23T23:30:00Z``, a form
    service's timestamp), or a ``date_format`` with ``%z``, is an instant: its day is
    the practice's day then when ``zone`` (the repository's ``timezone:``) is set
    (:func:`sortext.vcs.midnight.instant_day`: 23:30 UTC is the 24th in Berlin), the
    day as written otherwise; a time without an offset is always its written day."""
    from sortext.vcs.midnight import moment_day

    for fmt in formats:
        try:
            return moment_day(dt.datetime.strptime(text, fmt), zone)
        except ValueError:
            continue
    match = _ISO_PREFIX.match(text)
    if match:
        try:
            written = dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError as exc:
            raise CellError(f"impossible date '{text}': {exc}") from exc
        if zone is not None and len(text) > 10:
            try:
                moment = dt.datetime.fromisoformat(text)
            except ValueError:
                return written  # (a time fromisoformat does not read: the day as written)
            return moment_day(moment, zone)
        return written
    slashed = _SLASHED.match(text)
    if slashed:
        a, b, year = (int(g) for g in slashed.groups())
        dotted = "." in text.split()[0]
        if dotted or a > 12:
            readings = {(year, b, a)}
        elif b > 12:
            readings = {(year, a, b)}
        elif order is not None:
            readings = {(year, a, b) if order == "mdy" else (year, b, a)}
        else:
            readings = {(year, a, b), (year, b, a)}
        if len(readings) > 1:
            raise CellError(
                f"'{text}' is ambiguous: month/day or day/month; "
                "set date_format in the map (e.g. '%m/%d/%Y %H:%M:%S')"
            )
        y, m, d = readings.pop()
        try:
            return dt.date(y, m, d)
        except ValueError as exc:
            raise CellError(f"impossible date '{text}': {exc}") from exc
    cleaned = " ".join(text.replace(",", ", ").split()).replace(" ,", ",")
    cleaned = _TIME_TAIL.sub("", cleaned)  # "Nov 30, 2026 9:12 AM": the day is the date
    for fmt in _WORDED:
        try:
            return dt.datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
    hint = " (set date_format in the map)" if not formats else ""
    raise CellError(f"'{text}' is not a date{hint}")


def _number_text(text: str) -> str:
    """The digits, marks and sign of a number cell (currency and spaces dropped)."""
    return re.sub(r"[^\d.,\-]", "", text)


def decimal_evidence(text: str) -> str | None:
    """The decimal mark ``text`` can only be read with, or None when it says nothing.

    ``450,00`` and ``1.200,50`` say ``,``; ``1,200.50`` and ``3.5`` say ``.``;
    ``1.200``, ``1,200`` and ``42`` say nothing (see :func:`is_ambiguous`).
    """
    cleaned = _number_text(text)
    if "," in cleaned and "." in cleaned:
        return "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
    for mark in DECIMAL_MARKS:
        if mark in cleaned:
            other = "." if mark == "," else ","
            if cleaned.count(mark) > 1:
                return other  # 1,200,000: grouping, so the other mark is the decimal one
            whole, _, fraction = cleaned.partition(mark)
            digits = whole.lstrip("-")
            if len(fraction) != 3 or digits in ("", "0") or len(digits) > 3:
                return mark  # 450,00 / 0.500 / ,5 / 1234.567: never a grouping mark
            return None
    return None


def is_ambiguous(text: str) -> bool:
    """True when ``text`` reads as two different numbers under the two conventions."""
    cleaned = _number_text(text)
    return decimal_evidence(text) is None and bool(re.fullmatch(r"-?\d{1,3}[.,]\d{3}", cleaned))


def _to_number(text: str, decimal: str | None = None) -> int | float:
    cleaned = _number_text(text)
    mark = decimal or decimal_evidence(text)
    if mark is None and is_ambiguous(text):
        raise CellError(
            f"'{text}' is ambiguous: {float(cleaned.replace(',', '.')):g} or "
            f"{cleaned.replace(',', '').replace('.', '')} depending on the decimal mark; "
            "set decimal: '.' or ',' in the map"
        )
    mark = mark or "."
    grouping = "," if mark == "." else "."
    whole, _, fraction = cleaned.partition(mark)
    if (
        cleaned.count(mark) > 1
        or grouping in fraction
        or (grouping in whole and not re.fullmatch(rf"-?\d{{1,3}}(\{grouping}\d{{3}})+", whole))
    ):
        raise CellError(f"'{text}' is not a number with decimal mark '{mark}'")
    cleaned = cleaned.replace(grouping, "").replace(mark, ".")
    try:
        number = float(cleaned)
    except ValueError:
        raise CellError(f"'{text}' is not a number") from None
    return int(number) if number.is_integer() else number


def column_decimals(
    specs: Iterable[FieldSpec], rows: Iterable[Row], given: str | None = None
) -> dict[str, str]:
    """The decimal mark of each number column, decided from all its values.

    ``given`` (the map's ``decimal:``) decides every column.  Otherwise a
    column whose unambiguous values all show one mark gets that mark; a
    column that shows both, or none, is absent (its ambiguous values are
    refused by :func:`convert`).
    """
    columns = {s.column for s in specs if s.column and s.type in ("number", "integer")}
    if given is not None:
        return dict.fromkeys(columns, given)
    return _column_verdicts(columns, rows, decimal_evidence)


#: What a record may not hold (``sortext check`` refuses it, the writer cannot write
#: it): C0 controls but tab and newline, DEL, C1 controls.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _text(value: str) -> str:
    """Text with every line break written as ``\\n`` (no raw CR reaches a record).
    Raises :class:`CellError` for a control character (an ESC sequence, a NUL, a
    C1 control): a record cannot hold it, so the cell is refused where it is,
    not the record it would have been written to."""
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    found = _CONTROL.search(text)
    if found is not None:
        raise CellError(
            f"the cell holds the control character U+{ord(found.group()):04X}; remove it "
            "(control characters act on terminals and a record cannot hold them)"
        )
    return text


def cell_text(value: str) -> str:
    """A text cell as a record may hold it (see :func:`_text`); raises :class:`CellError`."""
    return _text(value)


def visible_controls(text: str) -> str:
    """``text`` with each control character a record cannot hold written as an escape
    (``\\x1b``, ``\\u0085``): intake keeps an answer it cannot store as written in
    the notes, and this is as near to written as a record can hold."""

    def escape(found: re.Match[str]) -> str:
        code = ord(found.group())
        return f"\\x{code:02x}" if code < 0x20 else f"\\u{code:04x}"

    return _CONTROL.sub(escape, text.replace("\r\n", "\n").replace("\r", "\n"))


def convert(
    spec: FieldSpec,
    raw: Any,
    decimal: str | None = None,
    order: str | None = None,
    zone: str | None = None,
) -> Any:
    """A cell value as the field's type; None for an empty cell.

    ``decimal`` is the column's decimal mark (see :func:`column_decimals`),
    ``order`` its day/month order (see :func:`column_date_orders`), ``zone`` the
    practice's ``timezone:`` (the day of a timestamp with an offset, :func:`_to_date`).
    Text has ``\\r\\n`` and ``\\r`` written as ``\\n``.  Raises
    :class:`CellError` for a value that does not fit, or an ambiguous number.
    """
    if raw is None or (isinstance(raw, str) and not trim(raw)):
        return spec.default
    if spec.values is not None:
        text = _text(trim(str(raw)))
        if text in spec.values:
            return spec.values[text]
        folded = {k.casefold(): v for k, v in spec.values.items()}
        if text.casefold() in folded:
            return folded[text.casefold()]
        raise CellError(f"'{text}' is not one of: {', '.join(spec.values)}")
    if spec.type == "list":
        items = raw if isinstance(raw, list) else str(raw).split(spec.separator)
        return [_text(trim(str(i))) for i in items if trim(str(i))] or None
    if isinstance(raw, bool) and spec.type == "boolean":
        return raw
    if (
        isinstance(raw, int | float)
        and not isinstance(raw, bool)  # True is an int to Python: no number of a column
        and spec.type in ("number", "integer")
    ):
        if not math.isfinite(raw):
            raise CellError(f"'{raw}' is not a finite number")
        if spec.type == "integer" and not float(raw).is_integer():
            raise CellError(f"'{raw}' is not a whole number")
        return int(raw) if float(raw).is_integer() else raw
    text = _text(trim(str(raw)))
    if spec.type == "number":
        return _to_number(text, decimal)
    if spec.type == "integer":
        number = _to_number(text, decimal)
        if not float(number).is_integer():
            raise CellError(f"'{text}' is not a whole number")
        return int(number)
    if spec.type == "date":
        return _to_date(text, spec.date_formats, order, zone)
    if spec.type == "boolean":
        lowered = text.casefold()
        if lowered in ("yes", "y", "true", "1", "x", "checked", "on", "ja", "oui"):
            return True
        if lowered in ("no", "n", "false", "0", "off", "unchecked"):
            return False
        raise CellError(f"'{text}' is not yes or no")
    return text


def cell(spec: FieldSpec, row: Row) -> Any:
    """The raw value for ``spec`` in ``row`` (templates joined, whitespace collapsed)."""
    if spec.template is not None:
        text = _TEMPLATE.sub(
            lambda m: _text(str(lookup(row.values, m.group(1)) or "")), spec.template
        )
        text = " ".join(text.split())
        return text or None
    if spec.column is None:
        return None
    value = lookup(row.values, spec.column)
    for other in spec.alternatives:
        if value is not None and trim(str(value)):
            break
        value = lookup(row.values, other)
    if spec.pattern is not None and isinstance(value, str) and trim(value):
        found = re.search(spec.pattern, _text(trim(value)))
        if found is None:
            raise CellError(f"'{value}' does not match the map's pattern {spec.pattern}")
        return found.group(1)
    return value


def map_fields(
    specs: tuple[FieldSpec, ...],
    row: Row,
    decimals: dict[str, str] | None = None,
    orders: dict[str, str] | None = None,
    zone: str | None = None,
) -> tuple[dict[DataPath, Any], list[RowProblem]]:
    """``{path: value}`` for the non-empty cells of one row, plus its problems.

    ``decimals`` maps a number column to its decimal mark (:func:`column_decimals`),
    ``orders`` a date column to its day/month order (:func:`column_date_orders`);
    ``zone`` is the practice's ``timezone:`` (see :func:`convert`).
    """
    values: dict[DataPath, Any] = {}
    problems: list[RowProblem] = []
    for spec in specs:
        mark = (decimals or {}).get(spec.column or "")
        order = (orders or {}).get(spec.column or "")
        try:
            value = convert(spec, cell(spec, row), mark, order, zone)
        except CellError as exc:
            problems.append(row_problem(row, spec.column or spec.template or "", str(exc)))
            continue
        if value is not None:
            values[spec.target] = value
    return values, problems


def _present(column: str, header: set[str], rows: Iterable[Row]) -> bool:
    """``column`` is in the header, or (JSON) a dotted path some response has."""
    absent = object()
    return column in header or any(lookup(r.values, column, absent) is not absent for r in rows)


def missing_columns(
    fmap: FieldMap, columns: Iterable[str], rows: Iterable[Row] = ()
) -> list[tuple[str, tuple[str, ...]]]:
    """Map fields whose columns the file lacks: ``(what, columns it names)``.

    A field listing alternatives (``column: [Email - Work, Email]``) is
    satisfied by any one of them; a template needs every column it names;
    ``notes:`` columns are needed too.  A field with a ``default`` and no
    column needs nothing, nor does one marked ``optional: true``."""
    header = set(columns)
    rows = list(rows)
    out: list[tuple[str, tuple[str, ...]]] = []
    for spec in (*fmap.fields, *fmap.item_fields):
        what = ".".join(str(p) for p in spec.target)
        if spec.optional:
            continue
        if spec.column:
            names = (spec.column, *spec.alternatives)
            if not any(_present(n, header, rows) for n in names):
                out.append((what, names))
        if spec.template:
            for name in _TEMPLATE.findall(spec.template):
                if not _present(name, header, rows):
                    out.append((what, (name,)))
    for name in fmap.notes:
        if not _present(name, header, rows):
            out.append(("notes", (name,)))
    return out


def check_columns(fmap: FieldMap, columns: Iterable[str], rows: Iterable[Row], where: str) -> None:
    """Raise :class:`UsageError` (exit 2) when the map names a column the file
    does not have: each missing one with a did-you-mean, then the file's columns.

    Run before planning: a map that does not fit the file must not turn every
    row into a "new client"."""
    import difflib

    columns = list(columns)
    missing = missing_columns(fmap, columns, rows)
    if not missing:
        return
    lines = [f"{where}: the map names columns this file does not have:"]
    for what, names in missing:
        wanted = " or ".join(f"'{n}'" for n in names)
        near = [c for n in names for c in difflib.get_close_matches(n, columns, n=2, cutoff=0.6)]
        hint = f" (did you mean '{near[0]}'?)" if near else ""
        lines.append(f"  {what}: {wanted}{hint}")
    shown = ", ".join(f"'{c}'" for c in columns[:60]) or "(none)"
    more = f" and {len(columns) - 60} more" if len(columns) > 60 else ""
    lines.append(f"  the file's columns: {shown}{more}")
    lines.append("  fix the map's column names (or list alternatives: column: [A, B])")
    raise UsageError("\n".join(lines))


def columns_used(fmap: FieldMap) -> set[str]:
    used = set(fmap.notes)
    for spec in (*fmap.fields, *fmap.item_fields):
        if spec.column:
            used.add(spec.column)
            used.update(spec.alternatives)
        if spec.template:
            used.update(_TEMPLATE.findall(spec.template))
    return used
