"""The shipped client page without Jinja's machinery: the same bytes from plain Python.

A cold build renders one client page a record, and Jinja's generated code for
``client.html.j2`` (a generator per block, ~190 ``environment.getattr`` calls and
~36 filter calls a page) cost more than the page's own content (the notes'
Markdown and the goal charts).  :class:`ClientPages` renders a page with list
appends and one ``"".join``, calling the very filters the environment holds
(``nobr``, ``keepdates``, ``chart``, ``notes``, ``money`` ...) and escaping each
value with :func:`~sortext.pages.render.escape_text`, exactly as the compiled
template does.

It is used only when the templates the build would load for a client page
(``client.html.j2``, the ``_base.html.j2`` it extends and the ``_style.css`` that
includes) are byte for byte the shipped ones (:data:`SHIPPED_DIGEST`; a
repository's own copy in ``templates/`` that equals them counts) in an
environment made by :func:`~sortext.pages.render.environment` with Jinja's own
``replace``/``join`` filters and tests, read under its options (delimiters,
whitespace control, line ends; no extension).  Anything else (another template, an
edited include, another environment or options) renders through Jinja as before.  A page
whose values the plain path does not read exactly as Jinja does (a mapping of
another type, tags that are not a list of text) or that raises is rendered by
Jinja too, so a failing page names its template line as before.

Jinja stays the reference: ``tests/test_page_plain.py`` renders generated records
through both and compares the bytes.
"""

from __future__ import annotations

import hashlib
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from sortext.pages.render import (
    ISO_DATE,
    NOBR_DATE,
    escape_text,
    load_template,
    render_page,
    text_escaper,
)
from sortext.views.format import money

if TYPE_CHECKING:
    import jinja2

    from sortext.views.dashboard import ClientView

#: The templates a client page is rendered from, in the order they are hashed.
CLIENT_TEMPLATES = ("client.html.j2", "_base.html.j2", "_style.css")

#: sha256 of the shipped :data:`CLIENT_TEMPLATES` (each file's text as Jinja's loader
#: reads it, then a NUL): the templates :meth:`ClientPages._plain` was written from.
#: A change to any of them makes the build render client pages through Jinja until
#: this module is brought in line (tests/test_page_plain.py fails meanwhile).
SHIPPED_DIGEST = "d3371122f68fdaaee23276a5d63dacf641bca980a1ccbcea499a2678ae4ccbe5"

_MAPS = (dict, MappingProxyType)
# What a page's render may raise on values it cannot read (the plain path then leaves
# the page to Jinja, which renders it or names the template line that failed).
_FAILURES = (TypeError, ValueError, AttributeError, LookupError, ArithmeticError)


class _Unsure(Exception):
    """A value the plain path does not read exactly as Jinja would: Jinja renders it."""


