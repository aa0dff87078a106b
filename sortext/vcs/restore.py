"""Bring back a deleted client, or an earlier version of one, as a new commit.

History is never rewritten: the old bytes are read from git, written to the
record's path atomically, and committed on top of HEAD.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sortext.errors import (
    ConflictError,
    ParameterError,
    RecordNotFound,
    UsageError,
    hinted,
    one_line,
)
from sortext.files.write import replace_if_unchanged
from sortext.repo import Repository
from sortext.vcs import git
from sortext.vcs.log import Commit, file_log, read_blobs
from sortext.vcs.midnight import commit_day, midnight

#: What ``at`` looks like when it is meant as a day (any digits, a newline after it):
#: then it is read as a record's dates are (:func:`sortext.record.values.iso_day`).
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class Restored:
    """A record restored from an older commit, and the commit that restored it."""

    record_id: str
    path: str
    source_commit: str
    source_date: str
    commit: str


def _pick(repo: Repository, path: str, commits: list[Commit], at: str | None) -> tuple[str, str]:
    """(commit sha, path at that commit) of the version to bring back."""
    live = [c for c in commits if c.files and c.files[-1].status != "D"]
    if at is None:
        if git.run(repo.root, "rev-parse", "-q", "--verify", f"HEAD:{path}", check=False):
            raise hinted(
                UsageError(f"{path} exists"),
                "earlier_version",
                text="pass at (a commit or a date YYYY-MM-DD) to bring back an earlier version",
            )
        if not live:
            raise RecordNotFound(f"{path} has no version to restore")
        return live[0].sha, live[0].files[-1].path
    if _DATE.match(at):
        from sortext.record.values import iso_day

        try:
            # (years 1900-2199 only: 9999-12-31 stepped past Python's last date)
            day = iso_day(at)
        except ValueError as exc:
            raise ParameterError("at", f"'{one_line(at[:40])}' {exc}") from None
        zone = repo.config.timezone
        # the day ends at the practice's midnight (timezone:, else local time)
        end = midnight(day + dt.timedelta(days=1), zone)
        for c in commits:
            if c.timestamp < end and c.files:
                if c.files[-1].status == "D":
                    raise UsageError(
                        f"{path} was deleted on {commit_day(c.date, zone)}; pick an earlier date"
                    )
                return c.sha, c.files[-1].path
        raise UsageError(f"{path} did not exist yet on {at}")
    sha = git.text(repo.root, "rev-parse", "-q", "--verify", f"{at}^{{commit}}", check=False)
    if not sha.strip():
        raise ParameterError("at", f"{at}: no such commit (give a commit id or a date YYYY-MM-DD)")
    for candidate in dict.fromkeys([path, *(c.files[-1].path for c in commits if c.files)]):
        if read_blobs(repo.root, [f"{sha.strip()}:{candidate}"])[0] is not None:
            return sha.strip(), candidate
    raise UsageError(f"{path} does not exist in commit {at}")


def restore(repo: Repository, record_id: str, at: str | None = None) -> Restored:
    """Write the chosen version of ``record_id`` and commit it; returns what was done."""
    target = repo.record_path(record_id)
    path = repo.relative(target)
    commits = file_log(repo.root, path)
    if not commits:
        raise RecordNotFound(f"no history for '{record_id}': {path} was never committed")
    sha, old_path = _pick(repo, path, commits, at)
    if git.status_paths(repo.root, "--", path):
        raise ConflictError(
            f"{path} has changes that are not committed; commit or discard them first"
        )
    content = read_blobs(repo.root, [f"{sha}:{old_path}"])[0]
    assert content is not None
    try:
        current: bytes | None = target.read_bytes()
    except FileNotFoundError:
        current = None
    if current == content:
        raise UsageError(f"{path} is already that version")
    target.parent.mkdir(parents=True, exist_ok=True)
    replace_if_unchanged(target, content, current)
    date = git.text(repo.root, "show", "-s", "--format=%aI", sha).strip()
    git.run(repo.root, "add", "--", path)
    message = (
        f"{record_id}: restore the version of {commit_day(date, repo.config.timezone)} ({sha[:10]})"
    )
    git.run(repo.root, "commit", "--quiet", "-m", message, "--", path)
    new = git.text(repo.root, "rev-parse", "HEAD").strip()
    return Restored(record_id, path, sha, date, new)
