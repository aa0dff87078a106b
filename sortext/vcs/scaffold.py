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


GITATTRIBUTES_LINE = "clients/*.md merge=sortext"


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


def ensure_gitattributes(root: Path) -> bool:
    """Add ``clients/*.md merge=sortext`` to .gitattributes; True if it was added."""
    from sortext.files.write import replace_if_unchanged

    path = root / ".gitattributes"
    before = path.read_bytes() if path.exists() else None
    text = (before or b"").decode("utf-8", "surrogateescape")  # keep bytes we cannot read
    if GITATTRIBUTES_LINE in text.splitlines():
        return False
    sep = "" if not text or text.endswith("\n") else "\n"
    new = f"{text}{sep}{GITATTRIBUTES_LINE}\n".encode("utf-8", "surrogateescape")
    replace_if_unchanged(path, new, before)
    return True


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
