"""Load and validate ``sortext.yaml``: stages, people, requirements, custom fields.

A broken config is reported like a broken record (``path:line:col``) through
:class:`sortext.errors.ConfigError`; nothing runs on a config we cannot trust.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

from sortext.errors import ConfigError, UnsafePathError
from sortext.files.slug import confined_folder, linked_part
from sortext.files.state import StateDir
from sortext.record.diagnostics import Diagnostic
from sortext.schema.refname import BRANCH_PATTERN

CONFIG_NAME = "sortext.yaml"
DEFAULT_STAGE_NAMES = [
    "inquiry",
    "discovery",
    "proposal",
    "contracted",
    "active",
    "review",
    "completed",
    "paused",
    "lost",
]

DEFAULT_THRESHOLDS: dict[str, Any] = {
    "due_soon_days": 7,
    "checkin_days": 21,
    "review_every_sessions": 6,
    "review_every_days": 90,
    "at_risk_window": 4,
    "at_risk_missed": 2,
    "stuck_measurements": 3,
    "renewal_days": 30,
    "invoice_due_soon_days": 14,
    "stale_days": {},
}

#: The longest threshold in days (about 100 years): a date plus or minus it stays a date.
MAX_THRESHOLD = 36500
_THRESHOLD = {"type": "integer", "minimum": 0, "maximum": MAX_THRESHOLD}

# A pattern says nothing to the user: each has its words (sortext.schema.explain.expected)
_STAGE_WORDS = (
    "a stage name: a lowercase letter, then lowercase letters, digits, '_' or '-' (like active)"
)
# What an author name and address may not hold: angle brackets, and what a terminal
# acts on (C0 and C1 controls, DEL, bidi controls, line and paragraph separators):
# the author goes into every commit, and `git log` prints it as it is.
_NOT_IN_AUTHOR = "<>\\x00-\\x1f\\x7f-\\x9f\\u200e\\u200f\\u2028-\\u202e\\u2066-\\u2069"
_AUTHOR = {
    "type": "string",
    "pattern": f"^[^{_NOT_IN_AUTHOR}]+ <[^{_NOT_IN_AUTHOR} ]+>$",
    "description": "a name and an email address in angle brackets, "
    "like 'Maya Berg <maya@example.com>'",
}

_REMOTE = {
    "type": "string",
    "pattern": "^[A-Za-z0-9_][^\\s]*$",
    "description": "a git remote name like origin (a letter, digit or '_' first, no blanks)",
}

_FIELD_TYPES = ["string", "number", "integer", "boolean", "date", "list", "email", "url"]

CONFIG_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "clients_dir": {"type": "string", "minLength": 1},
        "stages": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["name"],
                "additionalProperties": False,
                "properties": {
                    "name": {
                        "type": "string",
                        "pattern": "^[a-z][a-z0-9_-]*$",
                        "description": _STAGE_WORDS,
                    },
                    "open": {"type": "boolean"},
                    "side": {"type": "boolean"},
                    "description": {"type": "string"},
                },
            },
        },
        "people": {"type": "array", "items": {"type": "string", "minLength": 1}},
        "timezone": {"type": "string", "minLength": 1},
        "requirements": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field"],
                "additionalProperties": False,
                "properties": {
                    "field": {"type": "string", "minLength": 1},
                    "from": {"type": "string"},
                    "stages": {"type": "array", "items": {"type": "string"}},
                    "severity": {"enum": ["error", "warning"]},
                    "message": {"type": "string"},
                },
            },
        },
        "custom_fields": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "type": {"enum": _FIELD_TYPES},
                    "values": {"type": "array", "minItems": 1},
                    "description": {"type": "string"},
                    "minimum": {"type": "number"},
                    "maximum": {"type": "number"},
                    "required": {"type": "boolean"},
                },
            },
        },
        "thresholds": {
            "type": "object",
            "properties": {
                **{
                    name: _THRESHOLD
                    for name, value in DEFAULT_THRESHOLDS.items()
                    if isinstance(value, int)
                },
                "stale_days": {"type": "object", "additionalProperties": _THRESHOLD},
            },
        },
        "git": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"author": _AUTHOR},
        },
        "assistant": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "author": _AUTHOR,
            },
        },
        "backup": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                # each goes on git's command line: a name starting with '-' would be
                # an option of git push ("--force", "--receive-pack=CMD")
                "remotes": {"type": "array", "items": _REMOTE},
                "branch": {
                    "type": "string",
                    "pattern": BRANCH_PATTERN,
                    "description": "a git branch name like main (letters, digits, '.', '_', "
                    "'/', '-')",
                },
                "max_age_days": {"type": "integer", "minimum": 0},
                "encrypted": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "object",
                        "required": ["url", "recipients"],
                        "additionalProperties": False,
                        "properties": {
                            "url": {"type": "string", "minLength": 1},
                            "recipients": {
                                "type": "array",
                                "minItems": 1,
                                "items": {"type": "string", "minLength": 1},
                            },
                            "signing_key": {"type": "string", "minLength": 1},
                        },
                    },
                },
            },
        },
        "retention": {
            "type": "object",
            "additionalProperties": {
                "type": "string",
                "pattern": "^[1-9][0-9]*[dwmy]$",
                "description": "a period like 30d, 8w, 6m or 7y (days, weeks, months, years)",
            },
        },
        "pages": {
            "anyOf": [
                {"const": False},
                {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "notes": {"type": "boolean"},
                        "branch": {
                            "anyOf": [
                                {"const": False},
                                {
                                    "type": "string",
                                    "pattern": BRANCH_PATTERN,
                                    "description": "a git branch name like sortext-pages "
                                    "(letters, digits, '.', '_', '/', '-')",
                                },
                            ]
                        },
                        "keep": {"type": "integer", "minimum": 1},
                        "from": {
                            "type": "string",
                            "pattern": BRANCH_PATTERN,
                            "description": "the branch whose pages are published, like main "
                            "(letters, digits, '.', '_', '/', '-')",
                        },
                    },
                },
            ]
        },
        "privacy": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "exports": {"enum": ["all", "consented"]},
                "pages": {"enum": ["all", "consented"]},
            },
        },
        "owned_fields": {
            "type": "object",
            "additionalProperties": {"type": "string", "minLength": 1},
        },
        "intake": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "minimum": {
                    "type": "array",
                    "minItems": 1,
                    "items": {"type": "string", "minLength": 1},
                },
            },
        },
        "exports": {
            "type": "object",
            "additionalProperties": {
                "anyOf": [
                    {"enum": ["csv", "json", "ics"]},
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["format"],
                        "properties": {
                            "format": {"enum": ["csv", "json", "ics"]},
                            "columns": {
                                "type": "array",
                                "minItems": 1,
                                "items": {"type": "string", "minLength": 1},
                            },
                        },
                    },
                ]
            },
        },
    },
}


class Stage(NamedTuple):
    """One lifecycle stage: ``open`` ones need a next action; ``side`` ones (paused,
    lost) are off the main line."""

    name: str
    open: bool = True
    side: bool = False


class Requirement(NamedTuple):
    """``field`` must be present when a client is in one of ``stages``."""

    field: str
    stages: tuple[str, ...]
    severity: Literal["error", "warning"] = "error"
    message: str | None = None


class Config(NamedTuple):
    """The effective configuration of one records repository (read-only; a copy
    with changes: ``config._replace(thresholds=...)``).

    A named tuple, as :class:`Stage` and :class:`Requirement`, not a dataclass: a
    cold ``history`` loads the configuration, and ``dataclasses`` (with
    ``inspect``) costs ~42M instructions to import and each frozen dataclass ~3M to
    create, where a named tuple costs ~0.5M (see :mod:`sortext.vcs.history`)."""

    root: Path
    clients_dir: str = "clients"
    stages: tuple[Stage, ...] = ()
    people: tuple[str, ...] = ()
    requirements: tuple[Requirement, ...] = ()
    custom_fields: Mapping[str, Mapping[str, Any]] = MappingProxyType({})
    thresholds: Mapping[str, Any] = MappingProxyType(DEFAULT_THRESHOLDS)
    raw: Mapping[str, Any] = MappingProxyType({})
    fingerprint: str = ""
    timezone: str | None = None
    """IANA zone name (``Europe/Berlin``) that session and action times are in; None: floating."""

    @property
    def clients_path(self) -> Path:
        """``root / clients_dir``; UnsafePathError when it leads outside the repository
        (``clients_dir: ../elsewhere``, or a ``clients`` link to another folder: records
        are read, written and committed only inside it), or when a folder on the way
        from the repository's root is a symbolic link (``clients`` a link to
        ``data/people``): git stores the link, not the records in the folder it leads
        to, so the watcher could not commit them, and it names the records by the
        link's path (see :func:`sortext.files.slug.linked_part`)."""
        folder = confined_folder(self.root, self.root / self.clients_dir)
        linked = linked_part(self.root, self.clients_dir)
        if linked is not None:
            raise UnsafePathError(
                f"{linked.relative_to(self.root)}: is a symbolic link; git stores the link, "
                "not the records in "
                "the folder it leads to: set clients_dir in sortext.yaml to that folder "
                "(its path in the repository), or replace the link with the folder"
            )
        return folder

    @property
    def stage_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.stages)

    @property
    def open_stages(self) -> frozenset[str]:
        return frozenset(s.name for s in self.stages if s.open)

    def stage(self, name: str) -> Stage | None:
        return next((s for s in self.stages if s.name == name), None)

    def threshold(self, name: str) -> Any:
        return self.thresholds.get(name, DEFAULT_THRESHOLDS.get(name))

    def consented_only(self, output: str) -> bool:
        """True when ``privacy: {<output>: consented}`` is set (``output``: ``"exports"``
        or ``"pages"``): records whose ``consent.data_use`` is false are left out of it."""
        section = self.raw.get("privacy")
        return isinstance(section, Mapping) and section.get(output) == "consented"


