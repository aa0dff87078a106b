"""A YAML boolean is never a number (``isinstance(True, int)`` in Python).

``terms_days: true`` must not read as "True day", ``14.0`` days not as "14.0 days";
a boolean in a number field of a record is refused by the validator, wherever the
field is; an imported cell holding a boolean is no number either, and a fraction is no
whole number.  The properties run over YAML scalars (``true``, ``yes``, ``~``,
``1e3``, ``0x10``...), read as the record reader reads them.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.check.load import parse_record
from sortext.io.fieldmap import CellError, FieldSpec, convert
from sortext.pages import render
from sortext.rules.wording import count
from tests.test_page_render_fast import _repo_parts

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "sortext" / "schema" / "record.schema.json").read_text())

#: YAML scalars that Python reads as bool, int, float, None or text
_SCALARS = st.sampled_from(
    [
        "true", "false", "True", "FALSE", "yes", "no", "on", "off", "~", "null",
        "0", "1", "14", "-3", "14.0", "2.5", "1e3", "0x10", "0o17", ".inf", ".nan",
        "'14'", "fourteen",
    ]
)  # fmt: skip


@pytest.fixture(scope="module")
def env() -> jinja2.Environment:
    return render.environment(ROOT / "no-such-repo")


def _numeric_paths(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The paths of the schema's number and integer fields reached through objects
    (``*`` for an array's items)."""
    if not isinstance(node, dict):
        return
    kinds = node.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if path and ("integer" in kinds or "number" in kinds):
        yield path
    for key, sub in node.get("properties", {}).items():
        yield from _numeric_paths(sub, (*path, key))
    if isinstance(node.get("items"), dict):
        yield from _numeric_paths(node["items"], (*path, "*"))


NUMERIC = sorted(set(_numeric_paths(SCHEMA)))


def test_the_schema_has_number_fields_to_try() -> None:
    assert ("billing", "terms_days") in NUMERIC
    assert len(NUMERIC) >= 5


@settings(max_examples=150, deadline=None)
@given(_SCALARS)
def test_the_count_filter_never_counts_a_boolean(env: jinja2.Environment, text: str) -> None:
    value = yaml.safe_load(f"v: {text}")["v"]
    shown = env.filters["count"](value, "day")
    assert "True" not in shown and "False" not in shown
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        assert shown == ""
    elif value == int(value):
        assert shown == count(int(value), "day")  # 14.0 is "14 days"
    template = env.from_string("{{ v|count('day') }}")
    assert template.render(v=value) == shown


def test_count_refuses_a_boolean() -> None:
    with pytest.raises(TypeError):
        count(True, "day")
    assert count(1, "day") == "1 day"


def _record_with(path: tuple[str, ...], scalar: str) -> str:
    """A record with ``scalar`` (YAML text) at ``path`` (``*``: a list of one item)."""
    lines = ["name: Ann Example", "stage: inquiry"]
    indent = ""
    for i, step in enumerate(path):
        last = i == len(path) - 1
        if step == "*":
            continue
        dash = "- " if i > 0 and path[i - 1] == "*" else ""
        lines.append(f"{indent}{dash}{step}:{' ' + scalar if last else ''}")
        indent += "    " if dash else "  "
    return "---\n" + "\n".join(lines) + "\n---\n"


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(NUMERIC), st.sampled_from(["true", "false", "yes", "no", "on", "True"]))
def test_a_boolean_in_a_number_field_is_refused(path: tuple[str, ...], scalar: str) -> None:
    text = _record_with(path, scalar)
    value = yaml.safe_load(text.split("---\n")[1])
    if not any(v is True or v is False for v in _leaves(value)):
        return  # the YAML reader here reads it as text: nothing to say
    validator, _ = _repo_parts()
    parsed = parse_record(text.encode(), "clients/ann-example.md", validator)
    field = ".".join(p for p in path if p != "*")
    flagged = [d for d in parsed.diagnostics if d.is_error]
    assert flagged, f"{field}: {scalar} passed as a number"


def _leaves(node: Any) -> Iterator[Any]:
    if isinstance(node, dict):
        for item in node.values():
            yield from _leaves(item)
    elif isinstance(node, list):
        for item in node:
            yield from _leaves(item)
    else:
        yield node


@settings(max_examples=150, deadline=None)
@given(_SCALARS, st.sampled_from(["number", "integer"]))
def test_an_imported_boolean_or_fraction_is_no_whole_number(text: str, kind: str) -> None:
    raw = yaml.safe_load(f"v: {text}")["v"]
    spec = FieldSpec(target=("x",), column="x", type=kind)
    try:
        got = convert(spec, raw, ".")
    except CellError:
        assert (
            isinstance(raw, bool)
            or not isinstance(raw, int | float)
            or not math.isfinite(raw)
            or (kind == "integer" and not float(raw).is_integer())
        ), f"{raw!r} refused as {kind}"
        return
    if raw is None:
        return
    assert not isinstance(got, bool)
    assert isinstance(got, int | float)
    if kind == "integer":
        assert isinstance(got, int)
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        assert got == raw  # 2.5 is not cut to 2


_SKELETON = (ROOT / "sortext" / "skeleton" / "sortext.yaml").read_text(encoding="utf-8")
_THRESHOLDS = re.findall(r"^  ([a-z_]+): \d+$", _SKELETON, re.MULTILINE)


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(_THRESHOLDS),
    st.sampled_from(["true", "false", "yes", "on", "True", "14", "0"]),
)
def test_a_boolean_threshold_or_stale_days_is_refused(
    tmp_path_factory: pytest.TempPathFactory, name: str, scalar: str
) -> None:
    """A count of days or sessions in sortext.yaml written ``true``: a configuration
    error at the setting, never a threshold of 1."""
    from sortext.errors import ConfigError
    from sortext.schema.config import load_config

    root = tmp_path_factory.mktemp("config")
    text = re.sub(rf"^  {name}: \d+$", f"  {name}: {scalar}", _SKELETON, flags=re.MULTILINE)
    text = text.replace("inquiry: 14,", f"inquiry: {scalar},")
    (root / "sortext.yaml").write_text(text, encoding="utf-8")
    boolean = isinstance(yaml.safe_load(f"v: {scalar}")["v"], bool)
    try:
        config = load_config(root)
    except ConfigError as exc:
        assert boolean, exc
        assert name in str(exc) or "stale_days" in str(exc)
        return
    assert not boolean, f"{name}: {scalar} accepted"
    assert not isinstance(config.thresholds[name], bool)
