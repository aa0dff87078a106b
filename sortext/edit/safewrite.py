"""Old import path of the one atomic writer, which now lives in :mod:`sortext.files.write`.

The writer moved below the schema layer so that every writer (config cache,
pages, exports, records, daemon state) can use it.  New code imports
:mod:`sortext.files.write`; this module only re-exports its names so code
written against the old path keeps working.
"""

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
