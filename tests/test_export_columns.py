"""``export csv --columns`` takes built-in column names or dotted record paths; a
name that is neither (a typo, ``billing.rtae``) was written as a column of empty
cells without a word.  Like ``list --sort``, a column no record can hold is a usage
error (exit 2) naming the known columns, with a did-you-mean; a field of the record
schema (custom fields and ``links.*`` included) that no client has is still fine."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.io.export import CSV_COLUMNS, export_columns
from sortext.repo import open_repository
from sortext.schema.effective import effective_schema


def export(cli: Callable[..., Result], repo: Path, columns: str) -> Result:
    return cli("export", "csv", "--columns", columns, "--repo", str(repo))


def test_a_typo_in_columns_is_a_usage_error(cli: Callable[..., Result], records_repo: Path) -> None:
    done = export(cli, records_repo, "id,name,billing.rtae")
    assert done.exit_code == 2, done.output
    assert "--columns: unknown column 'billing.rtae'" in done.output
    assert "did you mean 'billing.rate'?" in done.output
    assert "Traceback" not in done.output


def test_fields_mappings_lists_and_open_maps_are_columns(
    cli: Callable[..., Result], records_repo: Path
) -> None:
    done = export(
        cli, records_repo, "id,next_action,billing.rate,sessions,links.contract,links.anything"
    )
    assert done.exit_code == 0, done.output
    assert done.stdout.splitlines()[0] == (
        "id,next_action,billing.rate,sessions,links.contract,links.anything"
    )


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    name=st.text(alphabet="abcdefghijklmnopqrstuvwxyz._", min_size=1, max_size=14).filter(
        lambda n: not n.startswith("links.")
    )
)
def test_a_column_is_known_exactly_when_the_schema_or_the_builtins_have_it(
    records_repo: Path, name: str
) -> None:
    repo = open_repository(records_repo)
    known, open_maps = export_columns(effective_schema(repo.config))
    assert set(CSV_COLUMNS) <= set(known)
    from sortext.errors import UnknownValue
    from sortext.io.export import check_columns

    try:
        check_columns([name], effective_schema(repo.config))
    except UnknownValue:
        assert name not in known
    else:
        assert name in known or any(name.startswith(m + ".") for m in open_maps)


def test_a_configured_export_with_an_unknown_column_is_a_config_error(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    """``exports: {PATH: {format: csv, columns: [...]}}`` is checked the same way: the
    build (which writes configured exports) stops with the setting named, instead of
    writing a column of empty cells on every save."""
    import datetime as dt

    import pytest

    from sortext.errors import ConfigError
    from sortext.io.export import write_configured_exports

    config = records_repo / "sortext.yaml"
    config.write_text(
        config.read_text()
        + "\nexports:\n  exports/c.csv: {format: csv, columns: [id, billing.rtae]}\n"
    )
    repo = open_repository(records_repo)
    with pytest.raises(ConfigError, match=r"exports\.exports/c\.csv: columns: unknown column"):
        write_configured_exports(repo, dt.date(2026, 11, 23))
    assert not (records_repo / "exports" / "c.csv").exists()


def test_default_columns_leave_out_custom_fields_inside_list_entries(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    """A custom field of each session (``sessions.location``) has one value per
    session, not per client: the default CSV had a column for it that was always
    empty.  A custom field inside a mapping (``billing.cost_centre``) is a column."""
    config = records_repo / "sortext.yaml"
    config.write_text(
        config.read_text().replace(
            "custom_fields: {}\n",
            "custom_fields:\n  sessions.location: {values: [online, office]}\n"
            "  billing.cost_centre: {type: string}\n  referral: {type: string}\n",
        )
    )
    done = cli("export", "csv", "--repo", str(records_repo))
    assert done.exit_code == 0, done.output
    header = done.stdout.splitlines()[0].split(",")
    assert "sessions.location" not in header, header
    assert header[-2:] == ["billing.cost_centre", "referral"], header
