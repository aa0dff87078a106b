"""A value typed on the command line and quoted back in an error stays on one line.

Found breaking the date change of round 15: ``sortext money --month $'2026-11\\n'``
printed ``Invalid value for --month: '2026-11`` and then ``' is not a month`` on a
line of its own: a line break in a typed value started a line of the error, past
the per-line cleaning that makes control characters visible (a value can so print a
line that looks like sortext's own).  Every usage error about a value (Click's
``BadParameter``, its hint too) and the messages quoting ``set``'s, ``--since``'s,
``--at``'s and ``--out``'s text now show a break as ``\\x0a`` / ``\\x0d``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SAMPLE_TODAY

AMARA = "amara-okafor"
WORD = st.text(alphabet="0123456789-abcXYZ /", min_size=1, max_size=8)
BREAK = st.sampled_from(["\n", "\r", "\r\n"])


def _commands(value: str, repo: str) -> list[tuple[str, ...]]:
    return [
        ("pay", AMARA, "INV-2026-058", "--on", value, "--repo", repo),
        ("log", AMARA, "--focus", "x", "--on", value, "--repo", repo),
        ("money", "--month", value, "--repo", repo),
        ("next", "--today", value, "--repo", repo),
        ("changes", "--since", value, "--repo", repo),
        ("restore", AMARA, "--at", f"2026-11-2{value[-1:]}\n", "--repo", repo),
        ("set", AMARA, value, "--repo", repo),
        ("set", AMARA, f"{value}=[", "--repo", repo),
    ]


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(head=WORD, cut=BREAK, tail=WORD, which=st.integers(min_value=0, max_value=7))
def test_a_line_break_in_a_typed_value_is_shown_not_printed(
    cli: Callable[..., Result], records_repo: Path, head: str, cut: str, tail: str, which: int
) -> None:
    value = f"{head}{cut}{tail}"
    args = _commands(value, str(records_repo))[which]
    typed = next(a for a in args[1:] if "\n" in a or "\r" in a)
    done = cli(*args, env={"SORTEXT_TODAY": SAMPLE_TODAY})
    assert done.exit_code != 0, done.output
    assert "Traceback" not in done.output
    # the typed value's own line break never ends a line of the output
    lines = done.output.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    last = typed.replace("\r\n", "\n").replace("\r", "\n").split("\n")[-1]
    assert not any(line.startswith(last) for line in lines if last.strip()), done.output
    assert "\\x0a" in done.output or "\\x0d" in done.output, done.output
