"""Text made inert before it reaches a terminal or a log file.

Record text comes from many hands (an editor, a second laptop through sync, a
web form through intake, a CRM export through import).  A terminal *acts* on
some characters instead of showing them: ESC starts CSI sequences (``ESC [2J``
clears the screen) and OSC sequences (``ESC ] 0;title BEL`` sets the window
title, ``ESC ] 8;;url`` plants a hyperlink), ``\\r`` rewrites the current line,
C1 controls (U+0080-U+009F) are 8-bit CSI/OSC, and bidi controls (U+202E...)
reorder what is shown.  :func:`clean` turns each into a visible escape
(``\\x1b``, ``\\u202e``), as are the invisible format characters (zero-width
spaces and joiners, tag characters); it is the one sanitiser (``sortext.commands.
style.visible`` is an alias of it).  :class:`InertStream` applies the same rule to
everything a command writes, keeping only the colour codes sortext itself
emits, and only when colour is on, and fits it to the stream's encoding
(:func:`fit`): a character the stream cannot encode (a sparkline on a Latin-1
terminal), or encodes as another character (the yen sign on Shift-JIS), gets a
readable ASCII stand-in or a visible escape, so no output ever fails to be
written or shows a look-alike.
"""

from __future__ import annotations

import codecs
import io
import re

from sortext.lazyre import Lazy

TYPE_CHECKING = False  # typing is not imported on the quick query path (see files.state)
if TYPE_CHECKING:
    from typing import Any, TextIO

# Everything a terminal or a text renderer may act on, but tab and newline: every
# character of the Unicode categories Cc (controls), Cf (format: bidi controls,
# zero-width characters, the invisible tag characters, the Arabic number signs) and
# Zl/Zp (line and paragraph separators), as the Unicode 15.1 database lists them.
# tests/test_inert_one.py checks this against the running Python's database.
_UNSAFE_CHARS = (
    "\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\xad\\u0600-\\u0605\\u061c\\u06dd\\u070f"
    "\\u0890\\u0891\\u08e2\\u180e\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u2064"
    "\\u2066-\\u206f\\ufeff\\ufff9-\\ufffb\\U000110bd\\U000110cd\\U00013430-\\U0001343f"
    "\\U0001bca0-\\U0001bca3\\U0001d173-\\U0001d17a\\U000e0001\\U000e0020-\\U000e007f"
)
# Compiled on first use (~5 ms for the three: classes of many code point ranges): text
# that is plain ASCII without control characters never needs them.
_UNSAFE = Lazy(f"[{_UNSAFE_CHARS}]")
_UNSAFE_LINE = Lazy(f"[\\t\\n{_UNSAFE_CHARS}]")
# The colour codes click.style writes for sortext's styles: reset, bold, dim,
# normal intensity, red, yellow, default colour.
_OWN_SGR = frozenset({"0", "1", "2", "22", "31", "33", "39"})
_OUTPUT = Lazy(f"\\x1b\\[([0-9;]{{0,12}})m|(\\r\\n)|[{_UNSAFE_CHARS}]")
# The ASCII characters of _UNSAFE_CHARS but tab and newline: ASCII text without them
# is left as it is by inert_output (and, without tab and newline, by clean).
_CONTROLS = bytes([*range(9), *range(11, 32), 127])


def _plain_ascii(text: str) -> bool:
    """True for ASCII text with no control character but tab and newline (the
    filters' regexes would find nothing in it: checked in one pass, no regex)."""
    if not text.isascii():
        return False
    data = text.encode("ascii")
    return len(data.translate(None, _CONTROLS)) == len(data)


def _printable_lines(text: str) -> bool:
    """True when ``text`` but its newlines and tabs is printable (``str.isprintable``:
    no character of the categories Cc, Cf, Cs, Co, Cn, Zl, Zp, nor a space other than
    U+0020), so none of :data:`_UNSAFE_CHARS` is in it and :func:`clean` with
    ``newlines`` has nothing to change.  A client's notes are such text: checking
    costs two copies, not a regex over every character (issue 15: ~5% of a cold
    build's per-record work was that regex).  ASCII text (an O(1) test) is printable
    but for newlines and tabs exactly when it holds none of :data:`_CONTROLS`: one
    ``bytes.translate`` (:func:`_plain_ascii`) instead of the copies and
    ``isprintable``'s look-up of each character's category (issue 15: a cold build of
    the 1,000 generated records, one process, 11.97 -> 11.81 G instructions, -1.3%)."""
    if text.isascii():
        return _plain_ascii(text)
    return text.replace("\n", "").replace("\t", "").isprintable()


