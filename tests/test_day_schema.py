"""Issue 16: times and durations on sessions and next actions, calendar UIDs,
prepaid packages and the practice's time zone are part of the shipped schema."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import Result
from hypothesis import given, settings
from hypothesis import strategies as st


def _write(root: Path, name: str, front: str) -> None:
    (root / "clients" / f"{name}.md").write_text(f"---\n{front}---\n", encoding="utf-8")


def test_times_minutes_uid_and_package_are_valid(
    cli: Callable[..., Result], empty_repo: Path
) -> None:
    _write(
        empty_repo,
        "ada",
        "name: Ada\nstage: inquiry\n"
        'next_action: {what: Call, due: 2026-11-24, time: "09:15", minutes: 20}\n'
        "billing: {plan: Coaching, package: {sessions: 12, started: 2026-09-01}}\n"
        'sessions:\n  - {date: 2026-11-24, time: "14:30", minutes: 50, status: scheduled,'
        " uid: abc@example.invalid}\n",
    )
    result = cli("check", "--repo", str(empty_repo))
    assert result.exit_code == 0, result.output


def test_a_bad_time_is_reported_with_its_position(
    cli: Callable[..., Result], empty_repo: Path
) -> None:
    _write(
        empty_repo,
        "ada",
        "name: Ada\nstage: inquiry\nnext_action: {what: Call, due: 2026-11-24}\n"
        'sessions:\n  - {date: 2026-11-24, time: "25:10", status: held}\n',
    )
    result = cli("check", "--repo", str(empty_repo))
    assert result.exit_code == 1
    assert "ada.md:6:30:" in result.output and "sessions[0].time" in result.output
    assert 'is not a time: write it as "HH:MM"' in result.output


def test_unknown_time_zone_is_a_config_error(cli: Callable[..., Result], empty_repo: Path) -> None:
    cfg = empty_repo / "sortext.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8") + "timezone: Mars/Olympus\n", encoding="utf-8")
    result = cli("check", "--repo", str(empty_repo))
    assert result.exit_code != 0
    assert "timezone" in result.output and "Mars/Olympus" in result.output
    assert "Traceback" not in result.output


def test_known_time_zone_is_read(empty_repo: Path) -> None:
    from sortext.schema.config import load_config

    cfg = empty_repo / "sortext.yaml"
    cfg.write_text(cfg.read_text(encoding="utf-8") + "timezone: Europe/Berlin\n", encoding="utf-8")
    assert load_config(empty_repo).timezone == "Europe/Berlin"


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 99), st.integers(0, 99))
def test_time_pattern_accepts_exactly_the_clock_times(hour: int, minute: int) -> None:
    """Property: HH:MM is valid iff it is a 24-hour clock time (the class of time inputs)."""
    import json
    from importlib.resources import files

    import jsonschema

    schema = json.loads((files("sortext.schema") / "record.schema.json").read_text())
    pattern = schema["$defs"]["time"]
    text = f"{hour:02d}:{minute:02d}"
    valid = jsonschema.Draft202012Validator(pattern).is_valid(text)
    assert valid == (hour < 24 and minute < 60)
