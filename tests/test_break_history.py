"""Break-testing ``sortext history``'s patch replay (sortext.vcs.replay) and stage facts:
what a hostile or unlucky user's repository, config or file names did to the answer."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sortext.cli import main
from sortext.repo import open_repository
from sortext.vcs.history import client_history
from sortext.vcs.log import parse_log
from sortext.vcs.stagefacts import stage_facts
from sortext.vcs.versions import VersionParser, parse_version
from tests.conftest import PROJECT_ROOT, git
from tests.test_history_cache import reference_history


def _repo(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "sortext.yaml").write_bytes(
        (PROJECT_ROOT / "sortext/skeleton/sortext.yaml").read_bytes()
    )
    (root / "clients").mkdir()
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "config", "user.email", "t@sortext.invalid")
    git(root, "config", "user.name", "Zoë Ångström")
    return root


def _commit(root: Path, n: int, message: str = "step") -> None:
    when = f"2026-01-{n + 1:02d}T12:00:00+00:00"
    env = {**os.environ, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(
        ["git", "commit", "-q", "--allow-empty", "-m", message], cwd=root, check=True, env=env
    )


def _all_ways(root: Path, record_id: str, wanted: str | None = None) -> list[object]:
    """History from the patches, from whole versions and from the plain reference walk:
    all three must agree (returned once)."""
    repo = open_repository(root)
    fast = client_history(repo, record_id, wanted, use_cache=False)
    slow = client_history(repo, record_id, wanted, use_cache=False, replay=False)
    assert fast == slow
    assert slow == reference_history(repo, record_id, wanted)
    return list(fast)


# --- 1. user config that changes what 'git log' lists ---------------------------------------


def _two_stages(root: Path) -> None:
    record = root / "clients" / "ada.md"
    record.write_text("---\nname: Ada\nstage: inquiry\n---\n# Ada\n")
    _commit(root, 0, "créé")  # the root commit creates the record
    record.write_text("---\nname: Ada\nstage: active\n---\n# Ada\n")
    _commit(root, 1)


@pytest.mark.parametrize(
    "setting",
    [
        ("log.showRoot", "false"),  # the root commit's files were not listed
        ("i18n.logOutputEncoding", "ISO-8859-1"),  # names came back in Latin-1
    ],
)
def test_log_settings_in_user_config_do_not_change_history_or_stage_facts(
    tmp_path: Path, setting: tuple[str, str]
) -> None:
    plain = _repo(tmp_path / "plain")
    _two_stages(plain)
    configured = _repo(tmp_path / "configured")
    git(configured, "config", *setting)
    _two_stages(configured)
    expected = [(e.date, e.author, e.field, e.old, e.new, e.kind) for e in _all_ways(plain, "ada")]
    found = [(e.date, e.author, e.field, e.old, e.new, e.kind) for e in _all_ways(configured, "ada")]
    assert found == expected
    assert expected[0][1:] == ("Zoë Ångström", "record", None, "clients/ada.md", "created")
    assert ("stage", "inquiry", "active", "changed") in [e[2:] for e in expected]
    facts = stage_facts(open_repository(configured), use_cache=False)
    assert facts == stage_facts(open_repository(plain), use_cache=False)
    assert facts["ada"].stage_since == dt.date(2026, 1, 2)


def test_a_record_never_changed_since_the_root_commit_has_facts_whatever_log_show_root(
    tmp_path: Path,
) -> None:
    root = _repo(tmp_path / "r")
    git(root, "config", "log.showRoot", "false")
    (root / "clients" / "ada.md").write_text("---\nname: Ada\nstage: inquiry\n---\n")
    _commit(root, 0)
    (root / "clients" / "bob.md").write_text("---\nname: Bob\nstage: active\n---\n")
    _commit(root, 1)
    facts = stage_facts(open_repository(root), use_cache=False)
    assert (facts["ada"].stage, facts["ada"].stage_since) == ("inquiry", dt.date(2026, 1, 1))
    assert len(_all_ways(root, "ada")) == 1  # created
