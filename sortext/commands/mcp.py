"""``sortext mcp``: serve the records to an AI assistant over MCP (stdio)."""

from __future__ import annotations

from pathlib import Path

import click

from sortext.commands.options import repo_option


@click.command("mcp")
@repo_option
def command(repo_dir: Path | None) -> None:
    """Run an MCP server over stdio for assistant clients (started from their config).

    Read tools answer what the commands answer (the same JSON as --json);
    writes are previewed first (diff, diagnostics, token) and applied only
    with the token, onto the unchanged file, as one commit by the assistant
    (author: 'assistant: {author: ...}' in sortext.yaml).  Nothing is deleted.
    """
    from sortext.assistant.server import serve
    from sortext.repo import open_repository

    open_repository(repo_dir)  # a missing or broken repository is reported before serving
    serve(repo_dir)
