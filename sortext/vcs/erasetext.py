"""The client's free text after an erase: sentences of their notes quoted elsewhere.

Erase replaces the client's identifying values (id, name, email, phone) and drops
their record; a sentence of their notes quoted in a commit message, another
client's file, an old NEXT.md or a git note is not a value and stays.  Replacing
free text everywhere would destroy other people's words (a sentence the practice
writes in every record), so erase does not rewrite it: it looks for it after the
rewrite and reports every place that still quotes the client, by commit, path and
line, without printing the sentence (the report says how it starts and how long
it is).

What is looked for (:func:`client_sentences`): every sentence of the notes and of
the free-text fields (any string of the front matter other than the identifying
values: next action, blockers, invoice descriptions, goals...) of every version
of the record, and each clause of a long one (split at ``;``, ``:``, dashes), with
the client's values replaced as the rewrite replaced them, kept when it is
*distinctive*: at least :data:`MIN_CHARS` characters and :data:`MIN_WORDS` words
besides ``(erased)``, not a line of the repository's templates, and not written
in the notes of two or more other clients (a practice's own boilerplate).  A
sentence matches in any case, its words separated by any blanks, line breaks or
Markdown quote and emphasis marks (a quote wrapped differently).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sortext.vcs import git
from sortext.vcs.erasefold import fold, fold_bytes

#: A sentence with fewer characters than this (besides blanks and ``(erased)``) is not
#: looked for.
MIN_CHARS = 20
#: Nor one of fewer words than this (besides ``(erased)``).
MIN_WORDS = 4
#: How much of a sentence the report shows (its start; never the whole sentence).
SHOWN = 12

_MARKUP = re.compile(r"^\s*(?:#{1,6}|[-*+>]|\d+[.)])\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_CLAUSE = re.compile(r"\s*(?:[;:]|\s[-\u2013\u2014]\s|\u2014)\s*")
_WORD = re.compile(r"[^\W_]+(?:['\u2019.@-][^\W_]+)*")
#: Between two words of a quoted sentence: blanks, line breaks, Markdown marks.
_GAP = rb"(?:[\s>*_#]|\\n)+"


@dataclass(frozen=True, slots=True)
class Sentence:
    """One distinctive piece of the client's text: ``text`` (blanks collapsed, the
    client's values as ``(erased)``) and the bytes regex finding it."""

    text: str
    pattern: bytes

    def shown(self) -> str:
        """How the report names it: its start and length, never the whole text."""
        start = self.text[:SHOWN].rstrip()
        return f'"{start}..." ({len(self.text)} characters)'


def _paragraphs(body: str) -> Iterator[str]:
    """The paragraphs of Markdown ``body``, each line's list, quote or heading mark
    removed; a heading is a paragraph of its own."""
    lines: list[str] = []
    for raw in body.splitlines():
        line = _MARKUP.sub("", raw).strip()
        if not line or raw.lstrip().startswith("#"):
            if lines:
                yield " ".join(lines)
            lines = []
            if line:
                yield line
            continue
        lines.append(line)
    if lines:
        yield " ".join(lines)


def _pieces(text: str) -> Iterator[str]:
    """Each sentence of ``text`` and each clause of a sentence that has several."""
    for paragraph in _paragraphs(text):
        for sentence in _SENTENCE_END.split(paragraph):
            yield sentence
            clauses = _CLAUSE.split(sentence)
            if len(clauses) > 1:
                yield from clauses


