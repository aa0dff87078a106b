"""``sortext build``: write NEXT.md and the HTML pages under site/."""

from __future__ import annotations

from pathlib import Path

import click

from sortext.commands.options import open_repo, repo_option, resolve_today, today_option


@click.command("build")
@click.option("-v", "--verbose", is_flag=True, help="List every file written.")
@today_option
@repo_option
def command(verbose: bool, today: str | None, repo_dir: Path | None) -> None:
    """Write NEXT.md (next actions, renders on a git host), site/index.html
    (the dashboard) and site/clients/<id>.html (session prep per client).

    Output depends only on the records, sortext.yaml, the templates and
    --today: the same input gives the same bytes.  Files are replaced
    atomically and only when their content changed.  A template in the
    repository's templates/ folder overrides the shipped one of that name.

    \b
    Examples:
      sortext build
      sortext build --today 2026-11-23 -v
    """
    from sortext.commands.style import busy
    from sortext.pages.build import build
    from sortext.views.format import count

    repo = open_repo(repo_dir)
    with busy("building the pages"):
        result = build(repo, resolve_today(today, repo.config.timezone))
    if verbose:
        for path in result.written:
            click.echo(f"wrote {path}")
        for path in result.removed:
            click.echo(f"removed {path}")
    click.echo(
        f"{len(result.written)} written, "
        f"{len(result.unchanged) + result.unchanged_pages} unchanged, "
        f"{len(result.removed)} removed ({count(result.parsed, 'record')} parsed): "
        f"{repo.relative(repo.root / 'site' / 'index.html')}"
    )
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if result.errors:
        click.echo(
            f"{count(result.errors, 'record file')} with errors: run 'sortext check'", err=True
        )
