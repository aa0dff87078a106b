"""The generated yes/no record check (issue 15) answers as fastjsonschema does.

:mod:`sortext.schema.quickcheck` replaces fastjsonschema's validator on the record
path; ``RecordValidator.problems`` only asks it whether a record is valid (a record
that is not gets every problem from ``jsonschema``), so the two must agree on every
value: records generated from the effective schema (the skeleton's configuration and
one with custom fields of every kind), the same records with one value replaced by
anything JSON can hold (or a value no parser gives: a tuple, a Decimal, a key that is
not text), and any value at all.  A schema with a keyword the generator does not
write keeps fastjsonschema.
"""

from __future__ import annotations

import copy
import math
from decimal import Decimal
from pathlib import Path
from typing import Any

import fastjsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.schema import quickcheck
from sortext.schema.config import load_config
from sortext.schema.effective import draft7_copy, effective_schema
from sortext.schema.validate import _FORMATS, RecordValidator
from tests.conftest import PROJECT_ROOT
from tests.test_hostile_properties import from_schema

CUSTOM = """
custom_fields:
  referral: {values: [friend, web, 3, 2.5, true, null]}
  hours: {type: number, minimum: 0.5, maximum: 40}
  visits: {type: integer, minimum: 1, required: true}
  vip: {type: boolean}
  birthday: {type: date}
  tags_extra: {type: list}
  backup_email: {type: email}
  site: {type: url}
  sessions.location: {values: [online, office]}
  sessions.rating: {type: integer, maximum: 5}
  billing.vat: {type: number}
"""


def _draft7(tmp: Path, extra: str = "") -> dict[str, Any]:
    text = (PROJECT_ROOT / "sortext" / "skeleton" / "sortext.yaml").read_text(encoding="utf-8")
    if extra:
        text = text.replace("custom_fields: {}\n", extra.lstrip("\n"))
        assert extra.strip() in text
    (tmp / "sortext.yaml").write_text(text, encoding="utf-8")
    return draft7_copy(effective_schema(load_config(tmp)))


def _schemas() -> list[dict[str, Any]]:
    import tempfile

    found = []
    for extra in ("", CUSTOM):
        with tempfile.TemporaryDirectory() as tmp:
            found.append(_draft7(Path(tmp), extra))
    return found


SCHEMAS = _schemas()
PAIRS = []
for _schema in SCHEMAS:
    _quick = quickcheck.generate(_schema, _FORMATS)
    assert _quick is not None
    PAIRS.append((_schema, _quick, fastjsonschema.compile(_schema, formats=_FORMATS)))

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**16), 10**16)
    | st.sampled_from([0, 1, 5, 40, 41, 0.5, 0.4, 1.0, 3, 2.5, -1, 10**15 + 1])
    | st.floats()
    | st.sampled_from(["", "x", "friend", "web", "online", "active", "paid", "held", "GBP"])
    | st.sampled_from(["2026-02-29", "2024-02-29", "1899-12-31", "2026-1-01", "09:30", "24:00"])
    | st.sampled_from(["a@b.co", "a@b", "https://x", "ab-1", "-ab", "x" * 65, "abc\n"])
    | st.text(max_size=6)
    | st.sampled_from([Decimal("2.5"), Decimal("NaN")])
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(
            st.text(max_size=5) | st.sampled_from(["what", "due", "id"]), inner, max_size=3
        )
        | st.dictionaries(st.integers(0, 2) | st.none(), inner, max_size=2)
    ),
    max_leaves=8,
)


def fast_says(validate: Any, data: Any) -> bool:
    try:
        validate(data)
    except fastjsonschema.JsonSchemaValueException:
        return False
    return True


def paths(value: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [here]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*here, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*here, index))
    return found


def replaced(data: Any, path: tuple[Any, ...], new: Any, drop: bool) -> Any:
    if not path:
        return new
    out = copy.deepcopy(data)
    parent = out
    for part in path[:-1]:
        parent = parent[part]
    if drop and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = new
    return out


def agree(index: int, data: Any) -> None:
    _, quick, validate = PAIRS[index]
    assert quick(data) == fast_says(validate, data), data


@pytest.mark.parametrize("index", range(len(SCHEMAS)))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_generated_records_and_mutations(index: int, data: st.DataObject) -> None:
    schema = SCHEMAS[index]
    record = data.draw(from_schema(schema, schema))
    agree(index, record)
    path = data.draw(st.sampled_from(paths(record)))
    changed = replaced(record, path, data.draw(VALUES), data.draw(st.booleans()))
    agree(index, changed)


@pytest.mark.parametrize("index", range(len(SCHEMAS)))
@settings(max_examples=300, deadline=None)
@given(value=VALUES)
def test_any_value(index: int, value: Any) -> None:
    agree(index, value)
    agree(index, {"name": "N", "stage": "active", "visits": 1, "x": value})


def test_the_realistic_records_agree(tmp_path: Path) -> None:
    from sortext.record.split import Split, split
    from sortext.record.yamlread import load_data

    samples = sorted((PROJECT_ROOT / "clients").glob("*.md")) + sorted(
        (PROJECT_ROOT / "tests" / "corpus").glob("*/*.md")
    )
    seen = 0
    for path in samples:
        parts = split(path.read_text(encoding="utf-8", errors="replace"))
        if not isinstance(parts, Split):
            continue
        loaded = load_data(parts.yaml_text)
        if isinstance(loaded, dict):
            agree(0, loaded)
            seen += 1
    assert seen > 10


