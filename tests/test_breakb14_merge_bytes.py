"""A merge keeps every byte of both sides, even bytes that are not UTF-8.

Found breaking round b14: ``merge_files`` falls back to a line merge when a side
cannot be read as a record ("git's markers then keep both sides, so nothing is
lost"), but it decoded the sides with ``errors="replace"``: a Latin-1 side's
``\\xe9`` (``name: Caf\\xe9``) was written into the conflict markers as U+FFFD,
by ``sortext merge-driver`` during a ``git merge`` (and by merge-copy).  The
line merge now carries such bytes as surrogate escapes and
``MergeResult.data`` gives them back as they were.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.vcs.merge import MergeResult, merge_files

RECORD = b"---\nname: Ada\nstage: lead\n---\n\n# Ada\n"


def _bytes(result: MergeResult) -> bytes:
    """The merged bytes (``result.data``, spelled so the old code runs this too)."""
    return result.text.encode("utf-8", "surrogateescape")


def test_the_merge_driver_keeps_a_latin1_side_byte_for_byte(
    cli: Callable[..., Result], empty_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, ours, theirs = (empty_repo / n for n in ("base", "ours", "theirs"))
    base.write_bytes(RECORD)
    ours.write_bytes(RECORD.replace(b"Ada", b"Adah"))
    theirs.write_bytes(RECORD.replace(b"name: Ada", b"name: Caf\xe9"))
    monkeypatch.chdir(empty_repo)  # git runs the driver at the top of the work tree
    result = cli("merge-driver", str(base), str(ours), str(theirs), "clients/ada.md")
    assert result.exit_code == 1, result.output
    merged = ours.read_bytes()
    assert b"name: Caf\xe9\n" in merged and b"name: Adah\n" in merged
    assert "\ufffd".encode() not in merged


_LINE = st.binary(max_size=30).map(lambda b: b.replace(b"\x00", b"").replace(b"\n", b""))


@settings(max_examples=60, deadline=None)
@given(
    lines=st.lists(_LINE, min_size=1, max_size=6),
    bad=st.sampled_from([b"\x80", b"\xe9", b"\xff", b"\xc3(", b"\xed\xa0\x80"]),
    side=st.sampled_from(["ours", "theirs"]),
)
def test_property_a_side_that_is_not_utf8_comes_back_unchanged(
    lines: list[bytes], bad: bytes, side: str
) -> None:
    """The other side unchanged from the base: the merge is the changed side, every
    byte of it (a line merge, as that side is no record)."""
    changed = b"---\nname: " + bad + b"\n---\n" + b"\n".join(lines) + b"\n"
    if side == "theirs":
        result = merge_files(RECORD, RECORD, changed)
    else:
        result = merge_files(RECORD, changed, RECORD)
    assert result.clean
    assert _bytes(result) == changed
