"""``sortext merge-driver %O %A %B %P``: git's merge driver for client files."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command("merge-driver")
@click.argument("base", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("ours", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("theirs", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("path", required=False, default="")
def command(base: Path, ours: Path, theirs: Path, path: str) -> None:
    """Merge a client file field by field (called by git, not by hand).

    Registered by 'sortext init' / 'sortext install' as
    'sortext merge-driver %O %A %B %P' for clients/*.md.  Writes the result
    into OURS.  Exit status 0 when clean; 1 when a field (or a notes block)
    was changed differently on both sides: the file then holds conflict
    markers around that field only, and 'sortext check' names it.

    \b
    Example:
      git config merge.sortext.driver 'sortext merge-driver %O %A %B %P'
    """
    from sortext.files.slug import implied_id
    from sortext.files.write import replace_if_unchanged
    from sortext.record import tombstone
    from sortext.vcs.merge import merge_files
    from sortext.views.format import count

    base_bytes = base.read_bytes() if base.exists() else b""
    ours_bytes = ours.read_bytes()
    shown = path or str(ours)
    try:  # git runs the driver at the top of the work tree
        stones = tombstone.load(Path.cwd())
    except ValueError as exc:
        click.echo(f"sortext: {exc}", err=True)
        sys.exit(1)
    stem = implied_id(Path(shown).name)
    for side in (ours_bytes, theirs.read_bytes()):
        hit = stones.match_text(stem, side)
        if hit is not None:
            click.echo(f"sortext: {shown}: {tombstone.refusal(hit, 'not merged')}", err=True)
            sys.exit(1)
    result = merge_files(base_bytes, ours_bytes, theirs.read_bytes())
    replace_if_unchanged(ours, result.data, ours_bytes)
    for conflict in result.conflicts:
        click.echo(f"sortext: {shown}: conflict on {conflict.path}", err=True)
    if result.notes_conflicts:
        click.echo(
            f"sortext: {shown}: {count(result.notes_conflicts, 'conflict')} in the notes", err=True
        )
    sys.exit(0 if result.clean else 1)
