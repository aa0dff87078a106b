"""Benchmark: ``sortext import FILE.ics`` as the calendar grows, dry run and write.

Two shapes, each at a few sizes so the growth shows (linear work doubles with the
size, quadratic work quadruples):

* ``series``: N weekly series (each ending this week: one session in the 92-day
  horizon), their attendees spread over 100 clients, so N sessions in all.  Each
  series was expanded from a calendar built by scanning the whole file
  (O(N^2): 2,000 series took 4 s, 4,000 took 21 s).
* ``sessions``: one client booked K sessions by twice-daily series (184 a series
  at most, the documented cap; 368 is two series).  Each session was appended to
  the record with a compose and a read-back of the whole record (O(K^2): 184 took
  12-24 s).
* ``cancel``: the same client's K sessions, booked by an import not timed, then
  cancelled by the same calendar with ``STATUS:CANCELLED``: K status changes, each
  a ``set`` composing and reading back the whole record (O(K^2): 184 took 36 s;
  still so: a run of value changes checked only at its end wrote records the
  one-by-one path refuses, see tests/test_import_refused_midway.py).

Each figure is the CPU seconds (user + system) of one ``python -m sortext import``
process, run in a fresh copy of a generated records repository: ``--dry-run``
(plan and validation) and the import itself (plan, validation, write).  The
interpreter's start (~0.2 s) is included.  Run with ``PYTHONPATH`` set to another
tree to time that tree's code (the bench itself only generates files):

    python bench/calendar_import_bench.py [--series 500,1000,2000,4000]
        [--sessions 46,92,184,368] [--cancel 92,184,368] [--no-write]
    PYTHONPATH=/work/main python bench/calendar_import_bench.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 12, 2)
CLIENTS = 100  # the clients the series' attendees are spread over


def _client(slug: str, mail: str) -> str:
    return (
        f"---\nname: {slug.replace('-', ' ').title()}\nstage: active\nemail: {mail}\n"
        "owner: me\nnext_action: {what: Prepare the next session, owner: me, due: 2026-12-09}\n"
        "sessions:\n  - date: 2026-11-02\n    status: held\n    kind: intake\n"
        "---\n\nNotes.\n"
    )


def build_repo(folder: Path, clients: int) -> Path:
    """A records repository (the shipped default config) with ``clients`` clients,
    ``bench-client-NNNNN`` at ``benchNNNNN@example.com``."""
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "sortext" / "skeleton" / "sortext.yaml", folder / "sortext.yaml")
    (folder / "clients").mkdir()
    for n in range(clients):
        slug = f"bench-client-{n:05d}"
        (folder / "clients" / f"{slug}.md").write_text(
            _client(slug, f"bench{n:05d}@example.com"), encoding="utf-8"
        )
    return folder


def _event(uid: str, mail: str, start: str, rule: str) -> str:
    return (
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTART:{start}\r\nDURATION:PT50M\r\n"
        f"RRULE:{rule}\r\nSUMMARY:Coaching session\r\n"
        f"ATTENDEE;CN=Client:mailto:{mail}\r\nEND:VEVENT\r\n"
    )


def _calendar(events: list[str]) -> bytes:
    head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//calendar import//EN\r\n"
    return (head + "".join(events) + "END:VCALENDAR\r\n").encode()


def series_calendar(count: int) -> bytes:
    """``count`` weekly series, each with one session in the horizon (it ends this
    week), attendees spread over :data:`CLIENTS` clients."""
    until = TODAY + dt.timedelta(days=6)
    events = []
    for n in range(count):
        start = TODAY - dt.timedelta(days=7 * (1 + n % 8)) + dt.timedelta(days=n % 5)
        events.append(
            _event(
                f"weekly-{n:05d}@bench",
                f"bench{n % CLIENTS:05d}@example.com",
                f"{start:%Y%m%d}T{8 + n % 9:02d}{(n % 4) * 15:02d}00Z",
                f"FREQ=WEEKLY;UNTIL={until:%Y%m%d}T235959Z",
            )
        )
    return _calendar(events)


def sessions_calendar(count: int) -> bytes:
    """Twice-daily series for one client, ``count`` sessions in all (184 a series)."""
    events = []
    for n in range(0, count, 184):
        take = min(184, count - n)
        events.append(
            _event(
                f"daily-{n:05d}@bench",
                "bench00000@example.com",
                f"{TODAY:%Y%m%d}T{9 + n // 184:02d}0000Z",
                f"FREQ=DAILY;BYHOUR={9 + n // 184},{17 + n // 184};COUNT={take}",
            )
        )
    return _calendar(events)


def cancelled(data: bytes) -> bytes:
    """``data`` (series) with every series cancelled."""
    return data.replace(b"SUMMARY:", b"STATUS:CANCELLED\r\nSUMMARY:")


def cpu_of(command: list[str], cwd: Path) -> tuple[float, str]:
    """CPU seconds (user + system) of ``command`` run to its end in ``cwd``, and the
    last line it wrote on stderr (the import's summary)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=os.environ.copy())
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines = done.stderr.strip().splitlines()
    if done.returncode not in (0, 1) or not lines:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return used, lines[-1]


def measure(
    base: Path, data: bytes, write: bool, before: bytes | None = None
) -> list[tuple[str, float, str]]:
    """The dry run, then (``write``) the import, each in a fresh copy of ``base``
    where ``before`` (a calendar) was imported first, untimed."""
    out = []
    for mode in ("dry run", "import") if write else ("dry run",):
        with tempfile.TemporaryDirectory() as tmp:
            repo = Path(tmp) / "records"
            shutil.copytree(base, repo)
            command = [sys.executable, "-m", "sortext", "import", "bookings.ics"]
            command += ["--today", TODAY.isoformat()]
            if before is not None:
                (repo / "bookings.ics").write_bytes(before)
                cpu_of(command, repo)
            (repo / "bookings.ics").write_bytes(data)
            if mode == "dry run":
                command.append("--dry-run")
            seconds, summary = cpu_of(command, repo)
            out.append((mode, seconds, summary))
    return out


def _sizes(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", default="500,1000,2000,4000", help="weekly series counts")
    parser.add_argument("--sessions", default="46,92,184,368", help="sessions for one client")
    parser.add_argument("--cancel", default="92,184,368", help="sessions then cancelled")
    parser.add_argument("--no-write", action="store_true", help="time the dry run only")
    args = parser.parse_args()
    code = os.environ.get("PYTHONPATH") or str(ROOT)
    print(f"code: {code}  today: {TODAY}  CPU seconds per process (user + system)")
    with tempfile.TemporaryDirectory() as tmp:
        base = build_repo(Path(tmp) / "base", CLIENTS)
        shapes: list[tuple[bytes, bytes | None, str]] = [
            (series_calendar(n), None, f"{n:,} weekly series") for n in _sizes(args.series)
        ]
        shapes += [
            (sessions_calendar(n), None, f"{n:,} sessions, one client")
            for n in _sizes(args.sessions)
        ]
        shapes += [
            (cancelled(sessions_calendar(n)), sessions_calendar(n), f"{n:,} sessions cancelled")
            for n in _sizes(args.cancel)
        ]
        for data, before, label in shapes:
            for mode, seconds, summary in measure(base, data, not args.no_write, before):
                print(f"{label:>26}  {mode:>7}: {seconds:7.2f} s   ({summary})", flush=True)


if __name__ == "__main__":
    main()
