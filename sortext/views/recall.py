"""Remembered terminal answers: a query asked again with nothing changed prints what it
printed before, without importing the rules, the record model or the index code.

``next``, ``list``, ``show`` and ``search`` keep what they printed (stdout, stderr,
exit status; the text as it reached the terminal) in the index's reply table
(:func:`sortext.store.answers.keep_reply`, the newest :data:`KEEP`; a long stdout as
an uncompressed file in ``.sortext/replies/``, :attr:`StateDir.replies`) under a key
made of everything the text depends on:

* the command and its arguments, the day (``--today``), colour on or off and
  the terminal width;
* the encodings of stdout and stderr (:func:`outputs`): on a stream that cannot
  encode a character the inert filter writes a stand-in for it, so the same answer
  is different text on a Latin-1 and on a UTF-8 terminal;
* sortext's build (its version, and the identity of its ``__init__.py``: the
  version number outlives many builds; run from a source tree, the newest change
  to any of its files: :func:`build`), the bytes of ``sortext.yaml`` and ``erased.yaml`` (which
  clients the index keeps out) and the index's fingerprint (layout version,
  effective schema, erasures);
* HEAD's commit (for the answers that show time in stage, which git decides:
  a commit that moves a stage while the file's bytes stay the same changes it);
* that the records are the ones the index holds: either a running watcher
  vouches for its index (:mod:`sortext.files.watchmark`; the key then holds the
  identity of its marker file, rewritten after every settled save), or, without
  a watcher, the change finder every refresh uses (:mod:`sortext.store.scan`: one
  ``lstat`` pass compared with the stamp the index's last pass left): the key holds
  the stamp and the stat (inode, mode, size, mtime, ctime) of each file it names
  as a candidate (changed since the stamp, or too recent to trust when it was
  taken, and since proved unchanged by a refresh); every other file has kept its
  bytes and stat since the stamp.

Any record the index stores or removes empties the reply table
(:func:`sortext.store.answers.forget_all`), so nothing older than the records
is kept; the key covers the rest.  A state with a candidate whose ctime is too
recent to trust (a write within the same clock tick could leave a stat unchanged,
see :data:`RACY_WINDOW_NS`; the mtime, which can say anything, is only compared) is
never remembered, nor one with a candidate gone,
unreadable or a symbolic link (its target is not looked at).  A missing, damaged or
locked index, no usable stamp (the command's own refresh leaves one), no git, or a
HEAD that cannot be read cheaply only means "not remembered": the command then
does its normal work.

Before Click: ``sortext``'s entry point (:mod:`sortext.__main__`) first calls
:func:`replay_line` with the command line.  A command that remembers its reply under
such an entry also records which question the command line asked (the ``parts``
above), keyed by the command line and everything else Click and the command read to
turn it into those parts: the arguments, the working folder, whether stdout is a
terminal and its size, ``COLUMNS``/``LINES``, ``NO_COLOR``, ``SORTEXT_TODAY``, the
day and sortext's build.  The same command line in the same situation then finds
its question, and its reply under the usual key, without importing Click or the
command (a command line naming ``--repo``, asking for help or completion is left to
Click).

After a save: a running watcher asks again the questions command lines asked that day
since its previous refresh (:func:`questions` with ``pending``, :class:`Refresh`: the
question as recorded with its line, now with its streams' encodings and the day), in a
child process once it vouches for its index again, and keeps each reply under the key
that command line computes, so the first query after a save is a replay
(``sortext.commands.watch.refresh_in_child``).  Every answer to a command line marks it
asked (:func:`sortext.store.answers.mark_asked`: with its line when worked out, after
the reply when replayed unless its mark is already the newest: the marks are in the
order of the asks, however many questions are asked between two refreshes); a question
not asked again is left stale and worked out when next asked.

The day: "today" is the practice's (:func:`sortext.vcs.midnight.practice_day`, the
date in ``timezone:`` of ``sortext.yaml``), the same day ``build`` and the watcher
take, whatever ``TZ`` the command line runs under.  A quick query knows it without
reading the configuration or a time zone database: the index's meta row that names
the clients folder for a configuration (by the digest of its bytes) also holds that
configuration's ``timezone:`` and the instants the practice's current day spans
(:func:`sortext.vcs.midnight.day_span`, written with each kept reply; none without
``timezone:``, where the day is each process's local date under its own ``TZ``); outside
them (after midnight, on a day the clocks change) the zone decides, and with no row for
these bytes the configuration itself (:func:`_practice_today`).  The day goes into the
command line's key (a line asked on another practice day is another line) and, as
``--today``'s default, into the question's parts; a reply is kept only when
``sortext.yaml`` still has the bytes the key was made with once the answer is worked
out (:meth:`Recall.keep`), so the day in a key is always the one the configuration
the answer read gives.

May import: :mod:`sortext.files`, :mod:`sortext.store.answers`,
:mod:`sortext.store.scan` (without a watcher), :mod:`sortext.vcs.headref`,
:mod:`sortext.vcs.midnight` (nothing heavier: this is the quick path; the
configuration, :mod:`sortext.schema.config`, only when the meta row does not know it).
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
import sys
import time
from pathlib import Path, PurePath

from sortext.files import watchmark
from sortext.files.codestamp import code_stamp
from sortext.files.state import StateDir
from sortext.store import answers

TYPE_CHECKING = False  # neither typing nor dataclasses is imported here (see files.state)
if TYPE_CHECKING:
    import datetime as dt
    from typing import Any

    from sortext.repo import Repository

#: A file modified this close to the moment an answer was taken may change again
#: without its stat changing; such a state is not remembered (as the index re-hashes).
#: The change finder's own window (``scan.RACY_WINDOW_NS``; a test holds them equal:
#: the finder, and its dataclass, are imported only when no watcher vouches).
RACY_WINDOW_NS = 2_000_000_000
#: What reading the state may raise: a missing, locked or damaged index, a damaged row
#: (JSON nested too deep to read raises RecursionError): "not remembered", never an error.
_UNREADABLE = (
    OSError,
    sqlite3.Error,
    ValueError,
    TypeError,
    KeyError,
    AttributeError,
    RecursionError,
)
# meta row (kept when the answers are forgotten): {"config": sha256 of sortext.yaml,
# "clients": the clients folder it names, "zone": its timezone: (or null), "span":
# [start, end, "YYYY-MM-DD"]: the practice day that held when it was written and the
# instants it spans (absent when that day held a clock change, and without a zone:
# the local day is each process's own)}, so a lookup needs no configuration.
_CLIENTS = "recall_clients"
_PREFIX = "recall:"  # a reply key: the prefix and a SHA-256 of its parts
#: How many replies are kept (a new one pushes out the oldest; older days and
#: questions go).  At 30,000 clients ``next`` prints ~3 MB; the bench's seven
#: replies take 2.2 MB compressed.
KEEP = 24


def _connect(index: Path) -> sqlite3.Connection | None:
    if not index.is_file():
        return None
    try:
        conn = sqlite3.connect(f"{index.as_uri()}?mode=rw", uri=True, timeout=2.0)
    except (sqlite3.Error, ValueError):
        return None
    return conn


def _value(conn: sqlite3.Connection, table: str, key: str) -> Any:
    row = conn.execute(f"SELECT value FROM {table} WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def _watch_stamp(root: Path, clients: Path) -> str | None:
    """The identity of a live watcher's marker, when it vouches for its index."""
    marker = StateDir(root).watch_current
    try:
        before = os.stat(marker)
    except OSError:
        return None
    if not watchmark.vouched(root, clients):
        return None
    try:
        after = os.stat(marker)
    except OSError:
        return None
    stamp = (before.st_ino, before.st_mtime_ns, before.st_size)
    if stamp != (after.st_ino, after.st_mtime_ns, after.st_size):
        return None
    return f"watch:{stamp[0]}:{stamp[1]}:{stamp[2]}"


