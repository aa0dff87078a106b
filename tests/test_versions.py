"""The cached per-entry parser used by history gives exactly what parse_version gives."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from sortext.versions import VersionParser, parse_version
from sortext.yamlparse import flow_nesting_too_deep
from tests.conftest import PROJECT_ROOT

SAMPLES = sorted((PROJECT_ROOT / "clients").glob("*.md"))
LINES = [
    "name: A",
    "stage: active",
    "# a comment",
    "",
    "tags:",
    "- a",
    "  - b",
    "tags: [x, y]",
    "next_action: {what: Call, due: 2026-11-20}",
    "  due: 2026-11-21",
    "stage: review",
    "notes: |",
    "  text",
    "? odd",
    "&a x: 1",
    "key: *a",
    "---",
    "...",
    "<<<<<<< ours",
    "=======",
    ">>>>>>> theirs",
    "]",
    "  ]",
    "1: one",
    "date: 2026-02-30",
    "\tbad: tab",
    "sessions:",
    "  - {date: 2026-11-02, kind: coaching}",
    "id: other-id",
    "true: 1",
    "null: 0",
    "2026-01-01: x",
    "1.5: y",
    "at: 2026-01-02 03:04:05",
    "big: 1e400",
    "name: B",
    "0: zero",
    "false: no",
    "1.0: z",
    "True: 2",
    "~: tilde",
    '"1": quoted',
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(LINES), max_size=12), st.lists(st.sampled_from(LINES), max_size=3))
# 1 and true are different keys as text but one key to the YAML reader (1 == True):
@example(front=["1: one", "true: 1"], body=[])
@example(front=["0: zero", "false: no"], body=[])
@example(front=["1: one", "1.0: z"], body=[])
def test_cached_parser_matches_the_plain_parser(front: list[str], body: list[str]) -> None:
    text = "---\n" + "".join(f"{line}\n" for line in front) + "---\n" + "\n".join(body)
    parser = VersionParser()
    parser.parse(("---\n" + "".join(f"{line}\n" for line in front[:3]) + "---\n").encode())
    raw = text.encode()
    assert parser.parse(raw, "clients/x.md") == parse_version(raw, "clients/x.md")


def test_cached_parser_on_samples() -> None:
    parser = VersionParser()
    for path in SAMPLES:
        raw = path.read_bytes()
        assert parser.parse(raw, str(path)) == parse_version(raw, str(path))
        assert parser.parse(raw, str(path)) == parse_version(raw, str(path))  # cached


def test_flow_nesting_position() -> None:
    text = "a: 1\nb: " + "[" * 30 + "]" * 30
    # same answer as the per-character scan it replaced:
    assert flow_nesting_too_deep(text, 24) == (2, 3 + 25)
    assert flow_nesting_too_deep("x: " + "[]" * 40, 24) is None
