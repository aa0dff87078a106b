"""``sortext merge-copy`` never writes a record its merge made invalid.

Found breaking round 14: a conflict copy whose change was an invalid value
(``stage: nonsense``, a malformed email, a date that is not one) merged
cleanly, field by field, into the record: the invalid record was written,
the copy removed, and the command exited 0.  The merged text is now checked
as every edit is: when it adds errors, nothing is written, the copy is kept,
and the command fails with each error at ``path:line:col``.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import git, sample_records

RECORD = "clients/amara-okafor.md"
COPY = "clients/amara-okafor (conflicted copy 2026-12-01).md"


def _setup(root: Path) -> bytes:
    """Commit a change of ours (the phone) after the sample commit; return the base."""
    record = root / RECORD
    base = record.read_bytes()
    text = re.sub(r"(?m)^phone: .*$", 'phone: "+44 20 7946 0000"', base.decode())
    record.write_text(text, encoding="utf-8", newline="")
    git(root, "commit", "--quiet", "-am", "ours: phone")
    return base


def _copy_with(base: bytes, line: str, value: str) -> bytes:
    """``base`` with the top-level (or indented) ``line:`` set to ``value``."""
    text, n = re.subn(rf"(?m)^(\s*{re.escape(line)}:) .*$", rf"\1 {value}", base.decode(), count=1)
    assert n == 1, line
    return text.encode()


def test_a_copy_with_an_invalid_stage_is_refused_and_both_kept(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    base = _setup(records_repo)
    ours = (records_repo / RECORD).read_bytes()
    (records_repo / COPY).write_bytes(_copy_with(base, "stage", "nonsense"))

    result = cli("merge-copy", str(records_repo / COPY), "--repo", str(records_repo))

    assert result.exit_code != 0, result.output
    assert "nothing was written" in result.output
    assert re.search(
        rf"{re.escape(RECORD)}:\d+:\d+: error: stage: unknown stage 'nonsense'", result.output
    )
    assert (records_repo / RECORD).read_bytes() == ours
    assert (records_repo / COPY).exists()
    assert "Traceback" not in result.output


def test_a_valid_copy_still_merges(cli: Callable[..., Result], records_repo: Path) -> None:
    base = _setup(records_repo)
    (records_repo / COPY).write_bytes(_copy_with(base, "stage", "review"))
    result = cli("merge-copy", str(records_repo / COPY), "--repo", str(records_repo))
    assert result.exit_code == 0, result.output
    text = (records_repo / RECORD).read_text()
    assert "stage: review" in text and "7946 0000" in text
    assert not (records_repo / COPY).exists()


_INVALID = st.sampled_from(
    [
        ("stage", "nonsense"),
        ("email", "not an email"),
        ("email", "[1, 2]"),
        ("first_contact", "2026-13-45"),
        ("next_review", "soon"),
        ("rate", "lots"),
        ("due", "2026-02-30"),
        ("owner", "{a: b}"),
    ]
)


@pytest.fixture(scope="module")
def merge_base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    root = sample_records(tmp_path_factory.mktemp("merge") / "records")
    return root, _setup(root)


@settings(
    max_examples=16,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(change=_INVALID)
def test_property_a_copy_whose_change_is_invalid_never_reaches_the_record(
    cli: Callable[..., Result], merge_base: tuple[Path, bytes], change: tuple[str, str]
) -> None:
    root, base = merge_base
    ours = (root / RECORD).read_bytes()
    copy = root / COPY
    copy.write_bytes(_copy_with(base, *change))
    try:
        result = cli("merge-copy", str(copy), "--repo", str(root))
        assert result.exit_code != 0, (change, result.output)
        assert (root / RECORD).read_bytes() == ours, change
        assert copy.exists()
        assert re.search(rf"{re.escape(RECORD)}:\d+:\d+: error: ", result.output), result.output
    finally:
        copy.unlink(missing_ok=True)
        (root / RECORD).write_bytes(ours)
        shutil.rmtree(root / ".sortext" / "cache", ignore_errors=True)
