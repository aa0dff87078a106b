"""Issue 13, item 10: messages point at the right place."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.check.load import parse_record
from sortext.errors import ConfigError
from sortext.record.diagnostics import Diagnostic
from sortext.schema.config import parse_config
from sortext.schema.validate import RecordValidator
from tests.conftest import PROJECT_ROOT

RECORD = """\
---
name: Tom Berg
email: tom@example.org
company: Berg Studio
stage: discovery
owner: me
next_action:
  what: Call
  owner: me
  due: 2026-12-01
---

# Tom Berg
"""
KEYS = {"email": 3, "company": 4, "owner": 6, "what": 8}


def validator() -> RecordValidator:
    config = parse_config(
        PROJECT_ROOT, (PROJECT_ROOT / "sortext.yaml").read_bytes(), "sortext.yaml"
    )
    return RecordValidator(config)


def problems(text: str) -> list[tuple[int, str, str]]:
    result = parse_record(text.encode(), "clients/tom-berg.md", validator())
    return [(d.line, d.field, d.message) for d in result.diagnostics if d.is_error]


@pytest.mark.parametrize("key", list(KEYS))
def test_an_empty_value_is_reported_on_its_key_line(key: str) -> None:
    line = next(t for t in RECORD.splitlines() if t.strip().startswith(f"{key}:"))
    emptied = RECORD.replace(line, line.split(":")[0] + ":")
    found = problems(emptied)
    assert found and found[0][0] == KEYS[key], found


def test_the_last_key_before_the_closing_fence() -> None:
    text = RECORD.replace("owner: me\nnext_action", "next_action").replace(
        "  due: 2026-12-01\n---", "  due: 2026-12-01\nowner:\n---"
    )
    (line, fld, _), *_ = problems(text)
    assert text.split("\n")[line - 1] == "owner:"
    assert (line, fld) == (10, "owner")


def test_a_value_read_as_a_comment_says_how_to_quote_it() -> None:
    text = RECORD.replace("company: Berg Studio", "company: #1 Berg Studio")
    ((line, fld, message),) = problems(text)
    assert (line, fld) == (4, "company")
    assert "YAML reads '#1 Berg Studio' as a comment" in message
    assert 'company: "#1 Berg Studio"' in message


def test_a_value_read_as_another_type_says_to_quote_it() -> None:
    text = RECORD.replace("company: Berg Studio", "company: 1984")
    ((line, _, message),) = problems(text)
    assert line == 4 and "put it in quotes" in message


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None, max_examples=30)
@given(key=st.sampled_from(list(KEYS)), blank_lines=st.integers(0, 3), comment=st.booleans())
def test_any_emptied_key_is_located_on_its_own_line(
    key: str, blank_lines: int, comment: bool
) -> None:
    """Whatever follows an emptied key (blank lines, a comment line, the fence), it is the line."""
    lines = RECORD.split("\n")
    index = next(i for i, t in enumerate(lines) if t.strip().startswith(f"{key}:"))
    lines[index] = lines[index].split(":")[0] + ":"
    filler = [""] * blank_lines + (["# cleared in Obsidian"] if comment else [])
    lines[index + 1 : index + 1] = filler
    found = problems("\n".join(lines))
    assert found and found[0][0] == index + 1, found


@pytest.mark.parametrize(
    ("section", "where"),
    [
        ("backup: {max_age_days: seven}\n", "backup.max_age_days"),
        ("backup:\n  remotes: origin\n", "backup.remotes"),
        ("backup:\n  max_age_day: 3\n", "max_age_day"),
        ("exports:\n  out/cal.ics: ical\n", "exports.out/cal.ics"),
        ("owned_fields:\n  billing: [hubspot]\n", "owned_fields.billing"),
        ("git: {author: Maya}\n", "git.author"),
    ],
)
def test_config_sections_are_typed_and_located(section: str, where: str) -> None:
    base = (PROJECT_ROOT / "sortext.yaml").read_text()
    text = base + "\n" + section
    with pytest.raises(ConfigError) as caught:
        parse_config(PROJECT_ROOT, text.encode(), "sortext.yaml")
    (diag,) = caught.value.diagnostics
    assert isinstance(diag, Diagnostic)
    assert diag.line > len(base.split("\n"))  # in the added section, not at line 1
    assert where in f"{diag.field} {diag.message}"


@pytest.mark.parametrize("text", ["", "\n\n", "# all commented out\n", "---\n...\n"])
def test_an_empty_config_is_reported(tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError, match="configuration is empty"):
        parse_config(tmp_path, text.encode(), "sortext.yaml")


@pytest.mark.parametrize("word", ["null", "~", "NULL"])
def test_a_null_word_says_how_to_quote_it(word: str) -> None:
    text = RECORD.replace("company: Berg Studio", f"company: {word}")
    ((line, _, message),) = problems(text)
    assert line == 4
    assert f"YAML reads '{word}' as an empty value: quote it (company: \"{word}\")" in message
