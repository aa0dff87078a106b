"""Files sortext writes, and where its own state lives.

``write`` (the one atomic writer: temp file ``.<name>.sortext-tmp-<pid>-<hex>``
in the target's folder, fsync, rename, folder fsync; compare-then-write that
refuses to clobber a file changed since it was read), ``state`` (the
``.sortext/`` folder: one object that knows every path in it), ``slug`` (the
one rule for text that becomes part of a path, and ``confined_path``, the one
way to build an output path from it), ``inert`` (text made safe before it
reaches a terminal or a log), ``codestamp`` (which build of sortext is running: the
key of every derived store).

Everything that writes a file or names a path under ``.sortext/`` goes
through here, so the temp-file name, the cleanup rule and the state layout
are each declared once.

May import: :mod:`sortext.errors` and this folder only.
"""
