"""Regenerate the README's command reference from each command's ``--help``.

The block between the two markers in README.md is written from the CLI itself
(cog-style), so the README and ``--help`` never drift; ``tests/test_help.py``
fails when they do.

    python scripts/readme_reference.py          # rewrite README.md
    python scripts/readme_reference.py --check  # exit 1 when README.md is stale
"""

from __future__ import annotations

import sys
from pathlib import Path

BEGIN = (
    "<!-- [[[reference: generated from --help by scripts/readme_reference.py; do not edit ]]] -->"
)
END = "<!-- [[[end reference]]] -->"
README = Path(__file__).resolve().parent.parent / "README.md"
WIDTH = 80


def help_text(args: list[str]) -> str:
    """``sortext ARGS --help`` as a user with an 80-column terminal sees it."""
    from click.testing import CliRunner

    from sortext.cli import main

    result = CliRunner().invoke(main, [*args, "--help"], prog_name="sortext", terminal_width=WIDTH)
    if result.exit_code != 0:
        raise RuntimeError(f"sortext {' '.join(args)} --help failed: {result.output}")
    return result.output.rstrip() + "\n"


def reference() -> str:
    """The generated block, markers included."""
    from sortext.cli import COMMANDS

    parts = [BEGIN, "", "```text", help_text([]).rstrip(), "```", ""]
    for name in sorted(COMMANDS):
        parts += [f"#### `sortext {name}`", "", "```text", help_text([name]).rstrip(), "```", ""]
    parts.append(END)
    return "\n".join(parts)


def updated(text: str) -> str:
    """``text`` (the README) with its reference block regenerated."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"README.md has no reference block ({BEGIN} ... {END})")
    return text[:start] + reference() + text[end + len(END) :]


def main(argv: list[str]) -> int:
    text = README.read_text(encoding="utf-8")
    new = updated(text)
    if "--check" in argv:
        if new != text:
            print("README.md command reference is stale: run python scripts/readme_reference.py")
            return 1
        return 0
    if new != text:
        README.write_text(new, encoding="utf-8")
        print("README.md command reference regenerated")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
