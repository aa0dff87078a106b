"""``sortext serve``: the dashboard on a local web server that follows every save."""

from __future__ import annotations

from pathlib import Path

import click

from sortext.commands.options import (
    PracticeZone,
    open_repo,
    repo_option,
    resolve_today,
    today_option,
)


@click.command("serve")
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback)."
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8417,
    show_default=True,
    help="Port to listen on (0: any free port).",
)
@click.option(
    "--allow-remote",
    is_flag=True,
    help="Allow a --host other than 127.0.0.1/::1/localhost (the pages have no login).",
)
@today_option
@repo_option
def command(
    host: str, port: int, allow_remote: bool, today: str | None, repo_dir: Path | None
) -> None:
    """Serve the dashboard and client pages at http://127.0.0.1:PORT/.

    The open page reloads itself when the pages change: after a save in the
    clients folder (rebuilt here, or by 'sortext watch' when one runs) or a
    'sortext build'.  Each page gets a search box and an owner filter,
    answered from the index.  Listens on the loopback address only; another
    --host needs --allow-remote.  Ctrl-C stops it.

    \b
    Examples:
      sortext serve
      sortext serve --port 0          # any free port; the URL is printed
    """
    from sortext.daemon.serve import check_host, serve

    check_host(host, allow_remote)
    repo = open_repo(repo_dir)
    zone = PracticeZone(repo.root)
    resolve_today(today, zone())  # a bad --today (or SORTEXT_NOW) fails before the server starts
    serve(
        repo,
        lambda: resolve_today(today, zone()),
        host,
        port,
        lambda url: click.echo(f"serving {repo.root} at {url} (Ctrl-C stops)", err=False),
    )