# Everything but tab and newline below space, and DEL: what the inert filter changes
# in ASCII text (sortext.files.inert.inert_output).
_CONTROLS = bytes([*range(9), *range(11, 32), 127])
_CONTROL_BYTES = tuple(bytes([c]) for c in _CONTROLS)


def _plain(text: str) -> bool:
    """True for ASCII text without control characters (tab and newline aside): the
    inert filter leaves such text as it is."""
    if not text.isascii():
        return False
    return _plain_bytes(text.encode("ascii"))


def _plain_bytes(data: bytes) -> bool:
    """:func:`_plain` of UTF-8 bytes."""
    # one memchr pass per control byte, no copy: 40% less CPU than translate(None,
    # _CONTROLS) on the MB replies of `list --at-risk` (no copy of the reply made)
    return data.isascii() and not any(c in data for c in _CONTROL_BYTES)


def _replies(root: Path) -> Path | None:
    """The folder of the long replies, or None when it, or ``.sortext``, is a link
    (then long replies are neither read nor kept as files): ``.sortext`` may come
    from elsewhere (a synced folder), and a link to another folder, even one inside
    the repository, would have the user's ``.txt`` files there taken for replies
    and removed."""
    from sortext.errors import SortextError

    try:
        folder = StateDir(root).replies
    except (SortextError, OSError):
        return None
    real = os.path.join(os.path.realpath(root), os.path.relpath(folder, root))
    if os.path.realpath(folder) != real:
        return None
    return folder


#: The erasures file (sortext.record.tombstone.FILE_NAME, not imported here): which
#: clients the index keeps out, so part of every reply's key with sortext.yaml.
ERASED = "erased.yaml"


