"""Create a records repository, or (re)install sortext's git settings in one
(GitPython's ``Repo.init`` and ``config_writer``, through :mod:`sortext.vcs.git`)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from sortext.vcs import git

GIT_SETTINGS: dict[str, str] = {
    "core.hooksPath": ".githooks",
    # Durability: fsync objects, refs and the index before git reports success.
    "core.fsync": "committed,index",
    "core.fsyncMethod": "fsync",
}


GITATTRIBUTES_LINE = "clients/*.md merge=sortext"  # the default clients folder's


def gitattributes_line(folder: str = "clients") -> str:
    """The .gitattributes line that gives the records of ``folder`` (its path in the
    repository, ``/``-separated: ``clients_dir``) the field-aware merge driver.  A
    folder name with a glob character has it escaped, as has a leading ``#`` (a comment
    otherwise) or ``!`` (a negative pattern, which git ignores); one with a space, a
    quote or a control character is written C-quoted, as git reads a quoted pattern."""
    import re

    pattern = re.sub(r"([\\*?\[])", r"\\\1", folder.strip("/")) + "/*.md"
    if pattern.startswith(("#", "!")):  # else a comment, or a negative pattern git ignores
        pattern = "\\" + pattern
    if pattern.isprintable() and not re.search(r'[\s"]', pattern):
        return f"{pattern} merge=sortext"
    quoted = "".join(_c_quoted(char) for char in pattern)
    return f'"{quoted}" merge=sortext'


def _c_quoted(char: str) -> str:
    named = {"\\": "\\\\", '"': '\\"', "\t": "\\t", "\n": "\\n", "\r": "\\r"}
    if char in named:
        return named[char]
    if char.isprintable() or char == " ":
        return char
    return "".join(f"\\{byte:03o}" for byte in char.encode("utf-8", "surrogateescape"))


PYTHON_KEY = "sortext.python"

# The pre-commit hook shipped before the interpreter was recorded: ``sortext install``
# replaces exactly this text with the current hook (any other hook is the user's).
OLD_PRE_COMMIT = (
    "#!/bin/sh\n"
    "# sortext: refuse to commit an invalid client record.\n"
    "if command -v sortext >/dev/null 2>&1; then\n"
    "  exec sortext check --staged\n"
    "fi\n"
    "exec python3 -m sortext check --staged\n"
)


def recorded_python() -> str:
    """The interpreter git should run sortext with: this process's Python (absolute),
    so hooks and the merge driver work where the virtual environment is not active
    (GUI git clients, other shells).  A venv's ``bin/python`` runs the venv without
    activation."""
    import sys

    return str(Path(sys.executable).absolute())


def sortext_command() -> str:
    """How git should call sortext: the recorded Python with ``-m sortext``."""
    import shlex

    return f"{shlex.quote(recorded_python())} -m sortext"


def merge_driver_settings() -> dict[str, str]:
    return {
        "merge.sortext.name": "sortext field-aware merge of client records",
        "merge.sortext.driver": f"{sortext_command()} merge-driver %O %A %B %P",
    }


def configure_git(root: Path) -> None:
    """Hooks path, merge driver, durability settings and the recorded interpreter
    (``sortext.python``, read by the pre-commit hook) in ``root``'s git config."""
    git.set_config(root, {**GIT_SETTINGS, **merge_driver_settings(), PYTHON_KEY: recorded_python()})


def refresh_hook(root: Path) -> bool:
    """Write the shipped pre-commit hook when it is missing or is the old shipped one
    (which ran ``python3 -m sortext`` and failed outside the venv); True if written.
    A hook the user changed is left alone."""
    from sortext.files.write import atomic_write

    hook = root / ".githooks" / "pre-commit"
    new = (files("sortext") / "skeleton" / "pre-commit").read_text("utf-8")
    before = hook.read_text("utf-8") if hook.exists() else None
    if before is not None and before != OLD_PRE_COMMIT:
        return False
    hook.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(hook, new.encode("utf-8"))
    hook.chmod(0o755)
    return True


def ensure_gitattributes(root: Path, folder: str = "clients") -> bool:
    """Add :func:`gitattributes_line` of ``folder`` (``clients/*.md merge=sortext``)
    to .gitattributes; True if it was added."""
    from sortext.files.write import replace_if_unchanged

    path = root / ".gitattributes"
    before = path.read_bytes() if path.exists() else None
    text = (before or b"").decode("utf-8", "surrogateescape")  # keep bytes we cannot read
    line = gitattributes_line(folder)
    if line in text.splitlines():
        return False
    sep = "" if not text or text.endswith("\n") else "\n"
    new = f"{text}{sep}{line}\n".encode("utf-8", "surrogateescape")
    replace_if_unchanged(path, new, before)
    return True


