"""``privacy: {pages: consented}``: NEXT.md, site/, the dashboard and the per-owner
pages are built only from records whose consent allows it, through the incremental
build, so a consent change re-renders (or removes) what it must."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SAMPLE_TODAY

CLIENT = "clients/amara-okafor.md"
TODAY = dt.date.fromisoformat(SAMPLE_TODAY)
# What identifies Amara on a page: her id, name and email.
TRACES = ("amara-okafor", "Amara", "Okafor", "amara.okafor@example.com")


def set_consent(root: Path, data_use: str) -> None:
    """Replace the consent block: ``data_use: <data_use>``, or no data_use ("absent")."""
    path = root / CLIENT
    text = path.read_text("utf-8")
    line = "  contact: email\n" if data_use == "absent" else f"  data_use: {data_use}\n"
    new, count = re.subn(r"consent:\n(  .*\n)+", f"consent:\n{line}", text, count=1)
    assert count == 1
    path.write_text(new, "utf-8")


def add_config(root: Path, text: str) -> None:
    config = root / "sortext.yaml"
    config.write_text(config.read_text("utf-8") + "\n" + text, "utf-8")


def pages(root: Path) -> dict[str, str]:
    """Every page the build wrote: NEXT.md and everything under site/."""
    found = {"NEXT.md": (root / "NEXT.md").read_text("utf-8")}
    for path in sorted((root / "site").rglob("*")):
        if path.is_file():
            found[path.relative_to(root).as_posix()] = path.read_text("utf-8", "replace")
    return found


def leaks(root: Path) -> list[str]:
    return [f"{rel}: {t}" for rel, text in pages(root).items() for t in TRACES if t in text]


def build(root: Path, changed: list[Path] | None = None) -> list[str]:
    from sortext.pages.build import build as run
    from sortext.repo import open_repository

    result = run(open_repository(root), TODAY, changed)
    return result.removed


def test_withdrawn_consent_keeps_the_client_off_every_page(records_repo: Path) -> None:
    add_config(records_repo, "privacy: {pages: consented}\n")
    build(records_repo)
    assert (records_repo / "site/clients/amara-okafor.html").exists()
    assert "Amara" in (records_repo / "NEXT.md").read_text("utf-8")
    assert any("Amara" in text for rel, text in pages(records_repo).items() if "owners/" in rel)
    # Consent withdrawn: the watcher's incremental build (only that file changed)
    set_consent(records_repo, "false")
    removed = build(records_repo, [records_repo / CLIENT])
    assert "site/clients/amara-okafor.html" in removed
    assert not (records_repo / "site/clients/amara-okafor.html").exists()
    assert leaks(records_repo) == []
    assert "Bruno" in (records_repo / "NEXT.md").read_text("utf-8")  # the others stay
    # A full rebuild keeps it so, and does not redo the withheld record's page each time
    build(records_repo)
    assert leaks(records_repo) == []
    # Consent given again: the page and the summaries come back
    set_consent(records_repo, "true")
    build(records_repo, [records_repo / CLIENT])
    assert (records_repo / "site/clients/amara-okafor.html").exists()
    assert "Amara" in (records_repo / "NEXT.md").read_text("utf-8")


def test_the_setting_itself_re_renders_the_pages(records_repo: Path) -> None:
    set_consent(records_repo, "false")
    build(records_repo)
    assert (records_repo / "site/clients/amara-okafor.html").exists()  # default: all
    add_config(records_repo, "privacy: {pages: consented}\n")
    build(records_repo)
    assert leaks(records_repo) == []
    config = records_repo / "sortext.yaml"
    config.write_text(config.read_text("utf-8").replace("pages: consented", "pages: all"))
    build(records_repo)
    assert (records_repo / "site/clients/amara-okafor.html").exists()


def test_an_unknown_pages_setting_is_a_config_error(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    add_config(records_repo, "privacy: {pages: some}\n")
    result = cli("check", "--repo", str(records_repo))
    assert result.exit_code == 2 and "privacy.pages" in result.output


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    steps=st.lists(st.sampled_from(["true", "false", "absent", "broken"]), min_size=1, max_size=4)
)
def test_any_sequence_of_consent_changes(records_repo: Path, steps: list[str]) -> None:
    """Whatever order consent changes in, a file breaking between them included,
    incremental builds agree with a cold one: the client is on the pages (its last
    valid version, while the file has errors) exactly when that version's consent
    allows it, and nowhere at all, not even in the error lists, when it does not."""
    config = (records_repo / "sortext.yaml").read_text("utf-8")
    if "pages: consented" not in config:
        add_config(records_repo, "privacy: {pages: consented}\n")
    path = records_repo / CLIENT  # each example starts valid, consenting
    path.write_text(path.read_text("utf-8").replace("stage: [", "stage:", 1), "utf-8")
    set_consent(records_repo, "true")
    valid = "true"
    build(records_repo)  # the watcher starts with a full build
    for step in steps:
        if step == "broken":
            text = path.read_text("utf-8")
            if "stage: [" not in text:
                path.write_text(text.replace("stage:", "stage: [", 1), "utf-8")
        else:
            path.write_text(path.read_text("utf-8").replace("stage: [", "stage:", 1), "utf-8")
            set_consent(records_repo, step)
            valid = step
        build(records_repo, [path])
        shown = (records_repo / "site/clients/amara-okafor.html").exists()
        assert shown == (valid != "false")
        assert (leaks(records_repo) == []) == (valid == "false")
    if "stage: [" in path.read_text("utf-8"):
        return  # a cold build has no last valid version to show: nothing to compare
    incremental = pages(records_repo)
    shutil.rmtree(records_repo / ".sortext", ignore_errors=True)
    shutil.rmtree(records_repo / "site")
    build(records_repo)
    assert pages(records_repo) == incremental


def test_the_index_knows_which_records_are_withheld(records_repo: Path) -> None:
    """The pages find withheld records from a flag stored with each record (the record's
    JSON is stored compressed, so SQLite's JSON functions cannot read it), kept through
    an invalid save (the stale record keeps its last valid flag) and cleared with
    consent given again."""
    from sortext.repo import open_repository
    from sortext.store.index import Index

    def withheld() -> tuple[set[str], set[str]]:
        with Index.open(open_repository(records_repo)) as index:
            index.refresh()
            return index.withheld()

    assert withheld() == (set(), set())
    set_consent(records_repo, "false")
    assert withheld() == ({CLIENT}, {"amara-okafor"})
    path = records_repo / CLIENT
    valid = path.read_text("utf-8")
    path.write_text(valid.replace("stage:", "stage: [", 1), "utf-8")
    assert withheld() == ({CLIENT}, {"amara-okafor"})  # stale: the last valid version
    path.write_text(valid, "utf-8")
    set_consent(records_repo, "true")
    assert withheld() == (set(), set())


def test_a_withheld_client_whose_file_breaks_stays_off_the_error_lists(
    records_repo: Path,
) -> None:
    """A withheld record that later fails its checks keeps its last valid version in
    the index; the pages' "records with errors" lists must not name it (its file name
    is the client's id), as they did while the index kept the front matter compressed
    and the withheld test read it as JSON."""
    add_config(records_repo, "privacy: {pages: consented}\n")
    set_consent(records_repo, "false")
    build(records_repo)
    assert leaks(records_repo) == []
    path = records_repo / CLIENT
    path.write_text(path.read_text("utf-8").replace("stage:", "stage: [", 1), "utf-8")
    build(records_repo, [path])
    assert leaks(records_repo) == []
    build(records_repo)  # a full build agrees
    assert leaks(records_repo) == []


@pytest.mark.parametrize("workers", [1, 2])
def test_a_page_removed_in_a_forked_parse_is_reported_removed(
    records_repo: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    """A rebuild that parses every record (the index gone, or a layout or config change)
    in forked workers removes a withheld client's page there, and the build reports it
    removed, as when one process parses: the watcher publishes what the build reports
    written or removed, so a page only deleted on disk would stay on ``sortext-pages``."""
    import os

    import sortext.store.index as index_module

    add_config(records_repo, "privacy: {pages: consented}\n")
    build(records_repo)
    assert (records_repo / "site/clients/amara-okafor.html").exists()
    set_consent(records_repo, "false")
    shutil.rmtree(records_repo / ".sortext")  # every record parsed again
    monkeypatch.setattr(index_module, "PARALLEL_THRESHOLD", 2)
    monkeypatch.setattr(os, "cpu_count", lambda: workers)
    removed = build(records_repo)
    assert not (records_repo / "site/clients/amara-okafor.html").exists()
    assert removed == ["site/clients/amara-okafor.html"]
    assert leaks(records_repo) == []
