"""What operating systems and editors leave in clients/ is never a record nor committed.

Found by trying each sync and editor file name in a new repository: editor debris
was ignored by the ``.gitignore`` ``sortext init`` writes, but macOS's
``.DS_Store`` and AppleDouble ``._amara-okafor.md`` (written beside every file on
a USB stick, a network share or some sync folders) and Windows' ``Thumbs.db`` /
``desktop.ini`` showed as untracked files, so the user's next ``git add -A``
committed them beside the records.  They were already no record (``._*`` is
hidden, the others are not ``.md``); now git ignores them too.  Conflict copies
are not ignored: they hold the other device's edits, and ``check`` names each.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.daemon.events import is_debris
from sortext.record.copies import conflict_copy, is_record_name
from tests.conftest import git

SLUGS = st.from_regex(r"[a-z][a-z0-9]{0,8}(-[a-z0-9]{1,6}){0,2}", fullmatch=True)
DEBRIS = [
    ".DS_Store",
    "._{s}.md",
    "Thumbs.db",
    "desktop.ini",
    ".{s}.md.swp",
    "{s}.md~",
    "#{s}.md#",
    ".#{s}.md",
    "4913",
]
COPIES = [
    "{s} (conflicted copy 2026-11-30).md",
    "{s} (Jane's conflicted copy 2026-11-30).md",
    "{s}.sync-conflict-20261130-123456-ABCDEFG.md",
    "{s}-DESKTOP-AB12CD.md",
    "{s} 2.md",
    "{s} (1).md",
]


def _untracked(root: Path) -> set[str]:
    out = git(root, "status", "--porcelain", "--untracked-files=all", "-z")
    return {entry[3:] for entry in out.split("\0") if entry.startswith("??")}


def test_debris_is_ignored_and_copies_are_shown(cli: Any, tmp_path: Path) -> None:
    root = tmp_path / "records"
    assert cli("init", str(root)).exit_code == 0
    clients = root / "clients"
    record = "---\nname: Amara Okafor\nemail: amara@example.com\nstage: inquiry\n---\n"
    (clients / "amara-okafor.md").write_text(record)
    for name in [*DEBRIS, *COPIES]:
        (clients / name.format(s="amara-okafor")).write_text(record)
    untracked = _untracked(root)
    assert untracked == {f"clients/{n.format(s='amara-okafor')}" for n in COPIES} | {
        "clients/amara-okafor.md"
    }
    checked = cli("check", "--repo", str(root))
    for name in COPIES:
        assert f"clients/{name.format(s='amara-okafor')}:1:1: warning: file: conflict copy" in (
            checked.output.replace("'\"'\"'", "'")
        )
    assert "DS_Store" not in checked.output and "._amara" not in checked.output


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SLUGS, st.sampled_from(DEBRIS), st.sampled_from(COPIES))
def test_no_debris_or_copy_name_is_a_record(slug: str, debris: str, copy: str) -> None:
    debris_name, copy_name = debris.format(s=slug), copy.format(s=slug)
    assert not is_record_name(debris_name)
    assert debris_name.startswith(".") or not debris_name.endswith(".md") or is_debris(debris_name)
    found = conflict_copy(copy_name)
    assert found is not None and found.original == f"{slug}.md"
    assert not is_record_name(copy_name)