def build() -> str:
    """This build of sortext (:func:`sortext.files.codestamp.code_stamp`): a reply
    printed by another build must not be replayed."""
    global _BUILD
    if _BUILD is None:
        _BUILD = code_stamp()
    return _BUILD


#: :func:`build`'s answer, once per process (a replay asks for it twice).
_BUILD: str | None = None


def outputs() -> list[str | None]:
    """The encodings text reaches stdout and stderr in (codec names, as
    :func:`sortext.files.inert.target_codec` says), the same whether asked before
    Click (the process's own streams) or inside a command (the inert streams over the
    streams Click writes to)."""
    from sortext.files.inert import codec_name, target_codec

    return [codec_name(target_codec(stream)[0]) for stream in (sys.stdout, sys.stderr)]


def _config_digest(root: Path) -> str:
    """SHA-256 (hex) of ``sortext.yaml`` and, when there is one, ``erased.yaml``."""
    digest = hashlib.sha256((root / "sortext.yaml").read_bytes())
    from sortext.files.plain import read_regular

    try:
        erased = read_regular(root / ERASED)[0]
    except FileNotFoundError:
        return digest.hexdigest()
    digest.update(b"\0" + ERASED.encode("ascii") + b"\0" + erased)
    return digest.hexdigest()


def _reply_key(
    conn: sqlite3.Connection,
    root: Path,
    config: str,
    parts: list[Any],
    clock: bool,
    streams: list[str | None] | None = None,
    watcher_only: bool = False,
    folder: str | None = None,
) -> tuple[str, bool] | None:
    """(the reply key of ``parts`` for the records as they are now, whether the state
    is too recent to remember), or None when it cannot be told cheaply.  ``streams``:
    the encodings of stdout and stderr (default: this process's, :func:`outputs`);
    ``watcher_only``: None unless a watcher vouches (no stat pass); ``folder``: the
    clients folder (relative to ``root``) when the caller read the configuration
    (else the one the index's meta row names for this configuration)."""
    fingerprint = _value(conn, "meta", "fingerprint")
    if fingerprint is None:
        return None
    if folder is None:
        known = _known(conn, config)
        if known is None:
            return None
        folder = known["clients"]
    clients = root / folder
    fresh = _watch_stamp(root, clients)
    racy = False
    if fresh is None and watcher_only:
        return None
    if fresh is None:
        from sortext.store import scan

        done = scan.look(conn, clients, PurePath(folder).as_posix())
        if done is None or done.seen is None:
            return None  # no pass left a stamp: do the work (its refresh leaves one)
        # The files the finder names as candidates, by their stat (what changed since
        # the stamp, or was too recent to trust when it was taken)
        now = time.time_ns()
        for ident in done.seen.values():
            if ident is None or stat.S_ISLNK(ident[1]):
                return None  # gone or unreadable, or a link (its target unseen)
            if ident[4] >= now - RACY_WINDOW_NS:
                # may change again without its stat changing: its ctime (the kernel's,
                # never set back) is too recent; an mtime says nothing of that (a
                # future-dated file would keep every answer from being remembered)
                racy = True
        fresh = json.dumps(["scan", done.stamp, sorted(done.seen.items())])
    head = None
    if clock:
        from sortext.vcs.historyid import history_id

        head = history_id(root)  # a deepened shallow clone: the same HEAD, more past
        if head is None:
            return None
    text = json.dumps(
        [
            parts,
            build(),
            config,
            fingerprint,
            fresh,
            head,
            outputs() if streams is None else streams,
        ],
        separators=(",", ":"),
    )
    return _PREFIX + hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest(), racy


def _known(conn: sqlite3.Connection, config: str) -> dict[str, Any] | None:
    """The meta row a command line left for the configuration of digest ``config``
    (see :data:`_CLIENTS`), or None (none, or of other bytes)."""
    where = _value(conn, "meta", _CLIENTS)
    if where is None:
        return None
    known = json.loads(where)
    if not isinstance(known, dict) or known.get("config") != config:
        return None
    if not isinstance(known.get("clients"), str):
        return None
    return known


def _day_from(known: dict[str, Any]) -> dt.date | None:
    """The practice's day now, told by a meta row (:func:`_known`) without reading the
    configuration: its span when the row names a zone and the clock's instant is in
    it (no time zone database read), else its zone's date (the local date, in this
    process's ``TZ``, when the zone is null: a span is never read for it, it would be
    the writer's local day); None when the row has no zone key (a row written before
    it kept one)."""
    import datetime as dt

    from sortext.vcs.midnight import now, practice_day

    if "zone" not in known:
        return None
    zone = known["zone"]
    if zone is not None and not isinstance(zone, str):
        return None
    moment = now()
    span = known.get("span")
    try:
        # (a span is the writer's: without a zone, its local day, not this process's)
        if zone is not None and isinstance(span, list) and len(span) == 3:
            start, end, day = span
            kinds = isinstance(start, int) and isinstance(end, int) and isinstance(day, str)
            if kinds and start <= moment < end:
                return dt.date.fromisoformat(day)
        return practice_day(zone, moment)
    except (ValueError, OSError, OverflowError):
        return None  # a damaged (or planted) row: the configuration decides


