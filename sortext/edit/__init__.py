"""Writing records without losing a byte: round-trip edits and safe writes.

``roundtrip`` (change values in the YAML text, leaving everything else as it
was), ``emit`` (values written as YAML 1.2 text that reads back unchanged),
``update`` (read, edit,
validate, write: the path every writing command takes), ``routine`` (log a
session, pay, measure, move stage), ``new`` (a new record from the template).

May import: :mod:`sortext.errors`, :mod:`sortext.files`, :mod:`sortext.record`,
:mod:`sortext.schema`, :mod:`sortext.repo`, :mod:`sortext.check`, :mod:`sortext.rules`.
"""
