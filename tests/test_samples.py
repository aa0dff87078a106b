"""The shipped sample clients are valid: the tool runs clean out of the box."""

from __future__ import annotations

from collections.abc import Callable

from click.testing import Result

from tests.conftest import PROJECT_ROOT


def test_sample_clients_check_clean(cli: Callable[..., Result]) -> None:
    result = cli("check", "--repo", str(PROJECT_ROOT), "--json")
    assert result.exit_code == 0, result.output
    errors = [d for d in __import__("json").loads(result.output) if d["severity"] == "error"]
    assert errors == []


def test_samples_cover_every_stage() -> None:
    from sortext.repo import open_repository

    repo = open_repository(PROJECT_ROOT)
    import yaml_rs

    stages = set()
    for path in repo.record_paths():
        front = path.read_text(encoding="utf-8").split("---\n")[1]
        data = yaml_rs.loads(front)
        assert isinstance(data, dict), path
        stages.add(data["stage"])
    assert stages == set(repo.config.stage_names)