def default_config_text() -> str:
    from importlib.resources import files

    return (files("sortext") / "skeleton" / "sortext.yaml").read_text(encoding="utf-8")


# A validated configuration is remembered in StateDir(root).config_cache (derived data,
# next to the index), so a quick query pays for neither the YAML parser nor the JSON
# Schema validator.


def load_config(root: Path) -> Config:
    """Read ``root/sortext.yaml``; raise ConfigError with diagnostics if it is wrong."""
    path = root / CONFIG_NAME
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the configuration: {exc.strerror}") from exc
    fingerprint = hashlib.sha256(raw_bytes).hexdigest()
    cached = _cached_config(root, fingerprint)
    if cached is not None:
        return _build(root, cached, fingerprint)
    config = parse_config(root, raw_bytes, CONFIG_NAME)
    _remember_config(root, fingerprint, config.raw)
    return config


def _cache_key(fingerprint: str) -> str:
    """This build of sortext (:func:`~sortext.files.codestamp.code_stamp`), the config
    schema and the file's bytes: a configuration validated by older (laxer) code or
    under an older schema is validated again."""
    from sortext.files.codestamp import code_stamp

    return f"{code_stamp()}:{_schema_key()}:{fingerprint}"


_SCHEMA_KEY: str | None = None


def _schema_key() -> str:
    """A digest of :data:`CONFIG_SCHEMA` (its canonical JSON), computed once."""
    global _SCHEMA_KEY
    if _SCHEMA_KEY is None:
        import json

        text = json.dumps(CONFIG_SCHEMA, sort_keys=True).encode()
        _SCHEMA_KEY = hashlib.sha256(text).hexdigest()[:16]
    return _SCHEMA_KEY


