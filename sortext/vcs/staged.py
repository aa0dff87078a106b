"""What is staged for the next commit: the record files the pre-commit hook checks."""

from __future__ import annotations

from sortext.record.diagnostics import Diagnostic
from sortext.record.source import LINK_PROBLEM, file_problem
from sortext.repo import Repository
from sortext.vcs import git


def staged_records(repo: Repository) -> list[tuple[str, bytes | Diagnostic]]:
    """``(repository-relative path, staged bytes)`` of the record files added, copied,
    modified or renamed in the index, in path order; a staged symbolic link (mode
    120000: git would commit the path it holds, not a record) has the problem check
    reports for a record that is a link (:data:`~sortext.record.source.LINK_PROBLEM`)
    in place of its bytes.

    Raises NotARepository (a GitError: exit 2, one line) when ``repo`` is not in a
    git repository, GitError when git fails otherwise."""
    clients = repo.relative(repo.clients_path).rstrip("/") + "/"
    if not git.in_repository(repo.root):
        raise git.NotARepository(
            f"check --staged needs a git repository, and {repo.root} is not in one: "
            "run 'git init' there, or check without --staged"
        )
    listed = git.run(repo.root, "diff", "--cached", "--name-only", "-z", "--diff-filter=ACMR")
    names = listed.split(b"\0")
    wanted = []
    for raw in names:
        name = raw.decode("utf-8", "replace")
        if name.startswith(clients) and name.endswith(".md") and "/" not in name[len(clients) :]:
            wanted.append(name)
    if not wanted:
        return []
    links = _links(repo, clients, set(wanted))
    request = "".join(f":{name}\n" for name in wanted).encode()
    out = git.run(repo.root, "cat-file", "--batch", input=request)
    found: list[tuple[str, bytes | Diagnostic]] = []
    pos = 0
    for name in wanted:
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        pos = end + 1
        if len(header) == 3:
            size = int(header[2])
            blob = out[pos : pos + size]
            found.append((name, file_problem(LINK_PROBLEM) if name in links else blob))
            pos += size + 1
    return found


def _links(repo: Repository, clients: str, names: set[str]) -> set[str]:
    """Which of ``names`` (repository-relative, in the folder ``clients``, which ends
    in ``/``) the index holds as symbolic links (one listing of the folder's entries,
    whatever their number; the folder's name taken literally, not as a pattern)."""
    listed = git.run(repo.root, "--literal-pathspecs", "ls-files", "--stage", "-z", "--", clients)
    found = set()
    for entry in listed.split(b"\0"):
        meta, _, raw = entry.partition(b"\t")
        path = raw.decode("utf-8", "replace")
        if meta.startswith(b"120000 ") and path in names:
            found.add(path)
    return found
