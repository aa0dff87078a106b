"""Issue 13, item 11: the owned-field warning is shown wherever the user looks."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from tests.conftest import SAMPLE_TODAY, git
from tests.test_import import DATA, MAPS

AMARA = "clients/amara-okafor.md"
WARNING = "invoices[2].status: owned by billing"


def run(cli: Callable[..., Result], repo: Path, *args: str) -> Result:
    return cli(*args, "--repo", str(repo), env={"SORTEXT_TODAY": SAMPLE_TODAY})


@pytest.fixture
def hand_edited(cli: Callable[..., Result], records_repo: Path) -> Path:
    """Billing owns invoice status; the import supplied 'paid'; then a hand edit says 'sent'."""
    config = records_repo / "sortext.yaml"
    config.write_text(config.read_text() + "\nowned_fields:\n  invoices.*.status: billing\n")
    imported = run(
        cli,
        records_repo,
        "import",
        str(DATA / "billing-invoices.csv"),
        "--map",
        str(MAPS / "billing-invoices.yaml"),
        "--apply",
    )
    assert imported.exit_code == 0, imported.output
    path = records_repo / AMARA
    lines = path.read_text().split("\n")
    at = next(i for i, line in enumerate(lines) if "INV-2026-058" in line)
    assert "status: paid" in lines[at]
    lines[at] = lines[at].replace("status: paid", "status: sent")
    path.write_text("\n".join(lines))
    return records_repo


def test_check_file_shows_it(cli: Callable[..., Result], hand_edited: Path) -> None:
    result = run(cli, hand_edited, "check", str(hand_edited / AMARA))
    assert f"{AMARA}:33:45: warning: {WARNING}" in result.output
    other = run(cli, hand_edited, "check", str(hand_edited / "clients/bruno-castellanos.md"))
    assert "owned by billing" not in other.output


def test_pre_commit_check_shows_it(cli: Callable[..., Result], hand_edited: Path) -> None:
    git(hand_edited, "add", AMARA)
    result = run(cli, hand_edited, "check", "--staged")
    assert f"{AMARA}:33:45: warning: {WARNING}" in result.output
    assert result.exit_code == 0  # a warning: the commit goes ahead


def test_client_page_shows_it(cli: Callable[..., Result], hand_edited: Path) -> None:
    assert run(cli, hand_edited, "build").exit_code == 0
    page = (hand_edited / "site" / "clients" / "amara-okafor.html").read_text()
    assert "owned by billing" in page


def test_watcher_log_shows_it(hand_edited: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A real pipeline settles the save: it is committed, and the warning is in the log."""
    from sortext.daemon.events import Change
    from sortext.daemon.pipeline import Pipeline
    from sortext.daemon.renderer import PagesRenderer
    from sortext.repo import open_repository
    from sortext.vcs.commit import GitRepo
    from tests.test_parse_once import TODAY

    git(hand_edited, "add", "-A")
    git(hand_edited, "commit", "-qm", "import")
    pipeline = Pipeline(
        open_repository(hand_edited), GitRepo.open(hand_edited), PagesRenderer(), lambda: TODAY
    )
    pipeline.start()
    path = hand_edited / AMARA
    path.write_text(path.read_text().replace("+44 20 7946 0312", "+44 20 7946 0001"))
    with caplog.at_level(logging.WARNING, logger="sortext"):
        result = pipeline.settle([Change(path, "record")])
    assert result.commit is not None
    assert any(f"{AMARA}:33:45: warning: {WARNING}" in r.getMessage() for r in caplog.records)


def test_every_surface_agrees_on_any_hand_edit(hand_edited: Path) -> None:
    """For any value typed into an owned field, check FILE, the whole check, the staged
    check and the page all show the same warning (and none when the value is set back)."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from sortext.check.many import check_blobs, check_repository
    from sortext.check.owned import owned_for_page
    from sortext.record.diagnostics import Diagnostic
    from sortext.repo import open_repository

    repo = open_repository(hand_edited)
    path = hand_edited / AMARA
    original = path.read_text()

    def owned(diagnostics: list[Diagnostic]) -> list[tuple[int, str]]:
        return sorted((d.line, d.field) for d in diagnostics if "owned by billing" in d.message)

    @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.sampled_from(["sent", "paid", "overdue", "draft", "void"]))
    def check(status: str) -> None:
        text = original.replace("status: sent", f"status: {status}")
        path.write_text(text)
        one = owned(check_repository(repo, [path]).diagnostics)
        whole = owned([d for d in check_repository(repo).diagnostics if d.path == AMARA])
        staged = owned(check_blobs(repo, [(AMARA, text.encode())]).diagnostics)
        page = owned(owned_for_page(repo.config, "amara-okafor", AMARA))
        assert one == whole == staged == page
        assert bool(one) == (status != "paid")

    check()


def test_client_page_follows_its_source_file(cli: Callable[..., Result], hand_edited: Path) -> None:
    """Only ``sources/billing.json`` changes (billing now supplies what the record says):
    the next build re-renders that client's page, without the warning, and no other."""
    import json
    import shutil

    assert run(cli, hand_edited, "build").exit_code == 0
    page = hand_edited / "site" / "clients" / "amara-okafor.html"
    assert "owned by billing" in page.read_text()
    store = hand_edited / "sources" / "billing.json"
    text = store.read_text()
    data = json.loads(text)
    for entry in data["amara-okafor"]:
        if entry["value"] == "paid" and "INV-2026-058" in json.dumps(entry["path"]):
            entry["value"] = "sent"
    store.write_text(json.dumps(data, indent=2))
    assert store.read_text() != text
    result = run(cli, hand_edited, "build", "-v")
    assert result.exit_code == 0, result.output
    assert "owned by billing" not in page.read_text()
    assert "site/clients/bruno-castellanos.html" not in result.output
    # byte for byte what a build from nothing writes
    fresh = hand_edited.parent / "fresh"
    shutil.copytree(hand_edited, fresh, ignore=shutil.ignore_patterns(".sortext", "site"))
    assert run(cli, fresh, "build").exit_code == 0
    assert page.read_bytes() == (fresh / "site/clients/amara-okafor.html").read_bytes()
