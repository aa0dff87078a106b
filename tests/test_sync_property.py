"""Property: two clones edited concurrently, synced in any order, end equal and complete."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.cli import main
from tests.conftest import PROJECT_ROOT, git
from tests.gitsetup import make_remote_and_clones

CLIENT = "clients/amara-okafor.md"
STAGES = ["active", "review", "paused"]

step = st.one_of(
    st.tuples(st.sampled_from("ab"), st.just("sync"), st.none()),
    st.tuples(st.sampled_from("ab"), st.just("stage"), st.sampled_from(STAGES)),
    st.tuples(st.sampled_from("ab"), st.just("session"), st.integers(1, 9)),
    st.tuples(st.just("a"), st.just("note"), st.integers(1, 99)),
)


def run(*args: str) -> int:
    return CliRunner().invoke(main, list(args), catch_exceptions=False).exit_code


def sync_settling(root: Path, take: str) -> None:
    """Sync; while conflicts remain, take one side for each conflicting field."""
    for _ in range(5):
        result = CliRunner().invoke(main, ["sync", "--repo", str(root)], catch_exceptions=False)
        if result.exit_code == 0:
            return
        assert result.exit_code == 1, result.output
        fields = re.findall(r"error: (\S+): merge conflict", result.output)
        assert fields, result.output
        for name in dict.fromkeys(fields):
            assert run("resolve", "amara-okafor", name, "--take", take, "--repo", str(root)) == 0
    raise AssertionError("sync did not settle")


def edit(root: Path, kind: str, value: object, who: str) -> str | None:
    path = root / CLIENT
    text = path.read_text(encoding="utf-8")
    logged = None
    if kind == "stage":
        text = re.sub(r"^stage: \w+", f"stage: {value}", text, count=1, flags=re.M)
    elif kind == "session":
        day = 2 * int(str(value)) + (1 if who == "a" else 0)
        logged = f"2026-12-{day:02d}"
        if f"date: {logged}" in text:
            return None
        entry = f"  - date: {logged}\n    kind: coaching\n    status: held\n"
        text = text.replace("consent:\n", entry + "consent:\n", 1)
    else:
        text += f"\nNote {value} from a.\n"
    path.write_text(text, encoding="utf-8")
    if git(root, "status", "--porcelain"):
        git(root, "commit", "--quiet", "-am", f"{who} {kind}")
    return logged


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(step, min_size=1, max_size=6))
def test_concurrent_edits_in_any_interleaving(steps: list[tuple[str, str, object]]) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="sortext-sync-"))
    try:
        seed = tmp / "seed"
        seed.mkdir()
        shutil.copy(PROJECT_ROOT / "sortext.yaml", seed / "sortext.yaml")
        (seed / "clients").mkdir()
        shutil.copy(PROJECT_ROOT / CLIENT, seed / CLIENT)
        git(seed, "init", "--quiet", "--initial-branch=main")
        git(seed, "-c", "user.name=Seed", "-c", "user.email=s@x.invalid", "add", "-A")
        git(
            seed,
            "-c",
            "user.name=Seed",
            "-c",
            "user.email=s@x.invalid",
            "commit",
            "--quiet",
            "-m",
            "seed",
        )
        git(seed, "config", "user.name", "Seed")
        git(seed, "config", "user.email", "s@x.invalid")
        a, b = make_remote_and_clones(seed, tmp, ("a", "b"))
        roots = {"a": a, "b": b}
        sessions: set[str] = set()
        notes: set[str] = set()
        for who, kind, value in steps:
            root = roots[who]
            if kind == "sync":
                sync_settling(root, "theirs")
                continue
            logged = edit(root, kind, value, who)
            if logged:
                sessions.add(logged)
            if kind == "note":
                notes.add(f"Note {value} from a.")
        sync_settling(a, "ours")
        sync_settling(b, "ours")
        sync_settling(a, "ours")
        assert git(a, "rev-parse", "HEAD") == git(b, "rev-parse", "HEAD")
        final = (a / CLIENT).read_text(encoding="utf-8")
        assert "<<<<<<<" not in final
        for logged in sessions:
            assert f"date: {logged}" in final
        for note in notes:
            assert note in final
        assert run("check", "--repo", str(a)) == 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
