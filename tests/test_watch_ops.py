"""The service examples in docs/ are valid: systemd unit (systemd-analyze), launchd plist."""

from __future__ import annotations

import plistlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

DOCS = PROJECT_ROOT / "docs"


def _verify(unit: Path) -> str:
    proc = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True)
    return f"{proc.returncode}:{proc.stdout}{proc.stderr}".strip()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_systemd_user_unit_verifies(tmp_path: Path) -> None:
    text = (DOCS / "sortext-watch.service").read_text()
    assert "ExecStart=%h/.local/bin/sortext watch" in text
    # verify insists that the program exists: point it at this interpreter's sortext
    here = f"ExecStart={sys.executable} -m sortext watch"
    unit = tmp_path / "sortext-watch.service"
    unit.write_text(text.replace("ExecStart=%h/.local/bin/sortext watch", here))
    assert _verify(unit) == "0:"
    broken = tmp_path / "broken" / "sortext-watch.service"
    broken.parent.mkdir()
    broken.write_text(unit.read_text().replace("Type=simple", "Type=sometimes"))
    assert "Failed to parse service type" in _verify(broken)


def test_launchd_plist_parses_and_runs_sortext_watch() -> None:
    with open(DOCS / "com.sortext.watch.plist", "rb") as handle:
        plist = plistlib.load(handle)
    assert plist["Label"] == "com.sortext.watch"
    assert plist["ProgramArguments"][-1] == "watch"
    assert plist["ProgramArguments"][0].endswith("/sortext")
    assert plist["RunAtLoad"] is True
    assert plist["KeepAlive"] == {"SuccessfulExit": False}
