"""``show`` of a record that never had a valid version points at ``check``, not at a
missing client: the file is there, its front matter is what is wrong."""

from __future__ import annotations

import shlex
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from tests.conftest import PROJECT_ROOT


@pytest.mark.parametrize(
    ("name", "record_id"),
    [("broken-one.md", "broken-one"), ("Ada Lovelace.md", "ada-lovelace-76740216")],
)
def test_show_of_a_never_valid_record_points_at_check(
    tmp_path: Path, cli: Callable[..., Result], name: str, record_id: str
) -> None:
    root = tmp_path / "records"
    (root / "clients").mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "sortext.yaml", root / "sortext.yaml")
    (root / "clients" / name).write_text("---\nname: [unclosed\n---\n", encoding="utf-8")
    result = cli("show", record_id, "--repo", str(root))
    path = f"clients/{name}"
    assert result.exit_code == 2
    assert f"{path} has errors and no valid version to show yet" in result.output
    assert f"run: sortext check {shlex.quote(path)}" in result.output
    missing = cli("show", "nobody", "--repo", str(root))
    assert missing.exit_code == 2 and "no client 'nobody'" in missing.output
