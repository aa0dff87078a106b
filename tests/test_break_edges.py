"""Break tests of the edges6 work (output encodings, git names, stage facts).

Found: ``--json`` on a stream that cannot encode every character (Latin-1, cp437,
cp1252) went through the terminal fit's ASCII stand-ins: a curly quote in a name
became a plain ``"`` inside a JSON string (``show --json`` and ``search --json``
printed invalid JSON), and an arrow or a sparkline block became ``->`` / ``_#``
(valid JSON, but no longer the record's text).  JSON output now escapes what the
stream cannot encode as JSON ``\\uXXXX`` escapes, which decode to the original.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SAMPLE_TODAY

AMARA = "clients/amara-okafor.md"
NAME = "\u201cAmara\u201d Okafor \u2026 \u2192 \u2581\u2588 e\u0301 \U0001f600 \\ back"


def _run(root: Path, encoding: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("SORTEXT_TODAY", "NO_COLOR")}
    env["PYTHONIOENCODING"] = encoding
    return subprocess.run(
        [sys.executable, "-m", "sortext", *args], cwd=root, env=env, capture_output=True
    )


def _decoded(out: bytes, encoding: str) -> str:
    codec = encoding.split(":")[0]
    return out.decode("utf-8" if codec == "ascii" else codec)


def _strings(value: object) -> set[str]:
    """Every string a JSON value holds (keys and values, at any depth)."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return {s for k, v in value.items() for s in _strings(k) | _strings(v)}
    if isinstance(value, list):
        return {s for v in value for s in _strings(v)}
    return set()


@pytest.mark.parametrize("encoding", ["latin-1", "cp437", "cp1252", "latin-1:strict"])
def test_json_on_a_narrow_stream_is_valid_and_carries_the_text(
    records_repo: Path, encoding: str
) -> None:
    from tests.conftest import git

    path = records_repo / AMARA
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("name: Amara Okafor", f"name: {json.dumps(NAME)}", 1), "utf-8")
    git(records_repo, "commit", "-qam", "renamed \u201cquoted\u201d")
    for args in (
        ["show", "amara-okafor", "--json", "--today", SAMPLE_TODAY],
        ["search", "Okafor", "--json"],
        ["history", "amara-okafor", "--json"],
        ["changes", "--since", "30d", "--json", "--today", SAMPLE_TODAY],
        ["list", "--json", "--today", SAMPLE_TODAY],
    ):
        for _ in range(2):  # the second may be a remembered reply
            done = _run(records_repo, encoding, *args)
            assert done.returncode == 0, (args, done.stderr)
            data = json.loads(_decoded(done.stdout, encoding))
            if args[0] != "changes":  # (changes names no client by name: valid is enough)
                assert NAME in _strings(data), (args, done.stdout[:400])


_JSON_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    value=st.recursive(
        st.none() | st.booleans() | st.integers() | _JSON_TEXT,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_JSON_TEXT, inner, max_size=4),
        max_leaves=12,
    ),
    encoding=st.sampled_from(["latin-1", "cp437", "cp1252", "ascii", "shift_jis", "utf-8"]),
    colour=st.booleans(),
)
def test_json_through_the_inert_stream_is_the_value(
    value: object, encoding: str, colour: bool
) -> None:
    """Any JSON value, dumped for the terminal and written through the inert stream on
    any encoding, is bytes in that encoding that decode to the same value."""
    import io

    from sortext.files.inert import InertStream, json_text

    raw = io.BytesIO()
    target = io.TextIOWrapper(raw, encoding=encoding, errors="strict", write_through=True)
    stream = InertStream(target, colour)
    stream.write(json_text(value, stream.encoding, indent=2) + "\n")
    target.flush()
    assert json.loads(raw.getvalue().decode(encoding)) == value


# -- a search word from a command line that is not UTF-8 -------------------------------
# Found: ``sortext search $'ab\xff'`` (a word typed on a Latin-1 terminal, or pasted
# bytes: Python reads the byte as the lone surrogate U+DCFF) ended in "internal error:
# UnicodeEncodeError" from SQLite.  Records are UTF-8 text: such a word matches nothing.


