"""Branch names in sortext.yaml are refused where git would refuse them, at their line.

Found breaking round 14: the schema's pattern for ``pages.branch``,
``pages.from`` and ``backup.branch`` (letters, digits, ``._/-``, a letter or
digit first) let through names git refuses (``a..b``, ``x.lock``, ``a/.b``,
``a//b``, ``a.``, ``a/``, ``HEAD``), so ``sortext check`` passed and the
first publish or backup failed inside git; and ``pages: {from:
sortext-pages}`` (the pages branch itself) passed ``check`` and was refused
later without a line.  Each is now ``sortext.yaml:line:col: FIELD: message``.
The property test compares with ``git check-ref-format --branch``.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.errors import ConfigError
from sortext.record.diagnostics import Diagnostic
from sortext.schema.config import parse_config
from sortext.schema.refname import branch_problem
from tests.conftest import PROJECT_ROOT

SKELETON = (PROJECT_ROOT / "sortext" / "skeleton" / "sortext.yaml").read_text(encoding="utf-8")


def _problems(root: Path, extra: str) -> list[str]:
    """The configuration's diagnostics (formatted) with ``extra`` appended."""
    text = SKELETON + "\n" + extra + "\n"
    try:
        parse_config(root, text.encode(), "sortext.yaml")
    except ConfigError as exc:
        return [d.format(False) for d in exc.diagnostics if isinstance(d, Diagnostic)]
    return []


def _line(extra: str) -> int:
    """The line ``extra`` is on (the first after the skeleton and a blank line)."""
    return (SKELETON + "\n").count("\n") + 1


@pytest.mark.parametrize(
    ("extra", "col", "field", "message"),
    [
        ("pages: {branch: a..b}", 17, "pages.branch", "cannot hold '..'"),
        ("pages: {branch: x.lock}", 17, "pages.branch", "cannot end with '.lock'"),
        ("pages: {branch: site/.b}", 17, "pages.branch", "cannot start with '.' ('.b')"),
        ("pages: {branch: a//b}", 17, "pages.branch", "cannot hold '//'"),
        ("pages: {branch: pages/}", 17, "pages.branch", "cannot start or end with '/'"),
        ("pages: {branch: pages.}", 17, "pages.branch", "cannot end with '.'"),
        ("pages: {branch: HEAD}", 17, "pages.branch", "HEAD is not a branch name"),
        ("pages: {from: main..x}", 15, "pages.from", "cannot hold '..'"),
        ("backup: {branch: b.lock/x}", 18, "backup.branch", "cannot end with '.lock' ('b.lock')"),
        ("pages: {from: sortext-pages}", 15, "pages.from", "is also the pages branch"),
        ("pages: {branch: site, from: site}", 29, "pages.from", "is also the pages branch"),
    ],
)
def test_a_branch_name_git_refuses_is_named_at_its_line(
    tmp_path: Path, extra: str, col: int, field: str, message: str
) -> None:
    (problem,) = _problems(tmp_path, extra)
    assert problem.startswith(f"sortext.yaml:{_line(extra)}:{col}: error: {field}: "), problem
    assert message in problem


def test_usable_names_and_a_distinct_source_pass(tmp_path: Path) -> None:
    assert _problems(tmp_path, "pages: {branch: site/pages-1.0, from: main}") == []
    assert _problems(tmp_path, "pages: {branch: false, from: sortext-pages}") == []
    assert _problems(tmp_path, "backup: {branch: release/v2_x}") == []


def _git_accepts(name: str) -> bool:
    done = subprocess.run(
        ["git", "check-ref-format", "--branch", name],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


# Mostly the characters git's rules are about; and any text at all.
_NEAR = st.text(alphabet="ab9Z._/-", min_size=1, max_size=10) | st.builds(
    lambda a, s, b: a + s + b,
    st.text(alphabet="ab.", max_size=3),
    st.sampled_from([".lock", "..", "//", "/.", "@{", "HEAD", ".", "/"]),
    st.text(alphabet="ab./", max_size=3),
)
_ANY = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=8
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=_NEAR | _ANY)
def test_property_a_name_sortext_accepts_git_accepts(name: str) -> None:
    """Never a name that passes check and fails inside git; and on the characters
    sortext allows, with a letter or digit first, the same answer as git."""
    ours = branch_problem(name) is None
    theirs = _git_accepts(name)
    if ours:
        assert theirs, name
    elif (
        name[0].isascii()
        and name[0].isalnum()
        and all(c.isascii() and (c.isalnum() or c in "._/-") for c in name)
    ):
        assert not theirs, name


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=_NEAR)
def test_property_the_configuration_refuses_exactly_what_git_refuses(
    tmp_path_factory: pytest.TempPathFactory, name: str
) -> None:
    root = tmp_path_factory.mktemp("cfg")
    problems = _problems(root, f"backup: {{branch: {json.dumps(name)}}}")
    allowed = name[0].isalnum() and _git_accepts(name)
    assert (problems == []) == allowed, (name, problems)
    for problem in problems:
        assert problem.startswith(f"sortext.yaml:{_line('')}:18: error: backup.branch: ")
