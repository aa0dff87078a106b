"""Issue 13, item 5: one client, one record (sync-tool conflict copies, duplicate emails)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import given
from hypothesis import strategies as st

from sortext.record.copies import conflict_copy, is_record_name
from tests.conftest import SAMPLE_TODAY, git
from tests.test_import import front

BRUNO = "bruno-castellanos"


def run(cli: Callable[..., Result], repo: Path, *args: str) -> Result:
    return cli(*args, "--repo", str(repo), env={"SORTEXT_TODAY": SAMPLE_TODAY})


COPIES = [
    ("Syncthing", f"{BRUNO}.sync-conflict-20261130-091244-ABCDEF1.md"),
    ("Dropbox or Nextcloud", f"{BRUNO} (Maya's conflicted copy 2026-11-30).md"),
    ("Dropbox or Nextcloud", f"{BRUNO} (conflicted copy 2026-11-30).md"),
    ("Dropbox or Nextcloud", f"{BRUNO} (conflicted copy 2026-11-30 091244).md"),
    ("ownCloud", f"{BRUNO}_conflict-20261130-091244.md"),
    ("Nextcloud", f"{BRUNO} (conflict 2026-11-30).md"),
    ("Google Drive", f"{BRUNO} (1).md"),
    ("iCloud Drive", f"{BRUNO} 2.md"),
    ("OneDrive", f"{BRUNO}-MAYA-LAPTOP.md"),
    ("Resilio Sync", f"{BRUNO}.Conflict.md"),
    ("Resilio Sync", f"{BRUNO}.md.Conflict"),
]


@pytest.mark.parametrize(("tool", "name"), COPIES)
def test_every_sync_tool_copy_is_recognised(tool: str, name: str) -> None:
    assert conflict_copy(name) == (name, f"{BRUNO}.md", tool)
    assert not is_record_name(name)


@pytest.mark.parametrize("name", [f"{BRUNO}.md", "ben-marsh-2.md", "studio-2026.md", "a.md"])
def test_records_are_not_copies(name: str) -> None:
    assert conflict_copy(name) is None
    assert is_record_name(name)


slugs = st.from_regex(r"\A[a-z0-9]{1,8}(-[a-z0-9]{1,8}){0,3}\Z")


@given(slugs, st.sampled_from([name for _, name in COPIES]))
def test_any_record_id_with_any_copy_pattern(slug: str, pattern: str) -> None:
    """Every id is a record name; every sync tool's copy of it is recognised as its copy."""
    assert is_record_name(f"{slug}.md") and conflict_copy(f"{slug}.md") is None
    name = pattern.replace(BRUNO, slug)
    found = conflict_copy(name)
    assert found is not None and found.original == f"{slug}.md"


@pytest.mark.parametrize("name", [n for _, n in COPIES if n.endswith(".md")])
def test_copy_is_reported_not_counted(
    cli: Callable[..., Result], records_repo: Path, name: str
) -> None:
    clients = records_repo / "clients"
    (clients / name).write_bytes((clients / f"{BRUNO}.md").read_bytes())
    checked = run(cli, records_repo, "check")
    assert f"conflict copy of {BRUNO}.md" in checked.output
    assert "sortext merge-copy" in checked.output
    assert "duplicate id" not in checked.output
    listed = run(cli, records_repo, "list")
    assert listed.output.count("Bruno Castellanos") == 1
    ics = run(cli, records_repo, "export", "ics")
    assert ics.output.count(f"UID:{BRUNO}-next-action@sortext") == 1
    assert not [line for line in ics.output.splitlines() if line.startswith("UID:") and " " in line]


