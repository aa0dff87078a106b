"""The client page's render shortcuts (issue 15 item 3) give the bytes the slow paths give.

Each shortcut is held to what it stands in for: the compiled templates' ``escape``
(a plain ``str`` instead of a Markup per value) to markupsafe's ``escape``; the
goal chart, the sparkline and the ``nobr``/``keepdates`` filters to their first
implementations (kept below as the reference); the client view's ``attention``,
``cautions`` and ``has_errors`` to the Jinja filter chains the template used; and a
whole client page, rendered by the build's environment, to the same page rendered
by a stock Jinja environment (Jinja's own ``escape`` and ``getattr``) from the
template as it was written with those filter chains.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from pathlib import Path
from typing import Any, Literal, get_args

import jinja2
import markupsafe
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.gen_pages import client_text
from sortext.check.load import parse_record
from sortext.files.inert import clean
from sortext.pages import render
from sortext.pages.build import LIST_LIMIT
from sortext.record.diagnostics import Diagnostic
from sortext.record.model import as_date
from sortext.repo import open_repository
from sortext.rules import findings as rules
from sortext.rules.findings import Finding, GoalStatus
from sortext.schema.config import Config
from sortext.store.index import Index
from sortext.views.dashboard import ClientView, client_view
from sortext.views.format import number

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 23)

_texts = st.text(max_size=30) | st.sampled_from(
    ["", "<script>alert(1)</script>", "a & b", "\"quoted\" 'single'", "2026-11-17", "&amp;"]
)


class _Html:
    """An object that says it is HTML already (``__html__``)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __html__(self) -> str:
        return self.text

    def __str__(self) -> str:  # never what escape uses
        return "<not this>"


