"""Read spreadsheet and form exports as rows of ``{column: text}``.

CSV (any dialect Excel, Google Sheets, HubSpot, Pipedrive, Typeform or Tally
write; a UTF-8 BOM is accepted) and JSON (a list of objects, a list under a
key such as ``items``, and Tally-style ``fields: [{label, value}]`` lists).
Nested JSON values are reachable by dotted column names (``answers.email``).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sortext.errors import UsageError


@dataclass(frozen=True, slots=True)
class Row:
    """One response or spreadsheet row; ``number`` is 1-based (CSV: the file line)."""

    number: int
    values: dict[str, Any]


def read_rows(
    path: Path,
    fmt: str | None = None,
    records: str | None = None,
    flatten: dict[str, str] | None = None,
) -> list[Row]:
    """Rows of a CSV or JSON export (format from ``fmt`` or the file extension)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"{path}: not UTF-8 (byte offset {exc.start}); export the file as UTF-8 CSV"
        ) from exc
    kind = (fmt or path.suffix.lstrip(".") or "csv").lower()
    if kind == "json":
        return _json_rows(path, text, records, flatten)
    if kind in ("csv", "tsv", "txt"):
        return _csv_rows(path, text)
    raise UsageError(f"{path}: unknown format '{kind}'; use csv or json")


def _csv_rows(path: Path, text: str) -> list[Row]:
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count) if first_line else ","
    if first_line.count(delimiter) == 0:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), csv.excel, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return []
    header = [h.strip() for h in header]
    rows = []
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue
        values = {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header)}
        rows.append(Row(reader.line_num, values))
    return rows


def _json_rows(
    path: Path, text: str, records: str | None, flatten: dict[str, str] | None
) -> list[Row]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from exc
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
            values.update(_flatten_fields(item, flatten))
        rows.append(Row(number, values))
    return rows


def _flatten_fields(item: dict[str, Any], spec: dict[str, str]) -> dict[str, Any]:
    """Tally/Typeform style ``[{label: Q, value: A}]`` lists become ``{Q: A}`` columns."""
    found = lookup(item, spec.get("list", "fields"))
    out: dict[str, Any] = {}
    if isinstance(found, list):
        for entry in found:
            if isinstance(entry, dict):
                label = lookup(entry, spec.get("key", "label"))
                if label is not None:
                    out[str(label)] = lookup(entry, spec.get("value", "value"))
    return out


def lookup(values: Any, column: str) -> Any:
    """A column's value; dotted names reach into nested JSON objects."""
    if isinstance(values, dict) and column in values:
        return values[column]
    node = values
    for part in column.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node
