"""The shipped templates' compiled code kept beside the package (issue 15 item 3).

A cold build (no ``.sortext/``) compiled every shipped template (~0.09 s of CPU);
``sortext.pages.render`` keeps their compiled code under ``SHIPPED_CACHE_ROOT``.
These tests hold the pages built from it to pages built without it, and show it
is bypassed whenever it must be: a repository's own template, an edited shipped
template, another environment, a damaged entry; and that it is written like
Python's compiled modules (not with ``PYTHONDONTWRITEBYTECODE``, never an error).
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import sortext.pages.render as render
from bench.gen_pages import remove_derived
from sortext.pages.build import build
from sortext.repo import open_repository

TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def shipped(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """The shipped templates as a copy this test may edit, their compiled code kept in
    a folder of the test's own, written (as without PYTHONDONTWRITEBYTECODE)."""
    templates = tmp_path / "package" / "templates"
    shutil.copytree(render.package_template_dir(), templates)
    root = tmp_path / "pycache"
    monkeypatch.setattr(render, "package_template_dir", lambda: templates)
    monkeypatch.setattr(render, "SHIPPED_CACHE_ROOT", root)
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    yield root


def _repo(base: Path, count: int = 6) -> Path:
    from bench.gen_pages import generate_repo

    return generate_repo(count, base, seed=3)


def _pages(root: Path) -> dict[str, bytes]:
    out = {str(p.relative_to(root)): p.read_bytes() for p in (root / "site").rglob("*.html")}
    out["NEXT.md"] = (root / "NEXT.md").read_bytes()
    return out


