"""Find merge-conflict markers in a record, name the fields, settle them.

A front matter with markers does not parse as YAML, so this runs before the
YAML parser: each marked block is read both ways ('ours' everywhere, then
'theirs' for this block only) and the two parses are compared to name the
field and both values.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from sortext.errors import UsageError
from sortext.record.diagnostics import Diagnostic
from sortext.record.fielddiff import FieldChange, diff_data, field_matches, value_at

Side = Literal["ours", "theirs"]


@dataclass(frozen=True, slots=True)
class Hunk:
    """A ``<<<<<<<`` ... ``=======`` ... ``>>>>>>>`` block; line indexes are 0-based.
    ``base``: the ``|||||||`` line of git's diff3 / zdiff3 style (``merge.conflictStyle``),
    whose section (the common ancestor's lines) is neither side; None without one."""

    start: int
    middle: int
    end: int
    in_notes: bool
    base: int | None = None

    def lines_of(self, lines: list[str], which: Side) -> list[str]:
        if which == "ours":
            return lines[self.start + 1 : self.middle if self.base is None else self.base]
        return lines[self.middle + 1 : self.end]


def find_hunks(text: str) -> list[Hunk]:
    """Conflict blocks in ``text``, in git's merge, diff3 and zdiff3 styles."""
    lines = text.split("\n")
    fence_end = _front_matter_end(lines)
    hunks: list[Hunk] = []
    i = 0
    while i < len(lines):
        if lines[i].startswith("<<<<<<<"):
            middle = next((j for j in range(i + 1, len(lines)) if lines[j] == "======="), None)
            if middle is None:
                break
            end = next(
                (j for j in range(middle + 1, len(lines)) if lines[j].startswith(">>>>>>>")),
                None,
            )
            if end is None:
                break
            base = next((j for j in range(i + 1, middle) if lines[j].startswith("|||||||")), None)
            hunks.append(Hunk(i, middle, end, fence_end is not None and i > fence_end, base))
            i = end + 1
        else:
            i += 1
    return hunks


def _front_matter_end(lines: list[str]) -> int | None:
    if not lines or lines[0].rstrip() != "---":
        return None
    return next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)


def settle(text: str, choices: dict[int, Side | list[str]], default: Side | None = "ours") -> str:
    """``text`` with hunk ``i`` replaced by ``choices[i]`` (a side or new lines);
    other hunks take ``default`` (None: left as they are, markers included)."""
    lines = text.split("\n")
    out: list[str] = []
    pos = 0
    for i, hunk in enumerate(find_hunks(text)):
        out.extend(lines[pos : hunk.start])
        choice = choices.get(i, default)
        if choice is None:
            out.extend(lines[hunk.start : hunk.end + 1])
        else:
            out.extend(choice if isinstance(choice, list) else hunk.lines_of(lines, choice))
        pos = hunk.end + 1
    out.extend(lines[pos:])
    return "\n".join(out)


def _side_data(text: str) -> dict[str, Any] | None:
    """The front matter of one side of a conflict as JSON data, or None if it does not parse
    (explaining a conflict needs the values, not a judgement of the record)."""
    from sortext.record.peek import front_matter

    return front_matter(text.replace("\r\n", "\n"))


def hunk_changes(text: str) -> list[tuple[Hunk, list[FieldChange]]]:
    """Each conflict block with the field differences it holds (ours -> theirs)."""
    hunks = find_hunks(text)
    all_ours = _side_data(settle(text, {}))
    out: list[tuple[Hunk, list[FieldChange]]] = []
    for i, hunk in enumerate(hunks):
        if hunk.in_notes:
            out.append((hunk, []))
            continue
        theirs = _side_data(settle(text, {i: "theirs"}))
        if all_ours is None or theirs is None:
            out.append((hunk, []))
            continue
        out.append((hunk, diff_data(all_ours, theirs)))
    return out


def _show(value: Any) -> str:
    if value is None:
        return "(absent)"
    if isinstance(value, str):
        return f"'{value}'"
    return json.dumps(value, ensure_ascii=False)