def _escape(char: str) -> str:
    """``\\x1b`` for C0 controls, ``\\u009b`` / ``\\u202e`` from DEL up, and a
    character beyond U+FFFF as its UTF-16 pair (U+E0041 -> ``\\udb40\\udc41``).

    The ``\\uXXXX`` forms are also valid JSON escapes of the same character, so a
    ``--json`` output stays valid JSON (json.dumps already escapes C0 itself).
    """
    code = ord(char)
    if code < 0x20:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    high, low = divmod(code - 0x10000, 0x400)
    return f"\\u{0xD800 + high:04x}\\u{0xDC00 + low:04x}"


def _visible(match: re.Match[str]) -> str:
    return "".join(_escape(c) for c in match.group())


# ASCII stand-ins for characters sortext itself prints, when the stream cannot encode
# them: the sparkline's eighth blocks (one level each, lowest first) and the
# typography of its messages.  Anything else becomes a visible escape (_escape).
_STAND_INS = {
    **dict(zip("\u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588", "_.-:=+*#", strict=True)),
    "\u2026": "...",  # ellipsis
    "\u2013": "-",  # en dash
    "\u2014": "--",  # em dash
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u00b7": ".",  # middle dot
    "\u2022": "*",  # bullet
    "\u2192": "->",
    "\u2190": "<-",
    "\u2264": "<=",
    "\u2265": ">=",
    "\u00d7": "x",
    "\u2713": "ok",
}
#: The error handler :func:`fit` encodes with (registered with :mod:`codecs`).
FALLBACK = "sortext-fallback"
# Encodings that encode every character a str can hold but lone surrogates (which
# inert_output and clean already escape).
_UNICODE = frozenset(
    {
        "utf-8",
        "utf-16",
        "utf-16-le",
        "utf-16-be",
        "utf-32",
        "utf-32-le",
        "utf-32-be",
        "utf-8-sig",
        "gb18030",
    }
)


