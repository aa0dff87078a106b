"""``sortext watch``: validate, render and commit every save, in the foreground."""

from __future__ import annotations

from pathlib import Path

import click

from sortext.commands.options import repo_option, today_option


@click.command("watch")
@repo_option
@click.option("--poll", is_flag=True, help="Poll for changes (network drives, containers).")
@click.option(
    "--debounce",
    "debounce_ms",
    type=click.IntRange(0, 60_000),
    default=300,
    show_default=True,
    metavar="MS",
    help="Wait until a file has been quiet this long before reading it.",
)
@click.option(
    "--pages/--no-pages",
    default=True,
    show_default=True,
    help="Regenerate NEXT.md and site/ after each commit and publish them on the pages branch.",
)
@today_option
def command(
    repo_dir: Path | None, poll: bool, debounce_ms: int, pages: bool, today: str | None
) -> None:
    """Watch the clients folder and act on every save.

    Each saved record is validated; a valid one is committed to git with a
    message naming the changed fields, then the index and the pages
    (NEXT.md, site/: git-ignored, written to the working tree) are updated
    from that commit and published on their own branch (sortext-pages;
    'pages:' in sortext.yaml).  An invalid one is reported as path:line:col
    and left uncommitted.  Changes made while no watcher ran are committed
    at start.  Logs go to stderr and .sortext/watch.log.  Ctrl-C stops it.

    \b
    Examples:
      sortext watch
      sortext watch --poll --debounce 1000
    """
    from sortext.commands.options import open_repo, resolve_today
    from sortext.daemon.pipeline import NoPages
    from sortext.daemon.renderer import default_renderer
    from sortext.daemon.service import WatchService, setup_logging

    repo = open_repo(repo_dir)
    resolve_today(today)  # reject a bad --today before starting
    setup_logging(repo.root)
    service = WatchService(
        repo,
        default_renderer() if pages else NoPages(),
        lambda: resolve_today(today),
        poll=poll,
        debounce=debounce_ms / 1000,
    )
    service.run()
