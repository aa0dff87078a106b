"""The compiled record validator kept in ``.sortext/validators``: the same answers as
fastjsonschema compiling the schema itself, read back by the next process, and never
read when stale (another schema, another library version) or damaged."""

from __future__ import annotations

import datetime as dt
import marshal
import zlib
from pathlib import Path
from typing import Any

import fastjsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.record.values import is_email, is_iso_date
from sortext.repo import open_repository
from sortext.schema import validate
from sortext.schema.validate import RecordValidator, fast_validator


def _validator(root: Path) -> RecordValidator:
    return RecordValidator(open_repository(root).config)


def _answer(check: Any, data: Any) -> tuple[bool, str]:
    try:
        check(data)
    except fastjsonschema.JsonSchemaValueException as exc:
        return False, f"{exc.message}|{exc.name}|{exc.rule}"
    return True, ""


def _cache_files(root: Path) -> list[Path]:
    folder = root / ".sortext" / "validators"
    return sorted(folder.glob("*.code")) if folder.is_dir() else []


@pytest.fixture(autouse=True)
def _fresh_process_memory() -> None:
    validate._COMPILED.clear()  # each test starts as a new process does


@pytest.fixture
def repo(records_repo: Path) -> Path:
    """The sample repository with its state folder (a build or check makes one)."""
    (records_repo / ".sortext").mkdir(exist_ok=True)
    return records_repo


def _reference(v: RecordValidator) -> Any:
    return fastjsonschema.compile(v._draft7, formats={"date": is_iso_date, "email": is_email})


