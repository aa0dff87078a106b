"""Commit with chosen dates and authors, so history-derived facts are deterministic."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from tests.conftest import PROJECT_ROOT, git

AMARA = "clients/amara-okafor.md"


def commit_at(root: Path, when: str, message: str, author: str = "Maya Lind") -> None:
    """``git add -A`` and commit as ``author`` at ``when`` (YYYY-MM-DD, noon UTC)."""
    stamp = f"{when}T12:00:00+00:00"
    email = author.lower().replace(" ", ".") + "@sortext.invalid"
    env = {
        **os.environ,
        "GIT_AUTHOR_DATE": stamp,
        "GIT_COMMITTER_DATE": stamp,
        "GIT_AUTHOR_NAME": author,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": author,
        "GIT_COMMITTER_EMAIL": email,
    }
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(["git", "commit", "--quiet", "-m", message], cwd=root, check=True, env=env)


def replace(path: Path, pattern: str, new: str) -> None:
    """Change the first match of ``pattern`` (multiline regex) in the file."""
    text = path.read_text(encoding="utf-8")
    changed = re.sub(pattern, new, text, count=1, flags=re.MULTILINE)
    assert changed != text, pattern
    path.write_text(changed, encoding="utf-8")


NEW_CLIENT = """---
name: Tomas Berg
stage: inquiry
next_action: {what: Reply to his inquiry, owner: me, due: 2026-11-24}
---

Referred by Amara.
"""


def build_dated_repo(tmp_path: Path) -> Path:
    """Sample client plus an old one, committed on fixed dates by two people."""
    root = tmp_path / "dated"
    root.mkdir()
    shutil.copy(PROJECT_ROOT / "sortext.yaml", root / "sortext.yaml")
    (root / "clients").mkdir()
    shutil.copy(PROJECT_ROOT / AMARA, root / AMARA)
    (root / "clients" / "old-client.md").write_text(
        "---\nname: Old Client\nstage: completed\n---\n", encoding="utf-8"
    )
    git(root, "init", "--quiet", "--initial-branch=main")
    commit_at(root, "2026-09-01", "samples")
    replace(root / AMARA, r"^stage: active", "stage: review")
    commit_at(root, "2026-11-02", "amara to review")
    replace(root / AMARA, r"^stage: review", "stage: active")
    commit_at(root, "2026-11-03", "back to active")
    # inside the last week:
    replace(root / AMARA, r"^  due: 2026-11-19.*$", "  due: 2026-11-26")
    replace(
        root / AMARA,
        r"^sessions:\n",
        "sessions:\n  - {date: 2026-11-18, kind: coaching, status: held}\n",
    )
    replace(root / AMARA, r"status: overdue", "status: paid")
    commit_at(root, "2026-11-18", "session and payment", author="Sam Ortiz")
    (root / "clients" / "tomas-berg.md").write_text(NEW_CLIENT, encoding="utf-8")
    (root / "clients" / "old-client.md").unlink()
    commit_at(root, "2026-11-20", "new inquiry; remove old client")
    return root
