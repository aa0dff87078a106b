"""Round-trip editing: the intended data, and not one other byte changed.

Property tests run over the sample clients and over generated records with
comments, blank lines, flow lists, odd spacing, quoting, CRLF and a BOM.
The oracle is independent of the editor: the expected data is the old data
(read by the fast YAML reader) with the change applied in plain Python, and
the changed bytes are located by comparing old and new files.
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.edit.emit import render_flow
from sortext.edit.roundtrip import EditRefused, RecordEditor, parse_path
from sortext.record.values import normalize
from sortext.record.yamlread import load_fast
from tests.conftest import PROJECT_ROOT

SAMPLES = sorted((PROJECT_ROOT / "clients").glob("*.md"))


def front_data(raw: bytes) -> dict[str, Any]:
    """Data of a record's front matter, read without the editor."""
    text = raw.decode("utf-8-sig").replace("\r\n", "\n")
    yaml_text = text.split("\n---\n", 1)[0].split("---\n", 1)[1]
    loaded = load_fast(yaml_text + "\n")
    assert isinstance(loaded, dict)
    result: dict[str, Any] = normalize(loaded)
    return result


def changed_region(old: bytes, new: bytes) -> tuple[int, int, bytes]:
    """(start, end) of the bytes of ``old`` that differ, and what replaced them."""
    prefix = 0
    limit = min(len(old), len(new))
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    while suffix < limit - prefix and old[-1 - suffix] == new[-1 - suffix]:
        suffix += 1
    return prefix, len(old) - suffix, new[prefix : len(new) - suffix]


def assign(data: Any, path: tuple[Any, ...], value: Any) -> None:
    node = data
    for part in path[:-1]:
        if isinstance(node, dict) and not isinstance(node.get(part), dict | list):
            node[part] = {}
        node = node[part]
    if isinstance(node, list) and path[-1] == len(node):
        node.append(value)
    else:
        node[path[-1]] = value


