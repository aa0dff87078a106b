"""Arguments and settings at their extremes get a clear error, never ``internal error``.

Found by trying the restructured tree and ``sortext mcp`` as a newcomer would:
rule thresholds in ``sortext.yaml`` were not validated (a negative, text or list
threshold crashed ``build``, ``list --at-risk`` and the watcher's pages);
``--since 99999999d`` overflowed the date; a long name gave a file name the OS
refuses; an edit that made the front matter larger than the reader's limit hit an
``assert``.  Each is reached both from the CLI and from the MCP tools.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.check.load import Record, parse_record
from sortext.edit.emit import EditRefused
from sortext.edit.roundtrip import RecordEditor
from sortext.errors import ConfigError, UsageError
from sortext.files.slug import MAX_SLUG, is_slug, slugify
from sortext.record.split import MAX_FRONT_MATTER_BYTES
from sortext.rules.findings import findings
from sortext.schema.config import DEFAULT_THRESHOLDS, MAX_THRESHOLD, load_config, parse_config
from sortext.schema.validate import RecordValidator
from sortext.vcs.changes import parse_since
from tests.conftest import PROJECT_ROOT, SAMPLE_TODAY
from tests.test_mcp import calls, data, error_text

CONFIG_TEXT = (PROJECT_ROOT / "sortext.yaml").read_text(encoding="utf-8")
TODAY = dt.date.fromisoformat(SAMPLE_TODAY)
INT_THRESHOLDS = sorted(k for k, v in DEFAULT_THRESHOLDS.items() if isinstance(v, int))


def _config_with(name: str, value_yaml: str) -> str:
    """The sample config with ``thresholds.<name>`` set to ``value_yaml``."""
    lines = [ln for ln in CONFIG_TEXT.splitlines() if not ln.startswith(f"  {name}:")]
    at = lines.index("thresholds:") + 1
    lines.insert(at, f"  {name}: {value_yaml}")
    return "\n".join(lines) + "\n"


def _sample_records() -> list[Record]:
    validator = RecordValidator(load_config(PROJECT_ROOT))
    out = []
    for path in sorted((PROJECT_ROOT / "clients").glob("*.md")):
        loaded = parse_record(path.read_bytes(), f"clients/{path.name}", validator)
        assert loaded.record is not None
        out.append(loaded.record)
    return out


RECORDS = _sample_records()


# -- thresholds ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("-999999999", "below the minimum 0"),
        ("abc", "expected a whole number"),
        ("[]", "expected a whole number"),
        ("true", "expected a whole number"),
        ("1.5", "expected a whole number"),
        (str(MAX_THRESHOLD + 1), f"above the maximum {MAX_THRESHOLD}"),
    ],
)
def test_a_bad_threshold_is_a_located_config_error(
    records_repo: Path, cli: Callable[..., Any], value: str, expected: str
) -> None:
    text = _config_with("checkin_days", value)
    (records_repo / "sortext.yaml").write_text(text, encoding="utf-8")
    line = text.splitlines().index(f"  checkin_days: {value}") + 1
    for args in (("build", "--today", SAMPLE_TODAY), ("list", "--at-risk"), ("check",)):
        done = cli(*args, "--repo", str(records_repo))
        assert done.exit_code == 2, done.output
        assert "internal error" not in done.output
        assert f"sortext.yaml:{line}:17: error: thresholds.checkin_days:" in done.output
        assert expected in done.output


def test_a_bad_stale_days_entry_is_a_located_config_error(records_repo: Path) -> None:
    text = _config_with("stale_days", "{inquiry: 14, review: -3}")
    with pytest.raises(ConfigError) as caught:
        parse_config(records_repo, text.encode(), "sortext.yaml")
    assert "thresholds.stale_days.review: -3 is below the minimum 0" in str(caught.value)


def test_a_config_cached_under_a_laxer_schema_is_validated_again(
    records_repo: Path, cli: Callable[..., Any]
) -> None:
    """The config cache is keyed by the schema too: a cache entry written before the
    thresholds were checked (same version, same bytes) does not let a bad value in."""
    from sortext import __version__
    from sortext.files.state import StateDir

    text = _config_with("checkin_days", "-5")
    (records_repo / "sortext.yaml").write_text(text, encoding="utf-8")
    import hashlib

    from sortext.record.yamlread import load_fast

    fingerprint = hashlib.sha256(text.encode()).hexdigest()
    state = StateDir(records_repo)
    state.config_cache.parent.mkdir(parents=True, exist_ok=True)
    old_key = f"{__version__}:{fingerprint}"  # the key before the schema was part of it
    state.config_cache.write_text(json.dumps({"key": old_key, "data": load_fast(text)}))
    done = cli("list", "--at-risk", "--repo", str(records_repo), "--today", SAMPLE_TODAY)
    assert done.exit_code == 2 and "thresholds.checkin_days" in done.output, done.output


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=5,
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from([*INT_THRESHOLDS, "stale_days"]),
    value=JSON_VALUES | st.dictionaries(st.sampled_from(["inquiry", "review"]), JSON_VALUES),
    today=st.dates(),
)
def test_any_threshold_is_refused_or_the_rules_run(name: str, value: Any, today: dt.date) -> None:
    """Whatever a threshold holds, the config is refused with a located error, or every
    rule runs on the sample records on any day (no overflow, no int() of a list)."""
    text = _config_with(name, json.dumps(value))
    try:
        config = parse_config(PROJECT_ROOT, text.encode(), "sortext.yaml")
    except ConfigError as exc:
        assert exc.diagnostics and all(getattr(d, "line", 0) > 0 for d in exc.diagnostics)
        return
    findings(RECORDS, config, today)


# -- --since --------------------------------------------------------------------------


def test_since_far_back_is_a_clear_error(records_repo: Path, cli: Callable[..., Any]) -> None:
    for since in ("99999999d", "999999999999d", "9" * 5000 + "d", "99999999w"):
        done = cli("changes", "--since", since, "--repo", str(records_repo))
        assert done.exit_code == 2, done.output
        assert "internal error" not in done.output and "--since '" in done.output
    done = cli(
        "changes", "--since", "739000d", "--today", SAMPLE_TODAY, "--repo", str(records_repo)
    )
    assert done.exit_code == 0, done.output


@given(text=st.text(max_size=30) | st.from_regex(r"\A[0-9]{1,12}[dw]\Z"), today=st.dates())
def test_since_is_a_date_or_a_usage_error(text: str, today: dt.date) -> None:
    try:
        since = parse_since(text, today)
    except UsageError as exc:
        from sortext.commands.hints import cli_text

        assert str(exc).startswith("since '")  # the library's name of the parameter
        assert cli_text(exc).startswith("--since '")  # the command line's
        return
    assert isinstance(since, dt.date)


# -- ids made from names ---------------------------------------------------------------------


@given(st.text(max_size=400))
def test_a_slug_from_any_name_is_an_id_and_a_file_name(name: str) -> None:
    slug = slugify(name)
    assert is_slug(slug), slug
    assert len(slug) <= MAX_SLUG and not slug.endswith("-")


def test_a_very_long_name_makes_a_new_client(records_repo: Path, cli: Callable[..., Any]) -> None:
    name = "Wilhelmina " * 40
    done = cli("new", name, "--repo", str(records_repo))
    assert done.exit_code == 0, done.output
    made = [p for p in (records_repo / "clients").glob("wilhelmina-*.md")]
    assert len(made) == 1 and len(made[0].stem) <= MAX_SLUG
    (result,) = calls(records_repo, ("preview_new_client", {"name": "a" * 300}))
    assert is_slug(data(result)["path"].removeprefix("clients/").removesuffix(".md"))


# -- edits that grow the front matter past the reader's limit --------------------------------


@settings(max_examples=25, deadline=None)
@given(size=st.integers(MAX_FRONT_MATTER_BYTES - 4096, MAX_FRONT_MATTER_BYTES + 4096))
def test_an_edit_past_the_front_matter_limit_is_refused_not_crashed(size: int) -> None:
    raw = (PROJECT_ROOT / "clients" / "amara-okafor.md").read_bytes()
    editor = RecordEditor(raw, "clients/amara-okafor.md")
    try:
        editor.set(("name",), "x" * size)
        new = editor.result()
    except EditRefused as exc:
        assert "clients/amara-okafor.md:" in str(exc) and "64 KiB" in str(exc)
        return
    assert len(new) > size


def test_a_huge_value_is_refused_by_the_cli_and_the_assistant(
    records_repo: Path, cli: Callable[..., Any]
) -> None:
    before = (records_repo / "clients" / "amara-okafor.md").read_bytes()
    done = cli("set", "amara-okafor", "name=" + "x" * 70_000, "--repo", str(records_repo))
    assert done.exit_code != 0 and "internal error" not in done.output
    assert "front matter is larger than 64 KiB" in done.output
    (result,) = calls(
        records_repo,
        ("preview_set_fields", {"id": "amara-okafor", "fields": {"name": "x" * 6_000_000}}),
    )
    assert result.is_error and "front matter is larger than 64 KiB" in error_text(result)
    (since,) = calls(records_repo, ("changes", {"since": "99999999d"}))
    assert since.is_error and "reaches before year 1" in error_text(since)
    assert (records_repo / "clients" / "amara-okafor.md").read_bytes() == before


# -- any field path, any value -------------------------------------------------------------

AMARA_RAW = (PROJECT_ROOT / "clients" / "amara-okafor.md").read_bytes()
SEGMENTS = st.sampled_from(
    ["name", "stage", "billing", "rate", "next_action", "what", "sessions", "focus", "tags", "x"]
)
PATHS = st.lists(
    st.one_of(SEGMENTS, st.integers(-3, 12).map(lambda i: f"[{i}]")), min_size=1, max_size=4
).map(lambda parts: ".".join(parts).replace(".[", "["))
TEXTS = st.text(
    alphabet=st.sampled_from(list("ab -:#'\"\n\t|>&*!%{}[],?\\\u2028\x85")), max_size=16
)
ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    TEXTS | st.sampled_from(["---", "\n---\n", "...", "~", "null", "yes", "2026-02-30"]),
    st.lists(TEXTS, max_size=2),
    st.dictionaries(st.sampled_from(["what", "due", "a"]), TEXTS, max_size=2),
)


@settings(max_examples=200, deadline=None)
@given(text=PATHS, value=ANY_VALUE)
def test_setting_any_path_to_any_value_is_refused_or_keeps_the_notes(text: str, value: Any) -> None:
    """``sortext set`` / ``preview_set_fields`` with any path (indexes past a list's
    end included) and any value: a typed refusal, or a record that still parses with
    its notes byte for byte (``sessions[7].next_action`` on a 7-session record was an
    IndexError)."""
    from sortext.edit.roundtrip import parse_path
    from sortext.errors import SortextError

    validator = RecordValidator(load_config(PROJECT_ROOT))
    body = parse_record(AMARA_RAW, "clients/amara-okafor.md", validator).record
    assert body is not None
    try:
        editor = RecordEditor(AMARA_RAW, "clients/amara-okafor.md")
        editor.set(parse_path(text), value)
        new = editor.result()
    except SortextError:
        return
    again = parse_record(new, "clients/amara-okafor.md", validator).record
    assert again is not None and again.body == body.body


def test_an_index_past_the_end_inside_a_path_is_a_clear_error(
    records_repo: Path, cli: Callable[..., Any]
) -> None:
    done = cli("set", "amara-okafor", "sessions[7].focus=x", "--repo", str(records_repo))
    assert done.exit_code != 0 and "internal error" not in done.output
    assert "sessions[7]: no list item 7" in done.output
    (result,) = calls(
        records_repo,
        ("preview_set_fields", {"id": "amara-okafor", "fields": {"tags[12].stage": "x"}}),
    )
    assert result.is_error and "tags[12]: no list item 12" in error_text(result)
