"""The key of what is derived from the history reaching HEAD (the stage clock, a
remembered answer that shows time in stage): HEAD's commit id and the history mark.

Read from git's files (:mod:`sortext.vcs.headref`, no process) when they settle it;
when they do not (replace refs exist, whose use git's configuration decides:
``core.useReplaceRefs`` from any config file or ``git -c``; or the environment moves
the files git reads), git is asked (:func:`sortext.vcs.git.shallow_mark`, a process
or three, only then).  Apart from :mod:`sortext.vcs.headref` so that neither it nor
the git layer imports the other's way back.
"""

from __future__ import annotations

from pathlib import Path

from sortext.vcs.headref import head_id, is_commit_id, shallow_suffix


def history_id(root: Path) -> str | None:
    """HEAD's commit id followed by its history mark (``""`` or ``"~<digest>"``); the
    markers of :func:`sortext.vcs.headref.head_id` (no repository, unborn) get None
    when git's files do not settle the mark; None when HEAD cannot be read."""
    head = head_id(root)
    if head is None:
        return None
    suffix = shallow_suffix(root)
    if suffix is None and is_commit_id(head):
        from sortext.vcs.git import shallow_mark

        mark = shallow_mark(root)
        suffix = None if mark.startswith("unreadable") else mark
    return None if suffix is None else head + suffix
