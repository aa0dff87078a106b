"""Erase's sentence scan finds a sentence of the client's notes in a kept HTML copy.

A saved page (sortext's own site/ pages, a browser's "save as", an e-mail kept as
HTML) writes the notes' apostrophes, ampersands and quotes as character references
(``brother&#39;s``, ``&amp;``).  The identifier scan already looks for those spellings
(see ErasePlan's escaped forms); the sentence patterns matched the characters only, so
a quoted sentence holding one of them went unreported in such a copy and erase said
clean.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import SAMPLE_TODAY, git
from tests.test_breakerase9 import ID, MARKED, RECORD

QUOTED = 'Worried that her brother\'s loan & the "bridge" debts will sink the firm.'


@pytest.mark.parametrize(
    "spelling",
    [
        html.escape(QUOTED),  # brother&#x27;s, &amp;, &quot;
        html.escape(QUOTED).replace("&#x27;", "&#39;").replace("&quot;", "&#34;"),  # Jinja
    ],
)
def test_a_sentence_in_a_kept_html_copy_is_reported(
    records_repo: Path, cli: Callable[..., Result], spelling: str
) -> None:
    root = records_repo
    (root / RECORD).write_text(MARKED + f"\n{QUOTED}\n", "utf-8")
    git(root, "add", "-A")
    git(root, "commit", "--quiet", "--no-verify", "-m", "the client")
    kept = root / "saved" / "page.html"  # outside git
    kept.parent.mkdir()
    kept.write_text(f"<html><body>\n<p>{spelling}</p>\n</body></html>\n", "utf-8")

    result = cli("erase", ID, "--yes", "--today", SAMPLE_TODAY, "--repo", str(root))
    told = [x.strip() for x in result.output.splitlines() if "sentence of the client" in x]
    assert any("saved/page.html, line 2" in x for x in told), result.output
    assert result.exit_code == 1, result.output


@given(
    st.lists(
        st.text(st.sampled_from("abcXYZé'&\"<>0"), min_size=1, max_size=8),
        min_size=4,
        max_size=8,
    )
)
def test_every_html_spelling_of_a_sentence_is_found(words: list[str]) -> None:
    """The class: any sentence, written as is or by either common HTML escaper."""
    from sortext.vcs.erasetext import Matcher, Sentence, _pattern

    text = " ".join(words)
    matcher = Matcher.of([Sentence(text, _pattern(text))])
    jinja = html.escape(text).replace("&#x27;", "&#39;").replace("&quot;", "&#34;")
    for spelling in (text, html.escape(text), jinja):
        data = f"..\n{spelling}\n..\n".encode()
        assert [line for line, _ in matcher.find(data)] == [2], spelling
