"""Benchmark: dry run of a 5,000-row spreadsheet import (target: <= 10 s).

Builds a throwaway repository with 1,000 clients (copies of the sample
client with new names and emails) and a 5,000-row CSV in the layout of
docs/maps/spreadsheet.yaml: 1,000 rows update existing clients (half of them
with a conflicting rate), 4,000 rows are new clients.  Times the same work
as ``sortext import FILE --map docs/maps/spreadsheet.yaml`` without --apply.

    python bench/import_dry_run.py [--rows 5000] [--clients 1000]
"""

from __future__ import annotations

import argparse
import csv
import shutil
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The columns of the sample spreadsheet that docs/maps/spreadsheet.yaml maps
# (tests/test_import.py writes sheets with the same header).
SHEET_HEADER = [
    "Client",
    "Email",
    "Status",
    "Package",
    "Rate",
    "Currency",
    "Next step",
    "Next step due",
    "Tags",
    "Contract",
]


def build(folder: Path, clients: int, rows: int) -> Path:
    shutil.copy(ROOT / "sortext.yaml", folder / "sortext.yaml")
    shutil.copytree(ROOT / "templates", folder / "templates")
    (folder / "clients").mkdir()
    sample = (ROOT / "clients" / "amara-okafor.md").read_text(encoding="utf-8")
    for n in range(clients):
        text = sample.replace("Amara Okafor", f"Bench Client {n:05d}").replace(
            "amara.okafor@example.com", f"bench{n:05d}@example.com"
        )
        (folder / "clients" / f"bench-client-{n:05d}.md").write_text(text, encoding="utf-8")
    sheet = folder / "sheet.csv"
    with sheet.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(SHEET_HEADER)
        for n in range(rows):
            known = n < clients
            writer.writerow(
                [
                    f"Bench Client {n:05d}" if known else f"New Client {n:05d}",
                    f"bench{n:05d}@example.com" if known else f"new{n:05d}@example.org",
                    "Active",
                    "Leadership coaching, 6 months",
                    "450" if n % 2 else "420",
                    "GBP",
                    "Kick-off call",
                    "05/12/2026",
                    "bench",
                    f"contracts/{n:05d}.pdf",
                ]
            )
    return sheet


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=1000)
    args = parser.parse_args()
    from sortext.io.fieldmap import load_map
    from sortext.io.importer import plan_import
    from sortext.io.spreadsheet import read_rows
    from sortext.repo import open_repository

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sheet = build(folder, args.clients, args.rows)
        start = time.perf_counter()
        repo = open_repository(folder)
        fmap = load_map(ROOT / "docs" / "maps" / "spreadsheet.yaml")
        plan = plan_import(repo, read_rows(sheet), fmap, "spreadsheet")
        elapsed = time.perf_counter() - start
    print(
        f"dry run: {args.rows} rows against {args.clients} clients in {elapsed:.2f} s "
        f"({len(plan.new)} new, {len(plan.updated)} updated, {plan.conflicts} conflicts)"
    )


if __name__ == "__main__":
    main()
