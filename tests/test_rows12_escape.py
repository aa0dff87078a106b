"""The subject-access export's HTML ``<title>`` is escaped by the pages' escaper.

Found in review: the title used ``html.escape``, so a bidi override (U+202E) or a
zero-width character in a client's name reached the page as it is, while every
other page sortext writes makes them visible (``\\u202e``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from click.testing import Result
from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.files.inert import clean
from sortext.pages.render import escape_text
from tests.conftest import git

_HOSTILE = st.text(
    alphabet=st.sampled_from(list("Ann <>&\"'é\u202e\u202d\u2066\u200b\u200f\u2028\x85")),
    min_size=1,
    max_size=20,
)


@settings(max_examples=60, deadline=None)
@given(name=_HOSTILE)
def test_the_title_is_escaped_as_the_pages_are(name: str) -> None:
    from sortext.io.subject import subject_page

    page = subject_page({"record": {"name": name}}, "x", "# Data")
    found = re.search("<title>(.*)</title>", page, re.DOTALL)
    assert found is not None
    title = found.group(1)
    assert title == escape_text(f"Data held about {name}")
    assert "<" not in title and ">" not in title
    assert clean(title, newlines=True) == title  # nothing a renderer acts on is left


def test_a_bidi_override_in_the_name_is_visible_in_the_title() -> None:
    from sortext.io.subject import subject_page

    page = subject_page({"record": {"name": "Ann \u202eevil"}}, "x", "# Data")
    assert "<title>Data held about Ann \\u202eevil</title>" in page


def test_the_exported_page_shows_a_bidi_override_in_the_name(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    path = records_repo / "clients" / "amara-okafor.md"
    text = path.read_text("utf-8").replace("name: Amara Okafor", "name: Amara \u202eOkafor", 1)
    path.write_text(text, "utf-8")
    git(records_repo, "commit", "--quiet", "-am", "name")
    out = tmp_path / "sar"
    result = cli("export", "client", "amara-okafor", "--out", str(out), "--repo", str(records_repo))
    assert result.exit_code == 0, result.output
    page = (out / "amara-okafor.html").read_text("utf-8")
    assert "<title>Data held about Amara \\u202eOkafor</title>" in page, page[:300]
