"""Reading one record: bytes -> text -> front matter -> YAML data, with positions.

``source`` (read and decode bytes, never guessing), ``split`` (the ``---``
fenced front matter and the notes body), ``yamlread`` (one YAML 1.2 meaning:
the fast reader and the guards), ``positions`` (line and column of every key
and value), ``values`` (YAML values as JSON values), ``diagnostics`` (the
problem type every check returns), ``fielddiff`` (field-level differences
between two versions of a record's data).

Nothing here judges a record against the schema; that is :mod:`sortext.schema`.

May import: :mod:`sortext.errors` and this folder only.
"""
