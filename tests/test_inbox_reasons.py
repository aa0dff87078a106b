"""Why a note stays in the inbox is printed line by line: a refused edit's reason
(the refusal, then each diagnostic with its source line and caret) went through the
one-line terminal filter whole, and came out as one line of ``\\x0a`` escapes.  Each
line is now made visible on its own, the ones after the first indented under it, so
a line break inside the note's own text still cannot start a line of its own."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SAMPLE_TODAY
from tests.roundtripkit import copy_of

CONTROLS = ["\x01", "\x07", "\x08", "\x1b", "\x7f"]


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(control=st.sampled_from(CONTROLS))
def test_a_refused_edit_is_said_on_indented_lines(
    cli: Callable[..., Result],
    sample_base: Path,
    tmp_path_factory: pytest.TempPathFactory,
    control: str,
) -> None:
    root = copy_of(sample_base, tmp_path_factory)
    (root / "inbox").mkdir()
    note = root / "inbox" / "g.md"
    note.write_text(f"Amara: wants a follow-up\nnext: plan {control} call by 2026-11-30\n", "utf-8")
    done = cli("inbox", "--file", "--today", SAMPLE_TODAY, "--repo", str(root))
    assert done.exit_code == 1, done.output
    lines = done.output.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("left inbox/g.md: "))
    assert "refused: the change would make clients/amara-okafor.md invalid" in lines[first]
    reason = lines[first + 1 :]
    assert reason and all(line.startswith("    ") for line in reason), lines
    assert any("next_action.what: the value holds the control character" in r for r in reason)
    assert any(r.strip() == "^" for r in reason), reason  # the caret, on its own line
    assert "\\x0a" not in done.output and control not in done.output
    assert note.exists()