def conflict_diagnostics(text: str, display: str, record_id: str) -> list[Diagnostic]:
    """One error per conflicting field (or notes block), naming both values."""
    lines = text.split("\n")
    out: list[Diagnostic] = []
    for hunk, changes in hunk_changes(text):
        line = hunk.start + 1
        shown = lines[hunk.start]
        if hunk.in_notes:
            out.append(
                Diagnostic(
                    display,
                    line,
                    1,
                    "notes",
                    "merge conflict in the notes: keep the lines you want and delete the "
                    f"marker lines, or settle it with: sortext resolve {record_id} notes "
                    "--take ours|theirs|both",
                    "error",
                    shown,
                )
            )
            continue
        if not changes:
            out.append(
                Diagnostic(
                    display,
                    line,
                    1,
                    "",
                    "merge conflict markers in the front matter: keep one side and delete "
                    "the lines '<<<<<<<', '=======' and '>>>>>>>'",
                    "error",
                    shown,
                )
            )
        for change in changes:
            out.append(
                Diagnostic(
                    display,
                    line,
                    1,
                    change.path,
                    f"merge conflict: ours {_show(change.old)}, theirs {_show(change.new)}; "
                    f"settle it with: sortext resolve {record_id} {change.path} "
                    "--take ours|theirs|VALUE",
                    "error",
                    shown,
                )
            )
    return out


def has_markers(text: str) -> bool:
    return bool(_MARKER.search(text)) and bool(find_hunks(text))


_MARKER = re.compile(r"^<<<<<<<", re.MULTILINE)


def _both(hunk: Hunk, lines: list[str]) -> list[str]:
    """Our lines, then theirs (a blank line between), without repeating shared lines."""
    ours, theirs = hunk.lines_of(lines, "ours"), hunk.lines_of(lines, "theirs")
    while ours and not ours[-1].strip():
        ours = ours[:-1]
    extra = theirs if theirs[: len(ours)] != ours else theirs[len(ours) :]
    while extra and not extra[0].strip():
        extra = extra[1:]
    return [*ours, "", *extra] if ours and extra else [*ours, *extra]


def resolve(text: str, record_id: str, fld: str, take: str) -> str:
    """Settle the conflict on ``fld`` with 'ours', 'theirs', 'both' (notes) or a VALUE.

    Other conflicts stay marked.  Raises UsageError when ``fld`` is not in conflict.
    """
    found = hunk_changes(text)
    if fld == "notes":
        targets = [i for i, (h, _) in enumerate(found) if h.in_notes]
    else:
        targets = [
            i
            for i, (_, changes) in enumerate(found)
            if any(field_matches(c.path, fld) or field_matches(fld, c.path) for c in changes)
        ]
    if not targets:
        named = sorted(
            {c.path for _, cs in found for c in cs}
            | ({"notes"} if any(h.in_notes for h, _ in found) else set())
        )
        listed = ", ".join(named) if named else "none"
        raise UsageError(f"{record_id}: no merge conflict on '{fld}' (conflicts: {listed})")
    if fld != "notes" and len(targets) == 1:
        hunk, changes = found[targets[0]]
        others = [c.path for c in changes if not field_matches(c.path, fld)]
        if others and take != "both":  # the block holds other fields in conflict too
            return _settle_field(text, record_id, targets[0], hunk, fld, take, others)
    if take in ("ours", "theirs"):
        side: Side = "ours" if take == "ours" else "theirs"
        return settle(text, dict.fromkeys(targets, side), default=None)
    if take == "both":
        if fld != "notes":
            raise UsageError(
                "--take both keeps both sides of the notes; for a field take ours, theirs "
                "or a VALUE (the text 'both' itself: --take '\"both\"')"
            )
        lines = text.split("\n")
        return settle(text, {i: _both(found[i][0], lines) for i in targets}, default=None)
    if fld == "notes" or len(targets) != 1:
        raise UsageError(
            "notes conflicts take 'ours', 'theirs' or 'both'; then edit the notes by hand"
        )
    return _set_value(text, targets[0], found[targets[0]][0], fld, take)


def _value_pattern(key: str) -> re.Pattern[str]:
    """``key: value`` in a block or flow mapping line; group 3 is the value's text."""
    value_end = r"(?=[ \t]*(?:[,}]|#|$))"
    return re.compile(rf"(^|[\s{{,])({re.escape(key)}:[ \t]*)([^,}}#\n]*?){value_end}")


