"""``load_data`` (the read of every record's front matter) against the slow path it
replaces, ``normalize(load_fast(text))``: the same values with the same types, or the
same Diagnostic, for generated texts full of what the shortcut must notice (dates,
timestamps, keys read as numbers, booleans or null, quoted look-alikes, odd line
ends, flow and block collections) and for the realistic generated records.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sortext.record.values import normalize
from sortext.record.yamlread import load_data, load_fast

SCALARS = [
    "x",
    "name",
    "true",
    "True",
    "FALSE",
    "null",
    "Null",
    "~",
    "",
    "1",
    "-1",
    "+1",
    "0",
    ".5",
    "1.0",
    "1e3",
    "0x1F",
    "0o17",
    "010",
    "2026-01-31",
    "2026-02-30",
    "0999-01-01",
    "2026-1-5",
    "2026-01-31 10:00",
    "2026-01-31T10:00:00Z",
    "2026-01-31t10:00:00",
    "2026-01-31\t10:00",
    "2026-01-31 10:00:00.5 +01:00",
    "2026-01-31 # a comment",
    "2026-01-31\t# a comment",
    "2026-01-31#x",
    "on",
    "no",
    "'1'",
    '"true"',
    "'2026-01-31'",
    '"2026-01-31 10:00"',
    "a b",
    "10:00",
    "- x",
]
KEYS = st.sampled_from([s for s in SCALARS if s not in ("- x",)])
VALUES = st.sampled_from(SCALARS)


@st.composite
def flow(draw: st.DrawFn, depth: int = 0) -> str:
    if depth > 1 or draw(st.booleans()):
        items = draw(st.lists(VALUES.filter(lambda s: s != "- x"), max_size=3))
        return "[" + ", ".join(items) + "]"
    pairs = draw(st.lists(st.tuples(KEYS, VALUES.filter(lambda s: s != "- x")), max_size=3))
    inner = draw(st.sampled_from([", ", ",\n  ", " , "]))
    bare = draw(st.booleans())  # {1, true}: keys without values
    return "{" + inner.join(k if bare else f"{k}: {v}" if v else f"{k}:" for k, v in pairs) + "}"


@st.composite
def block(draw: st.DrawFn, indent: int = 0, depth: int = 0) -> str:
    lines: list[str] = []
    pad = " " * indent
    for _ in range(draw(st.integers(1, 4))):
        key = draw(KEYS)
        kind = draw(st.integers(0, 4 if depth < 2 else 1))
        if kind <= 1:
            lines.append(f"{pad}{key}: {draw(VALUES)}")
        elif kind == 2:
            lines.append(f"{pad}{key}: {draw(flow())}")
        elif kind == 3:
            lines.append(f"{pad}{key}:")
            lines.append(draw(block(indent + 2, depth + 1)))
        else:
            lines.append(f"{pad}{key}:")
            for _ in range(draw(st.integers(1, 2))):
                item = draw(st.one_of(VALUES, flow(), block(indent + 4, depth + 1)))
                if "\n" in item or (": " in item and not item.startswith(("{", "[", "'", '"'))):
                    first, _, rest = item.lstrip(" ").partition("\n")
                    lines.append(f"{pad}  - {first}" + (f"\n{rest}" if rest else ""))
                else:
                    lines.append(f"{pad}  - {item}")
    return "\n".join(lines)


@st.composite
def texts(draw: st.DrawFn) -> str:
    body = draw(st.one_of(block(), flow()))
    ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return body.replace("\n", ending) + draw(st.sampled_from(["", ending]))


def same(text: str) -> None:
    old = load_fast(text)
    new = load_data(text)
    if hasattr(old, "message"):
        assert new == old
    else:
        # repr tells 1 from True from '1', and dict order: the values and their types
        assert repr(new) == repr(normalize(old))


@settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
@given(texts())
@example("a: b\r1: c\n")
@example("{2026-01-31, '2026-01-31'}\n")
@example("? 1\n: x\n")
@example("- -1: x\n")
@example("a: [x, {1: y}]\n")
@example("a: {x: 1,\n  true: 2}\n")
@example("a: {1, 2}\n")
@example("a: {true, x}\n")
@example("due: 2026-01-31   # moved\n")
@example("due: 2026-01-31 10:00   # moved\n")
@example("when: 2026-01-31T10:00:00Z\n")
@example("when: [2026-01-31 10:00]\n")
@example("2026-01-31: x\n")
def test_load_data_reads_what_the_slow_path_reads(text: str) -> None:
    same(text)


def test_realistic_records_read_alike() -> None:
    import tempfile

    from bench.gen_pages import generate_repo
    from sortext.record.diagnostics import Diagnostic
    from sortext.record.source import decode
    from sortext.record.split import split

    with tempfile.TemporaryDirectory() as tmp:
        generate_repo(60, Path(tmp))
        files = sorted((Path(tmp) / "clients").glob("*.md"))
        assert files
        for path in files:
            source = decode(path.read_bytes())
            assert not isinstance(source, Diagnostic), source
            parts = split(source.text)
            assert not isinstance(parts, Diagnostic), parts
            same(parts.yaml_text)