def _config_zone(root: Path | None) -> str | None:
    """``timezone:`` of ``root``'s configuration (None: none, no repository, or a
    configuration that does not load: the command reports that itself)."""
    if root is None:
        return None
    from sortext.errors import SortextError
    from sortext.schema.config import load_config

    try:
        return load_config(root).timezone
    except SortextError:
        return None


def _practice_today(root: Path | None, known: dict[str, Any] | None) -> dt.date:
    """The practice's day now (:func:`sortext.vcs.midnight.practice_day` in the
    configuration's ``timezone:``): from the meta row when it knows this
    configuration's zone, else from the configuration."""
    from sortext.vcs.midnight import practice_day

    day = _day_from(known) if known is not None else None
    if day is not None:
        return day
    return practice_day(_config_zone(root))


def _meta_row(config: str, folder: str, zone: str | None) -> str:
    """The meta row (:data:`_CLIENTS`) for the configuration of digest ``config``: its
    clients folder, its zone and the span of the practice's day now."""
    from sortext.vcs.midnight import day_span, now, practice_day

    row: dict[str, Any] = {"config": config, "clients": folder, "zone": zone}
    if zone is None:
        # the local day is each reader's own (its TZ), not the writer's; telling it
        # needs no time zone database
        return json.dumps(row)
    day = practice_day(zone, now())
    span = day_span(day, zone)
    if span is not None:
        row["span"] = [span[0], span[1], day.isoformat()]
    return json.dumps(row)


