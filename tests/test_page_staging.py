"""A build with no ``site/clients`` yet writes the client pages into a staging folder and
renames it into place once (issue 15 item 3: 4 system calls a page instead of 11).

The staged path is held to the usual one (each page written by ``write_if_changed``
into an existing ``site/clients``): the same bytes, modes and build result over
generated records, with two files claiming one id, records withheld by consent, and
forked workers; a failed build leaves nothing half-written behind; a killed build's
folder is removed by the next, a live one's never.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.errors import StorageError
from sortext.files.write import TEMP_MARKER, write_new

TODAY = dt.date(2026, 11, 23)


def _pages(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file the build left (NEXT.md and site/), with its mode."""
    found = {"NEXT.md": ((root / "NEXT.md").read_bytes(), 0)}
    for path in sorted((root / "site").rglob("*")):
        info = path.lstat()
        rel = path.relative_to(root).as_posix()
        found[rel] = (path.read_bytes() if path.is_file() else b"", stat.S_IMODE(info.st_mode))
    return found


def _build(root: Path) -> tuple[list[str], list[str], list[str]]:
    from sortext.pages.build import build
    from sortext.repo import open_repository

    done = build(open_repository(root), TODAY)
    return sorted(done.written), sorted(done.unchanged), sorted(done.removed)


def _staging_folders(root: Path) -> list[str]:
    site = root / "site"
    return sorted(n for n in os.listdir(site) if TEMP_MARKER in n) if site.is_dir() else []


def _repo(base: Path, count: int, seed: int, twins: int, withheld: int) -> Path:
    from bench.gen_pages import generate_repo

    root = generate_repo(count, base / "repo", seed=seed)
    clients = sorted((root / "clients").glob("*.md"))
    for i in range(min(twins, count)):  # two files claiming one id (an error, still paged)
        twin = clients[i].read_text("utf-8").replace("---\n", f"---\nid: {clients[i].stem}\n", 1)
        (root / "clients" / f"zz-twin-{i}.md").write_text(twin, "utf-8")
    if withheld:
        config = root / "sortext.yaml"
        config.write_text(config.read_text("utf-8") + "\nprivacy:\n  pages: consented\n")
        for path in clients[-withheld:]:
            path.write_text(path.read_text("utf-8").replace("data_use: true", "data_use: false"))
    return root


def _both(
    base: Path, count: int, seed: int, twins: int, withheld: int
) -> tuple[dict[str, tuple[bytes, int]], dict[str, tuple[bytes, int]], tuple[object, object]]:
    """Pages and result of a build into a staging folder, and of the usual path."""
    staged = _repo(base / "staged", count, seed, twins, withheld)
    usual = _repo(base / "usual", count, seed, twins, withheld)
    (usual / "site" / "clients").mkdir(parents=True)  # exists: no staging folder
    staged_result, usual_result = _build(staged), _build(usual)
    assert _staging_folders(staged) == []
    return _pages(staged), _pages(usual), (staged_result, usual_result)


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    count=st.integers(min_value=1, max_value=14),
    seed=st.integers(min_value=0, max_value=2**32),
    twins=st.integers(min_value=0, max_value=3),
    withheld=st.integers(min_value=0, max_value=3),
)
def test_staged_pages_are_the_pages_the_usual_path_writes(
    count: int, seed: int, twins: int, withheld: int
) -> None:
    """Property: same bytes, modes and written/unchanged/removed lists, either way."""
    with tempfile.TemporaryDirectory(prefix="staging-") as base:
        staged, usual, (staged_result, usual_result) = _both(
            Path(base), count, seed, twins, withheld
        )
    assert staged == usual
    assert staged_result == usual_result


