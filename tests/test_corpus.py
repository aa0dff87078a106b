"""Golden corpus: valid records check clean; each invalid one gives exactly its .expected.

Set ``SORTEXT_UPDATE_GOLDEN=1`` to rewrite the .expected files after a
deliberate message change (then review the diff before committing).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

CORPUS = Path(__file__).resolve().parent / "corpus"
INVALID = sorted((CORPUS / "invalid").glob("*.md"))


def test_valid_corpus_checks_clean(cli: Callable[..., Result]) -> None:
    assert len(list((CORPUS / "valid").glob("*.md"))) >= 5
    result = cli("check", "--repo", str(CORPUS))
    assert result.exit_code == 0
    assert result.stdout == ""  # no diagnostics; the one-line summary is for people, on stderr
    assert (
        result.stderr
        == f"{len(list((CORPUS / 'valid').glob('*.md')))} records checked: OK, no problems\n"
    )


def test_every_invalid_file_has_expected_output() -> None:
    expected = {p.with_suffix("") for p in (CORPUS / "invalid").glob("*.expected")}
    assert expected == {p.with_suffix("") for p in INVALID}


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_file_gives_exact_diagnostics(path: Path, cli: Callable[..., Result]) -> None:
    result = cli("check", "--repo", str(CORPUS), str(path))
    golden = path.with_suffix(".expected")
    if os.environ.get("SORTEXT_UPDATE_GOLDEN"):
        golden.write_text(result.stdout, encoding="utf-8")
    assert result.stdout == golden.read_text(encoding="utf-8")
    has_error = any(": error: " in line for line in result.stdout.splitlines())
    assert result.exit_code == (1 if has_error else 0)
    assert result.stdout.startswith(f"invalid/{path.name}:")
