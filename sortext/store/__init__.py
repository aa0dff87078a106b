"""The derived SQLite index under ``.sortext/``: rebuilt, never merged.

``index`` (parsed records, diagnostics, notes search; incremental by file
stat), ``board`` (each record's assessment stored as rows in page order, so
pages read only what they show), ``sqlbatch`` (``IN (...)`` over any number of
values).

May import: everything below it (:mod:`sortext.errors` to :mod:`sortext.edit`).
"""
