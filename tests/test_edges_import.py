"""Issue 13, item 1: a `;` spreadsheet with European numbers imports right or is refused."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from tests.conftest import SAMPLE_TODAY
from tests.test_import import front

MAP = """\
source: sheet
match: email
fields:
  name: Name
  email: Email
  billing.rate: {column: Honorar, type: number}
  next_action.what: Was, wann, wie?
"""


def run(cli: Callable[..., Result], repo: Path, *args: str) -> Result:
    return cli(*args, "--repo", str(repo), env={"SORTEXT_TODAY": SAMPLE_TODAY})


def test_semicolon_sheet_with_comma_decimals_imports_right(
    cli: Callable[..., Result], records_repo: Path, tmp_path: Path
) -> None:
    sheet = tmp_path / "kunden.csv"
    sheet.write_text(
        'Name;Email;Honorar;"Was, wann, wie?"\r\n'
        'Lena Vogel;lena@example.org;450,00;"Anrufen,\r\nDienstag"\r\n'
        "Jonas Berg;jonas@example.org;1.200,50;Mail\r\n"
        "Mira Stein;mira@example.org;1.200;Termin\r\n",
        newline="",
    )
    (tmp_path / "map.yaml").write_text(MAP)
    args = ("import", str(sheet), "--map", str(tmp_path / "map.yaml"))
    dry = run(cli, records_repo, *args)
    assert dry.exit_code == 0, dry.output
    assert "read as CSV, delimiter ';' (sniffed)" in dry.output
    applied = run(cli, records_repo, *args, "--apply")
    assert applied.exit_code == 0, applied.output
    rates = {
        p.stem: front(p).get("billing", {}).get("rate")  # type: ignore[attr-defined]
        for p in (records_repo / "clients").glob("*.md")
        if p.stem in ("lena-vogel", "jonas-berg", "mira-stein")
    }
    assert rates == {"lena-vogel": 450, "jonas-berg": 1200.5, "mira-stein": 1200}
    lena = (records_repo / "clients" / "lena-vogel.md").read_bytes()
    assert b"\r" not in lena


def test_ambiguous_amount_without_evidence_is_refused_with_row_and_column(
    cli: Callable[..., Result], records_repo: Path, tmp_path: Path
) -> None:
    sheet = tmp_path / "kunden.csv"
    sheet.write_text(
        "Name;Email;Honorar;Note\nLena Vogel;lena@example.org;90;x\n"
        "Mira Stein;mira@example.org;1.200;y\n"
    )
    (tmp_path / "map.yaml").write_text(MAP.replace("Was, wann, wie?", "Note"))
    before = sorted(p.name for p in (records_repo / "clients").iterdir())
    result = run(cli, records_repo, "import", str(sheet), "--map", str(tmp_path / "map.yaml"))
    assert result.exit_code == 1
    assert f"{sheet}:3:29: Honorar: '1.200' is ambiguous: 1.2 or 1200" in result.output
    (tmp_path / "map.yaml").write_text(MAP.replace("Was, wann, wie?", "Note") + 'decimal: ","\n')
    fixed = run(
        cli, records_repo, "import", str(sheet), "--map", str(tmp_path / "map.yaml"), "--apply"
    )
    assert fixed.exit_code == 0, fixed.output
    assert front(records_repo / "clients" / "mira-stein.md")["billing"] == {"rate": 1200}
    assert len(before) + 2 == len(list((records_repo / "clients").iterdir()))


def test_intake_answers_with_crlf_reach_the_notes_as_lf(
    cli: Callable[..., Result], records_repo: Path, tmp_path: Path
) -> None:
    form = tmp_path / "form.csv"
    form.write_bytes(
        b"Timestamp,Email Address,Full name,What would you like to work on?\r\n"
        b'2026-11-20 10:00:00,lena@example.org,Lena Vogel,"Pricing\r\nand\rboundaries"\r\n'
    )
    result = run(cli, records_repo, "intake", str(form))
    assert result.exit_code == 0, result.output
    raw = (records_repo / "clients" / "lena-vogel.md").read_bytes()
    assert b"\r" not in raw
    assert b"Pricing\nand\nboundaries" in raw
