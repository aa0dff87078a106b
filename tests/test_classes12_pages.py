"""Record text in the generated pages is data: it cannot link, embed, or reorder.

Two escapes found by trying each hostile class on the pages channel:

- NEXT.md printed a client's ``owner`` (free text: an owner outside ``people`` is
  only a warning), the stage and an error's field path (a record's own key) without
  Markdown escaping, so ``owner: "![x](https://tracker/p.png)"`` put a tracking
  image on the page the git host renders, and an unknown key ``"[k](https://x)"`` a
  link;
- the HTML pages and NEXT.md passed bidi controls and invisible characters as they
  are, so ``what: "Call \\u202eback"`` shown in a table cell reversed everything
  after it in the cell (the owner, the due date), where the terminal, the calendar
  and git messages already show ``\\u202e``.

The channel functions (:func:`~sortext.pages.render.md_escape`,
:func:`~sortext.pages.render.escape_text` and the escaper the plain client page
uses, the notes' renderer) now make those characters visible, and every ``{{ }}`` of
the Markdown templates goes through ``md`` unless it is one of the code's own
values (a structural check below, so a new line that forgets it fails here).
"""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2 import nodes

from sortext.cli import main
from sortext.pages.render import (
    escape_text,
    md_escape,
    notes_html,
    package_template_dir,
    text_escaper,
)
from tests.conftest import SAMPLE_TODAY, git

# What a renderer acts on: controls, bidi embeddings/overrides/isolates and marks,
# zero-width characters, line and paragraph separators, the BOM.
ACTS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]"
)
# A Markdown link, image or raw HTML tag that an unescaped value could start.
_MD_ACTIVE = re.compile(r"(?<!\\)\]\((?!site/clients/)|(?<!\\)<[A-Za-z/!]")

