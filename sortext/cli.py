"""The ``sortext`` command line: options only; each command loads its code lazily.

``COMMANDS`` maps a command name to ``module:attribute``; nothing under
``sortext.commands`` is imported until that command runs, so ``--help`` and
quick queries stay fast.
"""

from __future__ import annotations

import errno
import importlib
import os
import sys
from typing import Any, TextIO, cast

import click

COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("sortext.commands.check", "Validate records and report every problem."),
    "schema": ("sortext.commands.schema", "Print the effective JSON Schema."),
    "init": ("sortext.commands.init", "Create a new records repository."),
    "watch": ("sortext.commands.watch", "Validate, render and commit every save."),
    "serve": ("sortext.commands.serve", "Serve the pages locally; they reload on every change."),
    "status": ("sortext.commands.status", "Is a watcher running? Last commit, errors."),
    "build": ("sortext.commands.build", "Write NEXT.md and the HTML pages (site/)."),
    "next": ("sortext.commands.next", "What happens next, for everyone."),
    "agenda": ("sortext.commands.agenda", "Today's or this week's sessions and actions."),
    "money": ("sortext.commands.money", "Outstanding by age, invoiced and paid, top clients."),
    "inbox": ("sortext.commands.inbox", "File quick notes from inbox/ into client records."),
    "show": ("sortext.commands.show", "Session prep for one client."),
    "list": ("sortext.commands.list", "List clients by stage, tag or risk."),
    "search": ("sortext.commands.search", "Search names, notes and every text field."),
    "new": ("sortext.commands.new", "Create a client record from the template."),
    "set": ("sortext.commands.set", "Set fields of a record, keeping its layout."),
    "log": ("sortext.commands.log", "Log a session and move the next action."),
    "invoice": ("sortext.commands.invoice", "Bill a client: add an invoice."),
    "pay": ("sortext.commands.pay", "Mark an invoice paid."),
    "measure": ("sortext.commands.measure", "Record a goal measurement."),
    "move": ("sortext.commands.move", "Move a client to another stage."),
    "intake": ("sortext.commands.intake", "Turn form responses into client records."),
    "import": ("sortext.commands.import_", "Import a spreadsheet or CRM export."),
    "export": ("sortext.commands.export", "Write a one-way CSV, JSON or ICS export."),
    "history": ("sortext.commands.history", "Field-level history of one client from git."),
    "changes": ("sortext.commands.changes", "What changed across all clients since a date."),
    "restore": ("sortext.commands.restore", "Bring back a deleted or earlier client version."),
    "backup": ("sortext.commands.backup", "Push to every backup remote and verify it."),
    "doctor": ("sortext.commands.doctor", "Check backups, hooks, merge driver, daemon, locks."),
    "install": ("sortext.commands.install", "Write sortext's git settings into this clone."),
    "merge-driver": ("sortext.commands.merge_driver", "Git merge driver for client files."),
    "resolve": ("sortext.commands.resolve", "Settle a merge conflict on one field."),
    "merge-copy": ("sortext.commands.merge_copy", "Merge a sync tool's conflict copy."),
    "sync": ("sortext.commands.sync", "Pull (field-aware merge) then push."),
    "erase": ("sortext.commands.erase", "Delete a client from the files, all history, backups."),
    "anonymise": ("sortext.commands.anonymise", "Keep a client's outcomes, erase who they were."),
    "mcp": ("sortext.commands.mcp", "Serve the records to an AI assistant (MCP, stdio)."),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported only when invoked."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module = importlib.import_module(entry[0])
        command = getattr(module, "command", None)
        return command if isinstance(command, click.Command) else None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in sorted(COMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        from sortext.errors import OutputError, SortextError

        try:
            result = super().invoke(ctx)
            sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
            return result
        except SortextError as exc:
            from contextlib import suppress

            with suppress(OSError, SortextError):  # standard error itself may be gone
                click.echo(f"sortext: {_message(exc)}", err=True)
            if isinstance(exc, OutputError):
                exc.abandon()
            ctx.exit(2)
        except click.BadParameter as exc:
            # A value the user typed, quoted in the message or named as the hint
            # (``set 'x\ny'=1``): one line, as every quoted value (its line break
            # would start a line of its own, past the per-line cleaning).
            from sortext.errors import one_line

            hint = exc.param_hint
            raise click.BadParameter(
                one_line(exc.message),
                ctx=exc.ctx,
                param=exc.param,
                param_hint=one_line(hint) if isinstance(hint, str) else hint,
            ) from None
        except (click.exceptions.Exit, click.ClickException, click.Abort, KeyboardInterrupt):
            raise
        except OSError as exc:
            if exc.errno != errno.EPIPE:
                _internal(ctx, exc)
            # The reader went away (`sortext list | head -1`): Click's main turns this
            # into a quiet exit 1 and keeps the final flush from complaining.
            raise
        except Exception as exc:
            _internal(ctx, exc)


def _message(exc: Exception) -> str:
    """An error's text as the user sees it: each line made visible (a tab, an escape,
    a carriage return that a path or a name in it holds is shown as ``\\x09``...; a
    message's own line breaks stay)."""
    from sortext.commands.hints import cli_text
    from sortext.files.inert import clean

    return "\n".join(clean(line) for line in cli_text(exc).split("\n"))


def _internal(ctx: click.Context, exc: Exception) -> None:
    if type(exc).__module__ == "sqlite3" and not os.environ.get("SORTEXT_DEBUG"):
        if "locked" in str(exc) or "busy" in str(exc):
            # Another sortext process (a long build, the watcher's start) held the
            # index for writing longer than the wait: nothing is wrong with the disk.
            click.echo(
                f"sortext: the index in .sortext/ is busy: {exc}; another sortext "
                "process (a build or the watcher starting) is writing it; try again "
                "when it has finished",
                err=True,
            )
            ctx.exit(2)
        # A full disk, a read-only folder or a damaged file under .sortext/:
        # a storage problem the user can act on, not an internal error.
        click.echo(
            f"sortext: cannot use the index or state files in .sortext/: {exc}; "
            "free disk space or make the folder writable (the files there are "
            "derived: deleting .sortext/ rebuilds them)",
            err=True,
        )
        ctx.exit(2)
    if os.environ.get("SORTEXT_DEBUG"):
        raise exc
    click.echo(
        f"sortext: internal error: {type(exc).__name__}: {exc} "
        "(set SORTEXT_DEBUG=1 for the traceback)",
        err=True,
    )
    ctx.exit(2)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sortext")
@click.option(
    "--color",
    "--colour",
    "color",
    type=click.Choice(["auto", "always", "never"]),
    default=None,
    help="Colour the output: auto (when a terminal; the default, 'never' when NO_COLOR is set),"
    " always or never.",
)
@click.pass_context
def main(ctx: click.Context, color: str | None) -> None:
    """sortext: a plain-text system of record for client work.

    Each client is clients/<id>.md: YAML front matter for the facts, Markdown
    notes below.  Run commands inside a records repository (a folder with
    sortext.yaml) or pass --repo DIR.
    """
    from sortext.commands.style import use_colour
    from sortext.files.inert import ClosedStream, InertStream, text_target

    # a stream closed before sortext started (``>&-``) is None: writing to it fails
    # as a closed descriptor does (an OutputError), not as an AttributeError
    if sys.stdout is None:
        sys.stdout = cast(TextIO, ClosedStream("standard output"))
    if sys.stderr is None:
        sys.stderr = cast(TextIO, ClosedStream("standard error"))
    if color is not None:
        ctx.meta["sortext.color"] = color
    colour = use_colour()
    ctx.color = colour
    # Everything any command prints passes through here: control characters,
    # escape sequences and bidi controls from record text become visible.  The
    # targets are the streams Click itself writes to: on a stream that says ASCII
    # (PYTHONIOENCODING=ascii, the C locale without UTF-8 mode) Click writes UTF-8 to
    # its buffer, and would do so around an InertStream over the stream itself.
    out, err = sys.stdout, sys.stderr
    sys.stdout = InertStream(text_target(out), colour)
    sys.stderr = InertStream(text_target(err), colour)

    def restore() -> None:
        sys.stdout, sys.stderr = out, err

    ctx.call_on_close(restore)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