def test_the_dollar_finder_is_the_librarys() -> None:
    from fastjsonschema.draft04 import DOLLAR_FINDER

    assert quickcheck.DOLLAR_FINDER.pattern == DOLLAR_FINDER.pattern


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "properties": {"a": {"const": 1}}},
        {"type": "object", "properties": {"a": {"$ref": "#/$defs/x"}}},
        {"type": "object", "properties": {"a": {"type": "string", "default": "x"}}},
        {"type": "string", "format": "date-time"},
        {"type": "object", "patternProperties": {"^x": {}}},
        {"type": "array", "items": [{"type": "string"}]},
        {"enum": [{"a": 1}]},
        {"enum": [math.inf]},
        {"type": "object", "additionalProperties": None},
    ],
)
def test_what_it_does_not_write_keeps_fastjsonschema(schema: dict[str, Any]) -> None:
    assert quickcheck.generate(schema, _FORMATS) is None


def test_the_library_path_stays_selectable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``SORTEXT_FASTJSONSCHEMA=1`` runs fastjsonschema (to measure or rule out the
    generated check); both give the same problems."""
    _draft7(tmp_path)
    config = load_config(tmp_path)
    bad = {"name": "", "stage": "nowhere", "sessions": [{"date": "2026-02-30"}], "x": 1}
    found = RecordValidator(config).problems(copy.deepcopy(bad), "someone")
    assert RecordValidator(config).quick_check() is not None
    monkeypatch.setenv("SORTEXT_FASTJSONSCHEMA", "1")
    validator = RecordValidator(config)
    assert validator.quick_check() is None
    assert validator.problems(copy.deepcopy(bad), "someone") == found
    assert found


def test_kept_date_answers_decide_as_the_function() -> None:
    """The check reads is_iso_date's kept answers first: a date refused or accepted once
    is refused or accepted again, and a full cache (cleared) changes nothing."""
    from sortext.record import values

    _, quick, validate = PAIRS[0]
    for day in ("2026-02-30", "2026-02-28", "1899-12-31", "2024-02-29", "2026-02-30"):
        data = {"name": "N", "stage": "active", "dates": {"started": day}}
        first = quick(data)
        assert first == fast_says(validate, data) == quick(data), day
    import datetime as dt

    start = dt.date(1950, 1, 1)
    for i in range(values._MAX_DATES + 1):  # fills and clears the kept answers
        values.is_iso_date((start + dt.timedelta(days=i)).isoformat())
    assert len(values.DATE_ANSWERS) < values._MAX_DATES
    assert quick({"name": "N", "stage": "active", "dates": {"started": "2026-02-30"}}) is False


@pytest.fixture
def state_repo(records_repo: Path) -> Path:
    (records_repo / ".sortext").mkdir(exist_ok=True)
    return records_repo


def _kept(root: Path) -> list[Path]:
    folder = root / ".sortext" / "validators"
    return sorted(folder.glob("*.quick")) if folder.is_dir() else []


def _fresh(root: Path) -> RecordValidator:
    from sortext.repo import open_repository
    from sortext.schema import validate

    validate._QUICK.clear()  # as a new process starts
    return RecordValidator(open_repository(root).config)


def test_the_compiled_check_is_kept_and_read_back(
    state_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second process reads the compiled check from .sortext/validators instead of
    compiling it; the answers are the same."""
    import builtins

    first = _fresh(state_repo).quick_check()
    assert first is not None and len(_kept(state_repo)) == 1
    compiled = builtins.compile

    def no_compile(source: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        assert name != "<sortext record quick check>", "compiled again"
        return compiled(source, name, *args, **kwargs)

    monkeypatch.setattr(builtins, "compile", no_compile)
    again = _fresh(state_repo).quick_check()
    assert again is not None and again is not first
    for data in ({"name": "A", "stage": "inquiry"}, {"name": 3}, {"name": "A", "stage": "x"}):
        assert again(data) == first(data)


@pytest.mark.parametrize("damage", [b"", b"x" * 40, None])
def test_a_damaged_or_planted_entry_is_compiled_again(
    state_repo: Path, damage: bytes | None
) -> None:
    import hashlib
    import marshal
    import zlib

    _fresh(state_repo).quick_check()
    (entry,) = _kept(state_repo)
    if damage is None:  # a well-formed entry holding some other module
        body = zlib.compress(marshal.dumps(compile("valid = 3\n", "x", "exec")))
        damage = hashlib.sha256(body).digest() + body
    entry.write_bytes(damage)
    check = _fresh(state_repo).quick_check()
    assert check is not None
    assert check({"name": "A", "stage": "inquiry"}) is True
    assert check({"name": 3, "stage": "inquiry"}) is False


def test_another_schema_keeps_its_own_entry(state_repo: Path) -> None:
    _fresh(state_repo).quick_check()
    (before,) = _kept(state_repo)
    config = state_repo / "sortext.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "custom_fields: {}", "custom_fields:\n  vip: {type: boolean}"
        ),
        encoding="utf-8",
    )
    check = _fresh(state_repo).quick_check()
    assert check is not None and check({"name": "A", "stage": "inquiry", "vip": "yes"}) is False
    (after,) = _kept(state_repo)  # the other schema's entry is gone
    assert after != before
