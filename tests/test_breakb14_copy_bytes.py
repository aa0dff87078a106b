"""``sortext merge-copy`` never merges a file that is not UTF-8 text.

Found breaking round b14 (a Latin-1 conflict copy, as an old Windows editor on
the other device saves it): the line merge decoded both sides with
``errors="replace"``, so the copy's ``\\xe9`` reached the record as U+FFFD
inside conflict markers and the copy was removed: the other device's text was
lost.  A copy with a NUL byte failed with ``git merge-file ... failed: Cannot
merge binary files: /tmp/sortext-merge-.../theirs``, naming a temporary file.
Now either side that is not record text (not UTF-8, NUL, UTF-16, too large) is
refused at its line, as ``sortext check`` reports it, and nothing is written.
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
    """Commit a change of ours (the phone); return the version before it."""
    record = root / RECORD
    base = record.read_bytes()
    text = re.sub(r"(?m)^phone: .*$", 'phone: "+44 20 7946 0000"', base.decode())
    record.write_text(text, encoding="utf-8", newline="")
    git(root, "commit", "--quiet", "-am", "ours: phone")
    return base


def _refused(result: Result, shown: str, field: str = "file") -> None:
    assert result.exit_code == 2, result.output
    assert "nothing was written" in result.output
    assert re.search(rf"{re.escape(shown)}:\d+:\d+: error: {field}: ", result.output), result.output
    assert "Traceback" not in result.output and "sortext-merge-" not in result.output


def test_a_latin1_copy_is_refused_not_merged_with_replacement_characters(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    base = _setup(records_repo)
    ours = (records_repo / RECORD).read_bytes()
    copy = base.replace(b"stage: active", b"stage: review").replace(b"Amara", b"Am\xe9ra", 1)
    (records_repo / COPY).write_bytes(copy)

    result = cli("merge-copy", str(records_repo / COPY), "--repo", str(records_repo))

    _refused(result, COPY)
    assert "not valid UTF-8: byte 0xe9" in result.output
    assert (records_repo / RECORD).read_bytes() == ours
    assert (records_repo / COPY).read_bytes() == copy


def test_a_binary_copy_is_refused_naming_the_copy(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    _setup(records_repo)
    ours = (records_repo / RECORD).read_bytes()
    (records_repo / COPY).write_bytes(b"\x00\x01\x02 not a record")
    result = cli("merge-copy", str(records_repo / COPY), "--repo", str(records_repo))
    _refused(result, COPY)
    assert "NUL byte" in result.output
    assert (records_repo / RECORD).read_bytes() == ours
    assert (records_repo / COPY).exists()


def test_a_record_that_is_not_utf8_is_refused_too(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    base = _setup(records_repo)
    ours = (records_repo / RECORD).read_bytes().replace(b"Amara", b"Am\xe9ra", 1)
    (records_repo / RECORD).write_bytes(ours)
    (records_repo / COPY).write_bytes(base.replace(b"stage: active", b"stage: review"))
    result = cli("merge-copy", str(records_repo / COPY), "--repo", str(records_repo))
    _refused(result, RECORD)
    assert (records_repo / RECORD).read_bytes() == ours
    assert (records_repo / COPY).exists()


@pytest.fixture(scope="module")
def merge_base(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    root = sample_records(tmp_path_factory.mktemp("bytes") / "records")
    return root, _setup(root)


#: Bytes that are never UTF-8 text a record can hold: a NUL, a lone continuation
#: byte, a lead byte without its continuation, bytes UTF-8 never uses, an overlong
#: form, a surrogate.
_BAD = st.sampled_from(
    [b"\x00", b"\x80", b"\xbf", b"\xc3", b"\xe9", b"\xff", b"\xfe", b"\xc0\xaf", b"\xed\xa0\x80"]
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    bad=_BAD,
    where=st.floats(min_value=0.0, max_value=1.0),
    side=st.sampled_from(["copy", "record"]),
)
def test_property_bytes_that_are_not_text_never_reach_the_record(
    cli: Callable[..., Result],
    merge_base: tuple[Path, bytes],
    bad: bytes,
    where: float,
    side: str,
) -> None:
    root, base = merge_base
    ours = (root / RECORD).read_bytes()
    theirs = base.replace(b"stage: active", b"stage: review")
    target = theirs if side == "copy" else ours
    # Put the bad bytes between two characters (never inside one).
    text = target.decode()
    at = int(where * len(text))
    spoiled = text[:at].encode() + bad + text[at:].encode()
    record_bytes, copy_bytes = (ours, spoiled) if side == "copy" else (spoiled, theirs)
    (root / RECORD).write_bytes(record_bytes)
    copy = root / COPY
    copy.write_bytes(copy_bytes)
    try:
        result = cli("merge-copy", str(copy), "--repo", str(root))
        _refused(result, COPY if side == "copy" else RECORD)
        assert (root / RECORD).read_bytes() == record_bytes
        assert copy.read_bytes() == copy_bytes
    finally:
        copy.unlink(missing_ok=True)
        (root / RECORD).write_bytes(ours)
        shutil.rmtree(root / ".sortext" / "cache", ignore_errors=True)