class Recall:
    """One query's remembered answer: :meth:`replay` it, or :meth:`echo` the fresh
    output through it and :meth:`keep` it.

    ``parts`` are the command and its arguments (JSON values); ``clock`` adds HEAD's
    commit to the key (answers showing time in stage).  A command whose answer
    depends on the day makes its parts with :meth:`today` (the practice's day, read
    as cheaply as the reply): ``Recall(start, clock=...)``, then :meth:`look` with the
    parts; given ``parts``, the constructor looks them up at once."""

    def __init__(
        self, start: Path | None, parts: list[Any] | None = None, clock: bool = False
    ) -> None:
        self.out: list[str] = []
        self.err: list[str] = []
        self.key: str | None = None
        self.root: Path | None = None
        self._hit: tuple[int, str, str] | None = None
        self._config = ""
        self._racy = True
        self._streams: list[str | None] | None = None  # None: this process's (outputs())
        self._watcher_only = False
        self._folder: str | None = None  # the clients folder, when the config was read
        # The command line this process was started with, when the entry point looked
        # it up (see replay_line): the question it asks is recorded with the reply, with
        # what a running watcher needs to ask it again after a save (see Refresh): the
        # streams' encodings and the practice day it was asked on (in the line's key).
        self._line: str | None = None
        self._line_key: str | None = None
        self._start = start
        self._clock = clock
        self._known: dict[str, Any] | None = None  # the meta row of this configuration
        self._day: dt.date | None = None
        try:
            self._open(start)
        except _UNREADABLE:
            self._known = None
        if parts is not None:
            self.look(parts)

    def _open(self, start: Path | None) -> None:
        """Find the repository, the digest of its configuration and its meta row."""
        from sortext.errors import RepoNotFound
        from sortext.repo import find_root

        try:
            root = find_root(start)
        except RepoNotFound:  # the command's own path reports it
            return
        self.root = root
        self._config = _config_digest(root)
        conn = _connect(StateDir(root).index)
        if conn is None:
            return
        try:
            self._known = _known(conn, self._config)
        finally:
            conn.close()

    def today(self) -> dt.date:
        """The practice's day now: the date in ``timezone:`` of the repository's
        ``sortext.yaml`` (the local date when it names none) at the clock's instant
        (``SORTEXT_NOW``, else the system's): what ``--today`` defaults to, and the day
        in the command line's key.  Read from the index's meta row when it knows this
        configuration (no YAML, no time zone database in the common case), else from
        the configuration.  Raises :class:`~sortext.errors.UsageError` for a bad
        ``SORTEXT_NOW``."""
        if self._day is None:
            self._day = _practice_today(self.root, self._known)
        return self._day

    def look(self, parts: list[Any]) -> None:
        """Make the key of the question ``parts`` and look its reply up (see
        :meth:`replay`)."""
        from sortext.errors import SortextError

        clock = self._clock
        if self._start is None and _ENTRY is not None:
            colour = getattr(sys.stdout, "colour", None)
            try:
                day = self.today()
            except SortextError:  # a bad SORTEXT_NOW: no line (the day is not told)
                colour = None
            if isinstance(colour, bool):
                question = {
                    "parts": parts,
                    "clock": clock,
                    "colour": colour,
                    "outputs": outputs(),
                    "on": [day.year, day.month, day.day],
                }
                self._line = json.dumps(question, separators=(",", ":"))
                self._line_key = _line_for(_ENTRY, day)
        try:
            self._look(self._start, parts, clock)
        except _UNREADABLE:
            self.key = None
            self._hit = None

    def _look(self, start: Path | None, parts: list[Any], clock: bool) -> None:
        if self.root is None:
            return
        root = self.root
        conn = _connect(StateDir(root).index)
        if conn is None:
            return
        try:
            found = _reply_key(
                conn,
                root,
                self._config,
                parts,
                clock,
                self._streams,
                self._watcher_only,
                self._folder,
            )
            if found is None:
                return
            self.key, self._racy = found
            self._hit = answers.reply(conn, self.key, _replies(root))
            if self._hit is not None and self._line is not None and self._line_key is not None:
                # replayed here, so the entry point did not know this command line
                try:
                    with conn:
                        answers.keep_line(
                            conn, self._line_key, self._line, KEEP_LINES, time.time_ns()
                        )
                except sqlite3.Error:
                    pass  # (an index from before the table) the replay goes on
        finally:
            conn.close()

    def replay(self) -> int | None:
        """Print the remembered answer and return its exit status; None when there is
        none (the caller does the work)."""
        if self._hit is None:
            return None
        code, out, err = self._hit
        for text, stream in ((out, sys.stdout), (err, sys.stderr)):
            if not text:
                continue
            # The text as it reached the terminal the first time (see echo).  The index
            # is only derived data, but it may come from elsewhere (a synced folder): what
            # is not plain ASCII goes through the inert filter again (it changes nothing
            # in its own output), so a planted reply cannot act on the terminal.
            if _plain(text):
                getattr(stream, "write_inert", stream.write)(text)
            else:
                stream.write(text)
            stream.flush()
        return code

    def echo(self, text: str, err: bool = False) -> None:
        """``click.echo(text)``, remembering what reached the terminal (after the
        inert filter of :class:`sortext.files.inert.InertStream` and click's colour
        stripping); when the stream is not an InertStream, nothing is remembered."""
        import click

        stream = sys.stderr if err else sys.stdout
        taps = getattr(stream, "taps", None)
        if not isinstance(taps, list):
            self.key = None
            click.echo(text, err=err)
            return
        tap: list[str] = []
        taps.append(tap)
        try:
            click.echo(text, err=err)
        finally:
            taps.remove(tap)
        if not tap:  # the text went round the stream (nothing to remember it by)
            self.key = None
        (self.err if err else self.out).append("".join(tap))

    def keep(self, repo: Repository, code: int = 0) -> None:
        """Remember what was echoed (call after the command succeeded) for ``repo``
        (its clients folder: the next lookup scans it; its ``timezone:``: the meta row
        tells the next lookup the day).  Nothing is remembered when ``sortext.yaml``
        (or ``erased.yaml``) no longer has the bytes the key was made with: the answer
        may have read another configuration (another ``timezone:``, so another day)
        than the one the key names."""
        from sortext.errors import SortextError

        if self.root is None:
            return
        try:
            if _config_digest(self.root) != self._config:
                return  # changed while the answer was worked out: the next call works
        except OSError:
            return
        conn = _connect(StateDir(self.root).index)
        if conn is None:
            return
        try:
            with conn:
                folder = os.path.relpath(repo.clients_path, self.root)
                where = _meta_row(self._config, folder, repo.config.timezone)
                conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (_CLIENTS, where))
                if self.key is not None and not self._racy:
                    out, err = "".join(self.out), "".join(self.err)
                    files = _replies(self.root)
                    answers.keep_reply(conn, self.key, code, out, err, KEEP, files)
                if self.key is not None and self._line is not None and self._line_key is not None:
                    answers.keep_line(conn, self._line_key, self._line, KEEP_LINES, time.time_ns())
        except (sqlite3.Error, OSError, SortextError):
            pass  # not remembered (the index, or the reply's file): the next call works
        finally:
            conn.close()


# -- after a save: a running watcher asks the remembered questions again -------------


class _Sink:
    """Where a :class:`Refresh` writes: nothing reaches a terminal; what the inert
    stream over it lets through is its tap.  ``encoding``: the stream's codec name as
    :func:`outputs` gave it when the question was asked."""

    errors = "strict"

    def __init__(self, encoding: str | None) -> None:
        self.encoding = encoding

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False