class _Nested:
    """``__html__`` returning another object with ``__html__`` (Markup unwraps twice)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __html__(self) -> Any:
        return _Html(self.text)


class _Text(str):
    """A ``str`` subclass without ``__html__``."""


_values = (
    _texts
    | st.integers()
    | st.floats(allow_nan=True)
    | st.booleans()
    | st.none()
    | _texts.map(markupsafe.Markup)
    | _texts.map(_Html)
    | _texts.map(_Nested)
    | _texts.map(_Text)
    | st.lists(_texts, max_size=3)
    | st.just(jinja2.Undefined(name="missing"))
)


@settings(max_examples=400, deadline=None)
@given(_values)
def test_escape_text_is_the_text_of_markupsafe_escape(value: Any) -> None:
    # ... with what a renderer acts on made visible (a bidi override: \\u202e), as
    # on the terminal; a Markup (a filter's own HTML) is its text as it is
    fast = render.escape_text(value)
    assert type(fast) is str
    text = str(markupsafe.escape(value))
    assert fast == (text if type(value) is markupsafe.Markup else clean(text, newlines=True))


def test_the_build_s_templates_use_escape_text_and_stock_ones_do_not(
    tmp_path: Path, monkeypatch: Any
) -> None:
    # the repository's own bytecode cache (the shipped templates' kept code: see
    # tests/test_shipped_templates.py)
    monkeypatch.setattr(render, "SHIPPED_CACHE_ROOT", None)
    env = render.environment(tmp_path)
    for name in ("client.html.j2", "index.html.j2", "owner.html.j2", "_day.html.j2"):
        namespace = env.get_template(name).root_render_func.__globals__
        assert namespace["escape"] is render.escape_text
    cache = tmp_path / "cache"
    for _ in range(2):  # compiled, then read back from the bytecode cache
        cached = render.environment(tmp_path, cache).get_template("client.html.j2")
        assert cached.root_render_func.__globals__["escape"] is render.escape_text
    assert any(cache.iterdir())
    stock = jinja2.Environment(autoescape=True).from_string("{{ x }}")
    assert stock.root_render_func.__globals__["escape"] is markupsafe.escape
    escaped = env.from_string("{% autoescape true %}{{ x }}{% endautoescape %}")
    assert stock.render(x="<b>") == escaped.render(x="<b>") == "&lt;b&gt;"


def test_escape_text_without_markupsafe_s_inner_escaper(monkeypatch: Any) -> None:
    """Another markupsafe (no ``_escape_inner``): the text of ``escape`` itself."""
    monkeypatch.setattr(render, "_INNER", None)
    monkeypatch.setattr(render, "_INNER_NAME", "_no_such_escaper")
    assert render.escape_text("<a & 'b'>") == str(markupsafe.escape("<a & 'b'>"))
    assert render.escape_text("a\u202eb") == "a\\u202eb"  # shown there too
    monkeypatch.setattr(render, "_INNER", None)  # loaded again with the real one after


# -- the first implementations (the reference) ----------------------------------------


def escape(value: Any) -> markupsafe.Markup:
    """markupsafe's escape, with what a renderer acts on made visible (the pages' rule;
    a Markup, HTML already, is kept as it is)."""
    if type(value) is markupsafe.Markup:
        return value
    return markupsafe.Markup(clean(str(markupsafe.escape(value)), newlines=True))


def _old_scale(goal: GoalStatus, width: float, height: float, pad: float) -> tuple[Any, Any]:
    values = [v for _, v in goal.points]
    bounds = [*values, *(x for x in (goal.baseline, goal.target) if x is not None)]
    low, high = min(bounds), max(bounds)
    if high == low:
        high, low = high + 1, low - 1
    days = [as_date(d) for d, _ in goal.points]
    ordinals = [d.toordinal() if d else 0 for d in days]
    first, last = (min(ordinals), max(ordinals)) if ordinals else (0, 1)
    span = (last - first) or 1

    def x(ordinal: int) -> float:
        if len(ordinals) == 1:
            return width / 2
        return pad + (ordinal - first) / span * (width - 2 * pad)

    def y(value: float) -> float:
        return pad + (high - value) / (high - low) * (height - 2 * pad)

    return (lambda i: x(ordinals[i])), y


def _f(value: float) -> str:
    return f"{value:.1f}"


def _old_sparkline(goal: GoalStatus, width: int = 120, height: int = 28) -> str:
    from markupsafe import Markup

    label = escape(f"{goal.title}: {goal.reason}")
    if not goal.points:
        return Markup(
            f'<svg class="spark" width="{width}" height="{height}" role="img" '
            f'aria-label="{label}"><title>{label}</title></svg>'
        )
    x, y = _old_scale(goal, width, height, 3)
    parts = [
        f'<svg class="spark {goal.state.replace(" ", "-")}" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{label}"><title>{label}</title>'
    ]
    for value, css in ((goal.baseline, "base"), (goal.target, "target")):
        if value is not None:
            parts.append(
                f'<line class="{css}" x1="0" x2="{width}" y1="{_f(y(value))}" y2="{_f(y(value))}"/>'
            )
    coords = " ".join(f"{_f(x(i))},{_f(y(v))}" for i, (_, v) in enumerate(goal.points))
    parts.append(f'<polyline points="{coords}"/>')
    last = len(goal.points) - 1
    parts.append(f'<circle cx="{_f(x(last))}" cy="{_f(y(goal.points[-1][1]))}" r="2.5"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _old_goal_chart(goal: GoalStatus, width: int = 520, height: int = 170) -> str:
    from markupsafe import Markup

    label = escape(f"{goal.title}: {goal.reason}")
    if not goal.points:
        return Markup(f'<p class="muted">No measurements yet for {escape(goal.title)}.</p>')
    left, pad = 64, 22
    inner_w = width - left
    x0, y = _old_scale(goal, inner_w, height, pad)

    def x(i: int) -> float:
        return float(left + x0(i))

    parts = [
        f'<svg class="chart {goal.state.replace(" ", "-")}" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{label}"><title>{label}</title>'
    ]
    lines = ((goal.baseline, "base", "baseline"), (goal.target, "target", "target"))
    for value, css, name in lines:
        if value is not None:
            yy = _f(y(value))
            parts.append(f'<line class="{css}" x1="{left}" x2="{width}" y1="{yy}" y2="{yy}"/>')
            parts.append(
                f'<text class="{css}" x="{left - 6}" y="{yy}" text-anchor="end" '
                f'dominant-baseline="middle">{name} {escape(number(value))}</text>'
            )
    points = [(when, value, _f(x(i)), y(value)) for i, (when, value) in enumerate(goal.points)]
    coords = " ".join(f"{cx},{_f(vy)}" for _, _, cx, vy in points)
    parts.append(f'<polyline points="{coords}"/>')
    for when, value, cx, vy in points:
        parts.append(
            f'<circle cx="{cx}" cy="{_f(vy)}" r="3.5"/><text class="val" x="{cx}" '
            f'y="{_f(vy - 8)}" text-anchor="middle">{number(value)}</text><text '
            f'class="date" x="{cx}" y="{height - 4}" text-anchor="middle">'
            f"{escape(when[2:])}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _old_keepdates(value: Any) -> Any:
    from markupsafe import Markup

    if value is None:
        return ""
    text = str(escape(value))
    return Markup(
        re.sub(r"\b\d{4}-\d{2}-\d{2}\b", lambda m: f'<span class="nobr">{m.group(0)}</span>', text)
    )


def _old_nobr(value: Any) -> Any:
    from markupsafe import Markup

    if value is None or value == "":
        return ""
    return Markup('<span class="nobr">%s</span>') % escape(str(value))


# -- goals, charts and filters ----------------------------------------------------------

_dates = st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)).map(dt.date.isoformat) | (
    st.sampled_from(["", "someday", "2026-13-01", "<b>2026</b>", "2026-11-17"])
)
_numbers = st.floats(-1e6, 1e6, allow_nan=False) | st.integers(-1000, 1000).map(float)
#: GoalStatus.state's values
GoalState = Literal["achieved", "progressing", "stuck", "behind", "no data", "closed", "paused"]
_states: st.SearchStrategy[GoalState] = st.sampled_from(get_args(GoalState))


@st.composite
def _goals(draw: st.DrawFn) -> GoalStatus:
    points = tuple(draw(st.lists(st.tuples(_dates, _numbers), max_size=8)))
    return GoalStatus(
        "client-1",
        draw(_texts),
        "g1",
        draw(_texts),
        draw(_texts),
        draw(st.none() | _numbers),
        draw(st.none() | _numbers),
        draw(st.none() | _dates),
        points,
        draw(st.none() | _numbers),
        draw(_states),
        draw(_texts),
    )


@settings(max_examples=400, deadline=None)
@given(_goals())
def test_the_goal_chart_and_sparkline_draw_what_they_drew(goal: GoalStatus) -> None:
    assert render.goal_chart(goal) == _old_goal_chart(goal)
    assert render.sparkline(goal) == _old_sparkline(goal)
    assert isinstance(render.goal_chart(goal), markupsafe.Markup)


@settings(max_examples=400, deadline=None)
@given(_values | _dates)
def test_nobr_and_keepdates_give_what_they_gave(value: Any) -> None:
    assert render.nobr(value) == _old_nobr(value)
    assert type(render.nobr(value)) is type(_old_nobr(value))
    if not isinstance(value, jinja2.Undefined):
        assert render.keepdates(value) == _old_keepdates(value)


_PLAIN_PAGES = None


def _plain_pages() -> Any:
    global _PLAIN_PAGES
    if _PLAIN_PAGES is None:
        from sortext.pages import plain

        _PLAIN_PAGES = plain.page_renderer(render.environment(ROOT / "no-such-repo"))
    return _PLAIN_PAGES


@settings(max_examples=400, deadline=None)
@given(_texts | _dates | st.text(alphabet="0123456789-\u0663<&'\" x", max_size=40))
def test_the_plain_keepdates_skips_only_texts_without_a_date(value: str) -> None:
    """The plain path leaves a text without "-" unsearched (it holds no ISO date): the
    same text as searching it, and as the keepdates filter."""
    pages = _plain_pages()
    escaped = render.text_escaper()(value)
    assert pages._keepdates_text(value) == render.ISO_DATE.sub(render.NOBR_DATE, escaped)
    assert pages._keepdates_text(value) == render.escape_text(render.keepdates(value))


# -- the client view's answers against the filter chains -------------------------------

_FILTERS = {
    "has_errors": "{{ 'yes' if c.diagnostics|selectattr('is_error')|list else 'no' }}",
    "cautions": "{{ 'yes' if c.findings|rejectattr('level', 'equalto', 'info')|list else 'no' }}",
    "attention": "{{ c.findings|rejectattr('kind', 'in', ['goal_progressing', 'goal_achieved'])"
    "|map(attribute='reason')|join('|') }}",
}
_PROPERTIES = {
    "has_errors": "{{ 'yes' if c.has_errors else 'no' }}",
    "cautions": "{{ 'yes' if c.cautions else 'no' }}",
    "attention": "{{ c.attention|map(attribute='reason')|join('|') }}",
}

_findings = st.builds(
    Finding,
    st.just("client-1"),
    st.just("Client"),
    st.sampled_from(["goal_progressing", "goal_achieved", "goal_stuck", "invoice_overdue", ""]),
    st.sampled_from(["error", "warning", "info"]),
    _texts,
)
_diagnostics = st.builds(
    Diagnostic,
    st.just("clients/a.md"),
    st.integers(1, 9),
    st.integers(1, 9),
    _texts,
    _texts,
    st.sampled_from(["error", "warning"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_findings, max_size=6), st.lists(_diagnostics, max_size=4))
def test_the_view_answers_what_the_template_s_filter_chains_answered(
    findings: list[Finding], diagnostics: list[Diagnostic]
) -> None:
    record = _parsed_records([client_text(1, random.Random(1))])[0]
    view = client_view(record, _repo_parts()[1], TODAY, diagnostics)
    view.findings = findings
    env = jinja2.Environment(autoescape=True)
    for name, chain in _FILTERS.items():
        assert env.from_string(chain).render(c=view) == env.from_string(_PROPERTIES[name]).render(
            c=view
        )


# -- whole client pages ----------------------------------------------------------------

# The template as written before the view answered these (the reference's text).
_BEFORE = {
    "{% elif c.has_errors %}": "{% elif c.diagnostics|selectattr('is_error')|list %}",
    "{{ 'caution' if c.cautions }}": (
        "{{ 'caution' if c.findings|rejectattr('level', 'equalto', 'info')|list }}"
    ),
    "{% set shown = c.attention %}": (
        "{% set shown = c.findings|rejectattr('kind', 'in', ['goal_progressing', "
        "'goal_achieved'])|list %}"
    ),
}


def _stock_environment(built: jinja2.Environment) -> jinja2.Environment:
    """A stock Jinja environment with the build's settings and filters, loading the
    package's templates with the client page as it was written."""
    folder = render.package_template_dir()
    sources = {p.name: p.read_text(encoding="utf-8") for p in folder.iterdir() if p.is_file()}
    client = sources["client.html.j2"]
    for now, before in _BEFORE.items():
        assert now in client
        client = client.replace(now, before)
    sources["client.html.j2"] = client
    env = jinja2.Environment(
        loader=jinja2.DictLoader(sources),
        autoescape=jinja2.select_autoescape(["html", "html.j2"], default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(built.filters)
    env.globals.update(built.globals)
    return env


_cache: list[Any] = []


def _repo_parts() -> tuple[Any, Config]:
    """The record validator and the configuration of a repository with the bench's
    ``sortext.yaml`` (made once)."""
    if not _cache:
        import tempfile

        with tempfile.TemporaryDirectory() as base:
            folder = Path(base)
            (folder / "clients").mkdir()
            (folder / "sortext.yaml").write_bytes((ROOT / "sortext.yaml").read_bytes())
            repo = open_repository(folder)
            with Index.open(repo) as index:
                _cache.extend([index.validator, repo.config])
    return _cache[0], _cache[1]


def _parsed_records(texts: list[str]) -> list[Any]:
    validator, _ = _repo_parts()
    records = []
    for i, text in enumerate(texts):
        parsed = parse_record(text.encode("utf-8"), f"clients/c{i}.md", validator)
        assert parsed.record is not None, parsed.diagnostics
        records.append(parsed.record)
    return records


_hostile = st.text(
    alphabet=st.sampled_from(list("<>&\"' ab-0123456789")) | st.characters(codec="utf-8"),
    min_size=1,
    max_size=20,
).filter(lambda t: t.strip() == t and t.isprintable())


def _with_hostile(text: str, hostile: str) -> str:
    """A generated client file with ``hostile`` text in its company, next action and notes."""
    quoted = json.dumps(hostile)
    out = re.sub(r"^company: .*\n", "", text, count=1, flags=re.M)
    company = f"\ncompany: {quoted}"
    out = re.sub(r"^(name: .*)$", lambda m: m.group(1) + company, out, count=1, flags=re.M)
    out = re.sub(r"^  what: .*$", lambda _: f"  what: {quoted}", out, count=1, flags=re.M)
    return out + f"\n{hostile} on 2026-11-17 & <i>later</i>\n"


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10**6), _hostile)
def test_client_pages_are_the_pages_stock_jinja_renders(seed: int, hostile: str) -> None:
    rng = random.Random(seed)
    texts = [client_text(i, rng) for i in range(4)]
    texts.append(_with_hostile(client_text(9, rng), hostile))
    config = _repo_parts()[1]
    built = render.environment(ROOT / "no-such-repo")
    stock = _stock_environment(built)
    fast, slow = built.get_template("client.html.j2"), stock.get_template("client.html.j2")
    common = {"limit": LIST_LIMIT, "soon_days": 7, "invoice_days": 14}
    for record in _parsed_records(texts):
        assessment = rules.assess(record, config, TODAY)
        view: ClientView = client_view(record, config, TODAY, [], False, assessment)
        page = fast.render(c=view, **common)
        assert page == slow.render(c=view, **common)
    assert f" &middot; {markupsafe.escape(hostile)} &middot; owner" in page  # the company, escaped
    errors = [Diagnostic("clients/c0.md", 3, 1, "stage", "<b>bad</b> & worse")]
    view = client_view(record, config, TODAY, errors, False, assessment)
    page = fast.render(c=view, **common)
    assert page == slow.render(c=view, **common)
    assert "This record has errors" in page and "&lt;b&gt;bad&lt;/b&gt; &amp; worse" in page
