"""A refused YAML feature (anchor or alias, tag, merge key) is refused in the words
of the file it is in.

Records and sortext.yaml were both told such features "are not allowed in records or
sortext.yaml"; each now hears about the one it is: a record's front matter "a record",
the configuration "sortext.yaml", the erasures file "erased.yaml".  The class: any
mapping with one such feature somewhere in it, read by each of the three readers.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.check.load import parse_record
from sortext.errors import ConfigError
from sortext.record import tombstone
from sortext.schema.config import default_config_text, parse_config
from sortext.schema.validate import RecordValidator

_CONFIG = parse_config(Path("."), default_config_text().encode(), "sortext.yaml")
_VALIDATOR = RecordValidator(_CONFIG)

_KEYS = st.from_regex(r"[a-z][a-z_]{0,8}", fullmatch=True)
# (the refused feature written as one field, the words its refusal starts with)
_FEATURES = st.one_of(
    st.builds(lambda k: (f"{k}: &a [me]\n{k}_too: *a\n", "anchors and aliases"), _KEYS),
    st.builds(
        lambda k, t: (f"{k}: {t} x\n", "YAML tags"),
        _KEYS,
        st.sampled_from(["!!str", "!!binary", "!!set", "!local", "!!python/name:os.system"]),
    ),
    st.builds(lambda k: (f"{k}:\n  <<: {{b: 2}}\n  c: 3\n", "merge keys (<<)"), _KEYS),
)


@st.composite
def _texts(draw: st.DrawFn) -> tuple[str, str]:
    """YAML fields with one refused feature among plain ones; and the refusal's words."""
    plain = draw(st.lists(st.tuples(_KEYS, st.sampled_from(["x", "1", "[a, b]"])), max_size=4))
    lines = [f"p{i}_{k}: {v}\n" for i, (k, v) in enumerate(plain)]
    feature, words = draw(_FEATURES)
    lines.insert(draw(st.integers(0, len(lines))), feature)
    return "".join(lines), words


def _record_message(fields: str) -> str:
    raw = f"---\nid: zz\n{fields}---\nNotes.\n".encode()
    result = parse_record(raw, "clients/zz.md", _VALIDATOR)
    return " | ".join(d.message for d in result.diagnostics)


def _config_message(fields: str) -> str:
    with tempfile.TemporaryDirectory() as tmp, pytest.raises(ConfigError) as caught:
        parse_config(Path(tmp), fields.encode(), "sortext.yaml")
    return str(caught.value)


def _erased_message(fields: str) -> str:
    with pytest.raises(ValueError) as caught:
        tombstone.parse(fields)
    return str(caught.value)


@settings(max_examples=150, deadline=None)
@given(_texts())
def test_each_refusal_names_the_file_it_is_about(case: tuple[str, str]) -> None:
    """Property: the same refused feature is "not allowed in a record" in a record,
    "in sortext.yaml" in the configuration, "in erased.yaml" in the erasures, and
    none of them speaks of another."""
    fields, words = case
    record = _record_message(fields)
    assert f"{words}" in record and "are not allowed in a record;" in record, record
    assert "sortext.yaml" not in record
    config = _config_message(fields)
    assert f"{words}" in config and "are not allowed in sortext.yaml;" in config, config
    assert "record" not in config
    erased = _erased_message(fields)
    assert "are not allowed in erased.yaml;" in erased and "record" not in erased, erased
    assert "sortext.yaml" not in erased


def test_a_records_refusal_reads_whole() -> None:
    fields = "people: &p [me]\nmore: *p\n"
    assert _record_message(fields) == (
        "anchors and aliases (&name / *name) are not allowed in a record; write the value out"
    )
