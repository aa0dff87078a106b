"""Data in and out at the edges: imports, form intake, exports.

``spreadsheet`` (CSV and TSV read as rows), ``fieldmap`` (column maps:
columns -> record fields), ``importer`` (plan and apply an import), ``intake``
(form responses -> new clients), ``sources`` (what each owning system last
supplied), ``export`` (one-way CSV, JSON, ICS), ``calendar`` (bookings from
``.ics`` exports, planned as an import), ``foreign`` (notes written elsewhere,
read leniently with python-frontmatter and sortext's YAML 1.2 reader),
``inbox`` (quick notes filed into records), ``notes_folder`` (migration from
a folder of Markdown notes).

May import: everything below it (:mod:`sortext.errors` to :mod:`sortext.pages`).
"""
