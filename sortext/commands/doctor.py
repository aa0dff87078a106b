"""``sortext doctor``: is this clone safe to work in?"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from sortext.commands.options import open_repo, repo_option


@click.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Print findings as JSON.")
@repo_option
def command(as_json: bool, repo_dir: Path | None) -> None:
    """Check backup age, hooks, merge driver, daemon, index, locks, fsync.

    Prints one line per check (ok / warn / fail) with the fix.  Exit
    status: 0 nothing failed (warnings allowed), 1 something failed.

    \b
    Examples:
      sortext doctor
      sortext doctor --json
    """
    from dataclasses import asdict

    from sortext.doctor import diagnose

    findings = diagnose(open_repo(repo_dir))
    if as_json:
        click.echo(json.dumps([asdict(f) for f in findings], indent=2))
    else:
        for f in findings:
            click.echo(f"{f.status:<4}  {f.check:<12}  {f.message}")
    sys.exit(1 if any(f.status == "fail" for f in findings) else 0)
