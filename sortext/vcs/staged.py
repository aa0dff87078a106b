"""What is staged for the next commit: the record files the pre-commit hook checks."""

from __future__ import annotations

from sortext.repo import Repository
from sortext.vcs import git


def staged_records(repo: Repository) -> list[tuple[str, bytes]]:
    """``(repository-relative path, staged bytes)`` of the record files added, copied,
    modified or renamed in the index, in path order.

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
    request = "".join(f":{name}\n" for name in wanted).encode()
    out = git.run(repo.root, "cat-file", "--batch", input=request)
    found: list[tuple[str, bytes]] = []
    pos = 0
    for name in wanted:
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        pos = end + 1
        if len(header) == 3:
            size = int(header[2])
            found.append((name, out[pos : pos + size]))
            pos += size + 1
    return found
