"""Records loaded and judged: one file, or every file of a repository.

``load`` (a file -> :class:`~sortext.check.load.Record` plus diagnostics: the
one entry point for "read and validate a record"), ``many`` (``sortext check``:
all records, cross-record rules, in parallel), ``conflicts`` (merge-conflict
markers found and explained field by field, and settled), ``owned`` (hand edits
of fields another system owns).

May import: :mod:`sortext.errors`, :mod:`sortext.record`, :mod:`sortext.schema`,
:mod:`sortext.repo`.
"""
