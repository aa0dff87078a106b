"""What the index's record blob holds and what other ways of storing it would cost.

    python -m bench.blob_bench REPO [--rounds 9]

REPO is a records repository with an index (``sortext build`` run in it, e.g. a
copy of ``bench/gen_pages.py`` output).  Prints, for its stored blobs
(``records.doc``: front matter JSON, a NUL, the notes; zlib with ``PACK_DICT``):

1. what they hold: the JSON and the notes before and after compression;
2. each way of compressing them (both together at zlib levels 1-4, apart with the
   notes at a cheaper level, the JSON left raw): thread CPU a record (best of
   ``--rounds``, the ways interleaved) and the bytes against today's;
3. what the readers pay a record: the whole blob decompressed, a JSON-only blob,
   the blob and ``json.loads``, and the record file read with its sha256 checked
   against the index's (what reading the notes back from the file would cost).

See "The record blob" in docs/performance.md for the figures and the reasons.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sqlite3
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sortext.store.index import PACK_DICT, PACK_LEVEL, _unpack_doc  # noqa: E402


def _pack(raw: bytes, level: int) -> bytes:
    packer = zlib.compressobj(level, zdict=PACK_DICT)
    return packer.compress(raw) + packer.flush()


def _best(work: Callable[[], object], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.thread_time()
        work()
        best = min(best, time.thread_time() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", type=Path)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    db = (args.repo / ".sortext" / "index.sqlite").resolve()
    conn = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True)
    rows = conn.execute(
        "SELECT r.path, r.doc, f.hash FROM records r JOIN files f USING (path) "
        "WHERE r.doc IS NOT NULL AND f.stale = 0 ORDER BY r.path"
    ).fetchall()
    conn.close()
    if not rows:
        raise SystemExit(f"{args.repo}: no stored records (run sortext build there first)")
    count = len(rows)
    split = [_unpack_doc(doc) for _, doc, _ in rows]
    js = [data.encode() for data, _ in split]
    notes = [body.encode() for _, body in split]
    now = sum(len(doc) for _, doc, _ in rows)
    print(f"{count} records; blobs {now:,} bytes (level {PACK_LEVEL})")
    print(
        f"JSON {sum(map(len, js)):,} bytes raw, {sum(len(_pack(j, 4)) for j in js):,} alone at "
        f"level 4; notes {sum(map(len, notes)):,} raw, "
        f"{sum(len(_pack(n, 4)) for n in notes):,} alone at level 4"
    )

    def together(level: int) -> Callable[[], list[bytes]]:
        return lambda: [_pack(j + b"\0" + n, level) for j, n in zip(js, notes, strict=True)]

    def apart(json_level: int, notes_level: int) -> Callable[[], list[bytes]]:
        return lambda: [
            _pack(j, json_level) + _pack(n, notes_level) for j, n in zip(js, notes, strict=True)
        ]

    ways: dict[str, Callable[[], list[bytes]]] = {
        f"together, level {level}": together(level) for level in (4, 3, 2, 1)
    }
    ways |= {f"JSON level 4 + notes level {lv}": apart(4, lv) for lv in (4, 3, 2, 1)}
    ways["JSON raw + notes level 4"] = lambda: [
        j + _pack(n, 4) for j, n in zip(js, notes, strict=True)
    ]
    spent = {name: float("inf") for name in ways}
    size: dict[str, int] = {}
    for _ in range(args.rounds):
        for name, way in ways.items():
            start = time.thread_time()
            out = way()
            spent[name] = min(spent[name], time.thread_time() - start)
            size[name] = sum(map(len, out))
    base = size["together, level 4"]
    print(f"\n{'way':32} {'us/record':>9} {'bytes':>12} {'vs now':>10}")
    for name in ways:
        print(
            f"{name:32} {spent[name] * 1e6 / count:9.1f} {size[name]:12,} {size[name] - base:+10,}"
        )

    docs = [doc for _, doc, _ in rows]
    json_only = [_pack(j, 4) for j in js]

    def decompress(blobs: list[bytes]) -> Callable[[], None]:
        def run() -> None:
            for blob in blobs:
                unpacker = zlib.decompressobj(zdict=PACK_DICT)
                (unpacker.decompress(blob) + unpacker.flush()).decode()

        return run

    def with_loads() -> None:
        for doc in docs:
            json.loads(_unpack_doc(doc)[0])

    def from_files() -> None:
        for path, _, digest in rows:
            raw = (args.repo / path).read_bytes()
            if hashlib.sha256(raw).hexdigest() != digest:
                raise SystemExit(f"{path} changed since it was indexed: run sortext build")
            raw.decode("utf-8")

    readers: dict[str, Callable[[], None]] = {
        "whole blob decompressed": decompress(docs),
        "JSON-only blob decompressed": decompress(json_only),
        "blob decompressed + json.loads": with_loads,
        "record file read + sha256 checked": from_files,
    }
    print(f"\n{'reader':36} {'us/record':>9}")
    for name, reader in readers.items():
        print(f"{name:36} {_best(reader, 3) * 1e6 / count:9.1f}")


if __name__ == "__main__":
    main()
