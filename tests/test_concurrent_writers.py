"""Two sortext writers of one record: the later one never drops the earlier one's change.

Found as a new user: ``sortext set ID company=Acme & sortext log ID --focus ...``
both printed success, and the logged session was gone: both commands compared
the file with what they had read before either renamed its temp file over it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.errors import ConflictError
from sortext.files import write
from sortext.files.write import read_for_update, replace_if_unchanged, write_if_unchanged


def _interleave(monkeypatch: pytest.MonkeyPatch, hook: str, other: Callable[[], None]) -> None:
    """Run ``other`` (a whole second write) the first time the writer reaches ``hook``:
    after its first comparison, while its temp file is being written."""
    done = False
    real: Callable[[int], None] = getattr(write, hook) if hook != "fsync" else os.fsync

    def hooked(fd: int) -> None:
        nonlocal done
        if not done:
            done = True
            other()
        real(fd)

    if hook == "fsync":
        monkeypatch.setattr(os, "fsync", hooked)
    else:
        monkeypatch.setattr(write, hook, hooked)


def test_second_writer_between_check_and_rename_is_not_lost(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "ada.md"
    target.write_bytes(b"---\nname: Ada\n---\n")
    ours = read_for_update(target)
    theirs = read_for_update(target)
    won: list[str] = []

    def other() -> None:
        write_if_unchanged(target, theirs, b"---\nname: Ada\nsessions: [s2]\n---\n")
        won.append("log")

    _interleave(monkeypatch, "hold_temp", other)
    with pytest.raises(ConflictError, match="changed on disk"):
        write_if_unchanged(target, ours, b"---\nname: Ada\ncompany: Acme\n---\n")
    assert won == ["log"]
    assert target.read_bytes() == b"---\nname: Ada\nsessions: [s2]\n---\n"
    assert [p.name for p in tmp_path.iterdir()] == ["ada.md"]


@settings(max_examples=30, deadline=None)
@given(
    hook=st.sampled_from(["hold_temp", "fsync"]),
    replace=st.booleans(),
    mine=st.binary(min_size=1, max_size=40),
    other_bytes=st.binary(min_size=1, max_size=40),
)
def test_no_success_is_overwritten(
    tmp_path_factory: pytest.TempPathFactory,
    hook: str,
    replace: bool,
    mine: bytes,
    other_bytes: bytes,
) -> None:
    """Property: whichever point of a write another writer of the same original
    bytes finishes at, the file ends holding the bytes of the writer that
    succeeded, and at most one of the two succeeds."""
    folder = tmp_path_factory.mktemp("race")
    target = folder / "r.md"
    target.write_bytes(b"original\n")
    snap_a = read_for_update(target)
    snap_b = read_for_update(target)
    results: dict[str, bool] = {}

    def writer(snap: object, data: bytes) -> None:
        assert isinstance(snap, write.Snapshot)
        if replace:
            replace_if_unchanged(target, data, b"original\n")
        else:
            write_if_unchanged(target, snap, data)

    def other() -> None:
        try:
            writer(snap_b, other_bytes)
            results["b"] = True
        except ConflictError:
            results["b"] = False

    with pytest.MonkeyPatch.context() as mp:
        _interleave(mp, hook, other)
        try:
            writer(snap_a, mine)
            results["a"] = True
        except ConflictError:
            results["a"] = False
    assert sum(results.values()) == 1, results
    assert target.read_bytes() == (mine if results["a"] else other_bytes)


def test_two_real_processes_exactly_one_wins(tmp_path: Path) -> None:
    """Two processes wait on one start signal and write the same snapshot: the
    file holds the bytes of exactly the one that reported success."""
    target = tmp_path / "r.md"
    target.write_bytes(b"original\n")
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from sortext.errors import ConflictError\n"
        "from sortext.files.write import read_for_update, write_if_unchanged\n"
        "t = Path(sys.argv[1]); s = read_for_update(t)\n"
        "sys.stdout.write('ready\\n'); sys.stdout.flush(); sys.stdin.readline()\n"
        "try:\n"
        "    write_if_unchanged(t, s, sys.argv[2].encode()); print('ok')\n"
        "except ConflictError:\n"
        "    print('conflict')\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(target), f"writer {n}\n"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in (1, 2)
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    outs = [proc.communicate(timeout=60)[0].strip() for proc in procs]
    winners = [n for n, out in zip((1, 2), outs, strict=True) if out == "ok"]
    assert len(winners) == 1, outs
    assert target.read_bytes() == f"writer {winners[0]}\n".encode()


def test_refusal_names_the_record_as_every_other_message_does(records_repo: Path) -> None:
    """A record saved meanwhile is named ``clients/<id>.md``, not by its absolute path."""
    from sortext.edit.roundtrip import parse_path
    from sortext.edit.update import apply_update, plan_update
    from sortext.repo import Repository
    from sortext.schema.config import load_config

    repo = Repository(records_repo, load_config(records_repo))
    plan = plan_update(
        repo, "amara-okafor", lambda editor: editor.set(parse_path("company"), "Acme")
    )
    record = records_repo / "clients" / "amara-okafor.md"
    record.write_bytes(record.read_bytes() + b"\nsaved by the editor\n")
    with pytest.raises(ConflictError) as caught:
        apply_update(plan)
    assert str(caught.value).startswith("clients/amara-okafor.md changed on disk since")
