"""Crash harness: SIGKILL ``sortext watch`` at random moments during bursts of edits.

After every kill the daemon is restarted and, once it has caught up, the
repository is checked:

* every saved edit is on disk byte-identical (the harness remembers each save);
* HEAD holds every record as on disk (nothing lost, nothing left uncommitted);
* ``sortext check`` passes;
* the index matches a full rebuild (hash and data of every record);
* ``git fsck`` is clean;
* no temp files are left behind;
* the published pages (branch ``sortext-pages``) name HEAD and equal a fresh
  ``sortext build`` of a clean clone of HEAD.

Run:  python -m bench.crash_harness --kills 200 [--seed 7] [--records N]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TODAY = "2026-11-23"
STAGES = ["inquiry", "discovery", "proposal"]
TEMP_MARKERS = (".sortext-tmp-", ".tmp")


@dataclass
class Figures:
    kills: int = 0
    edits: int = 0
    restarts_checked: int = 0
    failures: list[str] = field(default_factory=list)
    catch_up_commits: int = 0
    max_restart_seconds: float = 0.0


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=True
    ).stdout


def make_repo(base: Path, extra_records: int = 0) -> Path:
    """A sample repository (plus ``extra_records`` simple clients) in a fresh git repo."""
    root = base / "records"
    root.mkdir()
    shutil.copy(PROJECT_ROOT / "sortext.yaml", root / "sortext.yaml")
    shutil.copytree(PROJECT_ROOT / "clients", root / "clients")
    shutil.copytree(PROJECT_ROOT / "templates", root / "templates")
    shutil.copy(PROJECT_ROOT / ".gitignore", root / ".gitignore")
    for i in range(extra_records):
        (root / "clients" / f"client-{i:05d}.md").write_bytes(record_bytes(i, "inquiry", 0))
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
    git(root, "config", "user.email", "harness@sortext.invalid")
    git(root, "config", "user.name", "Crash Harness")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "start")
    return root


def record_bytes(i: int, stage: str, version: int) -> bytes:
    """A small valid record; ``version`` shows up in the notes so every save differs."""
    return (
        f"---\nname: Harness Client {i}\nstage: {stage}\nowner: maya\n"
        f"next_action:\n  what: Follow up, round {version}\n  owner: maya\n"
        f"  due: 2026-12-{1 + version % 28:02d}\n---\n\nNotes version {version}.\n"
    ).encode()


def save(path: Path, data: bytes, style: int) -> None:
    """Save like an editor: in place, truncate-then-write, or temp-then-rename."""
    if style == 0:
        with open(path, "r+b" if path.exists() else "wb") as handle:
            handle.truncate(0)
            handle.write(data)
    elif style == 1:
        path.write_bytes(data)
    else:
        tmp = path.with_name(f".{path.name}.harness~")
        tmp.write_bytes(data)
        os.replace(tmp, path)


def watch_argv(root: Path, debounce_ms: int, *extra: str) -> list[str]:
    """The command line of ``sortext watch`` on ``root``, run by this Python."""
    return [
        sys.executable,
        "-m",
        "sortext",
        "watch",
        "--repo",
        str(root),
        "--debounce",
        str(debounce_ms),
        *extra,
    ]


class Watcher:
    def __init__(self, root: Path, log: Path) -> None:
        self.log_path = log
        handle = open(log, "ab")  # noqa: SIM115 - handed to the child
        env = dict(os.environ, SORTEXT_TODAY=TODAY, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            watch_argv(root, 50),
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=env,
        )
        handle.close()
        self.start_size = 0

    def wait_ready(self, offset: int, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "ready:" in self.log_path.read_text(errors="replace")[offset:]:
                return
            if self.proc.poll() is not None:
                raise RuntimeError("watcher exited:\n" + self.log_path.read_text()[offset:])
            time.sleep(0.02)
        raise RuntimeError("watcher not ready:\n" + self.log_path.read_text()[offset:])


def check_repository(
    root: Path, expected: dict[str, bytes], live_pids: tuple[int, ...] = ()
) -> list[str]:
    """Every invariant; returns the broken ones (empty: all good).  ``live_pids``: the
    running daemon, whose own private index is not a leftover."""
    problems = []
    for rel, data in expected.items():
        on_disk = (root / rel).read_bytes()
        if on_disk != data:
            problems.append(f"{rel}: bytes on disk differ from the last save")
        head = subprocess.run(["git", "show", f"HEAD:{rel}"], cwd=root, capture_output=True)
        if head.stdout != data:
            problems.append(f"{rel}: HEAD does not hold the last save")
    status = git(root, "status", "--porcelain", "--", "clients")
    if status:
        problems.append(f"uncommitted records after catch-up: {status.strip()}")
    check = subprocess.run(
        [sys.executable, "-m", "sortext", "check", "--repo", str(root), "-q"], capture_output=True
    )
    if check.returncode != 0:
        problems.append("sortext check failed")
    problems.extend(index_matches_rebuild(root))
    fsck = subprocess.run(
        ["git", "fsck", "--no-progress", "--no-dangling"], cwd=root, capture_output=True, text=True
    )
    if fsck.returncode != 0 or fsck.stdout.strip():
        problems.append(f"git fsck: {fsck.stdout}{fsck.stderr}")
    leftovers = [
        str(p.relative_to(root))
        for folder in (root, root / "clients", root / "site", root / "site" / "clients")
        if folder.is_dir()
        for p in folder.iterdir()
        if any(m in p.name for m in TEMP_MARKERS) and p.name.startswith(".")
    ]
    live = {f"sortext-index-{pid}" for pid in live_pids}  # the running daemon's own
    leftovers += [p.name for p in (root / ".git").glob("sortext-index-*") if p.name not in live]
    leftovers += [p.name for p in (root / ".git").glob("sortext-blob-*")]
    if leftovers:
        problems.append(f"temp files left behind: {leftovers}")
    problems.extend(pages_match_fresh_build(root))
    return problems


def wait_settled(root: Path, timeout: float = 120.0) -> None:
    """Wait on the watcher's own report (``.sortext/watch.json``): nothing pending and
    the pages published for HEAD; no fixed sleep.

    Raises ``RuntimeError`` when it has not settled within ``timeout`` seconds: checking
    a repository the watcher is still working on would report its lag as lost data."""
    state_path = root / ".sortext" / "watch.json"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = json.loads(state_path.read_text())
        except (OSError, ValueError):
            state = {}
        head = git(root, "rev-parse", "HEAD").strip()
        if state.get("pending") == 0 and state.get("published_for") == head:
            return
        time.sleep(0.02)
    raise RuntimeError(f"the watcher did not settle within {timeout:.0f} s: {state}")


def pages_match_fresh_build(root: Path) -> list[str]:
    """The pages branch names HEAD and holds exactly what a fresh build of HEAD writes."""
    head = git(root, "rev-parse", "HEAD").strip()
    subject = subprocess.run(
        ["git", "log", "-1", "--format=%s", "sortext-pages"],
        cwd=root,
        capture_output=True,
        text=True,
    ).stdout.strip()
    if subject != f"pages for {head}":
        return [f"pages branch is at {subject!r}, not the pages for HEAD {head[:10]}"]
    with tempfile.TemporaryDirectory(prefix="sortext-fresh-") as tmp:
        clone = Path(tmp) / "fresh"
        subprocess.run(["git", "clone", "-q", str(root), str(clone)], check=True)
        subprocess.run(
            [sys.executable, "-m", "sortext", "build", "--repo", str(clone), "--today", TODAY],
            capture_output=True,
            check=True,
        )
        fresh = {
            p.relative_to(clone).as_posix(): p.read_bytes()
            for p in [clone / "NEXT.md", *(clone / "site").rglob("*")]
            if p.is_file()
        }
    names = git(root, "ls-tree", "-r", "-z", "--name-only", "sortext-pages").split("\0")
    published = {
        name: subprocess.run(
            ["git", "show", f"sortext-pages:{name}"], cwd=root, capture_output=True, check=True
        ).stdout
        for name in names
        if name
    }
    if published == fresh:
        return []
    differ = sorted(k for k in set(published) | set(fresh) if published.get(k) != fresh.get(k))
    return [f"published pages differ from a fresh build of HEAD: {differ[:5]}"]


def index_matches_rebuild(root: Path) -> list[str]:
    """The daemon's index agrees with parsing every file from scratch."""
    import hashlib

    from sortext.check.load import load_record
    from sortext.repo import open_repository
    from sortext.schema.validate import RecordValidator
    from sortext.store.index import Index

    repo = open_repository(root)
    validator = RecordValidator(repo.config)
    fresh = {}
    for path in repo.record_paths():
        rel = repo.relative(path)
        loaded = load_record(str(path), rel, validator)
        fresh[rel] = (
            hashlib.sha256(path.read_bytes()).hexdigest(),
            loaded.record.data if loaded.record else None,
        )
    with Index.open(repo) as index:
        stored = {e.path: (e.hash, e.record.data if e.record else None) for e in index.entries()}
    if stored == fresh:
        return []
    differ = sorted(k for k in set(stored) | set(fresh) if stored.get(k) != fresh.get(k))
    return [f"index differs from a full rebuild for {differ[:5]}"]


