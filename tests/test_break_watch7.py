"""Break-tests of the watcher's page thread (flat7): real watchdog observer, real git
repo, real editors' save patterns, while a page pass is under way.  Each test ends
by waiting on the settle counter, then compares the end state with a cold
``sortext build`` of the final HEAD (pages branch, NEXT.md and site/ on disk)."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import queue
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.check.load import Preparsed
from sortext.daemon.renderer import PagesRenderer
from sortext.repo import Repository
from tests.conftest import SAMPLE_TODAY, git
from tests.test_watch_pages import TODAY, fresh_build, set_field, tree_files
from tests.watchkit import pages_for, wait_for

if TYPE_CHECKING:
    from sortext.daemon.service import WatchService

WAIT = 60.0


class GateRenderer(PagesRenderer):
    """The real renderer; while ``gate`` is armed, the next page pass (update or
    rebuild) signals ``holding`` and waits for ``release``."""

    def __init__(self) -> None:
        self.armed = False
        self.holding = threading.Event()
        self.release = threading.Event()
        self.passes = 0

    def arm(self) -> None:
        self.holding.clear()
        self.release.clear()
        self.armed = True

    def _gate(self) -> None:
        self.passes += 1
        if self.armed:
            self.armed = False
            self.holding.set()
            assert self.release.wait(WAIT), "the test never released the page pass"

    def rebuild(self, repo: Repository, today: dt.date) -> list[Path]:
        self._gate()
        return super().rebuild(repo, today)

    def update(
        self,
        repo: Repository,
        records: Sequence[Path],
        today: dt.date,
        ready: Preparsed | None = None,
    ) -> list[Path]:
        self._gate()
        return super().update(repo, records, today, ready)


@contextmanager
def running(
    root: Path,
    renderer: PagesRenderer | None = None,
    today: Callable[[], dt.date] | None = None,
    **options: Any,
) -> Iterator[tuple[WatchService, Callable[[], None]]]:
    """A WatchService on ``root`` running on a thread, ready and settled, that the test
    may stop itself: yields ``(service, stop)`` where ``stop()`` releases a held
    GateRenderer, asks the service to finish and joins it (asserting it did) within
    WAIT seconds; it is called again on leaving.  ``today``: the service's clock
    (default: TODAY); ``options``: more of its fields (``debounce`` in seconds,
    ``rescan_every``, ``poll``), the service's defaults where not given."""
    from sortext.daemon.service import WatchService
    from sortext.repo import open_repository

    day = dt.date.fromisoformat(TODAY)
    service = WatchService(
        open_repository(root), renderer or PagesRenderer(), today or (lambda: day), **options
    )
    ready = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            service.run(ready=ready.set)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    runner = threading.Thread(target=run, daemon=True)
    runner.start()

    def halt() -> None:
        if isinstance(renderer, GateRenderer):
            renderer.release.set()
        service.stop()
        runner.join(WAIT)

    def stop() -> None:
        halt()
        assert not runner.is_alive(), "the watcher did not stop"

    try:
        assert ready.wait(WAIT), errors
        service.wait_settled(0, WAIT)
        yield service, stop
    finally:
        halt()
    assert not runner.is_alive(), "the watcher did not stop"
    assert not errors, errors


@contextmanager
def watching(
    root: Path,
    renderer: PagesRenderer | None = None,
    today: Callable[[], dt.date] | None = None,
    debounce: float = 0.05,
    **options: Any,
) -> Iterator[WatchService]:
    """``running`` for a test that leaves the stopping to the end of the block: yields
    the service alone; ``debounce`` in seconds."""
    with running(root, renderer, today, debounce=debounce, **options) as (service, _stop):
        yield service


def commits(root: Path) -> list[str]:
    return git(root, "log", "--format=%s", "main").splitlines()


def held_save(
    renderer: GateRenderer,
    root: Path,
    rel: str,
    field: str,
    value: str,
    committed: bool = False,
    first: Callable[[], object] | None = None,
) -> None:
    """Arm the gate, save ``field: value`` into the record ``rel`` and wait until the
    page pass that follows is held (the test then works beside it and releases it);
    with ``committed``, also until the save's commit is HEAD's.  ``first``: another
    change made after arming, before the save (its page pass may be the one held)."""
    renderer.arm()
    if first is not None:
        first()
    set_field(root, rel, field, value)
    assert renderer.holding.wait(WAIT), "no page pass was held after the save"
    if committed:
        stem = Path(rel).stem
        wait_for(
            lambda: commits(root)[0].startswith(stem),
            WAIT,
            lambda: "\n".join(commits(root)),
        )