class Refresh(Recall):
    """A question a command line asked (as :class:`Recall` recorded it with its line),
    worked out again in a running watcher after a save, so that the next time it is
    asked its reply is a replay.  What the command echoes is made what the command
    line's terminal got: ``click.echo`` with the colour the question was asked with
    (the command line sets Click's context colour to it, so Click strips its codes
    exactly when colour is off) into an :class:`~sortext.files.inert.InertStream`
    with that colour over a stream of the encoding the question's stdout and stderr
    had; the key is the one that command line computes (its encodings in place of
    this process's).  Only while the watcher vouches for its index (no stat pass);
    nothing is worked out when the reply is already remembered (:attr:`remembered`)."""

    def __init__(self, root: Path, question: dict[str, Any]) -> None:
        from sortext.files.inert import InertStream

        streams = question["outputs"]
        colour = question["colour"]
        self._colour = bool(colour)
        self._sinks = [InertStream(_Sink(name), self._colour) for name in streams]  # type: ignore[arg-type]
        self.out = []
        self.err = []
        self.key = None
        self.root = None
        self._hit = None
        self._config = ""
        self._racy = True
        self._line = None
        self._line_key = None
        self._streams = list(streams)
        self._watcher_only = True
        self._folder = None
        self._start = root
        self._clock = bool(question["clock"])
        self._known = None
        self._day = None
        from sortext.errors import SortextError
        from sortext.repo import open_repository

        try:
            # the clients folder from the configuration itself: after a configuration
            # change the index's meta row (written by a command line) names the old one
            self.root = root
            self._config = _config_digest(root)
            repo = open_repository(root)
            self._folder = os.path.relpath(repo.clients_path, root)
            self._look(root, question["parts"], question["clock"])
        except (*_UNREADABLE, SortextError):
            self.key = None
            self._hit = None

    @property
    def remembered(self) -> bool:
        """The reply is already remembered under the current key."""
        return self._hit is not None

    @property
    def wanted(self) -> bool:
        """Worth working out: a key could be made and no reply is remembered under it."""
        return self.key is not None and self._hit is None and not self._racy

    def echo(self, text: str, err: bool = False) -> None:
        import click

        stream = self._sinks[1 if err else 0]
        tap: list[str] = []
        stream.taps.append(tap)
        try:
            click.echo(text, file=stream, color=self._colour)  # type: ignore[arg-type]
        finally:
            stream.taps.remove(tap)
        (self.err if err else self.out).append("".join(tap))


