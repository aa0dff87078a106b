"""Column maps: how the columns of an export become record fields.

A map is a small YAML file (examples in ``docs/maps/``)::

    source: hubspot            # name used for owned fields (--source overrides)
    match: email               # how a row finds an existing client: email or id
    fields:
      name: "{First Name} {Last Name}"        # a template of columns
      email: Email                            # a column
      billing.rate: {column: Hourly Rate, type: number}
      stage: {column: Lifecycle Stage, values: {lead: inquiry, customer: active}}
    item:                      # optional: each row is also one entry of a list
      list: invoices
      key: id
      fields:
        id: Invoice Number
        due: {column: Due Date, type: date, date_format: "%m/%d/%Y"}
    notes: [What do you want to work on?]     # intake: columns copied to the notes

Empty cells are skipped: an import never blanks a field.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sortext.errors import UsageError
from sortext.io.spreadsheet import Row, lookup
from sortext.record.positions import Path as DataPath

TYPES = ("text", "number", "integer", "date", "boolean", "list")
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


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A cell that cannot become a field value."""

    row: int
    column: str
    message: str


def _spec(target: str, raw: Any, where: str) -> FieldSpec:
    from sortext.edit.roundtrip import parse_path

    path = parse_path(target)
    if isinstance(raw, str):
        if _TEMPLATE.search(raw):
            return FieldSpec(path, template=raw)
        return FieldSpec(path, column=raw)
    if not isinstance(raw, dict):
        raise UsageError(f"{where}: {target}: give a column name or a mapping with 'column'")
    unknown = set(raw) - {
        "column",
        "template",
        "type",
        "values",
        "separator",
        "date_format",
        "default",
    }
    if unknown:
        raise UsageError(f"{where}: {target}: unknown setting(s) {', '.join(sorted(unknown))}")
    kind = str(raw.get("type", "text"))
    if kind not in TYPES:
        raise UsageError(f"{where}: {target}: type must be one of {', '.join(TYPES)}")
    formats = raw.get("date_format") or ()
    if isinstance(formats, str):
        formats = (formats,)
    if "column" not in raw and "template" not in raw and "default" not in raw:
        raise UsageError(f"{where}: {target}: give 'column', 'template' or 'default'")
    values = raw.get("values")
    return FieldSpec(
        path,
        column=raw.get("column"),
        template=raw.get("template"),
        type=kind,
        values={str(k): v for k, v in values.items()} if isinstance(values, dict) else None,
        separator=str(raw.get("separator", ",")),
        date_formats=tuple(str(f) for f in formats),
        default=raw.get("default"),
    )


def parse_map(data: Any, where: str) -> FieldMap:
    """Build a FieldMap from the loaded YAML of a map file."""
    if not isinstance(data, dict) or not isinstance(data.get("fields"), dict):
        raise UsageError(f"{where}: a map needs a 'fields:' mapping of field: column")
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
    }
    unknown = set(data) - known
    if unknown:
        raise UsageError(f"{where}: unknown section(s) {', '.join(sorted(unknown))}")
    fields = tuple(_spec(str(k), v, where) for k, v in data["fields"].items())
    item = data.get("item") or {}
    item_fields: tuple[FieldSpec, ...] = ()
    if item:
        if not isinstance(item, dict) or not {"list", "key", "fields"} <= set(item):
            raise UsageError(f"{where}: item: needs list, key and fields")
        item_fields = tuple(_spec(str(k), v, where) for k, v in item["fields"].items())
        if not any(s.target == (item["key"],) for s in item_fields):
            raise UsageError(f"{where}: item: fields must fill the key '{item['key']}'")
    notes = data.get("notes") or []
    match = str(data.get("match", "email"))
    if match not in ("email", "id"):
        raise UsageError(f"{where}: match must be 'email' or 'id'")
    return FieldMap(
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
    data = load_fast(source.text)
    if isinstance(data, Diagnostic):
        raise UsageError(f"{path}:{data.line}:{data.column}: {data.message}")
    return parse_map(data, str(path))


# --- converting cells ------------------------------------------------------------


class CellError(ValueError):
    """A cell's text does not fit the field's type."""


def _to_date(text: str, formats: tuple[str, ...]) -> dt.date:
    for fmt in formats:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    match = _ISO_PREFIX.match(text)
    if match:
        try:
            return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError as exc:
            raise CellError(f"impossible date '{text}': {exc}") from exc
    hint = " (set date_format in the map)" if not formats else ""
    raise CellError(f"'{text}' is not a date{hint}")


def _to_number(text: str) -> int | float:
    cleaned = re.sub(r"[^\d.,\-]", "", text)
    if "," in cleaned and "." in cleaned:
        # the separator written last is the decimal point: 1,200.50 or 1.200,50
        thousands = "," if cleaned.rfind(".") > cleaned.rfind(",") else "."
        cleaned = cleaned.replace(thousands, "").replace(",", ".")
    elif re.fullmatch(r"-?\d{1,3}(,\d{3})+", cleaned):
        cleaned = cleaned.replace(",", "")
    else:
        cleaned = cleaned.replace(",", ".")
    try:
        number = float(cleaned)
    except ValueError:
        raise CellError(f"'{text}' is not a number") from None
    return int(number) if number.is_integer() else number


def convert(spec: FieldSpec, raw: Any) -> Any:
    """A cell value as the field's type; None for an empty cell."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return spec.default
    if spec.values is not None:
        text = str(raw).strip()
        if text in spec.values:
            return spec.values[text]
        folded = {k.casefold(): v for k, v in spec.values.items()}
        if text.casefold() in folded:
            return folded[text.casefold()]
        raise CellError(f"'{text}' is not one of: {', '.join(spec.values)}")
    if spec.type == "list":
        items = raw if isinstance(raw, list) else str(raw).split(spec.separator)
        return [str(i).strip() for i in items if str(i).strip()] or None
    if isinstance(raw, bool) and spec.type == "boolean":
        return raw
    if isinstance(raw, int | float) and spec.type in ("number", "integer"):
        return int(raw) if spec.type == "integer" or float(raw).is_integer() else raw
    text = str(raw).strip()
    if spec.type == "number":
        return _to_number(text)
    if spec.type == "integer":
        number = _to_number(text)
        if not float(number).is_integer():
            raise CellError(f"'{text}' is not a whole number")
        return int(number)
    if spec.type == "date":
        return _to_date(text, spec.date_formats)
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
        text = _TEMPLATE.sub(lambda m: str(lookup(row.values, m.group(1)) or ""), spec.template)
        text = " ".join(text.split())
        return text or None
    if spec.column is None:
        return None
    return lookup(row.values, spec.column)


def map_fields(
    specs: tuple[FieldSpec, ...], row: Row
) -> tuple[dict[DataPath, Any], list[RowProblem]]:
    """``{path: value}`` for the non-empty cells of one row, plus its problems."""
    values: dict[DataPath, Any] = {}
    problems: list[RowProblem] = []
    for spec in specs:
        try:
            value = convert(spec, cell(spec, row))
        except CellError as exc:
            problems.append(RowProblem(row.number, spec.column or spec.template or "", str(exc)))
            continue
        if value is not None:
            values[spec.target] = value
    return values, problems


def columns_used(fmap: FieldMap) -> set[str]:
    used = set(fmap.notes)
    for spec in (*fmap.fields, *fmap.item_fields):
        if spec.column:
            used.add(spec.column)
        if spec.template:
            used.update(_TEMPLATE.findall(spec.template))
    return used
