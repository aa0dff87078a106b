"""``sortext init DIR``: create a new records repository."""

from __future__ import annotations

import contextlib
from pathlib import Path

import click


@click.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
def command(directory: Path) -> None:
    """Create a records repository in DIRECTORY (default: here).

    Runs git init, writes sortext.yaml, clients/, templates/, .githooks/
    (enabled through core.hooksPath), .gitignore, turns on git's durability
    settings, records this Python for the hook and the merge driver (so they
    work where the virtual environment is not active) and makes a first
    commit.  Existing files are never overwritten.  Prints the next steps.

    \b
    Example:
      sortext init ~/clients
    """
    from sortext.errors import SortextError
    from sortext.vcs.scaffold import first_commit, init_repository, recorded_python

    created = init_repository(directory)
    for path in created:
        click.echo(f"created {path}")
    try:
        commit = first_commit(directory)
    except SortextError as exc:
        click.echo(
            f"sortext: no first commit: {exc}\n"
            "  set your name and email (git config --global user.name / user.email),\n"
            f"  then: git -C {directory} add -A && git -C {directory} commit -m 'sortext init'",
            err=True,
        )
        commit = None
    if commit:
        click.echo(f"first commit {commit[:12]}")
        from sortext.repo import open_repository
        from sortext.vcs.stagefacts import warm_stage_facts

        with contextlib.suppress(SortextError):
            warm_stage_facts(open_repository(directory))
    click.echo(f"records repository ready in {directory}")
    click.echo(f"git runs sortext with {recorded_python()} (run 'sortext install' if it moves)")
    where = str(directory)
    click.echo(
        "\nNext steps:\n"
        f"  cd {where}\n"
        "  sortext new 'Client Name'        # or: sortext intake FILE / sortext import FILE\n"
        "  sortext check && sortext build   # NEXT.md and site/index.html\n"
        "  sortext watch                    # keep them current, commit every save\n"
        "  git remote add origin URL        # then: sortext backup (see 'sortext doctor')"
    )