def _strings(node: object, skip: frozenset[str]) -> Iterator[str]:
    """Every string leaf of a front matter mapping, but those under ``skip`` keys."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            if str(key) not in skip:
                yield from _strings(value, skip)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item, skip)
    elif isinstance(node, str):
        yield node


def normal(text: str) -> str:
    """``text`` as sentences are compared: blanks collapsed, case-folded."""
    return " ".join(text.split()).casefold()


def texts_of(record: str, skip: frozenset[str]) -> list[str]:
    """The free texts of one version of a record (its Markdown text): the notes and
    the string fields of the front matter, but those named in ``skip``."""
    from sortext.record.tombstone import front_matter

    body = record
    if record.startswith("---"):
        end = record.find("\n---", 3)
        body = record[end + 4 :] if end >= 0 else ""
    return [body, *_strings(front_matter(record), skip)]


def sentence_set(texts: Iterable[str]) -> set[str]:
    """The normalised sentences and clauses of ``texts`` (see :func:`normal`)."""
    return {normal(p) for text in texts for p in _pieces(text) if p.strip()}


#: The characters HTML escapes and the character references a saved page (sortext's
#: own pages, a browser's "save as", an e-mail kept as HTML) may spell them with: a
#: sentence is looked for in either spelling (the identifiers' written forms include
#: them too: ``sortext.vcs.erase._written_forms``).
_HTML_FORMS = {
    "'": ("&#39;", "&#x27;", "&#039;", "&apos;"),
    "&": ("&amp;", "&#38;", "&#x26;"),
    '"': ("&quot;", "&#34;", "&#x22;"),
    "<": ("&lt;", "&#60;", "&#x3c;"),
    ">": ("&gt;", "&#62;", "&#x3e;"),
}
_HTML_SPECIAL = re.compile("[" + re.escape("".join(_HTML_FORMS)) + r"\s]+")


def _word(word: str) -> bytes:
    """The regex of one word, each HTML-special character in any of its spellings."""
    out = b""
    for ch in word:
        literal = re.escape(ch.encode("utf-8"))
        forms = _HTML_FORMS.get(ch)
        if forms:
            literal = b"(?:" + b"|".join([literal, *(re.escape(f.encode()) for f in forms)]) + b")"
        out += literal
    return out


def _anchor(text: str) -> bytes:
    """The longest piece of ``text`` without blanks or HTML-special characters,
    lower-cased bytes: present in every spelling :func:`_pattern` matches (empty, in
    every text, when there is no such piece)."""
    pieces = [p for p in _HTML_SPECIAL.split(text) if p] or [""]
    return max(pieces, key=len).encode("utf-8").lower()


def _pattern(text: str, cased: bool = True) -> bytes:
    """The bytes regex finding ``text`` however it is wrapped (and, ``cased``, in any
    ASCII case: the rewrite's form; the scan folds both sides instead)."""
    words = text.split()
    body = _GAP.join(_word(w) for w in words)
    lead = rb"(?<![\w])" if re.match(r"\w", words[0]) else b""
    tail = rb"(?![\w])" if re.search(r"\w$", words[-1]) else b""
    return (b"(?i)" if cased else b"") + lead + body + tail


def client_sentences(
    texts: Iterable[str],
    values: Sequence[bytes],
    replacement: str,
    boilerplate: set[str],
) -> list[Sentence]:
    """The distinctive sentences of the client's free ``texts`` (see the module's
    docstring), each with the regexes of ``values`` replaced by ``replacement`` (as
    the rewrite left them), longest first; ``boilerplate``: normalised sentences
    that are the practice's own (never looked for)."""
    rules = [re.compile(v) for v in values]
    instead = replacement.encode("utf-8")
    found: dict[str, Sentence] = {}
    for text in texts:
        for piece in _pieces(text):
            if normal(piece) in boilerplate:
                continue
            data = piece.encode("utf-8")
            for rule in rules:
                data = rule.sub(instead, data)
            replaced = data.decode("utf-8", "replace")
            rest = replaced.replace(replacement, " ")
            if len("".join(rest.split())) < MIN_CHARS or len(_WORD.findall(rest)) < MIN_WORDS:
                continue
            key = normal(replaced)
            if key not in found:
                found[key] = Sentence(" ".join(replaced.split()), _pattern(replaced))
    return sorted(found.values(), key=lambda s: (-len(s.text), s.text))


def sentence_of(text: str) -> Sentence:
    """The :class:`Sentence` of ``text`` as :func:`client_sentences` made it (kept by
    an unfinished erase: :mod:`sortext.vcs.erasepending`)."""
    return Sentence(" ".join(text.split()), _pattern(text))


@dataclass(frozen=True, slots=True)
class Matcher:
    """The sentences of one erase, each with its compiled regex and its longest word
    (folded bytes: a fast substring test tells which regexes are worth running on an
    object; a regex alternation of every sentence is a hundred times slower).  Both
    are of the sentence's folded text (:func:`sortext.vcs.erasefold.fold`): they run
    on folded data, so a quote in another case or normal form is found."""

    sentences: tuple[tuple[Sentence, bytes, re.Pattern[bytes]], ...]

    @classmethod
    def of(cls, sentences: Sequence[Sentence]) -> Matcher:
        return cls(
            tuple(
                (s, _anchor(fold(s.text)), re.compile(_pattern(fold(s.text), cased=False)))
                for s in sentences
            )
        )

    def find(self, data: bytes) -> list[tuple[int, Sentence]]:
        """``(line number, sentence)`` for each place ``data`` quotes a sentence, in
        order of place (in any case and normal form)."""
        return self.find_folded(fold_bytes(data)) if self.sentences else []

    def find_folded(self, folded: bytes) -> list[tuple[int, Sentence]]:
        """:meth:`find` for data already folded by
        :func:`sortext.vcs.erasefold.fold_bytes` (line breaks kept): a caller that
        also looks for values folds once."""
        if not self.sentences or not folded:
            return []
        data = low = folded
        spans: list[tuple[int, int, Sentence]] = []
        for sentence, anchor, rx in self.sentences:
            if anchor in low:
                spans += [(m.start(), -m.end(), sentence) for m in rx.finditer(data)]
        spans.sort(key=lambda h: (h[0], h[1]))
        hits: list[tuple[int, Sentence]] = []
        reach = -1
        for start, end, sentence in spans:
            if -end <= reach:  # a clause inside a sentence already found there
                continue
            reach = -end
            hits.append((data.count(b"\n", 0, start) + 1, sentence))
        return hits


class Places:
    """Names the place of an object in a repository for the report: a blob by a
    commit and path holding it (or the object a git note is on), a commit or tag by
    its id; the maps are read once, on the first hit."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._paths: dict[str, str] | None = None
        self._notes: dict[str, tuple[str, str]] | None = None

    def _load(self) -> None:
        self._paths, self._notes = {}, {}
        listed = git.run(self.root, "rev-list", "--objects", "--exclude=refs/notes/*", "--all")
        for line in listed.decode("utf-8", "surrogateescape").splitlines():
            oid, space, path = line.partition(" ")
            if space and path and oid not in self._paths:
                self._paths[oid] = path
        refs = git.text(self.root, "for-each-ref", "--format=%(refname)", "refs/notes/")
        for ref in refs.split():
            for line in git.text(self.root, "notes", f"--ref={ref}", "list").splitlines():
                blob, _, target = line.partition(" ")
                self._notes.setdefault(blob, (ref, target))

    def blob(self, oid: str) -> str:
        if self._paths is None or self._notes is None:
            self._load()
        assert self._paths is not None and self._notes is not None
        if oid in self._notes:
            ref, target = self._notes[oid]
            return f"the git note ({ref}) on {target[:10]}"
        path = self._paths.get(oid)
        if path is None:
            return f"object {oid[:10]} (in no commit)"
        commits = git.text(
            self.root, "log", "--exclude=refs/notes/*", "--all", "--format=%h",
            f"--find-object={oid}", "--", path,
        ).split()  # fmt: skip
        at = commits[-1] if commits else "?"
        return f"commit {at} {path}"

    def name(self, oid: str, kind: str) -> str:
        if kind == "blob":
            return self.blob(oid)
        if kind == "commit":
            return f"commit {oid[:10]} message"
        if kind == "tag":
            tag = git.text(self.root, "for-each-ref", f"--points-at={oid}", "--format=%(refname)")
            return f"tag {tag.split()[0] if tag.split() else oid[:10]} message"
        return f"{kind} {oid[:10]}"


def described(place: str, line: int, sentence: Sentence) -> str:
    """One hit as the report shows it."""
    return f"{place}, line {line}: a sentence of the client's notes {sentence.shown()}"
