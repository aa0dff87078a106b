"""Break-testing ``sortext erase`` against every store of derived data (branch breakerase9).

A client with a unique marker (``zvq``) in every field is saved through a real
watcher (its commits, its pages branch, its exports, its private indexes in the
git directory), then erased.  Afterwards no object, no file in ``.git``, no file
in the working tree and no object of a pushed-to bare remote may hold a marker.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.vcs import git as gitlayer
from tests.conftest import SAMPLE_TODAY, git
from tests.watchkit import Daemon, wait_commits, wait_published

ID = "zvqora-quellen"
RECORD = f"clients/{ID}.md"
MARKED = """---
name: Zvqora Quellen
email: zvqmail@example.com
phone: "+44 20 7946 0999"
company: Zvqcompany Holdings
stage: active
owner: maya
next_action: {what: Zvqnext call about the plan, owner: maya, due: 2026-11-25}
blockers:
  - {what: Zvqblock waiting on the bank, since: 2026-11-02, waiting_on: Zvqwaiting party}
billing: {plan: Zvqplan coaching, rate: 420, currency: GBP, per: session}
invoices:
  - {id: INV-ZVQ-01, amount: 840, status: overdue, issued: 2026-10-15, due: 2026-10-29,
     description: Zvqinvoice text}
goals:
  - {id: zvqgoal, title: Zvqgoaltitle protect time, baseline: 3, target: 12, by: 2026-12-31}
sessions:
  - {date: 2026-11-24, time: "10:00", minutes: 50, status: scheduled, focus: Zvqfocus session}
links: {contract: contracts/zvqcontract.pdf}
tags: [zvqtag]
---

# Zvqora Quellen

