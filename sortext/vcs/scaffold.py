"""Create a records repository, or (re)install sortext's git settings in one."""

from __future__ import annotations

import subprocess
from importlib.resources import files
from pathlib import Path

from sortext.errors import GitError

GIT_SETTINGS: dict[str, str] = {
    "core.hooksPath": ".githooks",
    # Durability: fsync objects, refs and the index before git reports success.
    "core.fsync": "committed,index",
    "core.fsyncMethod": "fsync",
}


def _git(root: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True)
    except FileNotFoundError as exc:
        raise GitError("git is not installed; install git and try again") from exc
    except subprocess.CalledProcessError as exc:
        raise GitError(f"git {' '.join(args)} failed: {exc.stderr.strip()}") from exc
    return done.stdout


GITATTRIBUTES_LINE = "clients/*.md merge=sortext"


def sortext_command() -> str:
    """How git should call sortext: on PATH if it is there, else this Python."""
    import shlex
    import shutil
    import sys

    return "sortext" if shutil.which("sortext") else f"{shlex.quote(sys.executable)} -m sortext"


def merge_driver_settings() -> dict[str, str]:
    return {
        "merge.sortext.name": "sortext field-aware merge of client records",
        "merge.sortext.driver": f"{sortext_command()} merge-driver %O %A %B %P",
    }


def configure_git(root: Path) -> None:
    """Hooks path, merge driver and durability settings in ``root``'s git config."""
    for key, value in {**GIT_SETTINGS, **merge_driver_settings()}.items():
        _git(root, "config", key, value)


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
        _git(directory, "init", "--quiet")
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
