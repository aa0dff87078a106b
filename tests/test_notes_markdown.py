"""Client notes to HTML (comrak): CommonMark as the reference renderer gives it, and no
input, however hostile, yields markup beyond plain document tags or a script link."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from sortext.pages.render import notes_html

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
DOCUMENT_TAGS = {
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "blockquote",
    "pre",
    "code",
    "em",
    "strong",
    "a",
    "img",
    "br",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
PIECES = [
    "# ",
    "## ",
    "- ",
    "1. ",
    "> ",
    "```\n",
    "    ",
    "*",
    "_",
    "`",
    "[",
    "](",
    ")",
    "<",
    ">",
    "&amp;",
    "&",
    "|",
    "---",
    "\n",
    "\n\n",
    "  \n",
    "\\",
    "!",
    "http://x.io",
    "<script>",
    "</b>",
    "<img src=x onerror=alert(1)>",
    "javascript:alert(1)",
    "data:text/html,x",
    "| a | b |\n|---|---|\n| 1 | 2 |\n",
    "word",
    "é",
    " ",
    "\x00",
]


def _assert_inert(html: str) -> None:
    assert set(re.findall(r"<\s*/?\s*([a-zA-Z0-9]+)", html)) <= DOCUMENT_TAGS, html
    assert not re.search(r'(?:href|src)="\s*(?:javascript|data|vbscript):', html, re.I), html
    for attributes in re.findall(r"<[a-zA-Z0-9]+([^>]*)>", html):
        names = set(re.findall(r'([a-zA-Z-]+)="[^"]*"', attributes))
        assert names <= {"href", "src", "alt", "title", "class", "align", "start"}, html


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_markdown_pieces_render_inert(text: str) -> None:
    _assert_inert(str(notes_html(text)))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text_renders_inert(text: str) -> None:
    _assert_inert(str(notes_html(text)))


def test_hostile_sizes_and_nesting() -> None:
    for text in ["[" * 100_000, ">" * 50_000, "*" * 100_000 + "a", "- " * 30_000, "`" * 50_000]:
        _assert_inert(str(notes_html(text)))


def test_samples_render_as_the_reference_commonmark_renderer() -> None:
    bodies = [
        p.read_text(encoding="utf-8").split("\n---\n", 1)[1]
        for p in sorted((ROOT / "clients").glob("*.md"))
    ]
    assert bodies
    for body in bodies:
        assert str(notes_html(body)) == REFERENCE.render(body)


def test_raw_html_is_shown_as_text_and_script_links_lose_their_target() -> None:
    html = str(notes_html("<script>alert(1)</script>\n\nsee <b>this</b> [x](javascript:alert(2))"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;this&lt;/b&gt;" in html
    assert 'href="javascript:' not in html and "<script" not in html
