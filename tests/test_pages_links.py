"""Every relative link in the published pages resolves inside the published tree.

The pages branch (``sortext-pages``) holds only ``NEXT.md`` and ``site/``: the
records are on the user's branch.  A link the git host (or a browser on a checkout
of the pages branch) follows must land on a file of that branch, so the pages link
clients to their page ``site/clients/<id>.html`` and show record paths as text.
"""

from __future__ import annotations

import html.parser
import json
import os
import posixpath
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.vcs.pages import PagesSettings, publish
from tests.conftest import PROJECT_ROOT, SAMPLE_TODAY, git
from tests.test_hostile_properties import RECORDS, dump

# A Markdown inline link's target: ``](target)``; md_escape escapes brackets in text.
_MD_LINK = re.compile(r"(?<!\\)\]\(([^)\s]*)\)")


class _Hrefs(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.targets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value is not None:
                self.targets.append(value)


def links_of(name: str, text: str) -> list[str]:
    """The link targets of one published file (Markdown or HTML)."""
    if name.endswith(".md"):
        return _MD_LINK.findall(text)
    if name.endswith(".html"):
        parser = _Hrefs()
        parser.feed(text)
        return parser.targets
    return []


def tree(root: Path, ref: str) -> dict[str, str]:
    """Every file on ``ref``: repository-relative path -> text."""
    names = [n for n in git(root, "ls-tree", "-r", "-z", "--name-only", ref).split("\0") if n]
    return {
        n: subprocess.run(
            ["git", "show", f"{ref}:{n}"], cwd=root, capture_output=True, check=True
        ).stdout.decode("utf-8", "replace")
        for n in names
    }


def broken_links(files: dict[str, str]) -> list[tuple[str, str]]:
    """(file, target) for each relative link that does not name a file in ``files``.
    Fragments-only, absolute URLs (any scheme) and site-absolute paths are not relative."""
    broken = []
    for name, text in files.items():
        for target in links_of(name, text):
            parts = urlsplit(target)
            if parts.scheme or parts.netloc or not parts.path or parts.path.startswith("/"):
                continue
            resolved = posixpath.normpath(
                posixpath.join(posixpath.dirname(name), unquote(parts.path))
            )
            if resolved not in files:
                broken.append((name, target))
    return broken


def build_and_publish(root: Path, cli_today: str = SAMPLE_TODAY) -> dict[str, str]:
    from click.testing import CliRunner

    from sortext.cli import main

    result = CliRunner().invoke(
        main, ["build", "--repo", str(root), "--today", cli_today], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    head = git(root, "rev-parse", "HEAD").strip()
    assert publish(root, head, PagesSettings())
    return tree(root, "sortext-pages")


def test_the_samples_published_pages_link_only_to_published_files(records_repo: Path) -> None:
    # one record with errors and one deleted record: both are listed on the pages
    (records_repo / "clients" / "broken.md").write_text("---\nname: [unclosed\n---\n")
    git(records_repo, "rm", "--quiet", "clients/jonas-weber.md")
    git(records_repo, "add", "-A")
    env = {**os.environ, "GIT_COMMITTER_DATE": "2026-11-21T10:00:00"}
    subprocess.run(
        ["git", "commit", "--quiet", "-m", "edits"], cwd=records_repo, env=env, check=True
    )
    files = build_and_publish(records_repo)
    assert "NEXT.md" in files and "clients/amara-okafor.md" not in files
    next_md = files["NEXT.md"]
    assert "(site/clients/amara-okafor.html)" in next_md
    assert "clients/broken.md" in next_md  # still named, as text
    assert broken_links(files) == []


def test_the_checker_sees_a_broken_link() -> None:
    # the property below can fail: a link to a record path is caught
    files = {
        "NEXT.md": "- [A](clients/a.md) [B](site/clients/b.html) [W](https://x.invalid/)\n",
        "site/clients/b.html": '<a href="../index.html">i</a><a href="#top">t</a>'
        '<a href="../../clients/b.md">s</a>',
        "site/index.html": '<a href="clients/b.html">b</a>',
    }
    assert broken_links(files) == [
        ("NEXT.md", "clients/a.md"),
        ("site/clients/b.html", "../../clients/b.md"),
    ]


# Link targets as users write them: repository paths, folders, URLs, odd schemes.
LINK_TARGETS = st.sampled_from(
    [
        "contracts/okafor.pdf",
        "shared/okafor/",
        "../outside.txt",
        "/etc/passwd",
        "https://example.com/a b",
        "mailto:a@example.com",
        "javascript:alert(1)",
        "clients/other.md",
        "site/index.html",
        "",
    ]
)
# What happens to a record: (how its file and id are named, its fate in the week).
NAMING = st.sampled_from(["slug", "bad-id", "no-id", "odd-file", "same-id"])
FATE = st.sampled_from(["old", "new", "moved", "errors", "deleted"])
RECORD = st.tuples(
    RECORDS,
    st.dictionaries(st.sampled_from(["contract", "files", "x"]), LINK_TARGETS, max_size=2),
    NAMING,
    FATE,
)
BEFORE, IN_WEEK = "2026-11-10T10:00:00", "2026-11-21T10:00:00"  # the week: 11-16 to 11-23


def _commit(root: Path, message: str, when: str) -> None:
    git(root, "add", "-A")
    env = {**os.environ, "GIT_COMMITTER_DATE": when, "GIT_AUTHOR_DATE": when}
    subprocess.run(
        ["git", "commit", "--quiet", "--allow-empty", "-m", message], cwd=root, env=env, check=True
    )


def _write_repo(
    base: Path,
    records: list[tuple[dict[str, Any], dict[str, str], str, str]],
    consented: bool,
    withhold: bool = False,
) -> Path:
    root = base / "repo"
    (root / "clients").mkdir(parents=True)
    config = (PROJECT_ROOT / "sortext" / "skeleton" / "sortext.yaml").read_text("utf-8")
    if consented:  # pages leave out clients whose consent.data_use is false
        config += "\nprivacy: {pages: consented}\n"
    (root / "sortext.yaml").write_text(config, "utf-8")
    shutil.copy(PROJECT_ROOT / "sortext" / "skeleton" / "gitignore", root / ".gitignore")
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "config", "user.email", "test@sortext.invalid")
    git(root, "config", "user.name", "Test User")
    texts: list[tuple[Path, dict[str, Any], str]] = []
    for n, (data, links, naming, fate) in enumerate(records):
        data = {**data, "name": f"Client {n}"}
        data.pop("id", None)
        if consented and not withhold and isinstance(data.get("consent"), dict):
            # withheld clients: test_withheld_clients_are_neither_named_nor_linked below
            data["consent"] = {**data["consent"], "data_use": True}
        if naming == "slug":
            data["id"] = f"client-{n}"
        elif naming == "bad-id":
            data["id"] = f"Client_{n}"
        elif naming == "same-id":
            data["id"] = "client-0"  # a duplicate id: check reports it, one page serves
        if links:
            data["links"] = links
        stem = f"Client {n}" if naming == "odd-file" else f"client-{n}"
        texts.append((root / "clients" / f"{stem}.md", data, fate))

    def write(path: Path, data: dict[str, Any]) -> None:
        path.write_text(f"---\n{dump(data)}\n---\nNotes [see](contracts/x.pdf) ![p](p.png)\n")

    for path, data, fate in texts:
        if fate != "new":
            write(path, data)
    _commit(root, "records", BEFORE)
    for path, data, fate in texts:
        if fate == "new":
            write(path, data)
        elif fate == "moved":
            write(path, {**data, "stage": "active" if data.get("stage") == "paused" else "paused"})
        elif fate == "errors":
            path.write_text("---\nname: [unclosed\n---\n")
        elif fate == "deleted":
            path.unlink()
    _commit(root, "edits", IN_WEEK)
    return root


@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(RECORD, min_size=1, max_size=4), st.booleans())
def test_every_relative_link_in_the_published_tree_resolves(
    records: list[Any], consented: bool
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = _write_repo(Path(tmp), records, consented)
        files = build_and_publish(root)
        assert broken_links(files) == [], json.dumps(files.get("NEXT.md", ""))[:2000]
        assert not any(name.startswith("clients/") for name in files)


def test_withheld_clients_are_neither_named_nor_linked(tmp_path: Path) -> None:
    data = {
        "name": "Client 0",
        "stage": "inquiry",
        "consent": {"given_on": "2026-01-01", "data_use": False},
        "measurements": [{"goal": "none", "date": "2026-01-01", "value": 1}],
    }
    valid = {"name": "x", "stage": "inquiry", "consent": {"data_use": False}}
    records: list[tuple[dict[str, Any], dict[str, str], str, str]] = [
        (data, {}, "slug", "old"),
        (valid, {}, "slug", "new"),
    ]
    root = _write_repo(tmp_path, records, consented=True, withhold=True)
    files = build_and_publish(root)
    assert not any(name.startswith("site/clients/client-") for name in files)  # withheld
    # both leak today: client 0 under Records with errors, client 1 under Since last week
    assert not any(f"Client {n}" in text for text in files.values() for n in (0, 1))
    assert broken_links(files) == []


def test_a_killed_writers_temp_files_are_never_published(records_repo: Path) -> None:
    """A page's temp file or a build's staging folder left by a killed writer
    (``.x.html.sortext-tmp-PID-HEX``, ``site/.clients.sortext-tmp-PID-HEX/``) is
    debris until it is cleaned: publishing every page leaves it out."""
    root = records_repo
    owners = root / "site" / "owners"
    owners.mkdir(parents=True, exist_ok=True)
    (owners / ".maya.html.sortext-tmp-20178-60f7b3c8").write_text("half a page")
    staging = root / "site" / ".clients.sortext-tmp-20178-0a1b2c3d"
    staging.mkdir()
    (staging / "ann.html").write_text("a page not yet in place")
    files = build_and_publish(root)
    assert files and not [name for name in files if ".sortext-tmp-" in name], sorted(files)
