"""Generate a records repository of N realistic, fictional clients (for the benchmarks).

Each client has what a real practice accumulates: 0-40 sessions, 1-4 goals
with measurements, 0-12 invoices, blockers, consent, links, and 1-10 KB of
Markdown notes (headings, paragraphs, lists).  Stages, due dates and invoice
states are spread so the rules see a realistic mix of overdue, due soon,
later and missing next actions.  The same N and seed give the same bytes;
files get an old mtime, as records on a real disk have.

Usage: python bench/gen_pages.py N DIR [--seed S]
"""

from __future__ import annotations

import argparse
import atexit
import datetime as dt
import os
import random
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OLD_MTIME_NS = 1_700_000_000 * 10**9
TODAY = dt.date(2026, 11, 23)

FIRST = (
    "Amara",
    "Bruno",
    "Chiara",
    "Dara",
    "Elena",
    "Farid",
    "Greta",
    "Hana",
    "Ines",
    "Jonas",
    "Kai",
    "Lena",
    "Mateo",
    "Nadia",
    "Oren",
    "Priya",
    "Quinn",
    "Rosa",
    "Sami",
    "Tove",
    "Ugo",
    "Vera",
    "Wren",
    "Xavi",
    "Yara",
    "Zeno",
)
LAST = (
    "Okafor",
    "Castellanos",
    "Bellini",
    "Marsh",
    "Haddad",
    "Lindholm",
    "Moreau",
    "Weber",
    "Nakamura",
    "Achterberg",
    "Brennan",
    "Quist",
    "Rasmussen",
    "Tavares",
    "Voss",
    "Yilmaz",
)
COMPANIES = (
    "Harbour Lane Co-op",
    "Northwind Bakery",
    "Lindqvist Studio",
    "Fennel & Finch",
    "Blue Heron Dental",
    "Copperleaf Analytics",
    "Juniper Yoga",
    None,
    None,
    None,
)
STAGES = (
    ("inquiry", 6),
    ("discovery", 6),
    ("proposal", 6),
    ("contracted", 6),
    ("active", 50),
    ("review", 8),
    ("completed", 10),
    ("paused", 5),
    ("lost", 3),
)
OPEN = {"inquiry", "discovery", "proposal", "contracted", "active", "review", "paused"}
PEOPLE = ("maya", "theo")
ACTIONS = (
    "Send the session prep notes",
    "Book the next session",
    "Chase the signed contract",
    "Share the goal worksheet",
    "Follow up on the proposal",
    "Schedule the review call",
    "Send the renewal offer",
    "Check in after the missed session",
)
FOCUS = (
    "Calendar blocking",
    "Delegation",
    "Pricing the new offer",
    "Team hiring plan",
    "Handling feedback",
    "Quarterly planning",
    "Energy and rest",
    "Client boundaries",
)
COMMITMENTS = (
    "Block two deep-work mornings",
    "Draft the job description",
    "Raise prices for new clients",
    "List every recurring task",
    "Write the one-page strategy",
)
GOALS = (
    ("deep-work", "Protect time for deep work", "hours per week", 3, 12),
    ("admin", "Delegate admin", "admin hours per week", 10, 2),
    ("revenue", "Grow monthly revenue", "thousand per month", 8, 15),
    ("sleep", "Sleep enough", "nights a week with 7 hours", 2, 6),
)
NOTE_TEXT = (
    "the client wants more focus on delegation and the team keeps pulling her back "
    "into operations while the numbers look better than last quarter she still feels "
    "behind we agreed to revisit the plan after the board meeting and to keep the "
    "sessions short and practical with one commitment each time progress is real"
)
WORDS = tuple(NOTE_TEXT.split(" "))
SESSION_KINDS = ("coaching", "coaching", "coaching", "review", "check-in")
SESSION_STATUS = (("held", 80), ("cancelled", 8), ("rescheduled", 8), ("no-show", 4))


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([w[0] for w in weighted], [w[1] for w in weighted])[0]