#: .gitignore lines that keep the generated pages out of the records branch.
PAGES_IGNORE = ("/NEXT.md", "/site/", ".*.sortext-tmp-*")
PAGES_MIGRATION_MESSAGE = """stop tracking the generated pages (NEXT.md, site/)

They are derived output, rebuilt from the records by 'sortext watch' and
'sortext build', and published on a branch of their own (sortext-pages).
Tracked here they made checkouts, pulls, rebases, reverts and merges stop on
files nobody writes; the working-tree copies stay where they were.
"""


def untrack_pages(root: Path) -> str | None:
    """Migrate a repository that still tracks NEXT.md and site/: one commit that
    removes them from the index (the files stay on disk) and adds the ignore lines.

    Returns the commit id, or None when nothing needed doing.  The user's other
    staged work is left staged and out of this commit (git plumbing in a private
    index, :mod:`sortext.vcs.commit`).  Raises GitError (GitBusy during a merge or
    rebase)."""
    from sortext.vcs.commit import GitRepo

    tracked = git.listed(root, "ls-files", "--", "NEXT.md", "site")
    path = root / ".gitignore"
    before = path.read_bytes() if path.exists() else b""
    text = before.decode("utf-8", "surrogateescape")
    lines = text.splitlines()
    missing = [line for line in PAGES_IGNORE if line not in lines]
    if not tracked and not missing:
        return None
    changes: dict[str, bytes | None] = dict.fromkeys(tracked)
    if missing:
        sep = "" if not text or text.endswith("\n") else "\n"
        added = "# generated pages: published on their own branch (sortext-pages)\n"
        added += "".join(f"{line}\n" for line in missing)
        new = f"{text}{sep}{added}".encode("utf-8", "surrogateescape")
        from sortext.files.write import replace_if_unchanged

        replace_if_unchanged(path, new, before if path.exists() else None)
        changes[".gitignore"] = new
    repo = GitRepo.open(root)
    try:
        return repo.commit(changes, PAGES_MIGRATION_MESSAGE)
    finally:
        repo.close()


def _write_new(path: Path, text: str, created: list[Path], mode: int | None = None) -> None:
    if path.exists():
        return
    from sortext.files.write import atomic_write

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, text.encode("utf-8"), exclusive=True)
    if mode is not None:
        path.chmod(mode)
    created.append(path)


def init_repository(directory: Path) -> list[Path]:
    """Make ``directory`` a records repository; returns the paths it created."""
    skeleton = files("sortext") / "skeleton"
    directory.mkdir(parents=True, exist_ok=True)
    created: list[Path] = []
    if not (directory / ".git").exists():
        git.init(directory)
        created.append(directory / ".git")
    _write_new(directory / "sortext.yaml", (skeleton / "sortext.yaml").read_text("utf-8"), created)
    (directory / "clients").mkdir(exist_ok=True)
    _write_new(directory / "clients" / ".gitkeep", "", created)
    _write_new(
        directory / "templates" / "client.md.j2",
        (skeleton / "templates" / "client.md.j2").read_text("utf-8"),
        created,
    )
    _write_new(directory / ".gitignore", (skeleton / "gitignore").read_text("utf-8"), created)
    _write_new(
        directory / ".githooks" / "pre-commit",
        (skeleton / "pre-commit").read_text("utf-8"),
        created,
        0o755,
    )
    if ensure_gitattributes(directory):
        created.append(directory / ".gitattributes")
    configure_git(directory)
    return created


def first_commit(directory: Path) -> str | None:
    """Commit what ``init`` wrote when the repository has no commit yet (so
    ``changes``, ``history`` and the pages' "since last week" have a start);
    returns the commit id, or None when there already was a commit."""
    if git.head_commit(directory) is not None:
        return None
    paths = [
        p
        for p in (
            "sortext.yaml",
            "clients/.gitkeep",
            "templates",
            ".gitignore",
            ".githooks",
            ".gitattributes",
        )
        if (directory / p).exists()
    ]
    git.run(directory, "add", "--", *paths)
    git.run(
        directory, "commit", "-q", "--no-verify", "-m", "sortext init: a new records repository"
    )
    return git.head_commit(directory)
