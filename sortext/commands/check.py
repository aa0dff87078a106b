"""``sortext check``: validate records, report every problem in one pass."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from sortext.commands.options import open_repo, repo_option


@click.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--staged", is_flag=True, help="Check the versions staged in git (pre-commit).")
@click.option("--json", "as_json", is_flag=True, help="Print problems as a JSON list.")
@click.option("--strict", is_flag=True, help="Warnings also make the exit status 1.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing; only set the exit status.")
@repo_option
def command(
    paths: tuple[Path, ...],
    staged: bool,
    as_json: bool,
    strict: bool,
    quiet: bool,
    repo_dir: Path | None,
) -> None:
    """Validate records and report every problem.

    Checks every record in the clients folder, or the PATHS given, or (with
    --staged) the versions staged in git.  Each problem is printed as
    path:line:col: severity: field: message, with the offending line.
    Exit status: 0 valid, 1 invalid records, 2 usage or internal error.

    \b
    Examples:
      sortext check
      sortext check clients/amara-okafor.md --json
    """
    from sortext.check.many import check_blobs, check_repository
    from sortext.commands.style import busy
    from sortext.views.format import count

    if staged and paths:
        raise click.UsageError("give PATHS or --staged, not both")
    repo = open_repo(repo_dir)
    missing = [p for p in paths if not p.exists() and not (repo.root / p).exists()]
    if missing:
        raise click.BadParameter(
            "no such file: " + ", ".join(str(p) for p in missing), param_hint="PATHS"
        )
    # the configuration, named among the PATHS, was validated when the repository
    # opened (a broken one stops every command at its line): it is no record
    from sortext.repo import CONFIG_NAME

    config = (repo.root / CONFIG_NAME).resolve()
    named_config = [p for p in paths if _same(p, config) or _same(repo.root / p, config)]
    paths = tuple(p for p in paths if p not in named_config)
    if named_config and not quiet and not as_json:
        click.echo("sortext.yaml: OK (the configuration)", err=True)
    if named_config and not paths:
        sys.exit(0)
    with busy("checking the records"):
        if staged:
            from sortext.vcs.staged import staged_records

            report = check_blobs(repo, staged_records(repo))
        else:
            report = check_repository(repo, paths or None)
    diagnostics = report.diagnostics
    if as_json:
        click.echo(json.dumps([d.to_json() for d in diagnostics], indent=2))
    elif not quiet:
        colour = sys.stdout.isatty()
        for d in diagnostics:
            text = d.format()
            if colour:
                first, _, rest = text.partition("\n")
                tint = "red" if d.is_error else "yellow"
                text = click.style(first, fg=tint, bold=True) + ("\n" + rest if rest else "")
            click.echo(text)
        errors = sum(d.is_error for d in diagnostics)
        warnings = len(diagnostics) - errors
        summary = f"{count(report.files, 'record')} checked: "
        if diagnostics:
            summary += f"{count(errors, 'error')}, {count(warnings, 'warning')}"
        else:
            summary += "OK, no problems"
        click.echo(summary, err=True)
        if any(d.message.startswith("merge conflict: ours") for d in diagnostics):
            from sortext.vcs.headref import REBASE_SIDES, rebase_in_progress

            if rebase_in_progress(repo.root):
                click.echo(REBASE_SIDES, err=True)
    failed = not report.ok or (strict and bool(diagnostics))
    sys.exit(1 if failed else 0)


def _same(path: Path, target: Path) -> bool:
    """``path`` names the file ``target`` (resolved; False when it cannot be)."""
    try:
        return path.resolve() == target
    except (OSError, RuntimeError):
        return False
