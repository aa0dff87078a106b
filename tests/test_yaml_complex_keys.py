"""A key the fast reader cannot make a dict key (a mapping, or one holding a list)
is a located refusal, never ``internal error: TypeError``.

yaml_rs raises ``TypeError: unhashable type`` building such a dict; ruamel.yaml's
feature scan, which refuses complex keys first, gives up on text it cannot parse
(a tab after ``id:``), so the fast reader saw the key.  Found by hypothesis in
``tests/test_versions.py``: ``id: \\t`` then ``? name: []``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.record.diagnostics import Diagnostic
from sortext.record.yamlread import load_data, load_fast, load_round_trip

KEY_REFUSAL = "a key must be plain text, not a list or mapping"


def test_the_example_is_refused_at_the_key(tmp_path: Path) -> None:
    text = "id: \t\n? name: []\n"
    for read in (load_data, load_fast, load_round_trip):
        found = read(text)
        assert isinstance(found, Diagnostic), read
        assert (found.line, found.column, found.message) == (2, 1, KEY_REFUSAL)


def test_check_names_the_file_and_goes_on(tmp_path: Path) -> None:
    """The CLI: a located error for the record, the other record still checked."""
    from tests.conftest import sample_records

    root = sample_records(tmp_path / "records")
    (root / "clients" / "odd-key.md").write_text("---\nid: \t\n? name: []\n---\n", "utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "sortext", "check", "--repo", str(root)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "internal error" not in done.stdout + done.stderr
    assert f"clients/odd-key.md:3:1: error: {KEY_REFUSAL}" in done.stdout + done.stderr


_LIST = st.sampled_from(["[]", "[a]", "[[b]]", "[a, [b]]", "[{a: 1}]"])
_MAPPING = st.builds(lambda k, v: f"{{{k}: {v}}}", st.sampled_from(["a", "name", "? b"]), _LIST)
# A complex key: explicit ("? name: []", "? [a]") or a flow collection used as a key.
_KEY = st.one_of(
    st.builds(lambda k, v: f"? {k}: {v}", st.sampled_from(["name", "a", "id"]), _LIST),
    st.builds(lambda k: f"? {k}", st.one_of(_LIST, _MAPPING)),
    st.builds(lambda k: f"{k}: 1", st.one_of(_LIST, _MAPPING)),
    st.builds(lambda k: f"x: {{? {k} : 1}}", st.one_of(_LIST, _MAPPING)),
)
# Lines before it that ruamel.yaml's feature scan cannot parse (a tab where YAML
# wants none) but yaml_rs reads, or that both read.
_BEFORE = st.lists(
    st.sampled_from(["id: \t", "name:\t", "x: \t# c", "id: x", "a: 1", "- b", ""]), max_size=3
)


@settings(max_examples=600, deadline=None)
@given(_BEFORE, st.sampled_from(["", "  ", "\t"]), _KEY, st.sampled_from(["", "\n: 2", "\nz: 3"]))
def test_any_complex_key_is_a_value_or_a_refusal(
    before: list[str], indent: str, key: str, after: str
) -> None:
    """Complex keys after lines only one reader parses: every reader returns a value
    or a Diagnostic, never raises."""
    text = "\n".join([*before, indent + key]) + after + "\n"
    for read in (load_data, load_fast, load_round_trip):
        read(text)  # raising fails the test
