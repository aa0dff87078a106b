"""MCP tool errors are structured JSON with isError set, their record text made inert.

A refused call returns ``{"error": {"kind", "message", "diagnostics": [{path, line,
col, field, message}]}}`` as the result's structured content and, the same JSON, as
its text content: a diagnostic quoting record text (an escape sequence, a bidi
control, a forged line) stays inside a JSON string, made visible.  Through the
SDK's in-process client against a real git repository of the samples.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp.types import CallToolResult

from tests.conftest import PROJECT_ROOT
from tests.test_mcp import AMARA, calls

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
SHAPE = {"kind", "message", "diagnostics"}
DIAGNOSTIC = {"path", "line", "col", "field", "message"}


def error_of(result: CallToolResult) -> dict[str, Any]:
    """The error object, checked to be the same JSON in both channels and inert."""
    assert result.is_error
    assert len(result.content) == 1
    text = getattr(result.content[0], "text", "")
    assert not CONTROL.search(text), text  # nothing a terminal or a bidi renderer acts on
    parsed = json.loads(text)
    assert parsed == result.structured_content
    assert set(parsed) == {"error"} and set(parsed["error"]) == SHAPE
    error: dict[str, Any] = parsed["error"]
    assert isinstance(error["kind"], str) and isinstance(error["message"], str)
    for found in error["diagnostics"]:
        assert set(found) == DIAGNOSTIC
        assert isinstance(found["line"], int) and isinstance(found["col"], int)
    return error


def test_an_invalid_change_is_a_structured_error(records_repo: Path) -> None:
    (stage, rate, bad_id, token, bad_args) = calls(
        records_repo,
        ("preview_set_fields", {"id": "amara-okafor", "fields": {"stage": "nonsense"}}),
        ("preview_set_fields", {"id": "amara-okafor", "fields": {"billing.rate": "lots"}}),
        ("client_prep", {"id": "../etc/passwd"}),
        ("apply_change", {"token": "0" * 64}),
        ("preview_measure", {"id": "amara-okafor", "goal": "g", "value": "not a number"}),
    )
    error = error_of(stage)
    assert error["kind"] == "invalid_record"
    (found,) = error["diagnostics"]
    assert found["path"] == AMARA and (found["line"], found["col"]) == (6, 8)
    assert found["field"] == "stage" and found["message"].startswith("unknown stage 'nonsense'")
    assert error_of(rate)["diagnostics"][0]["field"].startswith("billing.rate")
    bad = error_of(bad_id)
    assert bad["kind"] == "invalid_argument" and "is not a client id" in bad["message"]
    assert bad["diagnostics"] == []
    assert error_of(token)["kind"] == "token_refused"
    assert error_of(bad_args)["kind"] == "invalid_argument"  # the SDK's own argument check


def test_record_text_quoted_by_a_diagnostic_is_inert(records_repo: Path) -> None:
    hostile = "x\x1b]0;pwned\x07\u202eevil\x9b2J\r\nforged: line"
    (result,) = calls(
        records_repo,
        ("preview_set_fields", {"id": "amara-okafor", "fields": {"stage": hostile}}),
    )
    error = error_of(result)
    quoted = error["diagnostics"][0]["message"] + error["message"]
    assert "\\x1b]0;pwned" in quoted and "\\u202e" in quoted and "\\u009b" in quoted
    assert "\n" not in error["diagnostics"][0]["message"]


# --- property: any text an assistant passes, any record text a diagnostic quotes ---------


@pytest.fixture(scope="module")
def sample_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One sample repository for every example (nothing is written: previews only)."""
    root = tmp_path_factory.mktemp("mcp-errors") / "records"
    root.mkdir()
    shutil.copy(PROJECT_ROOT / "sortext.yaml", root / "sortext.yaml")
    shutil.copytree(PROJECT_ROOT / "clients", root / "clients")
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
    return root


NASTY = st.sampled_from(["\x1b[2J", "\x1b]8;;x\x07", "\u202e", "\u2066", "\x9b", "\r", "\n", '"'])
TEXT = st.lists(st.one_of(st.text(max_size=5), NASTY), min_size=1, max_size=6).map("".join)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(TEXT, st.sampled_from(["stage", "billing.rate", "next_action.due", "email"]))
def test_every_refusal_is_json_with_inert_text(sample_repo: Path, text: str, field: str) -> None:
    results = calls(
        sample_repo,
        ("preview_set_fields", {"id": "amara-okafor", "fields": {field: text}}),
        ("preview_move_stage", {"id": "amara-okafor", "stage": text}),
        ("client_prep", {"id": text}),
        ("preview_log_session", {"id": "amara-okafor", "focus": "x", "date": text}),
    )
    for result in results:
        if result.is_error:
            error_of(result)
