"""The line-scanning locator (``simple_positions``) answers exactly what ruamel.yaml's
position map answers, wherever it answers at all."""

from __future__ import annotations

from pathlib import Path as FsPath
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.record.diagnostics import Diagnostic
from sortext.record.positions import Path, build_position_map, simple_positions
from sortext.record.source import SourceText, decode
from sortext.record.split import Split, split
from sortext.record.values import normalize
from sortext.record.yamlread import load_fast
from tests.conftest import PROJECT_ROOT


def all_paths(value: Any, prefix: Path = ()) -> list[Path]:
    """Every path in ``value``, plus a few that are not there (ruamel then walks up)."""
    found: list[Path] = [prefix, (*prefix, "missing"), (*prefix, 0)]
    if isinstance(value, dict):
        found.append((*prefix, 7))
        for key, child in value.items():
            found.extend(all_paths(child, (*prefix, key)))
    elif isinstance(value, list):
        found.extend([(*prefix, len(value)), (*prefix, -1)])
        for index, child in enumerate(value):
            found.extend(all_paths(child, (*prefix, index)))
    return found


def compare(text: str) -> int:
    """Assert the fast locator agrees with ruamel.yaml; return how many answers it gave."""
    loaded = load_fast(text)
    if isinstance(loaded, Diagnostic) or not isinstance(loaded, dict):
        return 0
    data = normalize(loaded)
    fast = simple_positions(text, data)
    if fast is None:
        return 0
    full = build_position_map(text)
    answered = 0
    for path in all_paths(data):
        key = fast.key(path)
        if key is not None:
            assert key == full.key(path), ("key", path, text)
            answered += 1
        value = fast.value(path)
        if value is not None:
            assert value == full.value(path), ("value", path, text)
            answered += 1
    return answered


def front_matter(path: FsPath) -> str:
    source = decode(path.read_bytes())
    if not isinstance(source, SourceText):
        return ""
    parts = split(source.text)
    return parts.yaml_text if isinstance(parts, Split) else ""


SAMPLES = sorted((PROJECT_ROOT / "clients").glob("*.md")) + sorted(
    (PROJECT_ROOT / "tests" / "corpus").glob("*/*.md")
)


@pytest.mark.parametrize("path", SAMPLES, ids=[f"{p.parent.name}/{p.name}" for p in SAMPLES])
def test_agrees_on_every_sample(path: FsPath) -> None:
    compare(front_matter(path))


ORDINARY = """\
# a comment before the fields
name: Amara Okafor
email: amara.okafor@example.com
stage: active   # trailing comment
owner: maya
next_action:
  what: Send the session prep notes

  # a comment inside the mapping
  due: 2026-11-30
empty:
dates:
    first_contact: 2025-01-01
    started: "2025-01-15"
invoices:
  - {id: INV-1, amount: 840, status: paid}
sessions:
  - date: 2026-01-01
    kind: coaching
    commitments: [Block two mornings]
  -   date: 2026-02-01
      status: held
  - plain item
notes: |
  stage: not a key
  more text
tags: [leadership]
"""


def test_ordinary_text_is_answered_without_ruamel() -> None:
    loaded = load_fast(ORDINARY)
    assert isinstance(loaded, dict)
    fast = simple_positions(ORDINARY, normalize(loaded))
    assert fast is not None
    assert fast.value(("stage",)) == (4, 8)
    assert fast.key(("stage",)) == (4, 1)
    assert fast.value(("next_action",)) == (7, 3)
    assert fast.value(("next_action", "due")) == (10, 8)
    assert fast.key(("next_action", "when")) == (6, 1)  # absent: its parent's key
    assert fast.value(("empty",)) == (11, 1)  # empty: the key's own line (issue 13)
    assert fast.value(("dates", "started")) == (14, 14)
    assert fast.value(("sessions", 1)) == (21, 7)
    assert fast.key(("sessions", 1, "status")) == (22, 7)
    assert fast.value(("sessions", 2)) == (23, 5)
    assert fast.value(("invoices", 0)) == (16, 5)
    assert fast.value(("invoices", 0, "status")) is None  # inside a flow mapping: unsure
    assert fast.value(()) == (2, 1)
    assert fast.key(()) == (2, 1)
    assert compare(ORDINARY) > 50


