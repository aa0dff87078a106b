"""``sortext erase``: a client gone from the files, from all history and from backups.

The one history rewrite sortext makes.  Steps:

1. :func:`plan_erase` collects the client's identifying values (id, name,
   email, phone) from *every* version of the record in every ref, the paths to
   drop (every path in history named after the id: the record, its page on the
   pages branch, ...) and the refs and commits the rewrite touches.
2. :func:`erase` runs ``git filter-repo --sensitive-data-removal`` over every
   branch and tag: those paths are dropped, the values replaced by
   ``(erased)`` in every other file and in commit messages; then reflogs are
   expired and ``gc --prune=now`` drops the old objects (``.keep`` markers removed
   first); git notes are filed again under the rewritten commits
   (:mod:`sortext.vcs.erasenotes`); tags on the pages branch alone are deleted
   with it; every store of derived
   data (:mod:`sortext.vcs.derived`) is deleted or written again (the pages
   branch afresh, not rewritten); the tombstone (:mod:`sortext.record.tombstone`)
   is committed.
3. :func:`verify_repository` reads every object (``git cat-file
   --batch-all-objects``: reachable or not, loose or packed) and git's own
   small files (``COMMIT_EDITMSG``, ``packed-refs``, ...) for the values, and
   for the distinctive sentences of the client's notes, which are not replaced
   (:mod:`sortext.vcs.erasetext`: each place still quoting one is reported);
   the author lines of the practice's own identities, never rewritten
   (:mod:`sortext.vcs.eraseidentity`), are not counted.
4. With ``push``: each backup remote is force-updated with every branch and
   tag, a local bare remote is pruned too, and a fresh mirror clone of each is
   verified the same way.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sortext.errors import GitError, RecordNotFound, SortextError, UsageError
from sortext.files.inert import clean
from sortext.files.slug import implied_id, linked_part
from sortext.record import tombstone
from sortext.repo import Repository
from sortext.vcs import git
from sortext.vcs.erasefold import fold, fold_bytes
from sortext.vcs.eraseidentity import Identities, without_own_config, without_own_identities
from sortext.vcs.erasenotes import NotesReport
from sortext.vcs.erasepending import Pending, is_pending_file, pending_path
from sortext.vcs.erasetext import Matcher, Places, Sentence, described

#: What a value becomes: a plain YAML string (not a flow list like ``[erased]``) and
#: plain Markdown, so another record quoting the client stays valid.
REPLACEMENT = "(erased)"
#: Values shorter than this are not searched for (a two-letter value matches too much).
MIN_VALUE = 4
IDENTIFYING = ("name", "email", "phone")
ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]*")
#: What a commit message line about the erased client becomes, whole: the line
#: (``<id>: next_action.what Call about the divorce -> ...``, one per record in a
#: watcher commit of several records) holds the client's field values, not only the id.
MESSAGE_LINE = "(erased): (a change to an erased client)"
#: git's files of an operation in progress -> how to end it; erase refuses while one is
#: there (a bisect's log and a sequencer's todo list quote commit subjects, which name
#: the client's field values, and a rewrite leaves them as they are).
BUSY = {
    "MERGE_HEAD": "git merge --abort",
    "rebase-merge": "git rebase --abort",
    "rebase-apply": "git rebase --abort, or git am --abort",
    "CHERRY_PICK_HEAD": "git cherry-pick --abort",
    "REVERT_HEAD": "git revert --abort",
    "sequencer": "git cherry-pick --abort, or git revert --abort",
    "BISECT_LOG": "git bisect reset",
    "BISECT_START": "git bisect reset",
}
#: git's own small files that may quote a value; deleted when they do (all transient).
TRANSIENT = ("COMMIT_EDITMSG", "ORIG_HEAD", "FETCH_HEAD", "MERGE_MSG", "SQUASH_MSG")


@dataclass(frozen=True, slots=True)
class Value:
    """One identifying value: ``field`` (id, name, email, phone) and its text."""

    field: str
    text: str

    def pattern(self) -> bytes:
        """A bytes regex matching the value as a whole word in any spelling a person or
        a writer may have given it: without regard to (ASCII) case; a name's words
        separated by any run of blanks or line breaks (a name split over two lines of
        notes, a folded YAML string, ``\\n`` in JSON); an apostrophe doubled (YAML's
        single quotes); a phone's digits with or without blanks, dots, dashes,
        slashes or brackets between them."""
        return f"(?i)(?<![\\w-]){_spelling(self.field, self.text)}(?![\\w-])".encode("latin-1")

    def scan_pattern(self) -> bytes:
        """:meth:`pattern` for the scan, which runs on folded data
        (:func:`sortext.vcs.erasefold.fold_bytes`): the value folded the same way,
        so that it is found in any Unicode case and normal form (``ÉLODIE``,
        ``STRASSE``, a decomposed accent)."""
        body = _spelling(self.field, fold(self.text))
        return f"(?<![\\w-]){body}(?![\\w-])".encode("latin-1")


#: Every character ``str.split()`` splits a name's words at (``str.isspace``): besides
#: ASCII blanks, the no-break space a copied name often holds, the separators
#: ``\x1c``-``\x1f``, ``\x85`` and the Unicode spaces; a bytes regex's ``\s`` knows
#: only the ASCII ones.
UNICODE_SPACES = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004"
    "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_OTHER_SPACES = "|".join(
    re.escape(c.encode("utf-8")).decode("latin-1") for c in UNICODE_SPACES if not c.isascii()
)
# Between a name's words: blanks and line breaks (any Unicode one, as UTF-8), escaped
# ones (JSON ``\\n``), and a YAML double-quoted string's backslash line continuation.
_GAP = rf"(?:[\s\x1c-\x1f]|{_OTHER_SPACES}|\\[nrt]|\\(?=\s))+"
# Between a phone's digits.
_PHONE_GAP = r"[\s().\-/]*"


def _spelling(kind: str, text: str) -> str:
    """The regex body (latin-1 text of UTF-8 bytes) for ``text`` of field ``kind``."""

    def literal(part: str) -> str:
        body = re.escape(part.encode("utf-8")).decode("latin-1")
        # one rule is one line of git-filter-repo's file: re.escape leaves a line
        # break itself after its backslash; written as \n and \r it stays the same regex
        body = body.replace("\n", "n").replace("\r", "r")
        return body.replace("'", "''?")

    if kind == "phone" and sum(c.isdigit() for c in text) >= MIN_VALUE:
        lead = "\\+?" if text.lstrip().startswith("+") else ""
        return lead + _PHONE_GAP.join(c for c in text if c.isdigit())
    if kind in ("name", "company"):
        return _GAP.join(literal(word) for word in text.split())
    return literal(text)


@dataclass(slots=True)
class ErasePlan:
    """What an erase will rewrite (shown before asking for confirmation)."""

    record_id: str
    values: list[Value] = field(default_factory=list)
    too_short: list[Value] = field(default_factory=list)
    #: values that are also words of the practice's own data (:func:`own_words`): not
    #: replaced (it would rewrite every other record), shown in the plan
    own_words: list[Value] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    commits: int = 0
    refs: list[str] = field(default_factory=list)
    remotes: list[str] = field(default_factory=list)
    #: files in the working tree named after the client, outside git (generated pages)
    named_files: list[str] = field(default_factory=list)
    #: branches, tags and other refs whose name holds the id (a rewrite keeps names)
    named_refs: list[str] = field(default_factory=list)
    #: refs leading to a blob or a tree (not a commit) that holds the client: a
    #: rewrite leaves such a ref as it is (see :func:`object_refs`)
    object_refs: list[str] = field(default_factory=list)
    #: the ids of the other clients (a ref named after ``<id>-2`` is theirs)
    other_ids: list[str] = field(default_factory=list)
    #: derived files (:mod:`sortext.vcs.derived`: exports, pages) committed in a branch
    #: or tag other than the pages branch: dropped from every commit and committed
    #: again as written from the records, when the erase rebuilds derived data
    derived_paths: list[str] = field(default_factory=list)
    #: sections of inbox.md about the client (kept: shown in the plan to be cut first)
    inbox_sections: list[str] = field(default_factory=list)
    #: the practice's own git identity shares the client's name or email: what the
    #: rewrite does about it (:mod:`sortext.vcs.eraseidentity`)
    identity_notes: list[str] = field(default_factory=list)
    #: distinctive sentences of the client's notes and free-text fields: not replaced
    #: (free text may be someone else's too), looked for after the rewrite and
    #: reported by place (:mod:`sortext.vcs.erasetext`)
    sentences: list[Sentence] = field(default_factory=list)
    #: files of the working tree (not derived, not the client's) quoting one of those
    #: sentences now: shown in the plan, to be edited before the rewrite
    quoted: list[str] = field(default_factory=list)
    #: an unfinished erase resumed (:mod:`sortext.vcs.erasepending`): the record is
    #: gone, the values and sentences are those it kept, and the rewrite replaces the
    #: sentences by ``(erased)`` too, in every commit (the user has edited the current
    #: files quoting them: :func:`check_ready` refuses until then)
    resumed: bool = False
    #: the day of the first, unfinished erase (ISO), when resumed
    pending_since: str = ""

    @property
    def emails(self) -> list[str]:
        return [v.text for v in self.values + self.too_short if v.field == "email"]


@dataclass(slots=True)
class Verification:
    """Where identifying values were looked for and what was found.

    ``objects``: objects read; ``files``: git's own files read; ``found``:
    ``"<object or file>: <field>"`` for every hit; ``quoted``: every place that still
    quotes a sentence of the client's notes (commit, path, line; see
    :func:`sortext.vcs.erasetext.described`).  Clean when both are empty."""

    where: str
    objects: int = 0
    files: int = 0
    found: list[str] = field(default_factory=list)
    quoted: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.found and not self.quoted


@dataclass(slots=True)
class EraseReport:
    """What an erase did and what verifying it found, here and on each remote."""

    plan: ErasePlan
    local: Verification
    removed_files: list[str] = field(default_factory=list)
    remotes: list[Verification] = field(default_factory=list)
    remote_errors: dict[str, str] = field(default_factory=dict)
    #: files in the working tree outside git (generated pages, copies) still holding a value
    leftovers: list[str] = field(default_factory=list)
    #: derived stores written again from the records after the rewrite (pages, exports)
    rebuilt: list[str] = field(default_factory=list)
    #: git notes filed again under the rewritten commits, or dropped with their commit
    notes: NotesReport = field(default_factory=NotesReport)

    @property
    def ok(self) -> bool:
        return (
            self.local.clean
            and not self.leftovers
            and not self.remote_errors
            and all(v.clean for v in self.remotes)
        )


def _written_forms(value: str) -> list[str]:
    """``value`` and the forms a writer may have given it in a file: escaped in a
    double-quoted YAML or JSON string (``\\u00e9``, ``\\"``), escaped for HTML (the
    pages: ``&#39;``, ``&amp;``), percent-encoded in a link (``%40``, ``%20``, ``+``),
    and each of these for its ASCII folding.
    (Case, line breaks and separators are the pattern's job: :meth:`Value.pattern`.)"""
    import html
    import json
    from urllib.parse import quote, quote_plus

    from anyascii import anyascii

    forms = [value]
    if not value.isascii():
        # the rewrite's regexes fold ASCII case only: the value's other cases and
        # normal forms are rules of their own ("ÉLODIE", "STRASSE", a decomposed
        # accent); the scan folds fully (sortext.vcs.erasefold)
        import unicodedata

        for cased in (value, value.upper(), value.lower(), value.title()):
            for form in ("NFC", "NFD"):
                variant = unicodedata.normalize(form, cased)
                if variant not in forms:
                    forms.append(variant)
    folded = anyascii(value)  # "Zoë Müller" typed as "Zoe Muller" elsewhere
    for base in dict.fromkeys([value, folded]):  # escaped as writers escape them
        candidates = [
            base,
            json.dumps(base, ensure_ascii=True)[1:-1],
            json.dumps(base, ensure_ascii=False)[1:-1],
            html.escape(base),  # O&#x27;Brien
            html.escape(base).replace("&#x27;", "&#39;").replace("&quot;", "&#34;"),  # Jinja
            quote(base, safe=""),  # a link: mailto:a%40example.com, ?q=Amara%20Okafor
            quote_plus(base, safe=""),  # a form-encoded link: Amara+Okafor
        ]
        forms += [c for c in candidates if c not in forms]
    return forms


#: The repository's own files and folders (beside the clients folder): never "named
#: after a client", whatever the id (``sortext``, ``erased``, ``templates``, ``inbox``).
OWN_ROOT = frozenset(
    {"sortext.yaml", tombstone.FILE_NAME, ".gitignore", ".gitattributes", ".githooks"}
    | {"templates", "inbox", "inbox.md"}
)


def _named_after(path: str, record_id: str, clients_rel: str) -> bool:
    """``path`` (of the history or the working tree) is named after the client: the id
    is found in it below the clients folder (``clients/<id>.md``, ``clients/<id>/...``,
    a sync tool's conflict copy ``clients/<id> (1).md``: never the clients folder
    itself or a folder it lies in, for an id ``clients``), or anywhere in a path
    outside it and outside the repository's own files."""
    from sortext.record.copies import conflict_copy

    pattern = _id_path_pattern(record_id)
    inside = f"{clients_rel}/"
    if path.startswith(inside):
        rest = path[len(inside) :]
        copy = conflict_copy(rest.rpartition("/")[2])
        return pattern.search(rest) is not None or (
            copy is not None and copy.original == f"{record_id}.md"
        )
    if path.split("/", 1)[0] in OWN_ROOT:
        return False
    match = pattern.search(path)
    return match is not None and not inside.startswith(path[: match.end()].rstrip("/") + "/")


def own_words(repo: Repository) -> frozenset[str]:
    """Words the practice's own data is written with, case-folded: every key and
    value of sortext.yaml (people, stages, folders, custom fields) and every field
    name and allowed value of the record format.  A client's id or name equal to
    one of them (a client called Maya where ``maya`` owns records) cannot be
    replaced everywhere without rewriting every ``owner: maya``, so it is not."""
    import json

    from sortext.schema.effective import effective_schema

    words: set[str] = set()

    def walk(node: object, keys: bool) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if keys:
                    words.add(str(key).casefold())
                walk(value, keys)
        elif isinstance(node, list):
            for item in node:
                walk(item, keys)
        elif isinstance(node, str):
            words.add(node.casefold())

    walk(repo.config.raw, True)
    # the repository's own file and folder names (a tree object holds each)
    for name in (*OWN_ROOT, *repo.relative(repo.clients_path).split("/")):
        words.update({name.casefold(), name.split(".")[0].casefold()} - {""})
    schema = effective_schema(repo.config)

    def fields(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "properties" and isinstance(value, dict):
                    words.update(str(k).casefold() for k in value)
                if key == "enum" and isinstance(value, list):
                    words.update(str(v).casefold() for v in value)
                fields(value)
        elif isinstance(node, list):
            for item in node:
                fields(item)

    fields(json.loads(json.dumps(schema, default=str)))
    return frozenset(words)


def _others_values(repo: Repository, record_id: str) -> frozenset[str]:
    """The identifying values (name, email, phone; case-folded) of the other clients in
    the working tree: a couple sharing one email, two clients of the same name.
    Replacing such a value would rewrite the other client's record (and the tombstone
    would refuse them), so it is kept, like the practice's own words."""
    from sortext.files.slug import implied_id
    from sortext.record.source import read_bytes

    found: set[str] = set()
    for path in repo.record_paths():
        if implied_id(path.name) == record_id:
            continue
        raw = read_bytes(str(path))
        if not isinstance(raw, bytes):
            continue
        data = tombstone.front_matter(raw.decode("utf-8", "replace"))
        for key in IDENTIFYING:
            value = data.get(key)
            if isinstance(value, (str, int)) and str(value).strip():
                found.update(f.casefold() for f in _written_forms(str(value).strip()))
    return frozenset(found)


def _id_path_pattern(record_id: str) -> re.Pattern[str]:
    """A path named after the record: ``<id>.<ext>`` or a folder ``<id>/`` anywhere."""
    return re.compile(rf"(^|/){re.escape(record_id)}(\.[A-Za-z0-9]+)*(/|$)")


def plan_erase(repo: Repository, record_id: str) -> ErasePlan:
    """Collect what erasing ``record_id`` rewrites.

    Raises RecordNotFound when no version of the record exists in any ref or
    in the working tree."""
    if not ID_PATTERN.fullmatch(record_id):
        raise UsageError(
            f"'{clean(record_id)}' is not a client id (lower-case letters, digits "
            f"and dashes, as in the file name {repo.clients_shown}<id>.md)"
        )
    root = repo.root
    rel = repo.relative(repo.record_path(record_id))
    plan = ErasePlan(record_id)
    texts: list[str] = []
    # the record's own entry, as check reads it: a link (to another client's record,
    # or out of the repository), a folder or a pipe there holds no value of this client
    from sortext.record.source import read_bytes

    raw = read_bytes(str(repo.record_path(record_id)))
    if isinstance(raw, bytes):
        texts.append(raw.decode("utf-8", "replace"))
    commits = git.text(root, "log", "--all", "--format=%H", "--", rel).split()
    plan.commits = len(commits)
    for commit in commits:
        done = git.run_full(root, "show", f"{commit}:{rel}")
        if done.returncode == 0:
            texts.append(done.stdout.decode("utf-8", "replace"))
    if not texts:
        raise RecordNotFound(f"no client '{record_id}' in the working tree or in any git history")
    seen: set[tuple[str, str]] = {("id", record_id)}
    for text in texts:
        data = tombstone.front_matter(text)
        for key in IDENTIFYING:
            value = data.get(key)
            if isinstance(value, (str, int)) and str(value).strip():
                seen.add((key, str(value).strip()))
    own = own_words(repo) | _others_values(repo, record_id)
    for key, value in sorted(seen):
        for form in _written_forms(value):
            if form.casefold() in own:
                plan.own_words.append(Value(key, form))
            else:
                (plan.values if len(form) >= MIN_VALUE else plan.too_short).append(Value(key, form))
    plan.sentences = sentences_of(repo, plan, texts)
    _fill_places(repo, plan, rel)
    return plan


class AlreadyErased(SortextError):
    """The client was erased (their tombstone is in erased.yaml) and that erase verified
    clean: nothing is left to do, and their values are no longer known here."""


def plan_or_resume(repo: Repository, record_id: str) -> ErasePlan:
    """:func:`plan_erase`, or, when the record is gone and an erase of it did not
    finish (:mod:`sortext.vcs.erasepending`), :func:`plan_resume`.

    Raises AlreadyErased when the client is erased and nothing is pending;
    RecordNotFound when no such client was ever known; UsageError for a bad id."""
    try:
        return plan_erase(repo, record_id)
    except RecordNotFound:
        from sortext.vcs.erasepending import load

        pending = load(repo.root, record_id)
        if pending is not None:
            return plan_resume(repo, record_id, pending)
        stone = tombstone.load(repo.root).match(record_id)
        if stone is None:
            raise
        raise AlreadyErased(
            f"'{record_id}' was erased on {stone.date} ({tombstone.FILE_NAME}) and that "
            "erase verified clean: nothing is left to do"
        ) from None


def plan_resume(repo: Repository, record_id: str, pending: Pending) -> ErasePlan:
    """The plan of an erase of ``record_id`` resumed (:mod:`sortext.vcs.erasepending`):
    the record is gone, the values and sentences are those the unfinished erase kept;
    its rewrite replaces the sentences too (:attr:`ErasePlan.resumed`)."""
    if not ID_PATTERN.fullmatch(record_id):
        raise UsageError(f"'{clean(record_id)}' is not a client id")
    plan = ErasePlan(record_id, resumed=True, pending_since=pending.since)
    own = own_words(repo) | _others_values(repo, record_id)
    from sortext.vcs.erasetext import sentence_of

    for kind, text in pending.values:
        value = Value(kind, text)
        if text.casefold() in own:
            plan.own_words.append(value)
        else:
            (plan.values if len(text) >= MIN_VALUE else plan.too_short).append(value)
    plan.sentences = [sentence_of(text) for text in pending.sentences]
    _fill_places(repo, plan, repo.relative(repo.record_path(record_id)))
    return plan


def _fill_places(repo: Repository, plan: ErasePlan, rel: str) -> None:
    """The paths, refs, other clients and working-tree quotes of ``plan`` (its values
    and sentences known): what :func:`plan_erase` and :func:`plan_resume` share."""
    root = repo.root
    record_id = plan.record_id
    # --root: the root commit's files too, whatever log.showRoot says; -z: names as
    # they are (git quotes a name holding "é" or a newline, which no pattern matched)
    from sortext.vcs.log import log

    names = [p for c in log(root, "--all") for f in c.files for p in (f.old_path, f.path) if p]
    clients_rel = repo.relative(repo.clients_path).rstrip("/")
    plan.paths = sorted({n for n in names if n and _named_after(n, record_id, clients_rel)} | {rel})
    from sortext.vcs import derived

    afresh = derived.pages_refs(root, repo)
    kept = log(root, *(f"--exclude={r}" for r in afresh), "--all") if afresh else None
    kept_names = (
        names
        if kept is None
        else [p for c in kept for f in c.files for p in (f.old_path, f.path) if p]
    )
    plan.derived_paths = sorted(
        {
            n
            for n in kept_names
            if n not in plan.paths
            and (store := derived.registered(repo, n)) is not None
            and store.remedy == "rebuild"
        }
    )
    tracked = set(git.listed(root, "ls-files"))
    plan.named_files = sorted(
        rel
        for rel in _tree_files(root)
        if _named_after(rel, record_id, clients_rel)
        and rel not in tracked
        and rel not in plan.paths
    )
    plan.refs = sorted(
        line
        for line in git.text(root, "for-each-ref", "--format=%(refname)").splitlines()
        if line and not line.startswith("refs/remotes/")
    )
    others = {implied_id(p.name) for p in repo.record_paths()}
    plan.other_ids = sorted(others - {record_id})
    plan.named_refs = named_refs(plan.refs, record_id, plan.other_ids)
    plan.object_refs = object_refs(root, plan.values, record_id, clients_rel)
    plan.identity_notes = list(identity_rules(repo, plan).notes)
    plan.quoted = quoted_now(repo, plan)


def quoted_now(repo: Repository, plan: ErasePlan) -> list[str]:
    """The places in the working tree quoting a sentence of the client's notes today
    (``"<path>, line <n>: ..."``), but the client's own files (dropped) and derived
    files (written again from the records): the user can edit them before the
    rewrite, which keeps them."""
    from sortext.files.state import StateDir
    from sortext.vcs import derived

    if not plan.sentences:
        return []
    own = {*plan.paths, *plan.named_files}
    hits = working_tree_hits(repo.root, [], plan.sentences)
    found = []
    for hit in hits:
        rel = hit.split(", line ", 1)[0]
        if rel in own or rel.startswith(StateDir.rel("")) or derived.registered(repo, rel):
            continue
        found.append(hit)
    return found


def sentences_of(repo: Repository, plan: ErasePlan, texts: Sequence[str]) -> list[Sentence]:
    """The distinctive sentences of the record's versions ``texts`` (notes and free-text
    fields; :func:`sortext.vcs.erasetext.client_sentences`), the practice's own
    boilerplate left out: the lines of its templates and the sentences two or more
    other clients' records also hold."""
    from collections import Counter

    from sortext.record.source import read_bytes
    from sortext.vcs.erasetext import client_sentences, sentence_set, texts_of

    skip = frozenset({"id", *IDENTIFYING})
    counts: Counter[str] = Counter()
    for path in repo.record_paths():
        if implied_id(path.name) == plan.record_id:
            continue
        raw = read_bytes(str(path))
        if isinstance(raw, bytes):
            counts.update(sentence_set(texts_of(raw.decode("utf-8", "replace"), skip)))
    boilerplate = {s for s, n in counts.items() if n >= 2}
    templates = repo.root / "templates"
    if templates.is_dir() and not templates.is_symlink():
        for path in sorted(templates.rglob("*")):
            data = _regular_bytes(path)
            if data is not None:
                boilerplate |= sentence_set([data.decode("utf-8", "replace")])
    mine = [t for text in texts for t in texts_of(text, skip)]
    values = [v.pattern() for v in plan.values]
    return client_sentences(mine, values, REPLACEMENT, boilerplate)


def identity_rules(repo: Repository, plan: ErasePlan) -> Identities:
    """Whose commits lose the client's values (:mod:`sortext.vcs.eraseidentity`): the
    practice's own identities (git's user.name and user.email, sortext.yaml's
    ``git: {author}``) are never rewritten; an identity with the client's email is
    theirs, name and email."""
    from sortext.vcs.eraseidentity import identities, practice_identities

    settings = repo.config.raw.get("git")
    author = settings.get("author") if isinstance(settings, dict) else None

    def patterns(kind: str | None) -> list[bytes]:
        return [v.pattern() for v in plan.values if kind is None or v.field == kind]

    own = practice_identities(repo.root, author)
    return identities(own, patterns("email"), patterns(None), patterns("name"))


def object_refs(root: Path, values: Sequence[Value], record_id: str, clients_rel: str) -> list[str]:
    """The refs (any namespace; a lightweight or annotated tag) that lead to a blob or a
    tree instead of a commit, when that object holds one of ``values`` or a path named
    after the client: git-filter-repo rewrites commits and the refs to them, and
    leaves such a ref, with the object it keeps alive, as it is."""
    fields = "%(refname)%00%(objecttype)%00%(objectname)%00%(*objecttype)%00%(*objectname)"
    matchers = _matchers(values)
    found: list[str] = []
    for line in git.text(root, "for-each-ref", f"--format={fields}").splitlines():
        ref, kind, oid, peeled_kind, peeled = line.split("\0")
        if kind == "tag":  # annotated: what it is a tag of
            kind, oid = peeled_kind, peeled
        if kind == "blob":
            held = bool(_hits(fold_bytes(git.run(root, "cat-file", "blob", oid)), matchers))
        elif kind == "tree":
            held = _tree_holds(root, oid, matchers, record_id, clients_rel)
        else:
            continue
        if held:
            found.append(ref)
    return found


def _tree_holds(
    root: Path,
    tree: str,
    matchers: Sequence[tuple[Value, re.Pattern[bytes]]],
    record_id: str,
    clients_rel: str,
) -> bool:
    """A path in ``tree`` (recursively) is named after the client, or a file holds a value
    (the files read by one ``git cat-file --batch``)."""
    blobs: list[bytes] = []
    for entry in git.run(root, "ls-tree", "-r", "-z", tree).split(b"\0"):
        meta, _, name = entry.partition(b"\t")
        if not name:
            continue
        if _named_after(os.fsdecode(name), record_id, clients_rel):
            return True
        mode_kind_oid = meta.split()
        if mode_kind_oid[1] == b"blob":
            blobs.append(mode_kind_oid[2])
    if not blobs:
        return False
    out = git.run(root, "cat-file", "--batch", input=b"\n".join(blobs) + b"\n")
    at = 0
    while at < len(out):
        header_end = out.index(b"\n", at)
        size = int(out[at:header_end].split()[2])
        if _hits(fold_bytes(out[header_end + 1 : header_end + 1 + size]), matchers):
            return True
        at = header_end + 1 + size + 1  # the newline after each object
    return False


def named_refs(refs: Iterable[str], record_id: str, other_ids: Iterable[str] = ()) -> list[str]:
    """The refs of ``refs`` whose name holds ``record_id`` as a word or a word's start
    (``refs/tags/amara-okafor-signed``, ``refs/heads/draft/Amara-Okafor``), unless that
    word is (or starts with) the id of another client (``amara-okafor-2``).  A history
    rewrite keeps ref names, so such a ref would keep the id."""
    starts = re.compile(rf"(?i)(?<![A-Za-z0-9]){re.escape(record_id)}(?![A-Za-z0-9])")
    longer = [i for i in other_ids if i.lower().startswith(record_id.lower()) and i != record_id]
    found = []
    for ref in refs:
        for match in starts.finditer(ref):
            rest = ref[match.start() :].lower()
            if not any(
                rest.startswith(o.lower()) and not rest[len(o) : len(o) + 1].isalnum()
                for o in longer
            ):
                found.append(ref)
                break
    return found


def _dirty(root: Path) -> list[str]:
    return git.status_paths(root, "--untracked-files=no")


def _matchers(values: Sequence[Value]) -> list[tuple[Value, re.Pattern[bytes]]]:
    """The scan's regexes of ``values`` (:meth:`Value.scan_pattern`), one per folded
    pattern (the written forms of a value often fold alike)."""
    seen: dict[bytes, Value] = {}
    for v in values:
        seen.setdefault(v.scan_pattern(), v)
    return [(v, re.compile(p)) for p, v in seen.items()]


def _hits(folded: bytes, matchers: Sequence[tuple[Value, re.Pattern[bytes]]]) -> list[str]:
    """The fields of the values found in ``folded`` (data as
    :func:`sortext.vcs.erasefold.fold_bytes` returns it)."""
    return [v.field for v, rx in matchers if rx.search(folded)]


def verify_repository(
    root: Path,
    values: Sequence[Value],
    where: str,
    other_ids: Sequence[str] = (),
    identities: Identities | None = None,
    sentences: Sequence[Sentence] = (),
) -> Verification:
    """Look for ``values`` (and quotes of ``sentences``, reported by place) in every
    object of the repository at ``root`` (work tree or bare), in git's own small text
    files (config, refs, logs, messages) and in the names of its refs (``other_ids``:
    the other clients, whose refs may start with the erased id: see
    :func:`named_refs`).  With ``identities``, the author,
    committer and tagger lines naming the practice's own identities (kept on
    purpose when the user shares the client's name) are not searched."""
    result = Verification(where)
    matchers = _matchers(values)
    refs = git.text(root, "for-each-ref", "--format=%(refname)").splitlines()
    for rid in sorted({v.text for v in values if v.field == "id"}):
        for ref in named_refs(refs, rid, other_ids):
            result.found.append(f"ref {ref}: id")
    quotes = Matcher.of(sentences)
    places = Places(root)
    for oid, kind, data in git.all_objects(root):
        result.objects += 1
        folded = fold_bytes(data)
        for line, sentence in quotes.find_folded(folded):
            if kind in ("commit", "tag"):  # a line of the message, after the header
                line -= data[: data.find(b"\n\n") + 2].count(b"\n")
            result.quoted.append(described(places.name(oid, kind), line, sentence))
        if identities is not None and kind in ("commit", "tag"):
            folded = fold_bytes(without_own_identities(data, identities))
        for name in _hits(folded, matchers):
            result.found.append(f"object {oid}: {name}")
    gitdir = Path(git.text(root, "rev-parse", "--absolute-git-dir").strip())
    for path in sorted(gitdir.rglob("*")):
        if "objects" in path.relative_to(gitdir).parts[:1]:
            continue
        if path.parent == gitdir and is_pending_file(path.name):
            continue  # an unfinished erase's own file: what lets it finish
        own = _regular_bytes(path)
        if own is None:
            continue
        result.files += 1
        if identities is not None:
            own = without_own_identities(own, identities)
            if path.name == "config":
                own = without_own_config(own, identities)
        folded = fold_bytes(own)
        for name in _hits(folded, matchers):
            result.found.append(f"{path.relative_to(gitdir)}: {name}")
        for line, sentence in quotes.find_folded(folded):
            result.quoted.append(described(f"{path.relative_to(gitdir)}", line, sentence))
    return result


#: Files larger than this are not searched for values (no record or page is near it).
MAX_SEARCHED = 64 * 1024 * 1024


def _regular_bytes(path: Path) -> bytes | None:
    """The bytes of ``path`` when it is a regular file of its own (``O_NOFOLLOW``: never
    read through a link, which may lead out of the repository; ``O_NONBLOCK`` and
    ``fstat``: a named pipe or a device is not opened for reading, which would wait
    for ever) no larger than :data:`MAX_SEARCHED`; None otherwise."""
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_SEARCHED:
            return None
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read()
    except OSError:
        return None
    finally:
        os.close(fd)


SKIP_FOLDERS = frozenset({".git", ".venv", "node_modules", "__pycache__"})


def _tree_files(root: Path) -> list[str]:
    """Every file under ``root`` outside ``.git`` and virtual environments (relative)."""
    import os

    out: list[str] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_FOLDERS)
        out += [(Path(folder) / n).relative_to(root).as_posix() for n in sorted(files)]
    return out


def working_tree_hits(
    root: Path, values: Sequence[Value], sentences: Sequence[Sentence] = ()
) -> list[str]:
    """Files under ``root`` (outside ``.git`` and virtual environments) that still
    hold one of ``values``: ``"<relative path>: <field>"``, or quote one of
    ``sentences``: ``"<relative path>, line <n>: a sentence ..."``."""
    import os

    matchers = _matchers(values)
    quotes = Matcher.of(sentences)
    found: list[str] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_FOLDERS)
        for name in sorted(files):
            path = Path(folder) / name
            data = _regular_bytes(path)
            if data is None:
                continue
            rel = path.relative_to(root).as_posix()
            folded = fold_bytes(data)
            found += [f"{rel}: {f}" for f in _hits(folded, matchers)]
            found += [described(rel, line, s) for line, s in quotes.find_folded(folded)]
    return found


def _expire_and_prune(root: Path) -> list[str]:
    """Expire every reflog and drop every unreachable object of the repository at
    ``root`` (work tree or bare).  A pack marked ``.keep`` (a fetch or a clone may leave
    one) is never repacked or pruned by gc, so the old objects in it would stay: the
    markers are removed first; their names are returned (relative to the git directory)."""
    gitdir = Path(git.text(root, "rev-parse", "--absolute-git-dir").strip())
    kept = sorted((gitdir / "objects" / "pack").glob("*.keep"))
    for marker in kept:
        marker.unlink(missing_ok=True)
    git.run(root, "reflog", "expire", "--expire=now", "--expire-unreachable=now", "--all")
    git.run(
        root,
        "-c",
        "gc.reflogExpire=now",
        "-c",
        "gc.reflogExpireUnreachable=now",
        "-c",
        "gc.rerereResolved=now",
        "-c",
        "gc.rerereUnresolved=now",
        "gc",
        "--prune=now",
        "--quiet",
        timeout=git.REWRITE_TIMEOUT,
    )
    return [m.relative_to(gitdir).as_posix() for m in kept]


def _replacements(values: Iterable[Value]) -> bytes:
    lines = [b"regex:" + v.pattern() + b"==>" + REPLACEMENT.encode() for v in values]
    return b"\n".join(lines) + b"\n"


def path_rules(paths: Iterable[str]) -> bytes:
    """git-filter-repo ``--paths-from-file`` lines dropping exactly ``paths`` (files):
    one anchored regex each, written so that no line break, trailing ``\\r`` or
    ``==>`` (filter-repo's rename) of a name can split or turn the line into
    another rule (``notes\\n/ID.html`` read as ``notes``: a whole folder)."""
    out = []
    for path in paths:
        body = re.escape(os.fsencode(path))
        body = body.replace(b"\n", b"n").replace(b"\r", b"r").replace(b"=", b"\\x3d")
        out.append(b"regex:^" + body + b"\\Z\n")
    return b"".join(out)


def message_rules(plan: ErasePlan) -> bytes:
    """git-filter-repo ``--replace-message`` rules: first every line that is about the
    client (sortext's record line ``<id>: <field changes>``, also quoted by a pages
    commit as ``built from: <id>: ...``) becomes :data:`MESSAGE_LINE` whole, for
    the field values it names; then the client's values, as in files.  A line of
    another client whose id starts with this one (``<id>-2: ...``) is kept."""
    return b"".join(b"regex:" + p + b"==>" + r + b"\n" for p, r in message_substitutions(plan))


def message_substitutions(plan: ErasePlan) -> list[tuple[bytes, bytes]]:
    """:func:`message_rules` as ``(regex, replacement)`` pairs, applied in order (to a
    git note's text by :mod:`sortext.vcs.erasenotes`, as filter-repo applies them to a
    commit or tag message)."""
    line = rf"(?m)^((?:built from: )?){re.escape(plan.record_id)}: [^\n]*"
    rules = [(line.encode(), b"\\1" + MESSAGE_LINE.encode())]
    rules += [(v.pattern(), REPLACEMENT.encode()) for v in plan.values]
    if plan.resumed:  # the user has judged the places quoting them: see ErasePlan.resumed
        rules += [(_one_line(s.pattern), REPLACEMENT.encode()) for s in plan.sentences]
    return rules


def _one_line(pattern: bytes) -> bytes:
    """A regex of a rule file, as one line that no ``==>`` splits (the same regex)."""
    return pattern.replace(b"\n", b"\\n").replace(b"\r", b"\\r").replace(b"=", b"\\x3d")


def sentence_rules(plan: ErasePlan) -> bytes:
    """git-filter-repo ``--replace-text`` rules replacing the client's sentences by
    :data:`REPLACEMENT` in every file of every commit: only when an unfinished erase is
    resumed (see :attr:`ErasePlan.resumed`); else nothing (free text is not replaced)."""
    if not plan.resumed:
        return b""
    return b"".join(
        b"regex:" + _one_line(s.pattern) + b"==>" + REPLACEMENT.encode() + b"\n"
        for s in plan.sentences
    )


def _write_tombstone(
    repo: Repository,
    plan: ErasePlan,
    today: dt.date,
    reason: str,
    extra: dict[str, bytes] | None = None,
) -> None:
    from sortext.files.write import atomic_write, replace_if_unchanged

    path = repo.root / tombstone.FILE_NAME
    before = path.read_bytes() if path.exists() else None
    stones = tombstone.load(repo.root)
    stones.add(plan.record_id, plan.emails, today, reason)
    replace_if_unchanged(path, stones.dumps().encode(), before)
    for rel, data in (extra or {}).items():
        atomic_write(repo.root / rel, data, exclusive=True)
    git.run(repo.root, "add", "--", tombstone.FILE_NAME, *(extra or {}))
    git.run(
        repo.root,
        "commit",
        "--quiet",
        "--no-verify",
        "-m",
        f"Erase a client ({reason}) from the records and all history\n\n"
        f"The client's salted hashes are in {tombstone.FILE_NAME}; sortext refuses "
        "to bring them back.",
    )


def _commit_derived(root: Path, paths: Sequence[str]) -> None:
    """Commit again the derived files the user had committed (dropped from every
    commit by the rewrite, written again from the records since)."""
    present = [p for p in paths if os.path.lexists(root / p)]
    if not present:
        return
    git.run(root, "add", "-f", "--", *present)
    if not git.run_full(root, "diff", "--cached", "--quiet").returncode:
        return
    git.run(
        root,
        "commit",
        "--quiet",
        "--no-verify",
        "-m",
        "Derived files written again from the records after an erase\n\n"
        "Their history was dropped with the erased client's.",
    )


def check_ready(repo: Repository, plan: ErasePlan, reason: str = "request") -> None:
    """Refuse, before anything is rewritten, what :func:`erase` cannot do completely:
    an unknown reason, uncommitted changes, a git operation in progress, a detached
    HEAD, refs named after the client or leading straight to a blob or tree holding
    it, stashes, linked worktrees, borrowed objects, a ``.sortext`` that is a link.

    The commands call it before asking for confirmation (a refusal after "yes" would
    ask the user to decide twice); :func:`erase` calls it again.

    Raises UsageError naming what to do first."""
    root = repo.root
    if reason not in tombstone.REASONS:
        raise UsageError(f"reason must be one of {', '.join(tombstone.REASONS)}")
    dirty = _dirty(root)
    if dirty:
        raise UsageError(
            f"uncommitted changes in {', '.join(dirty[:5])}: commit them (or let the "
            "watcher commit them) first; erase rewrites history and resets the files"
        )
    gitdir = Path(git.text(root, "rev-parse", "--absolute-git-dir").strip())
    for busy in BUSY:
        if (gitdir / busy).exists():
            raise UsageError(
                f"a git operation is in progress ({busy}): its own files quote the commits "
                "it works on (their messages, the client's changes) and a rewrite does not "
                f"reach them; finish or abort it first ({BUSY[busy]}), then erase"
            )
    if not git.run(root, "symbolic-ref", "-q", "HEAD", ok_codes=(0, 1)).strip():
        raise UsageError(
            "HEAD is detached (not on a branch): the tombstone erase commits would be on no "
            "branch and lost at the next checkout, and sortext would let the client back. "
            f"Check out your branch ({git.back_to_a_branch(root)}), then erase"
        )
    if plan.named_refs:
        raise UsageError(
            f"refs named after the client: {', '.join(plan.named_refs[:5])}: a history "
            "rewrite keeps ref names, so the id would stay. Rename or delete them first "
            "(git branch -m OLD NEW, git tag -d NAME), then erase"
        )
    if plan.object_refs:
        raise UsageError(
            f"refs leading to a file or a folder (not a commit) that holds the client: "
            f"{', '.join(plan.object_refs[:5])}: a history rewrite leaves such a ref, and "
            "what it holds, as it is. Delete them first (git tag -d NAME, or git update-ref "
            "-d REF), then erase"
        )
    if plan.resumed and plan.quoted:
        raise UsageError(
            f"{len(plan.quoted)} place(s) in the working tree still quote the client's notes "
            f"({clean(plan.quoted[0])}): a place is yours to judge. Edit each (take the "
            "client's words out) and commit, then run erase again: it replaces the "
            "sentences in the older commits too. To give the erase up instead, delete "
            f"{pending_path(root, plan.record_id)}"
        )
    stashes = git.text(root, "stash", "list").splitlines()
    if stashes:
        raise UsageError(
            f"{len(stashes)} git stash(es) (git stash list): a stash may hold the client and "
            "is not rewritten; apply or drop them (git stash pop / git stash drop), then erase"
        )
    linked = _linked_worktrees(root)
    if linked:
        raise UsageError(
            f"{len(linked)} linked git worktree(s) (git worktree list): "
            f"{', '.join(linked[:3])}; each has its own checkout of the client and its own "
            ".sortext/ caches (index, history), which a rewrite cannot reach, and keeps the "
            "old commits alive. Remove them (git worktree remove PATH; git worktree prune for one "
            "whose folder is gone), then erase"
        )
    borrowed = gitdir / "objects" / "info" / "alternates"
    if borrowed.exists():
        raise UsageError(
            f"this repository borrows objects from another ({borrowed}: "
            f"{clean(borrowed.read_text('utf-8', 'replace').strip())}): the client's old "
            "objects may lie there, where a rewrite and gc cannot drop them. Copy them in "
            "and stop borrowing (git repack -a -d, then delete that file), then erase; "
            "the other repository is another copy of the client (erase it there too)"
        )
    from sortext.vcs import derived

    link = derived.linked_store_problem(root)
    if link is not None:
        raise UsageError(link)


def erase(
    repo: Repository,
    plan: ErasePlan,
    today: dt.date,
    reason: str = "request",
    push: bool = False,
    remotes: Sequence[str] = (),
    extra: dict[str, bytes] | None = None,
    rebuild: Callable[[bool], list[str]] | None = None,
) -> EraseReport:
    """Rewrite every branch and tag without the client, prune, verify; commit the
    tombstone (with ``extra`` files, repository-relative path -> bytes, in the same
    commit: the anonymised record); with ``push`` force-update and verify each of
    ``remotes``.

    Derived data (:data:`sortext.vcs.derived.STORES`) is deleted; ``rebuild`` writes
    the stores whose remedy is ``rebuild`` again once the tombstone is committed
    (called with True when the pages branch is to be published afresh: it was
    deleted, not rewritten, since its history holds the client's field values under
    ``(erased)``); it returns what it wrote, for the report.  Call it with no
    watcher running (the command holds the watcher's lock).

    Raises UsageError for uncommitted changes, an unknown reason, or an operation
    in progress; GitError when git or git-filter-repo fails."""
    root = repo.root
    check_ready(repo, plan, reason)
    from sortext.vcs import derived

    gitdir = Path(git.text(root, "rev-parse", "--absolute-git-dir").strip())
    remote_urls = {name: git.remote_url(root, name) for name in remotes} if push else {}

    republish = False
    # local refs deleted, not rewritten: the pages branch, the tags on its commits alone
    deleted: list[str] = []
    if rebuild is not None:
        tags = derived.pages_tags(root, repo)  # before the branch they lie on goes
        for ref in derived.pages_refs(root, repo):
            git.run(root, "update-ref", "-d", ref)
            if ref.startswith("refs/heads/"):
                republish = True
                deleted.append(ref)
        for ref in tags:
            git.run(root, "update-ref", "-d", ref)
            deleted.append(ref)
    from sortext.vcs.erasenotes import note_targets, read_notes, rewrite_notes

    old_notes = read_notes(root)
    targets = note_targets(root, old_notes)
    rules = identity_rules(repo, plan)
    with tempfile.TemporaryDirectory(prefix="sortext-erase-") as tmp:
        paths_file = Path(tmp) / "paths"
        dropped = [*plan.paths, *(plan.derived_paths if rebuild is not None else [])]
        paths_file.write_bytes(path_rules(dropped))
        replace_file = Path(tmp) / "replace"
        replace_file.write_bytes(_replacements(plan.values) + sentence_rules(plan))
        message_file = Path(tmp) / "messages"
        message_file.write_bytes(message_rules(plan))
        from sortext.vcs.eraseidentity import identity_callbacks

        commits_body, tags_body = identity_callbacks(rules, REPLACEMENT.encode())
        commits_file = Path(tmp) / "commits.py"
        commits_file.write_text(commits_body, "utf-8")
        tags_file = Path(tmp) / "tags.py"
        tags_file.write_text(tags_body, "utf-8")
        git.filter_repo(
            root,
            "--force",
            "--sensitive-data-removal",
            "--no-fetch",
            "--quiet",
            "--invert-paths",
            "--paths-from-file",
            str(paths_file),
            "--replace-text",
            str(replace_file),
            "--replace-message",
            str(message_file),
            "--commit-callback",
            str(commits_file),
            "--tag-callback",
            str(tags_file),
        )
    notes = rewrite_notes(root, old_notes, message_substitutions(plan), targets)
    for name in remote_urls:  # filter-repo may drop a remote's tracking refs; keep the remote
        if not git.get_config(root, f"remote.{name}.url"):
            git.run(root, "remote", "add", name, remote_urls[name])
    for name in TRANSIENT:
        (gitdir / name).unlink(missing_ok=True)
    unkept = _expire_and_prune(root)
    report = EraseReport(plan, Verification("local"), notes=notes)
    report.removed_files += [f".git/{name}" for name in unkept]
    report.removed_files += derived.delete_stores(root)
    for rel in [*plan.paths, *plan.named_files]:
        leftover = root / rel
        # never through a folder that is a link (a path of the history whose folder
        # now leads out of the repository): only the entry itself is removed
        if linked_part(root, rel.rpartition("/")[0]) is not None:
            continue
        if os.path.lexists(leftover) and not leftover.is_dir():  # an untracked copy
            leftover.unlink()
            report.removed_files.append(rel)
    if not plan.resumed:  # a resumed erase's tombstone was committed the first time
        _write_tombstone(repo, plan, today, reason, extra)
    if rebuild is not None:
        report.rebuilt = rebuild(republish)
        _commit_derived(root, plan.derived_paths)
    _expire_and_prune(root)
    report.local = verify_repository(
        root, plan.values, "local repository", plan.other_ids, rules, plan.sentences
    )
    report.leftovers = working_tree_hits(root, plan.values, plan.sentences)
    if push:
        for name in remotes:
            try:
                gone = [r for r in deleted if not derived_ref_exists(root, r)]
                report.remotes.append(
                    push_and_verify(
                        root, name, plan.values, plan.other_ids, gone, rules, plan.sentences
                    )
                )
            except GitError as exc:
                report.remote_errors[name] = str(exc)
    return report


def _linked_worktrees(root: Path) -> list[str]:
    """The other work trees of this repository (``git worktree list``), by path."""
    out = git.text(root, "worktree", "list", "--porcelain", "-z")
    paths = [f[len("worktree ") :] for f in out.split("\0") if f.startswith("worktree ")]
    here = os.path.realpath(root)
    return [p for p in paths if os.path.realpath(p) != here]


def _local_path(url: str, root: Path) -> Path | None:
    """The folder a remote URL names on this machine (absolute), or None when it is
    elsewhere.  A relative path (``git remote add origin ../backup.git``) is taken
    from the repository's root, as git run there takes it, not from the folder
    sortext was started in."""
    if url.startswith("file://"):
        url = url[len("file://") :]
    if "::" in url or ":" in url.split("/")[0]:
        return None  # gcrypt::, ssh host:path, https://
    path = root / url
    return path.absolute() if path.is_dir() else None


def _recreate_encrypted(root: Path, remote: str, url: str) -> None:
    """git-remote-gcrypt keeps every old (encrypted) pack on a forced push, so an
    encrypted remote is emptied and pushed afresh; only possible for a folder here."""
    where = _local_path(url[len("gcrypt::") :], root)
    if where is None:
        raise GitError(
            f"{remote} is an encrypted remote elsewhere ({url}): git-remote-gcrypt keeps "
            "old packs on a forced push, so it cannot be rewritten in place. Delete that "
            f"repository by hand (its host's tools), then run sortext backup to push the "
            "erased history afresh"
        )
    for child in where.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
    git.run(root, "config", "--unset", f"remote.{remote}.gcrypt-id", check=False)


def derived_ref_exists(root: Path, ref: str) -> bool:
    return bool(git.run(root, "rev-parse", "--verify", "-q", ref, ok_codes=(0, 1)).strip())


def push_and_verify(
    root: Path,
    remote: str,
    values: Sequence[Value],
    other_ids: Sequence[str] = (),
    deleted: Sequence[str] = (),
    identities: Identities | None = None,
    sentences: Sequence[Sentence] = (),
) -> Verification:
    """Force-update every branch and tag on ``remote`` (an encrypted remote is emptied
    and pushed afresh; a local bare remote is pruned), delete there the branches of
    ``deleted`` (a pages branch no longer published), then verify a fresh mirror
    clone (and the bare folder itself when it is local and not encrypted)."""
    from sortext.vcs.erasenotes import notes_refs

    url = git.remote_url(root, remote)
    encrypted = url.startswith("gcrypt::")
    if encrypted:
        _recreate_encrypted(root, remote, url)
    refspecs = ["+refs/heads/*:refs/heads/*"]
    if git.text(root, "tag", "--list").split():
        refspecs.append("+refs/tags/*:refs/tags/*")
    here = set(notes_refs(root))
    if here:  # git notes: filed again under the rewritten commits
        refspecs.append("+refs/notes/*:refs/notes/*")
    git.run(root, "push", "--quiet", "--force", remote, *refspecs)
    listed = git.text(root, "ls-remote", "--refs", remote, "refs/notes/*", check=False).split()
    gone = [*deleted, *(r for r in listed[1::2] if r not in here)]  # a notes ref emptied
    if gone:  # a ref the remote may not have: pushed alone, its absence is fine
        git.run(root, "push", "--quiet", remote, *(f":{r}" for r in gone), check=False)
    folder = _local_path(url[len("gcrypt::") :] if encrypted else url, root)
    local = None if encrypted else folder
    if local is not None:
        _expire_and_prune(local)
    source = url  # cloned from a temporary folder: a relative path made absolute
    if folder is not None:
        source = f"gcrypt::{folder}" if encrypted else str(folder)
    with tempfile.TemporaryDirectory(prefix="sortext-erase-verify-") as tmp:
        clone = Path(tmp) / "mirror.git"
        git.run(Path(tmp), "clone", "--quiet", "--mirror", source, str(clone))
        result = verify_repository(
            clone, values, f"{remote} (fresh clone)", other_ids, identities, sentences
        )
    if local is not None:
        there = verify_repository(
            local, values, f"{remote} ({local})", other_ids, identities, sentences
        )
        result.objects += there.objects
        result.files += there.files
        result.found.extend(there.found)
        result.quoted.extend(there.quoted)
    return result