def settle(service: object, root: Path) -> None:
    """Wait until the watcher settled HEAD (nothing pending, pages done)."""
    from sortext.daemon.service import WatchService

    assert isinstance(service, WatchService)

    def idle() -> bool:
        mark = service.settled
        try:
            service.wait_settled(mark - 1, 1.0)
        except TimeoutError:
            return False
        return not git(root, "status", "--porcelain", "--", "clients", "sortext.yaml").strip()

    wait_for(idle, WAIT, lambda: git(root, "status", "--porcelain"))
    service.wait_settled(service.settled - 1, WAIT)


def assert_pages_are_heads(
    service: object, root: Path, tmp_path: Path, cli: Callable[..., Result], name: str = "fresh"
) -> str:
    """Pages branch names HEAD and equals a cold build of it; so do NEXT.md and site/."""
    settle(service, root)
    head = git(root, "rev-parse", "HEAD").strip()
    wait_for(
        lambda: pages_for(root) == head,
        WAIT,
        lambda: git(root, "log", "--oneline", "--all"),
    )
    expected = fresh_build(root, head, tmp_path / name, cli)
    assert tree_files(root, "sortext-pages") == expected
    on_disk = {"NEXT.md": (root / "NEXT.md").read_bytes()}
    for path in sorted((root / "site").rglob("*")):
        if path.is_file():
            on_disk[path.relative_to(root).as_posix()] = path.read_bytes()
    assert on_disk == expected
    return head


def head_has(root: Path, text: str) -> bool:
    return text in git(root, "show", "HEAD:clients/amara-okafor.md")


def save_in_place(path: Path, text: str) -> None:
    with open(path, "r+", encoding="utf-8") as handle:
        handle.write(text)
        handle.truncate()


