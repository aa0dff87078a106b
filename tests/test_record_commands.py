"""new / set / log / pay / measure / move on a real records repository."""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from sortext.record.values import normalize
from sortext.record.yamlread import load_fast
from tests.conftest import SAMPLE_TODAY, git

AMARA = "amara-okafor"


def front(path: Path) -> dict[str, object]:
    text = path.read_text(encoding="utf-8")
    data = load_fast(text.split("---\n")[1])
    assert isinstance(data, dict)
    result: dict[str, object] = normalize(data)
    return result


def changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.ndiff(before.splitlines(), after.splitlines())
        if line[:2] in ("- ", "+ ")
    ]


def run(cli: Callable[..., Result], repo: Path, *args: str) -> Result:
    return cli(*args, "--repo", str(repo), env={"SORTEXT_TODAY": SAMPLE_TODAY})


def test_log_keeps_comments_and_layout(cli: Callable[..., Result], records_repo: Path) -> None:
    path = records_repo / "clients" / f"{AMARA}.md"
    before = path.read_text()
    result = run(
        cli,
        records_repo,
        "log",
        AMARA,
        "--focus",
        "Partner hire",
        "--score",
        "8",
        "--commit",
        "Draft the job description",
        "--next",
        "Send the JD template",
        "--due",
        "2026-11-30",
        "--note",
        "She has decided to hire.",
    )
    assert result.exit_code == 0, result.output
    after = path.read_text()
    assert changed_lines(before, after) == [
        "-   what: Send session 7 prep notes and the delegation worksheet",
        "+   what: Send the JD template",
        "-   due: 2026-11-19   # slipped: she asked to move the call",
        "+   due: 2026-11-30   # slipped: she asked to move the call",
        "+   - id: s8",
        "+     date: 2026-11-23",
        "+     status: held",
        "+     focus: Partner hire",
        "+     commitments: [Draft the job description]",
        "+     score: 8",
        "+ ",
        "+ ## 2026-11-23 Partner hire",
        "+ ",
        "+ She has decided to hire.",
    ]
    data = front(path)
    action = {"what": "Send the JD template", "owner": "maya", "due": "2026-11-30"}
    assert data["next_action"] == action
    assert run(cli, records_repo, "check").exit_code == 0