def test_search_for_bytes_that_are_not_utf8(records_repo: Path) -> None:
    for args in ([b"search", b"ab\xff"], [b"search", b"Okafor", b"\xe9t\xe9", b"--json"]):
        done = subprocess.run(
            [os.fsencode(sys.executable), b"-m", b"sortext", *args],
            cwd=records_repo,
            capture_output=True,
        )
        assert b"internal error" not in done.stderr and b"Traceback" not in done.stderr
        assert done.returncode == 1, done.stderr  # nothing matched
        if b"--json" in args:
            assert json.loads(done.stdout) == []


@pytest.fixture(scope="module")
def sample_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.conftest import sample_records

    return sample_records(tmp_path_factory.mktemp("search") / "records")


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(words=st.lists(st.text(st.characters(), max_size=8), min_size=1, max_size=3))
def test_any_search_words_give_hits_or_none(sample_repo: Path, words: list[str]) -> None:
    """Any words (all of Unicode, lone surrogates and NUL too): a list of hits, whose
    every word is UTF-8 text, never an exception."""
    from sortext.repo import open_repository
    from sortext.views.queries import search

    hits = search(open_repository(sample_repo), words)
    if any(not _utf8(w) for w in words):
        assert hits == []


def _utf8(word: str) -> bool:
    try:
        word.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# -- stage facts in a clients folder whose name git quotes and pads -------------------
# Found: with a clients folder named with a space and a quote or a backslash
# (``a \ b``, ``clients "old"``), ``show`` never said "in active since ...": git
# quotes such a name in a patch's ``+++`` line *and* adds its trailing tab (a name
# with a space), and the parser unquoted the tab and the closing quote into the name.

_FOLDER_CHARS = st.characters(
    codec="utf-8", exclude_characters="/\x00\n", exclude_categories=["Cs"]
)


def _stage_repo(root: Path, folder: str) -> None:
    import shutil

    from tests.conftest import PROJECT_ROOT, git

    root.mkdir()
    (root / folder).mkdir()
    shutil.copy(PROJECT_ROOT / AMARA, root / folder / "amara-okafor.md")
    config = (PROJECT_ROOT / "sortext.yaml").read_text(encoding="utf-8")
    config = config.replace(
        "clients_dir: clients", f"clients_dir: {json.dumps(folder, ensure_ascii=False)}", 1
    )
    (root / "sortext.yaml").write_text(config, encoding="utf-8")
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "config", "user.email", "test@sortext.invalid")
    git(root, "config", "user.name", "Test User")
    git(root, "add", "-A")
    git(root, "commit", "--quiet", "-m", "a client")


# No part ends in a space: clients_dir refuses those (Windows drops them), and
# what this test is about is git's quoting of backslashes, quotes and tabs.
@pytest.mark.parametrize("folder", ["a\\ b", 'clients "old"', 'kl\u00efents "q"\\ *:\t-x'])
def test_time_in_stage_in_a_folder_git_quotes(tmp_path: Path, folder: str) -> None:
    root = tmp_path / "records"
    _stage_repo(root, folder)
    done = _run(root, "utf-8", "show", "amara-okafor")
    assert done.returncode == 0, done.stderr
    assert b"in active since" in done.stdout.split(b"\n")[0], done.stdout[:300]


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    folder=st.builds(
        str.__add__,
        st.text(st.sampled_from(' "\\\t*:\u00e9a-'), min_size=1, max_size=8),
        st.text(_FOLDER_CHARS, max_size=4),
    )
)
def test_stage_facts_in_any_folder(tmp_path_factory: pytest.TempPathFactory, folder: str) -> None:
    """Any clients folder name a file system takes (real git): the client's stage and
    the day it was committed are known."""
    from sortext.repo import open_repository
    from sortext.vcs.stagefacts import stage_facts

    if folder.strip(". ") == "" or folder.startswith("-") or folder.startswith(".git"):
        return  # not a folder name sortext.yaml can hold as a clients folder
    root = tmp_path_factory.mktemp("folder") / "records"
    _stage_repo(root, folder)
    from sortext.errors import ConfigError

    try:
        repo = open_repository(root)
    except ConfigError:
        return  # a name sortext.yaml refuses, with a clear error (not this test's class)
    facts = stage_facts(repo, use_cache=False)
    assert facts["amara-okafor"].stage == "active", facts


# -- a clock kept by an older reader of git's history -----------------------------------
# Found with the folder fix above: the index keeps each HEAD's stage clock under
# "commit|configuration", so after sortext's reader of git's history was fixed, the
# answer the old reader gave (no stage since, for a folder 'a \ b') stayed in use until
# the next commit.  The key now holds the reader's version.