def save_by_rename(path: Path, text: str) -> None:  # vim / emacs
    tmp = path.with_name(path.name + "~tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def save_delete_create(path: Path, text: str) -> None:
    path.unlink()
    path.write_text(text, encoding="utf-8")


def with_field(path: Path, name: str, value: str) -> str:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.startswith(f"{name}: "):
            lines[i] = f"{name}: {value}\n"
            return "".join(lines)
    raise AssertionError(f"{path} has no {name}")


def test_a_burst_of_50_saves_in_three_editor_patterns(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    root = records_repo
    clients = root / "clients"
    names = ["amara-okafor.md", "jonas-weber.md", "kai-nakamura.md"]
    savers = [save_in_place, save_by_rename, save_delete_create]
    with watching(root) as service:
        for i in range(50):
            path = clients / names[i % 3]
            savers[(i // 3) % 3](path, with_field(path, "name", f"Burst {i:02d}"))
        head = assert_pages_are_heads(service, root, tmp_path, cli)
    # every committed version of each record in save order, none half written
    for name in names:
        seen = []
        for sha in git(root, "rev-list", "--reverse", head, "--", f"clients/{name}").split():
            text = git(root, "show", f"{sha}:clients/{name}")
            company = next(x for x in text.splitlines() if x.startswith("name: "))
            seen.append(company)
        bursts = [int(c.split()[-1]) for c in seen if "Burst" in c]
        assert bursts == sorted(bursts) and len(set(bursts)) == len(bursts), seen
        last = max(i for i in range(50) if names[i % 3] == name)
        assert bursts[-1] == last


def test_a_config_change_lands_while_a_page_pass_is_held(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    root = records_repo
    renderer = GateRenderer()
    with watching(root, renderer) as service:
        held_save(renderer, root, "clients/amara-okafor.md", "stage", "review")
        config = (root / "sortext.yaml").read_text()
        (root / "sortext.yaml").write_text(
            config.replace("people: [maya, theo]", "people: [maya, theo, zoe]")
        )
        template = root / "templates" / "client.md.j2"
        template.write_text(template.read_text() + "\nFooter from a template change\n")
        set_field(root, "clients/jonas-weber.md", "owner", "zoe")
        # each path has its own quiet window: the commits come in either order
        wait_for(
            lambda: (
                "Footer from a template change" in git(root, "show", "HEAD:templates/client.md.j2")
                and "owner: zoe" in git(root, "show", "HEAD:clients/jonas-weber.md")
            ),
            WAIT,
            lambda: "\n".join(commits(root)),
        )
        renderer.release.set()
        assert_pages_are_heads(service, root, tmp_path, cli)


def test_user_git_operations_while_a_page_pass_is_held(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    root = records_repo
    renderer = GateRenderer()
    with watching(root, renderer) as service:
        # a user commit beside the watcher while its pages are held
        held_save(renderer, root, "clients/amara-okafor.md", "stage", "review", committed=True)
        set_field(root, "clients/jonas-weber.md", "name", "Jonas By Hand")
        # whoever commits first (the user or the watcher), the end state is HEAD's
        subprocess.run(["git", "commit", "-qam", "by hand"], cwd=root, capture_output=True)
        subprocess.run(
            ["git", "commit", "-q", "--allow-empty", "-m", "empty by hand"], cwd=root, check=True
        )
        renderer.release.set()
        assert_pages_are_heads(service, root, tmp_path, cli, "one")
        # reset --hard back while pages are held
        held_save(renderer, root, "clients/kai-nakamura.md", "name", "Kai Reset", committed=True)
        git(root, "reset", "-q", "--hard", "HEAD~2")
        renderer.release.set()
        settle(service, root)
        # the branch keeps showing the newest pages after a reset back; a save then publishes
        set_field(root, "clients/kai-nakamura.md", "name", "Kai After")
        wait_for(lambda: commits(root)[0].startswith("kai-nakamura"), WAIT)
        assert_pages_are_heads(service, root, tmp_path, cli, "two")
        # stash while pages are held
        held_save(renderer, root, "clients/amara-okafor.md", "name", "Amara Stash", committed=True)
        (root / "clients/jonas-weber.md").write_text(
            (root / "clients/jonas-weber.md").read_text().replace("owner: ", "owner: ", 1)
            + "\nstash me\n"
        )
        git(root, "stash", "-q")
        renderer.release.set()
        assert_pages_are_heads(service, root, tmp_path, cli, "three")


def test_chained_and_swapped_renames(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    root = records_repo
    clients = root / "clients"
    with watching(root) as service:
        # a -> b -> c, quicker than the quiet window
        os.replace(clients / "kai-nakamura.md", clients / "kai-b.md")
        os.replace(clients / "kai-b.md", clients / "kai-c.md")
        head = assert_pages_are_heads(service, root, tmp_path, cli, "chain")
        names = git(root, "ls-tree", "--name-only", head, "clients/").split()
        assert "clients/kai-c.md" in names
        assert "clients/kai-nakamura.md" not in names and "clients/kai-b.md" not in names
        # a <-> b through a temporary record name
        a, b = clients / "amara-okafor.md", clients / "jonas-weber.md"
        a_text, b_text = a.read_bytes(), b.read_bytes()
        os.replace(a, clients / "swap-tmp.md")
        os.replace(b, a)
        os.replace(clients / "swap-tmp.md", b)
        head = assert_pages_are_heads(service, root, tmp_path, cli, "swap")
        assert git(root, "show", f"{head}:clients/amara-okafor.md").encode() == b_text
        assert git(root, "show", f"{head}:clients/jonas-weber.md").encode() == a_text
        names = git(root, "ls-tree", "--name-only", head, "clients/").split()
        assert "clients/swap-tmp.md" not in names


def test_a_new_day_during_a_page_pass(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    root = records_repo
    day = [dt.date.fromisoformat(TODAY)]
    renderer = GateRenderer()
    with watching(root, renderer, today=lambda: day[0]) as service:
        held_save(renderer, root, "clients/amara-okafor.md", "name", "Amara New Day")
        day[0] = day[0] + dt.timedelta(days=1)
        renderer.release.set()
        settle(service, root)
        from sortext.daemon.service import WatchService

        assert isinstance(service, WatchService)
        wait_for(lambda: service._pages is not None and not service._rendering, WAIT)
        head = git(root, "rev-parse", "HEAD").strip()
        wait_for(lambda: pages_for(root) == head, WAIT)
        where = tmp_path / "newday"
        subprocess.run(["git", "clone", "-q", str(root), str(where)], check=True)
        result = cli("build", "--repo", str(where), "--today", day[0].isoformat())
        assert result.exit_code == 0, result.output
        expected = (where / "NEXT.md").read_bytes()

        def published() -> bytes:
            return subprocess.run(
                ["git", "show", "sortext-pages:NEXT.md"], cwd=root, capture_output=True
            ).stdout

        # the new day's rebuild comes on disk and is published for HEAD, once
        # (README: a new day publishes the pages of HEAD again, built for that day)
        wait_for(
            lambda: (root / "NEXT.md").read_bytes() == expected and published() == expected,
            WAIT,
            lambda: (
                f"published={published() == expected} {pages_for(root)} "
                + git(root, "log", "--oneline", "-3")
            ),
        )
        settle(service, root)
    assert pages_for(root) == head
    new_day = day[0].isoformat()
    assert tree_files(root, "sortext-pages") == fresh_build(
        root, head, tmp_path / "old", cli, new_day
    )


def test_a_read_only_site_then_saves_then_writable(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    root = records_repo
    with watching(root) as service:
        site_clients = root / "site" / "clients"
        os.chmod(site_clients, 0o555)
        os.chmod(root / "site", 0o555)
        try:
            for i in range(5):
                set_field(root, "clients/amara-okafor.md", "name", f"Amara RO {i}")
                wait_for(partial(head_has, root, f"name: Amara RO {i}\n"), WAIT)
        finally:
            os.chmod(root / "site", 0o755)
            os.chmod(site_clients, 0o755)
        set_field(root, "clients/jonas-weber.md", "name", "Jonas Writable")
        assert_pages_are_heads(service, root, tmp_path, cli)


def test_a_template_error_then_saves_then_fixed(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    root = records_repo
    template = root / "templates" / "client.md.j2"
    good = template.read_text()
    with watching(root) as service:
        template.write_text(good + "\n{{ broken( }}\n")
        wait_for(
            lambda: commits(root)[0].startswith("config"), WAIT, lambda: "\n".join(commits(root))
        )
        for i in range(3):
            set_field(root, "clients/amara-okafor.md", "name", f"Amara TE {i}")
        template.write_text(good + "\nfixed\n")
        assert_pages_are_heads(service, root, tmp_path, cli)


def test_an_exception_in_a_page_step_is_not_silently_lost(
    records_repo: Path,
    tmp_path: Path,
    cli: Callable[..., Result],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A code error escaping a batch's page step (here: the stage-facts warm-up, which
    lets through anything but SortextError/OSError) must not leave that batch's pages
    unrendered while later batches render only their own records."""
    from sortext.vcs.stagefacts import warm_stage_facts as real

    fail = threading.Event()

    def flaky(repo: Repository) -> None:
        if fail.is_set():
            fail.clear()
            raise RuntimeError("a bug in the warm-up")
        real(repo)

    monkeypatch.setattr("sortext.daemon.pipeline.warm_stage_facts", flaky)
    root = records_repo
    with watching(root) as service:
        fail.set()
        set_field(root, "clients/amara-okafor.md", "name", "Amara Lost Page")
        wait_for(lambda: commits(root)[0].startswith("amara-okafor"), WAIT)
        settle(service, root)
        assert not fail.is_set()
        set_field(root, "clients/jonas-weber.md", "name", "Jonas Next Save")
        wait_for(lambda: commits(root)[0].startswith("jonas-weber"), WAIT)
        assert_pages_are_heads(service, root, tmp_path, cli)


def test_stop_during_a_page_pass_with_a_save_waiting(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    from sortext.daemon.service import WatchService
    from sortext.daemon.state import read_json

    root = records_repo
    renderer = GateRenderer()
    with watching(root, renderer) as service:
        assert isinstance(service, WatchService)
        held_save(renderer, root, "clients/amara-okafor.md", "name", "Amara Held")
        set_field(root, "clients/jonas-weber.md", "name", "Jonas Waiting")
        wait_for(lambda: service._pending or commits(root)[0].startswith("jonas"), WAIT)
        service.stop()
        renderer.release.set()
    assert commits(root)[0].startswith("jonas-weber")
    assert commits(root)[1].startswith("amara-okafor")
    assert read_json(root / ".sortext" / "watch.json")["pending"] == 0
    head = git(root, "rev-parse", "HEAD").strip()
    assert pages_for(root) == head
    assert tree_files(root, "sortext-pages") == fresh_build(root, head, tmp_path / "f", cli)


def test_queries_are_not_vouched_during_a_page_pass(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    from sortext.files import watchmark
    from sortext.repo import open_repository
    from sortext.views.queries import client_list

    root = records_repo
    clients = root / "clients"
    renderer = GateRenderer()
    with watching(root, renderer) as service:
        wait_for(lambda: watchmark.vouched(root, clients), WAIT)
        for i in range(3):
            held_save(renderer, root, "clients/amara-okafor.md", "name", f"Amara Vouch {i}")
            assert not watchmark.vouched(root, clients)
            names = [
                r.record.name
                for r in client_list(open_repository(root), dt.date.fromisoformat(TODAY))
            ]
            assert f"Amara Vouch {i}" in names
            renderer.release.set()
            settle(service, root)
            wait_for(lambda: watchmark.vouched(root, clients), WAIT)
            names = [
                r.record.name
                for r in client_list(open_repository(root), dt.date.fromisoformat(TODAY))
            ]
            assert f"Amara Vouch {i}" in names


def test_a_pull_from_a_bare_remote_while_pages_are_held(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    root = records_repo
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(root), str(bare)], check=True)
    git(root, "remote", "add", "origin", str(bare))
    git(root, "fetch", "-q", "origin")
    git(root, "branch", "-q", "--set-upstream-to=origin/main", "main")
    other = tmp_path / "other"
    subprocess.run(["git", "clone", "-q", str(bare), str(other)], check=True)
    git(other, "config", "user.email", "o@sortext.invalid")
    git(other, "config", "user.name", "Other")
    set_field(other, "clients/kai-nakamura.md", "name", "Kai From Remote")
    git(other, "commit", "-qam", "remote edit")
    git(other, "push", "-q", "origin", "main")
    renderer = GateRenderer()
    with watching(root, renderer) as service:
        held_save(renderer, root, "clients/amara-okafor.md", "name", "Amara Local", committed=True)
        subprocess.run(
            ["git", "pull", "-q", "--no-rebase", "--no-edit"],
            cwd=root,
            check=True,
            capture_output=True,
        )
        renderer.release.set()
        assert_pages_are_heads(service, root, tmp_path, cli)
    assert "Kai From Remote" in git(root, "show", "HEAD:clients/kai-nakamura.md")


def _names_a_record(subject: str) -> bool:
    """Whether a commit subject is a commit of the burst's records (one or a batch)."""
    ids = subject.partition(": ")[2] if re.match(r"\d+ records: ", subject) else subject
    return ids.startswith(("amara", "jonas", "kai"))


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_a_burst_of_saves_stops_cleanly(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result], sig: int
) -> None:
    """SIGTERM/SIGINT to a real ``sortext watch`` while it commits and renders a burst:
    it exits 0 promptly, every commit holds a whole valid version, nothing is left
    pending, and the next start catches up so the pages equal a cold build of HEAD."""
    from sortext.daemon.state import read_json
    from tests.watchkit import Daemon, wait_published, wait_settled

    root = records_repo
    clients = root / "clients"
    names = ["amara-okafor.md", "jonas-weber.md", "kai-nakamura.md"]
    savers = [save_in_place, save_by_rename, save_delete_create]
    daemon = Daemon(root, debounce_ms=20)
    try:
        daemon.wait_ready()
        wait_settled(root, 0, daemon)
        for i in range(30):
            path = clients / names[i % 3]
            savers[(i // 3) % 3](path, with_field(path, "name", f"Signal {i:02d}"))
            if i == 15:
                # a record commit ("amara-okafor: ..." or, for a batch under load,
                # "3 records: amara-okafor, ...") before the signal
                wait_for(lambda: _names_a_record(commits(root)[0]), WAIT)
        daemon.proc.send_signal(sig)
        try:
            code = daemon.proc.wait(WAIT)
        except subprocess.TimeoutExpired:
            pid = daemon.proc.pid
            os.system(
                f"ps -o pid,ppid,stat,wchan:30,cmd --ppid {pid} -p {pid} >&2;"
                f"for t in /proc/{pid}/task/*; do echo $t $(cat $t/comm) $(cat $t/wchan) >&2; done"
            )
            raise
    finally:
        daemon.stop()
    assert code == 0, daemon.log
    assert read_json(root / ".sortext" / "watch.json").get("pending") == 0, daemon.log
    for sha in git(root, "rev-list", "HEAD").split():
        for name in names:
            text = git(root, "show", f"{sha}:clients/{name}")
            assert text.startswith("---\n") and text.count("\n---\n") >= 1, (sha, name)
    # the next start commits what the stop left and publishes HEAD's pages
    again = Daemon(root)
    try:
        again.wait_ready()
        wait_settled(root, 0, again, timeout=WAIT)
        assert not git(root, "status", "--porcelain", "--", "clients").strip(), again.log
        head = wait_published(root, again, timeout=WAIT)
    finally:
        assert again.stop() == 0
    where = tmp_path / "f"
    subprocess.run(["git", "clone", "-q", str(root), str(where)], check=True)
    subprocess.run(["git", "checkout", "-q", "--detach", head], cwd=where, check=True)
    result = cli("build", "--repo", str(where), "--today", SAMPLE_TODAY)
    assert result.exit_code == 0, result.output
    expected = {"NEXT.md": (where / "NEXT.md").read_bytes()}
    for path in sorted((where / "site").rglob("*")):
        if path.is_file():
            expected[path.relative_to(where).as_posix()] = path.read_bytes()
    assert tree_files(root, "sortext-pages") == expected


SIGNAL_IN_QUEUE_LOCK = """
import datetime as dt, os, signal, sys
from pathlib import Path
from sortext.daemon.renderer import PagesRenderer
from sortext.daemon.service import WatchService
from sortext.repo import open_repository

service = WatchService(open_repository(Path(sys.argv[1])), PagesRenderer(), dt.date.today)
previous = service._install_signals()
assert previous, "not the main thread"
# the loop holds its queue's lock (get, get_nowait, or the page thread's wake-ups)
# at the moment a signal's handler runs on the same thread
with service._queue.mutex:
    os.kill(os.getpid(), signal.SIG{name})
    for _ in range(1000):
        pass  # the handler runs between these bytecodes
assert service._stop
service._restore_signals(previous)
print("handled")
"""


@pytest.mark.parametrize("name", ["TERM", "INT"])
def test_a_signal_while_the_loop_holds_its_queue_lock_does_not_deadlock(
    records_repo: Path, name: str
) -> None:
    """Seen as a watcher hanging for ever after "received SIGTERM: finishing" in a burst
    of saves: the handler runs on the main thread between two bytecodes, possibly while
    the loop holds its event queue's (non-reentrant) lock; putting a wake-up on that
    queue from the handler then waits for itself."""
    import sys

    script = SIGNAL_IN_QUEUE_LOCK.replace("{name}", name)
    proc = subprocess.run(
        [sys.executable, "-c", script, str(records_repo)],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert proc.returncode == 0 and "handled" in proc.stdout, proc.stderr


def test_pages_settings_and_a_checkout_change_while_a_page_pass_is_held(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    root = records_repo
    renderer = GateRenderer()
    with watching(root, renderer) as service:
        held_save(renderer, root, "clients/amara-okafor.md", "name", "Amara Branch")
        with open(root / "sortext.yaml", "a", encoding="utf-8") as handle:
            handle.write("\npages: {branch: other-pages, keep: 5}\n")
        wait_for(lambda: commits(root)[0].startswith("config"), WAIT)
        renderer.release.set()
        settle(service, root)
        head = git(root, "rev-parse", "HEAD").strip()
        wait_for(lambda: pages_for(root, "other-pages") == head, WAIT)
        assert tree_files(root, "other-pages") == fresh_build(root, head, tmp_path / "a", cli)
        # a checkout of another branch while pages are held publishes nothing for it
        git(root, "branch", "-q", "side", "HEAD~1")
        held_save(
            renderer,
            root,
            "clients/jonas-weber.md",
            "name",
            "Jonas Before Checkout",
            committed=True,
        )
        main_head = git(root, "rev-parse", "HEAD").strip()
        git(root, "checkout", "-q", "side")
        renderer.release.set()
        settle(service, root)
        published = pages_for(root, "other-pages")
        assert published in (head, main_head)
        if published == main_head:
            assert tree_files(root, "other-pages") == fresh_build(
                root, main_head, tmp_path / "b", cli
            )
        git(root, "checkout", "-q", "main")
        set_field(root, "clients/kai-nakamura.md", "name", "Kai Back On Main")
        wait_for(lambda: commits(root)[0].startswith("kai-nakamura"), WAIT)
        settle(service, root)
        head = git(root, "rev-parse", "HEAD").strip()
        wait_for(lambda: pages_for(root, "other-pages") == head, WAIT)
        assert tree_files(root, "other-pages") == fresh_build(root, head, tmp_path / "c", cli)


class _Boom(RuntimeError):
    pass


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(point=st.sampled_from(["warm", "update", "publish"]), first=st.sampled_from([0, 1]))
def test_any_error_escaping_a_page_step_heals_on_the_next_pass(
    tmp_path_factory: pytest.TempPathFactory, cli: Callable[..., Result], point: str, first: int
) -> None:
    """The class: a code error raised anywhere in a batch's page step (the warm-up,
    the renderer, the publish) leaves the pipeline knowing its pages are not current,
    so the next batch (a save of another record) publishes pages equal to a cold build
    of HEAD."""
    import sortext.daemon.pipeline as pipeline_module
    import sortext.vcs.pages as pages_module
    from sortext.daemon.events import Change
    from sortext.daemon.pipeline import Pipeline
    from sortext.repo import open_repository
    from sortext.vcs.commit import GitRepo
    from tests.conftest import sample_records

    tmp = tmp_path_factory.mktemp("heal")
    root = sample_records(tmp / "records")
    today = dt.date.fromisoformat(TODAY)
    names = ["amara-okafor", "jonas-weber"]
    armed = [False]

    def fault(real: Callable[..., object]) -> Callable[..., object]:
        def call(*args: object, **kwargs: object) -> object:
            if armed[0]:
                armed[0] = False
                raise _Boom(point)
            return real(*args, **kwargs)

        return call

    renderer = PagesRenderer()
    patches = {
        "warm": (pipeline_module, "warm_stage_facts"),
        "update": (renderer, "update"),
        "publish": (pages_module, "publish"),
    }
    owner, attr = patches[point]
    real = getattr(owner, attr)
    setattr(owner, attr, fault(real))
    repo_git = GitRepo.open(root)
    try:
        pipeline = Pipeline(open_repository(root), repo_git, renderer, lambda: today)
        pipeline.start()
        for step, name in enumerate([names[first], names[1 - first]]):
            set_field(root, f"clients/{name}.md", "name", f"Heal {step}")
            armed[0] = step == 0
            try:
                pipeline.settle([Change(root / f"clients/{name}.md", "record")])
            except _Boom:
                assert step == 0
            assert not armed[0]
        if not pipeline.rendered_ok:  # the watcher retries a failed render with []
            pipeline.settle([])
    finally:
        setattr(owner, attr, real)
        repo_git.close()
    head = git(root, "rev-parse", "HEAD").strip()
    assert pages_for(root) == head
    expected = fresh_build(root, head, tmp / "fresh", cli)
    assert tree_files(root, "sortext-pages") == expected


def test_an_error_in_a_commit_step_loses_neither_the_save_nor_the_pages(
    records_repo: Path,
    tmp_path: Path,
    cli: Callable[..., Result],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A code error raised in a batch's commit step (here: building the records'
    commit message) must not drop the batch's saves (nothing would commit them
    until the next edit) nor the full rebuild a config change in it asked for."""
    from sortext.daemon.pipeline import Pipeline

    real = Pipeline._commit_records
    fail = threading.Event()

    def flaky(self: Pipeline, *args: object, **kwargs: object) -> None:
        if fail.is_set():
            fail.clear()
            raise RuntimeError("a bug in the commit message")
        real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Pipeline, "_commit_records", flaky)
    root = records_repo
    template = root / "templates" / "client.md.j2"
    with watching(root) as service:
        fail.set()
        set_field(root, "clients/amara-okafor.md", "name", "Amara Commit Error")
        wait_for(lambda: not fail.is_set(), WAIT)
        set_field(root, "clients/jonas-weber.md", "name", "Jonas After Error")
        template.write_text(template.read_text() + "\nfooter\n")
        assert_pages_are_heads(service, root, tmp_path, cli)
    assert "Amara Commit Error" in git(root, "show", "HEAD:clients/amara-okafor.md")


def test_a_chained_renames_halves_are_all_taken_with_the_first_due(records_repo: Path) -> None:
    """a -> b -> c queues (b from a), (a), (c from b), (b): when c's quiet window ends
    first, b *and* a come with it (else c is committed as a new record beside a, and a's
    removal comes in a commit of its own)."""
    from sortext.daemon.debounce import Debouncer
    from sortext.daemon.events import Change
    from sortext.daemon.service import WatchService
    from sortext.repo import open_repository

    clients = records_repo / "clients"
    a, b, c = clients / "kai.md", clients / "kai-b.md", clients / "kai-c.md"
    now = [0.0]
    debouncer: Debouncer[Path] = Debouncer(0.3, clock=lambda: now[0])
    service = WatchService(open_repository(records_repo), PagesRenderer(), dt.date.today)
    for change in (Change(b, "record", a), Change(a, "record"), Change(c, "record", b)):
        service._take(change, debouncer)
    service._take(Change(b, "record"), debouncer)
    debouncer.touch(c, 0.3)
    debouncer.touch(b, 0.31)
    debouncer.touch(a, 0.32)
    now[0] = 0.305
    due = debouncer.due()
    assert due == [c]
    assert sorted(service._other_halves(due, debouncer)) == sorted([a, b])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    length=st.integers(min_value=1, max_value=5),
    delays=st.lists(st.integers(min_value=0, max_value=9), min_size=12, max_size=12),
)
def test_every_half_of_a_rename_chain_comes_with_the_first_due(
    records_repo: Path, length: int, delays: list[int]
) -> None:
    """The class: a chain of renames f0 -> f1 -> ... -> fn queued as the observer queues
    them (each destination with its source, then the source), the quiet windows ending
    in any order, beside an unrelated save: the first path due brings every other path
    of the chain, and never the unrelated one."""
    from sortext.daemon.debounce import Debouncer
    from sortext.daemon.events import Change
    from sortext.daemon.service import WatchService
    from sortext.repo import open_repository

    clients = records_repo / "clients"
    chain = [clients / f"f{i}.md" for i in range(length + 1)]
    other = clients / "other.md"
    now = [0.0]
    debouncer: Debouncer[Path] = Debouncer(0.3, clock=lambda: now[0])
    service = WatchService(open_repository(records_repo), PagesRenderer(), dt.date.today)
    for src, dest in itertools.pairwise(chain):
        service._take(Change(dest, "record", src), debouncer)
        service._take(Change(src, "record"), debouncer)
    service._take(Change(other, "record"), debouncer)
    for path, delay in zip([*chain, other], delays, strict=False):
        debouncer.touch(path, 0.3 + delay / 1000)
    first = min(chain, key=lambda p: (delays[chain.index(p)], chain.index(p)))
    now[0] = 0.3 + delays[chain.index(first)] / 1000 + 0.0001
    due = [p for p in debouncer.due() if p in chain]
    taken = set(due) | set(service._other_halves(due, debouncer))
    assert taken == set(chain)


class _CountingQueue(queue.Queue[object]):
    """The loop's event queue, noting when each blocking ``get`` starts and its timeout."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[float, float | None]] = []

    def get(self, block: bool = True, timeout: float | None = None) -> object:
        if block:
            self.calls.append((time.monotonic(), timeout))
        return super().get(block, timeout)


def test_the_loop_does_not_spin_while_a_page_pass_outlasts_a_vouch_retry(
    records_repo: Path,
) -> None:
    """A rename leaves the vouch to be tried again 0.8 s later (a move out of the folder
    may still be held back); a save then starts a long page pass.  When the retry is due
    while the pages are still rendering, the loop must go back to waiting, not poll
    its queue with a zero timeout until the page pass ends (a core spent beside it)."""
    from sortext.daemon.service import WatchService
    from sortext.repo import open_repository

    root = records_repo
    day = dt.date.fromisoformat(TODAY)
    renderer = GateRenderer()
    service = WatchService(open_repository(root), renderer, lambda: day, debounce=0.05)
    counting = _CountingQueue()
    service._queue = counting  # type: ignore[assignment]
    ready = threading.Event()
    runner = threading.Thread(target=service.run, kwargs={"ready": ready.set}, daemon=True)
    runner.start()
    try:
        assert ready.wait(WAIT)
        service.wait_settled(0, WAIT)
        clients = root / "clients"
        held_save(
            renderer,
            root,
            "clients/amara-okafor.md",
            "name",
            "Amara Spin",
            first=lambda: os.replace(clients / "kai-nakamura.md", clients / "kai-studio.md"),
        )
        wait_for(lambda: service._vouch_at is not None or service._rendering, WAIT)
        due = service._vouch_at or time.monotonic()
        wait_for(lambda: sum(1 for at, _ in counting.calls if at > due) >= 2, WAIT)
        after = [t for at, t in counting.calls if at > due]
        assert after[0] is not None and after[0] > 0.0, after[:5]
    finally:
        renderer.release.set()
        service.stop()
        runner.join(WAIT)
    assert not runner.is_alive()


def test_head_moving_with_no_file_changed_is_published(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    """An empty commit by hand (or a commit of bytes the watcher had committed) moves
    HEAD without a file event: the pages branch follows HEAD anyway."""
    root = records_repo
    with watching(root) as service:
        head = assert_pages_are_heads(service, root, tmp_path, cli, "a")
        git(root, "commit", "-q", "--allow-empty", "-m", "empty by hand")
        assert git(root, "rev-parse", "HEAD").strip() != head
        assert_pages_are_heads(service, root, tmp_path, cli, "b")


def test_a_commit_step_that_keeps_failing_is_retried_with_backoff(
    records_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A code error that repeats is retried after 2 s, then 4, 8 ... up to a minute
    (not every 2 s, with a traceback each time), and the pause is back to 2 s once a
    commit step returns."""
    from sortext.daemon.events import Change
    from sortext.daemon.pipeline import MAX_RERENDER_BACKOFF, Pipeline
    from sortext.daemon.renderer import PagesRenderer
    from sortext.repo import open_repository
    from sortext.vcs.commit import GitRepo

    repo_git = GitRepo.open(records_repo)
    today = dt.date.fromisoformat(TODAY)
    pipeline = Pipeline(open_repository(records_repo), repo_git, PagesRenderer(), lambda: today)
    pipeline.start()
    changes = [Change(records_repo / "clients" / "amara-okafor.md", "record")]
    pauses = [pipeline.failed_step(changes).result.retry_after for _ in range(7)]
    assert pauses == [2.0, 4.0, 8.0, 16.0, 32.0, MAX_RERENDER_BACKOFF, MAX_RERENDER_BACKOFF]
    pipeline.commit_step(changes)
    assert pipeline.failed_step(changes).result.retry_after == 2.0