Zvqnotes: private text about her health.
"""
EXPORTS = "\nexports:\n  exports/clients.csv: csv\n  exports/clients.json: json\n"


def marker_hits(root: Path) -> list[str]:
    """Every place under ``root`` (a work tree or a bare repository) holding ``zvq``:
    objects (loose or packed, reachable or not) and every file, ``.git`` included."""
    hits = [
        f"object {oid} ({kind})"
        for oid, kind, data in gitlayer.all_objects(root)
        if b"zvq" in data.lower()
    ]
    for path in sorted(root.rglob("*")):
        inside = path.is_file() and not path.is_symlink() and "objects" not in path.parts
        if inside and b"zvq" in path.read_bytes().lower():
            hits.append(str(path.relative_to(root)))
    return hits


def saved_through_a_watcher(root: Path) -> None:
    """The marked client saved through a real watcher: created and changed while it
    runs, changed with another client while it was stopped (its catch-up commit names
    both, one line each), pages published, exports written."""
    config = root / "sortext.yaml"
    config.write_text(config.read_text("utf-8") + EXPORTS, "utf-8")
    git(root, "commit", "--quiet", "-am", "exports")
    marked = root / RECORD
    other = root / "clients" / "bruno-castellanos.md"
    daemon = Daemon(root)
    try:
        daemon.wait_ready()
        marked.write_text(MARKED, "utf-8")
        wait_commits(root, 3, daemon)
        marked.write_text(MARKED.replace("Zvqnext call", "Zvqnext2 call"), "utf-8")
        wait_commits(root, 4, daemon)
        wait_published(root, daemon, timeout=60)
    finally:
        daemon.stop()
    other.write_text(other.read_text("utf-8") + "\nA new note.\n", "utf-8")
    marked.write_text(MARKED.replace("Zvqnext call", "Zvqnext3 call"), "utf-8")
    daemon = Daemon(root)
    try:
        daemon.wait_ready()
        wait_commits(root, 5, daemon)
        wait_published(root, daemon, timeout=60)
    finally:
        daemon.stop()


def _erase_pushed(repo: Path, tmp_path: Path, cli: Callable[..., Result]) -> Path:
    """Push main and sortext-pages to a new bare remote, then ``erase ID --yes --push``
    (which must succeed); the remote."""
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "--bare", "--quiet", str(remote))
    git(repo, "remote", "add", "origin", str(remote))
    git(repo, "push", "--quiet", "origin", "main", "sortext-pages")
    result = cli("erase", ID, "--yes", "--push", "--today", SAMPLE_TODAY, "--repo", str(repo))
    assert result.exit_code == 0, result.output
    return remote


def test_no_field_value_of_an_erased_client_survives_anywhere(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    saved_through_a_watcher(records_repo)
    log = git(records_repo, "log", "--all", "--format=%B")
    assert "zvqora-quellen: next_action.what Zvqnext2 call" in log  # a two-record message
    assert "catch-up: 2 record changes" in log
    assert (records_repo / "exports" / "clients.csv").exists()
    assert marker_hits(records_repo)  # the test can fail
    remote = _erase_pushed(records_repo, tmp_path, cli)
    assert marker_hits(records_repo) == []
    assert marker_hits(remote) == []
    # the derived data is there again, without the client
    assert (records_repo / "exports" / "clients.csv").exists()
    assert "Bruno Castellanos" in git(records_repo, "show", "sortext-pages:NEXT.md")
    head = git(records_repo, "rev-parse", "HEAD").strip()
    assert git(records_repo, "log", "-1", "--format=%s", "sortext-pages").strip() == (
        f"pages for {head}"
    )
    assert git(remote, "rev-parse", "sortext-pages") == git(
        records_repo, "rev-parse", "sortext-pages"
    )


def test_erase_refuses_while_a_watcher_runs(records_repo: Path, cli: Callable[..., Result]) -> None:
    daemon = Daemon(records_repo)
    try:
        daemon.wait_ready()
        before = git(records_repo, "rev-parse", "HEAD")
        result = cli("erase", "amara-okafor", "--yes", "--repo", str(records_repo))
        assert result.exit_code == 2, result.output
        assert "sortext watch is running" in result.output and "Stop it" in result.output
        assert git(records_repo, "rev-parse", "HEAD") == before
        assert (records_repo / "clients" / "amara-okafor.md").exists()
    finally:
        daemon.stop()
    assert cli("erase", "amara-okafor", "--yes", "--repo", str(records_repo)).exit_code == 0


def test_a_relative_remote_url_is_pushed_pruned_and_verified(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "--bare", "--quiet", str(remote))
    git(records_repo, "remote", "add", "origin", "../remote.git")  # next to the repository
    git(records_repo, "push", "--quiet", "origin", "main")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # erase run from another folder, with --repo
    result = cli("erase", "amara-okafor", "--yes", "--push", "--repo", str(records_repo))
    assert result.exit_code == 0, result.output
    assert "verified origin (fresh clone)" in result.output
    hits = [oid for oid, _k, data in gitlayer.all_objects(remote) if b"Amara Okafor" in data]
    assert hits == []


def test_every_derived_store_is_in_the_registry(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    """Whatever sortext writes beside the records (working tree outside git, files of
    its own in the git directory) belongs to a store erase knows about."""
    from sortext.repo import open_repository
    from sortext.vcs.derived import registered

    saved_through_a_watcher(records_repo)
    for args in (("next",), ("list",), ("list", "--at-risk"), ("search", "Zvqnotes")):
        cli(*args, "--today", SAMPLE_TODAY, "--repo", str(records_repo))
    cli("history", ID, "--repo", str(records_repo))
    cli("export", "client", ID, "--out", str(records_repo / "sar"), "--repo", str(records_repo))
    repo = open_repository(records_repo)
    tracked = set(git(records_repo, "ls-files").splitlines())
    loose = [
        p.relative_to(records_repo).as_posix()
        for p in records_repo.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(records_repo).parts[:1]
    ]
    untracked = sorted(p for p in loose if p not in tracked and not p.startswith("sar/"))
    gitdir = records_repo / ".git"
    own = sorted(p.name for p in gitdir.iterdir() if p.name.startswith("sortext"))
    assert untracked and own
    assert [p for p in untracked if registered(repo, p) is None] == []
    assert [p for p in own if registered(repo, p, in_git_dir=True) is None] == []


# --- commit messages: a line about the erased client goes whole ---------------------

_WORD = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8)
_IDS = st.lists(_WORD, min_size=1, max_size=3).map("-".join)
_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\n\r"))


def _apply(rules: bytes, message: bytes) -> bytes:
    """The message rules applied as git-filter-repo applies ``--replace-message``."""
    for line in rules.splitlines():
        body, _, replacement = line.partition(b"==>")
        if body.startswith(b"regex:"):
            message = re.sub(body[len(b"regex:") :], replacement, message)
    return message


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(record_id=_IDS, suffix=_WORD, other=_IDS, change=_TEXT, kept=_TEXT)
def test_message_lines_about_the_client_are_dropped_whole(
    record_id: str, suffix: str, other: str, change: str, kept: str
) -> None:
    from sortext.files.inert import clean
    from sortext.vcs.erase import MESSAGE_LINE, ErasePlan, message_rules

    longer = f"{record_id}-{suffix}"  # another client whose id starts with this one
    others = [o for o in (other, longer) if o != record_id]
    plan = ErasePlan(record_id, other_ids=others)
    gone = clean(f"{record_id}: next_action.what {change}")
    lines = [f"{o}: notes {clean(kept)}" for o in others]
    message = f"3 records: {', '.join(others)}\n\n{gone}\n" + "".join(f"{x}\n" for x in lines)
    message += f"pages for abc\n\nbuilt from: {gone}\n"
    out = _apply(message_rules(plan), message.encode()).decode()
    expected = message.replace(f"{gone}\n", f"{MESSAGE_LINE}\n")
    assert out == expected
    assert not any(x.startswith(f"{record_id}: ") for x in out.splitlines())


# --- hostile values: any text a record ever held is one rule, and it matches ------


def test_a_value_with_a_line_break_in_an_old_version_is_erased(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    path = records_repo / "clients" / "hostile-person.md"
    path.write_text(
        '---\nname: Hostile Person\nemail: "hostile.person@example.com\\nzvqsecond@example.org"'
        "\nstage: inquiry\n---\nNotes.\n",
        "utf-8",
    )
    git(records_repo, "add", "-A")
    git(records_repo, "commit", "--quiet", "--no-verify", "-m", "an invalid version, by hand")
    result = cli("erase", "hostile-person", "--yes", "--repo", str(records_repo))
    assert result.exit_code == 0, result.output
    hits = [o for o, _k, data in gitlayer.all_objects(records_repo) if b"zvqsecond" in data]
    assert hits == []


def _parsed_by_filter_repo(rules: bytes, tmp: Path) -> list[re.Pattern[bytes]]:
    """The regexes git-filter-repo reads from a ``--replace-text`` file (its own parser)."""
    from git_filter_repo import FilteringOptions  # type: ignore[import-untyped]

    path = tmp / "rules"
    path.write_bytes(rules)
    parsed = FilteringOptions.get_replace_text(str(path))
    return [rx for rx, _replacement in parsed["regexes"]]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(["id", "name", "email", "company"]),
    text=st.text(st.characters(codec="utf-8"), min_size=4).filter(lambda t: t.strip() != ""),
)
def test_any_value_is_one_rule_that_matches_it(kind: str, text: str) -> None:
    import tempfile

    from sortext.vcs.erase import Value, _replacements

    value = Value(kind, text.strip())
    rules = _replacements([value])
    with tempfile.TemporaryDirectory() as tmp:
        parsed = _parsed_by_filter_repo(rules, Path(tmp))
    assert len(parsed) == 1, rules
    assert parsed[0].search(b" " + value.text.encode("utf-8") + b" "), rules


def test_the_name_gap_knows_every_space_str_split_knows() -> None:
    import sys

    from sortext.vcs.erase import UNICODE_SPACES

    every = "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace())
    assert every == UNICODE_SPACES


def test_a_name_with_a_no_break_space_is_found_as_written() -> None:
    from sortext.vcs.erase import Value

    pattern = re.compile(Value("name", "Zvqora\u00a0Quellen").pattern())
    assert pattern.search("Referred by Zvqora\u00a0Quellen.".encode())
    assert pattern.search(b"Referred by Zvqora Quellen.")


def test_derived_files_the_user_commits_lose_their_history_and_are_written_again(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    """Exports (and pages) committed in the records branch, e.g. for a sync tool: their
    old versions hold the client's other fields beside the replaced name."""
    import datetime as dt

    from sortext.io.export import write_configured_exports
    from sortext.repo import open_repository

    config = records_repo / "sortext.yaml"
    config.write_text(config.read_text("utf-8") + EXPORTS, "utf-8")
    for text in (MARKED, MARKED.replace("Zvqnext call", "Zvqnext2 call")):
        (records_repo / RECORD).write_text(text, "utf-8")
        write_configured_exports(open_repository(records_repo), dt.date(2026, 11, 23))
        cli("build", "--today", SAMPLE_TODAY, "--repo", str(records_repo))
        git(records_repo, "add", "-A")
        git(records_repo, "add", "-f", "exports", "NEXT.md")
        git(records_repo, "commit", "--quiet", "--no-verify", "-m", "records and exports")
    assert "exports/clients.csv" in git(records_repo, "ls-files")
    assert marker_hits(records_repo)
    result = cli("erase", ID, "--yes", "--today", SAMPLE_TODAY, "--repo", str(records_repo))
    assert result.exit_code == 0, result.output
    assert marker_hits(records_repo) == []
    # still committed, as the user had it, now without the client; nothing left to commit
    assert "exports/clients.csv" in git(records_repo, "ls-files")
    assert "Bruno Castellanos" in git(records_repo, "show", "HEAD:exports/clients.csv")
    assert "Bruno Castellanos" in git(records_repo, "show", "HEAD:NEXT.md")
    assert git(records_repo, "status", "--porcelain", "--", "exports", "NEXT.md") == ""


