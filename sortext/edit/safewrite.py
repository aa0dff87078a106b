"""Compatibility alias of :mod:`sortext.files.write` (no importer is left; to be removed)."""

from __future__ import annotations

from sortext.files.write import (
    TEMP_MARKER,
    Snapshot,
    atomic_write,
    fsync_folder,
    is_temp_name,
    read_for_update,
    replace_if_unchanged,
    write_if_changed,
    write_if_unchanged,
)

__all__ = [
    "TEMP_MARKER",
    "Snapshot",
    "atomic_write",
    "fsync_folder",
    "is_temp_name",
    "read_for_update",
    "replace_if_unchanged",
    "write_if_changed",
    "write_if_unchanged",
]
