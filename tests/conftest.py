"""Shared fixtures: a throwaway records repository (a real git repo) and a CLI runner."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest
from click.testing import CliRunner, Result
from hypothesis import settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_TODAY = "2026-11-23"

# Tests wait on events, not on time: a hypothesis deadline is a timing assertion, and
# on a loaded 2-core CI machine a first call that imports or compiles exceeds it.
# Every property inherits this profile; a test that sets its own settings keeps it
# unless it names a deadline itself.
settings.register_profile("sortext", deadline=None)
settings.load_profile("sortext")


def git(root: Path, *args: str) -> str:
    """Run git in ``root`` and return stdout (raises on failure)."""
    return subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture(autouse=True, scope="session")
def _discovery_stops_at_pytest_tmp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Repository discovery never looks above pytest's own tmp folder, so a stray
    sortext.yaml in /tmp (or above) cannot change what the "no repository" tests see.
    Set in ``os.environ`` so that child processes inherit it."""
    variable = "SORTEXT_CEILING_DIRECTORIES"
    before = os.environ.get(variable)
    os.environ[variable] = str(tmp_path_factory.getbasetemp())
    yield
    if before is None:
        os.environ.pop(variable, None)
    else:
        os.environ[variable] = before


@pytest.fixture
def records_repo(tmp_path: Path) -> Path:
    """A copy of the sample records repository, committed in a fresh git repo."""
    return sample_records(tmp_path / "records")


@pytest.fixture(scope="module")
def sample_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample records repository, made once per test module: copy it before
    changing it (``tests.roundtripkit.copy_of``)."""
    return sample_records(tmp_path_factory.mktemp("samples") / "records")


def sample_records(root: Path) -> Path:
    """The sample records repository copied to ``root`` (made here) and committed in a
    fresh git repo; returns ``root``."""
    root.mkdir()
    shutil.copy(PROJECT_ROOT / "sortext.yaml", root / "sortext.yaml")
    shutil.copytree(PROJECT_ROOT / "clients", root / "clients")
    shutil.copytree(PROJECT_ROOT / "templates", root / "templates")
    shutil.copy(PROJECT_ROOT / ".gitignore", root / ".gitignore")
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "config", "user.email", "test@sortext.invalid")
    git(root, "config", "user.name", "Test User")
    git(root, "add", "-A")
    git(root, "commit", "--quiet", "-m", "sample records")
    return root


@pytest.fixture
def empty_repo(tmp_path: Path) -> Path:
    """A records repository with the default config and no clients (not a git repo)."""
    root = tmp_path / "empty"
    root.mkdir()
    shutil.copy(PROJECT_ROOT / "sortext" / "skeleton" / "sortext.yaml", root / "sortext.yaml")
    (root / "clients").mkdir()
    return root


@pytest.fixture
def cli() -> Callable[..., Result]:
    """Invoke the sortext CLI in-process: ``cli("check", "--repo", str(path))``."""
    from sortext.cli import main

    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        return runner.invoke(main, list(args), input=input, env=env, catch_exceptions=False)

    return invoke


def wait_for_clock(moment_ns: int) -> None:
    """Return once the wall clock has passed ``moment_ns`` (``time.time_ns``): a positive
    wait on the one event the change finder's racy window depends on."""
    while (now := time.time_ns()) <= moment_ns:
        time.sleep(min(0.05, (moment_ns - now) / 1e9 + 0.001))


def wait_past_racy_window(paths: list[Path]) -> None:
    """Return once every file of ``paths`` is older than the change finder's racy
    window (:data:`sortext.store.scan.RACY_WINDOW_NS`): a stat pass then names none
    of them as a candidate."""
    from sortext.store.scan import RACY_WINDOW_NS

    wait_for_clock(max(p.stat().st_ctime_ns for p in paths) + RACY_WINDOW_NS)


def module_at(commit: str, path: str, name: str) -> ModuleType:
    """``path`` (a module of this repository) as it was at ``commit``, imported from
    git history as module ``name``: the slow path an equivalence test holds a fast one
    to, without a frozen copy in the tree.  Skips the test where the checkout has no
    history holding ``commit`` (an unpacked sdist)."""
    if name in sys.modules:
        return sys.modules[name]
    found = subprocess.run(
        ["git", "-C", str(PROJECT_ROOT), "show", f"{commit}:{path}"],
        capture_output=True,
        text=True,
    )
    if found.returncode != 0:
        pytest.skip(f"no git history holding {commit[:7]}: {found.stderr.strip()}")
    module = ModuleType(name)
    sys.modules[name] = module  # dataclasses look their module up
    exec(compile(found.stdout, f"{path}@{commit[:7]}", "exec"), module.__dict__)
    return module


@pytest.fixture
def zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Lets a test set TZ (this process's clock and git's, with :func:`set_zone`) and
    restores it after."""
    yield
    monkeypatch.undo()
    time.tzset()


def set_zone(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """TZ set to ``name`` for this process and the processes it starts."""
    monkeypatch.setenv("TZ", name)
    time.tzset()


def clock_env(**extra: str) -> dict[str, str]:
    """This process's environment for a ``sortext`` child whose day comes from the
    clock and the zone (no ``SORTEXT_TODAY``, no ``NO_COLOR``), with ``extra`` set."""
    env = {k: v for k, v in os.environ.items() if k not in ("SORTEXT_TODAY", "NO_COLOR")}
    env.update(extra)
    return env


def run_sortext(root: Path, args: list[str], env: dict[str, str]) -> str:
    """``python -m sortext ARGS`` in ``root`` with ``env``: its standard output (the
    test fails, showing both streams, unless it exits 0)."""
    done = subprocess.run(
        [sys.executable, "-m", "sortext", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout
