"""The watcher daemon: every save validated, indexed, rendered and committed.

Layout follows the pipeline: ``events`` (which filesystem events matter),
``debounce`` (wait for a path to go quiet), ``pipeline`` (one settled batch:
validate, render, commit), ``renderer`` (pages and exports for a batch),
``lock`` (one daemon per repository), ``push`` (backup in the background),
``leftovers`` (temp files a killed process left), ``state`` and ``status``
(what ``sortext status`` reads), ``service`` (the main loop).  The git
plumbing it commits with is :mod:`sortext.vcs.commit`.

May import: everything below it (:mod:`sortext.errors` to :mod:`sortext.io`).
"""
