"""Build a demo records repository from the bundled samples, with a dated git history.

The samples in this checkout were all committed together, so a records repository
made from them has one date and "since last week" reads every client as new (or as
nothing).  A practice has a past: this script commits the samples as they stood a
month before the samples' day (2026-11-23), then replays the week's real events on
the days the records say they happened (a session logged, a contract signed, a next
action moved, a new inquiry), so ``sortext changes`` and the pages' "since last
week" show a believable week.  The final files are byte for byte the samples.

    python scripts/sample_history.py /tmp/sortext-demo
    sortext build --repo /tmp/sortext-demo --today 2026-11-23

The project's own history cannot be rewritten; this builds a separate repository.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_TODAY = "2026-11-23"
BASELINE_DATE = "2026-10-26T17:30:00+00:00"


@dataclass(frozen=True)
class Event:
    """One client's file changing on ``when`` from its earlier text (``earlier``
    replacements applied to the sample, in order) to the sample itself; a client
    with ``new=True`` does not exist before the event."""

    when: str
    client: str
    message: str
    earlier: tuple[tuple[str, str], ...] = ()
    new: bool = False


EVENTS: tuple[Event, ...] = (
    Event(
        "2026-11-17T16:10:00+00:00",
        "farid-haddad",
        "farid-haddad: session 2026-11-17 (numbers slide), measurements, next action",
        (
            (
                "  what: Session 5 - rehearse the investor pitch\n  owner: maya\n"
                "  due: 2026-12-02\n",
                "  what: Session 4 - the numbers slide\n  owner: maya\n  due: 2026-11-17\n",
            ),
            ("  - {goal: pitch-confidence, date: 2026-11-17, value: 7}\n", ""),
            (
                '  - {goal: runway, date: 2026-11-17, value: 7, note: "cut cloud costs, '
                'one contractor fewer"}\n',
                "",
            ),
            (
                "  - date: 2026-11-17\n    kind: coaching\n    status: held\n"
                "    focus: Numbers slide\n"
                "    commitments: [Rebuild the runway model with the accountant]\n"
                "    score: 8\n",
                "",
            ),
            (
                "\n## 2026-11-17 numbers slide\n\n"
                "Big shift: he now opens with the runway number instead of hiding it.\n"
                "Confidence 7/10.  Next time: full rehearsal with interruptions.\n",
                "",
            ),
        ),
    ),
    Event(
        "2026-11-18T11:45:00+00:00",
        "elena-marsh",
        "elena-marsh: contract signed, stage proposal -> contracted",
        (("stage: contracted\n", "stage: proposal\n"),),
    ),
    Event(
        "2026-11-19T08:20:00+00:00",
        "amara-okafor",
        "amara-okafor: next action moved to 2026-11-19",
        (
            (
                "  due: 2026-11-19   # slipped: she asked to move the call\n",
                "  due: 2026-11-12\n",
            ),
        ),
    ),
    Event(
        "2026-11-20T14:05:00+00:00",
        "bruno-castellanos",
        "bruno-castellanos: new inquiry from the website form",
        new=True,
    ),
    Event(
        "2026-11-20T17:30:00+00:00",
        "kai-nakamura",
        "kai-nakamura: next action moved to 2026-11-21",
        (("  due: 2026-11-21\n", "  due: 2026-11-14\n"),),
    ),
)


def earlier_text(sample: str, event: Event) -> str:
    """The sample's text before ``event``; ValueError when a replacement no longer
    matches the sample (the samples changed: update EVENTS)."""
    text = sample
    for old, new in event.earlier:
        if old not in text:
            raise ValueError(f"{event.client}: {old!r} is not in the sample any more")
        text = text.replace(old, new, 1)
    return text


def git(root: Path, *args: str, when: str | None = None) -> None:
    env = dict(os.environ)
    env.setdefault("GIT_AUTHOR_NAME", "Maya (demo)")
    env.setdefault("GIT_AUTHOR_EMAIL", "maya@example.org")
    env.setdefault("GIT_COMMITTER_NAME", env["GIT_AUTHOR_NAME"])
    env.setdefault("GIT_COMMITTER_EMAIL", env["GIT_AUTHOR_EMAIL"])
    if when is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = when
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


def build(dest: Path) -> Path:
    """Create the demo repository at ``dest`` (which must not exist or be empty)."""
    if dest.exists() and any(dest.iterdir()):
        raise FileExistsError(f"{dest} exists and is not empty")
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "sortext.yaml", dest / "sortext.yaml")
    shutil.copytree(ROOT / "templates", dest / "templates")
    shutil.copy(ROOT / ".gitignore", dest / ".gitignore")
    clients = dest / "clients"
    clients.mkdir()
    samples = {p.stem: p.read_text(encoding="utf-8") for p in (ROOT / "clients").glob("*.md")}
    changed = {e.client: e for e in EVENTS}
    for name, text in samples.items():
        event = changed.get(name)
        if event is not None and event.new:
            continue
        before = earlier_text(text, event) if event is not None else text
        (clients / f"{name}.md").write_text(before, encoding="utf-8")
    git(dest, "init", "--quiet", "--initial-branch=main")
    git(dest, "add", "-A")
    git(dest, "commit", "--quiet", "-m", "sample records as of 2026-10-26", when=BASELINE_DATE)
    for event in sorted(EVENTS, key=lambda e: e.when):
        (clients / f"{event.client}.md").write_text(samples[event.client], encoding="utf-8")
        git(dest, "add", "-A")
        git(dest, "commit", "--quiet", "-m", event.message, when=event.when)
    return dest


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__)
        return 2
    try:
        dest = build(Path(argv[0]))
    except FileExistsError as exc:
        print(f"sample_history.py: {exc}: remove it or give another folder", file=sys.stderr)
        return 2
    print(f"demo records repository with a dated history in {dest}")
    print(f"next: sortext build --repo {dest} --today {SAMPLE_TODAY}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
