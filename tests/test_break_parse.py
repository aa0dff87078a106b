"""Break-tests of parse6's shortcuts and of the configuration's messages.

* ``load_data`` reads a record's front matter without dates unless its text may hold a
  timestamp; a plain scalar folded over two lines (``when: 2026-11-30`` then an indented
  ``10:00`` line) is a timestamp too, and was read as the text ``2026-11-30 10:00``
  where the slow path reads ``2026-11-30T10:00:00``.
* a key that is not text (``1:``, ``true:``, ``2026-11-30:``) in a closed mapping of
  ``sortext.yaml`` stopped every command with ``internal error: TypeError`` instead of
  naming the line of the unknown field.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sortext.errors import ConfigError
from sortext.record.diagnostics import Diagnostic
from sortext.record.values import key_text
from sortext.record.yamlread import load_fast
from sortext.schema.config import parse_config
from tests.test_load_data import same

DATES = st.sampled_from(["2026-11-30", "2026-1-5", "2026-02-30", "1999-12-31"])
TIMES = st.sampled_from(["10:00", "10:00:00", "9:05:00+01:00", "10:00:00.5 Z", "10:00Z"])
BREAKS = st.sampled_from(["\n", "\r\n", "\r"])
PADS = st.sampled_from(["", " ", "  ", "\t", " \t"])


@st.composite
def folded(draw: st.DrawFn) -> str:
    """A date, a line break, then an indented time: one plain scalar folded to
    'DATE TIME' wherever a plain scalar may go (value, list item, key, flow)."""
    date, time, brk = draw(DATES), draw(TIMES), draw(BREAKS)
    trail, lead = draw(PADS), draw(st.sampled_from(["  ", "    ", "  \t"]))
    scalar = f"{date}{trail}{brk}{lead}{time}"
    form = draw(st.integers(0, 5))
    if form == 0:
        text = f"when: {scalar}"
    elif form == 1:
        text = f"when:{brk}  {date}{trail}{brk}  {lead}{time}"
    elif form == 2:
        text = f"- {scalar}"
    elif form == 3:
        text = f"when: [{scalar}]"
    elif form == 4:
        text = f"when: {{at: {scalar}}}"
    else:
        text = f"? {scalar}{brk}: x"
    return text + draw(st.sampled_from(["", brk]))


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(folded())
@example("when: 2026-11-30\n  10:00:00\n")
@example("when: 2026-11-30\r\n  10:00\r\n")
@example("when:\n  2026-11-30\n  10:00\n")
@example("- 2026-11-30\n  10:00:00+01:00\n")
@example("when: [2026-11-30\n  10:00]\n")
@example("when: {a: 2026-11-30\n  10:00}\n")
def test_a_date_folded_with_a_time_reads_as_the_slow_path_reads(text: str) -> None:
    same(text)


CLOSED = [
    "git: {{author: 'Me <me@example.org>', {key}: x}}",
    "assistant: {{{key}: x}}",
    "stages: [{{name: lead, {key}: x}}]",
    "requirements: [{{field: email, {key}: x}}]",
    "custom_fields: {{level: {{type: string, {key}: x}}}}",
    "backup: {{{key}: x}}",
    "backup: {{encrypted: {{off: {{url: x, recipients: [a], {key}: x}}}}}}",
    "pages: {{{key}: x}}",
    "privacy: {{{key}: x}}",
    "intake: {{minimum: [email], {key}: x}}",
    "exports: {{list: {{format: csv, {key}: x}}}}",
]
KEYS = ["1", "-2", "1.5", "true", "false", "null", "~", "2026-11-30", "0x1F", "'x y'"]


@settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(CLOSED), st.sampled_from(KEYS), st.booleans())
@example("git: {{{key}: x}}", "1", False)
@example("stages: [{{name: lead, {key}: x}}]", "true", True)
def test_a_key_of_any_kind_in_a_closed_setting_is_an_unknown_field(
    tmp_path_factory: pytest.TempPathFactory, line: str, key: str, first: bool
) -> None:
    """Every key YAML reads as something other than text, in every mapping of the
    configuration schema that allows only its own fields: a ConfigError whose
    diagnostic names the file, a line and the key as written, never another error."""
    root = tmp_path_factory.mktemp("cfg")
    setting = line.format(key=key)
    lines = ["clients_dir: clients", "stages: [{name: lead}]"]
    if setting.startswith("stages:"):
        lines = lines[:1]
    lines = [setting, *lines] if first else [*lines, setting]
    text = "\n".join(lines) + "\n"
    with pytest.raises(ConfigError) as caught:
        parse_config(root, text.encode(), "sortext.yaml")
    diagnostics = [d for d in caught.value.diagnostics if isinstance(d, Diagnostic)]
    assert diagnostics, str(caught.value)
    loaded = load_fast(f"{key}: x\n")
    assert isinstance(loaded, dict)
    shown = key_text(next(iter(loaded)))  # 0x1F is 31, ~ is null: the key YAML read
    setting_line = lines.index(setting) + 1
    assert any(
        d.path == "sortext.yaml" and d.line == setting_line and shown in d.message
        for d in diagnostics
    ), [d.format(False) for d in diagnostics]


def test_a_number_key_in_git_is_reported_by_the_check_command(tmp_path: Path) -> None:
    """End to end: ``sortext check`` exits 2 with ``sortext.yaml:LINE:COL`` (the
    configuration's usual refusal), not ``internal error: TypeError``."""
    from click.testing import CliRunner

    from sortext.cli import main

    (tmp_path / "clients").mkdir()
    (tmp_path / "sortext.yaml").write_text(
        "clients_dir: clients\nstages: [{name: lead}]\ngit:\n  1: x\n", encoding="utf-8"
    )
    result = CliRunner().invoke(main, ["check", "--repo", str(tmp_path)])
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert "internal error" not in output, output
    assert "sortext.yaml:4:3" in output, output
    assert "unknown field '1'" in output, output


# -- the watcher with a repository template that fails -----------------------------------


@pytest.mark.parametrize(
    "broken",
    ["{{ c.record.name|int + 'x' }}", "{{ c.record.name + }}"],
    ids=["fails", "does-not-compile"],
)
def test_the_watcher_commits_on_and_logs_a_failing_template_in_one_line(
    records_repo: Path, caplog: pytest.LogCaptureFixture, broken: str
) -> None:
    """A repository template that fails (or does not compile) is the user's mistake,
    not sortext's: the watcher starts, commits every save, and logs one line naming
    ``templates/client.html.j2:LINE`` and the record, without a traceback; mending the
    template renders the pages again."""
    import datetime as dt
    import logging

    from sortext.daemon.events import Change
    from sortext.daemon.pipeline import Pipeline
    from sortext.daemon.renderer import PagesRenderer
    from sortext.pages import render
    from sortext.repo import open_repository
    from sortext.vcs.commit import GitRepo

    root = records_repo
    text = (render.package_template_dir() / "client.html.j2").read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if "<main>" in line) + 1
    lines.insert(at, broken + "\n")
    own = root / "templates" / "client.html.j2"
    own.write_text("".join(lines), encoding="utf-8")
    today = dt.date(2026, 11, 30)
    repo_git = GitRepo.open(root)
    pipeline = Pipeline(open_repository(root), repo_git, PagesRenderer(), lambda: today)
    record = root / "clients" / "amara-okafor.md"
    try:
        with caplog.at_level(logging.INFO, logger="sortext.watch"):
            pipeline.start()
            record.write_text(
                record.read_text(encoding="utf-8").replace("\nstage: ", "\nstage:  ", 1),
                encoding="utf-8",
            )
            saved = pipeline.settle([Change(record, "record")])
            assert saved.commit is not None  # commits go on
        failures = [r for r in caplog.records if "rendering the pages failed" in r.getMessage()]
        assert failures, [r.getMessage() for r in caplog.records]
        for failure in failures:
            message = failure.getMessage()
            assert f"templates/client.html.j2:{at + 1}: " in message, message
            if "+ }}" not in broken:  # one that does not compile fails for every record
                assert "while rendering clients/" in message, message
            assert failure.exc_info is None, "a template's own failure is not a code error"
        own.write_text(text, encoding="utf-8")
        with caplog.at_level(logging.INFO, logger="sortext.watch"):
            mended = pipeline.settle([Change(own, "config")])
        assert pipeline.rendered_ok, [r.getMessage() for r in caplog.records]
        assert mended.pages
    finally:
        repo_git.close()
