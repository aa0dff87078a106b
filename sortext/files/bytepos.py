"""Where a byte offset of a file is, as a person finds it in an editor.

A decoder reports *byte* offsets (``UnicodeDecodeError.start``); a message must
say ``path:line:column`` like every other problem sortext reports.
"""

from __future__ import annotations


def line_column(raw: bytes, offset: int, codec: str = "utf-8") -> tuple[int, int]:
    """``(line, column)``, both 1-based, of byte ``offset`` in ``raw``.

    Lines end at ``\\n``, ``\\r\\n`` or a lone ``\\r`` (old Mac spreadsheets); the
    column counts characters of ``codec`` before the offset (undecodable bytes
    count one each), not bytes, and a byte-order mark at the start is not counted.
    An ``offset`` beyond the end is taken as the end.
    """
    before = raw[: max(0, offset)].decode(codec, "replace").removeprefix("\ufeff")
    before = before.replace("\r\n", "\n").replace("\r", "\n")
    start = before.rfind("\n") + 1
    return before.count("\n") + 1, len(before) - start + 1
