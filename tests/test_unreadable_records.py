"""A record the watcher (or a command) cannot read: a folder, a named pipe, a socket,
a dangling or looping symbolic link named ``clients/x.md``, or any OSError but
"missing" (``EACCES``: injected, since these tests run as root and chmod cannot
refuse root).  Each is one ``path:1:1: error: file: message`` diagnostic, the record
is treated as an invalid record is (never committed, never taken for its deletion),
the watcher settles (``pending`` 0) and reads it again when an event names it; the
other records are unaffected.  Nothing ever waits on a pipe."""

from __future__ import annotations

import errno
import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import git
from tests.test_break_watch7 import WAIT, settle, watching
from tests.test_watch_pages import set_field
from tests.watchkit import wait_for

RECORD = "clients/amara-okafor.md"
OTHER = "clients/bruno-castellanos.md"
KINDS = ["folder", "pipe", "socket", "dangling", "loop"]
EXPECTED = {
    "folder": "is a directory, not a record file",
    "pipe": "is a named pipe (FIFO), not a record file",
    "socket": "is a socket, not a record file",
    "dangling": "is a symbolic link",
    "loop": "is a symbolic link",
    "denied": "cannot read the file: permission denied",
}


@contextmanager
def made(path: Path, kind: str) -> Iterator[None]:
    """An entry of ``kind`` at ``path`` (a socket stays bound while inside)."""
    bound: socket.socket | None = None
    if kind == "folder":
        path.mkdir()
    elif kind == "pipe":
        os.mkfifo(path)
    elif kind == "socket":
        bound = socket.socket(socket.AF_UNIX)
        bound.bind(str(path))
    elif kind == "dangling":
        path.symlink_to("nowhere-at-all.md")
    elif kind == "loop":
        path.symlink_to(path.name)
    else:
        raise AssertionError(kind)
    try:
        yield
    finally:
        if bound is not None:
            bound.close()


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        path.rmdir()
    else:
        path.unlink()