#: The module :func:`config_validator_source` writes (shipped, generated).
FAST_MODULE = "sortext.schema.config_fast"


def config_validator_source() -> str:
    """The text of ``sortext/schema/config_fast.py``: fastjsonschema's validator of
    :data:`CONFIG_SCHEMA`, generated ahead of time so that no command pays for
    ``jsonschema`` (~50 ms to import) or a compile (~30 ms) on a valid configuration.

    Regenerate after changing the schema or upgrading fastjsonschema::

        python -c "from sortext.schema.config import write_config_validator as w; w()"

    (tests/test_config_fast.py fails until then; meanwhile the stale module is not
    used, see :func:`_passes_fast`)."""
    import fastjsonschema

    code = fastjsonschema.compile_to_code(CONFIG_SCHEMA)
    if code.count(_FAST_IMPORT) != 1:
        raise RuntimeError(f"fastjsonschema's code no longer says {_FAST_IMPORT!r}")
    return (
        "# Generated by sortext.schema.config.config_validator_source(): do not edit.\n"
        "# fastjsonschema's validator of CONFIG_SCHEMA; see that function's docstring.\n"
        "# mypy: ignore-errors\n"
        f"SCHEMA_KEY = {_schema_key()!r}\n"
        f"{code.replace(_FAST_IMPORT, _FAST_EXCEPTIONS)}"
    )


