"""The shipped validator of ``sortext.yaml`` (issue 15: cold ``check`` pays neither for
importing ``jsonschema`` nor for compiling a validator on a valid configuration).

* the shipped module is exactly what regenerating it gives;
* a configuration it accepts is one ``jsonschema`` finds nothing in (generated valid
  configurations and mutations of them), so the diagnostics never change;
* a module generated from another schema is not used;
* loading a valid configuration imports no ``jsonschema``.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.schema import config as config_module
from sortext.schema.config import CONFIG_SCHEMA, _passes_fast, config_validator_source
from sortext.schema.explain import schema_problems

ROOT = Path(__file__).resolve().parent.parent


def test_shipped_module_is_what_regenerating_gives() -> None:
    shipped = (ROOT / "sortext" / "schema" / "config_fast.py").read_text(encoding="utf-8")
    assert shipped == config_validator_source(), (
        "regenerate: python -c 'from sortext.schema.config import write_config_validator as w; w()'"
    )


def test_a_module_from_another_schema_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    module = importlib.import_module(config_module.FAST_MODULE)
    good = {"stages": [{"name": "lead"}]}
    assert _passes_fast(good)
    monkeypatch.setattr(module, "SCHEMA_KEY", "another schema")
    assert not _passes_fast(good)
    monkeypatch.setattr(config_module, "FAST_MODULE", "sortext.schema.no_such_module")
    assert not _passes_fast(good)


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 40000)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["", "lead", "Lead", "x y", "a <b@c>", "3d", "0d", "main", "error"])
    | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["name", "open", "x", "field", "url"]), inner, max_size=3)
    ),
    max_leaves=8,
)


def valid(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values ``schema`` accepts (the keywords CONFIG_SCHEMA uses)."""
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "anyOf" in schema:
        return st.one_of([valid(s) for s in schema["anyOf"]])
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        required = [k for k in schema.get("required", []) if k in props]
        extra = schema.get("additionalProperties", True)
        base = st.fixed_dictionaries(
            {k: valid(props[k]) for k in required},
            optional={k: valid(props[k]) for k in props if k not in required},
        )
        if isinstance(extra, dict):
            more = st.dictionaries(st.sampled_from(["a", "b-c", "x1"]), valid(extra), max_size=2)
            return st.tuples(base, more).map(lambda pair: {**pair[1], **pair[0]})
        return base
    if kind == "array":
        return st.lists(
            valid(schema.get("items", {})), min_size=schema.get("minItems", 0), max_size=3
        )
    if kind == "string":
        if "pattern" in schema:
            return st.from_regex(schema["pattern"].replace("$", r"\Z"))
        return st.text(min_size=schema.get("minLength", 0), max_size=8)
    if kind == "integer":
        return st.integers(schema.get("minimum", -5), schema.get("maximum", 10**6))
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False) | st.integers()
    if kind == "boolean":
        return st.booleans()
    return JSON


@st.composite
def configurations(draw: st.DrawFn) -> Any:
    """A valid configuration, then (mostly) one value somewhere in it replaced."""
    data = draw(valid(CONFIG_SCHEMA))
    for _ in range(draw(st.integers(0, 2))):
        parent: Any = data
        steps = draw(st.integers(0, 3))
        for _ in range(steps):
            children = list(parent) if isinstance(parent, dict) else range(len(parent))
            nested = [k for k in children if isinstance(parent[k], dict | list) and parent[k]]
            if not nested:
                break
            parent = parent[draw(st.sampled_from(nested))]
        if isinstance(parent, dict):
            key = draw(st.sampled_from([*parent, *sorted(CONFIG_SCHEMA["properties"]), "name"]))
            parent[key] = draw(JSON)
        elif parent:
            parent[draw(st.integers(0, len(parent) - 1))] = draw(JSON)
    return data


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(configurations())
def test_what_the_shipped_validator_accepts_jsonschema_accepts(data: Any) -> None:
    slow = schema_problems(CONFIG_SCHEMA, data)
    if _passes_fast(data):
        assert slow == [], json.dumps(data, default=str)


def test_the_skeleton_passes_fast_and_a_bad_stage_does_not() -> None:
    from sortext.record.yamlread import load_fast

    text = (ROOT / "sortext" / "skeleton" / "sortext.yaml").read_text(encoding="utf-8")
    data = load_fast(text)
    assert isinstance(data, dict) and _passes_fast(data)
    assert not _passes_fast({**data, "stages": [{"name": "Bad Stage"}]})
    assert not _passes_fast({**data, "pages": 0})  # const false is not the number 0


def test_loading_a_valid_configuration_imports_no_jsonschema(tmp_path: Path) -> None:
    (tmp_path / "sortext.yaml").write_bytes((ROOT / "sortext/skeleton/sortext.yaml").read_bytes())
    code = (
        "import sys; from pathlib import Path; from sortext.schema.config import load_config; "
        f"load_config(Path({str(tmp_path)!r})); print('jsonschema' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
