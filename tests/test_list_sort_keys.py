"""``sortext list --sort KEY`` says when a key orders nothing (edges7, item 5).

``--sort`` accepted any key: a typo (``--sort rate``) or a key no record holds left
the list in name order and said nothing.  What sortext does now (as ``--tag`` and
``--owner`` with a value nobody uses, and as sqlite-utils' ``--order`` with no
such column): a key no record can hold (not a field of the record schema, custom
fields included, nor a named ordering; or a mapping of fields such as
``next_action``) is a usage error, exit 2, naming the key and the known keys with
a did-you-mean; a field records can hold but no listed client has is a warning on
stderr (the list is in name order), exit 0.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.cli import main
from sortext.schema.effective import default_schema
from sortext.views.filters import NAMED_SORTS, sort_fields
from tests.conftest import SAMPLE_TODAY, sample_records

Cli = Callable[..., Result]
FIELDS, OPEN_MAPS = sort_fields(default_schema())


def _list(root: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["list", "--repo", str(root), "--today", SAMPLE_TODAY, *args])


def test_a_key_no_record_can_hold_is_an_error_with_the_known_keys(records_repo: Path) -> None:
    result = _list(records_repo, "--sort", "rate")
    assert result.exit_code == 2
    assert "--sort: unknown sort key 'rate'" in result.stderr
    assert "billing.rate" in result.stderr and "in_stage" in result.stderr
    assert "did you mean 'billing.rate'?" in result.stderr
    assert result.stdout == ""


def test_a_mapping_is_no_sort_key(records_repo: Path) -> None:
    result = _list(records_repo, "--sort", "-next_action")
    assert result.exit_code == 2
    assert "did you mean 'next_action.due'?" in result.stderr


def test_a_field_no_listed_client_has_is_a_warning_and_the_name_order(
    records_repo: Path,
) -> None:
    plain = _list(records_repo)
    for key in ("links.nothing", "-links.other"):
        result = _list(records_repo, "--sort", key)
        assert result.exit_code == 0, result.output
        name = key.lstrip("-")
        assert result.stderr == (
            f"sortext: warning: --sort {name}: no client listed has {name}, "
            "so the list is in name order\n"
        )
        assert result.stdout == plain.stdout
    again = _list(records_repo, "--sort", "links.nothing")  # a remembered answer, replayed
    assert "warning: --sort links.nothing" in again.stderr


def test_a_field_some_clients_have_orders_them_without_a_word(records_repo: Path) -> None:
    result = _list(records_repo, "--sort", "-billing.rate", "--json")
    assert result.exit_code == 0 and result.stderr == ""
    plain = _list(records_repo, "--json")
    assert result.stdout != plain.stdout


def test_a_custom_field_is_a_sort_key(records_repo: Path) -> None:
    config = records_repo / "sortext.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace("custom_fields: {}", "custom_fields: {referral: {type: string}}"),
        encoding="utf-8",
    )
    result = _list(records_repo, "--sort", "referral")
    assert result.exit_code == 0, result.output
    assert "no client listed has referral" in result.stderr


key_st = st.one_of(
    st.sampled_from([*NAMED_SORTS, *FIELDS, "links.x", "next_action", "billing", "links"]),
    st.text(st.sampled_from("abcdilnrtx._-"), min_size=1, max_size=14),
)


@settings(max_examples=40, deadline=None)
@given(key_st, st.booleans())
def test_any_key_is_sorted_by_or_refused_never_silently_ignored(key: str, reverse: bool) -> None:
    """Any key: refused (exit 2, naming it) exactly when no record can hold it; else
    listed (exit 0), with the warning only when the order is the name order."""
    with tempfile.TemporaryDirectory() as tmp:
        root = sample_records(Path(tmp) / "records")
        sort = ("-" if reverse else "") + key
        result = _list(root, "--sort", sort)
        assert result.exception is None or isinstance(result.exception, SystemExit)
        name = sort.removeprefix("-")  # one '-' reverses; '--name' is no key
        path = name.split(".")
        holdable = (
            name in NAMED_SORTS
            or name in FIELDS
            or (len(path) > 1 and all(path) and any(name.startswith(m + ".") for m in OPEN_MAPS))
        )
        if not holdable:
            assert result.exit_code == 2, (sort, result.output)
            shown = sort if not name or name.startswith("-") else name
            assert f"unknown sort key '{shown}'" in result.stderr
            return
        assert result.exit_code == 0, (sort, result.output)
        if "no client listed has" in result.stderr:
            assert name not in NAMED_SORTS
            assert result.stdout == _list(root).stdout
