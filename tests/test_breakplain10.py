"""Break-testing the client page's plain path (sortext/pages/plain.py) against Jinja.

The plain path writes the shipped ``client.html.j2`` out by hand, so it is right only
for the environment that template is read under: its delimiters, its whitespace
control (``trim_blocks``, ``lstrip_blocks``, ``keep_trailing_newline``), its line
ends, no extension rewriting the source or the token stream, and Jinja's own rule for
``x.key`` (the environment's ``getattr``) and for joining the output (``concat``).
An environment whose options differ renders the shipped text to other bytes, so its
pages must go through Jinja, which stays the reference: each page below is compared
with what Jinja renders under the same environment.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jinja2.ext import Extension

from bench.gen_pages import client_text, generate_repo
from sortext.check.load import parse_record
from sortext.errors import TemplateProblem
from sortext.pages import plain, render
from sortext.pages.build import build
from sortext.repo import open_repository
from sortext.rules import findings as rules
from sortext.views.dashboard import ClientView, client_view
from tests.test_page_plain import COMMON, ROOT, TODAY, _records
from tests.test_page_render_fast import _parsed_records, _repo_parts


class _Renames(Extension):
    """An extension that rewrites the template's source before it is lexed."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return source.replace("Needs attention", "Look here")


def _undefined_company(env: jinja2.Environment) -> None:
    """An instance's own ``x.key`` rule: a record's company is never shown."""
    stock = env.getattr

    def getattr_(obj: Any, attribute: str) -> Any:
        if attribute == "company":
            return env.undefined(obj=obj, name=attribute)
        return stock(obj, attribute)

    env.getattr = getattr_  # type: ignore[method-assign]


def _blocks(env: jinja2.Environment) -> None:
    """Other block delimiters: the shipped template's tags are then text."""
    env.block_start_string, env.block_end_string = "<%", "%>"


class _NoBilling(jinja2.runtime.Context):
    """A context whose calls (``c.section('billing')``) answer nothing."""

    def call(__self, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        return {}


def _quiet_calls(env: jinja2.Environment) -> None:
    env.context_class = _NoBilling


def _renames(env: jinja2.Environment) -> None:
    env.add_extension(_Renames)


def _shouts(env: jinja2.Environment) -> None:
    """An instance's own ``concat``: the page's text joined, then upper-cased."""
    env.concat = lambda parts: "".join(parts).upper()  # type: ignore[method-assign]


def _set(name: str, value: object) -> Callable[[jinja2.Environment], None]:
    def change(env: jinja2.Environment) -> None:
        setattr(env, name, value)

    change.__name__ = f"{name}={value!r}"
    return change


#: Changes to the build's environment after which the shipped template's text renders
#: to other bytes than the plain path writes.
CHANGES: list[Callable[[jinja2.Environment], None]] = [
    _set("trim_blocks", False),
    _set("lstrip_blocks", False),
    _set("keep_trailing_newline", False),
    _set("newline_sequence", "\r\n"),
    _set("variable_start_string", "[["),
    _blocks,
    _set("comment_start_string", "<#"),
    _renames,
    _undefined_company,
    _shouts,
    _quiet_calls,
]


def _view(seed: int = 3) -> ClientView:
    record = _parsed_records([client_text(seed, random.Random(seed))])[0]
    record.data["company"] = "Okafor & Daughters"
    return client_view(record, _repo_parts()[1], TODAY)


def _jinja(env: jinja2.Environment, view: ClientView) -> str | None:
    try:
        return env.get_template("client.html.j2").render(c=view, **COMMON)
    except (jinja2.TemplateError, TypeError, ValueError, AttributeError, LookupError):
        return None


@pytest.mark.parametrize("change", CHANGES, ids=lambda c: c.__name__)
def test_an_environment_read_under_other_options_renders_through_jinja(
    change: Callable[[jinja2.Environment], None],
) -> None:
    env = render.environment(ROOT / "no-such-repo")
    change(env)
    view = _view()
    expected = _jinja(env, view)
    if expected is None:  # Jinja cannot render the text under these options: no page
        with pytest.raises(TemplateProblem):
            plain.page_renderer(env).render("clients/c3.md", view, **COMMON)
    else:
        assert plain.page_renderer(env).render("clients/c3.md", view, **COMMON) == expected
    assert not plain.page_renderer(env).plain


def test_the_build_s_own_environment_still_takes_the_plain_path() -> None:
    env = render.environment(ROOT / "no-such-repo")
    view = _view()
    assert plain.page_renderer(env).plain
    assert plain.page_renderer(env).render("clients/c3.md", view, **COMMON) == _jinja(env, view)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_records(), st.lists(st.sampled_from(CHANGES), max_size=3, unique=True))
