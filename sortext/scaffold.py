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


def configure_git(root: Path) -> None:
    """Hooks path and durability settings in ``root``'s git config."""
    for key, value in GIT_SETTINGS.items():
        _git(root, "config", key, value)


def _write_new(path: Path, text: str, created: list[Path], mode: int | None = None) -> None:
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
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
    configure_git(directory)
    return created
