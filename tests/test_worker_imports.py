"""Issue 15: a forked worker imports nothing its parent could have imported before.

Every pool of forked workers (a cold build's parse, the build's page jobs, a cold
check) shares the parent's imported modules copy-on-write.  A module the record work
imports on first use (orjson for the index blob and the YAML key check,
``sortext.check.owned`` for a client page, ``sortext.record.split`` for a parse) that
the parent had not imported yet was imported again in each worker after the fork,
~0.5-1.5 ms of CPU a module and worker.  Each run here is a fresh process, as a user
runs it, with an audit hook that writes every module a forked process imports, and a
fork hook that says a worker was forked at all (so no run passes by forking none).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.gen_pages import generate_repo
from tests.conftest import PROJECT_ROOT, SAMPLE_TODAY

# The entry point as the console script runs it, with the pools' thresholds lowered so
# a few records fork (the modules set are imported by every build and check before
# any fork) and ``os.cpu_count`` set: a process other than this one writes "fork" once
# and "import NAME" for each module it loads (the audit event fires only for a module
# not in sys.modules).
_ENTRY = (
    "import os, sys\n"
    "workers = int(os.environ['PROBE_CPUS'])\n"
    "os.cpu_count = lambda: workers\n"
    "import sortext.check.many, sortext.pages.build, sortext.store.index\n"
    "sortext.check.many.PARALLEL_THRESHOLD = 2\n"
    "sortext.pages.build.PARALLEL_PAGES = 2\n"
    "sortext.store.index.PARALLEL_THRESHOLD = 2\n"
    "parent = os.getpid()\n"
    "out = os.open(os.environ['PROBE_OUT'], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)\n"
    "def _imported(event, args):\n"
    "    if event == 'import' and os.getpid() != parent:\n"
    "        os.write(out, ('import ' + args[0] + '\\n').encode())\n"
    "sys.addaudithook(_imported)\n"
    "os.register_at_fork(after_in_child=lambda: os.write(out, b'fork\\n'))\n"
    "sys.argv = ['sortext', *sys.argv[1:]]\n"
    "from sortext.__main__ import run\n"
    "run()\n"
)


def _run(root: Path, tmp: Path, cpus: int, *args: str) -> tuple[int, list[str]]:
    """Forked workers and the modules they imported, of ``sortext ARGS`` in ``root``."""
    report = tmp / f"probe-{len(list(tmp.glob('probe-*')))}.txt"
    env = {k: v for k, v in os.environ.items() if k not in ("SORTEXT_TODAY", "NO_COLOR")}
    env.update(PROBE_OUT=str(report), PROBE_CPUS=str(cpus), PYTHONPATH=str(PROJECT_ROOT))
    done = subprocess.run(
        [sys.executable, "-c", _ENTRY, *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = report.read_text().splitlines() if report.exists() else []
    forks = lines.count("fork")
    return forks, sorted({line.split(" ", 1)[1] for line in lines if line.startswith("import ")})


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Generated records (the bench's): enough for spans of every pool."""
    return generate_repo(80, tmp_path_factory.mktemp("records"), seed=15)


@pytest.mark.parametrize("cpus", [2, 3])
def test_a_cold_builds_workers_import_nothing(records: Path, tmp_path: Path, cpus: int) -> None:
    """The parse pool (a record's page rendered as it is parsed) and, the next day,
    the page pool (every record's page redone from the index)."""
    import shutil

    root = shutil.copytree(records, tmp_path / "repo")
    forks, imported = _run(root, tmp_path, cpus, "build", "--today", SAMPLE_TODAY)
    assert forks >= cpus - 1  # the build's process parses too: one worker fewer
    assert imported == []
    next_day = (dt.date.fromisoformat(SAMPLE_TODAY) + dt.timedelta(days=1)).isoformat()
    forks, imported = _run(root, tmp_path, cpus, "build", "--today", next_day)
    assert forks >= cpus  # the pages only: every record's page is redone by workers
    assert imported == []


def test_a_cold_checks_workers_import_nothing(records: Path, tmp_path: Path) -> None:
    import shutil

    root = shutil.copytree(records, tmp_path / "repo")
    forks, imported = _run(root, tmp_path, 2, "check")
    assert forks >= 2
    assert imported == []
