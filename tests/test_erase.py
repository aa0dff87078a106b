"""sortext erase: a client gone from the files, every branch and tag, and every object."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from sortext.record import tombstone
from sortext.repo import open_repository
from sortext.vcs import git as gitlayer
from sortext.vcs.erase import plan_erase, verify_repository
from tests.conftest import git

CLIENT = "clients/amara-okafor.md"
VALUES = [b"amara-okafor", b"Amara Okafor", b"amara.okafor@example.com", b"+44 20 7946 0312"]


def grow_history(root: Path) -> None:
    """Edits, an old email, a pages branch naming the client, a tag, a stash-free tree."""
    path = root / CLIENT
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("amara.okafor@example.com", "a.okafor@old.example"), "utf-8")
    git(root, "commit", "--quiet", "-am", "Amara Okafor: old email")
    path.write_text(text, encoding="utf-8")
    git(root, "commit", "--quiet", "-am", "update amara-okafor email")
    git(root, "tag", "v1")
    git(root, "switch", "--quiet", "-c", "sortext-pages")
    (root / "site").mkdir()
    (root / "site" / "amara-okafor.html").write_text("<h1>Amara Okafor</h1>", "utf-8")
    (root / "site" / "index.html").write_text(
        "<a href='amara-okafor.html'>Amara Okafor</a> <a>Bruno Castellanos</a>", "utf-8"
    )
    git(root, "add", "-f", "site")  # git-ignored in the records branch (issue 11)
    git(root, "commit", "--quiet", "-m", "pages")
    git(root, "switch", "--quiet", "main")
    other = root / "clients" / "bruno-castellanos.md"
    other.write_text(
        other.read_text("utf-8") + "\nReferred by Amara Okafor (amara-okafor).\n", "utf-8"
    )
    git(root, "commit", "--quiet", "-am", "referral note")


def object_hits(root: Path, needles: list[bytes]) -> list[str]:
    hits = []
    for oid, _kind, data in gitlayer.all_objects(root):
        hits += [f"{oid}:{n!r}" for n in needles if n.lower() in data.lower()]
    return hits


def test_erase_rewrites_every_branch_tag_and_object(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    grow_history(records_repo)
    assert object_hits(records_repo, VALUES)  # the test can fail
    plan = plan_erase(open_repository(records_repo), "amara-okafor")
    assert {v.text for v in plan.values} >= {"a.okafor@old.example", "Amara Okafor"}
    assert "site/amara-okafor.html" in plan.paths
    result = cli("erase", "amara-okafor", "--repo", str(records_repo), input="n\n")
    assert result.exit_code == 2 and (records_repo / CLIENT).exists()
    result = cli("erase", "amara-okafor", "--yes", "--repo", str(records_repo))
    assert result.exit_code == 0, result.output
    assert "clean" in result.output and "objects" in result.output
    assert not (records_repo / CLIENT).exists()
    assert object_hits(records_repo, [*VALUES, b"a.okafor@old.example"]) == []
    # the other client kept, with the reference replaced
    bruno = (records_repo / "clients" / "bruno-castellanos.md").read_text("utf-8")
    assert "(erased)" in bruno and "Bruno Castellanos" in bruno
    # every branch and the tag survive, rewritten
    refs = git(records_repo, "for-each-ref", "--format=%(refname)").split()
    assert {"refs/heads/main", "refs/heads/sortext-pages", "refs/tags/v1"} <= set(refs)
    pages = git(records_repo, "show", "sortext-pages:site/index.html")
    assert "Bruno Castellanos" in pages and "Amara" not in pages
    log = git(records_repo, "log", "--all", "--format=%B")
    assert "Amara" not in log and "amara-okafor" not in log
    stones = tombstone.load(records_repo)
    assert stones.match("amara-okafor") is not None
    assert stones.match("x", "A.Okafor@old.example") is not None
    assert not re.search(r"amara|okafor", (records_repo / "erased.yaml").read_text(), re.I)
    assert cli("check", "--repo", str(records_repo)).exit_code in (0, 1)


def test_verify_finds_a_value_left_in_an_unreachable_object(records_repo: Path) -> None:
    from sortext.vcs.erase import Value

    blob = gitlayer.run(records_repo, "hash-object", "-w", "--stdin", input=b"call Zora Quill")
    assert blob
    found = verify_repository(records_repo, [Value("name", "Zora Quill")], "local")
    assert found.objects > 0 and len(found.found) == 1 and not found.clean


def test_erase_output_shows_the_plan(records_repo: Path, cli: Callable[..., Result]) -> None:
    grow_history(records_repo)
    result = cli("erase", "amara-okafor", "--yes", "--repo", str(records_repo))
    print(result.output)
    assert "refs/heads/sortext-pages" in result.output
    assert "site/amara-okafor.html" in result.output
    assert "Amara" not in result.output  # the plan names fields, not values


def test_erase_refuses_a_bad_id_and_an_unknown_client(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    bad = cli("erase", "../sortext", "--yes", "--repo", str(records_repo))
    assert bad.exit_code == 2 and "not a client id" in bad.output
    missing = cli("erase", "nobody-here", "--yes", "--repo", str(records_repo))
    assert missing.exit_code == 2 and "no client 'nobody-here'" in missing.output


def test_an_erased_client_is_refused_by_check_and_the_commit_hook(
    records_repo: Path, cli: Callable[..., Result], tmp_path: Path
) -> None:
    old = (records_repo / CLIENT).read_bytes()
    assert cli("erase", "amara-okafor", "--yes", "--repo", str(records_repo)).exit_code == 0
    (records_repo / CLIENT).write_bytes(old)  # brought back from an old copy
    result = cli("check", "--repo", str(records_repo))
    assert result.exit_code == 1
    assert "erased client: this client was erased on" in result.output
    assert "erased.yaml" in result.output
    # same person under another file name: caught by the email
    (records_repo / CLIENT).unlink()
    (records_repo / "clients" / "amara-o.md").write_bytes(old)
    assert "was erased" in cli("check", "--repo", str(records_repo)).output


def test_import_and_intake_refuse_an_erased_client(
    records_repo: Path, cli: Callable[..., Result], tmp_path: Path
) -> None:
    from tests.test_import import DATA, MAPS, write_sheet

    assert cli("erase", "amara-okafor", "--yes", "--repo", str(records_repo)).exit_code == 0
    env = {"SORTEXT_TODAY": "2026-11-23"}
    intake = cli(
        "intake",
        str(DATA / "google-forms.csv"),
        "--map",
        str(MAPS / "google-forms.yaml"),
        "--repo",
        str(records_repo),
        env=env,
    )
    assert "was erased on" in intake.output, intake.output
    assert (records_repo / "clients" / "priya-raman.md").exists()  # the others come in
    sheet = tmp_path / "sheet.csv"
    write_sheet(sheet, 3)
    imported = cli(
        "import",
        str(sheet),
        "--map",
        str(MAPS / "spreadsheet.yaml"),
        "--apply",
        "--repo",
        str(records_repo),
        env=env,
    )
    assert "was erased on" in imported.output, imported.output
    assert not any((records_repo / "clients").glob("amara-okafor*.md"))


def test_anonymise_keeps_outcomes_and_erases_identity(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    from sortext.api import open as open_api  # noqa: F401  (the public API still loads)

    grow_history(records_repo)
    result = cli("anonymise", "amara-okafor", "--yes", "--repo", str(records_repo))
    assert result.exit_code == 0, result.output
    new = re.search(r"anonymised record: (clients/anon-[0-9a-f]{6}\.md)", result.output)
    assert new, result.output
    text = (records_repo / new.group(1)).read_text("utf-8")
    assert "amount: 840" in text and "value: 9" in text and "score: 8" in text
    assert "Delegate" in text or "deep-work" in text  # goals kept
    assert "Founder" not in text and "site visit" not in text  # notes gone
    assert "focus:" not in text and "contact: none" in text
    assert object_hits(records_repo, [*VALUES, b"a.okafor@old.example"]) == []
    assert "anonymised" in (records_repo / "erased.yaml").read_text()
    check = cli("check", "--repo", str(records_repo), str(records_repo / new.group(1)))
    assert " 0 errors" in check.output, check.output


def _derived_texts(root: Path) -> list[tuple[str, bytes]]:
    """Every derived file's bytes, with each SQLite value read out and each stored blob
    decompressed (the index keeps records zlib-compressed, where a byte search of the
    file cannot see a name)."""
    import contextlib
    import sqlite3
    import zlib

    from sortext.store.index import _unpack

    found: list[tuple[str, bytes]] = []
    files = [root / "NEXT.md", *root.glob("site/**/*"), *root.glob(".sortext/**/*")]
    for path in files:
        if not path.is_file():
            continue
        raw = path.read_bytes()
        found.append((str(path), raw))
        if not raw.startswith(b"SQLite format 3"):
            continue
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = [
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            ]
            for table in tables:
                for row in conn.execute(f'SELECT * FROM "{table}"'):
                    for value in row:
                        if isinstance(value, str):
                            found.append((f"{path}:{table}", value.encode()))
                        elif isinstance(value, bytes):
                            found.append((f"{path}:{table}", value))
                            for unpack in (_unpack, lambda b: zlib.decompress(b).decode()):
                                with contextlib.suppress(
                                    zlib.error, UnicodeDecodeError, ValueError
                                ):
                                    found.append((f"{path}:{table}", unpack(value).encode()))
        finally:
            conn.close()
    return found


def test_erase_removes_the_index_and_rebuilds_generated_pages(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    assert cli("build", "--today", "2026-11-23", "--repo", str(records_repo)).exit_code == 0
    assert (records_repo / ".sortext").is_dir()
    assert b"Amara Okafor" in (records_repo / "NEXT.md").read_bytes()
    # the search below can see the client where the index keeps them (compressed)
    stored = [where for where, data in _derived_texts(records_repo) if b"Amara" in data]
    assert any(".sortext" in where and "index.sqlite:" in where for where in stored), stored
    result = cli("erase", "amara-okafor", "--yes", "--repo", str(records_repo))
    assert result.exit_code == 0, result.output
    assert "removed .sortext/" in result.output
    assert not list(records_repo.glob("site/**/amara-okafor.html"))
    assert cli("list", "--repo", str(records_repo)).exit_code == 0  # an index again
    for where, data in _derived_texts(records_repo):
        assert b"Amara" not in data and b"amara-okafor" not in data, where


def test_erase_reports_a_copy_outside_git(records_repo: Path, cli: Callable[..., Result]) -> None:
    (records_repo / "scratch.txt").write_text("call Amara Okafor back\n", "utf-8")
    result = cli("erase", "amara-okafor", "--yes", "--repo", str(records_repo))
    assert result.exit_code == 1
    assert "STILL FOUND outside git (delete or edit it): scratch.txt: name" in result.output


def test_merge_driver_refuses_an_erased_clients_file(
    records_repo: Path, cli: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = (records_repo / CLIENT).read_bytes()
    assert cli("erase", "amara-okafor", "--yes", "--repo", str(records_repo)).exit_code == 0
    base, ours, theirs = (tmp_path / n for n in ("base", "ours", "theirs"))
    base.write_bytes(old)
    ours.write_bytes(old)
    theirs.write_bytes(old.replace(b"stage: active", b"stage: review"))
    monkeypatch.chdir(records_repo)  # git runs the driver at the top of the work tree
    result = cli("merge-driver", str(base), str(ours), str(theirs), CLIENT)
    assert result.exit_code == 1
    assert f"sortext: {CLIENT}: not merged: this client was erased on" in result.output
    assert ours.read_bytes() == old


def test_commit_hook_check_refuses_a_staged_erased_client(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    old = (records_repo / CLIENT).read_bytes()
    assert cli("erase", "amara-okafor", "--yes", "--repo", str(records_repo)).exit_code == 0
    (records_repo / CLIENT).write_bytes(old)
    git(records_repo, "add", CLIENT)
    result = cli("check", "--staged", "--repo", str(records_repo))
    assert result.exit_code == 1 and "this client was erased on" in result.output


def test_erase_refuses_with_uncommitted_changes_or_a_stash(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    path = records_repo / CLIENT
    path.write_text(path.read_text("utf-8") + "\nmore\n", "utf-8")
    dirty = cli("erase", "amara-okafor", "--yes", "--repo", str(records_repo))
    assert dirty.exit_code == 2 and "uncommitted changes" in dirty.output
    git(records_repo, "stash", "--quiet")
    stashed = cli("erase", "amara-okafor", "--yes", "--repo", str(records_repo))
    assert stashed.exit_code == 2 and "git stash" in stashed.output
    assert path.exists() and git(records_repo, "stash", "list")


def test_a_reference_to_the_client_in_another_record_stays_valid(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    other = records_repo / "clients" / "bruno-castellanos.md"
    text = other.read_text("utf-8")
    new = text.replace("company: Castellanos Ceramics", "company: Amara Okafor", 1)
    assert new != text
    other.write_text(new, "utf-8")
    git(records_repo, "commit", "--quiet", "-am", "company")
    before = cli("check", "--repo", str(records_repo), str(other)).output
    assert cli("erase", "amara-okafor", "--yes", "--repo", str(records_repo)).exit_code == 0
    assert "company: (erased)" in other.read_text("utf-8")
    assert cli("check", "--repo", str(records_repo), str(other)).output == before


def test_new_refuses_to_recreate_an_erased_client(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    assert cli("erase", "amara-okafor", "--yes", "--repo", str(records_repo)).exit_code == 0
    again = cli("new", "Amara Okafor", "--repo", str(records_repo))
    assert again.exit_code == 2 and "was erased on" in again.output, again.output
    assert not (records_repo / CLIENT).exists()
