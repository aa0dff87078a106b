"""'sortext init' makes a working records repository; 'sortext schema' prints a
valid JSON Schema 2020-12 that includes the repository's stages and custom fields."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from tests.conftest import PROJECT_ROOT


def git_config(root: Path, key: str) -> str:
    return subprocess.run(
        ["git", "config", "--get", key], cwd=root, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_init_creates_a_repository(cli: Callable[..., Result], tmp_path: Path) -> None:
    root = tmp_path / "practice"
    result = cli("init", str(root))
    assert result.exit_code == 0, result.output
    for name in (
        "sortext.yaml",
        "clients",
        "templates/client.md.j2",
        ".gitignore",
        ".githooks/pre-commit",
        ".git",
    ):
        assert (root / name).exists(), name
        assert f"created {root / name}" in result.output or name == "clients"
    assert os.access(root / ".githooks" / "pre-commit", os.X_OK)
    assert git_config(root, "core.hooksPath") == ".githooks"
    assert git_config(root, "core.fsync") == "committed,index"
    assert git_config(root, "core.fsyncMethod") == "fsync"
    assert ".sortext/" in (root / ".gitignore").read_text(encoding="utf-8")
    check = cli("check", "--repo", str(root))
    assert (check.exit_code, check.output) == (0, "0 records checked: OK, no problems\n")


def test_init_is_idempotent_and_never_overwrites(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    root = tmp_path / "practice"
    assert cli("init", str(root)).exit_code == 0
    mine = "# my own settings\npeople: [ana]\n"
    (root / "sortext.yaml").write_text(mine, encoding="utf-8")
    (root / ".githooks" / "pre-commit").write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    subprocess.run(["git", "config", "core.hooksPath", "elsewhere"], cwd=root, check=True)
    again = cli("init", str(root))
    assert again.exit_code == 0
    assert "created" not in again.output
    assert (root / "sortext.yaml").read_text(encoding="utf-8") == mine
    assert (root / ".githooks" / "pre-commit").read_text(encoding="utf-8").endswith("exit 0\n")
    assert git_config(root, "core.hooksPath") == ".githooks"  # settings are re-applied


def test_init_inside_an_existing_git_repository(cli: Callable[..., Result], tmp_path: Path) -> None:
    root = tmp_path / "existing"
    root.mkdir()
    subprocess.run(["git", "init", "--quiet"], cwd=root, check=True)
    (root / "README").write_text("mine\n", encoding="utf-8")
    result = cli("init", str(root))
    assert result.exit_code == 0
    assert f"created {root / '.git'}\n" not in result.output
    assert (root / "README").read_text(encoding="utf-8") == "mine\n"


CUSTOM_CONFIG = """\
stages:
  - {name: lead}
  - {name: client}
  - {name: alumni, open: false}
people: [ana]
custom_fields:
  referral: {values: [web, friend]}
  nps: {type: integer, minimum: 0, maximum: 10}
  vip: {type: boolean}
  birthday: {type: date}
  website: {type: url}
  languages: {type: list}
  sessions.location: {type: string, description: where we met}
"""


def test_schema_is_valid_2020_12_with_custom_fields(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    from jsonschema import Draft202012Validator, FormatChecker

    (tmp_path / "sortext.yaml").write_text(CUSTOM_CONFIG, encoding="utf-8")
    (tmp_path / "clients").mkdir()
    result = cli("schema", "--repo", str(tmp_path))
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)
    props = schema["properties"]
    assert props["stage"]["enum"] == ["lead", "client", "alumni"]
    assert props["referral"] == {"enum": ["web", "friend"]}
    assert props["nps"] == {"type": "integer", "minimum": 0, "maximum": 10}
    assert props["vip"] == {"type": "boolean"}
    assert props["birthday"] == {"$ref": "#/$defs/date"}
    assert props["languages"]["type"] == "array"
    session = props["sessions"]["items"]["properties"]
    assert session["location"] == {"type": "string", "description": "where we met"}

    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    good = {
        "name": "Ana",
        "stage": "client",
        "referral": "web",
        "nps": 9,
        "vip": True,
        "birthday": "1990-01-31",
        "website": "https://example.org",
        "languages": ["pt"],
        "sessions": [{"date": "2026-01-01", "status": "held", "location": "Porto"}],
    }
    assert list(validator.iter_errors(good)) == []
    bad = dict(good, stage="inquiry", referral="radio", nps=11, website="example.org")
    bad["sessions"] = [{"date": "2026-01-01", "status": "held", "location": 3}]
    failing = sorted(".".join(map(str, e.absolute_path)) for e in validator.iter_errors(bad))
    assert failing == ["nps", "referral", "sessions.0.location", "stage", "website"]


def test_default_schema_matches_the_samples(cli: Callable[..., Result]) -> None:
    from jsonschema import Draft202012Validator

    result = cli("schema", "--repo", str(PROJECT_ROOT))
    schema = json.loads(result.output)
    Draft202012Validator.check_schema(schema)
    assert schema["properties"]["stage"]["enum"][0] == "inquiry"
    for key in (
        "id",
        "name",
        "email",
        "phone",
        "stage",
        "owner",
        "next_action",
        "blockers",
        "dates",
        "billing",
        "invoices",
        "goals",
        "measurements",
        "sessions",
        "consent",
        "links",
        "tags",
    ):
        assert key in schema["properties"], key
    assert schema["properties"]["next_action"]["required"] == ["what", "due"]


def test_the_backup_step_init_and_the_readme_print_works(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    """Both 'init's next steps and the README's "Your own practice" add a remote and
    run 'sortext backup': the remote they add is the one backup pushes to by default
    (they once added 'backup', and backup failed on the missing 'origin')."""
    import re

    root = tmp_path / "practice"
    result = cli("init", str(root))
    assert result.exit_code == 0, result.output
    printed = re.search(r"git remote add (\S+) URL", result.output)
    assert printed, result.output
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    own = readme.split("### Your own practice", 1)[1].split("\n### ", 1)[0]
    documented = re.findall(r"git remote add (\S+) \S+ && sortext backup", own)
    assert documented == [printed.group(1)], documented
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "--bare", "--quiet", str(bare)], check=True)
    subprocess.run(["git", "remote", "add", printed.group(1), str(bare)], cwd=root, check=True)
    backup = cli("backup", "--repo", str(root))
    assert backup.exit_code == 0, backup.output
    assert f"{printed.group(1)}: verified" in backup.output
