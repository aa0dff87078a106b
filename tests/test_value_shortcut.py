"""The record reader's shortcut past the value walk never hides a problem.

``value_problems(data, source)`` skips walking every value when the YAML text
cannot spell a control character or a number out of range
(:func:`sortext.schema.validate.spells_only_plain_values`).  These tests hold
the shortcut to the walk on texts built from every number spelling and string
escape the readers accept, and on arbitrary text.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.check.load import parse_record
from sortext.record.values import normalize
from sortext.record.yamlread import load_fast
from sortext.repo import open_repository
from sortext.schema.validate import RecordValidator, spells_only_plain_values, value_problems

PROJECT_ROOT = Path(__file__).resolve().parent.parent

_DIGITS = st.text("0123456789", min_size=1, max_size=24)


@st.composite
def numbers(draw: st.DrawFn) -> str:
    """A number as YAML may spell it: signs, leading zeros, digit groups, radix
    prefixes, dots, exponents, infinities, and their near misses."""
    sign = draw(st.sampled_from(["", "-", "+"]))
    kind = draw(st.integers(0, 7))
    digits = draw(_DIGITS)
    if kind == 0:
        return sign + digits
    if kind == 1:  # digit groups
        return sign + "_".join(draw(st.lists(_DIGITS, min_size=1, max_size=6)))
    if kind == 2:
        prefix = draw(st.sampled_from(["0x", "0X", "0o", "0b", "0O", "0B"]))
        body = draw(st.text("0123456789abcdefABCDEF_", min_size=1, max_size=20))
        return sign + prefix + body
    if kind == 3:
        return sign + digits + "." + draw(st.text("0123456789", max_size=20))
    if kind == 4:
        mark = draw(st.sampled_from(["e", "E", ".e", ".E"]))
        exp_sign = draw(st.sampled_from(["", "-", "+"]))
        return sign + digits + mark + exp_sign + draw(_DIGITS)
    if kind == 5:
        word = draw(st.sampled_from([".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN", ".iNf"]))
        return sign + word
    if kind == 6:
        return sign + draw(st.sampled_from(["inf", "Infinity", "nan", "NaN", "infinity"]))
    return sign + "." + digits


@st.composite
def strings(draw: st.DrawFn) -> str:
    """Text values: plain, single-quoted, double-quoted with escapes for any
    character (control characters and C1 among them), and raw characters."""
    text = draw(st.text(max_size=12))
    style = draw(st.integers(0, 3))
    if style == 0:
        return json.dumps(text)  # double-quoted, with \\u escapes for controls
    if style == 1:
        return "'" + text.replace("'", "''") + "'"
    if style == 2:
        escape = draw(st.sampled_from(["\\a", "\\e", "\\0", "\\N", "\\x07", "\\u0085", "\\t"]))
        return '"a' + escape + 'b"'
    return "x" + text


scalars = st.one_of(numbers(), strings(), st.sampled_from(["true", "null", "2026-11-30"]))
tagged = st.builds(
    lambda tag, value: f"{tag} {value}", st.sampled_from(["!!float", "!!int", "!!str"]), scalars
)
values = st.one_of(
    scalars,
    tagged,
    st.lists(scalars, max_size=3).map(lambda items: "[" + ", ".join(items) + "]"),
    st.lists(scalars, max_size=3).map(
        lambda items: "{" + ", ".join(f"k{i}: {v}" for i, v in enumerate(items)) + "}"
    ),
)


def _same_as_walk(text: str) -> None:
    loaded = load_fast(text)
    if not isinstance(loaded, dict):
        return  # refused or not a mapping: no value is checked at all
    data = normalize(loaded)
    assert value_problems(data, text) == value_problems(data)


@settings(max_examples=600, deadline=None)
@given(st.lists(values, min_size=1, max_size=5))
def test_the_shortcut_agrees_with_the_walk_on_every_spelling(items: list[str]) -> None:
    text = "".join(f"f{i}: {value}\n" for i, value in enumerate(items))
    _same_as_walk(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=40))
def test_the_shortcut_agrees_with_the_walk_on_any_text(value: str) -> None:
    _same_as_walk(f"a: {value}\n")
    _same_as_walk(f"a:\n  - {value}\n")
    _same_as_walk(f"{value}: 1\n")


@pytest.mark.parametrize(
    "line",
    [
        "rate: 1e309",
        "rate: -1E+400",
        "rate: 0xFFFFFFFFFFFFFFF",
        "rate: .inf",
        "rate: -.Inf",
        "rate: .NaN",
        "rate: 1000000000000000",
        "rate: 0o77777777777777777777",
        'name: "Tom\\aBerg"',
        'name: "Tom\\u0085Berg"',
        "name: Tom\x85Berg",
        "name: Tom\x1bBerg",
        "name: !!str x",
    ],
)
def test_a_text_that_may_spell_a_bad_value_is_walked(line: str) -> None:
    assert not spells_only_plain_values(line + "\n")


@pytest.mark.parametrize(
    "line",
    ["rate: 240", "rate: 999999999999999", "name: Zoë Brandt", "what: Book it! Soon", "fee: £240"],
)
def test_ordinary_texts_take_the_shortcut(line: str) -> None:
    assert spells_only_plain_values(line + "\n")


def test_a_record_reports_the_number_the_shortcut_must_not_hide() -> None:
    repo = open_repository(PROJECT_ROOT)
    validator = RecordValidator(repo.config)
    raw = (PROJECT_ROOT / "clients" / "amara-okafor.md").read_bytes()
    broken = raw.replace(b"\nstage:", b"\nscore: 1e309\nstage:", 1)
    result = parse_record(broken, "clients/amara-okafor.md", validator)
    assert any("not a finite number" in d.message for d in result.diagnostics)