# The generated module raises and catches fastjsonschema's two exceptions; only whether
# it raised matters (:func:`_passes_fast`), so it defines its own instead of importing
# fastjsonschema, whose package imports its code generator and every draft (~4 ms of a
# one-record cold build).
_FAST_IMPORT = "from fastjsonschema import JsonSchemaValueException, JsonSchemaValuesException\n"
_FAST_EXCEPTIONS = """\
class JsonSchemaValueException(ValueError):
    def __init__(self, message, value=None, name=None, definition=None, rule=None):
        super().__init__(message)


class JsonSchemaValuesException(ValueError):
    pass
"""


def write_config_validator() -> Path:
    """Write :func:`config_validator_source` to its module file; returns its path."""
    from sortext.files.write import write_if_changed

    target = Path(__file__).with_name("config_fast.py")
    write_if_changed(target, config_validator_source().encode("utf-8"))
    return target


def _passes_fast(data: dict[str, Any]) -> bool:
    """True when the shipped validator accepts ``data`` (then the full ``jsonschema``
    pass would find nothing: tests/test_config_fast.py holds the two to each other).
    False on any refusal, and when the module is missing or was generated from
    another schema (then ``jsonschema`` decides, as it always did)."""
    import importlib

    try:
        module = importlib.import_module(FAST_MODULE)
    except ImportError:
        return False
    if getattr(module, "SCHEMA_KEY", None) != _schema_key():
        return False
    try:
        module.validate(data)
    except Exception:  # JsonSchemaValueException, or anything the generated code raises
        return False
    return True