_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 10**16)
    | st.sampled_from(["", "inquiry", "active", "2026-11-23", "2026-13-40", "a@b.example", "x"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
_KEYS = st.sampled_from(
    [
        "id",
        "name",
        "stage",
        "email",
        "owner",
        "next_action",
        "sessions",
        "invoices",
        "goals",
        "billing",
        "links",
        "consent",
        "tags",
        "first_contact",
        "rate",
        "zzz",
    ]
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(record=st.dictionaries(_KEYS, _VALUES, max_size=6))
def test_the_kept_validator_answers_as_the_library_compiles_it(
    repo: Path, record: dict[str, Any]
) -> None:
    """Any record-shaped data, valid or not: the validator read from the cache and the
    one fastjsonschema compiles accept and refuse the same data with the same message."""
    v = _validator(repo)
    kept = v._compiled()
    assert len(_cache_files(repo)) == 1
    validate._COMPILED.clear()
    again = _validator(repo)._compiled()  # read from .sortext/validators
    reference = _reference(v)
    assert _answer(kept, record) == _answer(reference, record) == _answer(again, record)


def test_the_sample_records_validate_alike_from_the_cache(repo: Path) -> None:
    import yaml

    v = _validator(repo)
    v._compiled()
    assert len(_cache_files(repo)) == 1
    validate._COMPILED.clear()
    from_cache = _validator(repo)._compiled()
    checked = 0
    for path in sorted((repo / "clients").glob("*.md")):
        head = path.read_text(encoding="utf-8").split("---\n")[1]
        data = yaml.safe_load(head)
        if isinstance(data, dict):
            checked += 1
            assert _answer(from_cache, data) == _answer(_reference(v), data), path.name
    assert checked


def test_a_second_process_reads_the_code_instead_of_compiling(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _validator(repo)._compiled()
    validate._COMPILED.clear()

    def no_compile(*args: object, **kwargs: object) -> str:
        raise AssertionError("compiled again")

    monkeypatch.setattr(fastjsonschema, "compile_to_code", no_compile)
    monkeypatch.setattr(fastjsonschema, "compile", no_compile)
    check = _validator(repo)._compiled()
    assert _answer(check, {"name": "A", "stage": "inquiry"})[0] in (True, False)


def test_another_schema_or_library_version_is_compiled_again(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The entry's name hashes the schema and the library version: a configuration with
    a new custom field, or another fastjsonschema, never reads the old code."""
    _validator(repo)._compiled()
    first = _cache_files(repo)
    compiled: list[int] = []
    real = fastjsonschema.compile_to_code

    def counted(*args: Any, **kwargs: Any) -> str:
        compiled.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(fastjsonschema, "compile_to_code", counted)
    validate._COMPILED.clear()
    monkeypatch.setattr(fastjsonschema, "VERSION", "0.0.0-other")
    _validator(repo)._compiled()
    assert compiled == [1]
    assert _cache_files(repo) != first
    monkeypatch.undo()

    config = repo / "sortext.yaml"
    text = config.read_text(encoding="utf-8")
    assert "\ncustom_fields: {}\n" in text
    text = text.replace("\ncustom_fields: {}\n", "\ncustom_fields: {shoe_size: {type: integer}}\n")
    config.write_text(text, encoding="utf-8")
    validate._COMPILED.clear()
    v = _validator(repo)
    check = v._compiled()
    assert _cache_files(repo) != first  # its own entry; the old one removed
    assert len(_cache_files(repo)) == 1
    assert _answer(check, {"name": "A", "stage": "inquiry", "shoe_size": "big"}) == _answer(
        _reference(v), {"name": "A", "stage": "inquiry", "shoe_size": "big"}
    )
    assert not _answer(check, {"name": "A", "stage": "inquiry", "shoe_size": "big"})[0]


@pytest.mark.parametrize(
    "damage",
    ["truncated", "garbage", "empty", "not_code", "raises", "no_entry"],
)
def test_a_damaged_entry_is_compiled_again_never_an_error(repo: Path, damage: str) -> None:
    import hashlib

    v = _validator(repo)
    v._compiled()
    (entry,) = _cache_files(repo)
    blob = entry.read_bytes()

    def signed(code: bytes) -> bytes:
        body = zlib.compress(code)
        return hashlib.sha256(body).digest() + body

    entry.write_bytes(
        {
            "truncated": blob[: len(blob) // 2],
            "garbage": b"\x00\xff" * 100,
            "empty": b"",
            "not_code": signed(marshal.dumps({"validate": 1})),
            "raises": signed(marshal.dumps(compile("raise RuntimeError('x')", "<x>", "exec"))),
            "no_entry": signed(marshal.dumps(compile("x = 1", "<x>", "exec"))),
        }[damage]
    )
    validate._COMPILED.clear()
    again = _validator(repo)
    check = again._compiled()
    for data in ({"name": "A", "stage": "inquiry"}, {"name": 3}, {"stage": ["x"]}):
        assert _answer(check, data) == _answer(_reference(v), data)
    if damage not in ("not_code", "raises", "no_entry"):  # well signed: read, then refused
        assert entry.read_bytes() == blob  # compiled and kept again


def test_no_state_folder_no_cache_and_a_link_out_is_not_followed(
    records_repo: Path, tmp_path: Path
) -> None:
    """Without ``.sortext`` nothing is written; a ``.sortext`` that is a link leaving the
    repository is neither read nor written through."""
    schema = {"type": "object", "properties": {"when": {"type": "string", "format": "date"}}}
    bare = tmp_path / "bare"
    bare.mkdir()
    check = fast_validator(schema, "x", bare / ".sortext" / "validators")
    assert not (bare / ".sortext").exists()
    assert _answer(check, {"when": "2026-02-30"})[0] is False
    assert _answer(check, {"when": dt.date(2026, 1, 1).isoformat()})[0] is True

    import shutil

    outside = tmp_path / "outside"
    outside.mkdir()
    v = _validator(records_repo)  # (opening the repository refuses such a link too)
    shutil.rmtree(records_repo / ".sortext", ignore_errors=True)
    (records_repo / ".sortext").symlink_to(outside, target_is_directory=True)
    assert _answer(v._compiled(), {"name": 3}) == _answer(_reference(v), {"name": 3})
    assert list(outside.iterdir()) == []
