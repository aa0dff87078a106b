"""Property tests for the parser: any bytes give a record or diagnostics, and the
fast read path (yaml_rs) and the round-trip path (ruamel.yaml) mean the same."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.check.load import parse_record
from sortext.record.diagnostics import Diagnostic
from sortext.record.source import SourceText, decode
from sortext.record.split import Split, split
from sortext.record.yamlread import load_fast, load_round_trip, meaning
from sortext.schema.validate import RecordValidator
from tests.conftest import PROJECT_ROOT

TRICKY_WORDS = [
    "no",
    "No",
    "NO",
    "on",
    "On",
    "ON",
    "off",
    "yes",
    "Yes",
    "YES",
    "y",
    "n",
    "true",
    "False",
    "TRUE",
    "null",
    "Null",
    "~",
    "012",
    "0o12",
    "0o8",
    "0x1F",
    "0X1F",
    "0b101",
    "1_000",
    "_1",
    "1__0",
    "1e3",
    "1E3",
    ".5",
    "-.5",
    "+.5",
    "1.",
    ".9e6",
    "1.5e-3",
    "-0",
    "+12",
    "00",
    "09",
    "09.5",
    ".inf",
    "-.Inf",
    ".nan",
    "2026-02-28",
    "2026-02-30",
    "2025-02-29",
    "2026-13-01",
    "2026-2-3",
    "2026-02-28T10:00:00",
    "2026-02-28 10:00:00Z",
    "1:20",
    "190:20:30",
    "1,000",
    "12abc",
    "3rd",
    "0.1.2",
    "2026-11",
    "+44 20 7946 0000",
    "<<",
    "=",
    "-",
    "--",
    "Lindqvist & Okafor",
    "see *notes*",
    "wow!",
    "R&D",
    "#hash",
]

NUMBERISH = st.text(alphabet="0123456789_+-.eExXoObB", min_size=1, max_size=8)
WORD = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)
PLAIN = st.one_of(st.sampled_from(TRICKY_WORDS), NUMBERISH, WORD)


def assert_paths_agree(text: str) -> None:
    fast = load_fast(text)
    slow = load_round_trip(text)
    if isinstance(fast, Diagnostic) or isinstance(slow, Diagnostic):
        assert isinstance(fast, Diagnostic) and isinstance(slow, Diagnostic), (fast, slow)
        return
    assert meaning(fast) == meaning(slow)


def front_matter(path: Path) -> str:
    source = decode(path.read_bytes())
    assert isinstance(source, SourceText)
    parts = split(source.text)
    assert isinstance(parts, Split)
    return parts.yaml_text


SAMPLES = sorted((PROJECT_ROOT / "clients").glob("*.md")) + sorted(
    (PROJECT_ROOT / "tests" / "corpus" / "valid").glob("*.md")
)


@pytest.mark.parametrize("path", SAMPLES, ids=[p.name for p in SAMPLES])
def test_read_paths_agree_on_every_sample(path: Path) -> None:
    text = front_matter(path)
    fast = load_fast(text)
    assert not isinstance(fast, Diagnostic), fast
    assert meaning(fast) == meaning(load_round_trip(text))


@pytest.mark.parametrize("word", TRICKY_WORDS)
def test_read_paths_agree_on_tricky_scalars(word: str) -> None:
    for text in (f"k: {word}\n", f"k: [{word}]\n", f"- {word}\n", f"{word}: v\n"):
        assert_paths_agree(text)


def test_yaml_1_2_meanings() -> None:
    """The documented rules (README "YAML rules")."""
    text = (
        "a: no\nb: on\nc: NO\nd: yes\ne: 012\nf: 0o12\ng: 2026-02-28\n"
        "h: 2026-02-30\ni: '1_000'\nj: 1e3\nk: true\n"
    )
    assert load_fast(text) == {
        "a": "no",
        "b": "on",
        "c": "NO",
        "d": "yes",
        "e": 12,
        "f": 10,
        "g": dt.date(2026, 2, 28),
        "h": "2026-02-30",
        "i": "1_000",
        "j": 1000.0,
        "k": True,
    }
    for refused in (
        "k: 1_000\n",
        "k: 0b101\n",
        "k: .9e6\n",
        "k: !!str 1\n",
        "k: &a 1\n",
        "k: .nan\n",
        "<<: {a: 1}\n",
    ):
        assert isinstance(load_fast(text + refused), Diagnostic), refused


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PLAIN)
def test_read_paths_agree_on_generated_plain_scalars(word: str) -> None:
    if "\n" in word or "\r" in word:
        return
    for text in (f"k: {word}\n", f"k: [{word}, x]\n", f"k:\n  - {word}\n"):
        assert_paths_agree(text)


def _render(value: Any, indent: int = 0) -> str:
    """Block-style YAML with unquoted scalars, written the way a person types."""
    pad = "  " * indent
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "".join(f"\n{pad}{k}: {_render(v, indent + 1)}" for k, v in value.items())
    if isinstance(value, list):
        if not value:
            return "[]"
        if all(not isinstance(v, dict | list) for v in value):
            return "[" + ", ".join(str(v) for v in value) + "]"
        return "".join(f"\n{pad}- {_render(v, indent + 1).lstrip()}" for v in value)
    return str(value)


KEYS = st.sampled_from(["name", "stage", "what", "due", "rate", "tags", "x", "y-z", "no"])
SAFE_PLAIN = st.sampled_from(TRICKY_WORDS) | st.from_regex(r"[a-z][a-z ]{0,8}[a-z]", fullmatch=True)
FLOW_SAFE = SAFE_PLAIN.filter(lambda w: not any(c in w for c in ",[]{}#&*!:<"))
VALUES = st.recursive(
    FLOW_SAFE,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(KEYS, VALUES, min_size=1, max_size=6))
def test_read_paths_agree_on_generated_front_matter(data: dict[str, Any]) -> None:
    text = _render(data).lstrip("\n") + "\n"
    assert_paths_agree(text)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_give_a_record_or_diagnostics(raw: bytes) -> None:
    result = parse_record(raw, "clients/x.md", _validator())
    assert result.record is not None or result.diagnostics
    for diagnostic in result.diagnostics:
        assert diagnostic.line >= 1 and diagnostic.column >= 1
        diagnostic.format()


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "name: A",
                "stage: inquiry",
                "  - x",
                "- y",
                "k: [",
                "]",
                "{a: 1}",
                "\t",
                "  k: v",
                "due: 2026-02-30",
                "&a",
                "*a",
                "!!str",
                "'",
                '"',
                "#c",
                "---",
                "...",
                "\x00",
                "\xe9",
                "sessions:",
                "  - {date: 2026-01-01, status: held}",
                "<<: x",
                "1_0: x",
                "? a",
                ": b",
            ]
        ),
        max_size=12,
    )
)
def test_any_front_matter_gives_a_record_or_diagnostics(lines: list[str]) -> None:
    raw = ("---\n" + "\n".join(lines) + "\n---\nbody\n").encode("utf-8", "surrogatepass")
    result = parse_record(raw, "clients/x.md", _validator())
    assert result.record is not None or result.diagnostics


_VALIDATOR: list[RecordValidator] = []


def _validator() -> RecordValidator:
    if not _VALIDATOR:
        from sortext.repo import open_repository

        _VALIDATOR.append(RecordValidator(open_repository(PROJECT_ROOT).config))
    return _VALIDATOR[0]


YAML_NOISE = st.text(alphabet="ab01 -_.:,#'\"[]{}|>!&*%@`?=~\\\t+eExo\n", min_size=1, max_size=10)
CONTEXTS = [
    "k: {}\n",
    "k: [{}, x]\n",
    "- {}\n",
    "{}: v\n",
    "k:\n  - {}\n",
    "k: |\n  {}\n",
    'k: "{}"\n',
    "k: '{}'\n",
    "{}\n",
    "k: {{a: {}}}\n",
    "k: >-\n  {}\n  x\n",
    "a:\n  b: {}\n  c: d\n",
]


@settings(max_examples=400, deadline=None)
@given(YAML_NOISE, st.sampled_from(CONTEXTS))
def test_read_paths_agree_on_yaml_noise(word: str, context: str) -> None:
    """Indicator soup: where the readers would differ, both refuse the text."""
    assert_paths_agree(context.format(word))