def _cached_config(root: Path, fingerprint: str) -> dict[str, Any] | None:
    """The data of a configuration already validated with exactly these bytes, if known."""
    import json

    try:
        stored = json.loads(StateDir(root).config_cache.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(stored, dict) or stored.get("key") != _cache_key(fingerprint):
        return None
    data = stored.get("data")
    return data if isinstance(data, dict) else None


def _remember_config(root: Path, fingerprint: str, data: Mapping[str, Any]) -> None:
    """Best effort: only where the index folder exists, never an error."""
    import json

    from sortext.errors import StorageError
    from sortext.files.write import atomic_write

    target = StateDir(root).config_cache
    if not target.parent.is_dir():
        return
    try:
        text = json.dumps({"key": _cache_key(fingerprint), "data": data}, sort_keys=True)
    except (TypeError, ValueError):
        return  # a value JSON cannot hold: validate each time
    if json.loads(text)["data"] != data:
        return
    with contextlib.suppress(StorageError):
        atomic_write(target, text.encode("utf-8"), durable=False)


#: sortext.yaml larger than this is refused unread (a record may be 5 MiB).
MAX_CONFIG_BYTES = 1024 * 1024


def parse_config(root: Path, raw_bytes: bytes, display: str) -> Config:
    from sortext.record.source import SourceText, decode
    from sortext.record.yamlread import load_fast

    if len(raw_bytes) > MAX_CONFIG_BYTES:  # (decode's own message speaks of records)
        source: SourceText | Diagnostic = Diagnostic(
            display, 1, 1, "", "file is larger than 1 MiB; a configuration is a few kilobytes"
        )
    else:
        source = decode(raw_bytes)
    if isinstance(source, Diagnostic):
        diag = source.placed(display)
        raise ConfigError(diag.format(False), [diag])
    if not _has_content(source.text):
        diag = Diagnostic(
            display,
            1,
            1,
            "",
            "the configuration is empty; sortext will not guess the settings: "
            "restore it from git (git checkout -- sortext.yaml) or run 'sortext init' "
            "in a new folder and copy its sortext.yaml",
        )
        raise ConfigError(diag.format(False), [diag])
    data = load_fast(source.text, "sortext.yaml")
    if isinstance(data, Diagnostic):
        diag = data.placed(display)
        raise ConfigError(diag.format(False), [diag])
    if not isinstance(data, dict):
        diag = Diagnostic(display, 1, 1, "", "the configuration must be a mapping of settings")
        raise ConfigError(diag.format(False), [diag])
    from sortext.record.values import normalize

    data = normalize(data)  # as a record's: dates are their ISO text (custom_fields values)
    diagnostics = _validate_config(data, source.text, display, root)
    if diagnostics:
        text = "\n".join(d.format(False) for d in diagnostics)
        raise ConfigError(f"invalid configuration:\n{text}", list(diagnostics))
    return _build(root, data, hashlib.sha256(raw_bytes).hexdigest())


def _has_content(text: str) -> bool:
    """False for a text of blank lines, comments and YAML document markers only."""
    for line in text.splitlines():
        bare = line.strip()
        if bare and not bare.startswith("#") and bare not in ("---", "..."):
            return True
    return False


#: Folders of the repository that are not the user's to keep records in: git's own,
#: sortext's derived data (git-ignored, "safe to delete") and the generated pages
#: (git-ignored, :data:`sortext.pages.build.SITE_DIR`).  Records there would never be
#: committed, and deleting the derived folder (as erase does) would delete them.
RESERVED_FOLDERS = (".git", StateDir.FOLDER, "site")
#: The inbox of quick notes (:data:`sortext.views.day.INBOX_DIR`): ``inbox --file``
#: folds each note into the record it matches, so records there would each be folded
#: into themselves.
INBOX_FOLDER = "inbox"


def clients_dir_problem(root: Path, clients_dir: str) -> str | None:
    """Why ``clients_dir`` cannot hold the records, or None: the repository's root
    itself, a folder in (or under) one of :data:`RESERVED_FOLDERS`, or a path that
    leads out of it by its text (``..``, an absolute path elsewhere).  (A link on the
    way is :attr:`Config.clients_path`'s to refuse.)  Then :func:`folder_name_problem`."""
    if "\x00" in clients_dir:
        return folder_name_problem(clients_dir)
    base = os.path.normpath(root)
    full = os.path.normpath(os.path.join(base, clients_dir))
    rel = os.path.relpath(full, base)
    if rel.startswith(".." + os.sep) or rel == "..":
        return (
            "leads outside the repository; sortext reads, writes and commits records "
            "only inside it: use a folder in the repository, like clients"
        )
    # casefolded: on a case-insensitive disk (macOS, Windows) .GIT is .git, Site is site
    first = rel.split(os.sep)[0].casefold()
    if rel == ".":
        return (
            "is the repository's root; records need a folder of their own "
            "(like clients), away from sortext.yaml, the pages and the README"
        )
    if first in RESERVED_FOLDERS:
        return (
            f"lies in {first}/, which is not for records (git's own folder, sortext's "
            "derived data or the generated pages: git-ignored, never committed, safe to "
            "delete); use a folder of its own, like clients"
        )
    if first == INBOX_FOLDER.casefold():
        return (
            f"lies in {first}/, the inbox of quick notes: 'sortext inbox --file' would "
            "fold each record into itself; use a folder of its own, like clients"
        )
    return folder_name_problem(clients_dir)


def folder_name_problem(folder: str) -> str | None:
    """Why the folder path ``folder`` (``/``-separated) cannot be the records' folder,
    or None: a NUL (no file system holds it), a ``..`` part (it walks through a folder
    that may not exist, or out), a part ending in a dot or a space (Windows drops them:
    another folder there) or a device name Windows reserves (``con``, ``aux.d``: no such
    folder can exist there).  Other characters are allowed, and shown made visible."""
    from sortext.files.slug import WINDOWS_DEVICES

    if "\x00" in folder:
        return "holds the character U+0000 (NUL), which no folder name can: remove it"
    for part in folder.replace("\\", "/").split("/"):
        if part == "..":
            return "names '..': write the path from the repository's folder, without '..'"
        if part not in ("", ".") and part.endswith((".", " ")):
            return (
                f"has the part '{part}', which ends in a dot or a space (Windows drops "
                "them, so it would name another folder there): remove it"
            )
        if part.split(".")[0].casefold() in WINDOWS_DEVICES:
            return (
                f"has the part '{part}', a device name Windows reserves (no such folder "
                "can exist there): use another name"
            )
    return None


def _validate_config(
    data: dict[str, Any], text: str, display: str, root: Path | None = None
) -> list[Diagnostic]:
    if not _passes_fast(data):
        from sortext.schema.explain import schema_diagnostics

        diagnostics = schema_diagnostics(
            CONFIG_SCHEMA, data, text, display, line_offset=0, unknown_hint=None
        )
        if diagnostics:
            return diagnostics
    from sortext.record.positions import build_position_map

    names = [s["name"] for s in data.get("stages", [])]
    problems: list[tuple[tuple[str | int, ...], str]] = []
    for i, stage in enumerate(data.get("stages", [])):
        if names.count(stage["name"]) > 1:
            problems.append((("stages", i, "name"), f"stage '{stage['name']}' is listed twice"))
    for i, req in enumerate(data.get("requirements", [])):
        for key in ("from",):
            if key in req and req[key] not in names:
                problems.append((("requirements", i, key), f"unknown stage '{req[key]}'"))
        for j, st in enumerate(req.get("stages", [])):
            if st not in names:
                problems.append((("requirements", i, "stages", j), f"unknown stage '{st}'"))
    encrypted = (data.get("backup") or {}).get("encrypted") or {}
    for name in encrypted:  # a remote's name, on git's command line as remotes' are
        if not re.fullmatch(_REMOTE["pattern"], str(name)):
            problems.append(
                (
                    ("backup", "encrypted", name),
                    f"expected {_REMOTE['description']}, found '{name}'",
                )
            )
    problems.extend(_branch_problems(data))
    clients_dir = data.get("clients_dir")
    if root is not None and isinstance(clients_dir, str):
        why = clients_dir_problem(root, clients_dir)
        if why is not None:
            problems.append((("clients_dir",), f"'{clients_dir}' {why}"))
    if "timezone" in data and not _known_zone(data["timezone"]):
        problems.append(
            (("timezone",), f"unknown time zone '{data['timezone']}' (use an IANA name)")
        )
    owned = data.get("owned_fields") or {}
    required = [(i, r["field"]) for i, r in enumerate(data.get("requirements", []))]
    if owned or required:
        # a typo in an owned pattern would own nothing without a word; in a
        # requirement, ask for a field no record may hold (it is an unknown field)
        from sortext.schema.owned import pattern_problem
        from sortext.schema.shipped import default_schema, with_custom_fields

        schema = with_custom_fields(default_schema(), data.get("custom_fields") or {})
        for pattern in owned:
            why = pattern_problem(str(pattern), schema)
            if why is not None:
                problems.append((("owned_fields", pattern), why))
        for i, name in required:
            why = pattern_problem(str(name), schema)
            if why is not None:
                problems.append((("requirements", i, "field"), why))
    for name, spec in data.get("custom_fields", {}).items():
        if "type" not in spec and "values" not in spec:
            problems.append(
                (("custom_fields", name), "give a 'type' or a list of allowed 'values'")
            )
        problems.extend(
            (("custom_fields", name, *path), "not a finite number: write a real number")
            for path in _non_finite(spec, ())
        )
    if not problems:
        return []
    positions = build_position_map(text)
    from sortext.record.positions import format_path

    out = []
    for path, message in problems:
        line, col = positions.value(path)
        out.append(Diagnostic(display, line, col, format_path(path), message))
    return out


def _branch_problems(data: dict[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    """``(path, message)`` for each branch name of ``pages`` and ``backup`` that git
    would refuse (:func:`sortext.schema.refname.branch_problem`), and for a
    ``pages.from`` naming the pages branch itself (the pages would be built from
    the pages)."""
    from sortext.schema.refname import PAGES_BRANCH, branch_problem  # (small: no cost)

    out: list[tuple[tuple[str | int, ...], str]] = []
    pages = data.get("pages")
    backup = data.get("backup")
    named: list[tuple[tuple[str | int, ...], Any]] = []
    if isinstance(pages, dict):
        named += [(("pages", key), pages[key]) for key in ("branch", "from") if key in pages]
    if isinstance(backup, dict) and "branch" in backup:
        named.append((("backup", "branch"), backup["branch"]))
    for path, name in named:
        if isinstance(name, str):
            why = branch_problem(name)
            if why is not None:
                out.append((path, f"'{name}': {why}"))
    if isinstance(pages, dict) and isinstance(pages.get("from"), str):
        branch = pages.get("branch", PAGES_BRANCH)
        if pages["from"] == branch:
            out.append(
                (
                    ("pages", "from"),
                    f"'{branch}' is also the pages branch: name the branch the pages are "
                    "built from, not the one they are published on",
                )
            )
    return out


def _non_finite(value: Any, path: tuple[str | int, ...]) -> list[tuple[str | int, ...]]:
    """Paths in ``value`` to a float that is not finite (``1e309`` reads as infinity):
    no record value can equal or be compared with one, and a schema holding one is
    code naming ``inf`` (fastjsonschema)."""
    if isinstance(value, float):
        return [] if math.isfinite(value) else [path]
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in _non_finite(item, (*path, key))]
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in _non_finite(item, (*path, i))]
    return []


def _build(root: Path, data: dict[str, Any], fingerprint: str) -> Config:
    stages = tuple(
        Stage(s["name"], bool(s.get("open", True)), bool(s.get("side", False)))
        for s in data.get("stages", [])
    )
    if not stages:
        stages = tuple(
            Stage(n, n not in ("completed", "lost"), n in ("paused", "lost"))
            for n in DEFAULT_STAGE_NAMES
        )
    main_order = [s.name for s in stages if not s.side]
    requirements = []
    for req in data.get("requirements", []):
        if "stages" in req:
            applies = tuple(req["stages"])
        elif "from" in req and req["from"] in main_order:
            applies = tuple(main_order[main_order.index(req["from"]) :])
        else:
            applies = tuple(s.name for s in stages)
        requirements.append(
            Requirement(req["field"], applies, req.get("severity", "error"), req.get("message"))
        )
    thresholds = dict(DEFAULT_THRESHOLDS)
    thresholds.update(data.get("thresholds") or {})
    return Config(
        root=root,
        clients_dir=data.get("clients_dir", "clients"),
        stages=stages,
        people=tuple(data.get("people", [])),
        requirements=tuple(requirements),
        custom_fields=dict(data.get("custom_fields") or {}),
        thresholds=thresholds,
        raw=data,
        fingerprint=fingerprint,
        timezone=data.get("timezone"),
    )


def _known_zone(name: str) -> bool:
    """True when ``name`` is an IANA time zone this machine knows (zoneinfo).
    ``localtime`` is not one: the tz folder's link to this machine's own zone, which
    would give each machine its own window (what ``timezone:`` is there to stop)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if name.casefold() == "localtime":
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    except OSError:  # a folder of zones ('Europe'), an unreadable file: no zone
        return False
    return True