def run(kills: int, seed: int = 7, extra_records: int = 20, base: Path | None = None) -> Figures:
    """Kill the daemon ``kills`` times; return the figures (failures listed, not raised)."""
    rng = random.Random(seed)
    figures = Figures()
    owned = base is None
    base = base or Path(tempfile.mkdtemp(prefix="sortext-crash-"))
    try:
        root = make_repo(base, extra_records)
        log = base / "watch.log"
        log.touch()
        ids = [f"clients/client-{i:05d}.md" for i in range(extra_records)]
        expected: dict[str, bytes] = {}
        version = 0
        for _ in range(kills):
            offset = log.stat().st_size
            started = time.monotonic()
            watcher = Watcher(root, log)
            watcher.wait_ready(offset)
            figures.max_restart_seconds = max(
                figures.max_restart_seconds, time.monotonic() - started
            )
            if "catch-up:" in log.read_text(errors="replace")[offset:]:
                figures.catch_up_commits += 1
            if expected:
                wait_settled(root)  # the daemon settled anything the catch-up re-queued
                broken = check_repository(root, expected, (watcher.proc.pid,))
                figures.restarts_checked += 1
                figures.failures.extend(f"after kill {figures.kills}: {b}" for b in broken)
            kill_after = rng.uniform(0.0, 0.6)
            timer = threading.Timer(kill_after, watcher.proc.send_signal, (signal.SIGKILL,))
            timer.start()
            for _ in range(rng.randint(3, 10)):
                rel = rng.choice(ids)
                version += 1
                data = record_bytes(ids.index(rel), rng.choice(STAGES), version)
                save(root / rel, data, rng.randrange(3))
                expected[rel] = data
                figures.edits += 1
                time.sleep(rng.uniform(0.0, 0.08))
            timer.join()
            watcher.proc.wait()
            figures.kills += 1
        offset = log.stat().st_size
        final = Watcher(root, log)
        final.wait_ready(offset)
        wait_settled(root)
        broken = check_repository(root, expected, (final.proc.pid,))
        figures.restarts_checked += 1
        figures.failures.extend(f"final: {b}" for b in broken)
        final.proc.send_signal(signal.SIGTERM)
        final.proc.wait(30)
        stopped = [p.name for p in (root / ".git").glob("sortext-index-*")]
        figures.failures.extend(f"after a clean stop, left behind: {n}" for n in stopped)
    finally:
        if owned:
            shutil.rmtree(base, ignore_errors=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--records", type=int, default=20, help="extra records to edit")
    args = parser.parse_args()
    started = time.monotonic()
    figures = run(args.kills, args.seed, args.records)
    out = {
        "kills": figures.kills,
        "edits": figures.edits,
        "restarts_checked": figures.restarts_checked,
        "catch_up_commits": figures.catch_up_commits,
        "max_restart_seconds": round(figures.max_restart_seconds, 2),
        "failures": figures.failures,
        "seconds": round(time.monotonic() - started, 1),
    }
    print(json.dumps(out, indent=2))
    sys.exit(1 if figures.failures else 0)


if __name__ == "__main__":
    main()