def state(root: Path) -> dict[str, object]:
    loaded = json.loads((root / ".sortext" / "watch.json").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _bruno_page(root: Path) -> str:
    page = root / "site" / "clients" / "bruno-castellanos.html"
    return page.read_text(encoding="utf-8") if page.exists() else ""


def idle(service: object, root: Path, done: Callable[[], bool]) -> None:
    """Wait until ``done()`` and the watcher settled with nothing pending (its state
    file says ``pending`` 0); ``git status`` is not clean here (the odd entry)."""
    from sortext.daemon.service import WatchService

    assert isinstance(service, WatchService)

    def settled() -> bool:
        try:
            service.wait_settled(service.settled - 1, 1.0)
        except TimeoutError:
            return False
        return done() and state(root).get("pending") == 0

    wait_for(settled, WAIT, lambda: json.dumps(state(root)))


def _pages(root: Path) -> dict[str, bytes]:
    found = {"NEXT.md": (root / "NEXT.md").read_bytes()}
    for path in sorted((root / "site").rglob("*.html")):
        found[path.relative_to(root).as_posix()] = path.read_bytes()
    return found


# --- the watcher ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", [*KINDS, "denied"])
def test_the_watcher_reports_an_unreadable_record_once_and_settles(
    records_repo: Path,
    kind: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A record replaced by something that cannot be read as one (and, in the same
    moment, another record saved): one diagnostic, nothing committed for it, its
    pages as after an invalid save (the last valid version), the other save
    committed, ``pending`` back to 0; then a real file written there is committed."""
    from sortext.record import source

    root = records_repo
    path = root / RECORD
    refused: set[str] = set()
    real_open = source.opener

    def opener(where: str | Path, flags: int) -> int:
        if str(where) in refused:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(where))
        return real_open(where, flags)

    monkeypatch.setattr(source, "opener", opener)
    caplog.set_level("INFO", logger="sortext.watch")
    text = path.read_text(encoding="utf-8")
    with watching(root) as service:
        before = _pages(root)
        head = git(root, "rev-parse", "HEAD").strip()
        if kind == "denied":
            refused.add(str(path))
            path.write_text(text.replace("name: Amara Okafor", "name: Amara Unread"))
            odd: AbstractContextManager[None] = nullcontext()
        else:
            path.unlink()
            odd = made(path, kind)
        with odd:
            set_field(root, OTHER, "name", "Bruno Saved Beside")
            wait_for(
                lambda: "Bruno Saved Beside" in git(root, "show", f"HEAD:{OTHER}"),
                WAIT,
                lambda: caplog.text,
            )
            idle(service, root, lambda: "Bruno Saved Beside" in _bruno_page(root))
            # the pages' "not published yet" line names the same problem as its reason
            lines = [
                r.getMessage()
                for r in caplog.records
                if f"{RECORD}:" in r.getMessage() and "not published yet" not in r.getMessage()
            ]
            assert len(lines) == 1, lines
            assert lines[0].startswith(f"{RECORD}:1:1: error: file: {EXPECTED[kind]}"), lines
            errors = state(root)["errors"]
            assert isinstance(errors, dict) and list(errors) == [RECORD]
            # never committed, never taken for the record's deletion
            assert git(root, "log", "--format=%H", "-1", "--", RECORD).strip() == head
            after = _pages(root)
            # as after an invalid save: the last valid version, under the errors banner
            page = after["site/clients/amara-okafor.html"].decode()
            assert "The file has errors" in page and "Amara Okafor" in page
            assert "The file has errors" not in before["site/clients/amara-okafor.html"].decode()
            assert b"Bruno Saved Beside" in after["site/clients/bruno-castellanos.html"]
            # a save of the same nothing is not reported again; a file written there is read
            if kind != "denied":
                remove(path)
            refused.clear()
            path.write_text(text.replace("name: Amara Okafor", "name: Amara Readable Again"))
            wait_for(
                lambda: "Amara Readable Again" in git(root, "show", f"HEAD:{RECORD}"),
                WAIT,
                lambda: caplog.text,
            )
            settle(service, root)
        assert state(root)["pending"] == 0
        assert state(root)["errors"] == {}
        assert "Amara Readable Again" in (root / "site/clients/amara-okafor.html").read_text()


def test_a_folder_named_like_a_record_is_reported_when_made(
    records_repo: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """``mkdir clients/new.md``: its event (a folder's) was dropped, so nothing ever
    said why no client appeared; now it is reported and the watcher settles."""
    root = records_repo
    caplog.set_level("INFO", logger="sortext.watch")
    with watching(root) as service:
        (root / "clients" / "new-one.md").mkdir()
        idle(service, root, lambda: "clients/new-one.md:1:1" in caplog.text)


def test_entries_made_while_no_watcher_ran_are_reported_at_start(
    records_repo: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A folder, a pipe and a socket named like records before the watcher starts:
    git's status lists none of them (no file there), so start-up said nothing of them
    (and took the folder's own links for hard links).  Now each is reported once and
    the watcher settles."""
    root = records_repo
    caplog.set_level("INFO", logger="sortext.watch")
    with ExitStack() as stack:
        for kind in ("folder", "pipe", "socket"):
            stack.enter_context(made(root / "clients" / f"odd-{kind}.md", kind))
        with watching(root) as service:
            idle(service, root, lambda: True)
            errors = state(root)["errors"]
            assert isinstance(errors, dict)
            assert sorted(errors) == [f"clients/odd-{k}.md" for k in ("folder", "pipe", "socket")]
            for kind in ("folder", "pipe", "socket"):
                shown = [
                    m
                    for m in caplog.messages
                    if f"clients/odd-{kind}.md:1:1" in m and "not published yet" not in m
                ]
                assert len(shown) == 1 and f"file: {EXPECTED[kind]}" in shown[0], shown
            assert "hard links" not in caplog.text


# --- the commands --------------------------------------------------------------------


def _run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``sortext ARGS`` in a process of its own, given a minute: a command waiting on a
    pipe fails the test instead of hanging it."""
    return subprocess.run(
        [sys.executable, "-m", "sortext", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, SORTEXT_TODAY="2026-11-22", NO_COLOR="1"),
    )


def test_every_command_reports_each_kind_once_and_never_waits(
    records_repo: Path, tmp_path: Path
) -> None:
    """All five kinds in the clients folder at once (and in a folder of notes to
    import): check and build name each once as ``path:1:1: error: file: ...`` and
    leave them out; export, import and doctor finish."""
    root = records_repo
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "plain.md").write_text("---\nname: Noor Plain\n---\nA note.\n", encoding="utf-8")
    with ExitStack() as stack:
        for kind in KINDS:
            stack.enter_context(made(root / "clients" / f"odd-{kind}.md", kind))
        for kind in ("pipe", "socket", "dangling"):
            stack.enter_context(made(notes / f"odd-{kind}.md", kind))
        checked = _run(root, "check")
        assert checked.returncode == 1, checked.stdout + checked.stderr
        for kind in KINDS:
            lines = [x for x in checked.stdout.splitlines() if f"odd-{kind}.md" in x]
            assert lines == [
                f"clients/odd-{kind}.md:1:1: error: file: {lines[0].split('file: ', 1)[1]}"
            ]
            assert EXPECTED[kind] in lines[0]
        built = _run(root, "build")
        assert built.returncode == 0, built.stdout + built.stderr
        assert "5 record files with errors" in built.stdout + built.stderr
        assert not any("odd-" in p.name for p in (root / "site" / "clients").iterdir())
        listed = (root / "NEXT.md").read_text(encoding="utf-8")
        for kind in KINDS:  # the pages' "Records with errors" give the same words
            assert f"clients/odd-{kind}.md:1:1: file: {EXPECTED[kind]}" in listed, listed
        exported = _run(root, "export", "csv", "--out", str(tmp_path / "all.csv"))
        assert exported.returncode == 0, exported.stdout + exported.stderr
        assert "odd-" not in (tmp_path / "all.csv").read_text(encoding="utf-8")
        imported = _run(root, "import", str(notes), "--dry-run")
        shown = imported.stdout + imported.stderr
        assert "Traceback" not in shown and "1 note:" in shown, shown
        for kind in ("pipe", "socket", "dangling"):
            assert f"odd-{kind}.md: cannot read" in shown, shown
        doctor = _run(root, "doctor")
        assert "Traceback" not in doctor.stdout + doctor.stderr


# --- property: the watcher's read and check's read agree on any entry ----------------

_ENTRY = st.sampled_from([*KINDS, "file"])


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(kind=_ENTRY, content=st.binary(max_size=64), denied=st.booleans())
def test_any_entry_reads_the_same_in_check_and_the_watcher(
    tmp_path_factory: pytest.TempPathFactory, kind: str, content: bytes, denied: bool
) -> None:
    """Property: for any kind of entry named like a record (and an open refused with
    EACCES or not), the watcher's reader never waits, never asks to look again for
    ever (UNSTABLE) and never takes a present entry for a missing one; what it
    reports is what ``check``'s reader reports, in the ``file`` field."""
    from sortext.daemon import pipeline
    from sortext.record import source
    from sortext.record.diagnostics import Diagnostic

    folder = tmp_path_factory.mktemp("entry")
    path = folder / "x.md"
    real_open = source.opener

    def refusing(where: str | Path, flags: int) -> int:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(where))

    entry: AbstractContextManager[None] = nullcontext() if kind == "file" else made(path, kind)
    if kind == "file":
        path.write_bytes(content)
    with entry:
        source.opener = refusing if denied else real_open
        try:
            seen = pipeline.read_stable(path)
            checked = source.read_bytes(str(path))
        finally:
            source.opener = real_open
    assert seen is not pipeline.UNSTABLE
    if kind in ("dangling", "loop"):
        assert seen is None  # the caller reports a link: LINK_PROBLEM
        assert isinstance(checked, Diagnostic) and checked.field == "file"
        assert denied or "symbolic link" in checked.message
    elif kind == "file" and not denied:
        assert seen == content == checked
    else:
        assert isinstance(seen, Diagnostic) and seen.field == "file", seen
        assert isinstance(checked, Diagnostic) and checked.field == "file"
        if not denied:  # (refused, one names the kind it saw first, the other the refusal)
            assert checked == seen
