"""Push to every backup remote, then prove the remote holds what we hold.

Verification clones the remote into a temporary folder (objects copied, not
hard-linked), runs the checker there, and compares every record's path and
blob hash with local HEAD, re-hashing the files the clone checked out.  The
time of the last verified backup goes to ``.sortext/backup.json`` (derived
state; ``sortext doctor`` reads it).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sortext.errors import GitError, SortextError
from sortext.files.state import StateDir
from sortext.repo import Repository
from sortext.vcs import git
from sortext.vcs.midnight import utc_now
from sortext.vcs.pages import PagesSettings
from sortext.vcs.pagesource import current_branch as branch_here
from sortext.vcs.pagesource import pages_source
from sortext.vcs.sync import (
    ErasedClientRefused,
    backup_settings,
    current_branch,
    refuse_resurrection,
)


@dataclass(slots=True)
class RemoteBackup:
    """One remote's backup: the commit it holds and what checking it found."""

    remote: str
    commit: str = ""
    records: int = 0
    check_errors: int = 0
    mismatches: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def verified(self) -> bool:
        return not self.error and not self.mismatches and bool(self.commit)


@dataclass(slots=True)
class BackupReport:
    """What ``sortext backup`` found for every remote, and what no backup holds yet."""

    branch: str
    at: dt.datetime
    remotes: list[RemoteBackup] = field(default_factory=list)
    #: record files saved but not committed: not in any backup (relative paths)
    uncommitted: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.remotes) and all(r.verified for r in self.remotes)


def record_set(root: Path, prefix: str, rev: str = "HEAD") -> dict[str, str]:
    """Record path -> blob id at ``rev``."""
    out = git.text(root, "ls-tree", "-r", "-z", rev, "--", prefix)
    found = {}
    for entry in out.split("\0"):
        if not entry:
            continue
        meta, _, path = entry.partition("\t")
        if path.endswith(".md"):
            found[path] = meta.split()[2]
    return found


def _checked_out_hashes(clone: Path, paths: list[str]) -> dict[str, str]:
    if not paths:
        return {}
    out = git.run(clone, "hash-object", "--stdin-paths", input="\n".join(paths).encode() + b"\n")
    return dict(zip(paths, out.decode().split(), strict=True))


