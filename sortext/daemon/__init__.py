"""The watcher daemon: every save validated, indexed, rendered and committed.

Layout follows the pipeline: ``events`` (which filesystem events matter),
``debounce`` (wait for a path to go quiet), ``pipeline`` (one settled batch:
validate, render, commit), ``gitops`` (git plumbing that lives beside the
user's own git use), ``lock`` (one daemon per repository), ``push`` (backup in
the background), ``state`` (what ``sortext status`` reads), ``service`` (the
main loop).
"""
