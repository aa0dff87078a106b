"""Break-testing ``sortext erase`` (branch erase11): the client's text surviving, or
someone else's destroyed: sentences of the client's notes quoted elsewhere (the
leftover scan), git notes on files and folders, the user's own commits when the
user and the client share a name.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SAMPLE_TODAY, git
from tests.test_breakerase9 import ID, MARKED, RECORD, marker_hits

OTHER = "clients/bruno-castellanos.md"


def _commit(root: Path, message: str, *extra: str) -> str:
    git(root, "add", "-A")
    git(root, "commit", "--quiet", "--no-verify", "-m", message, *extra)
    return git(root, "rev-parse", "HEAD").strip()


def _append(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.write_text(path.read_text("utf-8") + f"\n{text}\n", "utf-8")


def _bare(tmp_path: Path, root: Path) -> Path:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "--bare", "--quiet", str(remote))
    git(root, "remote", "add", "origin", str(remote))
    return remote


# --- 3. the user's own identity -------------------------------------------------------


def test_the_user_s_own_commits_keep_their_name_when_the_client_shares_it(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    """The user (git user.name "Zvqora Quellen") has a client of the same name: every
    commit the user made became "(erased)"; the client's own commit (their email) must
    still lose name and email, and the plan says the names collide."""
    root = records_repo
    remote = _bare(tmp_path, root)
    git(root, "config", "user.name", "Zvqora Quellen")
    git(root, "config", "user.email", "me@practice.example")
    (root / RECORD).write_text(MARKED, "utf-8")
    _commit(root, "the client")
    _append(root, OTHER, "A plan for Bruno.")
    mine = _commit(root, "my own work")
    _append(root, OTHER, "An edit the client sent.")
    _commit(root, "their edit", "--author", "Zvqora Q. <ZVQMAIL@example.com>")
    git(root, "tag", "-a", "mine", "-m", "my tag", mine)
    git(root, "push", "--quiet", "origin", "main", "--tags")

    result = cli("erase", ID, "--yes", "--push", "--today", SAMPLE_TODAY, "--repo", str(root))
    assert result.exit_code == 0, result.output
    assert "has the client's name" in result.output
    authors = git(root, "log", "--format=%an <%ae>|%cn <%ce>|%s", "main").splitlines()
    own = "Zvqora Quellen <me@practice.example>"
    by_subject = {line.rsplit("|", 1)[1]: line.rsplit("|", 1)[0] for line in authors}
    assert by_subject["my own work"] == f"{own}|{own}"
    assert by_subject["their edit"] == f"(erased) <(erased)>|{own}"
    assert git(root, "tag", "-l", "--format=%(taggername)", "mine") == "Zvqora Quellen\n"
    # the client's email is gone everywhere; the name stays only as the user's own
    assert not [h for h in marker_hits(root) if "zvqmail" in h]
    assert b"zvqmail" not in git(remote, "log", "--all", "--format=%B%an%ae").encode()


def test_a_commit_with_the_client_s_email_is_theirs_whatever_name_it_has(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    root = records_repo
    (root / RECORD).write_text(MARKED, "utf-8")
    _commit(root, "the client")
    _append(root, OTHER, "A line.")
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Q. from the laptop",
        "GIT_AUTHOR_EMAIL": "zvqmail@example.com",
    }
    subprocess.run(
        ["git", "commit", "--quiet", "-am", "from their laptop"], cwd=root, env=env, check=True
    )
    result = cli("erase", ID, "--yes", "--today", SAMPLE_TODAY, "--repo", str(root))
    assert result.exit_code == 0, result.output
    assert git(root, "log", "-1", "--format=%an <%ae>", "main~1") == "(erased) <(erased)>\n"
    assert git(root, "log", "-1", "--format=%cn", "main~1") == "Test User\n"


_NAMES = st.text(st.characters(categories=["L", "Zs"]), min_size=4, max_size=16).filter(
    lambda t: len(t.split()) >= 1 and len("".join(t.split())) >= 4
)
_ADDRESS = st.from_regex(r"[a-z]{4,8}@[a-z]{3,6}\.example", fullmatch=True)


@settings(max_examples=200, deadline=None)
@given(
    name=_NAMES,
    client_email=_ADDRESS,
    own_email=_ADDRESS,
    other_email=_ADDRESS,
    spacing=st.sampled_from([" ", "  ", "\t"]),
    upper=st.booleans(),
)
def test_identity_rules_never_touch_the_user_and_always_take_the_client_s_email(
    name: str, client_email: str, own_email: str, other_email: str, spacing: str, upper: bool
) -> None:
    """Over generated names and addresses, the user sharing the client's name: the
    user's own identity (any spelling of their address) is never rewritten; one with
    the client's email always loses name and email; the user's name under another
    address of theirs is kept; the verification blanks exactly the kept ones."""
    from sortext.vcs.erase import Value
    from sortext.vcs.eraseidentity import fix_identity, identities, without_own_identities

    if len({client_email, own_email, other_email}) < 3:
        return
    values = [Value("name", name.strip()), Value("email", client_email)]
    rules = identities(
        [(name.strip(), own_email)],
        [values[1].pattern()],
        [v.pattern() for v in values],
        [values[0].pattern()],
    )
    assert rules.notes and "has the client's name" in rules.notes[0]
    args = (rules.own_emails, rules.own_names, rules.client_emails, rules.values, b"(erased)")
    spelled = spacing.join(name.split()).encode()
    own = own_email.upper() if upper else own_email
    assert fix_identity(spelled, own.encode(), *args) == (spelled, own.encode())
    theirs = client_email.upper() if upper else client_email
    assert fix_identity(b"anyone", theirs.encode(), *args) == (b"(erased)", b"(erased)")
    assert fix_identity(spelled, other_email.encode(), *args)[0] == spelled  # the user's name
    header = b"author " + spelled + b" <" + own.encode() + b"> 1700000000 +0100\n\nmsg\n"
    assert name.split()[0].encode() not in without_own_identities(header, rules).split(b"\n")[0]
    client_line = b"author x <" + client_email.encode() + b"> 1700000000 +0100\n"
    assert without_own_identities(client_line, rules) == client_line


# --- 2. git notes on files, folders and tags ----------------------------------------


def _notes(root: Path) -> dict[str, str]:
    """Annotated object -> note text (refs/notes/commits)."""
    out = git(root, "notes", "list").splitlines()
    return {
        target: git(root, "cat-file", "blob", blob)
        for blob, target in (line.split() for line in out)
    }


def test_notes_on_files_folders_and_tags_follow_them_or_go_with_the_client(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    """Every note on a blob or a tree was dropped as if on a gone commit: a note on a
    file the rewrite never touched (a template) vanished, and one on a file that named
    the client was lost instead of following the rewritten file."""
    root = records_repo
    remote = _bare(tmp_path, root)
    (root / RECORD).write_text(MARKED, "utf-8")
    _append(root, OTHER, "Referred by Zvqora Quellen.")
    _commit(root, "the client, and Bruno")
    template = git(root, "rev-parse", "HEAD:templates").strip()
    untouched = git(root, "rev-parse", "HEAD:sortext.yaml").strip()
    bruno = git(root, "rev-parse", f"HEAD:{OTHER}").strip()
    record = git(root, "rev-parse", f"HEAD:{RECORD}").strip()
    tree = git(root, "rev-parse", "HEAD^{tree}").strip()
    git(root, "tag", "-a", "signed", "-m", "Zvqora Quellen signed")
    tag = git(root, "rev-parse", "refs/tags/signed").strip()
    git(root, "notes", "add", "-m", "Templates reviewed in November.", template)
    git(root, "notes", "add", "-m", "The config as of the audit.", untouched)
    git(root, "notes", "add", "-m", "Bruno's file, see Zvqora Quellen.", bruno)
    git(root, "notes", "add", "-m", "Zvqnotes: private text about her health.", record)
    git(root, "notes", "add", "-m", "The whole folder, audited.", tree)
    git(root, "notes", "add", "-m", "The signing.", tag)
    git(root, "push", "--quiet", "origin", "main", "--tags", "refs/notes/*:refs/notes/*")

    result = cli("erase", ID, "--yes", "--push", "--today", SAMPLE_TODAY, "--repo", str(root))
    assert result.exit_code == 0, result.output
    notes = _notes(root)
    print(result.output, notes, git(root, "log", "--format=%H %s", "--stat"))
    assert notes[template] == "Templates reviewed in November.\n"
    assert notes[untouched] == "The config as of the audit.\n"
    new_bruno = git(root, "rev-parse", f"HEAD~1:{OTHER}").strip()
    assert new_bruno != bruno and notes[new_bruno] == "Bruno's file, see (erased).\n"
    new_tree = git(root, "rev-parse", "HEAD~1^{tree}").strip()
    assert new_tree != tree and notes[new_tree] == "The whole folder, audited.\n"
    new_tag = git(root, "rev-parse", "refs/tags/signed").strip()
    assert new_tag != tag and notes[new_tag] == "The signing.\n"
    assert record not in notes and len(notes) == 5
    assert "a note on a file that held the client" in result.output
    assert "dropped: the file is gone from every commit" in result.output
    assert "filed under the folder as rewritten" in result.output
    assert "6 filed again" not in result.output and "5 filed again" in result.output
    assert marker_hits(root) == [] and marker_hits(remote) == []
    assert git(remote, "notes", "show", template) == "Templates reviewed in November.\n"


_PLACES = ("kept commit", "client commit", "kept file", "their file", "record", "root", "tag")


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    chosen=st.lists(st.sampled_from(_PLACES), min_size=1, max_size=5, unique=True),
    texts=st.lists(
        st.sampled_from(
            [
                "Zvqnotes: private text about her health.",
                "Call Zvqora Quellen back",
                "zvqmail@example.com",
                "Nothing about anyone.",
                f"{ID}: next_action.what Zvqnext call",
            ]
        ),
        min_size=5,
        max_size=5,
    ),
)
def test_every_note_follows_its_object_or_goes_and_none_keeps_the_client(
    chosen: list[str], texts: list[str]
) -> None:
    """Notes on any kind of object (commits kept or dropped, files the rewrite keeps or
    changes, the client's record, the root folder, an annotated tag), their text
    holding the client's values and sentences in varied places: after erase no object
    anywhere holds the client's values, a note that stays while quoting a sentence of
    their notes is reported (exit 1) by place without the sentence, every note whose
    object is still in the history is on it, and the notes kept are what survives."""
    import tempfile

    from click.testing import CliRunner

    from sortext.cli import main
    from tests.conftest import sample_records

    with tempfile.TemporaryDirectory(prefix="be11-") as tmp:
        root = sample_records(Path(tmp) / "records")
        kept_commit = git(root, "rev-parse", "HEAD").strip()
        (root / RECORD).write_text(MARKED, "utf-8")
        client_commit = _commit(root, "the client alone")
        _append(root, OTHER, "Met Zvqora Quellen.")
        _commit(root, "Bruno")
        git(root, "tag", "-a", "t1", "-m", "a tag")
        objects = {
            "kept commit": kept_commit,
            "client commit": client_commit,
            "kept file": git(root, "rev-parse", "HEAD:sortext.yaml").strip(),
            "their file": git(root, "rev-parse", f"HEAD:{OTHER}").strip(),
            "record": git(root, "rev-parse", f"HEAD:{RECORD}").strip(),
            "root": git(root, "rev-parse", "HEAD^{tree}").strip(),
            "tag": git(root, "rev-parse", "refs/tags/t1").strip(),
        }
        for place, text in zip(chosen, texts, strict=False):
            git(root, "notes", "add", "-m", f"{place}\n{text}", objects[place])
        result = CliRunner().invoke(
            main, ["erase", ID, "--yes", "--today", SAMPLE_TODAY, "--repo", str(root)]
        )
        gone = {"client commit", "record"}
        quoted = [
            place
            for place, text in zip(chosen, texts, strict=False)
            if place not in gone and text.startswith("Zvqnotes")
        ]
        if quoted:  # a sentence of their notes in a note that stays: told, by place
            assert result.exit_code == 1, result.output
            told = [x for x in result.output.splitlines() if "sentence of the client's" in x]
            assert len(told) == len(quoted) and all("the git note" in x for x in told)
            assert "private text" not in result.output
            note_blobs = {line.split()[0] for line in git(root, "notes", "list").splitlines()}
            # and the unfinished erase's own file, which lets erase finish (kept until
            # it verifies clean: sortext.vcs.erasepending)
            pending = f".git/sortext-erase-{ID}.json"
            hits = [h for h in marker_hits(root) if h != pending]
            assert all(hit.split()[1] in note_blobs for hit in hits)
        else:
            assert result.exit_code == 0, result.output
            assert marker_hits(root) == []
        survivors = [p for p in chosen if p not in gone]
        notes = _notes(root) if survivors else {}
        assert sorted(text.split("\n")[0] for text in notes.values()) == sorted(survivors)
        for target in notes:  # every note is on an object of the history
            assert git(root, "cat-file", "-t", target).strip() in ("commit", "blob", "tree", "tag")


# --- 1. sentences of the client's notes, quoted elsewhere -------------------------------

SENTENCE = "Zvqnotes: private text about her health."


def test_a_quoted_sentence_of_the_client_s_notes_is_reported_by_place(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    """Erase's leftover scan looked for id, name, email and phone only: a sentence of the
    client's notes quoted in a commit message, in another client's file (wrapped over
    two lines, another case), in a git note, in a kept copy of NEXT.md (their next
    action) and in a file outside git survived, and erase said "clean" (exit 0)."""
    root = records_repo
    (root / RECORD).write_text(MARKED, "utf-8")
    _commit(root, "the client")
    _append(root, OTHER, "Her sister said: zvqnotes: private text\nabout her HEALTH.")
    archive = root / "archive" / "NEXT-2026-11.md"  # a week's NEXT.md the user kept
    archive.parent.mkdir()
    archive.write_text("# Next\n\n- Zvqora Quellen: Zvqnext call about the plan\n", "utf-8")
    _commit(root, "Bruno", "-m", f"Quoting: {SENTENCE}")
    git(root, "notes", "add", "-m", f"Context.\n{SENTENCE}", "HEAD")
    (root / "scratch.txt").write_text(f"draft\n\n> {SENTENCE}\n", "utf-8")  # not in git

    result = cli("erase", ID, "--yes", "--today", SAMPLE_TODAY, "--repo", str(root))
    assert result.exit_code == 1, result.output
    told = [x.strip() for x in result.output.splitlines() if "sentence of the client" in x]
    assert "sentences of the client's notes looked for afterwards" in result.output
    assert "sentences of the client's notes: STILL FOUND" in result.output
    before = " ".join(x for x in result.output.splitlines() if "edit it first" in x)
    assert f"{OTHER}, line" in before and "scratch.txt, line 3" in before
    commit = git(root, "rev-parse", "--short=10", "HEAD~1").strip()
    short = git(root, "rev-parse", "--short", "HEAD~1").strip()
    assert any(x.startswith(f"commit {commit} message, line 3:") for x in told), told
    assert any(x.startswith(f"commit {short} {OTHER}, line") for x in told), told
    assert any(x.startswith(f"the git note (refs/notes/commits) on {commit}") for x in told)
    assert any("scratch.txt, line 3" in x for x in told), told
    assert any(x.startswith(f"commit {short} archive/NEXT-2026-11.md, line 3") for x in told), told
    assert '"Zvqnext call..." (27 characters)' in result.output
    assert SENTENCE not in result.output and "about her health" not in result.output
    assert '"Zvqnotes: pr..." (40 characters)' in result.output


def test_the_practice_s_own_sentences_are_not_reported(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    """A sentence the practice writes in many records (a boilerplate line two other
    clients' notes also hold) or one of its templates is not the client's text: not
    reported where it stays, so erase stays clean."""
    root = records_repo
    common = "Prefers to be contacted by email, never by phone."
    (root / RECORD).write_text(MARKED + f"\n{common}\n", "utf-8")
    _append(root, OTHER, common)
    _append(root, "clients/elena-marsh.md", common)
    _commit(root, "the client")
    result = cli("erase", ID, "--yes", "--today", SAMPLE_TODAY, "--repo", str(root))
    assert result.exit_code == 0, result.output
    assert common in (root / OTHER).read_text("utf-8")


_WORDS = st.text(st.characters(categories=["L"]), min_size=3, max_size=9)


@settings(max_examples=300, deadline=None)
@given(
    words=st.lists(_WORDS, min_size=4, max_size=10),
    breaks=st.lists(st.sampled_from([" ", "\n", "  ", "\n> ", " *", "\t"]), min_size=9, max_size=9),
    upper=st.booleans(),
    name_at=st.integers(min_value=0, max_value=10),
)
def test_a_distinctive_sentence_is_found_however_it_is_wrapped(
    words: list[str], breaks: list[str], upper: bool, name_at: int
) -> None:
    """Any sentence long enough to be looked for matches itself quoted with other line
    breaks, Markdown quote marks, another (ASCII) case, and the client's name in it replaced as
    the rewrite replaced it; it is never shown whole."""
    from sortext.vcs.erase import REPLACEMENT, Value
    from sortext.vcs.erasetext import MIN_CHARS, Matcher, client_sentences

    name = Value("name", "Zvqora Quellen")
    at = min(name_at, len(words))
    text = " ".join([*words[:at], "Zvqora Quellen", *words[at:]]) + "."
    found = client_sentences([text], [name.pattern()], REPLACEMENT, set())
    if len("".join(words)) < MIN_CHARS:
        assert all(len(s.text.replace(REPLACEMENT, "")) >= MIN_CHARS for s in found)
        return
    assert found, text
    whole = found[0]
    quoted_words = [*words[:at], REPLACEMENT, *words[at:]]
    quoted = quoted_words[0]
    for i, word in enumerate(quoted_words[1:]):
        quoted += breaks[i % len(breaks)] + word
    quoted += "."
    if upper:  # ASCII letters (a bytes regex folds the case of those only)
        quoted = "".join(c.upper() if c.isascii() else c for c in quoted)
    data = ("Before.\n" + quoted + "\nAfter.\n").encode()
    hits = Matcher.of(found).find(data)
    assert hits and hits[0][0] == 2 and hits[0][1] == whole
    assert whole.text not in whole.shown()
