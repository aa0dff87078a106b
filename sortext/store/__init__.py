"""The derived SQLite index under ``.sortext/``: rebuilt, never merged.

``index`` (parsed records, diagnostics, notes search; incremental by file
stat), ``board`` (each record's assessment stored as rows in page order, so
pages read only what they show), ``pagekeys`` (the key each page was
rendered under, for incremental builds), ``answers`` (query answers kept
until a record changes), ``sqlbatch`` (``IN (...)`` over any number of
values).

May import: everything below it (:mod:`sortext.errors` to :mod:`sortext.edit`).
"""
