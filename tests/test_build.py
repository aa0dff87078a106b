"""``build``: the pages on the sample clients, determinism, incremental writes, overrides."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.pages.build import build
from sortext.repo import open_repository
from sortext.store.index import identity_of
from tests.conftest import SAMPLE_TODAY

TODAY = dt.date.fromisoformat(SAMPLE_TODAY)


def _build(root: Path, today: dt.date = TODAY) -> object:
    return build(open_repository(root), today)


def test_next_md_on_the_samples(records_repo: Path) -> None:
    _build(records_repo)
    text = (records_repo / "NEXT.md").read_text()
    overdue = text.index("## Overdue")
    amara = text.index("[Amara Okafor](site/clients/amara-okafor.html)")
    missing = text.index("## Open clients with no next action")
    assert overdue < amara < missing
    line = next(ln for ln in text.splitlines() if "amara-okafor.html" in ln)
    assert "Send session 7 prep notes" in line and "maya" in line and "2026-11-19" in line
    assert "[Greta Lindholm](site/clients/greta-lindholm.html)" in text[missing:]
    assert "INV-2026-058" in text[text.index("## Invoices overdue") :]
    assert "Delegate client admin" in text[text.index("## Stuck goals") :]
    assert "2026-11-23" in text and "site/clients/harbour-lane-coop.html" in text


def test_same_input_same_bytes(records_repo: Path, tmp_path: Path) -> None:
    twin = tmp_path / "twin"
    shutil.copytree(records_repo, twin)
    _build(records_repo)
    _build(twin)
    outputs = ["NEXT.md", "site/index.html", "site/clients/amara-okafor.html"]
    for rel in outputs:
        assert (records_repo / rel).read_bytes() == (twin / rel).read_bytes()
    assert b"2026-11-23" in (records_repo / "site/index.html").read_bytes()


def test_rebuild_writes_only_what_changed(records_repo: Path) -> None:
    first = _build(records_repo)
    assert "site/clients/amara-okafor.html" in first.written  # type: ignore[attr-defined]
    second = _build(records_repo)
    assert second.written == [] and second.parsed == 0  # type: ignore[attr-defined]
    path = records_repo / "clients" / "bruno-castellanos.md"
    path.write_text(path.read_text().replace("Bruno Castellanos", "Bruno Castellano", 1))
    third = _build(records_repo)
    assert third.parsed == 1  # type: ignore[attr-defined]
    assert set(third.written) == {  # type: ignore[attr-defined]
        "NEXT.md",
        "site/index.html",
        "site/clients/bruno-castellanos.html",
        "site/owners/theo.html",  # Bruno is theo's: his page lists Bruno's next action
    }
    later = _build(records_repo, TODAY + dt.timedelta(days=1))
    assert len(later.written) > 3  # type: ignore[attr-defined]


def test_deleted_client_page_is_removed(records_repo: Path) -> None:
    _build(records_repo)
    (records_repo / "clients" / "jonas-weber.md").unlink()
    result = _build(records_repo)
    assert result.removed == ["site/clients/jonas-weber.html"]  # type: ignore[attr-defined]
    assert not (records_repo / "site/clients/jonas-weber.html").exists()


def test_repository_template_overrides_the_shipped_one(records_repo: Path) -> None:
    (records_repo / "templates" / "NEXT.md.j2").write_text(
        "Custom: {{ d.next_actions|length }} actions on {{ d.today }}\n"
    )
    _build(records_repo)
    assert (records_repo / "NEXT.md").read_text() == "Custom: 9 actions on 2026-11-23\n"
    html = (records_repo / "site/index.html").read_text()
    assert "What happens next" in html  # the other pages still come from the package


def test_hostile_text_is_escaped(records_repo: Path) -> None:
    (records_repo / "clients" / "mallory.md").write_text(
        "---\nname: '<script>alert(1)</script>'\nstage: inquiry\n"
        "next_action: {what: '<img src=x onerror=alert(2)> [click](javascript:alert(3))', "
        "due: 2026-11-01}\n"
        "links: {files: 'javascript:alert(4)'}\n---\n\n"
        "<script>alert(5)</script>\n\n[x](javascript:alert(6))\n"
    )
    _build(records_repo)
    pages = [
        (records_repo / "site/index.html").read_text(),
        (records_repo / "site/clients/mallory.html").read_text(),
    ]
    for html in pages:
        assert "<script>" not in html and "<img" not in html
        assert 'href="javascript:' not in html
    assert "&lt;script&gt;" in pages[0]
    md = (records_repo / "NEXT.md").read_text()
    assert "<script>" not in md and "\\<script\\>" in md
    assert not re.search(r"(?<!\\)\]\(javascript:", md)  # escaped, so not a link


def test_records_with_errors_are_listed_with_last_valid_data(records_repo: Path) -> None:
    _build(records_repo)
    path = records_repo / "clients" / "amara-okafor.md"
    path.write_text(path.read_text().replace("due: 2026-11-19", "due: 2026-11-31", 1))
    result = _build(records_repo)
    assert result.errors == 1  # type: ignore[attr-defined]
    html = (records_repo / "site/index.html").read_text()
    errors = html[html.index('id="errors"') :]
    assert re.search(r"clients/amara-okafor\.md:\d+:\d+</code> next_action\.due", errors)
    assert "impossible date" in errors
    assert "showing the last valid version" in errors
    # The last valid version still drives the next-actions list.
    assert "Send session 7 prep notes" in html[: html.index('id="errors"')]
    assert "## Records with errors" in (records_repo / "NEXT.md").read_text()


def test_forked_page_rendering_gives_the_same_bytes(
    records_repo: Path, tmp_path: Path, monkeypatch: object
) -> None:
    import sortext.pages.build as build_module

    twin = tmp_path / "twin"
    shutil.copytree(records_repo, twin)
    _build(records_repo)
    monkeypatch.setattr(build_module, "PARALLEL_PAGES", 1)  # type: ignore[attr-defined]
    result = _build(twin)
    pages = sorted(p.name for p in (twin / "site" / "clients").iterdir())
    assert len(result.written) == len(pages) + 4  # type: ignore[attr-defined]  # + NEXT, index, 2 owners
    for name in pages:
        assert (twin / "site/clients" / name).read_bytes() == (
            records_repo / "site/clients" / name
        ).read_bytes()


def _site_bytes(root: Path) -> dict[str, bytes]:
    files = [root / "NEXT.md", *sorted((root / "site").rglob("*.html"))]
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in files}


def test_cold_build_equals_a_rebuild_from_the_index(records_repo: Path, tmp_path: Path) -> None:
    """A cold build assesses and renders each record as it is parsed; a new day re-does
    both from the index.  The two paths give the same bytes."""
    twin = tmp_path / "twin"
    shutil.copytree(records_repo, twin)
    _build(records_repo)
    _build(twin, TODAY + dt.timedelta(days=3))
    result = _build(twin)
    assert result.parsed == 0  # type: ignore[attr-defined]
    assert _site_bytes(twin) == _site_bytes(records_repo)


def test_two_files_with_one_id_the_first_by_path_gets_the_page(records_repo: Path) -> None:
    clients = records_repo / "clients"
    (clients / "zz-copy.md").write_text(
        "---\nid: amara-okafor\nname: Zed Copy\nstage: inquiry\n---\n", encoding="utf-8"
    )
    _build(records_repo)
    page = (records_repo / "site/clients/amara-okafor.html").read_text()
    assert "Amara Okafor" in page and "Zed Copy" not in page
    again = _build(records_repo)
    assert "site/clients/amara-okafor.html" not in again.written  # type: ignore[attr-defined]


def test_a_build_told_what_changed_equals_a_full_build(records_repo: Path, tmp_path: Path) -> None:
    """The watcher passes the files it saw change; the result must be what a build that
    compares every file gives: edits, an id taken over, a delete, a new file."""
    twin = tmp_path / "twin"
    shutil.copytree(records_repo, twin)
    _build(records_repo)
    _build(twin)
    edited: list[Path] = []
    for root in (records_repo, twin):
        clients = root / "clients"
        amara = clients / "amara-okafor.md"
        amara.write_text(amara.read_text().replace("due: 2026-11-19", "due: 2026-11-24", 1))
        greta = clients / "greta-lindholm.md"  # now claims Bruno's id: one page, two files
        greta.write_text(greta.read_text().replace("---\n", "---\nid: bruno-castellanos\n", 1))
        (clients / "jonas-weber.md").unlink()
        (clients / "new-client.md").write_text(
            "---\nname: New Client\nstage: inquiry\n"
            "next_action: {what: Call back, due: 2026-11-23}\n---\n",
            encoding="utf-8",
        )
        if root == records_repo:
            edited = [amara, greta, clients / "jonas-weber.md", clients / "new-client.md"]
    told = build(open_repository(records_repo), TODAY, edited)
    full = _build(twin)
    assert _site_bytes(records_repo) == _site_bytes(twin)
    assert sorted(told.written) == sorted(full.written)  # type: ignore[attr-defined]
    gone = ["site/clients/greta-lindholm.html", "site/clients/jonas-weber.html"]
    assert sorted(told.removed) == sorted(full.removed) == gone  # type: ignore[attr-defined]
    # A new day: the next build redoes every record even when told of one file.
    later = build(open_repository(records_repo), TODAY + dt.timedelta(days=1), edited[:1])
    pages = {
        p.relative_to(records_repo).as_posix()
        for p in (records_repo / "site" / "clients").iterdir()
    }
    assert pages <= set(later.written)


def test_a_first_build_told_of_one_file_writes_complete_summary_pages(
    records_repo: Path, tmp_path: Path
) -> None:
    """With no index yet (or one just emptied), a build that is told which files changed
    (as the watcher does) cannot trust that list: NEXT.md and the dashboard must still
    list every client, byte for byte what a full build writes."""
    twin = tmp_path / "twin"
    shutil.copytree(records_repo, twin)
    one = records_repo / "clients" / "amara-okafor.md"
    told = build(open_repository(records_repo), TODAY, [one])
    _build(twin)
    assert told.parsed > 1
    assert _site_bytes(records_repo) == _site_bytes(twin)
    # The index emptied because its file was damaged: the same.
    index = records_repo / ".sortext" / "index.sqlite"
    for suffix in ("-wal", "-shm"):
        Path(f"{index}{suffix}").unlink(missing_ok=True)
    index.write_bytes(b"not a database at all, " * 100)
    (records_repo / "NEXT.md").unlink()
    build(open_repository(records_repo), TODAY, [one])
    assert _site_bytes(records_repo) == _site_bytes(twin)


def test_a_build_that_looks_for_changes_itself_equals_a_full_plan(
    records_repo: Path, tmp_path: Path, monkeypatch: object
) -> None:
    """``sortext build`` after the last build changed nothing but record files plans
    only the records one stat pass finds changed; the pages, and what the build says it
    wrote, left unchanged and removed, equal a build that plans every record.  A page
    deleted by hand or a new commit (the stage clock) makes it plan everything."""
    import sortext.pages.build as build_module
    from sortext.store.index import Index
    from tests.conftest import git

    twin = tmp_path / "twin"
    shutil.copytree(records_repo, twin)
    looks: list[int] = []
    real_look = Index.stat_changes

    def counted(self: Index) -> list[str]:
        looks.append(1)
        return real_look(self)

    monkeypatch.setattr(Index, "stat_changes", counted)  # type: ignore[attr-defined]
    real_same = build_module._same_as_last_build

    def both(root: Path) -> tuple[object, object]:
        monkeypatch.setattr(build_module, "_same_as_last_build", real_same)  # type: ignore[attr-defined]
        quick = _build(records_repo)
        monkeypatch.setattr(build_module, "_same_as_last_build", lambda *a: False)  # type: ignore[attr-defined]
        full = _build(twin)
        return quick, full

    def same(quick: object, full: object) -> None:
        for name in ("written", "removed"):
            assert sorted(getattr(quick, name)) == sorted(getattr(full, name)), name
        # the quick build counts the client pages it did not look at (unchanged_pages)
        # rather than listing them: the pages it lists are the full build's, and the
        # two totals are equal (tests/test_page_count.py holds the count to the list)
        listed, counted = quick.unchanged, quick.unchanged_pages  # type: ignore[attr-defined]
        assert set(listed) <= set(full.unchanged)  # type: ignore[attr-defined]
        assert len(listed) + counted == len(full.unchanged) + full.unchanged_pages  # type: ignore[attr-defined]
        assert (quick.parsed, quick.errors) == (full.parsed, full.errors)  # type: ignore[attr-defined]
        assert _site_bytes(records_repo) == _site_bytes(twin)

    same(*both(records_repo))
    assert looks == []  # a first build looks at everything

    def edit(root: Path, step: int) -> None:
        clients = root / "clients"
        if step == 0:
            amara = clients / "amara-okafor.md"
            amara.write_text(amara.read_text().replace("due: 2026-11-19", "due: 2026-11-24", 1))
        elif step == 1:
            greta = clients / "greta-lindholm.md"
            greta.write_text(greta.read_text().replace("---\n", "---\nid: bruno-castellanos\n", 1))
        elif step == 2:
            (clients / "jonas-weber.md").unlink()
        elif step == 3:
            (clients / "new-client.md").write_text(
                "---\nname: New Client\nstage: inquiry\n---\n", encoding="utf-8"
            )
        elif step == 4:
            (clients / "new-client.md").write_text("---\nname: [broken\n---\n", encoding="utf-8")
        elif step == 5:
            (clients / "new-client.md").write_text(
                "---\nname: New Client\nstage: discovery\n---\n", encoding="utf-8"
            )
        elif step == 6:
            (root / "site" / "clients" / "bruno-castellanos.html").unlink()
        elif step == 7:
            git(root, "add", "-A")
            git(root, "commit", "-qm", "moves")
        elif step == 8:  # after the commit: the clock for the new HEAD, read per record
            amara = clients / "amara-okafor.md"
            amara.write_text(amara.read_text().replace("stage: active", "stage: review", 1))

    for step in range(9):
        before = len(looks)
        for root in (records_repo, twin):
            edit(root, step)
        same(*both(records_repo))
        assert len(looks) - before == (0 if step in (6, 7) else 1), step


def test_a_build_that_stopped_half_way_makes_the_next_plan_every_record(
    records_repo: Path, tmp_path: Path, monkeypatch: object
) -> None:
    """A build that fails after its refresh stored the new files (here: a record broken,
    so its page is redone by the pass over the records, which fails on a full disk)
    leaves no promise that only record files changed: the next build plans every
    record and its pages equal a build from nothing."""
    import pytest

    import sortext.pages.build as build_module
    from sortext.errors import StorageError

    _build(records_repo)
    amara = records_repo / "clients" / "amara-okafor.md"
    amara.write_text(amara.read_text().replace("stage: ", "stage: [", 1))
    real = build_module._run_jobs

    def full_disk(*args: object) -> None:
        raise StorageError("site/clients: cannot write: No space left on device")

    monkeypatch.setattr(build_module, "_run_jobs", full_disk)  # type: ignore[attr-defined]
    with pytest.raises(StorageError):
        _build(records_repo)
    monkeypatch.setattr(build_module, "_run_jobs", real)  # type: ignore[attr-defined]
    looked: list[bool] = []
    same = build_module._same_as_last_build

    def spy(*args: object) -> bool:
        looked.append(same(*args))  # type: ignore[arg-type]
        return looked[-1]

    monkeypatch.setattr(build_module, "_same_as_last_build", spy)  # type: ignore[attr-defined]
    _build(records_repo)
    assert not any(looked)  # not planned from a stat pass (the record generation, or
    # the promise the stopped build withdrew, says the index moved past the pages)
    twin = tmp_path / "twin"
    shutil.copytree(records_repo, twin, ignore=shutil.ignore_patterns(".sortext", "site"))
    # the twin knew the last valid version too: build it before the break, then after
    twin_amara = twin / "clients" / "amara-okafor.md"
    broken = twin_amara.read_text()
    twin_amara.write_text(broken.replace("stage: [", "stage: ", 1))
    _build(twin)
    twin_amara.write_text(broken)
    _build(twin)
    assert "amara" in (records_repo / "site/clients/amara-okafor.html").read_text()
    assert _site_bytes(records_repo) == _site_bytes(twin)


def test_a_build_while_a_watcher_vouches_for_the_index_still_stats_the_records(
    records_repo: Path, monkeypatch: object
) -> None:
    """A running watcher that has nothing pending vouches that its index holds every
    save it saw; a build still makes its stat pass (a record hard-linked elsewhere and
    edited through the other name raised no event: tests/test_hard_links.py), plans
    nothing when nothing changed and writes what the last build wrote."""
    from sortext.daemon.lock import acquire
    from sortext.files import watchmark
    from sortext.files.state import StateDir
    from sortext.store.index import Index

    _build(records_repo)
    before = _site_bytes(records_repo)
    looks: list[list[str]] = []
    real_look = Index.stat_changes

    def counted(self: Index, stamp: bool = True) -> list[str]:
        looks.append(real_look(self, stamp))
        return looks[-1]

    lock = acquire(StateDir(records_repo).watch_lock)
    try:
        watchmark.mark(records_repo, records_repo / "clients", identity_of(records_repo))
        assert watchmark.vouched(records_repo, records_repo / "clients")
        monkeypatch.setattr(Index, "stat_changes", counted)  # type: ignore[attr-defined]
        result = _build(records_repo)
    finally:
        lock.release()
    assert len(looks) == 1  # the files were looked at (candidates: none parsed again)
    assert result.written == [] and result.parsed == 0  # type: ignore[attr-defined]
    unchanged = len(result.unchanged) + result.unchanged_pages  # type: ignore[attr-defined]
    assert unchanged == len(before)
    assert _site_bytes(records_repo) == before


def test_a_one_file_build_outside_git_starts_no_git_process(
    records_repo: Path, tmp_path: Path, monkeypatch: object
) -> None:
    """Outside git (no ``.git`` here or above) a build asks git nothing: HEAD is "-"
    and the stage clock empty, as ``git rev-parse`` failing gave; the pages equal a
    build from nothing."""
    import subprocess

    plain = tmp_path / "plain"
    shutil.copytree(records_repo, plain, ignore=shutil.ignore_patterns(".git"))
    twin = tmp_path / "twin"
    shutil.copytree(plain, twin)
    _build(plain)
    amara = plain / "clients" / "amara-okafor.md"
    amara.write_text(amara.read_text().replace("due: 2026-11-19", "due: 2026-11-24", 1))
    started: list[object] = []
    real = subprocess.Popen.__init__

    def spy(self: subprocess.Popen[bytes], args: object, *rest: object, **kw: object) -> None:
        started.append(args)
        real(self, args, *rest, **kw)  # type: ignore[call-overload]

    monkeypatch.setattr(subprocess.Popen, "__init__", spy)  # type: ignore[attr-defined]
    result = _build(plain)
    assert started == []
    assert result.parsed == 1  # type: ignore[attr-defined]
    monkeypatch.undo()  # type: ignore[attr-defined]
    twin_amara = twin / "clients" / "amara-okafor.md"
    twin_amara.write_bytes(amara.read_bytes())
    _build(twin)
    assert _site_bytes(plain) == _site_bytes(twin)


def test_a_few_changed_files_read_the_stage_clock_a_record_at_a_time(
    records_repo: Path, tmp_path: Path, monkeypatch: object
) -> None:
    """After a build stored the clock for HEAD, a build of one changed file reads the
    entries of the records it redoes (sortext.store.clock.Lookup), and its pages equal
    those of a build given the whole clock."""
    import sortext.views.stagetime as stagetime
    from sortext.store.clock import Lookup
    from tests.conftest import git

    amara = records_repo / "clients" / "amara-okafor.md"
    amara.write_text(amara.read_text().replace("stage: active", "stage: review", 1))
    git(records_repo, "commit", "-qam", "a stage move")
    _build(records_repo)
    twin = tmp_path / "twin"
    shutil.copytree(records_repo, twin)
    looked: list[object] = []
    real = stagetime.stage_clock_lookup

    def spy(*args: object) -> object:
        looked.append(real(*args))  # type: ignore[arg-type]
        return looked[-1]

    monkeypatch.setattr(stagetime, "stage_clock_lookup", spy)  # type: ignore[attr-defined]
    for root in (records_repo, twin):
        one = root / "clients" / "amara-okafor.md"
        one.write_text(one.read_text() + "\nA new note.\n")
    _build(records_repo)
    assert len(looked) == 1 and isinstance(looked[0], Lookup)
    monkeypatch.setattr(stagetime, "stage_clock_lookup", lambda *a: None)  # type: ignore[attr-defined]
    _build(twin)
    assert _site_bytes(records_repo) == _site_bytes(twin)


def test_the_stage_clock_lookup_answers_as_the_whole_clock(tmp_path: Path) -> None:
    """Per record, absent records, after many lookups (the whole clock read), counted
    and iterated: the same answers as the clock read at once."""
    import sqlite3

    from sortext.store import clock

    conn = sqlite3.connect(tmp_path / "c.sqlite")
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    conn.executescript(clock.SCHEMA)
    whole = {f"c{i}": ("active", dt.date(2026, 1, 1) + dt.timedelta(days=i)) for i in range(150)}
    clock.write(conn, "abc|x", whole)
    assert clock.is_current(conn, "abc|x") and not clock.is_current(conn, "abd|x")
    assert clock.read(conn, "abc|x") == whole
    lookup = clock.Lookup(conn)
    for i in range(0, 200, 3):
        assert lookup.get(f"c{i}") == whole.get(f"c{i}")
    assert lookup.get("missing") is None and "missing" not in lookup
    assert dict(lookup) == whole and len(lookup) == len(whole)


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet="abz09-./_ A\n", max_size=70).map(lambda s: f"site/clients/{s}.html")
    | st.text(max_size=80)
)
def test_a_client_page_path_is_recognised_as_page_id_does(rel: str) -> None:
    from sortext.pages.build import _PAGE_NAME, _page_id

    assert (_PAGE_NAME.fullmatch(rel) is not None) == (_page_id(rel) is not None)