def _question(text: str) -> dict[str, Any] | None:
    """A recorded question that a watcher can ask again, or None (an older row, a damaged
    or planted one)."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    parts, clock, colour = value.get("parts"), value.get("clock"), value.get("colour")
    streams, on = value.get("outputs"), value.get("on")
    if not (isinstance(parts, list) and parts and isinstance(parts[0], str)):
        return None
    if not (isinstance(clock, bool) and isinstance(colour, bool)):
        return None
    if not (isinstance(streams, list) and len(streams) == 2):
        return None
    if not all(s is None or isinstance(s, str) for s in streams):
        return None
    if not isinstance(on, list):
        return None
    return value


def questions(root: Path, newest: int, pending: bool = False) -> list[dict[str, Any]]:
    """The questions command lines asked today (the practice's day, in ``timezone:``
    of ``root``'s configuration: the day their command lines took), newest first, each once, at
    most ``newest`` of them; [] when the index cannot be read.  ``pending``: only those
    asked since the last finished refresh began (:func:`refreshed`; a command line is
    marked asked each time it is answered, replayed or worked out), the last asked
    first: a question nobody asked again is left stale, and worked out when it is next
    asked."""
    conn = _connect(StateDir(root).index)
    if conn is None:
        return []
    from sortext.errors import SortextError
    from sortext.vcs.midnight import practice_day

    try:
        day = practice_day(_config_zone(root))
    except SortextError:  # a bad SORTEXT_NOW: the command lines refuse it too
        conn.close()
        return []
    today = [day.year, day.month, day.day]
    found: list[dict[str, Any]] = []
    seen: dict[str, dict[str, Any]] = {}
    try:
        rows = conn.execute("SELECT key, value FROM reply_lines ORDER BY rowid DESC").fetchall()
        marks, since = answers.asked_marks(conn) if pending else ({}, 0)
    except sqlite3.Error:
        return []
    finally:
        conn.close()
    # (a mark is never at or before the refresh it follows, whatever the wall clock
    # says: answers.mark_asked, refreshed)
    if pending:
        # newest by when last asked (a replay marks its line, it does not record it
        # again: the order of the lines is when each was first recorded)
        rows.sort(key=lambda row: marks.get(row[0], 0), reverse=True)
    for key, text in rows:
        if not isinstance(text, str):
            continue
        if pending and marks.get(key, 0) <= since:
            continue
        question = _question(text)
        if question is None or question["on"] != today:
            continue
        same = json.dumps([question[k] for k in ("parts", "clock", "colour", "outputs")])
        at = marks.get(key, 0)
        if same in seen:
            first = seen[same]  # the same question, from another command line
            first[_ASKED_AT] = max(first[_ASKED_AT], at)
            continue
        question[_ASKED_AT] = at
        seen[same] = question
        found.append(question)
        if len(found) >= newest:
            break
    return found


#: The key :func:`questions` adds to a pending question: when its command line was last
#: marked asked (ns; the newest of the lines asking it).
_ASKED_AT = "asked_at"


def refreshed(root: Path, began: int, asked: list[dict[str, Any]] | None = None) -> None:
    """Note that a refresh that began at ``began`` (``time.time_ns()``) worked out every
    question :func:`questions` gave it as pending (``asked``): the next refresh works
    out only those asked since.  Noted as beginning no earlier than the marks of
    ``asked`` (a wall clock stepped back since they were written must not leave them
    pending after this refresh).  Not noted when the index cannot be written (the next
    refresh then works out these questions again)."""
    for question in asked or []:
        at = question.get(_ASKED_AT)
        if isinstance(at, int):
            began = max(began, at)
    conn = _connect(StateDir(root).index)
    if conn is None:
        return
    try:
        with conn:
            answers.set_refreshed(conn, began)
    except sqlite3.Error:
        pass
    finally:
        conn.close()


def _mark(root: Path, line: str) -> None:
    """Note that the command line ``line`` was asked now (its reply was replayed), so the
    watcher works its question out again after the next save.  Never waits long for
    the index's lock, never fails the command: an unwritten mark only leaves the
    question to be worked out when next asked."""
    try:
        conn = sqlite3.connect(f"{StateDir(root).index.as_uri()}?mode=rw", uri=True, timeout=0.1)
    except (sqlite3.Error, ValueError, OSError):
        return
    try:
        conn.execute("PRAGMA synchronous=NORMAL")  # as the index's own connections (WAL)
        with conn:
            answers.mark_asked(conn, line, time.time_ns())
    except sqlite3.Error:
        pass
    finally:
        conn.close()


# -- before Click: a command line answered from its remembered reply -------------------

#: How many command lines are kept with the question they ask (they do not depend on
#: the records, so they outlive the replies).
KEEP_LINES = 64
#: The commands whose replies are remembered.
_QUICK = frozenset({"next", "list", "show", "search"})
#: Arguments left to Click: another repository (found from the working folder
#: otherwise), help, the version.
_CLICK_ONLY = frozenset({"--repo", "--help", "-h", "--version"})
# The digest of this process's command line and its situation (:func:`_line_key`):
# set by replay_line; the line's key adds the practice day (:func:`_line_for`).
_ENTRY: str | None = None


def _line_key(argv: list[str]) -> str | None:
    """The digest of this command line and of everything Click and the commands read
    to turn it into a question, but the day (:func:`_line_for` adds it), or None when
    it is left to Click."""
    if "_SORTEXT_COMPLETE" in os.environ:  # Click's shell completion
        return None
    if _QUICK.isdisjoint(argv):
        return None
    if any(arg in _CLICK_ONLY or arg.startswith("--repo=") for arg in argv):
        return None
    out = sys.stdout
    if out is None or sys.__stdout__ is None:
        return None
    tty = out.isatty()
    size: tuple[int, ...] | None = None
    if tty:  # what shutil.get_terminal_size reads, besides COLUMNS and LINES
        try:
            size = tuple(os.get_terminal_size(sys.__stdout__.fileno()))
        except (AttributeError, ValueError, OSError):
            size = None
    env = os.environ
    text = json.dumps(
        [
            argv,
            os.getcwd(),
            tty,
            size,
            [env.get(name) for name in ("COLUMNS", "LINES", "NO_COLOR", "SORTEXT_TODAY")],
            build(),
        ],
        separators=(",", ":"),
    )
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def _line_for(entry: str, day: dt.date) -> str:
    """The key of the command line of digest ``entry`` (:func:`_line_key`) asked on the
    practice day ``day``: the same line on another practice day is another key (its
    question has another default ``--today``)."""
    return "line:" + hashlib.sha256(f"{entry}:{day.isoformat()}".encode("ascii")).hexdigest()


def replay_line(argv: list[str]) -> int | None:
    """Print the remembered reply to the command line ``argv`` (``sys.argv[1:]``) and
    return its exit status, before Click is imported; None when there is none (the
    caller runs the command, which then records what this command line asks).

    Writes what :meth:`Recall.replay` writes, through the same inert filter."""
    global _ENTRY
    try:
        entry = _line_key(argv)
    except (OSError, ValueError, TypeError):
        return None
    if entry is None:
        return None
    _ENTRY = entry
    from sortext.errors import SortextError

    try:
        hit = _line_hit(entry)
    except _UNREADABLE:
        return None
    except SortextError:  # (a state folder leading out of the repository) Click reports it
        return None
    if hit is None:
        return None
    code, out, err, colour, mark, line = hit
    ready = [_prepare(out, sys.stdout, colour), _prepare(err, sys.stderr, colour)]
    if ready[0] is None or ready[1] is None:
        return None  # the terminal cannot take the text: Click says so, as afresh
    try:
        _send(ready[0], sys.stdout)
        _send(ready[1], sys.stderr)
    except BrokenPipeError:
        # The reader went away (`sortext list | head -1`): a quiet exit 1, as Click's
        # main makes it, with nothing left for the final flush to complain about.
        with_devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(with_devnull, sys.stdout.fileno())
        os.close(with_devnull)
        return 1
    except OSError as exc:  # a full disk, an I/O error: said as the command line says it
        from sortext.errors import OutputError

        try:
            sys.stderr.write(f"sortext: cannot write the output: {exc.strerror or exc}\n")
            sys.stderr.flush()
        except (OSError, ValueError):
            pass  # standard error is gone too
        for stream in (sys.stdout, sys.stderr):  # the final flush finds nothing to fail on
            try:  # noqa: SIM105 (contextlib is not imported on this path)
                OutputError("", stream.fileno()).abandon()
            except (OSError, ValueError):
                pass
        return 2
    if mark is not None:  # after the reply reached the terminal
        _mark(mark, line)
    return code


def _line_hit(entry: str) -> tuple[int, bytes, bytes, bool, Path | None, str] | None:
    """(exit status, stdout, stderr, colour, the repository's root when the line must be
    marked asked: :func:`answers.needs_mark`, the line's key) of the reply remembered
    for the command line of digest ``entry`` on the practice's day now (told by the
    index's meta row for this configuration; None when it does not know it: the
    command then works the day out from the configuration)."""
    from sortext.errors import RepoNotFound
    from sortext.repo import find_root

    try:
        root = find_root(None)
    except RepoNotFound:
        return None
    conn = _connect(StateDir(root).index)
    if conn is None:
        return None
    try:
        config = _config_digest(root)
        known = _known(conn, config)
        if known is None:
            return None
        day = _day_from(known)
        if day is None:
            return None
        line = _line_for(entry, day)
        text = answers.line(conn, line)
        if text is None:
            return None
        question = json.loads(text)
        parts, clock, colour = question["parts"], question["clock"], question["colour"]
        if not (isinstance(parts, list) and isinstance(clock, bool)):
            return None
        if not isinstance(colour, bool):
            return None
        found = _reply_key(conn, root, config, parts, clock, folder=known["clients"])
        if found is None:
            return None
        raw = answers.reply_bytes(conn, found[0], _replies(root))
        mark = root if raw is not None and answers.needs_mark(conn, line) else None
    finally:
        conn.close()
    if raw is None:
        return None
    return raw[0], raw[1], raw[2], colour, mark, line


# Encodings in which plain ASCII text is its own bytes.
_ASCII_SAFE = frozenset({"utf-8", "ascii", "latin-1", "iso8859-1", "cp1252"})


def _prepare(data: bytes, stream: Any, colour: bool) -> bytes | str | None:
    """What a remembered reply becomes on ``stream``, as the command line writes it:
    through an :class:`~sortext.files.inert.InertStream` with ``colour`` over the
    stream Click writes to (on a stream that says ASCII Click writes UTF-8, replacing
    what it cannot encode: ``click.get_text_stream``); plain ASCII as it is (bytes for
    the buffer), anything else through the inert filter (text for that stream, which
    encodes it as it does a fresh answer: a UTF-16 pipe gets no byte-order mark, a
    file at its start one).  None when the stream cannot take the text (the command
    line then fails as a fresh answer does)."""
    import codecs

    from sortext.files.inert import codec_name, fit, inert_output, target_codec

    if not data:
        return b""
    encoding, errors = target_codec(stream)
    if _plain_bytes(data) and encoding in _ASCII_SAFE:
        return data

    text = data.decode("utf-8", "surrogateescape")
    if not _plain(text):
        text = inert_output(text, colour)
    # What the inert stream fits to the encoding (the reply was kept under this
    # encoding, so this changes nothing but a reply planted in the index).
    text = fit(text, codec_name(encoding))
    try:  # whether it can: nothing is written when not (the stream's own state untouched)
        codecs.getincrementalencoder(encoding)(errors).encode(text, final=True)
    except (UnicodeError, LookupError):
        return None
    return text


def _send(data: bytes | str, stream: Any) -> None:
    """Write :func:`_prepare`'s bytes to ``stream``'s buffer, its text to the stream
    Click writes to (:func:`sortext.files.inert.text_target`)."""
    if not data:
        return
    stream.flush()
    if isinstance(data, str):
        from sortext.files.inert import text_target

        target = text_target(stream)
        target.write(data)
        target.flush()
        return
    stream.buffer.write(data)
    stream.buffer.flush()
