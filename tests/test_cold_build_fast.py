"""The cold build's shortcuts (issue 15 item 3) give what the slow paths give.

Each shortcut is held to the code it stands in for: the quick value check to
the full walk with paths, the page
environment's ``x.key`` to Jinja's own lookup, a page path confined with one
``lstat`` to the full ``realpath`` check, a page written where none was to
the general writer.
"""

from __future__ import annotations

import math
import os
import stat
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.errors import UnsafePathError
from sortext.files.slug import confined_path
from sortext.files.write import write_if_changed
from sortext.schema.validate import MAX_NUMBER, _value_problems, value_problems

# -- values a record's front matter can hold ----------------------------------------

_texts = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12
) | st.sampled_from(["", " ", "a\tb", "line\nline", "x\x00y", "\x1b[31m", "\x7f", "\x85", "ok"])
_numbers = (
    st.integers(min_value=-(10**18), max_value=10**18)
    | st.sampled_from([MAX_NUMBER, MAX_NUMBER + 1, -MAX_NUMBER, -MAX_NUMBER - 1])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from([1e15, 1e16, -1e16, float("nan"), float("inf"), 0.5])
)
_leaves = st.none() | st.booleans() | _numbers | _texts
_values = st.recursive(
    _leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_texts, inner, max_size=4),
    max_leaves=25,
)
_records = st.dictionaries(_texts | st.sampled_from(["name", "stage", "id"]), _values, max_size=6)


@settings(max_examples=500, deadline=None)
@given(_records)
def test_the_quick_value_check_finds_what_the_full_walk_finds(data: dict[str, Any]) -> None:
    """Property: value_problems (a quick pass first) equals the walk with paths."""
    quick, full = value_problems(data), _value_problems(data)
    assert [(p.path, p.message, p.at) for p in quick] == [(p.path, p.message, p.at) for p in full]


@pytest.mark.parametrize(
    "bad",
    [
        {"notes": ["fine", {"deep": "bell\x07"}]},
        {"key\x01": 1},
        {"rate": float("nan")},
        {"rate": -float("inf")},
        {"n": MAX_NUMBER + 1},
        {"n": -(10**400)},
        {"n": 1e16},
        {"text": "next line\x85"},
    ],
)
def test_the_quick_value_check_never_hides_a_problem(bad: dict[str, Any]) -> None:
    assert value_problems(bad) and value_problems(bad) == _value_problems(bad)


# -- the page environment's x.key ------------------------------------------------------


class _Obj:
    def __init__(self) -> None:
        self.title = "attribute"

    def __getitem__(self, key: str) -> str:
        if key == "other":
            return "item"
        raise KeyError(key)


_keys = st.sampled_from(["name", "items", "get", "keys", "values", "copy", "missing", "title"])


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(_keys, st.text(max_size=5), max_size=4), _keys)
def test_page_environment_looks_up_as_jinja_does(mapping: dict[str, str], key: str) -> None:
    import jinja2

    from sortext.pages.render import environment

    ours = environment(Path("/nonexistent"))
    theirs = jinja2.Environment()
    for value in (mapping, MappingProxyType(mapping), _Obj(), [1, 2], None, "text"):
        for attribute in (key, "other", "title"):
            a, b = ours.getattr(value, attribute), theirs.getattr(value, attribute)
            if isinstance(b, jinja2.Undefined):
                assert isinstance(a, jinja2.Undefined)
            elif callable(b):
                assert a == b  # a bound method of the same object
            else:
                assert a == b and type(a) is type(b)


def test_a_method_name_stays_a_method_on_a_plain_mapping() -> None:
    from sortext.pages.render import environment

    env = environment(Path("/nonexistent"))
    template = env.from_string("{{ d.items is callable }} {{ d.name }} {{ d.missing is defined }}")
    assert template.render(d={"items": "x", "name": "Ada"}) == "True Ada False"


# -- a page path confined with one lstat -----------------------------------------------


def _both(folder: Path, slug: str) -> tuple[Any, Any]:
    """(the full check's answer, the one-lstat answer): a path or the error text."""
    answers: list[Any] = []
    for real in (None, os.path.realpath(folder)):
        try:
            answers.append(confined_path(folder, slug, ".html", real))
        except UnsafePathError as exc:
            answers.append(("refused", str(exc)))
    return answers[0], answers[1]


def test_a_page_path_is_confined_as_the_full_check_confines_it(tmp_path: Path) -> None:
    folder = tmp_path / "site" / "clients"
    folder.mkdir(parents=True)
    outside = tmp_path / "elsewhere.html"
    outside.write_text("not a page")
    (folder / "plain.html").write_text("page")
    (folder / "inside.html").symlink_to(folder / "plain.html")
    (folder / "leaves.html").symlink_to(outside)
    (folder / "dangling.html").symlink_to(tmp_path / "nowhere" / "x.html")
    for slug in ("absent", "plain", "inside", "leaves", "dangling"):
        full, quick = _both(folder, slug)
        assert full == quick, slug
    assert isinstance(_both(folder, "leaves")[1], tuple)  # refused, both ways
    assert _both(folder, "absent")[1] == folder / "absent.html"
    with pytest.raises(UnsafePathError):
        confined_path(folder, "../escape", ".html", os.path.realpath(folder))


# -- a page written where none was -------------------------------------------------------


def test_a_new_page_is_written_whole_with_the_usual_mode(tmp_path: Path) -> None:
    page = tmp_path / "a.html"
    assert write_if_changed(page, b"<p>one</p>", durable=False)
    assert page.read_bytes() == b"<p>one</p>"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(page.stat().st_mode) == 0o644 & ~umask
    page.chmod(0o600)
    assert write_if_changed(page, b"<p>two</p>", durable=False)
    assert stat.S_IMODE(page.stat().st_mode) == 0o600  # a replaced file keeps its mode
    assert not write_if_changed(page, b"<p>two</p>", durable=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.html"]  # no temp file left


def test_nan_guard_in_the_quick_check() -> None:
    """NaN compares false with every bound: the quick check must not let it through."""
    assert not math.isfinite(float("nan"))
    assert value_problems({"x": [float("nan")]}) == _value_problems({"x": [float("nan")]})
