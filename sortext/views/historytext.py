"""The text ``sortext history ID`` prints, shared by the Click command
(:mod:`sortext.commands.history`) and the quick path before Click
(:mod:`sortext.views.quickhistory`), so the two print the same bytes.

No Click here (nor anything that imports it): the quick path must not load it.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported on the quick path (see files.state)
if TYPE_CHECKING:
    from collections.abc import Sequence

    from sortext.vcs.history import HistoryEntry


def history_lines(entries: Sequence[HistoryEntry], zone: str | None) -> str:
    """One line per change (``day  commit  author  what``, each ending in a newline),
    joined: the text the command writes in one piece.

    ``zone``: the practice's ``timezone:`` (an IANA name; None: the author's own date),
    which decides each commit's day (:func:`sortext.vcs.midnight.commit_day`).  A line
    break inside a value is written as a visible escape (:func:`sortext.errors.one_line`),
    so a value never starts a line of its own.  Empty for no entries."""
    from sortext.errors import one_line
    from sortext.record.fielddiff import describe
    from sortext.vcs.midnight import commit_day

    lines = []
    for e in entries:
        kind = e.kind
        if kind in ("added", "removed", "changed"):
            what = describe(e.field, e.old, e.new, kind)
        elif kind == "notes":
            what = f"notes {e.new}"
        elif kind in ("created", "deleted"):
            what = f"{kind} {e.new or e.old or ''}".rstrip()
        elif kind == "unparsable":
            what = "front matter did not parse in this version (skipped)"
        elif kind == "renamed":
            what = f"renamed {e.old} -> {e.new}"
        else:
            what = f"{e.field}: {e.old} -> {e.new}"
        day = commit_day(e.date, zone)  # the practice's day of the commit
        lines.append(f"{day}  {e.commit[:8]}  {e.author}  {what}")
    if not lines:
        return ""
    text = "\n".join(lines)
    # a line break inside a line: each line made one (the common case has none: one
    # check of the whole text instead of two replacements a line)
    if "\r" in text or text.count("\n") != len(lines) - 1:
        text = "\n".join(one_line(line) for line in lines)
    return text + "\n"


def history_json(entries: Sequence[HistoryEntry], encoding: str | None) -> str:
    """``--json``'s text (no final newline): a list of objects with date, commit,
    author, field, old, new, kind, indented by 2; text ``encoding`` (the stream's, any
    spelling; None: UTF-8) lacks is JSON-escaped (:func:`sortext.files.inert.json_text`).
    Raises what ``json.dumps`` raises."""
    from sortext.files.inert import json_text

    return json_text([e.to_json() for e in entries], encoding, indent=2)