def templates_digest(env: jinja2.Environment) -> str | None:
    """The digest (64 hex digits) of the client page's templates as ``env`` loads them
    (first match wins: a repository's own copy, else the shipped one); None when one
    cannot be loaded."""
    import jinja2

    loader = env.loader
    if loader is None:
        return None
    digest = hashlib.sha256()
    for name in CLIENT_TEMPLATES:
        try:
            source = loader.get_source(env, name)[0]
        except (jinja2.TemplateNotFound, OSError, UnicodeDecodeError):
            return None
        digest.update(source.encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()


#: The options the shipped templates' text is read under in the build's environment
#: (render.environment): its delimiters, whitespace control and line ends.  The same
#: text read under other options renders to other bytes (``trim_blocks=False`` keeps
#: each tag's newline, other delimiters leave ``{{ }}`` as text).
_LEXED_AS = {
    "block_start_string": "{%",
    "block_end_string": "%}",
    "variable_start_string": "{{",
    "variable_end_string": "}}",
    "comment_start_string": "{#",
    "comment_end_string": "#}",
    "line_statement_prefix": None,
    "line_comment_prefix": None,
    "trim_blocks": True,
    "lstrip_blocks": True,
    "newline_sequence": "\n",
    "keep_trailing_newline": True,
}

#: What the environment lends a template (``x.key``, ``x[key]``, filters, tests, the
#: output's join, the context that makes its calls, the compiler): the class's own,
#: never one set on the instance.
_CALLED = (
    "getattr",
    "getitem",
    "call_filter",
    "call_test",
    "concat",
    "template_class",
    "context_class",
    "code_generator_class",
)


def _stock_jinja(env: jinja2.Environment) -> bool:
    """True when ``env`` is the build's environment (render.environment's class, its
    getattr and escaping; the delimiters, whitespace control and line ends of
    :data:`_LEXED_AS`; no extension, which may rewrite a template's source or tokens;
    no method of :data:`_CALLED` replaced on the instance) with the ``nobr``,
    ``keepdates`` and ``money`` filters it made, and Jinja's own ``replace`` and
    ``join`` filters and ``defined``/``none``/``false``/``string`` tests: what the
    plain path inlines."""
    import jinja2
    from jinja2 import filters, tests

    from sortext.pages.render import _money, _page_environment_class, keepdates, nobr

    inlined = {"nobr": nobr, "keepdates": keepdates, "money": _money}
    own = vars(env)
    return (
        type(env) is _page_environment_class()
        and all(getattr(env, name, None) == value for name, value in _LEXED_AS.items())
        and not env.extensions
        and not any(name in own for name in _CALLED)
        and all(getattr(env.filters.get(n), "__wrapped__", None) is f for n, f in inlined.items())
        and env.undefined is jinja2.Undefined
        and env.finalize is None
        and not env.is_async
        and env.filters.get("replace") is filters.FILTERS["replace"]
        and env.filters.get("join") is filters.FILTERS["join"]
        and all(env.tests.get(t) is tests.TESTS[t] for t in ("defined", "none", "false", "string"))
        and bool(env.autoescape("client.html.j2") if callable(env.autoescape) else env.autoescape)
    )


def page_renderer(env: jinja2.Environment) -> ClientPages:
    """The client pages of ``env`` (made once an environment: a forked worker inherits
    it).  Raises :class:`~sortext.errors.TemplateProblem` when the client template
    cannot be compiled, as :func:`~sortext.pages.render.load_template` does."""
    made: ClientPages | None = getattr(env, _ATTRIBUTE, None)
    if made is None:
        made = ClientPages(env, load_template(env, "client.html.j2"))
        setattr(env, _ATTRIBUTE, made)
    return made


_ATTRIBUTE = "sortext_client_pages"


class ClientPages:
    """Client pages of one environment: the plain path when the shipped templates are
    in effect (see the module's docstring), else ``template`` through Jinja.

    ``plain`` says which (False: every page goes through Jinja)."""

    def __init__(self, env: jinja2.Environment, template: jinja2.Template) -> None:
        self.template = template
        self.plain = _stock_jinja(env) and templates_digest(env) == SHIPPED_DIGEST
        if self.plain:
            f = env.filters
            self._nobr, self._keepdates, self._pct = f["nobr"], f["keepdates"], f["pct"]
            self._chart, self._notes, self._days = f["chart"], f["notes"], f["days"]
            self._money, self._href = f["money"], f["href"]
            self._count = f["count"]
            self._shown, self._chronological = f["shown"], f["chronological"]
            self._undefined = env.undefined()
            self._inner = text_escaper()
            # the shipped base template's text around the title and the body
            css = env.get_template("_style.css").render()
            self._head = (
                '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
                '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
                "<title>"
            )
            self._middle = f"</title>\n<style>\n{css}</style>\n</head>\n<body>\n"

    def render(self, what: str, view: ClientView, **common: Any) -> str:
        """The page of ``view``; ``what`` names it in a failing template's message
        (:class:`~sortext.errors.TemplateProblem`, raised by the Jinja path)."""
        if self.plain:
            try:
                return self._plain(view)
            except (_Unsure, *_FAILURES):
                pass
        return render_page(self.template, what, c=view, **common)

    def _nobr_text(self, value: Any) -> str:
        """``{{ value|nobr }}``'s text."""
        if type(value) is str:
            return f'<span class="nobr">{self._inner(value)}</span>' if value else ""
        return escape_text(self._nobr(value))

    def _keepdates_text(self, value: Any) -> str:
        """``{{ value|keepdates }}``'s text."""
        if type(value) is str:
            text = self._inner(value)
            # a text without "-" holds no ISO date (nothing for the search to find)
            return ISO_DATE.sub(NOBR_DATE, text) if "-" in text else text
        return escape_text(self._keepdates(value))

    def _money_text(self, amount: Any, currency: Any) -> str:
        """``{{ amount|money(currency) }}``'s text."""
        kind = type(amount)
        if kind is float or kind is int:
            return escape_text(money(amount, currency if isinstance(currency, str) else None))
        return escape_text(self._money(amount, currency))

    def _plain(self, c: ClientView) -> str:
        esc = escape_text

        nobr, keepdates = self._nobr_text, self._keepdates_text
        undefined = self._undefined
        r = c.record
        data = r.data
        if type(data) not in _MAPS:
            raise _Unsure
        get = data.get
        out: list[str] = [
            self._head,
            esc(r.name),
            " &middot; session prep &middot; ",
            esc(c.today),
            self._middle,
        ]
        add = out.append
        # <header>
        add(f'<header>\n  <h1>{esc(r.name)}</h1>\n  <span class="today">{esc(r.stage)}')
        value = get("company", undefined)
        if value:
            add(f" &middot; {esc(value)}")
        value = get("owner", undefined)
        if value:
            add(f" &middot; owner {esc(value)}")
        if c.in_stage:
            add(f" &middot; {esc(c.in_stage)}")
        add(
            f" &middot; {esc(c.today)}</span>\n"
            '  <a href="../index.html">&larr; all clients</a>\n</header>\n<main>\n'
        )
        if c.no_contact:
            add(
                '<p class="banner" id="no-contact">No contact: this client\'s consent ('
                + ("data use withdrawn" if r.view.consent.data_use is False else "contact: none")
                + ") rules out check-ins, reviews and renewal reminders.</p>"
            )
        if c.stale:
            add(
                '<p class="banner">The file has errors; this page shows its last valid '
                f"version. Run <code>sortext check {esc(r.path)}</code>.</p>\n"
            )
        elif c.has_errors:
            add(
                '<p class="banner">This record has errors. Run <code>sortext check '
                f"{esc(r.path)}</code>.</p>"
            )
        # the next action
        nxt = c.next
        alert = "alert" if nxt and nxt.status in ("overdue", "missing") else ""
        add(
            f'<div class="grid">\n<div>\n  <section class="card {alert}" id="next">\n'
            "    <h2>Next action</h2>\n"
        )
        if nxt and nxt.what:
            status = esc(nxt.status)
            add(
                f'    <p class="next-box {status}"><span class="badge">{status}</span> '
                f'{esc(nxt.what)}<br>\n      <span class="muted">'
                f"owner {esc(nxt.owner or '&ndash;')}"
                f" &middot; due {esc(nxt.due or 'undated')}"
            )
            if nxt.days is not None:
                add(f" ({esc(self._days(nxt.days))})")
            add("</span></p>\n")
        elif nxt:
            add(
                '<p class="next-box missing"><span class="badge">missing</span> <strong>No '
                "next action.</strong> Decide one, its owner and its due date.</p>\n"
            )
        else:
            add(f'<p class="muted">None (client is {esc(r.stage)}).</p>')
        # goals
        add(
            '  </section>\n\n  <section class="card" id="goals">\n'
            "    <h2>Goals: are they progressing?</h2>\n"
        )
        goals = c.goals
        for g in goals:
            state = g.state
            add(
                f'    <div class="goal-block">\n      <p><strong>{esc(g.title)}</strong> '
                f'<span class="muted">{esc(g.measure)}'
            )
            if g.by:
                add(f" &middot; by {nobr(g.by)}")
            add(
                f'</span><br>\n      <span class="pct {esc(state)}">{esc(self._pct(g.percent))}'
                f"</span> {esc(state)}: {keepdates(g.reason)}</p>\n"
                f"      {esc(self._chart(g))}\n"
            )
            if g.points:
                if type(state) is not str:
                    raise _Unsure
                add(
                    '<p class="legend muted"><span class="key line '
                    f'{esc(state.replace(" ", "-"))}"></span> measurements &middot; '
                    '<span class="key dash base"></span> baseline &middot; '
                    '<span class="key dash target"></span> target'
                )
                if g.baseline is not None and g.target is not None and g.target < g.baseline:
                    add(" &middot; lower is better")
                add("</p>")
            add("    </div>\n")
        if not goals:
            add('<p class="muted">No goals recorded.</p>')
        # since the last session
        add('  </section>\n\n  <section class="card" id="since">\n    <h2>Since the last session')
        last = c.last_session
        if last:
            if type(last) not in _MAPS:
                raise _Unsure
            when = nobr(last.get("date", undefined))
            add(
                f" ({when})</h2>\n    <p>Last held: <strong>{when}</strong> "
                f"{esc(last.get('kind', undefined) or 'session')}"
            )
            value = last.get("focus", undefined)
            if value:
                add(f": {esc(value)}")
            if "score" in last:
                add(f" &middot; score {esc(last['score'])}")
            add("</p>\n")
            if c.commitments:
                add('<p>Commitments made:</p><ul class="plain">')
                for item in c.commitments:
                    add(f"<li>{esc(item)}</li>")
                add("</ul>")
        else:
            add('</h2>\n<p class="muted">No session held yet.</p>')
        if c.since_last:
            add("<table><tbody>\n")
            for e in c.since_last:
                status = esc(e.status)
                add(
                    f'<tr><td class="due">{esc(e.date)}</td><td class="status-{status}">'
                    f"{status}</td><td>{keepdates(e.what)}</td></tr>\n"
                )
            add("</tbody></table>\n")
        elif last:
            add('<p class="muted">Nothing recorded since.</p>')
        if c.upcoming:
            add('<p>Upcoming:</p><ul class="plain">')
            for s in c.upcoming:
                if type(s) not in _MAPS:
                    raise _Unsure
                add(f"<li>{nobr(s.get('date', undefined))}")
                value = s.get("time", undefined)
                if isinstance(value, str):
                    add(f" {esc(value)}")
                add(f" {esc(s.get('kind', undefined) or 'session')}")
                value = s.get("focus", undefined)
                if value:
                    add(f": {esc(value)}")
                add("</li>")
            add("</ul>")
        add("  </section>\n\n")
        if c.show_notes:
            add(f'<section class="notes" id="notes">\n    {esc(self._notes(r.body))}\n  </section>')
        # needs attention
        caution = "caution" if c.cautions else ""
        add(
            f'</div>\n<div>\n  <section class="card {caution}" id="attention">\n'
            "    <h2>Needs attention</h2>\n"
        )
        shown = c.attention
        if shown:
            add('<ul class="reasons">')
            for f in shown:
                add(f'<li class="{esc(f.level)}">{keepdates(f.reason)}</li>')
            add("</ul>\n")
        else:
            add('<p class="muted">Nothing.</p>')
        add("  </section>\n\n")
        if c.blockers:
            add(
                '  <section class="card caution" id="blockers">\n    <h2>Blockers</h2>\n'
                '    <ul class="plain">'
            )
            for b in c.blockers:
                if type(b) not in _MAPS:
                    raise _Unsure
                add(f"<li>{esc(b.get('what', undefined))}")
                value = b.get("waiting_on", undefined)
                if value:
                    add(f' <span class="muted">waiting on {esc(value)}</span>')
                value = b.get("since", undefined)
                if value:
                    add(f' <span class="muted">since {esc(value)}</span>')
                add("</li>")
            add("</ul>\n  </section>\n")
        # billing
        add('\n  <section class="card" id="billing">\n    <h2>Billing</h2>\n    <dl class="kv">\n')
        bill = c.section("billing")
        if type(bill) not in _MAPS:
            raise _Unsure
        money = self._money_text
        currency = bill.get("currency", undefined)
        value = bill.get("plan", undefined)
        if value:
            add(f"<dt>Plan</dt><dd>{esc(value)}</dd>")
        if "rate" in bill:
            add(f"<dt>Rate</dt><dd>{money(bill['rate'], currency)}")
            value = bill.get("per", undefined)
            if value:
                add(f" per {esc(value)}")
            add("</dd>")
        value = bill.get("payment_method", undefined)
        if value:
            add(f"<dt>Payment</dt><dd>{esc(value)}")
            terms = self._count(bill.get("terms_days", undefined), "day")
            if terms:
                add(f", {esc(terms)}")
            add("</dd>")
        value = bill.get("renewal", undefined)
        if value:
            add(f"<dt>Renewal</dt><dd>{esc(value)}</dd>")
        if c.package:
            add(f"<dt>Package</dt><dd>{esc(c.package.phrase)}</dd>")
        add("    </dl>\n")
        if c.invoices:
            add(
                '<table><thead><tr><th>Invoice</th><th>Status</th><th>Due</th><th class="amt">'
                "Amount</th></tr></thead><tbody>\n"
            )
            for i in c.invoices:
                if type(i) not in _MAPS:
                    raise _Unsure
                status = i.get("status", undefined)
                overdue = status == "overdue"
                add(
                    f'<tr class="{"overdue" if overdue else ""}"><td>{esc(i.get("id", undefined))}'
                    f'</td><td><span class="badge {"overdue" if overdue else "later"}">'
                    f'{esc(status)}</span></td><td class="due">{esc(i.get("due", undefined) or "")}'
                    '</td><td class="amt">'
                    f"{money(i.get('amount', undefined), i.get('currency', undefined) or currency)}"
                    "</td></tr>\n"
                )
            add("</tbody></table>")
        # dates, contact, consent
        add(
            '  </section>\n\n  <section class="card" id="facts">\n'
            '    <h2>Dates, contact, consent</h2>\n    <dl class="kv">\n'
        )
        shown_value = self._shown
        for key, value in self._chronological(c.section("dates")):
            add(f"<dt>{esc(_replace(key, '_', ' '))}</dt><dd>{nobr(shown_value(value))}</dd>")
        value = get("email", undefined)
        if value:
            email = esc(value)
            add(f'<dt>email</dt><dd><a href="mailto:{email}">{email}</a></dd>')
        value = get("phone", undefined)
        if value:
            add(f"<dt>phone</dt><dd>{esc(value)}</dd>")
        for key, value in self._chronological(c.section("consent")):
            add(f"<dt>{esc(_replace(key, '_', ' '))}</dt><dd>{esc(shown_value(value))}</dd>")
        value = get("tags", undefined)
        if value:
            if type(value) is not list or any(type(t) is not str for t in value):
                raise _Unsure
            add(f"<dt>tags</dt><dd>{esc(', '.join(value))}</dd>")
        add("    </dl>\n  </section>\n\n")
        if c.links:
            add('  <section class="card" id="links">\n    <h2>Links</h2>\n    <ul class="plain">')
            href = self._href
            for name, target in c.links:
                add(f"<li>{esc(_replace(name, '_', ' '))}: ")
                link = href(target)
                if link:
                    add(f'<a href="{esc(link)}">{esc(target)}</a>')
                else:
                    add(f"<code>{esc(target)}</code>")
                add("</li>")
            add("</ul>\n  </section>\n")
        add("\n")
        if c.diagnostics:
            add(
                '  <section class="card alert" id="problems">\n'
                '    <h2>Problems in the file</h2>\n    <ul class="plain">'
            )
            for d in c.diagnostics:
                field = d.field
                if type(field) is not str:
                    raise _Unsure
                add(
                    f"<li><code>{esc(d.path)}:{esc(d.line)}:{esc(d.column)}</code> "
                    f"{esc(d.severity)}: {esc(field + ': ') if field else ''}{esc(d.message)}</li>"
                )
            add("</ul>\n  </section>\n")
        add(
            f'  <p class="more">Source: <code>{esc(r.path)}</code></p>\n'
            "</div>\n</div>\n</main>\n</body>\n</html>\n"
        )
        return "".join(out)


def _replace(value: Any, old: str, new: str) -> str:
    """Jinja's ``replace`` filter under autoescaping, for text ``old``/``new``."""
    text = value if isinstance(value, str) else str(value)
    return text.replace(old, new)
