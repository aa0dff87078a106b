"""Files sortext writes, and where its own state lives.

``write`` (the one atomic writer: temp file ``.<name>.sortext-tmp-<pid>-<hex>``
in the target's folder, fsync, rename, folder fsync; compare-then-write that
refuses to clobber a file changed since it was read), ``state`` (the
``.sortext/`` folder: one object that knows every path in it).

Everything that writes a file or names a path under ``.sortext/`` goes
through here, so the temp-file name, the cleanup rule and the state layout
are each declared once.

May import: :mod:`sortext.errors` and this folder only.
"""
