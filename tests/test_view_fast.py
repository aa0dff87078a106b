"""The record view's cheaper construction and the once-a-pass erasures (issue 15,
cold build) give what the slow paths give.

``RecordView`` builds its section items with ``tuple.__new__`` and one list
comprehension a section; it is held here to the view as it was
(``sortext/record/model.py`` at main 227abdb, read from git history, not copied
into the tree) over realistic generated records (``bench/gen_pages.py``), odd
ones, and any JSON at all: every field, its type and value, item by item.

``RecordValidator.one_pass`` stats ``erased.yaml`` once for a pass over many
records instead of twice a record; an erase made between two passes (the
watcher's saves) must still be seen, inside a pass the answer is the one the pass
began with, and a damaged file is still reported for every record.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import random
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.gen_pages import client_text
from sortext.check.load import parse_record
from sortext.record import tombstone
from sortext.record.model import RecordView
from sortext.repo import Repository, open_repository
from sortext.schema.config import default_config_text, parse_config
from sortext.schema.validate import RecordValidator
from sortext.store.index import Index
from tests.conftest import PROJECT_ROOT, module_at
from tests.test_page_odd_records import _front_matters
from tests.test_record_model import SECTIONS, any_data

#: The view before its cheaper construction: ``sortext/record/model.py`` at this
#: commit of main, read from the repository's history (not copied into the tree).
REFERENCE_COMMIT = "227abdbd598c090fe920224acb8a5f0816369cfc"
FIELDS = ("id", "name", "email", "phone", "company", "stage", "owner", *SECTIONS)


def _model_before() -> ModuleType:
    """The reference model as a module (skips where the checkout has no history)."""
    return module_at(REFERENCE_COMMIT, "sortext/record/model.py", "sortext_model_before")


def _shape(value: Any) -> Any:
    """A value as comparable text-like structure: class names and exact scalar types
    kept (``1``, ``1.0`` and ``True`` differ), the two modules' classes compared by name."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (
            type(value).__name__,
            tuple((f.name, _shape(getattr(value, f.name))) for f in dataclasses.fields(value)),
        )
    if isinstance(value, tuple):
        fields = getattr(value, "_fields", None)
        items = tuple(_shape(v) for v in value)
        return (type(value).__name__, fields, items)
    if isinstance(value, Mapping):
        return (type(value).__name__, tuple((k, _shape(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("list", tuple(_shape(v) for v in value))
    return (type(value).__name__, repr(value))


def _same_view(data: dict[str, Any]) -> None:
    old = _model_before().RecordView.from_data(data)
    new = RecordView.from_data(data)
    for name in FIELDS:
        assert _shape(getattr(new, name)) == _shape(getattr(old, name)), name
    for inv in new.invoices:
        assert new.invoice_currency(inv) == old.invoice_currency(inv)
    # read again: the kept section is the one first built
    assert new.sessions is new.sessions and new.invoices is new.invoices


_CONFIG = parse_config(Path("."), default_config_text().encode(), "sortext.yaml")
_VALIDATOR = RecordValidator(_CONFIG)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10**6))
def test_realistic_records_read_as_the_view_before(seed: int) -> None:
    """Property: a generated client (about 19 sessions, 6 invoices) reads the same,
    field by field and item by item."""
    text = client_text(seed, random.Random(seed))
    record = parse_record(text.encode(), f"clients/c{seed}.md", _VALIDATOR).record
    assert record is not None
    _same_view(record.data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_front_matters())
def test_odd_records_read_as_the_view_before(data: dict[str, Any]) -> None:
    """Property: list items with fields missing or of the wrong kind read the same."""
    _same_view({"id": "odd", **data})


@settings(max_examples=300, deadline=None)
@given(any_data)
def test_any_json_reads_as_the_view_before(data: dict[str, Any]) -> None:
    """Property: any keys and any JSON values (lists of non-mappings, nested lists,
    bools where numbers go) read the same."""
    _same_view(data)


# every field each section names (the classes' own), with values of every kind
_SECTION_FIELDS = {
    "next_action": ["what", "owner", "due", "notes", "time", "minutes"],
    "blockers": ["what", "since", "waiting_on"],
    "dates": ["first_contact", "started", "next_review", "last_review", "renewal", "ended"],
    "billing": ["plan", "rate", "currency", "per", "payment_method", "terms_days", "renewal"],
    "invoices": ["id", "amount", "currency", "status", "issued", "due", "paid_on", "description"],
    "goals": ["id", "title", "measure", "baseline", "target", "by", "status"],
    "measurements": ["goal", "date", "value", "note"],
    "sessions": [
        "date", "kind", "status", "focus", "commitments", "score", "minutes", "review",
        "notes", "time", "uid",
    ],
    "consent": ["data_use", "marketing", "contact", "given_on", "retain_until"],
    "links": ["contract", "files", "email_thread"],
}  # fmt: skip
_LISTS = {"blockers", "invoices", "goals", "measurements", "sessions"}
_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 10**6),
    st.floats(allow_nan=False),
    st.sampled_from(["", "2026-10-01", "held", "x", "0"]),
    st.lists(st.one_of(st.text(max_size=3), st.integers(), st.none()), max_size=3),
    st.dictionaries(st.sampled_from(["a", "amount"]), st.integers(0, 9), max_size=2),
)