def verify_remote(repo: Repository, remote: str, branch: str, prefix: str) -> RemoteBackup:
    """Clone ``remote`` and compare its records and their checker result with HEAD."""
    from sortext.check.many import check_repository
    from sortext.errors import SortextError
    from sortext.repo import open_repository

    result = RemoteBackup(remote)
    url = git.remote_url(repo.root, remote)
    tmp = Path(tempfile.mkdtemp(prefix="sortext-verify-"))
    try:
        clone = tmp / "clone"
        git.clone(url, clone, branch).close()
        result.commit = git.text(clone, "rev-parse", "HEAD").strip()
        local_head = git.text(repo.root, "rev-parse", "HEAD").strip()
        if result.commit != local_head:
            result.mismatches.append(
                f"remote is at {result.commit[:10]}, local at {local_head[:10]}"
            )
        mine, theirs = record_set(repo.root, prefix), record_set(clone, prefix)
        for path in sorted(mine.keys() | theirs.keys()):
            if mine.get(path) != theirs.get(path):
                result.mismatches.append(f"{path}: differs or missing on {remote}")
        on_disk = _checked_out_hashes(clone, sorted(theirs))
        for path, blob in on_disk.items():
            if theirs[path] != blob:
                result.mismatches.append(f"{path}: checked-out file does not match its blob")
        result.records = len(theirs)
        try:
            report = check_repository(open_repository(clone))
            result.check_errors = sum(d.is_error for d in report.diagnostics)
        except SortextError as exc:
            result.mismatches.append(f"the checker cannot run on the clone: {exc}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return result


GCRYPT = "gcrypt::"


@dataclass(frozen=True, slots=True)
class EncryptedRemote:
    """``backup: {encrypted: {NAME: {url: ..., recipients: [KEY, ...]}}}`` in sortext.yaml:
    a git remote ``NAME`` pushed through git-remote-gcrypt (``gcrypt::URL``), readable
    only with one of the GPG ``recipients``' secret keys."""

    name: str
    url: str
    recipients: tuple[str, ...]
    signing_key: str | None = None

    @property
    def gcrypt_url(self) -> str:
        return self.url if self.url.startswith(GCRYPT) else GCRYPT + self.url


def encrypted_settings(repo: Repository) -> list[EncryptedRemote]:
    """The encrypted backup remotes configured in sortext.yaml (validated by the
    config schema: a url and at least one recipient each)."""
    section = (repo.config.raw.get("backup") or {}).get("encrypted") or {}
    return [
        EncryptedRemote(
            str(name),
            str(spec["url"]),
            tuple(str(r) for r in spec["recipients"]),
            str(spec["signing_key"]) if spec.get("signing_key") else None,
        )
        for name, spec in sorted(section.items())
    ]


def prepare_encrypted(repo: Repository) -> list[str]:
    """Make each encrypted remote a ``gcrypt::`` git remote encrypting to its recipients;
    their names.  Raises GitError when git-remote-gcrypt or gpg is missing, or when a
    remote of that name exists with a plain (unencrypted) URL: sortext never pushes
    records in the clear to a remote configured as encrypted."""
    wanted = encrypted_settings(repo)
    if not wanted:
        return []
    for tool in ("git-remote-gcrypt", "gpg"):
        if shutil.which(tool) is None:
            raise GitError(
                f"{tool} is not installed; encrypted backups need it "
                "(Debian/Ubuntu: sudo apt-get install git-remote-gcrypt gnupg)"
            )
    root = repo.root
    for remote in wanted:
        current = git.get_config(root, f"remote.{remote.name}.url")
        if not current:
            git.run(root, "remote", "add", remote.name, remote.gcrypt_url)
        elif not current.startswith(GCRYPT):
            raise GitError(
                f"git remote '{remote.name}' points to {current}, which is not encrypted; "
                f"sortext.yaml lists it under backup.encrypted: remove it "
                f"(git remote remove {remote.name}) and run sortext backup again"
            )
        elif current != remote.gcrypt_url:
            git.run(root, "remote", "set-url", remote.name, remote.gcrypt_url)
        settings = {
            f"remote.{remote.name}.gcrypt-participants": " ".join(remote.recipients),
            f"remote.{remote.name}.gcrypt-publish-participants": "false",
        }
        if remote.signing_key:
            settings[f"remote.{remote.name}.gcrypt-signingkey"] = remote.signing_key
        git.set_config(root, settings)
    return [r.name for r in wanted]


def _known_remote(repo: Repository, remote: str, configured: bool) -> None:
    """GitError when ``remote`` is no git remote here: the message names the remotes
    there and, when the default ``origin`` was taken, how to back up to one of them."""
    try:
        git.remote_url(repo.root, remote)
    except GitError as exc:
        others = git.remote_names(repo.root)
        if configured or not others:
            raise
        raise GitError(
            f"{exc}, or back up to yours with 'backup: {{remotes: [{others[0]}]}}' in sortext.yaml"
        ) from None


def uncommitted_records(repo: Repository) -> list[str]:
    """Record files whose saved state is not committed (new, changed, deleted): a backup,
    which pushes commits, does not hold them.  Paths relative to the root, in git's
    order; [] when git cannot say."""
    prefix = repo.relative(repo.clients_path).rstrip("/") + "/"
    try:
        paths = git.status_paths(repo.root, "--untracked-files=all", "--", prefix)
    except GitError:
        return []
    return [p for p in paths if p.endswith(".md")]


def backup(repo: Repository, now: dt.datetime | None = None) -> BackupReport:
    """Push HEAD (and the pages branch, forced) to every configured remote (plain and
    encrypted) and verify each by restoring it into a temporary folder; save the
    verified time."""
    remotes, configured = backup_settings(repo)
    encrypted = prepare_encrypted(repo)
    remotes = remotes + [name for name in encrypted if name not in remotes]
    branch = configured or current_branch(repo.root)
    prefix = repo.relative(repo.clients_path).rstrip("/") + "/"
    report = BackupReport(branch, now or utc_now())
    try:
        pages = PagesSettings.from_config(repo.config.raw.get("pages"))
    except SortextError:
        pages = PagesSettings(None)
    pages_ref = pages.ref
    here = branch_here(repo.root)
    source = pages_source(repo.root, pages_ref, pages.source, remotes)
    if source.branch is not None and source.branch != here:
        pages_ref = None  # another branch's pages (pagesource): its stale copy here stays
    report.uncommitted = uncommitted_records(repo)
    for remote in remotes:
        try:
            _known_remote(repo, remote, configured=repo.config.raw.get("backup") is not None)
            refspecs = [f"HEAD:refs/heads/{branch}"]
            if (
                pages_ref
                and git.run_full(repo.root, "rev-parse", "-q", "--verify", pages_ref).returncode
                == 0
            ):
                refspecs.append(f"+{pages_ref}:{pages_ref}")  # only this branch is forced
            refuse_resurrection(
                repo, remote, (pages_ref,) if pages_ref and len(refspecs) > 1 else ()
            )
            done = git.push(repo.root, remote, *refspecs)  # records and pages together
            if done.returncode != 0:
                said = done.stderr.decode("utf-8", "replace")
                raise git.failure(["push", "--quiet", remote], said, repo.root)
            report.remotes.append(verify_remote(repo, remote, branch, prefix))
        except (GitError, ErasedClientRefused) as exc:
            report.remotes.append(RemoteBackup(remote, error=str(exc)))
    save_state(repo, report)
    return report


def load_state(repo: Repository) -> dict[str, Any]:
    try:
        data = json.loads(StateDir(repo.root).backup_state.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_state(repo: Repository, report: BackupReport) -> None:
    from sortext.files.write import replace_if_unchanged

    path = StateDir(repo.root).backup_state
    path.parent.mkdir(exist_ok=True)
    try:
        before: bytes | None = path.read_bytes()
    except FileNotFoundError:
        before = None
    state = load_state(repo)
    remotes = state.setdefault("remotes", {})
    for r in report.remotes:
        if r.verified:
            remotes[r.remote] = {
                "verified_at": report.at.isoformat(timespec="seconds"),
                "commit": r.commit,
                "records": r.records,
            }
    if report.ok:
        state["last_verified"] = report.at.isoformat(timespec="seconds")
    replace_if_unchanged(
        path, (json.dumps(state, indent=2, sort_keys=True) + "\n").encode(), before
    )


def last_verified(repo: Repository) -> dt.datetime | None:
    text = load_state(repo).get("last_verified")
    try:
        return dt.datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None
