"""An export's ``--out`` never lands on a record or on sortext's or git's own files.

Found by trying paths at ``--out``: ``sortext export client amara-okafor --out
clients`` wrote the subject-access copy (``amara-okafor.md``, a Markdown report
without front matter) over the client's own record, and ``export csv --out
clients/amara-okafor.md`` or ``--out sortext.yaml`` wrote a CSV over them, where
``exports:`` in sortext.yaml already refused those targets.  One function
(:func:`sortext.io.outpath.output_problem`) now decides for all three.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.io.outpath import output_problem
from sortext.repo import open_repository


def _tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file() and p.relative_to(root).parts[0] not in (".git", ".sortext")
    }


def test_out_cannot_replace_a_record_or_the_configuration(
    cli: Callable[..., Result], records_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(records_repo)
    before = _tree(records_repo)
    for args in (
        ["export", "client", "amara-okafor", "--out", "clients"],
        ["export", "client", "amara-okafor", "--out", str(records_repo / "Clients")],
        ["export", "csv", "--out", "clients/amara-okafor.md"],
        ["export", "json", "--out", "sortext.yaml"],
        ["export", "ics", "--out", "SORTEXT.YAML"],
        ["export", "csv", "--out", ".git/config"],
        ["export", "csv", "--out", "site/index.html"],
    ):
        result = cli(*args, "--today", "2026-11-23", "--repo", str(records_repo))
        assert result.exit_code == 2, (args, result.output)
        assert "clients folder" in result.output or "own" in result.output, result.output
    assert _tree(records_repo) == before
    done = cli("export", "csv", "--out", "exports/c.csv", "--repo", str(records_repo))
    assert done.exit_code == 0, done.output


_PARTS = st.sampled_from(
    [
        "clients",
        "Clients",
        "CLIENTS",
        "sortext.yaml",
        "Sortext.YAML",
        "erased.yaml",
        ".git",
        ".sortext",
        "site",
        "templates",
        "inbox",
        "NEXT.md",
        "exports",
        "notes",
        "..",
        ".",
    ]
)
_LEAF = st.sampled_from(["amara-okafor.md", "x.csv", "config", "a.ics"])


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(parts=st.lists(_PARTS, min_size=0, max_size=3), leaf=_LEAF)
def test_output_problem_refuses_exactly_the_repository_s_own_places(
    records_repo: Path, parts: list[str], leaf: str
) -> None:
    repo = open_repository(records_repo)
    target = records_repo.joinpath(*parts, leaf)
    resolved = target.resolve()
    root = records_repo.resolve()
    problem = output_problem(repo, target)
    if root not in resolved.parents:
        assert problem is None  # the user's own place
        return
    first = resolved.relative_to(root).parts[0].casefold()
    own = first.startswith(".") or first in {
        "clients",
        "sortext.yaml",
        "erased.yaml",
        "site",
        "templates",
        "inbox",
        "next.md",
        "inbox.md",
    }
    assert (problem is not None) == own, (target, problem)