def _stand_in(exc: UnicodeError) -> tuple[str, int]:
    """The ``codecs`` error handler :data:`FALLBACK`: each character the codec cannot
    encode -> its ASCII stand-in (``"\u2581"`` -> ``"_"``, ``"\u2026"`` -> ``"..."``)
    or its visible escape (``"\u263a"`` -> ``"\\u263a"``)."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    bad = exc.object[exc.start : exc.end]
    return "".join(_STAND_INS.get(char) or _escape(char) for char in bad), exc.end


codecs.register_error(FALLBACK, _stand_in)


def codec_name(encoding: str | None) -> str | None:
    """The normal name of ``encoding`` (``"latin-1"`` -> ``"iso8859-1"``), None when
    there is none or Python does not know it."""
    if not encoding:
        return None
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return None


def fit(text: str, encoding: str | None) -> str:
    """``text`` as a stream in ``encoding`` can take it and shows it: unchanged when
    every character is written as itself (always for ASCII text and the Unicode
    encodings), else with each character the encoding lacks, *or writes as another
    character*, replaced: by its ASCII stand-in when it is one of sortext's own
    (sparklines degrade to ``_.-:=+*#``, an ellipsis to ``...``), else by its visible
    escape ``\\uXXXX`` (Shift-JIS writes the yen sign as the backslash's byte and the
    overline as the tilde's, cp932 the cent sign as another, EUC-KR's Hangul filler
    reads back as another: each would show a different character than the text's).
    So what a reader decodes is the text's character, its escape or its stand-in,
    never a look-alike.  ``encoding``: a codec name (:func:`codec_name`); None or an
    unknown codec leaves the text as it is."""
    if encoding is None or encoding in _UNICODE or text.isascii():
        return text
    try:
        if text.encode(encoding).decode(encoding) == text:
            return text  # every character reads back as itself
    except UnicodeError:
        pass  # some character is lacking: each is looked at below
    except LookupError:
        return text
    return _each_unreadable(text, encoding, stand_ins=True)


def _each_unreadable(text: str, encoding: str, stand_ins: bool) -> str:
    """``text`` with each character that does not read back as itself in ``encoding``
    replaced by its visible escape (or, with ``stand_ins``, by sortext's own ASCII
    stand-in when it has one); each distinct character is tried once."""
    kept: dict[str, bool] = {}

    def one(char: str) -> str:
        if char.isascii():
            return char
        if char not in kept:
            kept[char] = _round_trips(char, encoding)
        if kept[char]:
            return char
        return (stand_ins and _STAND_INS.get(char)) or _escape(char)

    return "".join(one(char) for char in text)


def json_text(value: Any, encoding: str | None, **options: Any) -> str:
    """``value`` as JSON text (``json.dumps(value, ensure_ascii=False, **options)``) a
    stream in ``encoding`` takes as it is: each character the encoding lacks, or
    writes as another (Shift-JIS's yen sign is its backslash), is a JSON
    ``\\uXXXX`` escape, so :func:`fit` finds nothing to change.  Its stand-ins are
    for prose: a curly quote's ``"`` inside a JSON string ends the string, and an
    arrow's ``->`` is not the record's text.  ``encoding``: a stream's encoding (any
    spelling; None or an unknown codec: UTF-8).  Raises what ``json.dumps`` raises."""
    import json

    return exact(json.dumps(value, ensure_ascii=False, **options), encoding)


def exact(text: str, encoding: str | None) -> str:
    """``text`` of a file format (JSON, CSV, ICS) as a stream in ``encoding`` takes it
    as it is: each character the encoding lacks, or writes as another (Shift-JIS's
    yen sign is its backslash), is its visible escape (``\\u201c``), never one of
    :func:`fit`'s stand-ins (a curly quote's ``"`` would end a JSON string or a CSV
    cell).  ``encoding``: any spelling; None or an unknown codec: UTF-8."""
    name = codec_name(encoding)
    if name is None or name in _UNICODE or text.isascii():
        return text
    return _each_unreadable(text, name, stand_ins=False)


def _round_trips(char: str, encoding: str) -> bool:
    """Whether ``encoding`` writes ``char`` so that it reads back as ``char``: Shift-JIS
    writes the yen sign as the byte of the backslash (which a JSON reader then takes
    for an escape), and the overline as the tilde's."""
    try:
        return char.encode(encoding).decode(encoding) == char
    except UnicodeError:
        return False


def clean(text: str, *, newlines: bool = False) -> str:
    """``text`` with every character a terminal would act on made a visible escape.

    ``"\\x1b[2J"`` -> ``"\\\\x1b[2J"``; U+202E -> ``"\\\\u202e"``; ``"\\r"`` ->
    ``"\\\\x0d"``.  Newlines and tabs are kept only when ``newlines`` is true:
    a one-line field (a name, an action, a file name) must never forge a second
    output line.  Lone surrogates (from file names that are not UTF-8) become
    ``\\udcXX`` escapes so the text can always be written.
    """
    if text.isprintable() or (newlines and _printable_lines(text)):
        return text  # nothing a terminal acts on: as it is, no regex over it
    out = (_UNSAFE if newlines else _UNSAFE_LINE)().sub(_visible, text)
    if not out.isascii():
        out = out.encode("utf-8", "backslashreplace").decode("utf-8")
    return out


def inert_output(text: str, colour: bool) -> str:
    """A whole piece of command output made inert (newlines and tabs kept).

    With ``colour``, sortext's own colour codes (SGR ``ESC [ n m`` with the
    codes of its styles) stay; every other escape sequence, control character
    and bidi control becomes visible.  Without colour no ESC survives.  A
    ``\\r`` stays only as part of a ``\\r\\n`` line end.
    """

    def one(match: re.Match[str]) -> str:
        params = match.group(1)
        if params is not None and colour and set(params.split(";")) <= _OWN_SGR:
            return match.group()
        if match.group(2):
            return match.group()  # a CRLF line end (CSV and ICS exports end lines so)
        return _visible(match)

    if _plain_ascii(text):  # no escape, no control: nothing to keep or make visible
        return text
    out = _OUTPUT().sub(one, text)
    if not out.isascii():
        out = out.encode("utf-8", "backslashreplace").decode("utf-8")
    return out


def target_codec(stream: Any) -> tuple[str, str]:
    """(encoding, error handler) in which text written for ``stream`` reaches it, as
    ``click.echo`` writes it: the stream's own (the codec's normal name), but UTF-8
    with ``replace`` when the stream says ASCII (``PYTHONIOENCODING=ascii``, the C
    locale without Python's UTF-8 mode): Click takes such a stream for misconfigured
    and writes UTF-8 to its buffer instead (``click._compat``)."""
    import codecs

    if _says_ascii(stream):
        return "utf-8", "replace"
    encoding = getattr(stream, "encoding", None) or "ascii"
    errors = getattr(stream, "errors", None) or "strict"
    try:
        return codecs.lookup(encoding).name, errors
    except LookupError:
        return encoding, errors


def _says_ascii(stream: Any) -> bool:
    import codecs

    try:
        return codecs.lookup(getattr(stream, "encoding", None) or "ascii").name == "ascii"
    except LookupError:
        return False


def text_target(stream: TextIO) -> TextIO:
    """The stream ``click.echo`` writes to for ``stream`` (see :func:`target_codec`):
    ``stream`` itself, or a UTF-8 one over its buffer (which it leaves open) when it
    says ASCII.  An :class:`InertStream` is put over this one, so that Click writes
    through the filter instead of around it."""
    buffer = getattr(stream, "buffer", None)
    if buffer is None or not _says_ascii(stream):
        return stream
    stream.flush()
    return _Borrowed(buffer, encoding="utf-8", errors="replace", write_through=True)


class _Borrowed(io.TextIOWrapper):
    """A text wrapper over a buffer it does not own: left open when it goes."""

    def __del__(self) -> None:
        # No module-level name (contextlib): this may run as the interpreter shuts down.
        try:  # noqa: SIM105
            self.detach()
        except Exception:  # already detached, or closed: nothing left to keep open
            pass


def output_error(exc: OSError, stream: Any) -> Exception:
    """What writing to ``stream`` failing with ``exc`` raises: ``exc`` itself when the
    reader went away (``EPIPE``: Click's main makes that a quiet exit), else an
    :class:`~sortext.errors.OutputError` saying so (a full disk, a closed stream)."""
    import errno

    from sortext.errors import OutputError

    if exc.errno == errno.EPIPE:
        return exc
    try:
        fd: int | None = stream.fileno()
    except (OSError, AttributeError, ValueError, io.UnsupportedOperation):
        fd = None  # no descriptor of its own (a closed stream, a test's buffer)
    return OutputError(f"cannot write the output: {exc.strerror or exc}", fd)


class ClosedStream:
    """Stands for a standard stream that was closed before sortext started (Python
    gives ``None`` for it: ``sortext list >&-``): nothing written to it is lost
    silently, each write fails as writing to a closed descriptor does (``EBADF``)."""

    encoding = "utf-8"
    errors = "strict"

    def __init__(self, name: str) -> None:
        self.name = name

    def write(self, text: str) -> int:
        import errno

        raise OSError(errno.EBADF, f"{self.name} is closed")

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


class InertStream:
    """A text stream that writes through :func:`inert_output` to ``target``.

    Installed over ``sys.stdout`` / ``sys.stderr`` while a command runs, so no
    command, present or future, can print a control sequence it did not mean.
    Everything else (``isatty``, ``encoding``, ``buffer``...) is the target's.
    """

    def __init__(self, target: TextIO, colour: bool) -> None:
        self._target = target
        self._colour = colour
        self._encoding = codec_name(getattr(target, "encoding", None))
        # Lists that receive every piece of inert text written (a remembered answer
        # keeps what reached the target: see sortext.views.recall).
        self.taps: list[list[str]] = []

    @property
    def colour(self) -> bool:
        """Whether sortext's own colour codes pass (the ``colour`` it was made with)."""
        return self._colour

    def write(self, text: str) -> int:
        out = fit(inert_output(text, self._colour), self._encoding)
        for tap in self.taps:
            tap.append(out)
        if not out:  # nothing to write (Click's probe of the stream's kind writes "")
            return 0
        try:
            self._target.write(out)
        except OSError as exc:
            raise output_error(exc, self._target) from exc
        return len(text)

    def write_inert(self, text: str) -> None:
        """Write ``text`` that this kind of stream made inert before (with the same
        colour setting) to the target as it is: a replayed answer is not filtered
        twice."""
        try:
            self._target.write(fit(text, self._encoding))
        except OSError as exc:
            raise output_error(exc, self._target) from exc

    def flush(self) -> None:
        try:
            self._target.flush()
        except OSError as exc:
            raise output_error(exc, self._target) from exc

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)