def test_pages_are_jinja_s_under_any_environment(
    made: tuple[str, bool], changes: list[Callable[[jinja2.Environment], None]]
) -> None:
    """The equivalence property widened to the environment: a generated record,
    rendered by the build's environment with some of its options changed, gives the
    bytes Jinja gives under that same environment."""
    validator, config = _repo_parts()
    parsed = parse_record(made[0].encode("utf-8"), "clients/c-1.md", validator)
    if parsed.record is None:
        return
    record = parsed.record
    assessment = rules.assess(record, config, TODAY)
    view = client_view(record, config, TODAY, parsed.diagnostics, False, assessment)
    env = render.environment(ROOT / "no-such-repo")
    for change in changes:
        change(env)
    expected = _jinja(env, view)
    if expected is None:  # Jinja cannot read a value: a TemplateProblem either way
        return
    assert plain.page_renderer(env).render("clients/c-1.md", view, **COMMON) == expected
    assert plain.page_renderer(env).plain is not bool(changes)


# -- the gate across builds (as a watcher runs them, in one process) ------------------


def test_a_template_edited_between_builds_is_taken_at_the_next_save(tmp_path: Path) -> None:
    """A watcher builds in one long-lived process: an edited ``_style.css`` takes the
    pages to Jinja at the next save (only one record named as changed), and removing
    it brings back the plain path's very bytes."""
    root = generate_repo(3, tmp_path / "r")
    build(open_repository(root), TODAY)
    pages = sorted((root / "site" / "clients").glob("*.html"))
    first = {p.name: p.read_bytes() for p in pages}
    shipped = (render.package_template_dir() / "_style.css").read_text("utf-8")
    (root / "templates").mkdir(exist_ok=True)
    (root / "templates" / "_style.css").write_text(shipped + "/* mine */\n", "utf-8")
    build(open_repository(root), TODAY, [root / "clients" / "client-00000.md"])
    assert all(b"/* mine */" in p.read_bytes() for p in pages)
    (root / "templates" / "_style.css").unlink()
    build(open_repository(root), TODAY, [root / "clients" / "client-00000.md"])
    assert {p.name: p.read_bytes() for p in pages} == first


@pytest.mark.parametrize(
    ("name", "edit", "plain_path"),
    [
        # Jinja's loader reads a template as text with universal newlines: a CRLF copy
        # is the shipped text, and its page the same bytes
        ("client.html.j2", lambda b: b.replace(b"\n", b"\r\n"), True),
        ("_base.html.j2", lambda b: b.replace(b"\n", b"\r"), True),
        # a byte order mark is text Jinja keeps (the loader reads utf-8, not utf-8-sig)
        ("client.html.j2", lambda b: b"\xef\xbb\xbf" + b, False),
        ("_style.css", lambda b: b"\xef\xbb\xbf" + b, False),
    ],
)
def test_a_copy_with_other_line_ends_or_a_bom_gives_jinja_s_page(
    tmp_path: Path, name: str, edit: Callable[[bytes], bytes], plain_path: bool
) -> None:
    root = generate_repo(2, tmp_path / "r")
    (root / "templates").mkdir(exist_ok=True)
    (root / "templates" / name).write_bytes(
        edit((render.package_template_dir() / name).read_bytes())
    )
    env = render.environment(root)
    pages = plain.page_renderer(env)
    assert pages.plain is plain_path
    view = _view()
    assert pages.render("clients/c3.md", view, **COMMON) == _jinja(env, view)


def test_a_config_change_between_builds_reaches_every_plain_page(tmp_path: Path) -> None:
    """``pages: {notes: false}`` saved while a watcher runs: the next save's build
    (one other record named as changed) leaves the notes off every page; nothing of
    the last build's environment or plain path is kept."""
    root = generate_repo(3, tmp_path / "r")
    build(open_repository(root), TODAY)
    pages = sorted((root / "site" / "clients").glob("*.html"))
    assert all(b'id="notes"' in p.read_bytes() for p in pages)
    config = root / "sortext.yaml"
    config.write_text(config.read_text("utf-8") + "\npages: {notes: false}\n", "utf-8")
    build(open_repository(root), TODAY, [root / "clients" / "client-00001.md"])
    assert not any(b'id="notes"' in p.read_bytes() for p in pages)
