"""The ``.sortext/`` state folder: every path in it, declared once.

Everything under ``.sortext/`` is derived or runtime state (git-ignored,
rebuilt when missing, never merged).  Code that reads or writes one of these
files asks :class:`StateDir` for its path instead of spelling ``.sortext``.
"""

from __future__ import annotations

from pathlib import Path

from sortext.files.slug import confined_folder

# Neither typing nor dataclasses is imported: a remembered query answer (which reads
# the index path here) is printed before either would be (~10 ms of a ~50 ms query).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import ClassVar


class StateDir:
    """The state folder of the repository at ``root`` (``<root>/.sortext``).

    The class constants are the file names inside the folder (for messages
    and for code that needs a repository-relative name, see :meth:`rel`);
    the properties are absolute paths under ``root``.  Nothing is created or
    read here.
    """

    __slots__ = ("root",)
    root: Path

    def __init__(self, root: Path) -> None:
        object.__setattr__(self, "root", root)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"StateDir is immutable: cannot set {name!r}")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StateDir) and other.root == self.root

    def __hash__(self) -> int:
        return hash((StateDir, self.root))

    def __repr__(self) -> str:
        return f"StateDir(root={self.root!r})"

    def __reduce__(self) -> tuple[type[StateDir], tuple[Path]]:
        return StateDir, (self.root,)

    FOLDER: ClassVar[str] = ".sortext"
    INDEX: ClassVar[str] = "index.sqlite"
    CONFIG_CACHE: ClassVar[str] = "config.json"
    WEEKLY_VIEW: ClassVar[str] = "weekly.json"
    WEEKLY_PAIRS: ClassVar[str] = "weekly-pairs.json"
    WEEKLY_STORE: ClassVar[str] = "weekly.sqlite"
    STAGE_FACTS: ClassVar[str] = "stage-facts.json"
    STAGE_SCAN: ClassVar[str] = "stage-scan.json"
    STAGE_JOURNAL: ClassVar[str] = "stage-journal.jsonl"
    HISTORY_CACHE: ClassVar[str] = "history.sqlite"
    WATCH_PID: ClassVar[str] = "watch.pid"
    WATCH_STATE: ClassVar[str] = "watch.json"
    WATCH_LOG: ClassVar[str] = "watch.log"
    WATCH_CURRENT: ClassVar[str] = "watch.current"
    PUSH_STATE: ClassVar[str] = "push.json"
    BACKUP_STATE: ClassVar[str] = "backup.json"
    TEMPLATE_CACHE: ClassVar[str] = "templates"
    VALIDATOR_CACHE: ClassVar[str] = "validators"
    ICS_SEQUENCES: ClassVar[str] = "ics-sequences.json"
    REPLIES: ClassVar[str] = "replies"

    @classmethod
    def rel(cls, name: str) -> str:
        """``name`` inside the state folder, relative to the repository root (``/`` separated)."""
        return f"{cls.FOLDER}/{name}"

    @property
    def path(self) -> Path:
        """The folder itself (may not exist yet).

        Raises UnsafePathError when ``.sortext`` is a link leading outside the
        repository (a sync tool can carry one): its files are written often.
        """
        return confined_folder(self.root, self.root / self.FOLDER)

    def _inside(self, name: str) -> Path:
        """``.sortext/<name>``, refused (UnsafePathError) when it is a link leading
        outside the repository (``watch.log`` -> ``~/.bashrc`` would be appended to)."""
        return confined_folder(self.root, self.path / name)

    @property
    def index(self) -> Path:
        """The SQLite index of parsed records (:mod:`sortext.store.index`)."""
        return self._inside(self.INDEX)

    @property
    def config_cache(self) -> Path:
        """The validated ``sortext.yaml``, keyed by its fingerprint (JSON)."""
        return self._inside(self.CONFIG_CACHE)

    @property
    def weekly_view(self) -> Path:
        """The last weekly view (JSON), keyed by HEAD and the window."""
        return self._inside(self.WEEKLY_VIEW)

    @property
    def weekly_pairs(self) -> Path:
        """The manifest of the weekly diff-pair store (JSON)."""
        return self._inside(self.WEEKLY_PAIRS)

    @property
    def weekly_store(self) -> Path:
        """The weekly diff-pair store (SQLite)."""
        return self._inside(self.WEEKLY_STORE)

    @property
    def stage_facts(self) -> Path:
        """Each client's stage facts at one HEAD (JSON, :mod:`sortext.vcs.stagefacts`)."""
        return self._inside(self.STAGE_FACTS)

    @property
    def stage_scan(self) -> Path:
        """What the stage-facts pass found in the history up to one commit (JSON)."""
        return self._inside(self.STAGE_SCAN)

    @property
    def stage_journal(self) -> Path:
        """What each later commit changed in the stage facts (JSON lines)."""
        return self._inside(self.STAGE_JOURNAL)

    @property
    def history_cache(self) -> Path:
        """What ``sortext history`` found comparing pairs of blobs (SQLite, by blob id)."""
        return self._inside(self.HISTORY_CACHE)

    @property
    def watch_pid(self) -> Path:
        """The pid file outside git (:attr:`watch_lock` uses it only there)."""
        return self._inside(self.WATCH_PID)

    @property
    def watch_lock(self) -> Path:
        """The daemon's pid file, held with an OS lock while it runs: in the git
        directory (``.git/sortext-watch.pid``, found without starting git: ``.git``
        is a folder, or a ``gitdir:`` file in a linked worktree), so deleting
        ``.sortext/`` cannot take it away; :attr:`watch_pid` outside git."""
        dotgit = self.root / ".git"
        if dotgit.is_dir():
            return dotgit / "sortext-watch.pid"
        if dotgit.is_file():
            text = dotgit.read_text(encoding="utf-8", errors="replace").strip()
            if text.startswith("gitdir:"):
                target = Path(text[len("gitdir:") :].strip())
                base = target if target.is_absolute() else self.root / target
                return base / "sortext-watch.pid"
        return self.watch_pid

    @property
    def watch_state(self) -> Path:
        """What the daemon last did (JSON, read by ``sortext status``)."""
        return self._inside(self.WATCH_STATE)

    @property
    def watch_current(self) -> Path:
        """Present while a running daemon's index holds every save (see files.watchmark)."""
        return self._inside(self.WATCH_CURRENT)

    @property
    def watch_log(self) -> Path:
        """The daemon's human-readable log."""
        return self._inside(self.WATCH_LOG)

    @property
    def push_state(self) -> Path:
        """The daemon's last push success and error (JSON)."""
        return self._inside(self.PUSH_STATE)

    @property
    def backup_state(self) -> Path:
        """Time and target of the last verified backup (JSON)."""
        return self._inside(self.BACKUP_STATE)

    @property
    def template_cache(self) -> Path:
        """Compiled page templates (a folder: Jinja2's bytecode cache)."""
        return self._inside(self.TEMPLATE_CACHE)

    @property
    def validator_cache(self) -> Path:
        """Compiled record validators (a folder: one marshalled code object per schema,
        ``*.code`` fastjsonschema's generated code, :func:`sortext.schema.validate.fast_validator`,
        and ``*.quick`` the generated yes/no check, :mod:`sortext.schema.quickcheck`)."""
        return self._inside(self.VALIDATOR_CACHE)

    @property
    def replies(self) -> Path:
        """Long remembered query replies, one file each, uncompressed (a folder:
        :mod:`sortext.store.answers`)."""
        return self._inside(self.REPLIES)

    @property
    def ics_sequences(self) -> Path:
        """Per calendar UID: the digest of its last exported content and its SEQUENCE (JSON)."""
        return self._inside(self.ICS_SEQUENCES)


def clear_odd_file(path: Path) -> None:
    """Remove what sits at the state file ``path`` when it is not a regular file (a
    FIFO, a socket, a device, a symbolic link): state files are derived, and opening
    such a thing would block for ever (a FIFO waits for a writer) or follow a link
    out of the folder.  Nothing there, or a regular file: left alone.

    Raises StorageError when it cannot be looked at or removed (a folder, no
    permission)."""
    import os
    import stat

    from sortext.errors import StorageError

    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StorageError(f"{path}: cannot read this state file: {exc.strerror}") from exc
    if stat.S_ISREG(mode):
        return
    try:
        os.unlink(path)
    except OSError as exc:
        raise StorageError(
            f"{path}: not a regular file and cannot be removed ({exc.strerror}); "
            "remove it: everything in .sortext/ is rebuilt"
        ) from exc