def _entry(fields: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from([*fields, "custom"]), _values, max_size=len(fields))


@st.composite
def _every_field(draw: st.DrawFn) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key in draw(st.sets(st.sampled_from(sorted(_SECTION_FIELDS)), min_size=1)):
        entry = _entry(_SECTION_FIELDS[key])
        if key in _LISTS:
            data[key] = draw(st.lists(st.one_of(entry, _values), max_size=4))
        else:
            data[key] = draw(st.one_of(entry, _values))
    for key in draw(st.sets(st.sampled_from([*FIELDS[:7], "tags", "custom"]))):
        data[key] = draw(_values)
    return data


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_every_field())
def test_every_field_of_every_kind_reads_as_the_view_before(data: dict[str, Any]) -> None:
    """Property: each section's every field, holding a value of each kind (a bool
    where a number goes, a float for minutes, a list for text...), reads the same."""
    _same_view(data)


def test_the_sample_records_read_as_the_view_before() -> None:
    for path in sorted((PROJECT_ROOT / "clients").glob("*.md")):
        record = parse_record(path.read_bytes(), f"clients/{path.name}", _VALIDATOR).record
        assert record is not None, path
        _same_view(record.data)


# -- erased.yaml: once a pass, again at the next ---------------------------------------


def _erase(root: Path, record_id: str, email: str) -> None:
    stones = tombstone.load(root)
    stones.add(record_id, [email], dt.date(2026, 11, 1), "request")
    (root / tombstone.FILE_NAME).write_text(stones.dumps(), encoding="utf-8")


@pytest.fixture
def stats(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The paths the validator stats (os.stat as the validator module calls it)."""

    seen: list[str] = []
    real = os.stat

    def spy(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        seen.append(os.fspath(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr("sortext.schema.validate.os.stat", spy)
    yield seen


def test_a_pass_stats_erased_yaml_once(records_repo: Path, stats: list[str]) -> None:
    repo = open_repository(records_repo)
    validator = RecordValidator(repo.config)
    paths = repo.record_paths()
    with validator.one_pass():
        for path in paths:
            parse_record(path.read_bytes(), repo.relative(path), validator)
            validator.is_erased(path.stem, {})
    erased = [p for p in stats if p.endswith(tombstone.FILE_NAME)]
    assert len(paths) > 2 and len(erased) == 1
    stats.clear()  # outside a pass, each question stats again (as before)
    parse_record(paths[0].read_bytes(), repo.relative(paths[0]), validator)
    assert [p for p in stats if p.endswith(tombstone.FILE_NAME)] == [
        os.path.join(str(records_repo), tombstone.FILE_NAME)
    ]


def test_an_erase_between_passes_is_seen_and_within_a_pass_is_not(records_repo: Path) -> None:
    repo = open_repository(records_repo)
    validator = RecordValidator(repo.config)
    data = {"id": "amara-okafor", "email": "amara.okafor@example.com"}
    with validator.one_pass():
        assert not validator.is_erased("amara-okafor", data)
        _erase(records_repo, "amara-okafor", "amara.okafor@example.com")
        with validator.one_pass():  # nested: the outer pass decides
            assert not validator.is_erased("amara-okafor", data)
        assert not validator.is_erased("amara-okafor", data)
    assert validator.is_erased("amara-okafor", data)  # no pass: stat'ed, read again
    (records_repo / tombstone.FILE_NAME).unlink()
    with validator.one_pass():
        assert not validator.is_erased("amara-okafor", data)


def test_a_damaged_erased_yaml_is_reported_for_every_record_of_a_pass(records_repo: Path) -> None:
    repo = open_repository(records_repo)
    (records_repo / tombstone.FILE_NAME).write_text("salt: nothex\n", encoding="utf-8")
    validator = RecordValidator(repo.config)
    with validator.one_pass():
        results = [
            parse_record(p.read_bytes(), repo.relative(p), validator) for p in repo.record_paths()
        ]
    assert results and all(
        any("erasures cannot be enforced" in d.message for d in r.diagnostics) for r in results
    )


def _touch(repo: Repository, stem: str) -> None:
    path = repo.record_path(stem)
    path.write_text(path.read_text() + "\n", encoding="utf-8")


def test_the_index_sees_an_erase_made_between_two_refreshes(records_repo: Path) -> None:
    """The watcher's case: one long-lived index (and validator), an erase, the next
    save's refresh leaves the erased client out."""
    repo = open_repository(records_repo)
    with Index.open(repo) as index:
        index.refresh()
        assert "amara-okafor" in {r.id for r in index.records()}
        _erase(records_repo, "amara-okafor", "amara.okafor@example.com")
        _touch(repo, "amara-okafor")
        index.refresh(only=["amara-okafor.md"])
        assert "amara-okafor" not in {r.id for r in index.records()}
        (records_repo / tombstone.FILE_NAME).unlink()
        _touch(repo, "amara-okafor")
        index.refresh(only=["amara-okafor.md"])
        assert "amara-okafor" in {r.id for r in index.records()}