def test_an_inbox_note_about_the_client_goes_with_them(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    """A note waiting in inbox/ to be filed into the client's notes is their data in
    transit: erased with them (working tree and history), not only de-named."""
    (records_repo / RECORD).write_text(MARKED, "utf-8")
    inbox = records_repo / "inbox"
    inbox.mkdir()
    (inbox / "call.md").write_text(
        f"---\nclient: {ID}\n---\nZvqinbox: she called, upset.\n", "utf-8"
    )
    (inbox / "other.md").write_text(
        "---\nclient: bruno-castellanos\n---\nSend the deck.\n", "utf-8"
    )
    git(records_repo, "add", "-A")
    git(records_repo, "commit", "--quiet", "--no-verify", "-m", "client and notes")
    result = cli("erase", ID, "--yes", "--today", SAMPLE_TODAY, "--repo", str(records_repo))
    assert result.exit_code == 0, result.output
    assert "inbox/call.md" in result.output  # the plan says so
    assert marker_hits(records_repo) == []
    assert (inbox / "other.md").exists()


# --- a client whose id or name is also a word of the practice's own data -----------


@pytest.mark.parametrize(
    ("record_id", "name"),
    [("maya", "Maya"), ("clients", "Clients Ltd"), ("templates", "Templates Co")],
)
def test_erasing_a_client_named_like_the_practice_s_own_words_loses_nothing_else(
    records_repo: Path, cli: Callable[..., Result], record_id: str, name: str
) -> None:
    """``maya`` is also a person of the practice (every ``owner: maya``, sortext.yaml's
    ``people``), ``clients`` the records' folder, ``templates`` the templates' one:
    erasing such a client must not rewrite or drop the other records and files."""
    path = records_repo / "clients" / f"{record_id}.md"
    path.write_text(f"---\nname: {name}\nstage: inquiry\n---\nZvqnotes.\n", "utf-8")
    git(records_repo, "add", "-A")
    git(records_repo, "commit", "--quiet", "--no-verify", "-m", "the client")
    before = {
        p: git(records_repo, "show", f"HEAD:{p}")
        for p in git(records_repo, "ls-files").splitlines()
        if p != f"clients/{record_id}.md"
    }
    result = cli("erase", record_id, "--yes", "--repo", str(records_repo))
    assert result.exit_code == 0, result.output
    after = {p: git(records_repo, "show", f"HEAD:{p}") for p in before}
    assert after == before
    assert not path.exists() and marker_hits(records_repo) == []


def _tokens(node: object) -> list[str]:
    """The structural scalars of a parsed front matter: keys and one-word strings."""
    if isinstance(node, dict):
        return [t for k, v in node.items() for t in (str(k), *_tokens(v))]
    if isinstance(node, list):
        return [t for item in node for t in _tokens(item)]
    text = str(node)
    return [] if any(c.isspace() for c in text) else [text]


_SAMPLE: list[Path] = []


def _sample() -> Path:
    """One sample records repository for every example (plans only read it)."""
    if not _SAMPLE:
        import tempfile

        from tests.conftest import sample_records

        _SAMPLE.append(sample_records(Path(tempfile.mkdtemp(prefix="be9-")) / "records"))
    return _SAMPLE[0]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_no_own_word_as_a_client_rewrites_another_record(data: st.DataObject) -> None:
    """The class: a client whose name (and id) is any word the practice's own data is
    written with (people, stages, field names, allowed values, folders), or whose name
    or email another client also holds.  The rules erase would give git-filter-repo
    leave every other record's keys, one-word values and identifying fields, and
    sortext.yaml, as they were."""
    from sortext.record import tombstone
    from sortext.repo import open_repository
    from sortext.vcs.erase import IDENTIFYING, _replacements, own_words, plan_erase

    root = _sample()
    repo = open_repository(root)
    records = sorted((root / "clients").glob("*.md"))
    fronts = [tombstone.front_matter(p.read_text("utf-8")) for p in records]
    words = sorted(w for w in own_words(repo) if re.fullmatch(r"[a-z][a-z0-9-]{1,30}", w))
    shared = sorted({str(f[k]) for f in fronts for k in ("name", "email") if f.get(k)})
    if data.draw(st.booleans()):
        word = data.draw(st.sampled_from(words))
        record_id, front = word, f"name: {word.title()}\n"
    else:
        value = data.draw(st.sampled_from(shared))
        record_id = "zz-shared-value"
        front = f"name: {value}\n" if "@" not in value else f"name: Zz Q\nemail: {value}\n"
    path = root / "clients" / f"{record_id}.md"
    if path.exists():
        return  # a sample client's own id
    path.write_text(f"---\n{front}stage: inquiry\n---\n", "utf-8")
    try:
        plan = plan_erase(open_repository(root), record_id)
    finally:
        path.unlink()
    rules = _replacements(plan.values)
    config = root / "sortext.yaml"
    assert _apply(rules, config.read_bytes()) == config.read_bytes(), record_id
    for other, old in zip(records, fronts, strict=True):
        new = tombstone.front_matter(_apply(rules, other.read_bytes()).decode())
        assert _tokens(new) == _tokens(old), (record_id, other.name)
        assert [new.get(k) for k in IDENTIFYING] == [old.get(k) for k in IDENTIFYING]


def test_a_path_with_a_line_break_is_dropped_alone(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    """git-filter-repo reads one path a line: a page named after the client in a folder
    whose name ends with a line break (``notes\\n/ID.html``) was read as ``notes`` (the
    whole folder ``notes/`` of other clients dropped from history) and a path that
    matched nothing (the client's page kept)."""
    (records_repo / RECORD).write_text(MARKED, "utf-8")
    (records_repo / "notes").mkdir()
    (records_repo / "notes" / "bruno.txt").write_text("Bruno's plan.\n", "utf-8")
    (records_repo / "notes\n").mkdir()
    (records_repo / "notes\n" / f"{ID}.html").write_text("<p>Zvqpage</p>\n", "utf-8")
    git(records_repo, "add", "-A")
    git(records_repo, "commit", "--quiet", "--no-verify", "-m", "pages by hand")
    result = cli("erase", ID, "--yes", "--repo", str(records_repo))
    assert result.exit_code == 0, result.output
    assert git(records_repo, "show", "HEAD:notes/bruno.txt") == "Bruno's plan.\n"
    assert marker_hits(records_repo) == []


_PATH = st.lists(
    st.text(st.characters(codec="utf-8", exclude_characters="/\x00"), min_size=1, max_size=12),
    min_size=1,
    max_size=3,
).map("/".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(paths=st.lists(_PATH, min_size=1, max_size=4, unique=True))
def test_every_path_is_one_rule_matching_it_alone(paths: list[str]) -> None:
    """Any name (line breaks, ``\\r``, ``==>``, regex characters) is one rule of
    git-filter-repo's paths file, no rename, matching that path and no other."""
    import os
    import tempfile

    from git_filter_repo import FilteringOptions

    from sortext.vcs.erase import path_rules

    with tempfile.TemporaryDirectory() as tmp:
        rules = Path(tmp) / "paths"
        rules.write_bytes(path_rules(paths))
        parsed = FilteringOptions.get_paths_from_file(str(rules))
    assert len(parsed) == len(paths)
    for (kind, match_type, match), path in zip(parsed, paths, strict=True):
        assert (kind, match_type) == ("filter", "regex")  # not a rename
        name = os.fsencode(path)
        assert match.search(name)
        for other in (name + b"x", name + b"\n", name + b"/x", b"x" + name):
            assert not match.search(other)


def test_an_old_pages_branch_goes_when_publishing_is_off(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    """``pages: false`` after pages were published: the old branch (here and on the
    backup remote) is derived data holding the client's fields; it is deleted, not
    rewritten, and nothing publishes it again."""
    from sortext.repo import open_repository
    from sortext.vcs.pages import PagesSettings, publish

    (records_repo / RECORD).write_text(MARKED, "utf-8")
    git(records_repo, "add", "-A")
    git(records_repo, "commit", "--quiet", "--no-verify", "-m", "client")
    assert cli("build", "--today", SAMPLE_TODAY, "--repo", str(records_repo)).exit_code == 0
    head = git(records_repo, "rev-parse", "HEAD").strip()
    assert publish(records_repo, head, PagesSettings())
    config = records_repo / "sortext.yaml"
    config.write_text(config.read_text("utf-8") + "\npages: false\n", "utf-8")
    git(records_repo, "commit", "--quiet", "-am", "no more pages")
    assert open_repository(records_repo).config.raw["pages"] is False
    remote = _erase_pushed(records_repo, tmp_path, cli)
    assert "sortext-pages" not in git(records_repo, "branch", "--list")
    assert "sortext-pages" not in git(remote, "branch", "--list")
    assert marker_hits(records_repo) == [] and marker_hits(remote) == []


@pytest.mark.parametrize(
    "copy",
    [
        f"{ID} (Maya's conflicted copy 2026-11-30).md",
        f"{ID}.sync-conflict-20261130-091244-ABCDEF1.md",
        f"{ID} (1).md",
    ],
)
def test_a_sync_tool_s_conflict_copy_of_the_record_goes_with_it(
    records_repo: Path, cli: Callable[..., Result], copy: str
) -> None:
    """A conflict copy is the client's record from another device (every field, the
    notes); its name does not end at the id, so it was kept with '(erased)' in it."""
    (records_repo / RECORD).write_text(MARKED, "utf-8")
    (records_repo / "clients" / copy).write_text(MARKED, "utf-8")
    git(records_repo, "add", "-A")
    git(records_repo, "commit", "--quiet", "--no-verify", "-m", "a copy committed")
    untracked = records_repo / "clients" / f"{ID} (2).md"
    untracked.write_text(MARKED, "utf-8")
    result = cli("erase", ID, "--yes", "--repo", str(records_repo))
    assert result.exit_code == 0, result.output
    assert marker_hits(records_repo) == []
    assert (records_repo / "clients" / "bruno-castellanos.md").exists()


def test_a_value_another_client_shares_is_not_taken_from_them(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    """A couple sharing one email, two clients with the same name: erasing one must not
    rewrite the other's record (nor make the tombstone refuse them)."""
    (records_repo / RECORD).write_text(MARKED, "utf-8")
    partner = records_repo / "clients" / "zed-quellen.md"
    partner.write_text(
        "---\nname: Zed Quellen\nemail: zvqmail@example.com\nstage: inquiry\n---\nPartner.\n",
        "utf-8",
    )
    namesake = records_repo / "clients" / "zvqora-quellen-2.md"
    namesake.write_text(
        "---\nname: Zvqora Quellen\nemail: other.zq@example.org\nstage: inquiry\n---\n", "utf-8"
    )
    git(records_repo, "add", "-A")
    git(records_repo, "commit", "--quiet", "--no-verify", "-m", "three clients")
    before = {p: p.read_text("utf-8") for p in (partner, namesake)}
    result = cli("erase", ID, "--yes", "--repo", str(records_repo))
    assert result.exit_code == 0, result.output
    assert "not replaced: email" in result.output and "not replaced: name" in result.output
    assert {p: p.read_text("utf-8") for p in (partner, namesake)} == before
    checked = cli("check", str(partner), str(namesake), "--repo", str(records_repo))
    assert "erased" not in checked.output, checked.output