HOSTILE = st.lists(
    st.sampled_from(
        [
            *"ab [](){}<>|`*_#!\\:/.=",
            *("https://x.invalid/p.png", "\u202e", "\u202d", "\u2066", "\u2069", "\u200f"),
            *("\u200b", "\u2028", "\u2029", "\x1b", "\x85", "\ufeff", "\n", "\t", "é", "\u05d0"),
        ]
    ),
    max_size=40,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(HOSTILE)
def test_md_escape_leaves_no_markup_and_nothing_a_renderer_acts_on(text: str) -> None:
    out = md_escape(text)
    assert not ACTS.search(out)
    assert "\n" not in out
    # every Markdown-special character is escaped: removing the escapes leaves none
    assert not re.search(r"(?<!\\)[`*_\[\]<>|#]", re.sub(r"\\\\", "", out))


@settings(max_examples=300, deadline=None)
@given(HOSTILE)
def test_html_escapers_leave_no_tag_and_nothing_a_renderer_acts_on(text: str) -> None:
    for out in (escape_text(text), text_escaper()(text), str(notes_html(text))):
        assert not ACTS.search(out)
    assert "<" not in escape_text(text) and "<" not in text_escaper()(text)


def test_a_bidi_override_is_shown_not_obeyed_in_html_and_markdown() -> None:
    assert escape_text("Call \u202eback") == "Call \\u202eback"
    assert md_escape("Call \u202eback") == "Call \\\\u202eback"  # shows \u202e
    assert "\\u202e" in str(notes_html("Notes \u202eabc"))


def _show(n: nodes.Node) -> str:
    """A Jinja expression as short text, for the list of unescaped outputs."""
    if isinstance(n, nodes.Name):
        return n.name
    if isinstance(n, nodes.Getattr):
        return f"{_show(n.node)}.{n.attr}"
    if isinstance(n, nodes.Const):
        return repr(n.value)
    if isinstance(n, nodes.Call):
        return f"{_show(n.node)}({', '.join(_show(a) for a in n.args)})"
    if isinstance(n, nodes.Filter):
        return f"{_show(n.node)}|{n.name}"  # type: ignore[arg-type]
    if isinstance(n, nodes.BinExpr):
        return f"({_show(n.left)} {n.operator} {_show(n.right)})"
    if isinstance(n, nodes.CondExpr):
        return f"({_show(n.expr1)} if ...)"
    return type(n).__name__


def _escaped(n: nodes.Node) -> bool:
    """The expression's text goes through ``md`` (or is a constant)."""
    if isinstance(n, nodes.Filter):
        if n.name == "md":
            return True
        if n.name == "join" and isinstance(n.node, nodes.Filter) and n.node.name == "map":
            return any(isinstance(a, nodes.Const) and a.value == "md" for a in n.node.args)
    if isinstance(n, nodes.Const):
        return True
    if isinstance(n, nodes.CondExpr):
        parts = [n.expr1, n.expr2] if n.expr2 is not None else [n.expr1]
        return all(_escaped(p) for p in parts)
    if isinstance(n, nodes.Concat):
        return all(_escaped(p) for p in n.nodes)
    return False


# The code's own values: numbers, dates, section titles, the page's macros (whose
# own outputs are checked too) and a slug made a URL path.
OWN_VALUES = {
    "id|urlpath",
    "l.record_id|urlpath",
    "(items|length - limit)",
    "d.today",
    "d.count('overdue')",
    "d.count('today')",
    "d.count('soon')",
    "d.count('missing')",
    "soon_days|count",
    "d.invoices_overdue|length|count",
    "d.at_risk|length",
    "day.unfiled",
    "w.day.isoformat()",
    "(w.more - w.more_overdue)",
    "title",
    "n.days|days",
    "e.first.line",
    "e.first.column",
    "(e.count - 1)",
    "weekly.since",
    "weekly.today",
    "g.title",
    "g.total",
    "g.more",
}


def test_every_value_of_the_markdown_templates_is_escaped() -> None:
    env = jinja2.Environment()
    unescaped = set()
    for name in ("NEXT.md.j2", "_changes.md.j2"):
        tree = env.parse((package_template_dir() / name).read_text(encoding="utf-8"))
        for output in tree.find_all(nodes.Output):
            for expr in output.nodes:
                if isinstance(expr, nodes.TemplateData) or _escaped(expr):
                    continue
                macro = isinstance(expr, nodes.Call) and isinstance(expr.node, nodes.Name)
                if macro and expr.node.name in ("who", "more"):  # type: ignore[attr-defined]
                    continue  # the page's macros
                unescaped.add(_show(expr))
    assert unescaped <= OWN_VALUES, unescaped - OWN_VALUES


def _build(root: Path) -> tuple[str, dict[str, str]]:
    result = CliRunner().invoke(
        main, ["build", "--repo", str(root), "--today", SAMPLE_TODAY], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    pages = {p.name: p.read_text(encoding="utf-8") for p in (root / "site").rglob("*.html")}
    return (root / "NEXT.md").read_text(encoding="utf-8"), pages


def test_owner_stage_and_field_names_cannot_link_or_embed_in_next_md(records_repo: Path) -> None:
    clients = records_repo / "clients"
    (clients / "yan-md.md").write_text(
        "---\nname: Yan Md\nemail: yan@example.com\nstage: discovery\n"
        'owner: "![x](https://track.invalid/p.png) <img src=x>"\n---\n',
        encoding="utf-8",
    )
    (clients / "zoe-key.md").write_text(
        "---\nname: Zoe Key\nemail: zoe@example.com\nstage: inquiry\n"
        '"[k](https://evil.invalid)": 1\n---\n',
        encoding="utf-8",
    )
    (clients / "ada-bidi.md").write_text(
        "---\nname: Ada Bidi\nemail: ada@example.com\nstage: discovery\nowner: maya\n"
        'next_action: {what: "Call \\u202eback \\u2066x", owner: maya, due: 2026-11-20}\n---\n'
        "Notes \u202e reversed\n",
        encoding="utf-8",
    )
    git(records_repo, "add", "-A")
    next_md, pages = _build(records_repo)
    assert "track.invalid" in next_md and "evil.invalid" in next_md  # both shown ...
    assert not _MD_ACTIVE.search(next_md), _MD_ACTIVE.search(next_md)  # ... as text
    assert "Call \\\\u202eback" in next_md
    for name, text in [("NEXT.md", next_md), *pages.items()]:
        assert not ACTS.search(text), (name, ACTS.search(text))
    assert "Call \\u202eback" in pages["ada-bidi.html"]
    assert "Notes \\u202e reversed" in pages["ada-bidi.html"]


_NAME_TEXT = (
    st.lists(
        st.sampled_from([*"ab []()<>|`*_#!", "\u202e", "\u2066", "\u200b", "https://t.invalid"]),
        min_size=1,
        max_size=24,
    )
    .map("".join)
    .filter(lambda t: t.strip() != "")
)


@settings(max_examples=8, deadline=None)
@given(owner=_NAME_TEXT, what=_NAME_TEXT)
def test_generated_owners_and_actions_stay_text_on_every_page(owner: str, what: str) -> None:
    import json
    import shutil
    import tempfile

    from tests.conftest import sample_records

    base = Path(tempfile.mkdtemp(prefix="classes12-"))
    try:
        root = sample_records(base / "records")
        for n in root.joinpath("clients").glob("*.md"):
            if n.name not in ("amara-okafor.md",):
                n.unlink()
        (root / "clients" / "hana-gen.md").write_text(
            "---\nname: Hana Gen\nemail: hana@example.com\nstage: discovery\n"
            f"owner: {json.dumps(owner)}\n---\n",
            encoding="utf-8",
        )
        (root / "clients" / "ivo-gen.md").write_text(
            "---\nname: Ivo Gen\nemail: ivo@example.com\nstage: discovery\nowner: maya\n"
            f"next_action: {{what: {json.dumps(what)}, owner: {json.dumps(owner)}, "
            "due: 2026-11-20}\n---\n",
            encoding="utf-8",
        )
        next_md, pages = _build(root)
        assert not _MD_ACTIVE.search(next_md)
        for text in [next_md, *pages.values()]:
            assert not ACTS.search(text)
    finally:
        shutil.rmtree(base, ignore_errors=True)