def test_set_refuses_invalid_result_and_writes_nothing(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    path = records_repo / "clients" / f"{AMARA}.md"
    before = path.read_bytes()
    result = run(cli, records_repo, "set", AMARA, "billing.rate=abc", "tags=[a]")
    assert result.exit_code == 2
    assert "billing.rate: expected a number, found 'abc'" in result.output
    assert path.read_bytes() == before


def test_set_several_fields(cli: Callable[..., Result], records_repo: Path) -> None:
    path = records_repo / "clients" / f"{AMARA}.md"
    result = run(
        cli,
        records_repo,
        "set",
        AMARA,
        "billing.rate=450",
        "invoices[2].status=sent",
        "dates.ended=2027-06-30",
        'phone="+44 20 7946 0000"',
    )
    assert result.exit_code == 0, result.output
    data = front(path)
    assert data["billing"]["rate"] == 450  # type: ignore[index]
    assert data["invoices"][2]["status"] == "sent"  # type: ignore[index]
    assert data["dates"]["ended"] == "2027-06-30"  # type: ignore[index]
    assert 'phone: "+44 20 7946 0000"' in path.read_text()


def test_pay_and_measure(cli: Callable[..., Result], records_repo: Path) -> None:
    path = records_repo / "clients" / f"{AMARA}.md"
    assert run(cli, records_repo, "pay", AMARA, "INV-2026-058", "--on", "2026-11-20").exit_code == 0
    invoice = front(path)["invoices"][2]  # type: ignore[index]
    assert invoice["status"] == "paid" and invoice["paid_on"] == "2026-11-20"
    again = run(cli, records_repo, "pay", AMARA, "INV-2026-058", "--on", "2026-11-20")
    assert "nothing written" in again.output
    missing = run(cli, records_repo, "pay", AMARA, "INV-9")
    assert missing.exit_code == 2 and "no invoice 'INV-9'" in missing.output
    assert run(cli, records_repo, "measure", AMARA, "deep-work", "10").exit_code == 0
    assert front(path)["measurements"][-1] == {  # type: ignore[index]
        "goal": "deep-work",
        "date": SAMPLE_TODAY,
        "value": 10,
    }
    assert run(cli, records_repo, "measure", AMARA, "nope", "1").exit_code == 2


def test_move_checks_stage_requirements(cli: Callable[..., Result], records_repo: Path) -> None:
    created = run(cli, records_repo, "new", "Oskar Brandt", "--email", "oskar@example.org")
    assert created.exit_code == 0, created.output
    path = records_repo / "clients" / "oskar-brandt.md"
    before = path.read_bytes()
    refused = run(cli, records_repo, "move", "oskar-brandt", "contracted")
    assert refused.exit_code == 2
    assert "links.contract: required at stage 'contracted'" in refused.output
    assert path.read_bytes() == before
    assert run(cli, records_repo, "move", "oskar-brandt", "discovery").exit_code == 0
    assert front(path)["stage"] == "discovery"
    unknown = run(cli, records_repo, "move", "oskar-brandt", "actve")
    assert "did you mean 'active'" in unknown.output


def test_new_makes_unique_valid_records(cli: Callable[..., Result], records_repo: Path) -> None:
    first = run(cli, records_repo, "new", "Zoë O'Brien: Studio", "--stage", "discovery")
    refused = run(cli, records_repo, "new", "Zoe O'Brien: studio")
    assert refused.exit_code != 0
    assert "clients/zoe-obrien-studio.md: Zoë O'Brien: Studio already has this name" in (
        refused.output
    )
    second = run(cli, records_repo, "new", "Zoë O'Brien: Studio", "--force")
    assert first.exit_code == second.exit_code == 0
    assert "clients/zoe-obrien-studio.md" in first.output
    assert "clients/zoe-obrien-studio-2.md" in second.output
    data = front(records_repo / "clients" / "zoe-obrien-studio.md")
    assert data["name"] == "Zoë O'Brien: Studio" and data["stage"] == "discovery"
    assert run(cli, records_repo, "check").exit_code == 0


def test_new_edit_opens_a_real_editor(
    cli: Callable[..., Result], records_repo: Path, tmp_path: Path
) -> None:
    """$EDITOR is a real program (a script using sed) that edits the file in place."""
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/^stage: inquiry$/stage: discovery/' \"$1\"\n")
    editor.chmod(0o755)
    result = cli(
        "new",
        "Lea Marsh",
        "--edit",
        "--repo",
        str(records_repo),
        env={"EDITOR": str(editor), "VISUAL": "", "SORTEXT_TODAY": SAMPLE_TODAY},
    )
    assert result.exit_code == 0, result.output
    assert front(records_repo / "clients" / "lea-marsh.md")["stage"] == "discovery"


def test_write_refused_when_file_changed_meanwhile(records_repo: Path) -> None:
    """An editor saving between read and write wins; sortext refuses."""
    from sortext.edit.update import update_record
    from sortext.errors import ConflictError
    from sortext.repo import open_repository

    repo = open_repository(records_repo)
    path = records_repo / "clients" / f"{AMARA}.md"

    def change(editor: object) -> None:
        editor.set(("billing", "rate"), 999)  # type: ignore[attr-defined]
        path.write_text(path.read_text() + "\nSaved from the editor.\n")

    with pytest.raises(ConflictError):
        update_record(repo, AMARA, change)
    assert "Saved from the editor." in path.read_text()
    assert "rate: 999" not in path.read_text()


def test_unknown_client_suggests_close_ids(cli: Callable[..., Result], records_repo: Path) -> None:
    result = run(cli, records_repo, "set", "amara-okafr", "billing.rate=1")
    assert result.exit_code == 2 and "did you mean amara-okafor" in result.output


def test_crlf_and_bom_survive_a_command(cli: Callable[..., Result], records_repo: Path) -> None:
    path = records_repo / "clients" / f"{AMARA}.md"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    assert run(cli, records_repo, "pay", AMARA, "INV-2026-058").exit_code == 0
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.count(b"\n") == raw.count(b"\r\n")
    git(records_repo, "status", "--short")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_commands_leave_no_temp_files(cli: Callable[..., Result], records_repo: Path) -> None:
    run(cli, records_repo, "measure", AMARA, "delegation", "6")
    assert not [n for n in os.listdir(records_repo / "clients") if "sortext-tmp" in n]
