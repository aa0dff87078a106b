"""Turn view models into page text with Jinja2 templates (shipped, overridable).

Templates come from the records repository's ``templates/`` first, then from
the package (``sortext/templates/``): a user overrides one page by copying
its template.  HTML is autoescaped; the only markup that bypasses escaping is
built here (SVG charts from numbers, notes through markdown-it with raw HTML
disabled), so a hostile record cannot inject script into a page.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import re
from collections.abc import Sequence
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote

from sortext.errors import StorageError, TemplateProblem
from sortext.files.inert import clean
from sortext.rules.memo import day_of
from sortext.rules.wording import count
from sortext.views.format import days_phrase, late, money, number, percent, weekday

if TYPE_CHECKING:
    import jinja2
    from markupsafe import Markup

    from sortext.rules.findings import GoalStatus

PACKAGE_TEMPLATES = "templates"
SAFE_SCHEMES = ("http://", "https://", "mailto:", "tel:")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def package_template_dir() -> Path:
    """``sortext/templates/`` beside the package's modules (what
    ``importlib.resources.files("sortext")`` names for a package on disk, without
    importing ``importlib.resources``: it brings ``tempfile`` and ``zipfile``)."""
    import sortext

    return Path(sortext.__file__).parent / PACKAGE_TEMPLATES


def template_dirs(repo_root: Path) -> list[Path]:
    """Where templates are looked up, first match wins."""
    return [repo_root / "templates", package_template_dir()]


def templates_fingerprint(repo_root: Path, names: Sequence[str]) -> str:
    """A hash (16 hex digits) of every file a page can be rendered from: each file under
    each template folder, subfolders included, with its path.  Jinja loads any name
    under those folders (``{% include "parts/footer.html" %}``), so a file is hashed
    whatever its suffix.  Linked folders are followed as the loader follows them (each
    real folder once, so a link cycle ends); a file that cannot be read is hashed by
    its name only."""
    digest = hashlib.sha256()
    for place, folder in enumerate(template_dirs(repo_root)):
        if not folder.is_dir():
            continue
        found: list[tuple[str, str]] = []
        seen: set[str] = set()
        for here, dirs, names_here in os.walk(folder, followlinks=True):
            real = os.path.realpath(here)
            if real in seen:  # a link back up the tree: walked once
                dirs.clear()
                continue
            seen.add(real)
            dirs.sort()
            for name in names_here:
                full = os.path.join(here, name)
                found.append((os.path.relpath(full, folder).replace(os.sep, "/"), full))
        digest.update(f"{place}\0".encode())  # which folder overrides which
        for rel, full in sorted(found):
            data = _template_bytes(full)
            digest.update(rel.encode("utf-8", "surrogateescape") + b"\0" + data + b"\0")
    digest.update("\0".join(names).encode())
    return digest.hexdigest()[:16]


def _template_bytes(path: str) -> bytes:
    """A template file's bytes; a marker for what is no regular file or cannot be read
    (``O_NONBLOCK``: a named pipe there is never waited on, and Jinja's loader, which
    loads only regular files, does not read it either)."""
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return b"\1unreadable"
    with os.fdopen(fd, "rb") as handle:
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return b"\1not a file"
            return handle.read()
        except OSError:
            return b"\1unreadable"


def environment(repo_root: Path, cache_dir: Path | None = None) -> jinja2.Environment:
    """The template environment; ``cache_dir`` keeps compiled templates between runs
    (keyed by each template's source, so an edited or overriding template recompiles)."""
    import jinja2

    loader = jinja2.ChoiceLoader(
        [jinja2.FileSystemLoader(str(d)) for d in template_dirs(repo_root) if d.is_dir()]
    )
    cache = None
    if cache_dir is not None:
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
            cache = jinja2.FileSystemBytecodeCache(str(cache_dir))
        except OSError:
            cache = None  # derived data: without it templates are compiled each run
    env = _page_environment_class()(
        loader=loader,
        # Jinja asks a bytecode cache for get_bucket and set_bucket only
        bytecode_cache=cast("jinja2.BytecodeCache", _ShippedFirst(cache)) if cache_dir else None,
        autoescape=jinja2.select_autoescape(["html", "html.j2"], default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # One environment per build: a template is read once, not stat'ed again at
        # each page that extends or includes it (the build's key hashes the files).
        auto_reload=False,
    )
    env.filters.update(
        md=md_escape,
        sparkline=sparkline,
        chart=goal_chart,
        href=link_href,
        urlpath=lambda p: quote(str(p)),
        by_client=by_client,
    )
    # Filters a template applies to a record's own values (an invoice's amount, a
    # session's date): in a record with errors such a value may be missing, or be a
    # mapping the schema refused (a mapping an error points into is kept, see
    # check.load._drop_invalid).  A value a filter cannot read is no value, never a
    # failed page.
    number_first: dict[str, Any] = {
        "money": _money,
        "days": lambda days: "" if days is None else days_phrase(int(days)),
        "pct": percent,
        "num": number,
        "count": _count,
    }
    text_first: dict[str, Any] = {"notes": notes_html, "unlabel": unlabel}
    any_first: dict[str, Any] = {
        "late": late,
        "nobr": nobr,
        "keepdates": keepdates,
        "shown": shown,
        "chronological": chronological,
    }
    env.filters.update({name: _readable(fn, _NUMBER) for name, fn in number_first.items()})
    env.filters.update({name: _readable(fn, str) for name, fn in text_first.items()})
    env.filters.update({name: _readable(fn, object) for name, fn in any_first.items()})
    env.globals.update(RISK_LINKS=RISK_LINKS)
    env.globals.update(weekday=weekday)
    if isinstance(env.bytecode_cache, _ShippedFirst):
        env.bytecode_cache.shipped = shipped_cache(env)
    return env


# -- compiled shipped templates -------------------------------------------------------

#: Where the shipped templates' compiled code is kept, beside the package's own compiled
#: modules (``sortext/__pycache__/``): a repository's ``.sortext/`` starts without it
#: (a cold build, a new clone), and compiling the shipped templates cost ~0.09 s of CPU
#: each time.  None: not kept (tests point it elsewhere).
SHIPPED_CACHE_ROOT: Path | None = Path(__file__).resolve().parent.parent / "__pycache__"
_SHIPPED_PREFIX = "jinja-"
_SHIPPED_MAGIC = b"sortext-jinja 1\n"


def shipped_cache_key(env: jinja2.Environment) -> str:
    """What the compiled code of a template depends on besides its own text (which
    Jinja checks itself, with its name and file): Python's and Jinja's versions, the
    environment's options, filters and tests (a filter that takes the context is
    compiled differently), sortext's version and the code that sets them up
    (this file).  24 hex digits."""
    import sys

    import jinja2

    import sortext

    digest = hashlib.sha256()
    for part in (
        sys.version,
        sys.implementation.cache_tag or "",
        jinja2.__version__,
        sortext.__version__,
        type(env).__name__,
        repr(
            [
                env.block_start_string,
                env.block_end_string,
                env.variable_start_string,
                env.variable_end_string,
                env.comment_start_string,
                env.comment_end_string,
                env.line_statement_prefix,
                env.line_comment_prefix,
                env.trim_blocks,
                env.lstrip_blocks,
                env.newline_sequence,
                env.keep_trailing_newline,
                env.optimized,
                env.is_async,
                env.undefined.__name__,
                env.finalize,
                sorted(env.extensions),
                sorted(env.globals),
            ]
        ),
        repr(sorted((n, repr(getattr(f, "jinja_pass_arg", None))) for n, f in env.filters.items())),
        repr(sorted((n, repr(getattr(f, "jinja_pass_arg", None))) for n, f in env.tests.items())),
    ):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    digest.update(_template_bytes(__file__))
    return digest.hexdigest()[:24]


def shipped_cache(env: jinja2.Environment) -> Path | None:
    """The folder holding the compiled shipped templates for ``env`` (see
    :data:`SHIPPED_CACHE_ROOT`), or None when none is kept."""
    if SHIPPED_CACHE_ROOT is None:
        return None
    return SHIPPED_CACHE_ROOT / (_SHIPPED_PREFIX + shipped_cache_key(env))


class _ShippedFirst:
    """A Jinja bytecode cache: the repository's own (``.sortext/templates/``, every
    template, as before) and, for the templates shipped in the package, the compiled
    code kept beside the package (:func:`shipped_cache`), read when the repository's
    has none (a cold build) and written when the template was compiled.

    A kept entry is used only for the same template file with the same text (Jinja's
    key and checksum), compiled under the same key (:func:`shipped_cache_key`) and
    whole (a digest of its bytes): anything else is compiled again.  It is written
    like Python's own compiled modules: not when ``sys.dont_write_bytecode`` is set
    (``PYTHONDONTWRITEBYTECODE``), and not at all where the package's folder cannot
    be written; a repository's own templates (``templates/``) never go there."""

    def __init__(self, local: Any) -> None:
        import jinja2

        self.local: jinja2.BytecodeCache | None = local
        self.shipped: Path | None = None
        self._package = str(package_template_dir().resolve()) + os.sep
        self._base = jinja2.BytecodeCache()  # Jinja's key and checksum rules

    def get_bucket(
        self, environment: jinja2.Environment, name: str, filename: str | None, source: str
    ) -> Any:
        from jinja2.bccache import Bucket

        key = self._base.get_cache_key(name, filename)
        bucket = Bucket(environment, key, self._base.get_source_checksum(source))
        if self.local is not None:
            self.local.load_bytecode(bucket)
        bucket.sortext_shipped = self._is_shipped(filename)  # type: ignore[attr-defined]
        if bucket.code is None and bucket.sortext_shipped:  # type: ignore[attr-defined]
            self._load_shipped(bucket)
        return bucket

    def set_bucket(self, bucket: Any) -> None:
        if self.local is not None:
            with contextlib.suppress(OSError):  # derived data: compiled again next time
                self.local.dump_bytecode(bucket)
        if getattr(bucket, "sortext_shipped", False):
            self._dump_shipped(bucket)

    def _is_shipped(self, filename: str | None) -> bool:
        if filename is None or self.shipped is None:
            return False
        try:
            return os.path.realpath(filename).startswith(self._package)
        except (OSError, ValueError):
            return False

    def _entry(self, bucket: Any) -> Path:
        assert self.shipped is not None
        return self.shipped / f"{bucket.key}.cache"

    def _load_shipped(self, bucket: Any) -> None:
        import types

        try:
            with open(self._entry(bucket), "rb") as handle:
                data = handle.read(4 << 20)
        except OSError:
            return
        head = len(_SHIPPED_MAGIC) + 32
        body = data[head:]
        if data[: len(_SHIPPED_MAGIC)] != _SHIPPED_MAGIC or (
            data[len(_SHIPPED_MAGIC) : head] != hashlib.sha256(body).digest()
        ):
            return  # damaged or another writer's: compiled again, and written over
        bucket.bytecode_from_string(body)  # Jinja's own checks: its magic, the checksum
        if not isinstance(bucket.code, types.CodeType):
            bucket.reset()

    def _dump_shipped(self, bucket: Any) -> None:
        import sys

        if sys.dont_write_bytecode or self.shipped is None or bucket.code is None:
            return
        from sortext.files.write import atomic_write

        body = bucket.bytecode_to_string()
        data = _SHIPPED_MAGIC + hashlib.sha256(body).digest() + body
        try:
            fresh = not self.shipped.is_dir()
            self.shipped.mkdir(parents=True, exist_ok=True)
            atomic_write(self._entry(bucket), data, durable=False)
        except (OSError, StorageError):  # a read-only package: compiled each cold run
            return
        if fresh:
            _forget_other_keys(self.shipped)


def _forget_other_keys(kept: Path) -> None:
    """Remove the compiled shipped templates of other keys (an earlier sortext, Jinja or
    Python) beside ``kept``; a process that still reads one compiles again."""
    import shutil

    try:
        others = [p for p in kept.parent.iterdir() if p.name.startswith(_SHIPPED_PREFIX)]
    except OSError:
        return
    for other in others:
        if other != kept and not other.is_symlink() and other.is_dir():
            shutil.rmtree(other, ignore_errors=True)


# Types whose instances have no attributes but their class's: for these, ``x.key`` in a
# template can only be an item unless ``key`` names a method (``items``, ``get``).
_PLAIN_ATTRS: dict[type, frozenset[str]] = {
    dict: frozenset(dir(dict)),
    MappingProxyType: frozenset(dir(MappingProxyType)),
}
_environment_class: Any = None


def _page_environment_class() -> type[jinja2.Environment]:
    """``jinja2.Environment`` whose ``x.key`` on a plain mapping (a record's data, a
    session, an invoice: ~80 lookups a client page) goes straight to the item instead
    of raising and catching AttributeError first; the same answer for every object
    (Jinja's own rule: the attribute, else the item, else undefined)."""
    global _environment_class
    if _environment_class is None:
        import jinja2

        class PageEnvironment(jinja2.Environment):
            def getattr(self, obj: Any, attribute: str) -> Any:
                attrs = _PLAIN_ATTRS.get(type(obj))
                if attrs is None or attribute in attrs:
                    try:
                        return getattr(obj, attribute)
                    except AttributeError:
                        pass
                try:
                    return obj[attribute]
                except (TypeError, LookupError, AttributeError):
                    return self.undefined(obj=obj, name=attribute)

        class PageTemplate(jinja2.Template):
            @classmethod
            def _from_namespace(
                cls,
                environment: jinja2.Environment,
                namespace: Any,
                globals: Any,
            ) -> jinja2.Template:
                # The compiled template's ``escape`` only wraps what it outputs (each
                # ``{{ }}`` is yielded or appended to a buffer, then joined): the text
                # is what markupsafe's gives, without a Markup object per value.
                if namespace.get("escape") is _markup_escape():
                    namespace["escape"] = escape_text
                return super()._from_namespace(environment, namespace, globals)

        PageEnvironment.template_class = PageTemplate
        _environment_class = PageEnvironment
    return _environment_class  # type: ignore[no-any-return]


def _markup_escape() -> Any:
    from markupsafe import escape

    return escape


_INNER: Any = None  # markupsafe's escaper of a str's text, once loaded
_ESCAPE: Any = None  # markupsafe.escape, once loaded
_MARKUP: Any = None  # markupsafe.Markup, once loaded
_INNER_NAME = "_escape_inner"  # its name in markupsafe (3.x; private, so looked up)


def _load_inner() -> Any:
    """markupsafe's escaper of a ``str`` (C when its speedups are built): what its
    ``escape`` applies to a ``str`` before making a Markup of it; without it (another
    markupsafe), the text of ``escape`` itself."""
    global _INNER, _ESCAPE, _MARKUP
    import markupsafe

    found = getattr(markupsafe, _INNER_NAME, None)
    _ESCAPE = markupsafe.escape
    _MARKUP = markupsafe.Markup
    _INNER = _inert(found if callable(found) else _fallback_inner)
    return _INNER


def _inert(escape_str: Any) -> Any:
    """``escape_str`` (a ``str -> str`` HTML escaper) whose answer also has every
    character a renderer acts on made a visible escape, as on the terminal
    (:func:`sortext.files.inert.clean`, newlines and tabs kept): a bidi override
    (U+202E) in a name would otherwise reverse what follows it in its table cell or
    paragraph (the owner, the due date), and a zero-width or line-separator
    character would hide text.  The escapes (``\\u202e``) hold no HTML-special
    character, so escaping before or after gives the same text."""

    def inner(text: str) -> str:
        out: str = escape_str(text)
        if out.isprintable():
            return out  # the common case (any script): nothing to make visible
        return clean(out, newlines=True)

    return inner


def text_escaper() -> Any:
    """The function :func:`escape_text` applies to a ``str`` (markupsafe's own escaper
    when it has one): ``str -> str``."""
    return _INNER or _load_inner()


def _fallback_inner(text: str) -> str:
    return str(_markup_escape()(text))


def escape_text(value: Any) -> str:
    """The text of ``markupsafe.escape(value)``, as a plain ``str``: ~15% of a client
    page's render was making one Markup per ``{{ value }}``.  A ``str`` (most values)
    is escaped by markupsafe's own escaper; anything else goes through ``escape``
    itself (``__html__``, numbers, Jinja's undefined values: its rules, unchanged), but
    for a ``Markup`` (what a filter such as ``nobr`` or ``notes`` returns: ~19 a page,
    ~600 bytes each), whose escape is a copy of itself, and an ``int``, whose text has
    nothing to escape: their text directly.  Either way, a character a renderer acts
    on (a bidi override, a zero-width space, a control) becomes a visible escape
    (``\\u202e``, see :func:`_inert`)."""
    inner = _INNER or _load_inner()
    kind = type(value)
    if kind is str:
        return inner(value)  # type: ignore[no-any-return]
    if kind is _MARKUP or kind is int:
        return str(value)
    return clean(str(_ESCAPE(value)), newlines=True)


_NUMBER = (int, float)


def _money(amount: float | None, currency: object = None) -> str:
    """An amount in a currency; a currency that is not text is left out."""
    return money(amount, currency if isinstance(currency, str) else None)


def _count(n: float | None, word: str, plural: str | None = None) -> str:
    """``{{ n|count('day') }}``: "14 days", "1 day"; ``""`` for no number (a missing
    value, text, or a boolean: ``terms_days: true`` is no count of days).  A whole
    float is shown as the whole number it is (``14.0`` days is "14 days")."""
    if n is None or not math.isfinite(n):
        return ""
    return count(int(n) if n == int(n) else n, word, plural)


def _readable(fn: Any, kind: type | tuple[type, ...]) -> Any:
    """``fn`` with a first argument it cannot read passed as None: one of Jinja's
    undefined values (``i.amount`` of an invoice that has none), a value not of
    ``kind`` (an amount written as a mapping), a boolean where a number belongs.
    Later arguments that are undefined are passed as None too."""
    import jinja2

    undefined = jinja2.Undefined

    def filter_(value: Any = None, *args: Any, **kwargs: Any) -> Any:
        if isinstance(value, undefined) or not isinstance(value, kind):
            value = None
        elif value is True or value is False:
            value = value if kind is object else None
        if args and any(isinstance(a, undefined) for a in args):
            args = tuple(None if isinstance(a, undefined) else a for a in args)
        return fn(value, *args, **kwargs)

    filter_.__name__ = getattr(fn, "__name__", "filter_")
    filter_.__doc__ = fn.__doc__
    filter_.__wrapped__ = fn  # type: ignore[attr-defined]  # what it reads (pages/plain.py)
    return filter_


# What a template can raise while rendering one page: Jinja's own errors and what a
# filter or a method raises on a value it cannot read (a user's template is code).
_RENDER_FAILURES = (TypeError, ValueError, AttributeError, LookupError, ArithmeticError)


def render_page(template: jinja2.Template, what: str, **context: Any) -> str:
    """``template`` rendered with ``context``.

    Raises :class:`~sortext.errors.TemplateProblem` (``templates/x.html.j2:LINE:
    message (what)``) when the template fails, e.g. a repository's own template asks
    a record for a value it does not have; ``what`` names the page being rendered."""
    import jinja2

    try:
        return template.render(**context)
    except (jinja2.TemplateError, *_RENDER_FAILURES) as exc:
        raise _problem(exc, template.filename, what) from exc


def _problem(exc: BaseException, fallback: str | None, what: str | None) -> TemplateProblem:
    """The template file and line ``exc`` was raised at (the deepest template frame of
    its traceback, as Jinja rewrites it; for a syntax error, its own position)."""
    import jinja2

    filename, line = fallback, None
    if isinstance(exc, jinja2.TemplateSyntaxError):
        filename, line = exc.filename or fallback, exc.lineno
    else:
        tb = exc.__traceback__
        while tb is not None:
            code = tb.tb_frame.f_code
            if not code.co_filename.endswith(".py") and not code.co_filename.startswith("<"):
                filename, line = code.co_filename, tb.tb_lineno
            tb = tb.tb_next
    place = _shown_template(filename) if filename else "template"
    if line is not None:
        place = f"{place}:{line}"
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    during = f" (while rendering {what})" if what else ""
    return TemplateProblem(f"{place}: {_one_line(message)}{during}")


def _shown_template(filename: str) -> str:
    """A template's path as the user knows it: ``templates/client.html.j2`` (a
    repository's own) or ``sortext/templates/client.html.j2`` (shipped)."""
    path = Path(filename)
    if path.parent.name == PACKAGE_TEMPLATES and path.parent.parent.name == "sortext":
        return f"sortext/{PACKAGE_TEMPLATES}/{path.name}"
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name


def _one_line(text: str) -> str:
    return " ".join(text.split())


def load_template(env: jinja2.Environment, name: str) -> jinja2.Template:
    """Template ``name`` of ``env``; one that cannot be compiled (a syntax error in a
    repository's own copy) raises :class:`~sortext.errors.TemplateProblem`."""
    import jinja2

    try:
        return env.get_template(name)
    except jinja2.TemplateError as exc:
        raise _problem(exc, name, None) from exc


def render(env: jinja2.Environment, name: str, **context: Any) -> str:
    """Page ``name`` rendered with ``context``; a failing template raises
    :class:`~sortext.errors.TemplateProblem`."""
    return render_page(load_template(env, name), name.removesuffix(".j2"), **context)


# -- filters --------------------------------------------------------------------


# At-risk reasons that another dashboard panel already lists in full: the At risk
# panel names the kind and links to that panel instead of repeating the line.
RISK_LINKS: dict[str, tuple[str, str]] = {
    "next_overdue": ("next action overdue", "#next"),
    "next_missing": ("no next action", "#next"),
    "invoice_overdue": ("invoice overdue", "#money"),
    "goal_stuck": ("goal stuck", "#stuck"),
    "checkin_due": ("check-in due", "#dates"),
}


def by_client(findings: Any) -> list[tuple[str, str, str | None, list[Any]]]:
    """Findings grouped per client, in the order each client first appears:
    ``[(record_id, name, owner, [finding, ...]), ...]`` (one row per client)."""
    groups: dict[str, tuple[str, str, str | None, list[Any]]] = {}
    for f in findings:
        entry = groups.get(f.record_id)
        if entry is None:
            entry = groups[f.record_id] = (f.record_id, f.name, f.owner, [])
        entry[3].append(f)
    return list(groups.values())


def shown(value: Any) -> str:
    """A front-matter value as a person reads it: yes/no for booleans (not Python's
    True/False), ISO dates, lists joined with commas."""
    import datetime as dt

    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(shown(v) for v in value)
    return "" if value is None else str(value)


def chronological(mapping: Any) -> list[tuple[str, Any]]:
    """A mapping's items with dates first, earliest first (then the other values by
    key): a record's dates read in the order they happen, not alphabetically."""
    import datetime as dt

    from sortext.record.model import as_date

    items = list(mapping.items()) if hasattr(mapping, "items") else []

    def key(item: tuple[str, Any]) -> tuple[int, str, str]:
        value = item[1]
        when = value if isinstance(value, dt.date) else as_date(value)
        return (0, when.isoformat(), item[0]) if when is not None else (1, "", item[0])

    return sorted(items, key=key)


def unlabel(text: str | None, label: str) -> str:
    """``text`` without a leading ``label`` ("blocked: ") that the panel's title already
    says; ``""`` for no text."""
    if text is None:
        return ""
    return text[len(label) :] if text.lower().startswith(label.lower()) else text


ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def keepdates(value: Any) -> Any:
    """Text whose ISO dates (2026-11-17) do not break at their hyphens: the text
    escaped, each date in ``<span class="nobr">``."""
    from markupsafe import Markup

    if value is None:
        return ""
    return Markup(ISO_DATE.sub(NOBR_DATE, escape_text(value)))


NOBR_DATE = r'<span class="nobr">\g<0></span>'  # a date matched by ISO_DATE, kept whole


def nobr(value: Any) -> Any:
    """A value (a date: 2026-12-31) that must not break at its hyphens, as
    ``<span class="nobr">``; empty values stay empty."""
    from markupsafe import Markup

    if value is None or value == "":
        return ""
    return Markup(f'<span class="nobr">{escape_text(str(value))}</span>')


def md_escape(value: object) -> str:
    """Plain text made inert inside a Markdown line (no links, emphasis or HTML), on
    one line, with every character a renderer acts on (a bidi override, a zero-width
    space) a visible escape (``\\u202e``, as on the terminal; its backslash escaped
    in turn, so the page shows it)."""
    text = clean(" ".join(str(value).split()))
    return _MD_SPECIAL.sub(r"\\\1", text)


_markdown: Any = None


def notes_html(text: str | None) -> Markup:
    """Notes (Markdown) to HTML: CommonMark + tables; raw HTML is shown as text.

    comrak (Rust, fuzzed, the renderer of GitLab and crates.io) with ``escape``:
    HTML written in the notes is escaped rather than passed through or dropped, and
    without ``unsafe_`` a ``javascript:``/``data:`` link loses its target.  A link or
    image to a relative path (``contracts/x.pdf``) loses its target too (comrak's URL
    rewriters): the pages are published without the records it would point into.
    """
    global _markdown
    from markupsafe import Markup

    if _markdown is None:
        import comrak

        extensions = comrak.ExtensionOptions()
        extensions.table = True
        extensions.link_url_rewriter = _note_url
        extensions.image_url_rewriter = _note_image
        options = comrak.RenderOptions()
        options.escape = True
        _markdown = (comrak.render_markdown, extensions, options)
    render_markdown, extensions, options = _markdown
    if text is None:
        return Markup("")
    # bidi overrides and invisible characters visible, as in every other value (a
    # U+202E reverses the rest of its paragraph); newlines and tabs kept
    text = clean(text, newlines=True)
    return Markup(render_markdown(text, extension_options=extensions, render_options=options))


def link_href(value: str) -> str:
    """A link target a page may carry: an ``http(s)``/``mailto``/``tel`` URL as it is
    (stripped), else ``""`` (no link; the template shows the value as text).

    A repository path (``contracts/okafor.pdf``), a site-absolute path and any other
    scheme (``javascript:``, ``data:``) are not links: the pages are published on a
    branch without the records, so a relative link would lead nowhere there.
    """
    text = str(value).strip()
    return text if text.lower().startswith(SAFE_SCHEMES) else ""


def _note_url(url: str) -> str:
    """A link in the notes: absolute safe URLs and ``#fragments`` kept, anything else
    (a repository path, ``javascript:``) emptied so it leads nowhere outside the page."""
    return url if url.startswith("#") or url.lower().startswith(SAFE_SCHEMES) else ""


def _note_image(url: str) -> str:
    """An image in the notes: only ``http(s)`` sources (a repository path is not published)."""
    return url if url.lower().startswith(("http://", "https://")) else ""


def _scale(goal: GoalStatus, width: float, height: float, pad: float) -> tuple[Any, Any]:
    """(x of the i-th point, y of a value) on a ``width`` x ``height`` chart."""
    xs, low, high = _layout(goal, width, pad)
    inner = height - 2 * pad

    def y(value: float) -> float:
        return pad + (high - value) / (high - low) * inner

    return xs.__getitem__, y


def _layout(goal: GoalStatus, width: float, pad: float) -> tuple[list[float], float, float]:
    """The x of each point (by its date) on a ``width`` wide chart, and the value range
    the y axis spans (measurements, baseline and target)."""
    values = [v for _, v in goal.points]
    bounds = [*values, *(x for x in (goal.baseline, goal.target) if x is not None)]
    low, high = min(bounds), max(bounds)
    if high == low:
        high, low = high + 1, low - 1
    # The rules read each point's date already (goal_statuses): day_of answers from
    # the dates it kept, as as_date would (tests/test_page_render_fast.py).
    ordinals = []
    for when, _ in goal.points:
        day = day_of(when)
        ordinals.append(day.toordinal() if day else 0)
    if len(ordinals) == 1:
        return [width / 2], low, high
    first, last = (min(ordinals), max(ordinals)) if ordinals else (0, 1)
    span = (last - first) or 1
    inner = width - 2 * pad
    return [pad + (o - first) / span * inner for o in ordinals], low, high


def _f(value: float) -> str:
    return f"{value:.1f}"


def sparkline(goal: GoalStatus, width: int = 120, height: int = 28) -> Markup:
    """A small inline SVG: measurements, baseline (grey) and target (green) lines."""
    from markupsafe import Markup

    label = escape_text(f"{goal.title}: {goal.reason}")
    if not goal.points:
        return Markup(
            f'<svg class="spark" width="{width}" height="{height}" role="img" '
            f'aria-label="{label}"><title>{label}</title></svg>'
        )
    x, y = _scale(goal, width, height, 3)
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


def goal_chart(goal: GoalStatus, width: int = 520, height: int = 170) -> Markup:
    """The client page chart: measurements with values and dates, vs baseline and target."""
    from markupsafe import Markup

    label = escape_text(f"{goal.title}: {goal.reason}")
    if not goal.points:
        return Markup(f'<p class="muted">No measurements yet for {escape_text(goal.title)}.</p>')
    left, pad = 64, 22
    xs, low, high = _layout(goal, width - left, pad)
    # y of a value: pad + (high - value) / (high - low) * inner, as _scale computes it
    span, inner = high - low, height - 2 * pad
    parts = [
        f'<svg class="chart {goal.state.replace(" ", "-")}" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{label}"><title>{label}</title>'
    ]
    lines = ((goal.baseline, "base", "baseline"), (goal.target, "target", "target"))
    for value, css, name in lines:
        if value is not None:
            yy = f"{pad + (high - value) / span * inner:.1f}"
            parts.append(f'<line class="{css}" x1="{left}" x2="{width}" y1="{yy}" y2="{yy}"/>')
            parts.append(
                f'<text class="{css}" x="{left - 6}" y="{yy}" text-anchor="end" '
                f'dominant-baseline="middle">{name} {escape_text(number(value))}</text>'
            )
    # Each point's position is computed once; a number (number) needs no escaping.
    coords = []
    marks = []
    bottom = height - 4
    for (when, value), x in zip(goal.points, xs, strict=True):
        cx = f"{left + x:.1f}"
        vy = pad + (high - value) / span * inner
        cy = f"{vy:.1f}"  # formatted once: the polyline and the circle share it
        coords.append(f"{cx},{cy}")
        marks.append(
            f'<circle cx="{cx}" cy="{cy}" r="3.5"/><text class="val" x="{cx}" '
            f'y="{vy - 8:.1f}" text-anchor="middle">{number(value)}</text><text '
            f'class="date" x="{cx}" y="{bottom}" text-anchor="middle">'
            f"{escape_text(when[2:])}</text>"
        )
    parts.append(f'<polyline points="{" ".join(coords)}"/>')
    parts.extend(marks)
    parts.append("</svg>")
    return Markup("".join(parts))
