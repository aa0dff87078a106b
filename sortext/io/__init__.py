"""Data in and out at the edges: imports, form intake, exports.

``spreadsheet`` (CSV and TSV read as rows), ``fieldmap`` (column maps:
columns -> record fields), ``importer`` (plan and apply an import), ``intake``
(form responses -> new clients), ``sources`` (what each owning system last
supplied), ``export`` (one-way CSV, JSON, ICS).

May import: everything below it (:mod:`sortext.errors` to :mod:`sortext.pages`).
"""
