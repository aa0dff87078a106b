"""``sortext invoice --dry-run`` says the amount the real run writes.

Found breaking round 14: ``sortext invoice amara-okafor 00840 --dry-run``
said "would be invoice ... of 00840" while the record gets ``amount: 840``
(``99.50`` is written ``99.5``): the summary echoed the amount as typed.  It
now says what the record holds, with the currency written: the dry run's
line is the real run's, word for word, and both quote the written item.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.record.yamlread import load_fast
from tests.conftest import SAMPLE_TODAY, sample_records

AMARA = "amara-okafor"  # billing.currency GBP


def _run(cli: Callable[..., Result], repo: Path, *args: str) -> Result:
    return cli("invoice", AMARA, *args, "--repo", str(repo), env={"SORTEXT_TODAY": SAMPLE_TODAY})


def _summary(result: Result) -> str:
    (line,) = [x for x in result.output.splitlines() if " invoice INV-" in x]
    return line.replace("would be invoice", "invoice").replace("; dry run, nothing written", "")


def test_a_zero_padded_amount_is_said_as_written(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    dry = _run(cli, records_repo, "00840", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert " of 840 GBP issued " in dry.output and "00840" not in dry.output
    real = _run(cli, records_repo, "00840")
    assert real.exit_code == 0, real.output
    assert _summary(real) == _summary(dry)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_records(tmp_path_factory.mktemp("inv") / "records")


_AMOUNTS = st.builds(
    lambda zeros, whole, frac: "0" * zeros + str(whole) + (f".{frac}" if frac is not None else ""),
    st.integers(min_value=0, max_value=3),
    st.integers(min_value=0, max_value=99999),
    st.one_of(st.none(), st.sampled_from(["0", "00", "5", "50", "05", "99"])),
).filter(lambda t: float(t) > 0)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(amount=_AMOUNTS)
def test_property_the_dry_run_says_the_amount_the_record_gets(
    cli: Callable[..., Result], base: Path, tmp_path_factory: pytest.TempPathFactory, amount: str
) -> None:
    root = tmp_path_factory.mktemp("run") / "records"
    shutil.copytree(base, root, symlinks=True)
    dry = _run(cli, root, amount, "--dry-run")
    assert dry.exit_code == 0, dry.output
    real = _run(cli, root, amount)
    assert real.exit_code == 0, real.output
    assert _summary(real) == _summary(dry)
    text = (root / "clients" / f"{AMARA}.md").read_text()
    data = load_fast(text.split("---\n", 2)[1], "x")
    assert isinstance(data, dict)
    written = data["invoices"][-1]["amount"]
    said = re.search(r" of (\S+) GBP issued ", _summary(dry))
    assert said is not None and said.group(1) == str(written), (amount, dry.output)


def test_the_assistants_invoice_preview_says_the_written_amount(records_repo: Path) -> None:
    from tests.test_mcp import calls, data

    (result,) = calls(records_repo, ("preview_invoice", {"id": AMARA, "amount": "00840.50"}))
    assert not result.is_error
    preview = data(result)
    assert preview["what"].startswith("invoice of 840.5 GBP issued "), preview["what"]
    assert "amount: 840.5," in preview["diff"]
