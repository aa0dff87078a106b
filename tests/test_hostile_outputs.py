"""Record text in outputs that are not the terminal (issue 12, item 3).

A git commit message is made from record values (``next_action.what Call ->
...``); ``git log`` prints it raw to a terminal, and its lines are parsed (a
trailer such as ``Signed-off-by:`` at the end is metadata).  Every line is the
record's text made inert, so a value cannot forge a line, a trailer or a
terminal sequence.  The property test generates any value text.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.errors import ConfigError
from sortext.schema.config import load_config
from sortext.schema.validate import RecordValidator
from sortext.vcs.messages import commit_message
from tests.conftest import PROJECT_ROOT

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
OLD = (
    b"---\nname: Amy\nstage: inquiry\nowner: me\n"
    b"next_action: {what: Call, due: 2026-11-25}\n---\nn\n"
)


def validator(tmp: Path) -> RecordValidator:
    shutil.copy(PROJECT_ROOT / "sortext" / "skeleton" / "sortext.yaml", tmp / "sortext.yaml")
    return RecordValidator(load_config(tmp))


def record(name: str, what: str) -> bytes:
    return (
        f"---\nname: {json.dumps(name)}\nstage: inquiry\nowner: me\n"
        f"next_action: {{what: {json.dumps(what)}, due: 2026-11-25}}\n---\nn\n"
    ).encode()


def test_a_value_cannot_forge_a_trailer_or_a_terminal_sequence(tmp_path: Path) -> None:
    new = record("Amy\u202eevil", "Call\n\nSigned-off-by: Mallory <m@example.com>")
    message = commit_message(
        validator(tmp_path), {"clients/amy.md": new}, {"clients/amy.md": OLD}, {}
    )
    assert message.count("\n") == 1  # one record: one line
    assert "\u202e" not in message
    assert "Amy\\u202eevil" in message
    assert "Call\\x0a\\x0aSigned-off-by: Mallory" in message


# What a value may hold that acts on a terminal or a message's lines (newline and
# bidi controls are valid in a value; C0/C1 make it invalid, so it is left out).
VALUE = st.text(
    alphabet=st.sampled_from(["a", " ", ":", "\n", "\r", "\t", "\u202e", "\u2066", "\x1b", "é"]),
    min_size=1,
    max_size=40,
) | st.text(min_size=1, max_size=40)


@settings(max_examples=150, deadline=None)
@given(VALUE, VALUE)
def test_every_commit_line_is_one_inert_line(name: str, what: str) -> None:
    """Two records changed with any name/action text: the message is a subject, a
    blank line and exactly one line per record, none holding a control character."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        v = validator(Path(tmp))
        new = record(name, what)
        message = commit_message(
            v,
            {"clients/amy.md": new, "clients/bo.md": new},
            {"clients/amy.md": OLD, "clients/bo.md": OLD},
            {},
        )
    lines = message.split("\n")
    assert len(lines) == 5, message  # subject, blank, two records, final ""
    assert lines[2].startswith("amy: ") and lines[3].startswith("bo: ")
    assert CONTROL.search(message.replace("\n", "")) is None


# --- per-owner page names (site/owners/<slug>.html) -------------------------------


def _people_config(tmp: Path, people: list[str]) -> Any:
    shutil.copy(PROJECT_ROOT / "sortext" / "skeleton" / "sortext.yaml", tmp / "sortext.yaml")
    text = (tmp / "sortext.yaml").read_text()
    (tmp / "sortext.yaml").write_text(text.replace("people: [me]", f"people: {json.dumps(people)}"))
    return load_config(tmp)


def test_two_people_folding_to_one_name_get_two_pages(tmp_path: Path) -> None:
    """``me`` and ``Me`` both folded to ``me.html``: the second page overwrote the first."""
    from sortext.views.day import _owners

    owners = _owners(_people_config(tmp_path, ["me", "Me"]))
    assert [p for p, _ in owners] == ["me", "Me"]
    assert owners[0][1] == "me"
    assert owners[1][1].startswith("me-") and owners[1][1] != "me"


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.sampled_from(["me", "Me", " me", "ME ", "ann", "Ann", "a_b", "x/y", "..", "é"])
        | st.lists(st.text(max_size=12), max_size=6)
    )
)
def test_owner_pages_are_distinct_safe_file_names(people: list[str]) -> None:
    """Any people list: each page name is a distinct safe file name (no ``/``, no dot
    names, at most 100 characters), one per distinct person at most."""
    import tempfile

    from sortext.views.day import _owners

    with tempfile.TemporaryDirectory() as tmp:
        try:
            config = _people_config(Path(tmp), people)
        except ConfigError:  # a people list the config schema refuses: not this kind
            return
    owners = _owners(config)
    slugs = [s for _, s in owners]
    assert len(set(slugs)) == len(slugs)
    assert len({p for p, _ in owners}) == len(owners)
    for slug in slugs:
        assert re.fullmatch(r"[a-z0-9][a-z0-9_-]*", slug) and len(slug) <= 100


# --- a message naming a second line names a line of the file ----------------------


def _cited(cli_output: str) -> tuple[int, int]:
    """(line of the problem, line the message cites) from check's first diagnostic."""
    match = re.search(r"\.md:(\d+):\d+: error: .*line (\d+)\)", cli_output)
    assert match, cli_output
    return int(match.group(1)), int(match.group(2))


def test_a_duplicate_key_message_cites_the_files_line(cli: Any, empty_repo: Path) -> None:
    """'first written on line 5' pointed one line above the first ``tags:`` (line 6):
    the line was counted in the YAML text, without the opening ``---``."""
    (empty_repo / "clients" / "kay.md").write_text(
        "---\nname: Kay\nstage: inquiry\nowner: me\nnext_action: {what: Call, due: 2026-12-01}\n"
        "tags: [a]\ntags: [b]\n---\nn\n"
    )
    assert _cited(cli("check", "--repo", str(empty_repo)).output) == (7, 6)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=0, max_value=6),
    st.integers(min_value=0, max_value=4),
    st.sampled_from([("tags", "tags"), ("1", "true"), ("0", "false"), ("1", "1.0")]),
)
def test_every_same_key_message_cites_the_first_keys_file_line(
    before: int, between: int, keys: tuple[str, str]
) -> None:
    """Filler lines before and between two keys that collide (the same text, or
    two texts one Python reader takes for one key): the message cites the file
    line of the first key, and points at the second."""
    import tempfile

    from click.testing import CliRunner

    from sortext.cli import main

    first, second = keys
    nested = first != "tags"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copy(PROJECT_ROOT / "sortext" / "skeleton" / "sortext.yaml", root / "sortext.yaml")
        (root / "clients").mkdir()
        lines = ["---", "name: Kay", "stage: inquiry", "owner: me"]
        lines += [f"# filler {i}" for i in range(before)]
        indent = "  " if nested else ""
        if nested:
            lines.append("links:")
        at = len(lines) + 1
        lines.append(f"{indent}{first}: [a]" if not nested else f"{indent}{first}: a")
        lines += [f"{indent}# between {i}" for i in range(between)]
        lines.append(f"{indent}{second}: [b]" if not nested else f"{indent}{second}: b")
        again = len(lines)
        lines += ["---", "n", ""]
        (root / "clients" / "kay.md").write_text("\n".join(lines))
        output = CliRunner().invoke(main, ["check", "--repo", str(root)]).output
    assert _cited(output) == (again, at)
