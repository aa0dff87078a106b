"""The derived SQLite index under ``.sortext/``: rebuilt, never merged.

``index`` (parsed records, diagnostics, notes search; incremental by file
stat), ``board`` (each record's assessment stored as rows in page order, so
pages read only what they show), ``pagekeys`` (the key each page was
rendered under, for incremental builds), ``answers`` (query answers and
replies kept until a record changes), ``clock`` (time in stage per record,
kept for one HEAD), ``sqlbatch`` (``IN (...)`` over any number of
values), ``damage`` (which SQLite errors mean a file to delete and rebuild),
``weekly`` (the stored "since last week" window and its JSON sidecars).

May import: everything below it (:mod:`sortext.errors` to :mod:`sortext.edit`).
"""
