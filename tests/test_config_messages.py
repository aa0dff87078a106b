"""Every wrong value in sortext.yaml gets a message in the user's terms (edges7, item 2).

``pages: {branch: 0}`` said "False was expected": jsonschema's own message about the
``const: false`` branch, a Python repr of a schema fragment.  The class: any field
whose wrong value got jsonschema's words (a ``const``, ``anyOf``, ``minItems``,
``pattern`` quoting its regular expression, an ``enum`` listing ``True``).  The
property test walks every field of the configuration schema (each property, list
item and mapping value, inside ``anyOf`` branches too), writes wrong-kind values
there, and holds every message to: names the field's path, says what was expected
in words, has a line and a column, shows no Python repr and no schema fragment.
"""

from __future__ import annotations

import itertools
import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from sortext.errors import ConfigError
from sortext.record.diagnostics import Diagnostic
from sortext.record.positions import format_path
from sortext.schema.config import CONFIG_SCHEMA, parse_config
from tests.conftest import PROJECT_ROOT

SKELETON = PROJECT_ROOT / "sortext" / "skeleton" / "sortext.yaml"
KEY = "x1"  # the key written where a mapping takes names of the user's own

# What jsonschema (or Python) says that means nothing to the user.
RAW = re.compile(
    r"\b(True|False|None)\b|was expected|is not valid under|is not of type|does not match"
    r"|is too short|is too long|should be non-empty|non-empty|\{'|\['|\[\^|\\n|\^\[|\$'"
)
# A message says what was expected: in words, one of these shapes.
WORDS = re.compile(r"expected |must |unknown |minimum|maximum|missing required")


def _fields(schema: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every (path, schema) of the configuration schema below ``path``."""
    if not isinstance(schema, dict):
        return
    if path:
        yield path, schema
    for branch in schema.get("anyOf", []):
        for sub_path, sub in _fields(branch, path):
            if sub_path != path:
                yield sub_path, sub
    for name, sub in schema.get("properties", {}).items():
        yield from _fields(sub, (*path, name))
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        yield from _fields(extra, (*path, KEY))
    items = schema.get("items")
    if isinstance(items, dict):
        yield from _fields(items, (*path, 0))


FIELDS = sorted(dict(_fields(CONFIG_SCHEMA)).items(), key=lambda item: format_path(item[0]))
WRONG: list[Any] = [
    0, 7, -1, 1.5, True, False, None, "", "text", "Bad Name <", [], [1], ["a"], {}, {"k": 1},
]  # fmt: skip


def _base() -> dict[str, Any]:
    from sortext.record.yamlread import load_fast

    data = load_fast(SKELETON.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _put(data: Any, path: tuple[Any, ...], value: Any) -> None:
    node = data
    for part, after in itertools.pairwise(path):
        empty: Any = [] if isinstance(after, int) else {}
        if isinstance(part, int):
            if not node:
                node.append(empty)
            if not isinstance(node[0], type(empty)):
                node[0] = empty
            node = node[0]
        else:
            if not isinstance(node.get(part), type(empty)):
                node[part] = empty
            node = node[part]
    last = path[-1]
    if isinstance(last, int):
        if node:
            node[0] = value
        else:
            node.append(value)
    else:
        node[last] = value


def _messages(data: dict[str, Any]) -> list[Any]:
    with tempfile.TemporaryDirectory() as tmp:
        text = json.dumps(data, indent=2)  # JSON is YAML; each value on its own line
        with pytest.raises(ConfigError) as caught:
            parse_config(Path(tmp), text.encode("utf-8"), "sortext.yaml")
    return list(caught.value.diagnostics)


def _within(field: str, shown: str) -> bool:
    """``field`` is ``shown`` or a field inside it (``{k: 1}`` for a mapping is
    reported at its unknown key ``k``)."""
    return field == shown or field.startswith((shown + ".", shown + "["))


def _assert_plain(diagnostics: list[Any], path: tuple[Any, ...], value: Any) -> None:
    shown = format_path(path)
    assert any(d.path == "sortext.yaml" and _within(d.field, shown) for d in diagnostics), (
        shown,
        value,
        [d.format(False) for d in diagnostics],
    )
    for d in diagnostics:
        line = d.format(False)
        assert d.line >= 1 and d.column >= 1, line
        assert d.field, line
        assert not RAW.search(d.message), line
        assert WORDS.search(d.message), line
        assert "add your own fields" not in d.message, line  # a record's hint, not the config's


@pytest.mark.parametrize("value", [0, True, "x y", 1.5])
def test_the_reported_example_says_what_a_branch_is(value: Any) -> None:
    data = _base()
    data["pages"] = {"branch": value}
    (diag,) = _messages(data)
    assert diag.field == "pages.branch"
    assert "False was expected" not in diag.message
    assert "a git branch name" in diag.message
    if value is not True and not isinstance(value, str):
        assert diag.message.startswith("expected false or a git branch name")


def test_every_field_is_walked() -> None:
    names = {format_path(p) for p, _ in FIELDS}
    assert {"pages.branch", "pages.keep", "git.author", "stages[0].name", "retention.x1"} <= names
    assert len(FIELDS) > 40


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(FIELDS), st.sampled_from(WRONG))
def test_every_wrong_value_of_every_field_is_said_in_words(
    field: tuple[tuple[Any, ...], Any], value: Any
) -> None:
    path, schema = field
    if Draft202012Validator(schema).is_valid(value):
        return  # not wrong here
    data = _base()
    _put(data, path, value)
    if Draft202012Validator(CONFIG_SCHEMA).is_valid(data):
        return  # (a wrong kind nowhere: cannot happen for a refused value)
    _assert_plain(_messages(data), path, value)


def test_no_pattern_of_the_configuration_goes_without_its_words() -> None:
    for path, schema in FIELDS:
        if "pattern" in schema:
            assert "description" in schema, format_path(path)


def test_a_repository_with_a_wrong_value_names_it_at_its_line(tmp_path: Path) -> None:
    root = tmp_path / "r"
    root.mkdir()
    text = SKELETON.read_text(encoding="utf-8") + "\npages: {branch: 0}\n"
    (root / "sortext.yaml").write_text(text, encoding="utf-8")
    shutil.copytree(PROJECT_ROOT / "clients", root / "clients")
    with pytest.raises(ConfigError) as caught:
        parse_config(root, text.encode(), "sortext.yaml")
    line = text.count("\n", 0, text.index("pages:")) + 1
    (diag,) = caught.value.diagnostics
    assert isinstance(diag, Diagnostic)
    assert diag.format(False).startswith(f"sortext.yaml:{line}:17: error: pages.branch: expected")
