"""Git: the audit trail, the backup and the way two machines meet.

``commit`` (commit exactly the validated bytes beside the user's own git use),
``messages`` (field-level commit messages), ``log`` (history read in one
``git log`` and batched blobs), ``versions`` (a record as it was in a
revision), ``history`` (one client's field history), ``changes`` (what changed
since a date), ``stagefacts`` (time in stage), ``merge`` (the field-aware merge
driver), ``sync``, ``backup``, ``restore``, ``scaffold`` (``init`` and
``install``: a repository and sortext's git settings), ``staged`` (the staged
records ``check --staged`` reads), ``window`` (the "since last week" window
from git), ``headref`` (HEAD's commit read from git's ref files, for a
quick query's cache key), ``erase`` and ``anonymise`` (the one history rewrite;
with ``erasenotes``, git notes through it, ``eraseidentity``, whose commits lose
the client's name, and ``erasetext``, the client's sentences looked for after it),
``derived`` (the registry of derived-data stores erase reaches), ``midnight``
(the practice's clock: the one module that reads "now" and "today", in
``timezone:``, or ``SORTEXT_NOW``).  Every git call
goes through ``git`` (the one git layer: GitPython, imported lazily, plus plain
processes for the hot paths; one environment, timeout and error policy).

May import: everything below it (:mod:`sortext.errors` to :mod:`sortext.store`).
"""
