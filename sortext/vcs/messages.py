"""Commit messages that say what changed, field by field.

One record: ``jane-doe: stage proposal -> active; next_action.due 2026-11-20 ->
2026-11-27; notes +12 lines``.  Several: a subject naming them and one such
line each in the body.  The old version is HEAD's (the last commit), so the
message describes exactly what the commit changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from sortext.files.inert import clean
from sortext.rules.wording import count
from sortext.schema.validate import RecordValidator

if TYPE_CHECKING:
    from sortext.check.load import LoadResult, Preparsed

SUBJECT_IDS = 4


def record_line(
    validator: RecordValidator,
    path: str,
    old: bytes | None,
    new: bytes | None,
    moved_from: str | None,
    parsed: LoadResult | None = None,
) -> str:
    """One record's summary line (created, deleted, renamed or field changes).

    ``parsed`` is ``new`` already parsed (the watcher validated it): not parsed again.
    The line is record text made inert (:func:`sortext.files.inert.clean`): a value
    holding a newline cannot forge a message line or a trailer (``Signed-off-by:``),
    and a control or bidi character reaches ``git log`` as a visible escape."""
    return clean(_record_line(validator, path, old, new, moved_from, parsed))


def _record_line(
    validator: RecordValidator,
    path: str,
    old: bytes | None,
    new: bytes | None,
    moved_from: str | None,
    parsed: LoadResult | None = None,
) -> str:
    from sortext.check.load import parse_record, stem_of
    from sortext.record.fielddiff import body_summary, diff_data, summarize

    before = parse_record(old, moved_from or path, validator).record if old is not None else None
    if new is None:
        after = None
    else:
        after = (parsed if parsed is not None else parse_record(new, path, validator)).record
    if after is None:
        record_id = before.id if before else stem_of(path)
        return f"{record_id}: record deleted"
    if before is None:
        stage = f" (stage {after.stage})" if after.stage else ""
        return f"{after.id}: new record{stage}"
    old_data = {k: v for k, v in before.data.items() if k != "id"}
    new_data = {k: v for k, v in after.data.items() if k != "id"}
    line = summarize(after.id, diff_data(old_data, new_data), body_summary(before.body, after.body))
    if moved_from and moved_from != path:
        prefix = f"{after.id}: renamed from {moved_from}"
        rest = line.partition(": ")[2]
        return prefix if rest == "no field changes" else f"{prefix}; {rest}"
    return line


def commit_message(
    validator: RecordValidator,
    new_versions: Mapping[str, bytes | None],
    old_versions: Mapping[str, bytes | None],
    moved_from: Mapping[str, str],
    catch_up: bool = False,
    parsed: Preparsed | None = None,
) -> str:
    """The whole message for one commit of these record versions.

    ``parsed`` (path -> bytes and their LoadResult) are new versions already
    parsed; one is reused only when its bytes are the version being committed."""
    sources = {src for dest, src in moved_from.items() if dest in new_versions}
    lines = []
    ids = []
    for path in sorted(new_versions):
        if path in sources and new_versions[path] is None:
            continue  # reported as the rename of its destination
        new = new_versions[path]
        known = parsed.get(path) if parsed else None
        line = record_line(
            validator,
            path,
            old_versions.get(path),
            new,
            moved_from.get(path),
            known[1] if known is not None and known[0] == new else None,
        )
        lines.append(line)
        ids.append(line.partition(":")[0])
    if catch_up:
        subject = (
            f"catch-up: {len(lines)} record change{'s' if len(lines) != 1 else ''} "
            "saved while sortext watch was not running"
        )
        return subject + "\n\n" + "\n".join(lines) + "\n"
    if len(lines) == 1:
        return lines[0] + "\n"
    shown = ", ".join(ids[:SUBJECT_IDS]) + (", ..." if len(ids) > SUBJECT_IDS else "")
    return f"{count(len(lines), 'record')}: {shown}\n\n" + "\n".join(lines) + "\n"
