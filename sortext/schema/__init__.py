"""What a valid record is: ``sortext.yaml``, the effective JSON Schema, validation.

``config`` (load and check ``sortext.yaml``), ``shipped`` (the shipped schema
and custom fields added to it, read by ``config``'s checks too), ``effective``
(the shipped schema plus the config's stages and custom fields), ``validate`` (validate a
record: the compiled schema, then the rules JSON Schema cannot say),
``explain`` (schema errors in plain words, located), ``owned`` (which fields
another system owns).  ``record.schema.json`` is the shipped default.

May import: :mod:`sortext.errors`, :mod:`sortext.files`, :mod:`sortext.record`.
"""
