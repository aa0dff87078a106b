"""``sortext install``: sortext's git settings in an existing clone."""

from __future__ import annotations

from pathlib import Path

import click

from sortext.commands.options import open_repo, repo_option


@click.command("install")
@repo_option
def command(repo_dir: Path | None) -> None:
    """Write sortext's git settings into this clone.

    Sets core.hooksPath=.githooks (the pre-commit check), registers the
    field-aware merge driver (merge.sortext.*) and adds
    'clients/*.md merge=sortext' to .gitattributes if missing, and turns on
    git's durability settings (core.fsync).  Run it once after cloning: git
    does not copy local config with a clone.  Records this Python
    (sortext.python) for the hook and the merge driver, so they work from GUI
    git clients; run it again if that Python moves.  It also reads time in
    stage from the history once (seconds on a long one), so that no later
    command waits for it.

    A repository that still tracks the generated pages (NEXT.md, site/) is
    migrated: one commit removes them from the records branch (the files
    stay on disk) and git-ignores them; the watcher publishes them on their
    own branch (sortext-pages).  Exits non-zero with the reason when git is
    in the middle of a merge or rebase.

    \b
    Example:
      sortext install --repo ~/clients
    """
    from sortext.commands.style import visible
    from sortext.errors import GitError
    from sortext.vcs.scaffold import (
        configure_git,
        ensure_gitattributes,
        gitattributes_line,
        recorded_python,
        refresh_hook,
        untrack_pages,
    )

    repo = open_repo(repo_dir)
    configure_git(repo.root)
    if refresh_hook(repo.root):
        click.echo("wrote .githooks/pre-commit (commit it)")
    click.echo(f"git runs sortext with {recorded_python()}")
    folder = repo.relative(repo.clients_path)
    if ensure_gitattributes(repo.root, folder):
        click.echo(f"added {visible(gitattributes_line(folder))} to .gitattributes (commit it)")
    try:
        migrated = untrack_pages(repo.root)
    except GitError as exc:
        raise click.ClickException(f"pages not migrated: {exc}") from exc
    if migrated:
        click.echo(f"stopped tracking NEXT.md and site/ (commit {migrated[:10]}): see its message")
    from sortext.vcs.stagefacts import warm_stage_facts

    warm_stage_facts(repo)  # the long pass over the history, here rather than in a query
    click.echo(f"git settings installed in {repo.root}")
