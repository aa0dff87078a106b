"""Issue 15 item 3: what a cold ``sortext build`` of ordinary records does not pay for.

The fixed cost of a build is mostly imports.  A cold build of the sample records, in
a fresh process as a user runs it, must not import the modules only other paths need
(fastjsonschema: the shipped configuration validator defines its own exceptions;
difflib: only a did-you-mean; importlib.resources: the shipped templates are found
beside the package; secrets: a temporary name is ``os.urandom``'s) and must not
compile the regular expressions only unusual input needs (:class:`sortext.lazyre.Lazy`:
conflict copies' names, control characters in terminal output, YAML error
positions, a problem's quoting hint).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sortext.lazyre import Lazy
from tests.conftest import SAMPLE_TODAY

# Runs the entry point as the console script does; at exit writes the modules it
# imported and which of the watched lazy patterns it compiled.
_ENTRY = (
    "import atexit, json, os, sys\n"
    "def _report():\n"
    "    from sortext.files import inert\n"
    "    from sortext.record import copies, yamlread\n"
    # inert._UNSAFE is not watched: the pages make the same characters visible (classes12)
    "    lazy = {'inert.' + n: getattr(inert, n) for n in ('_UNSAFE_LINE', '_OUTPUT')}\n"
    "    lazy.update({f'copies.{i}': p for i, (_, p) in enumerate(copies._PATTERNS)})\n"
    "    for n in ('_POSITION', '_COMMENT_AT'):\n"
    "        lazy['yamlread.' + n] = getattr(yamlread, n)\n"
    "    from sortext.schema import explain\n"
    "    lazy.update({'explain.' + n: getattr(explain, n) for n in ('_COMMENTED', '_NULL_WORD')})\n"
    "    json.dump({'modules': sorted(sys.modules),\n"
    "               'compiled': sorted(k for k, v in lazy.items() if v._compiled is not None)},\n"
    "              open(os.environ['REPORT_OUT'], 'w'))\n"
    "atexit.register(_report)\n"
    "sys.argv = ['sortext', *sys.argv[1:]]\n"
    "from sortext.__main__ import run\n"
    "run()\n"
)

#: Modules a cold build of valid records does without.
NOT_ON_A_BUILD = ("fastjsonschema", "difflib", "importlib.resources", "secrets", "jsonschema")


def _cold_build(root: Path, tmp: Path) -> dict[str, list[str]]:
    env = {k: v for k, v in os.environ.items() if k not in ("SORTEXT_TODAY", "NO_COLOR")}
    env["REPORT_OUT"] = str(tmp / "report.json")
    done = subprocess.run(
        [sys.executable, "-c", _ENTRY, "build", "--today", SAMPLE_TODAY],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "written" in done.stdout
    report: dict[str, list[str]] = json.loads((tmp / "report.json").read_text())
    return report


def test_a_cold_build_imports_and_compiles_only_what_it_uses(
    records_repo: Path, tmp_path: Path
) -> None:
    assert not (records_repo / ".sortext").exists()  # cold: no index, no kept validator
    report = _cold_build(records_repo, tmp_path)
    imported = set(report["modules"])
    assert "sortext.pages.build" in imported  # the report is of a real build
    assert [m for m in NOT_ON_A_BUILD if m in imported] == []
    assert report["compiled"] == []


def test_lazy_compiles_once_on_first_use() -> None:
    pattern = Lazy(r"(?P<word>[a-z]+)-\d", re.IGNORECASE)
    assert pattern._compiled is None
    first = pattern()
    assert first is pattern() and first.flags & re.IGNORECASE
    assert first.fullmatch("Ab-1") is not None
    assert "a-z" in repr(pattern)


def test_a_bad_pattern_fails_where_it_is_used() -> None:
    broken = Lazy("(unclosed")
    with pytest.raises(re.error):
        broken()
