"""``--today ""`` is a day given, and not a date: every command taking ``--today``
refuses it (exit 2, naming the option) and writes nothing, where it used to run on
the clock's day (``value or SORTEXT_TODAY``: a script whose date variable came out
empty ran ``pay``, ``build`` or ``next`` for the real today without a word).  The
assistant's ``today`` argument alike.  An empty ``SORTEXT_TODAY`` stays unset (Click
reads an empty variable as unset too).

The commands are found by walking the command line (every one with a ``--today``
option), so a new command is held to it without being listed here.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import pytest
from click.testing import Result

from tests.conftest import PROJECT_ROOT, SAMPLE_TODAY

AMARA = "amara-okafor"
CALENDAR = PROJECT_ROOT / "tests" / "data" / "calcom.ics"
FORM = PROJECT_ROOT / "tests" / "data" / "google-forms.csv"

#: A value for each argument the commands taking --today have (a missing one fails
#: the walk below, rather than testing a usage error of another kind).
ARGUMENTS = {
    "record_id": AMARA,
    "kind": "csv",
    "amount": "100",
    "invoice": "INV-2026-058",
    "goal": "deep-work",
    "value": "5",
    "name": "Nadia Testperson",
    "field": "stage",
    "assignments": "billing.rate=430",
}
#: Commands that would start a server or a watcher were --today taken: run in a
#: child process with a timeout, so a regression fails instead of hanging.
SERVERS = {"watch", "serve"}


def _commands() -> Iterator[tuple[str, click.Command]]:
    from sortext.cli import main

    for name in main.list_commands(click.Context(main)):
        command = main.get_command(click.Context(main), name)
        if command is not None and any(
            isinstance(p, click.Option) and "--today" in p.opts for p in command.params
        ):
            yield name, command


def _argv(name: str, command: click.Command) -> list[str]:
    argv = [name]
    for param in command.params:
        if isinstance(param, click.Argument) and param.required:
            if param.name in ("file",):
                argv.append(str(FORM if name == "intake" else CALENDAR))
            else:
                assert param.name in ARGUMENTS, f"{name}: no sample value for {param.name}"
                argv.append(ARGUMENTS[param.name])
        elif isinstance(param, click.Option) and param.required:
            argv += [param.opts[0], "x"]
    return argv


def _tree(root: Path) -> dict[str, str]:
    """Every file under ``root`` but .git, by path -> SHA-256 of its bytes."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def test_the_walk_finds_the_commands_that_take_a_day() -> None:
    names = {name for name, _ in _commands()}
    assert {"next", "list", "build", "pay", "log", "watch", "serve", "import"} <= names


@pytest.mark.parametrize("name", sorted(name for name, _ in _commands()))
def test_an_empty_today_is_refused_and_nothing_is_written(
    cli: Callable[..., Result], records_repo: Path, name: str
) -> None:
    command = dict(_commands())[name]
    argv = [*_argv(name, command), "--today", "", "--repo", str(records_repo)]
    before = _tree(records_repo)
    env = {"SORTEXT_TODAY": SAMPLE_TODAY}  # the variable does not stand in for it
    if name in SERVERS:
        done = subprocess.run(
            [sys.executable, "-m", "sortext", *argv],
            capture_output=True,
            text=True,
            timeout=120,
            env={**_plain_env(), **env},
            cwd=records_repo,
        )
        code, output = done.returncode, done.stdout + done.stderr
    else:
        result = cli(*argv, env=env)
        code, output = result.exit_code, result.output
    assert code == 2, (argv, code, output)
    assert "--today" in output and "''" in output, output
    assert "Traceback" not in output
    assert _tree(records_repo) == before


def _plain_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("SORTEXT_")}


def test_an_empty_sortext_today_is_unset(cli: Callable[..., Result], records_repo: Path) -> None:
    """An empty variable is no day given: the command runs on the practice's day."""
    done = cli("next", "--repo", str(records_repo), env={"SORTEXT_TODAY": ""})
    assert done.exit_code == 0, done.output


def test_the_assistants_empty_today_is_refused(records_repo: Path) -> None:
    from sortext.assistant import guard
    from sortext.repo import open_repository

    repo = open_repository(records_repo)
    with pytest.raises(guard.AssistantInputError, match="today"):
        guard.today("", repo)
    assert str(guard.today(SAMPLE_TODAY, repo)) == SAMPLE_TODAY


def _date_options() -> Iterator[tuple[str, str]]:
    """(command, option) for every date option but --today (hidden ones too: ``log
    --date``, the old name of ``--on``)."""
    from sortext.cli import main

    for name in main.list_commands(click.Context(main)):
        command = main.get_command(click.Context(main), name)
        for param in command.params if command is not None else []:
            if isinstance(param, click.Option) and param.metavar == "YYYY-MM-DD":
                option = max(param.opts, key=len)
                if option != "--today":
                    yield name, option


def test_the_walk_finds_the_date_options() -> None:
    found = set(_date_options())
    assert {("log", "--on"), ("log", "--date"), ("pay", "--on"), ("invoice", "--due")} <= found


@pytest.mark.parametrize(("name", "option"), sorted(_date_options()))
def test_an_empty_date_option_is_refused_and_nothing_is_written(
    cli: Callable[..., Result], records_repo: Path, name: str, option: str
) -> None:
    """``log --on ""`` logged the session on the clock's day (``--on or --date``), where
    every other date option refused an empty value: a date given is a date or an error,
    as ``--today`` is."""
    command = dict(_commands())[name]
    argv = [*_argv(name, command), option, "", "--today", SAMPLE_TODAY]
    for param in command.params:  # what would be asked for (log's --focus)
        if isinstance(param, click.Option) and param.prompt:
            argv += [param.opts[0], "x"]
    before = _tree(records_repo)
    result = cli(*argv, "--repo", str(records_repo))
    assert result.exit_code == 2, (argv, result.exit_code, result.output)
    # (named as given; --date as --on, the name it is the old one of)
    assert "'' is not a date" in result.output, result.output
    assert _tree(records_repo) == before