def leaves(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(data, dict):
        return [p for k, v in data.items() for p in leaves(v, (*path, k))]
    if isinstance(data, list):
        return [p for i, v in enumerate(data) for p in leaves(v, (*path, i))]
    return [path]


def containers(data: Any, kind: type, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path] if isinstance(data, kind) and (path or kind is dict) else []
    if isinstance(data, dict):
        found += [p for k, v in data.items() for p in containers(v, kind, (*path, k))]
    elif isinstance(data, list):
        found += [p for i, v in enumerate(data) for p in containers(v, kind, (*path, i))]
    return found


def exists(data: Any, path: tuple[Any, ...]) -> bool:
    try:
        get(data, path)
    except (KeyError, IndexError, TypeError):
        return False
    return True


def get(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


# --- strategies -----------------------------------------------------------------

words = st.text(
    alphabet=st.sampled_from("abcdefghij XYZ-_:#,'\"[]{}&*!%@`|>?0123456789éß"),
    min_size=1,
    max_size=14,
)
scalars = st.one_of(
    words,
    st.integers(-1000, 100000),
    st.dates(dt.date(1990, 1, 1), dt.date(2040, 12, 31)),
    st.booleans(),
    st.sampled_from(["yes", "no", "on", "012", "1e3", "null", "~", "2026-02-30", "- x", "a: b"]),
)
keys = st.sampled_from(["alpha", "beta", "gamma", "delta", "notes", "due", "x_y", "k9"])


def item_like(existing: list[Any]) -> st.SearchStrategy[Any]:
    if existing and isinstance(existing[-1], dict):
        return st.dictionaries(keys, scalars, min_size=1, max_size=3)
    return scalars


@st.composite
def documents(draw: st.DrawFn) -> bytes:
    """A record with varied layout: indents, comments, blank lines, odd spacing, styles."""
    map_indent = draw(st.sampled_from([2, 4]))
    dash = draw(st.sampled_from([0, 2]))
    lines: list[str] = []

    def comment() -> str:
        return draw(st.sampled_from(["", "", "  # note", "    #x: y", " # [a, b]"]))

    def gap(indent: int) -> None:
        extra = draw(st.sampled_from(["", "", "blank", "comment"]))
        if extra == "blank":
            lines.append("")
        elif extra == "comment":
            lines.append(" " * indent + "# a comment line")

    def scalar_text(value: Any) -> str:
        if isinstance(value, str):
            quote = draw(st.sampled_from([None, None, "'", '"']))
            return render_flow(value, quote)
        return render_flow(value)

    def flow_list(values: list[Any]) -> str:
        sep = draw(st.sampled_from([", ", ",", " , "]))
        pad = draw(st.sampled_from(["", " "]))
        return "[" + pad + sep.join(scalar_text(v) for v in values) + pad + "]"

    def flow_map(values: dict[str, Any]) -> str:
        return "{" + ", ".join(f"{k}: {scalar_text(v)}" for k, v in values.items()) + "}"

    def emit_mapping(indent: int, depth: int, min_size: int) -> None:
        chosen = draw(st.lists(keys, min_size=min_size, max_size=4, unique=True))
        for key in chosen:
            gap(indent)
            kind = draw(
                st.sampled_from(
                    ["scalar", "scalar", "flowlist", "blocklist", "maplist", "map"]
                    if depth < 2
                    else ["scalar", "flowlist"]
                )
            )
            head = " " * indent + key + ":"
            space = draw(st.sampled_from([" ", " ", "  ", "   "]))
            if kind == "scalar":
                lines.append(head + space + scalar_text(draw(scalars)) + comment())
            elif kind == "flowlist":
                listed = flow_list(draw(st.lists(scalars, max_size=3)))
                lines.append(head + space + listed + comment())
            elif kind == "blocklist":
                lines.append(head + comment())
                for value in draw(st.lists(scalars, min_size=1, max_size=3)):
                    lines.append(" " * (indent + dash) + "- " + scalar_text(value) + comment())
            elif kind == "maplist":
                lines.append(head + comment())
                flow = draw(st.booleans())
                for _ in range(draw(st.integers(1, 3))):
                    item = draw(st.dictionaries(keys, scalars, min_size=1, max_size=3))
                    prefix = " " * (indent + dash) + "- "
                    if flow:
                        lines.append(prefix + flow_map(item) + comment())
                        continue
                    for n, (k, v) in enumerate(item.items()):
                        lead = prefix if n == 0 else " " * len(prefix)
                        lines.append(lead + f"{k}: {scalar_text(v)}" + comment())
            else:
                lines.append(head + comment())
                emit_mapping(indent + map_indent, depth + 1, 1)

    lines.append("name: Test Client" + comment())
    lines.append("stage: active")
    emit_mapping(0, 0, 0)
    body = draw(st.sampled_from(["", "\n# Notes\n\nSome text.\n", "\nNo newline at end"]))
    text = "---\n" + "\n".join(lines) + "\n---\n" + body
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    raw = text.encode("utf-8")
    if draw(st.booleans()):
        raw = b"\xef\xbb\xbf" + raw
    return raw


@st.composite
def edits(draw: st.DrawFn, data: dict[str, Any]) -> tuple[str, tuple[Any, ...], Any]:
    """One edit that makes sense for ``data``: set a leaf, add a key, append an item."""
    options = ["leaf", "newkey", "nested"]
    lists = containers(data, list)
    if lists:
        options.append("append")
    kind = draw(st.sampled_from(options))
    if kind == "leaf":
        path = draw(st.sampled_from(leaves(data)))
        return "set", path, draw(scalars)
    if kind == "newkey":
        parent = draw(st.sampled_from(containers(data, dict)))
        present = get(data, parent)
        key = draw(keys.filter(lambda k: k not in present) | st.just("brand_new"))
        value = draw(st.one_of(scalars, st.lists(scalars, min_size=1, max_size=2)))
        return "set", (*parent, key), value
    if kind == "nested":
        inner = draw(st.dictionaries(keys, scalars, min_size=1, max_size=2))
        return "set", ("zz_added", "inner"), inner
    path = draw(st.sampled_from(lists))
    return "append", path, draw(item_like(get(data, path)))


def apply_and_check(raw: bytes, op: str, path: tuple[Any, ...], value: Any) -> bytes:
    before = front_data(raw)
    editor = RecordEditor(raw, "t.md")
    expected = copy.deepcopy(before)
    if op == "set":
        editor.set(path, value)
        assign(expected, path, normalize(value))
    else:
        editor.append(path, value)
        get(expected, path).append(normalize(value))
    new = editor.result()
    assert front_data(new) == expected
    start, end, inserted = changed_region(raw, new)
    removed = raw[start:end]
    if op == "set" and exists(before, path):
        # a changed scalar: only bytes of that one value changed, never a comment
        assert b"\n" not in removed and b"\n" not in inserted, (removed, inserted)
        assert b"#" not in removed or "#" in str(get(before, path))
    else:
        # a new key or item: a pure insertion (or filling an empty [] / {})
        assert removed.strip(b" \r\n") in (b"", b"[]", b"{}"), (removed, inserted)
    assert raw.startswith(b"\xef\xbb\xbf") == new.startswith(b"\xef\xbb\xbf")
    if b"\r\n" in raw:
        assert new.count(b"\n") == new.count(b"\r\n")
    return new


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_generated_records_round_trip(data: st.DataObject) -> None:
    raw = data.draw(documents())
    op, path, value = data.draw(edits(front_data(raw)))
    apply_and_check(raw, op, path, value)


@pytest.mark.parametrize("sample", SAMPLES, ids=[p.stem for p in SAMPLES])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_sample_clients_round_trip(sample: Path, data: st.DataObject) -> None:
    raw = sample.read_bytes()
    op, path, value = data.draw(edits(front_data(raw)))
    apply_and_check(raw, op, path, value)


def test_log_like_edit_keeps_every_other_line() -> None:
    raw = (PROJECT_ROOT / "clients" / "amara-okafor.md").read_bytes()
    editor = RecordEditor(raw, "amara-okafor.md")
    editor.set(("next_action", "due"), dt.date(2026, 12, 3))
    editor.append(("sessions",), {"date": dt.date(2026, 11, 23), "status": "held", "focus": "x"})
    new = editor.result().decode()
    import difflib

    diff = [
        line
        for line in difflib.ndiff(raw.decode().splitlines(), new.splitlines())
        if line[:2] in ("- ", "+ ")
    ]
    assert diff == [
        "-   due: 2026-11-19   # slipped: she asked to move the call",
        "+   due: 2026-12-03   # slipped: she asked to move the call",
        "+   - date: 2026-11-23",
        "+     status: held",
        "+     focus: x",
    ]


def test_quoting_style_is_kept() -> None:
    raw = b"---\nname: \"Ann\"\nphone: '+1 555'\nstage: active\n---\n"
    editor = RecordEditor(raw)
    editor.set(("name",), "Ann Lee")
    editor.set(("phone",), "+1 556")
    assert editor.result() == b"---\nname: \"Ann Lee\"\nphone: '+1 556'\nstage: active\n---\n"


def test_text_that_looks_like_a_date_stays_text() -> None:
    raw = b"---\nname: Ann\nstage: active\n---\n"
    editor = RecordEditor(raw)
    editor.set(("company",), "2026-01-01")
    assert front_data(editor.result())["company"] == "2026-01-01"
    assert b"'2026-01-01'" in editor.result()


def test_null_value_becomes_block_mapping() -> None:
    raw = b"---\nname: Ann\nbilling:   # to do\nstage: active\n---\nbody\n"
    editor = RecordEditor(raw)
    editor.set(("billing", "rate"), 90)
    expected = b"---\nname: Ann\nbilling:   # to do\n  rate: 90\nstage: active\n---\nbody\n"
    assert editor.result() == expected


def test_append_to_empty_flow_list() -> None:
    raw = b"---\nname: Ann\ntags: []  # none yet\n---\n"
    editor = RecordEditor(raw)
    editor.append(("tags",), "vip")
    assert editor.result() == b"---\nname: Ann\ntags: [vip]  # none yet\n---\n"


def test_body_section_is_appended_after_a_blank_line() -> None:
    editor = RecordEditor(b"---\nname: Ann\n---\n\n# Ann\nlast line")
    editor.append_body("## 2026-11-23 Focus\n\nNote.")
    assert editor.result().endswith(b"last line\n\n## 2026-11-23 Focus\n\nNote.\n")


def test_unparseable_record_is_refused() -> None:
    with pytest.raises(EditRefused, match="fix the file"):
        RecordEditor(b"---\nname: [Ann\n---\n")


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("billing.rate", ("billing", "rate")),
        ("invoices[2].status", ("invoices", 2, "status")),
        ("sessions[-1].score", ("sessions", -1, "score")),
    ],
)
def test_parse_path(text: str, path: tuple[Any, ...]) -> None:
    assert parse_path(text) == path


@pytest.mark.parametrize("text", ["", "[1]", "a..b", "a[x]", "a.[1]"])
def test_parse_path_rejects_nonsense(text: str) -> None:
    with pytest.raises(EditRefused):
        parse_path(text)