def test_merge_copy_takes_both_devices_changes(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    clients = records_repo / "clients"
    record = clients / f"{BRUNO}.md"
    original = record.read_text()
    # this laptop moved the stage (and the watcher committed it)
    record.write_text(original.replace("stage: inquiry", "stage: discovery"))
    git(records_repo, "commit", "-qam", "stage")
    # the other device, starting from the original, changed the company
    copy = clients / f"{BRUNO}.sync-conflict-20261130-091244-ABCDEF1.md"
    copy.write_text(
        original.replace("company: Castellanos Ceramics", "company: Castellanos Studio")
    )
    merged = run(cli, records_repo, "merge-copy", str(copy))
    assert merged.exit_code == 0, merged.output
    assert not copy.exists()
    data = front(record)
    assert (data["stage"], data["company"]) == ("discovery", "Castellanos Studio")
    assert run(cli, records_repo, "check").exit_code == 0


def test_merge_copy_of_a_non_copy_is_refused(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    result = cli(
        "merge-copy", str(records_repo / "clients" / f"{BRUNO}.md"), "--repo", str(records_repo)
    )
    assert result.exit_code != 0
    assert "not a conflict copy" in result.output


def test_two_records_with_one_email_are_a_warning(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    clients = records_repo / "clients"
    text = (clients / f"{BRUNO}.md").read_text()
    (clients / "bruno-c.md").write_text(
        text.replace("bruno@castellanos-ceramics.example", "Bruno@Castellanos-Ceramics.example")
    )
    checked = run(cli, records_repo, "check")
    assert (
        f"clients/{BRUNO}.md:3:1: warning: email: bruno@castellanos-ceramics.example is also "
        "the email of clients/bruno-c.md"
    ) in checked.output


def test_new_notices_an_existing_email(cli: Callable[..., Result], records_repo: Path) -> None:
    result = run(
        cli, records_repo, "new", "B. Castellanos", "--email", "BRUNO@castellanos-ceramics.example"
    )
    assert result.exit_code != 0
    assert f"clients/{BRUNO}.md: Bruno Castellanos already has this email" in result.output
    assert not (records_repo / "clients" / "b-castellanos.md").exists()


@pytest.mark.parametrize(
    ("name", "wanted"),
    [("Зоя Орлова", "zoya-orlova"), ("王芳", "wangfang"), ("Ζωή Παππά", "zoi-pappa")],
)
def test_non_latin_names_get_transliterated_ids(
    cli: Callable[..., Result], records_repo: Path, name: str, wanted: str
) -> None:
    result = run(cli, records_repo, "new", name)
    assert result.exit_code == 0, result.output
    assert f"clients/{wanted}.md" in result.output
    assert front(records_repo / "clients" / f"{wanted}.md")["name"] == name


def test_new_with_id(cli: Callable[..., Result], records_repo: Path) -> None:
    made = run(cli, records_repo, "new", "Wang Fang", "--id", "fang-w")
    assert made.exit_code == 0 and "clients/fang-w.md" in made.output
    bad = run(cli, records_repo, "new", "Wang Fang", "--id", "Fang W", "--force")
    assert bad.exit_code != 0 and "lowercase letters" in bad.output
    taken = run(cli, records_repo, "new", "Other", "--id", "fang-w")
    assert taken.exit_code != 0 and "exists" in taken.output


@given(st.text(min_size=1, max_size=30))
def test_any_name_gives_a_valid_id(name: str) -> None:
    import re

    from sortext.files.slug import slugify

    slug = slugify(name)
    assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", slug)
    assert not slug.endswith("-")


def test_measure_and_log_refuse_exact_duplicates(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    amara = records_repo / "clients" / "amara-okafor.md"
    again = run(
        cli, records_repo, "measure", "amara-okafor", "deep-work", "9", "--on", "2026-10-27"
    )
    assert again.exit_code != 0 and "already recorded" in again.output
    other = run(
        cli, records_repo, "measure", "amara-okafor", "deep-work", "10", "--on", "2026-10-27"
    )
    assert other.exit_code == 0, other.output
    forced = run(
        cli,
        records_repo,
        "measure",
        "amara-okafor",
        "deep-work",
        "9",
        "--on",
        "2026-10-27",
        "--force",
    )
    assert forced.exit_code == 0, forced.output
    args = ("log", "amara-okafor", "--date", "2026-11-23", "--focus", "Partner hire")
    assert run(cli, records_repo, *args).exit_code == 0
    before = amara.read_bytes()
    twice = run(cli, records_repo, *args)
    assert twice.exit_code != 0 and "already logged" in twice.output
    assert amara.read_bytes() == before
    assert run(cli, records_repo, *args, "--force").exit_code == 0
    assert run(cli, records_repo, *args, "--kind", "review").exit_code == 0


def test_watcher_reports_a_conflict_copy_and_commits_nothing_for_it(
    records_repo: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    from sortext.daemon.events import Change, WatchedPaths
    from sortext.daemon.pipeline import Pipeline
    from sortext.daemon.renderer import PagesRenderer
    from sortext.repo import open_repository
    from sortext.vcs.commit import GitRepo
    from tests.test_parse_once import TODAY

    clients = records_repo / "clients"
    watched = WatchedPaths(
        records_repo, clients, (records_repo / "sortext.yaml",), records_repo / "templates"
    )
    copy = clients / f"{BRUNO} (conflicted copy 2026-11-30).md"
    assert watched.classify(copy) == "copy"
    pipeline = Pipeline(
        open_repository(records_repo), GitRepo.open(records_repo), PagesRenderer(), lambda: TODAY
    )
    pipeline.start()
    copy.write_bytes((clients / f"{BRUNO}.md").read_bytes())
    with caplog.at_level(logging.WARNING, logger="sortext"):
        result = pipeline.settle([Change(copy, "copy")])
    assert result.commit is None
    messages = [r.getMessage() for r in caplog.records]
    assert any(f"conflict copy of {BRUNO}.md" in m and "merge-copy" in m for m in messages)
    assert copy.name not in git(records_repo, "ls-files")


def test_check_of_a_copy_by_name_reports_it(cli: Callable[..., Result], records_repo: Path) -> None:
    clients = records_repo / "clients"
    copy = clients / f"{BRUNO} (1).md"
    copy.write_bytes((clients / f"{BRUNO}.md").read_bytes())
    result = run(cli, records_repo, "check", str(copy))
    assert result.exit_code == 0
    assert f"conflict copy of {BRUNO}.md left by Google Drive" in result.output


def test_merge_copy_with_a_real_conflict_leaves_markers_to_resolve(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    clients = records_repo / "clients"
    record = clients / f"{BRUNO}.md"
    original = record.read_text()
    record.write_text(original.replace("stage: inquiry", "stage: discovery"))
    git(records_repo, "commit", "-qam", "stage here")
    copy = clients / f"{BRUNO}-MAYA-LAPTOP.md"
    copy.write_text(original.replace("stage: inquiry", "stage: lost"))
    merged = run(cli, records_repo, "merge-copy", str(copy))
    assert merged.exit_code == 1
    assert "conflicts on stage" in merged.output
    assert not copy.exists()
    assert "stage: lost" in record.read_text()  # the copy's value waits inside the markers
    settled = run(cli, records_repo, "resolve", BRUNO, "stage", "--take", "theirs")
    assert settled.exit_code == 0, settled.output
    assert front(record)["stage"] == "lost"
