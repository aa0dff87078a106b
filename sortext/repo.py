"""Find the records repository and the record files in it.

Finding the root imports nothing heavy (a remembered query answer needs only
the root, see :mod:`sortext.views.recall`); the configuration is loaded by
:func:`open_repository`.
"""

from __future__ import annotations

import os
from pathlib import Path

from sortext.errors import RepoNotFound, hinted

# Neither typing nor dataclasses is imported: finding the root is on the quick path of
# a remembered query answer (see sortext.files.state).
TYPE_CHECKING = False

if TYPE_CHECKING:
    from sortext.record.copies import ConflictCopy
    from sortext.schema.config import Config

#: The configuration's file name (:data:`sortext.schema.config.CONFIG_NAME`; a test
#: holds the two equal, so finding the root does not import the configuration code).
CONFIG_NAME = "sortext.yaml"


class Repository:
    """A folder with ``sortext.yaml``: the config plus where records live (immutable;
    equal when root and config are)."""

    __slots__ = ("config", "root")
    root: Path
    config: Config

    def __init__(self, root: Path, config: Config) -> None:
        object.__setattr__(self, "root", root)
        object.__setattr__(self, "config", config)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Repository is immutable: cannot set {name!r}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Repository):
            return NotImplemented
        return (self.root, self.config) == (other.root, other.config)

    def __hash__(self) -> int:
        return hash((self.root, self.config))

    def __repr__(self) -> str:
        return f"Repository(root={self.root!r}, config={self.config!r})"

    def __reduce__(self) -> tuple[type[Repository], tuple[Path, Config]]:
        return Repository, (self.root, self.config)

    @property
    def clients_path(self) -> Path:
        return self.config.clients_path

    def relative(self, path: Path | str) -> str:
        """Repository-relative POSIX path, as shown in diagnostics and git."""
        p = Path(os.path.abspath(path))
        # Resolve the folder, not the file: the file may be a symlink loop.
        try:
            absolute = p.parent.resolve(strict=False) / p.name
            return absolute.relative_to(self.root.resolve()).as_posix()
        except (ValueError, OSError, RuntimeError):
            return str(path)

    def shown(self, path: Path | str) -> str:
        """``path`` as a message names it: repository-relative, every character a
        terminal would act on (a tab and a newline too: a name is one line) a
        visible escape (:func:`sortext.files.inert.clean`)."""
        from sortext.files.inert import clean

        return clean(self.relative(path))

    @property
    def clients_shown(self) -> str:
        """The clients folder as messages name it (``clients/``, or what
        ``clients_dir`` says, made visible as :meth:`shown` does), ending in ``/``."""
        return self.shown(self.clients_path).rstrip("/") + "/"

    def record_paths(self) -> list[Path]:
        """Every ``*.md`` entry in the clients folder (directories included, to report them).

        Conflict copies left by sync tools are not records (see :meth:`conflict_copies`).
        """
        from sortext.record.copies import is_record_name

        try:
            entries = list(os.scandir(self.clients_path))
        except FileNotFoundError:
            return []
        return sorted(Path(e.path) for e in entries if is_record_name(e.name))

    def conflict_copies(self) -> list[tuple[Path, ConflictCopy]]:
        """Files a sync tool left in the clients folder beside a record (never records)."""
        from sortext.record.copies import conflict_copy

        try:
            entries = list(os.scandir(self.clients_path))
        except FileNotFoundError:
            return []
        found = [(Path(e.path), conflict_copy(e.name)) for e in entries]
        return sorted((p, c) for p, c in found if c is not None)

    def misnamed_records(self) -> list[tuple[Path, str]]:
        """Markdown files in the clients folder that are not read as records for their
        name (``Jane.MD``, ``jane.markdown``), each with the name it should have."""
        from sortext.record.copies import misnamed

        try:
            entries = list(os.scandir(self.clients_path))
        except FileNotFoundError:
            return []
        # the name first, then the entry's own type, never followed: a link that loops
        # or leads nowhere must not stop the check (a link is not read as a record either)
        found = [
            (Path(e.path), misnamed(e.name)) for e in entries if not e.is_dir(follow_symlinks=False)
        ]
        return sorted((p, n) for p, n in found if n is not None)

    def record_path(self, record_id: str) -> Path:
        """``clients/<record_id>.md``; UnsafePathError when the id is not a slug or the
        path resolves outside the clients folder (a symlink leading elsewhere)."""
        from sortext.files.slug import confined_path

        return confined_path(self.clients_path, record_id, ".md")


CEILING_VARIABLE = "SORTEXT_CEILING_DIRECTORIES"


def _ceilings() -> list[Path]:
    """The folders named in ``$SORTEXT_CEILING_DIRECTORIES`` (``os.pathsep``-separated,
    like git's ``GIT_CEILING_DIRECTORIES``); relative or empty entries are ignored."""
    raw = os.environ.get(CEILING_VARIABLE, "")
    return [Path(item).resolve() for item in raw.split(os.pathsep) if os.path.isabs(item)]


def find_root(start: Path | None = None) -> Path:
    """The nearest folder at or above ``start`` holding sortext.yaml.

    The search stops at a ceiling from ``$SORTEXT_CEILING_DIRECTORIES``: a ceiling
    that holds ``start`` is examined, the folders above it are not. Raises RepoNotFound.
    """
    here = (start or Path.cwd()).resolve()
    ceilings = [c for c in _ceilings() if c == here or c in here.parents]
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
        if folder in ceilings:
            break
    raise hinted(
        RepoNotFound(f"no {CONFIG_NAME} in {here} or any parent folder", here),
        "create_repository",
        text=f"open the folder that holds a records repository's {CONFIG_NAME} (or one inside it)",
    )


def open_repository(start: Path | None = None) -> Repository:
    from sortext.schema.config import load_config

    root = find_root(start)
    return Repository(root, load_config(root))