def _day(offset: int) -> str:
    return (TODAY + dt.timedelta(days=offset)).isoformat()


def _sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(8, 22))
    return " ".join(words).capitalize() + "."


def _notes(rng: random.Random, name: str, size: int) -> str:
    parts = [f"# {name}\n", f"{_sentence(rng)} {_sentence(rng)}\n"]
    total = sum(map(len, parts))
    while total < size:
        if rng.random() < 0.3:
            block = f"## {_day(-rng.randint(1, 400))} {rng.choice(FOCUS).lower()}\n"
        elif rng.random() < 0.3:
            block = "".join(f"- {_sentence(rng)}\n" for _ in range(rng.randint(2, 5)))
        else:
            block = " ".join(_sentence(rng) for _ in range(rng.randint(2, 5))) + "\n"
        parts.append(block)
        total += len(block) + 1
    return "\n".join(parts)


def client_text(i: int, rng: random.Random) -> str:
    """One client file's text: front matter and notes."""
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {i:05d}"
    stage = _pick(rng, STAGES)
    owner = rng.choice(PEOPLE)
    slug = name.lower().replace(" ", ".")
    out = [
        "---",
        f"name: {name}",
        f"email: {slug}@example.com",
        f"stage: {stage}",
        f"owner: {owner}",
    ]
    company = rng.choice(COMPANIES)
    if company:
        out.append(f"company: {company}")
    if stage in OPEN and rng.random() < 0.93:
        due = rng.randint(-20, 40)
        comment = "   # moved once already" if rng.random() < 0.1 else ""
        out += [
            "next_action:",
            f"  what: {rng.choice(ACTIONS)}",
            f"  owner: {owner}",
            f"  due: {_day(due)}{comment}",
        ]
    if rng.random() < 0.2:
        out += [
            "blockers:",
            "  - what: Waiting on the signed contract",
            f"    since: {_day(-rng.randint(1, 30))}",
            "    waiting_on: Client",
        ]
    started = -rng.randint(30, 700)
    out += [
        "dates:",
        f"  first_contact: {_day(started - 14)}",
        f"  started: {_day(started)}",
        f"  next_review: {_day(rng.randint(-10, 90))}",
        f"  renewal: {_day(rng.randint(-10, 200))}",
    ]
    rate = rng.choice((90, 120, 150, 240, 420))
    out += [
        "billing:",
        "  plan: Coaching, 6 months",
        f"  rate: {rate}",
        "  currency: GBP",
        "  per: session",
        "  payment_method: bank transfer",
        "  terms_days: 14",
        f"  renewal: {_day(rng.randint(-10, 200))}",
    ]
    invoices = rng.randint(0, 12)
    if invoices:
        out.append("invoices:")
    for n in range(invoices):
        issued = started + n * 30
        status = "paid" if n < invoices - 2 else rng.choice(("sent", "overdue", "draft", "paid"))
        paid = f", paid_on: {_day(issued + 9)}" if status == "paid" else ""
        out.append(
            f"  - {{id: INV-{i:05d}-{n:02d}, amount: {rate * 2}, status: {status}, "
            f"issued: {_day(issued)}, due: {_day(issued + 14)}{paid}}}"
        )
    goals = rng.sample(GOALS, rng.randint(1, 4))
    out.append("goals:")
    for gid, title, measure, base, target in goals:
        out += [
            f"  - id: {gid}",
            f"    title: {title}",
            f"    measure: {measure}",
            f"    baseline: {base}",
            f"    target: {target}",
            f"    by: {_day(120)}",
        ]
    sessions = rng.randint(0, 40)
    dates = sorted({started + rng.randint(0, -started) for _ in range(sessions)})
    if dates:
        out.append("measurements:")
        for gid, _, _, base, target in goals:
            value = float(base)
            for d in dates[:: max(1, len(dates) // 6)]:
                value += (target - base) * rng.uniform(-0.05, 0.25)
                out.append(f"  - {{goal: {gid}, date: {_day(d)}, value: {round(value, 1)}}}")
        out.append("sessions:")
    for d in dates:
        status = _pick(rng, SESSION_STATUS)
        out += [
            f"  - date: {_day(d)}",
            f"    kind: {rng.choice(SESSION_KINDS)}",
            f"    status: {status}",
            f"    focus: {rng.choice(FOCUS)}",
        ]
        if status == "held":
            out += [
                f"    commitments: [{rng.choice(COMMITMENTS)}]",
                f"    score: {rng.randint(4, 9)}",
            ]
    out += [
        "consent:",
        "  data_use: true",
        "  contact: email",
        f"  given_on: {_day(started)}",
        f"  retain_until: {_day(rng.randint(-30, 2500))}",
        "links:",
        f"  contract: contracts/{i:05d}-engagement.pdf",
        f"  files: shared/{i:05d}/",
        f"tags: [{rng.choice(('leadership', 'founder'))}]",
        "---",
        "",
    ]
    return "\n".join(out) + "\n" + _notes(rng, name, rng.randint(1000, 10_000))


_aside: list[Path] = []  # the folders set_aside made in this process


def set_aside(target: Path) -> None:
    """Move ``target`` (a file or a folder, if there) out of the way for a cold run:
    renamed into ``.bench-aside-<pid>`` beside its parent's parent folder, removed
    when this process ends (:func:`atexit.register`), not now.

    Why not removed at once: on ext4 without a journal (this machine's disk) the
    kernel's inode allocator skips every inode freed in the last 60 s (360 s while
    its table block is dirty) and looks at each of them again for every file it
    creates (``recently_deleted`` in fs/ext4/ialloc.c).  A cold build of 10,000
    pages started just after ``rm -rf site`` of the last one paid 5-8 s of kernel
    time for it (``perf record``: ``find_inode_bit``, ``recently_deleted``,
    ``find_get_block_common`` ~25% of the samples), against 1.3-2.7 s when the old
    pages were moved aside; Hugo pays it for its ``public/`` alike.  Which of two
    alternated runs met it depended on when the disk's write-back ran, so the
    ratio moved by up to 0.5x from run to run.  Nobody's cold build follows such a
    removal by seconds (a clone, a new laptop), so a bench's own removal is kept
    out of what it measures."""
    if not os.path.lexists(target):
        return
    bin_ = target.parent.parent / f".bench-aside-{os.getpid()}"
    if not _aside:
        atexit.register(_remove_aside)
    if bin_ not in _aside:
        bin_.mkdir(exist_ok=True)
        _aside.append(bin_)
    os.rename(target, bin_ / f"{len(os.listdir(bin_))}-{target.name}")


def _remove_aside() -> None:
    for bin_ in _aside:
        shutil.rmtree(bin_, ignore_errors=True)
    _aside.clear()


def remove_derived(repo: Path) -> None:
    """Take away what a build derives in ``repo`` (the index in .sortext/, site/ and
    NEXT.md), so that the next build is a cold one: set aside (:func:`set_aside`),
    removed when this process ends."""
    for derived in (".sortext", "site", "NEXT.md"):
        set_aside(repo / derived)


def generate_repo(n: int, directory: Path, seed: int = 20261123) -> Path:
    """Write ``directory`` with sortext.yaml, templates/ and ``n`` clients; return it."""
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "sortext.yaml", directory / "sortext.yaml")
    shutil.copytree(ROOT / "templates", directory / "templates", dirs_exist_ok=True)
    clients = directory / "clients"
    clients.mkdir(exist_ok=True)
    for i in range(n):
        path = clients / f"client-{i:05d}.md"
        path.write_text(client_text(i, rng), encoding="utf-8")
        os.utime(path, ns=(OLD_MTIME_NS, OLD_MTIME_NS))
    return directory


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int)
    parser.add_argument("directory", type=Path)
    parser.add_argument("--seed", type=int, default=20261123)
    args = parser.parse_args()
    generate_repo(args.n, args.directory, args.seed)
