"""Core and API messages never name a command or an option: those are the command
line's words, which it adds itself (sortext/commands/hints.py).

A library caller (``sortext.open``), the assistant and a script read ``str(error)``:
"pass --repo DIR" or "add --force" tell them nothing they can do.  An error carries a
typed :class:`~sortext.errors.Hint` or a parameter's library name, and each front end
words it.  The scan keeps the command line's words out of every ``raise`` outside
``sortext/commands`` and ``sortext/cli.py``.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import given, settings
from hypothesis import strategies as st

import sortext
from sortext.cli import COMMANDS
from sortext.commands.hints import CLI_WORDS, cli_text
from sortext.errors import ACTIONS, ParameterError, RepoNotFound, SortextError, UnknownValue

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "sortext"

#: an option (``--repo``) or a command named as one types it (``sortext list``)
_COMMANDS = "|".join(sorted(map(re.escape, COMMANDS), key=len, reverse=True))
CLI_WORD = re.compile(rf"(?:(?<=[\s'\"(`])|^)--[a-z][a-z-]*|\bsortext (?:{_COMMANDS})\b")

#: modules reached only from their own command, whose messages still name options
#: (each to be given hints as the ones above were; this list may only shrink)
CLI_ONLY = {
    "sortext/check/conflicts.py": "sortext resolve's --take",
    "sortext/daemon/lock.py": "a second sortext watch",
    "sortext/daemon/serve.py": "sortext serve's --host and --allow-remote",
    "sortext/vcs/backup.py": "sortext backup",
    "sortext/vcs/erase.py": "sortext erase",
    "sortext/vcs/git.py": "git's own options (git cat-file --batch-all-objects)",
    "sortext/vcs/staged.py": "sortext check --staged",
    "sortext/vcs/sync.py": "sortext sync (and the git commands it tells to run)",
}


def _raised_words() -> dict[str, list[str]]:
    """Module -> 'line: word' of each command-line word in a string a ``raise``
    statement holds (or a hint's library text), outside the command line's modules."""
    found: dict[str, list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("sortext/commands/") or rel == "sortext/cli.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            roots: list[ast.AST] = []
            if isinstance(node, ast.Raise) and node.exc is not None:
                roots.append(node.exc)
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "hinted":
                roots.append(node)
            for root in roots:
                for sub in ast.walk(root):
                    if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                        for m in CLI_WORD.finditer(sub.value):
                            found.setdefault(rel, []).append(f"{sub.lineno}: {m.group()}")
    return found


def test_no_core_message_names_a_command_or_an_option() -> None:
    found = _raised_words()
    outside = {rel: words for rel, words in found.items() if rel not in CLI_ONLY}
    assert not outside, f"command-line words in core messages: {outside}"
    stale = sorted(set(CLI_ONLY) - set(found))
    assert not stale, f"no longer needed in CLI_ONLY: {stale}"


def test_every_hint_action_has_the_command_line_s_words() -> None:
    assert set(CLI_WORDS) == ACTIONS


def test_the_api_s_repository_not_found_names_no_cli_word(tmp_path: Path) -> None:
    with pytest.raises(RepoNotFound) as caught:
        sortext.open(tmp_path)
    text = str(caught.value)
    assert not CLI_WORD.search(text), text
    assert "sortext.yaml" in text and str(tmp_path.resolve()) in text
    assert caught.value.start == tmp_path.resolve()
    assert "--repo DIR" in cli_text(caught.value)  # the command line's own wording


def test_the_command_line_still_says_how(cli: Callable[..., Result], tmp_path: Path) -> None:
    done = cli("list", "--repo", str(tmp_path))
    assert done.exit_code == 2
    assert "run 'sortext init DIR' to create a records repository, or pass --repo DIR" in (
        done.output
    )


def test_a_session_logged_twice_names_no_option(records_repo: Path) -> None:
    from sortext.edit.emit import EditRefused
    from sortext.edit.roundtrip import RecordEditor
    from sortext.edit.routine import SessionLog, log_session

    path = records_repo / "clients" / "amara-okafor.md"
    editor = RecordEditor(path.read_bytes())
    entry = SessionLog(date=dt.date(2026, 11, 23), kind="session", focus="goals")
    log_session(editor, entry, None)
    with pytest.raises(EditRefused) as caught:
        log_session(editor, entry, None)
    assert "already logged" in str(caught.value)
    assert not CLI_WORD.search(str(caught.value)), str(caught.value)
    assert cli_text(caught.value).endswith("add --force to log it again")


_NAMES = st.sampled_from(["owner", "stage", "tag", "sort", "field", "columns", "since"])
_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)


@given(_NAMES, _TEXT, st.lists(_TEXT, max_size=4))
def test_a_parameter_is_named_by_each_front_end_in_its_own_words(
    name: str, value: str, known: list[str]
) -> None:
    errors: list[SortextError] = [
        UnknownValue(name, "thing", value, known),
        ParameterError(name, f"'{value}': cannot work"),
    ]
    for error in errors:
        assert str(error).startswith(f"{name} ") or str(error).startswith(f"{name}:")
        assert cli_text(error).startswith(f"--{name}")
        assert cli_text(error)[2:] == str(error)


# --- round 12: restore's ``at``, merge-copy's ``base_rev``, anonymise's way out --------


def _core_and_cli(call: Callable[[], object]) -> tuple[str, str]:
    """``str(error)`` of what ``call`` raises (the library's words) and the command
    line's (``cli_text``)."""
    with pytest.raises(SortextError) as caught:
        call()
    return str(caught.value), cli_text(caught.value)


def test_restore_names_its_parameter_not_an_option(records_repo: Path) -> None:
    from sortext.repo import open_repository
    from sortext.vcs.restore import restore

    repo = open_repository(records_repo)
    core, words = _core_and_cli(lambda: restore(repo, "amara-okafor"))
    assert not CLI_WORD.search(core), core
    assert words == (
        "clients/amara-okafor.md exists; give --at REV or --at DATE to bring back an "
        "earlier version"
    )
    core, words = _core_and_cli(lambda: restore(repo, "amara-okafor", "2026-02-30"))
    assert (core, words) == (
        "at '2026-02-30' is not a date (YYYY-MM-DD)",
        "--at '2026-02-30' is not a date (YYYY-MM-DD)",
    )


@settings(deadline=None, max_examples=20)
@given(at=st.from_regex(r"[a-z][a-z0-9._-]{0,12}", fullmatch=True))
def test_any_unknown_revision_is_worded_by_each_front_end(sample_base: Path, at: str) -> None:
    """Whatever ``at`` names that is not a revision, the library names its parameter
    ``at``, the command line ``--at``, and the rest of the message is the same."""
    from sortext.repo import open_repository
    from sortext.vcs import git as gitlayer
    from sortext.vcs.restore import restore

    known = gitlayer.run_full(sample_base, "rev-parse", "-q", "--verify", f"{at}^{{commit}}")
    if known.returncode == 0:
        return  # a real revision (HEAD, main): not this case
    repo = open_repository(sample_base)
    core, words = _core_and_cli(lambda: restore(repo, "amara-okafor", at))
    detail = f"{at}: no such commit (give a commit id or a date YYYY-MM-DD)"
    assert (core, words) == (f"at {detail}", f"--at {detail}")
    assert not CLI_WORD.search(core), core


def test_merge_copy_base_and_anonymise_word_their_way_out(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    import shutil

    from sortext.repo import open_repository
    from sortext.vcs.anonymise import anonymise
    from sortext.vcs.copies import merge_copy
    from sortext.vcs.erase import ErasePlan

    repo = open_repository(records_repo)
    copy = records_repo / "clients" / "amara-okafor (conflicted copy).md"
    shutil.copy(records_repo / "clients" / "amara-okafor.md", copy)
    core, words = _core_and_cli(lambda: merge_copy(repo, copy, "HEAD~5"))
    assert not CLI_WORD.search(core), core
    assert words == "--base HEAD~5: no clients/amara-okafor.md in that revision"
    done = cli("merge-copy", str(copy), "--base", "HEAD~5", "--repo", str(records_repo))
    assert done.exit_code == 2
    assert "--base HEAD~5: no clients/amara-okafor.md in that revision" in done.output
    copy.unlink()

    (records_repo / "clients" / "amara-okafor.md").unlink()
    plan = ErasePlan("amara-okafor")
    core, words = _core_and_cli(lambda: anonymise(repo, plan, dt.date(2026, 12, 1)))
    assert not CLI_WORD.search(core), core
    assert core.endswith("nothing to keep; erase it instead"), core
    assert words.endswith("nothing to keep; use sortext erase amara-okafor"), words