def test_a_clock_kept_by_an_older_reader_is_read_again(records_repo: Path) -> None:
    import sqlite3

    from sortext.store.clock import HEAD_KEY
    from tests.test_query_recall import _dated

    _dated(records_repo)  # Northwind in proposal since 2026-10-07
    first = _run(records_repo, "utf-8", "show", "northwind-bakery", "--today", SAMPLE_TODAY)
    assert b"in proposal for 47 days" in first.stdout, first.stdout[:300]
    index = records_repo / ".sortext" / "index.sqlite"
    with sqlite3.connect(index) as conn:
        (key,) = conn.execute("SELECT value FROM meta WHERE key = ?", (HEAD_KEY,)).fetchone()
        old_key = "|".join(key.split("|")[:2])  # as the reader before the version kept it
        conn.execute("UPDATE meta SET value = ? WHERE key = ?", (old_key, HEAD_KEY))
        conn.execute("UPDATE clock SET stage = 'proposal', since = '2020-01-01'")
    conn.close()
    again = _run(records_repo, "utf-8", "show", "northwind-bakery", "--today", "2026-11-24")
    assert b"in proposal for 48 days" in again.stdout, again.stdout[:300]


# -- a version that does not read, between two stages ------------------------------------
# Found: proposal (2026-10-01), then a version the record reader refuses (stage: !!str
# proposal, 2026-10-05), then active (2026-10-13): "in active for 49 days", dated by
# the commit that broke the record, which still said proposal to anyone reading it.
# A version that does not read has no say either way: the stage is active since the
# first version that reads and says so.


def _commit_at(root: Path, day: str, message: str) -> None:
    env_day = f"{day}T12:00:00"
    subprocess.run(
        ["git", "commit", "-qam", message],
        cwd=root,
        check=True,
        env={**os.environ, "GIT_AUTHOR_DATE": env_day, "GIT_COMMITTER_DATE": env_day},
    )


@pytest.mark.parametrize("broken", ["stage: !!str proposal", "stage: [proposal"])
def test_an_unreadable_version_between_two_stages(records_repo: Path, broken: str) -> None:
    from sortext.repo import open_repository
    from sortext.vcs.stagefacts import stage_facts
    from tests.test_query_recall import _dated

    root = _dated(records_repo)  # Northwind in proposal since 2026-10-07
    path = root / "clients" / "northwind-bakery.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("stage: proposal", broken, 1), encoding="utf-8")
    _commit_at(root, "2026-10-09", "broken")
    path.write_text(text.replace("stage: proposal", "stage: discovery", 1), encoding="utf-8")
    _commit_at(root, "2026-10-13", "back to discovery")
    facts = stage_facts(open_repository(root), use_cache=False)["northwind-bakery"]
    assert (facts.stage, str(facts.stage_since)) == ("discovery", "2026-10-13")
    # and back to the stage it had before the broken version: no change since then
    path.write_text(text, encoding="utf-8")
    _commit_at(root, "2026-10-15", "proposal again")
    facts = stage_facts(open_repository(root), use_cache=False)["northwind-bakery"]
    assert (facts.stage, str(facts.stage_since)) == ("proposal", "2026-10-15")


# -- an export to a narrow standard output --------------------------------------------
# Found: ``sortext export json`` on a Latin-1 stdout printed a curly quote's stand-in
# (a bare ") inside a JSON string, and ``export csv`` inside a quoted cell: an export
# is a file format; what the stream cannot encode is escaped, never a stand-in.


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252"])
def test_an_export_to_a_narrow_stdout_keeps_its_format(records_repo: Path, encoding: str) -> None:
    import csv
    import io

    path = records_repo / AMARA
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("name: Amara Okafor", f"name: {json.dumps(NAME)}", 1), "utf-8")
    done = _run(records_repo, encoding, "export", "json")
    assert done.returncode == 0, done.stderr
    assert NAME in _strings(json.loads(done.stdout.decode(encoding)))
    done = _run(records_repo, encoding, "export", "csv")
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(io.StringIO(done.stdout.decode(encoding), newline="")))
    assert len({len(row) for row in rows}) == 1, rows[:3]  # every row as wide as the header
    assert any("Amara" in cell and "Okafor" in cell for row in rows for cell in row)
