"""The client page's plain path (sortext/pages/plain.py) gives the bytes Jinja gives.

Jinja, rendering the shipped ``client.html.j2``, is the reference: generated records
(hostile text with HTML, control and bidi characters; fields missing, emptied or of
another type; every stage; goals, invoices, sessions, blockers, links; error
banners; notes with each Markdown construct) are rendered through both and compared
byte for byte.  And the plain path is taken only for the shipped templates: another
client template, an edited include or another environment goes through Jinja.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jinja2
import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bench.gen_pages import client_text, generate_repo
from sortext.check.load import parse_record
from sortext.pages import plain, render
from sortext.pages.build import LIST_LIMIT, build
from sortext.record.diagnostics import Diagnostic
from sortext.repo import open_repository
from sortext.rules import findings as rules
from sortext.views.dashboard import ClientView, client_view
from tests.test_page_render_fast import _parsed_records, _repo_parts

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 23)
COMMON = {"limit": LIST_LIMIT, "soon_days": 7, "invoice_days": 14}
STAGES = ["inquiry", "discovery", "proposal", "contracted", "active", "review", "completed"]
STAGES += ["paused", "lost", "no-such-stage", ""]


@pytest.fixture(scope="module")
def env() -> jinja2.Environment:
    return render.environment(ROOT / "no-such-repo")


def _pages(env: jinja2.Environment) -> plain.ClientPages:
    pages = plain.ClientPages(env, env.get_template("client.html.j2"))
    assert pages.plain
    return pages


# -- the shipped templates ------------------------------------------------------------


def test_the_plain_path_was_written_from_the_shipped_templates(env: jinja2.Environment) -> None:
    """A change to client.html.j2, _base.html.j2 or _style.css fails here: bring
    ClientPages._plain in line with it, then SHIPPED_DIGEST (until then the build
    renders client pages through Jinja: see the bypass tests below)."""
    folder = render.package_template_dir()
    digest = hashlib.sha256()
    for name in plain.CLIENT_TEMPLATES:
        digest.update((folder / name).read_bytes() + b"\0")
    assert digest.hexdigest() == plain.SHIPPED_DIGEST
    assert plain.templates_digest(env) == plain.SHIPPED_DIGEST
    assert plain.page_renderer(env).plain
    assert plain.page_renderer(env) is plain.page_renderer(env)  # made once an environment


def test_the_bench_s_records_render_alike_without_falling_back(env: jinja2.Environment) -> None:
    rng = random.Random(15)
    records = _parsed_records([client_text(i, rng) for i in range(60)])
    config = _repo_parts()[1]
    pages = _pages(env)
    template = env.get_template("client.html.j2")
    for record in records:
        view = client_view(record, config, TODAY, [], False, rules.assess(record, config, TODAY))
        assert pages._plain(view) == template.render(c=view, **COMMON)


# -- generated records ------------------------------------------------------------------

_bidi = "\u202e\u202d\u2066\u2067\u2068\u2069\u200f\u200e\u061c"
_controls = "".join(chr(c) for c in (*range(1, 32), 127, 0x85, 0x2028, 0x2029))
_hostile = st.text(
    alphabet=st.sampled_from(list("<>&\"'`/=:;# _-ab2026.0%") + list(_bidi) + list(_controls))
    | st.characters(codec="utf-8", exclude_characters="\x00"),
    max_size=24,
) | st.sampled_from(
    [
        "",
        " ",
        "<script>alert(1)</script>",
        "a & b",
        "&amp;",
        "\"quoted\" 'single'",
        "2026-11-17",
        "due 2026-11-17 and 2027-01-02",
        "javascript:alert(1)",
        "https://example.com/a?b=<c>&d",
        "mailto:ada@example.com",
        "tel:+44 20 7946 0000",
        "contracts/a.pdf",
        "evil\u202egnp.exe",
        "line\u2028sep",
        "{{ c.record }}",
        "{% raw %}",
    ]
)
_text = _hostile.map(lambda t: t.strip()) | _hostile
_dates = st.dates(dt.date(2025, 1, 1), dt.date(2027, 12, 31))
_odd = st.one_of(
    st.none(),
    st.integers(-(10**6), 10**6),
    st.floats(-1e6, 1e6, allow_nan=False),
    st.booleans(),
    _dates,
    _dates.map(dt.date.isoformat),
    st.lists(_text, max_size=3),
    st.dictionaries(st.sampled_from(["a", "b_c", "date"]), _text, max_size=2),
)

# (path into the front matter, may it be of another type than text); a list index
# beyond the list's end is skipped
_FIELDS = [
    ("name",),
    ("company",),
    ("owner",),
    ("email",),
    ("phone",),
    ("tags",),
    ("next_action", "what"),
    ("next_action", "owner"),
    ("next_action", "due"),
    ("billing", "plan"),
    ("billing", "rate"),
    ("billing", "currency"),
    ("billing", "per"),
    ("billing", "payment_method"),
    ("billing", "terms_days"),
    ("billing", "renewal"),
    ("dates", "first_contact"),
    ("dates", "next_review"),
    ("dates", "my_own_date"),
    ("consent", "data_use"),
    ("consent", "contact"),
    ("consent", "given_on"),
    ("links", "contract"),
    ("links", "website"),
    ("links", "email_thread"),
    ("invoices", 0, "id"),
    ("invoices", 0, "amount"),
    ("invoices", 1, "currency"),
    ("invoices", 1, "status"),
    ("invoices", 0, "due"),
    ("sessions", 0, "kind"),
    ("sessions", -1, "focus"),
    ("sessions", -1, "date"),
    ("sessions", -1, "time"),
    ("sessions", -1, "score"),
    ("sessions", -1, "status"),
    ("sessions", -1, "commitments"),
    ("sessions", "held", "score"),
    ("sessions", "held", "focus"),
    ("sessions", "held", "kind"),
    ("sessions", "held", "commitments"),
    ("blockers", 0, "what"),
    ("blockers", 0, "waiting_on"),
    ("blockers", 0, "since"),
    ("goals", 0, "title"),
    ("goals", 0, "measure"),
    ("goals", 0, "by"),
    ("goals", 1, "baseline"),
    ("goals", 1, "target"),
    ("measurements", 0, "value"),
    ("measurements", 0, "note"),
]
_MISSING = object()  # the key removed

_MARKDOWN = [
    "# Heading <b>one</b>",
    "## 2026-11-17 session",
    "Plain *emphasis*, **strong**, `code <x>` and ~~struck~~.",
    "[a link](https://example.com/?q=<x>&y) and [bad](javascript:alert(1))",
    "[relative](contracts/a.pdf) and [fragment](#notes) and <https://auto.example>",
    "![image](https://example.com/i.png) ![local](files/i.png)",
    "> a quote\n> with <i>html</i>",
    "- one\n- two\n  - nested\n\n1. first\n2. second",
    "```\ncode <script>\n```",
    "    indented code &amp;",
    "| a | b |\n|---|---|\n| <c> | d & e |",
    "<div onclick='x()'>raw html block</div>",
    "line with hard break  \nnext",
    "---",
    "&copy; &#x202e; &nbsp; entities",
    "a footnote[^1]\n\n[^1]: the note",
]


@st.composite
def _records(draw: st.DrawFn) -> tuple[str, bool]:
    """A client file (front matter and notes) made from a bench record with fields
    changed, and whether any changed value was of another type than text."""
    rng = random.Random(draw(st.integers(0, 10**6)))
    text = client_text(draw(st.integers(0, 99_999)), rng)
    _, front, body = text.split("---\n", 2)
    data: dict[str, Any] = yaml.safe_load(front)
    odd = False
    data["stage"] = draw(st.sampled_from(STAGES))
    for path in draw(st.lists(st.sampled_from(_FIELDS), max_size=10)):
        value = draw(st.sampled_from([_MISSING]) | _text | (_odd if path[0] != "name" else _text))
        odd = odd or not (value is _MISSING or isinstance(value, str))
        if path == ("tags",):
            odd = odd or isinstance(value, str)
        _put(data, path, value)
    if draw(st.booleans()):
        data["consent"] = {"data_use": draw(st.booleans()), "contact": draw(_text)}
    notes = draw(st.lists(st.sampled_from(_MARKDOWN) | _text, max_size=6))
    front = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    return f"---\n{front}---\n{body}\n" + "\n\n".join(notes) + "\n", odd


def _put(data: dict[str, Any], path: tuple[Any, ...], value: object) -> None:
    where: Any = data
    for step in path[:-1]:
        if step == "held" and isinstance(where, list):  # the session the page says was last
            held = [
                i
                for i, s in enumerate(where)
                if isinstance(s, dict)
                and s.get("status") == "held"
                and str(s.get("date")) <= "2026-11-23"
            ]
            if not held:
                return
            step = max(held, key=lambda i: str(where[i].get("date")))
        if isinstance(step, int):
            if not isinstance(where, list) or not where or step >= len(where):
                return
        elif not isinstance(where, dict) or not isinstance(where.get(step), dict | list):
            if not isinstance(where, dict):
                return
            where[step] = {}
        where = where[step]
    if not isinstance(where, dict):
        return
    if value is _MISSING:
        where.pop(path[-1], None)
    else:
        where[path[-1]] = value


_diagnostics = st.builds(
    Diagnostic,
    st.just("clients/c.md"),
    st.integers(1, 99),
    st.integers(1, 99),
    _text,
    _text,
    st.sampled_from(["error", "warning"]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    _records(),
    st.lists(_diagnostics, max_size=3),
    st.booleans(),
    st.none() | st.booleans(),
    st.none() | st.booleans(),
    st.none() | _text,
    st.none() | _text,
)
def test_plain_pages_are_the_pages_jinja_renders(
    env: jinja2.Environment,
    made: tuple[str, bool],
    extra: list[Diagnostic],
    stale: bool,
    show_notes: bool | None,
    no_contact: bool | None,
    in_stage: str | None,
    package: str | None,
) -> None:
    text, odd = made
    validator, config = _repo_parts()
    parsed = parse_record(text.encode("utf-8"), "clients/c-1.md", validator)
    record = parsed.record
    if record is None:  # not a record at all (no page either way)
        event("not a record")
        return
    assessment = rules.assess(record, config, TODAY)
    diagnostics = [*parsed.diagnostics, *extra]
    view: ClientView = client_view(record, config, TODAY, diagnostics, stale, assessment)
    if show_notes is not None:
        view.show_notes = show_notes
    if no_contact is not None:
        view.no_contact = no_contact
    view.in_stage = in_stage
    view.package = SimpleNamespace(phrase=package) if package is not None else None  # type: ignore[assignment]
    pages = _pages(env)
    template = env.get_template("client.html.j2")
    try:
        expected: str | None = template.render(c=view, **COMMON)
    except (jinja2.TemplateError, TypeError, ValueError, AttributeError, LookupError):
        expected = None  # a value the template cannot read: a TemplateProblem either way
    try:
        got: str | None = pages._plain(view)
    except (plain._Unsure, *plain._FAILURES):
        got = None
    if got is None:
        event("left to Jinja")
        assert odd, "the plain path left a page with text values to Jinja"
        if expected is not None:
            assert pages.render("clients/c-1.md", view, **COMMON) == expected
        return
    event("plain")
    assert expected is not None
    assert got == expected


def test_a_page_jinja_cannot_render_fails_as_before(env: jinja2.Environment) -> None:
    """Tags that are a number: the plain path leaves the page to Jinja, whose failure
    names the template line (a TemplateProblem, as before)."""
    from sortext.errors import TemplateProblem

    record = _parsed_records([client_text(1, random.Random(1))])[0]
    config = _repo_parts()[1]
    view = client_view(record, config, TODAY)
    record.data["tags"] = 5
    with pytest.raises(TemplateProblem, match=r"client\.html\.j2:\d+: .*clients/c0\.md"):
        _pages(env).render("clients/c0.md", view, **COMMON)


# -- when the plain path is bypassed --------------------------------------------------


@pytest.mark.parametrize(
    ("name", "edit", "plain_path"),
    [
        ("client.html.j2", lambda s: s, True),  # a copy equal to the shipped one
        ("client.html.j2", lambda s: s.replace("Needs attention", "Look here"), False),
        ("client.html.j2", lambda s: s + "\n", False),
        ("_base.html.j2", lambda s: s.replace("<body>", "<body class='x'>"), False),
        ("_style.css", lambda s: s + "/* mine */\n", False),
        ("index.html.j2", lambda s: s.replace("<h1>", "<h1 class='x'>"), True),
    ],
)
def test_a_repository_s_own_template_is_taken_unless_it_is_the_shipped_one(
    tmp_path: Path, name: str, edit: Any, plain_path: bool
) -> None:
    root = generate_repo(3, tmp_path / "r")
    shipped = (render.package_template_dir() / name).read_text("utf-8")
    (root / "templates").mkdir(exist_ok=True)
    (root / "templates" / name).write_text(edit(shipped), "utf-8")
    env = render.environment(root)
    assert plain.page_renderer(env).plain is plain_path
    build(open_repository(root), TODAY)
    page = (root / "site" / "clients" / "client-00000.html").read_text("utf-8")
    if "Look here" in edit(shipped):
        assert "<h2>Look here</h2>" in page and "Needs attention" not in page
    if name == "_style.css" and not plain_path:
        assert "/* mine */" in page
    if name == "_base.html.j2" and not plain_path:
        assert "<body class='x'>" in page


def test_the_same_site_with_a_copy_of_the_shipped_template_and_without(tmp_path: Path) -> None:
    """The plain path and Jinja build the same site: a copy of the shipped client
    template with a Jinja comment added (so Jinja renders it) against the shipped one."""
    root = generate_repo(12, tmp_path / "r")
    twin = tmp_path / "twin"
    shutil.copytree(root, twin)
    shipped = (render.package_template_dir() / "client.html.j2").read_text("utf-8")
    (twin / "templates").mkdir(exist_ok=True)
    (twin / "templates" / "client.html.j2").write_text(shipped + "{# mine #}", "utf-8")
    assert plain.page_renderer(render.environment(root)).plain
    assert not plain.page_renderer(render.environment(twin)).plain
    build(open_repository(root), TODAY)
    build(open_repository(twin), TODAY)
    for page in sorted((root / "site" / "clients").iterdir()):
        assert page.read_bytes() == (twin / "site" / "clients" / page.name).read_bytes()


def test_another_environment_is_left_to_jinja(env: jinja2.Environment, tmp_path: Path) -> None:
    """What the plain path inlines (Jinja's replace and join, its tests, undefined
    values) must be Jinja's own; a stock environment is not the build's."""
    changed = render.environment(tmp_path)
    changed.filters["join"] = lambda value, d="": "joined"
    assert not plain.page_renderer(changed).plain
    changed = render.environment(tmp_path)
    changed.filters["nobr"] = render._readable(lambda value: "~", object)
    assert not plain.page_renderer(changed).plain
    changed = render.environment(tmp_path)
    changed.undefined = jinja2.StrictUndefined
    assert not plain.page_renderer(changed).plain
    stock = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(render.package_template_dir())), autoescape=True
    )
    stock.filters.update(env.filters)
    assert not plain.page_renderer(stock).plain
    assert plain.page_renderer(render.environment(tmp_path)).plain