@pytest.mark.parametrize(
    "text",
    [
        # a multi-line quoted value hides a "stage:" line at column 0
        'note: "one\nstage: fake"\n"stage": active\n',
        'note: "one\nstage: fake"\nstage: active\n',
        "'quoted': 1\nstage: active\n",
        "? stage\n: active\n",
        "stage:\tactive\n",
        "stage: active\r\nx: 1\n",
        "a: x\u2028y\nstage: active\n",
        "stage: active\nlist:\n- a\n- b\n",  # indentless sequence
        "a: [1,\n2]\nstage: active\n",
        "stage: a\nb: c\x85d\n",
        "\ufeffstage: active\n",
        "stage: a\nx:\n  -\n    y: 1\n",
        "stage:  # nothing here\nx: 1\n",
        "stage:",
        "stage: |\n  text\n  x: 1\nx: 2\n",
    ],
)
def test_unusual_texts_agree_or_fall_back(text: str) -> None:
    compare(text)


def test_falls_back_where_ruamel_cannot_read_the_text() -> None:
    text = "stage: active\nx: \x01\n"
    # A raw control character is refused by both read paths (issue 12: one YAML
    # meaning), at its place; the line scan still declines such a text.
    loaded = load_fast(text)
    assert isinstance(loaded, Diagnostic) and (loaded.line, loaded.column) == (2, 4)
    assert simple_positions(text, {"stage": "active", "x": "\x01"}) is None


# --- generated front matter -------------------------------------------------

KEY = st.sampled_from(["name", "stage", "due", "what", "x", "y-z", "no", "a_b", "1", "Null"])
SCALAR = st.sampled_from(
    [
        "active",
        "2026-01-31",
        "12",
        "",
        " ",
        "'quoted'",
        '"dq"',
        "a # c",
        "#c",
        "[a, b]",
        "{a: 1}",
        "[]",
        "{}",
        "~",
        "x: y",
        '"multi\nstage: fake"',
        "'multi\n  line'",
        "plain\n  continued",
        "|\n  block\n  stage: no",
        ">-\n  folded",
        "[1,\n  2]",
        '"a\n\n  b"',
        "ü é",
        "null",
        "- x",
    ]
)
SPACING = st.sampled_from([" ", "  ", " " * 4])
COMMENT = st.sampled_from(["", "", "", "  # note", " #x"])


@st.composite
def block(draw: st.DrawFn, depth: int, indent: int, mapping: bool | None = None) -> str:
    """A block mapping or sequence at ``indent`` columns, sometimes a little odd."""
    pad = " " * indent
    step = draw(st.sampled_from([2, 2, 4, 1, 3]))
    lines: list[str] = []
    if draw(st.booleans()) if mapping is None else mapping:
        count = draw(st.integers(1, 4))
        keys = draw(st.lists(KEY, min_size=count, max_size=count, unique=True))
        for key in keys:
            shown = draw(st.sampled_from([key, key, key, f'"{key}"', f"{key} "]))
            lines.extend(draw(extras(indent)))
            lines.append(entry(draw, f"{pad}{shown}:", depth, indent + step))
    else:
        dash = draw(st.sampled_from(["- ", "- ", "-   ", "-"]))
        for _ in range(draw(st.integers(1, 3))):
            lines.extend(draw(extras(indent)))
            if dash == "-":
                lines.append(f"{pad}-")
                lines.append(draw(block(depth + 1, indent + step)) if depth < 3 else f"{pad}  x")
            elif depth < 3 and draw(st.booleans()):
                inner = draw(block(depth + 1, indent + len(dash)))
                lines.append(f"{pad}{dash}{inner.lstrip(' ')}")
            else:
                lines.append(f"{pad}{dash}{draw(SCALAR)}{draw(COMMENT)}")
    return "\n".join(lines)


def entry(draw: st.DrawFn, head: str, depth: int, inner: int) -> str:
    if depth < 3 and draw(st.booleans()):
        below = draw(block(depth + 1, inner))
        return f"{head}{draw(COMMENT)}\n{below}"
    return f"{head}{draw(SPACING)}{draw(SCALAR)}{draw(COMMENT)}"


@st.composite
def extras(draw: st.DrawFn, indent: int) -> list[str]:
    """Blank lines and comments, at any indentation."""
    return draw(
        st.lists(st.sampled_from(["", "  ", "# c", " " * indent + "# c", "    # deep"]), max_size=2)
    )


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    block(0, 0, mapping=True),
    st.sampled_from(["\n", "", "\n\n", "\n  \n", "\n# end\n", "\n    # end\n\n", "\n  "]),
)
def test_agrees_with_ruamel_on_generated_front_matter(text: str, end: str) -> None:
    compare(text + end)