def test_staged_pages_from_forked_workers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The parse workers and the page workers write into the staging folder too."""
    import sortext.pages.build as build_module
    import sortext.store.index as index_module

    monkeypatch.setattr(index_module, "PARALLEL_THRESHOLD", 2)
    monkeypatch.setattr(build_module, "PARALLEL_PAGES", 2)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    staged, usual, (staged_result, usual_result) = _both(tmp_path, 40, 7, 2, 2)
    assert staged == usual
    assert staged_result == usual_result
    # 40 records and 2 twins (their ids are taken), 2 withheld by consent
    assert sum(rel.startswith("site/clients/") for rel in staged) == 38


def test_a_second_build_and_a_deleted_site_give_the_same_pages(tmp_path: Path) -> None:
    """Warm builds use the usual path; deleting site/clients stages again."""
    root = _repo(tmp_path, 6, 3, 1, 1)
    _build(root)
    first = _pages(root)
    written, unchanged, _ = _build(root)
    assert written == [] and unchanged and _pages(root) == first
    shutil.rmtree(root / "site" / "clients")
    written, _, _ = _build(root)
    # 6 records and a twin (its id is taken), 1 withheld by consent
    assert sum(rel.startswith("site/clients/") for rel in written) == 5
    assert _pages(root) == first and _staging_folders(root) == []


def test_a_failed_build_leaves_no_pages_and_no_staging_folder(tmp_path: Path) -> None:
    """A page that cannot be rendered stops the build: site/clients never appears with
    some of the pages in it, and the staging folder is removed."""
    from sortext.errors import SortextError

    root = _repo(tmp_path, 5, 11, 0, 0)
    template = root / "templates" / "client.html.j2"
    template.write_text("{% if c.record.id.endswith('4') %}{{ 1 // 0 }}{% endif %}page\n")
    with pytest.raises(SortextError):
        _build(root)
    assert not (root / "site" / "clients").exists()
    assert _staging_folders(root) == []


def test_a_killed_builds_folder_is_removed_and_a_live_ones_kept(tmp_path: Path) -> None:
    root = _repo(tmp_path, 3, 5, 0, 0)
    site = root / "site"
    site.mkdir()
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead = site / f".clients{TEMP_MARKER}{int(gone.stdout)}-0a1b2c3d"
    (dead / "x").mkdir(parents=True)
    live = site / f".clients{TEMP_MARKER}{os.getppid()}-0a1b2c3d"  # a running process
    live.mkdir()
    outside = tmp_path / "elsewhere"
    (outside / "keep").mkdir(parents=True)
    linked = site / f".clients{TEMP_MARKER}{int(gone.stdout)}-00000000"
    linked.symlink_to(outside, target_is_directory=True)  # a link: never followed
    _build(root)
    assert not dead.exists()
    assert live.is_dir() and linked.is_symlink() and (outside / "keep").is_dir()
    assert (site / "clients").is_dir()


def test_pages_go_in_one_by_one_when_site_clients_appeared_meanwhile(tmp_path: Path) -> None:
    """Another build created site/clients during this one: the rename cannot replace
    it, so each page is written into it as the usual path writes it."""
    from sortext.pages.build import _Staging

    root = tmp_path
    site = root / "site"
    staging = _Staging.start(root, site, site / "clients")
    assert staging is not None and staging.folder.parent == site
    write_new(staging.folder / "amara.html", b"new page", shown=site / "clients" / "amara.html")
    write_new(staging.folder / "bo.html", b"bo", shown=site / "clients" / "bo.html")
    (site / "clients").mkdir()
    (site / "clients" / "amara.html").write_bytes(b"old page")
    (site / "clients" / "other.html").write_bytes(b"other")
    staging.publish()
    assert not staging.folder.exists()
    found = {p.name: p.read_bytes() for p in (site / "clients").iterdir()}
    assert found == {"amara.html": b"new page", "bo.html": b"bo", "other.html": b"other"}


def test_no_staging_folder_when_site_clients_is_there_in_any_form(tmp_path: Path) -> None:
    from sortext.pages.build import _Staging

    site = tmp_path / "site"
    site.mkdir()
    (site / "clients").write_text("a file")
    assert _Staging.start(tmp_path, site, site / "clients") is None
    assert _staging_folders(tmp_path) == []


def test_write_new_creates_once_and_never_replaces(tmp_path: Path) -> None:
    target = tmp_path / "page.html"
    write_new(target, b"x" * 70_000, shown=target)
    assert target.read_bytes() == b"x" * 70_000
    assert stat.S_IMODE(target.stat().st_mode) == 0o644 & ~_umask()
    with pytest.raises(FileExistsError):
        write_new(target, b"other", shown=target)
    assert target.read_bytes() == b"x" * 70_000
    with pytest.raises(StorageError):
        write_new(tmp_path / "no-folder" / "page.html", b"x", shown=tmp_path / "page.html")


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


# -- errors name the path the user knows, never the staging folder or a temp file ------


class _FailingOs:
    """``os`` as sortext/files/write.py sees it, with one call failing (a full disk, an
    I/O error: neither can be arranged here) for paths whose name holds ``name``.
    ``write`` fails on a file descriptor that such an ``open`` returned."""

    def __init__(self, call: str, code: int, name: str) -> None:
        self.call, self.code, self.name = call, code, name
        self.fds: set[int] = set()
        self.failed = 0

    def __getattr__(self, attr: str) -> object:
        return getattr(os, attr)

    def _fail(self) -> None:
        self.failed += 1
        raise OSError(self.code, os.strerror(self.code))

    def _ours(self, path: object) -> bool:
        return self.name in os.path.basename(os.fspath(path))  # type: ignore[call-overload]

    def open(self, path: object, flags: int, mode: int = 0o777) -> int:
        if self.call == "open" and self._ours(path) and flags & os.O_WRONLY:
            self._fail()
        fd = os.open(path, flags, mode)  # type: ignore[arg-type]
        if self._ours(path):
            self.fds.add(fd)
        return fd

    def write(self, fd: int, data: bytes) -> int:
        if self.call == "write" and fd in self.fds:
            self._fail()
        return os.write(fd, data)

    def replace(self, src: object, dst: object) -> None:
        if self.call == "replace" and self._ours(dst):
            self._fail()
        os.replace(src, dst)  # type: ignore[arg-type]

    def fsync(self, fd: int) -> None:
        if self.call == "fsync" and fd in self.fds:
            self._fail()
        os.fsync(fd)


_CODES = st.sampled_from([28, 5, 122, 27, 30])  # ENOSPC, EIO, EDQUOT, EFBIG, EROFS


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(pick=st.integers(min_value=0, max_value=5), call=st.sampled_from(["open", "write"]))
def test_a_page_write_failing_in_the_staging_folder_names_the_page(
    monkeypatch: pytest.MonkeyPatch, pick: int, call: str
) -> None:
    """Property: a cold build whose write of any client page fails in the staging
    folder says ``site/clients/<id>.html: cannot write: <reason>``, never the hidden
    ``site/.clients.sortext-tmp-PID-HEX/<id>.html``; nothing half-built is left."""
    import sortext.files.write as writer

    with tempfile.TemporaryDirectory(prefix="staging-") as base:
        root = _repo(Path(base), 6, 5, 0, 0)
        stem = sorted(p.stem for p in (root / "clients").glob("*.md"))[pick]
        from sortext.repo import open_repository

        record_id = open_repository(root).record_path(stem).stem
        failing = _FailingOs(call, 28, f"{record_id}.html")
        with monkeypatch.context() as patch:
            patch.setattr(writer, "os", failing)
            with pytest.raises(StorageError) as caught:
                _build(root)
        message = str(caught.value)
        assert failing.failed == 1
        assert message.startswith(f"{root / 'site' / 'clients' / record_id}.html: cannot write:")
        assert TEMP_MARKER not in message and "No space left on device" in message
        assert not (root / "site" / "clients").exists() and _staging_folders(root) == []


@settings(max_examples=60, deadline=None)
@given(
    writer_name=st.sampled_from(["atomic_write", "write_if_changed", "write_new"]),
    call=st.sampled_from(["open", "write", "replace", "fsync"]),
    code=_CODES,
    staged=st.booleans(),
    old=st.sampled_from([None, b"old", b"same"]),
)
def test_every_staged_or_temp_write_error_names_the_final_path(
    writer_name: str, call: str, code: int, staged: bool, old: bytes | None
) -> None:
    """Property: whichever of the one writer's calls fails, for a file written through a
    temp file or into a staging folder, the error names the final path (the one given as
    ``shown``, else the target), never a temp or staging name."""
    import sortext.files.write as writer

    with tempfile.TemporaryDirectory() as base:
        final = Path(base) / "site" / "clients" / "amara.html"
        final.parent.mkdir(parents=True)
        folder = Path(base) / "site" / ".clients.sortext-tmp-1-ab12" if staged else final.parent
        folder.mkdir(exist_ok=True)
        target = folder / "amara.html"
        if old is not None and writer_name != "write_new":
            target.write_bytes(old)
        shown = final if staged else None
        failing = _FailingOs(call, code, "amara.html")
        saved = writer.os  # type: ignore[attr-defined]
        writer.os = failing  # type: ignore[attr-defined, assignment]
        try:
            if writer_name == "atomic_write":
                writer.atomic_write(target, b"same!", shown=shown)
            elif writer_name == "write_if_changed":
                writer.write_if_changed(target, b"same!", shown=shown)
            else:
                writer.write_new(target, b"same!", shown=final)
        except StorageError as exc:
            message = str(exc)
            assert message.startswith(f"{final}: cannot "), message
            assert TEMP_MARKER not in message and os.strerror(code) in message
        else:
            assert not failing.failed  # (a call the writer does not make here)
        finally:
            writer.os = saved  # type: ignore[attr-defined]
        assert not [n for n in os.listdir(folder) if n.startswith(".amara")]  # no temp left


IDS = st.text(st.sampled_from("abz09-_./ \\\x00Aé"), max_size=12) | st.sampled_from(
    ["con", "nul", "a" * 80, "a" * 81, "..", "a/b", "-a", "a-"]
)


@settings(max_examples=300, deadline=None)
@given(IDS)
def test_a_staged_page_path_is_the_confined_one(record_id: str) -> None:
    """With a staging folder, a page's path is the slug's alone (no ``lstat`` of a path
    in a folder that is not there): the same answer, page or none, as the full check
    gives for a ``site/clients`` that does not exist."""
    from sortext.pages.build import _page_path

    with tempfile.TemporaryDirectory() as where:
        root = Path(where)
        real = os.path.realpath(root / "site" / "clients")
        assert _page_path(root, record_id, real, staged=True) == _page_path(root, record_id, real)
        assert _page_path(root, record_id, real, staged=True) == _page_path(root, record_id)
