"""File names read from git: every listing with ``-z``, every id through the one slug rule.

Found: ``sync._history_hit`` read ``git log --name-only`` without ``-z``: git quotes a
name holding a non-ASCII character (``"clients/caf\\303\\251.md"`` unless
core.quotePath=false), a quote, a backslash or a newline, so the erased-email check
could not read the file and a client erased here came back on sync; ``sync``'s
changed-files check split names on spaces, ``_dirty`` and ``unmerged_paths`` read
quoted porcelain lines, ``erase`` listed tracked files without ``-z``; and ids were
taken from bare stems (``Path(name).name.split(".")[0]``) where the record reader
makes a slug of the stem.  Now every listing goes through :func:`sortext.vcs.git.listed`,
:func:`sortext.vcs.git.status_paths` or the ``-z`` log reader, and every id from a
file name through :func:`sortext.files.slug.implied_id`.
"""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.files.slug import implied_id, safe_stem
from sortext.record.tombstone import Tombstones
from sortext.vcs import erase, git, sync

_CHARS = st.sampled_from([*list("abcXYZ019 -_.'\"\\\n\t*?[]#é日ßÅ"), "\u202e", "\x01", "café"])
_PART = (
    st.lists(_CHARS, min_size=1, max_size=8)
    .map("".join)
    .filter(lambda s: s not in (".", "..") and not s.startswith(".") and "/" not in s)
)


def _repo(root: Path) -> Path:
    root.mkdir(parents=True)
    for args in (
        ["init", "--quiet", "--initial-branch=main"],
        ["config", "user.email", "t@sortext.invalid"],
        ["config", "user.name", "T"],
        ["commit", "--quiet", "--allow-empty", "-m", "start"],
    ):
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)
    return root


def _commit(root: Path) -> None:
    subprocess.run(["git", "add", "-A"], cwd=root, check=True, capture_output=True)
    subprocess.run(["git", "commit", "-q", "-m", "step"], cwd=root, check=True, capture_output=True)


def _record(email: str) -> bytes:
    return f"---\nname: Someone\nemail: {email}\nstage: active\n---\n\nNotes.\n".encode()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(folder=_PART, stems=st.lists(_PART, min_size=1, max_size=4, unique=True))
def test_every_listing_reads_the_names_as_they_are(
    tmp_path_factory: pytest.TempPathFactory, folder: str, stems: list[str]
) -> None:
    root = _repo(tmp_path_factory.mktemp("names") / "r")
    (root / folder).mkdir()
    paths = [f"{folder}/{stem}.md" for stem in stems]
    for n, path in enumerate(paths):
        (root / path).write_bytes(_record(f"person{n}@example.com"))
    _commit(root)
    assert sorted(git.listed(root, "ls-files")) == sorted(paths)
    assert sorted(git.listed(root, "ls-files", "--", folder)) == sorted(paths)
    assert sorted(git.listed(root, "diff", "--name-only", "HEAD~1", "HEAD")) == sorted(paths)
    # a changed file, as status lists it (sync and erase refuse to work over it)
    (root / paths[0]).write_bytes(_record("changed@example.com"))
    assert git.status_paths(root, "--untracked-files=no") == [paths[0]]
    assert sync._dirty(root) == [paths[0]] == erase._dirty(root)
    subprocess.run(["git", "checkout", "--", paths[0]], cwd=root, check=True)
    # the erased-email check: an erasure matched by the email inside any of the files
    stones = Tombstones()
    last = len(paths) - 1
    stones.add("someone-else", [f"person{last}@example.com"], dt.date(2026, 1, 1), "request")
    found = sync._history_hit(root, stones, "HEAD", "HEAD~1", folder + "/")
    assert found is not None and found[0] == paths[last]
    # and by the id the file name implies (as the record reader makes it)
    by_id = Tombstones()
    by_id.add(implied_id(paths[0]), ["nobody@example.com"], dt.date(2026, 1, 1), "request")
    hit = sync._history_hit(root, by_id, "HEAD", "HEAD~1", "")
    assert hit is not None and hit[0] == paths[0]


def test_an_erased_email_under_a_non_ascii_folder_is_found(tmp_path: Path) -> None:
    """The example: ``clientèle/café.md`` holds an erased client's email."""
    root = _repo(tmp_path / "r")
    (root / "clientèle").mkdir()
    (root / "clientèle" / "café.md").write_bytes(_record("ada@example.com"))
    _commit(root)
    stones = Tombstones()
    stones.add("ada", ["ada@example.com"], dt.date(2026, 1, 1), "request")
    found = sync._history_hit(root, stones, "HEAD", "HEAD~1", "clientèle/")
    assert found is not None and found[0] == "clientèle/café.md"


@given(name=_PART)
def test_implied_id_is_the_record_readers_id(name: str) -> None:
    """One rule: the id a file name implies is the reader's slug of its stem."""
    from sortext.check.load import stem_of

    assert implied_id(f"clients/{name}.md") == safe_stem(stem_of(f"clients/{name}.md"))
    assert implied_id(f"site/clients/{name}.html") == safe_stem(name)


def test_ids_named_from_files_on_disk_are_the_readers_ids(records_repo: Path) -> None:
    """A record file whose name is not a slug (``Ada Lovelace.md``): the "did you
    mean" list names the id the reader gives it, never the bare stem."""
    from sortext.edit.update import record_file
    from sortext.errors import RecordNotFound
    from sortext.repo import open_repository

    (records_repo / "clients" / "Ada Lovelace.md").write_bytes(_record("ada@example.com"))
    with pytest.raises(RecordNotFound) as caught:
        record_file(open_repository(records_repo), "ada-lovelace")
    assert implied_id("Ada Lovelace.md") in str(caught.value)
    assert "Ada Lovelace," not in str(caught.value) and "Ada Lovelace?" not in str(caught.value)
