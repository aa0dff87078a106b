"""Commit with chosen dates and authors, so history-derived facts are deterministic."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path


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
