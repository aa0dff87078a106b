"""The per-record parse and validation of a cold check or build, in one process.

    python -m bench.parse_bench REPO [--runs 5]

Reads every ``clients/*.md`` of REPO (a ``bench/gen_pages.py`` repository) into
memory, compiles the record validator, then times
:func:`sortext.check.load.parse_record` over all of them ``--runs`` times (CPU
seconds of this thread) and prints the minimum and the median per record.  No file
is read or written while timing, and REPO is not changed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    from sortext.check.load import parse_record
    from sortext.schema.config import load_config
    from sortext.schema.validate import RecordValidator

    validator = RecordValidator(load_config(args.repo))
    validator.prepare()
    validator.tombstones()
    files = sorted((args.repo / "clients").glob("*.md"))
    raws = [(path.read_bytes(), f"clients/{path.name}") for path in files]
    if not raws:
        raise SystemExit(f"{args.repo}: no clients/*.md")
    parse_record(*raws[0], validator)  # lazy imports
    samples = []
    for _ in range(args.runs):
        start = time.thread_time()
        for raw, shown in raws:
            parse_record(raw, shown, validator)
        samples.append((time.thread_time() - start) / len(raws) * 1e6)
    print(
        f"parse_record, {len(raws):,} records: min {min(samples):.0f} us a record, "
        f"median {statistics.median(samples):.0f} (of {args.runs} runs)"
    )


if __name__ == "__main__":
    main()
