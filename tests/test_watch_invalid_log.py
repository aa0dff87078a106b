"""What the watcher says about an invalid save: what is wrong, and what stays committed.

The pages' "not published yet" line said "1 record(s) with errors differ from the
commit", and the error lines "(not committed)" alone: neither said where the
problem is nor that the record's last valid version is still the committed one.
Every line about an invalid save now reads ``path:line:col: error: field: message``
followed by what stays committed meanwhile.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.watchkit import Daemon, commit_count, idle_mark, wait_commits, wait_for, wait_settled

BROKEN = "clients/amara-okafor.md"
OTHER = "clients/bruno-castellanos.md"
KEPT = "its last valid version stays committed"


@pytest.fixture
def daemon(records_repo: Path) -> Iterator[Daemon]:
    d = Daemon(records_repo)
    d.wait_ready()
    yield d
    d.stop()


def _lines(log: str, since: int, rel: str) -> list[str]:
    return [line for line in log[since:].splitlines() if rel in line and "ERROR" in line]


def test_an_invalid_save_says_where_and_that_the_last_valid_version_stays(
    records_repo: Path, daemon: Daemon
) -> None:
    root = records_repo
    idle_mark(root, daemon)
    commits = commit_count(root)
    path = root / BROKEN
    path.write_text(
        path.read_text(encoding="utf-8").replace("stage: active", "stage: activ", 1),
        encoding="utf-8",
    )
    wait_for(lambda: _lines(daemon.log, 0, BROKEN), 20, lambda: daemon.log)
    (line,) = _lines(daemon.log, 0, BROKEN)
    assert re.search(rf"{BROKEN}:\d+:\d+: error: stage: ", line), line
    assert KEPT in line, line
    # another record's save is committed; the pages wait, and say for what
    other = root / OTHER
    other.write_text(other.read_text(encoding="utf-8") + "\nA note.\n", encoding="utf-8")
    wait_commits(root, commits + 1, daemon)
    wait_for(lambda: "not published yet" in daemon.log, 20, lambda: daemon.log)
    waiting = next(x for x in daemon.log.splitlines() if "not published yet" in x)
    assert "differ from the commit" not in daemon.log
    assert re.search(rf"not published yet: {BROKEN}:\d+:\d+: error: stage: ", waiting), waiting
    assert "last valid version of each record with errors stays committed" in waiting


def test_a_new_invalid_record_says_nothing_of_it_is_committed(
    records_repo: Path, daemon: Daemon
) -> None:
    rel = "clients/new-person.md"
    (records_repo / rel).write_text("---\nid: new-person\nname: [New\n---\n", encoding="utf-8")
    wait_for(lambda: _lines(daemon.log, 0, rel), 20, lambda: daemon.log)
    (line,) = _lines(daemon.log, 0, rel)
    assert re.search(rf"{rel}:\d+:\d+: error: ", line), line
    assert "no version of it is committed until it is valid" in line, line


# Invalid saves of every kind the watcher reads: a wrong value, malformed YAML, a
# duplicate key, bytes that are not UTF-8, no front matter, a symbolic link.
_STAGES = st.from_regex(r"[a-z]{3,12}", fullmatch=True).filter(
    lambda s: (
        s
        not in {"inquiry", "discovery", "proposal", "contracted", "active", "review", "completed"}
        | {"paused", "lost"}
    )
)
_KINDS = st.one_of(
    _STAGES.map(lambda s: ("stage", f"stage: {s}")),
    st.just(("yaml", "stage: [active")),
    st.just(("duplicate", "stage: active\nstage: review")),
    st.just(("utf8", "stage: activ\udcff")),
    st.just(("nofront", None)),
    st.just(("link", None)),
)


def test_every_invalid_save_says_where_and_what_stays(records_repo: Path) -> None:
    root = records_repo
    path = root / BROKEN
    good = path.read_bytes()
    daemon = Daemon(root, "--no-pages")
    try:
        daemon.wait_ready()

        @settings(
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
            deadline=None,
            max_examples=8,
        )
        @given(kind=_KINDS)
        def check(kind: tuple[str, str | None]) -> None:
            name, line = kind
            mark = idle_mark(root, daemon)
            since = len(daemon.log)
            path.unlink()
            if name == "link":
                path.symlink_to(root / OTHER)
            elif name == "nofront":
                path.write_bytes(b"just notes, no front matter\n")
            else:
                assert line is not None
                data = good.replace(b"stage: active", line.encode("utf-8", "surrogateescape"), 1)
                path.write_bytes(data)
            wait_settled(root, mark, daemon)
            wait_for(lambda: _lines(daemon.log, since, BROKEN), 10, lambda: daemon.log)
            for said in _lines(daemon.log, since, BROKEN):
                assert re.search(rf"{BROKEN}:\d+:\d+: error: ", said), said
                assert KEPT in said, said
            path.unlink()
            path.write_bytes(good)
            wait_for(
                lambda: f"{BROKEN} is valid again" in daemon.log[since:], 20, lambda: daemon.log
            )

        check()
    finally:
        daemon.stop()