def _settle_field(
    text: str, record_id: str, index: int, hunk: Hunk, fld: str, take: str, others: list[str]
) -> str:
    """Settle ``fld`` alone in conflict block ``index``, which holds ``others`` (field
    paths) in conflict too: both sides of the block get the value taken (our value's
    text, theirs, or VALUE), so the block still offers the other fields both ways; a
    block whose sides then agree is settled.  A value that is not one line of text
    (a list, a section) cannot be split off: UsageError naming the whole entry."""
    lines = text.split("\n")
    key = re.split(r"[.\[]", fld)[-1] if not fld.endswith("]") else None
    pattern = _value_pattern(key) if key else None
    sides: tuple[Side, Side] = ("ours", "theirs")
    whole = fld.rsplit(".", 1)[0] if "." in fld else fld  # the entry holding the field
    refusal = UsageError(
        f"{fld} is in one conflict block with {', '.join(others)}: settle them together "
        f"(sortext resolve {record_id} {whole} --take ours|theirs), or edit the file"
    )
    if pattern is None:
        raise refusal
    before = {which: _side_data(settle(text, {index: which}, "ours")) for which in sides}
    if before["ours"] is None or before["theirs"] is None:
        raise refusal
    if take in sides:
        wanted = value_at(before[take], fld)
        value_text = next(
            (
                m.group(3)
                for line in hunk.lines_of(lines, take)
                for m in [pattern.search(line)]
                if m is not None
            ),
            None,
        )
        if value_text is None:
            raise refusal
    else:
        from sortext.record.values import normalize
        from sortext.record.yamlread import load_fast

        value_text, wanted = take, load_fast(take)
        if isinstance(wanted, Diagnostic | dict | list):
            raise UsageError(
                f"VALUE for {fld} must be a single value (text, number, date); "
                "for lists and sections take 'ours' or 'theirs', then edit the file"
            )
        wanted = normalize(wanted)
    blocks: dict[Side, list[str]] = {}
    for which in sides:
        block = hunk.lines_of(lines, which)
        old = before[which]
        for n, line in enumerate(block):
            new_line, count = pattern.subn(lambda m: m.group(1) + m.group(2) + value_text, line, 1)
            if not count:
                continue
            candidate = [*block[:n], new_line, *block[n + 1 :]]
            parsed = _side_data(settle(text, {index: candidate}, "ours"))
            if parsed is None or value_at(parsed, fld) != wanted:
                continue
            if all(field_matches(c.path, fld) for c in diff_data(old, parsed)):
                blocks[which] = candidate
                break
        if which not in blocks:
            raise refusal
    if blocks["ours"] == blocks["theirs"]:
        return settle(text, {index: blocks["ours"]}, default=None)
    marked = [
        lines[hunk.start],
        *blocks["ours"],
        lines[hunk.middle],
        *blocks["theirs"],
        lines[hunk.end],
    ]
    return settle(text, {index: marked}, default=None)


def _set_value(text: str, index: int, hunk: Hunk, fld: str, value_text: str) -> str:
    from sortext.record.values import normalize
    from sortext.record.yamlread import load_fast

    wanted = load_fast(value_text)
    if isinstance(wanted, Diagnostic | dict | list):
        raise UsageError(
            f"VALUE for {fld} must be a single value (text, number, date); "
            "for lists and sections take 'ours' or 'theirs', then edit the file"
        )
    wanted = normalize(wanted)
    key = re.split(r"[.\[]", fld.rstrip("]"))[-1] if not fld.endswith("]") else None
    if key is None:
        raise UsageError(f"{fld} is a whole entry: take 'ours' or 'theirs', then edit the file")
    lines = text.split("\n")
    pattern = _value_pattern(key)
    sides: tuple[Side, Side] = ("ours", "theirs")
    for which in sides:
        block = hunk.lines_of(lines, which)
        for n, line in enumerate(block):
            new_line, count = pattern.subn(lambda m: m.group(1) + m.group(2) + value_text, line, 1)
            if not count:
                continue
            candidate = settle(text, {index: [*block[:n], new_line, *block[n + 1 :]]}, None)
            parsed = _side_data(settle(candidate, {}))
            if parsed is not None and value_at(parsed, fld) == wanted:
                return candidate
    raise UsageError(
        f"could not write {value_text!r} into {fld}; take 'ours' or 'theirs', then edit the file"
    )
