"""The command line's words for core errors: options and commands by name.

Core messages never name a command or an option (``tests/test_cli_words.py`` keeps
them out): an error carries a :class:`~sortext.errors.Hint` naming a way out, or a
parameter's library name (:class:`~sortext.errors.UnknownValue`), and the CLI words it
here.  The library's own wording is ``str(error)``.
"""

from __future__ import annotations

import shlex

from sortext.errors import ACTIONS, Hint, ParameterError, SortextError

#: how the command line says each hint action ({subject}: the hint's subject)
CLI_WORDS: dict[str, str] = {
    "create_repository": (
        "run 'sortext init DIR' to create a records repository, or pass --repo DIR"
    ),
    "again_anyway": "add --force to {subject} it again",
    "next_and_due": "give both --next and --due",
    "new_record": "'sortext new NAME' creates one",
    "list_ids": "run 'sortext list' to see the ids",
    "check_record": "run: sortext check {quoted}",
    "condition_syntax": (
        "write --where FIELD OP VALUE with OP one of >= <= != = > < ~ "
        "(e.g. 'billing.rate>=300', 'tags=leadership')"
    ),
    "git_init": "run 'git init' (or 'sortext init') there",
    "git_init_here": (
        "run 'git init' (or 'sortext init') there, or run the command inside your "
        "records repository"
    ),
    "export_columns": "see 'sortext export csv --help'",
    "earlier_version": "give --at REV or --at DATE to bring back an earlier version",
    "erase_instead": "use sortext erase {subject}",
}
assert set(CLI_WORDS) == ACTIONS, "every hint action has the command line's words"

#: a parameter whose option is not ``--`` and its name
OPTION_NAMES: dict[str, str] = {"base_rev": "--base", "amount": "AMOUNT"}


def option_name(parameter: str) -> str:
    """``owner`` -> ``--owner``: the option that sets a library parameter."""
    return OPTION_NAMES.get(parameter, "--" + parameter.replace("_", "-"))


def hint_words(hint: Hint) -> str:
    """The command line's wording of ``hint``."""
    return CLI_WORDS[hint.action].format(
        subject=hint.subject, quoted=shlex.quote(hint.subject) if hint.subject else ""
    )


def cli_text(exc: BaseException) -> str:
    """``exc`` as the command line says it: its hint and parameter names in the
    command line's words (any other exception: ``str(exc)``)."""
    if isinstance(exc, ParameterError):
        return exc.worded(option_name(exc.option))
    if isinstance(exc, SortextError) and exc.hint is not None:
        return f"{exc.bare}; {hint_words(exc.hint)}"
    return str(exc)