def _compiles(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the templates Jinja compiles from here on."""
    import jinja2

    names: list[str] = []
    real = jinja2.Environment.compile

    def counted(self: jinja2.Environment, source: str, name: str | None = None, *a, **k):  # type: ignore[no-untyped-def]
        names.append(str(name))
        return real(self, source, name, *a, **k)

    monkeypatch.setattr(jinja2.Environment, "compile", counted)
    return names


def _entries(root: Path) -> list[Path]:
    return sorted(root.glob("jinja-*/*.cache"))


def _cold(root: Path) -> dict[str, bytes]:
    remove_derived(root)
    build(open_repository(root), TODAY)
    return _pages(root)


def test_a_cold_build_reads_them_and_writes_the_same_pages(
    shipped: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    root = _repo(tmp_path / "repo")
    first = _cold(root)  # compiles, and keeps the compiled code
    kept = _entries(shipped)
    assert kept and len({p.parent for p in kept}) == 1
    compiled = _compiles(monkeypatch)
    second = _cold(root)
    assert compiled == []  # nothing compiled: every template came from the kept code
    assert second == first
    env = render.environment(tmp_path / "elsewhere", tmp_path / "its-own-cache")
    for name in ("client.html.j2", "index.html.j2", "owner.html.j2", "_day.html.j2"):
        namespace = env.get_template(name).root_render_func.__globals__
        assert namespace["escape"] is render.escape_text  # the page's escaper, kept code too
    assert compiled == []
    monkeypatch.setattr(render, "SHIPPED_CACHE_ROOT", None)  # the slow path
    assert _cold(root) == first
    assert len(compiled) == len(kept)


def test_a_repositorys_own_template_is_used_and_never_kept_there(
    shipped: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    root = _repo(tmp_path / "repo")
    _cold(root)
    before = {p.name for p in _entries(shipped)}
    own = root / "templates" / "client.html.j2"
    own.parent.mkdir(exist_ok=True)
    text = (render.package_template_dir() / "client.html.j2").read_text("utf-8")
    own.write_text(text.replace("<header>", "<header><!-- my own page -->", 1), "utf-8")
    compiled = _compiles(monkeypatch)
    pages = _cold(root)
    assert compiled == ["client.html.j2"]  # the others came from the kept code
    clients = [v for k, v in pages.items() if k.startswith("site/clients/")]
    assert clients and all(b"<!-- my own page -->" in page for page in clients)
    assert {p.name for p in _entries(shipped)} == before  # the override is not kept there


def test_an_edited_shipped_template_is_compiled_again(
    shipped: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    root = _repo(tmp_path / "repo")
    _cold(root)
    template = render.package_template_dir() / "client.html.j2"
    text = template.read_text("utf-8")
    template.write_text(text.replace("<header>", "<header><!-- a new sortext -->", 1), "utf-8")
    compiled = _compiles(monkeypatch)
    pages = _cold(root)
    assert compiled == ["client.html.j2"]
    clients = [v for k, v in pages.items() if k.startswith("site/clients/")]
    assert clients and all(b"<!-- a new sortext -->" in page for page in clients)


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # cut short
        lambda data: data[:-40] + bytes(40),  # zeroed tail
        lambda data: b"",  # empty
        lambda data: b"sortext-jinja 1\n" + bytes(32) + b"\x00" * 100,  # a wrong digest
        lambda data: bytes(reversed(data)),
    ],
)
def test_a_damaged_entry_is_compiled_again_never_an_error(
    shipped: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, damage: object
) -> None:
    root = _repo(tmp_path / "repo", 3)
    first = _cold(root)
    for entry in _entries(shipped):
        entry.write_bytes(damage(entry.read_bytes()))  # type: ignore[operator]
    compiled = _compiles(monkeypatch)
    assert _cold(root) == first
    assert compiled  # compiled again ...
    compiled.clear()
    assert _cold(root) == first
    assert compiled == []  # ... and written over: read the next time


def test_an_entry_whose_code_is_not_code_is_compiled_again(
    shipped: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A whole entry (digest right) holding something other than compiled code, as
    another writer could leave: never run."""
    import hashlib
    import marshal

    from jinja2.bccache import bc_magic

    root = _repo(tmp_path / "repo", 3)
    first = _cold(root)
    for entry in _entries(shipped):
        data = entry.read_bytes()
        head = len(b"sortext-jinja 1\n") + 32
        body = bc_magic + _jinja_checksum(data[head:]) + marshal.dumps(42)
        entry.write_bytes(b"sortext-jinja 1\n" + hashlib.sha256(body).digest() + body)
    compiled = _compiles(monkeypatch)
    assert _cold(root) == first
    assert compiled


def _jinja_checksum(body: bytes) -> bytes:
    """The pickled source checksum Jinja's bucket holds after its magic."""
    import io
    import pickle

    from jinja2.bccache import bc_magic

    stream = io.BytesIO(body[len(bc_magic) :])
    checksum = pickle.load(stream)
    return pickle.dumps(checksum, 2)


def test_another_environment_has_another_key(shipped: Path, tmp_path: Path) -> None:
    env = render.environment(tmp_path)
    key = render.shipped_cache_key(env)
    assert key == render.shipped_cache_key(render.environment(tmp_path))  # stable
    env.trim_blocks = False
    assert render.shipped_cache_key(env) != key
    other = render.environment(tmp_path)
    other.filters["extra"] = len
    assert render.shipped_cache_key(other) != key


def test_not_written_when_bytecode_is_not_written(
    shipped: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    root = _repo(tmp_path / "repo", 3)
    _cold(root)
    assert _entries(shipped) == []


def test_a_folder_that_cannot_be_written_is_no_error(
    shipped: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    monkeypatch.setattr(render, "SHIPPED_CACHE_ROOT", blocked)
    root = _repo(tmp_path / "repo", 3)
    first = _cold(root)
    monkeypatch.setattr(render, "SHIPPED_CACHE_ROOT", None)
    assert _cold(root) == first


def test_other_keys_are_forgotten_and_links_left(shipped: Path, tmp_path: Path) -> None:
    old = shipped / "jinja-0123456789abcdef01234567"
    old.mkdir(parents=True)
    (old / "x.cache").write_bytes(b"old")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("mine")
    (shipped / "jinja-link").symlink_to(outside)
    (shipped / "other.pyc").write_bytes(b"python's")
    root = _repo(tmp_path / "repo", 3)
    _cold(root)
    assert not old.exists()
    assert (outside / "keep.txt").read_text() == "mine" and (shipped / "jinja-link").is_symlink()
    assert (shipped / "other.pyc").exists()
    assert _entries(shipped)
