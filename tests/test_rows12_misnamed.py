"""A Markdown file in clients/ named ``Jane.MD``, ``jane.Md`` or ``jane.markdown``
is reported as not read, with the name it should have.

Found in review: such a file (a coach on macOS or Windows, where the case of an
extension looks like nothing) was ignored without a word: ``check`` said every
record was fine and the client appeared nowhere.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import git


@given(
    stem=st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True),
    extension=st.sampled_from(["md", "markdown"]).flatmap(
        lambda e: st.tuples(*(st.sampled_from([c, c.upper()]) for c in e)).map("".join)
    ),
)
def test_every_other_spelling_of_markdown_is_named_and_never_a_record(
    stem: str, extension: str
) -> None:
    from sortext.record.copies import is_record_name, misnamed

    name = f"{stem}.{extension}"
    if extension == "md":
        assert misnamed(name) is None and is_record_name(name)
    else:
        assert misnamed(name) == f"{stem}.md" and not is_record_name(name)


def test_check_reports_a_misnamed_record(cli: Callable[..., Result], records_repo: Path) -> None:
    clients = records_repo / "clients"
    (clients / "Jane Doe.MD").write_text("---\nname: Jane Doe\nstage: inquiry\n---\n")
    result = cli("check", "--repo", str(records_repo))
    assert "clients/Jane Doe.MD:1:1: warning: file: not read" in result.output, result.output
    assert "rename it to jane-doe.md" in result.output
    by_name = cli("check", str(clients / "Jane Doe.MD"), "--repo", str(records_repo))
    assert "not read" in by_name.output and "rename it to jane-doe.md" in by_name.output


def test_the_watcher_logs_a_misnamed_record_and_commits_nothing_for_it(
    records_repo: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from sortext.daemon.events import Change, WatchedPaths
    from sortext.daemon.pipeline import Pipeline
    from sortext.daemon.renderer import PagesRenderer
    from sortext.repo import open_repository
    from sortext.vcs.commit import GitRepo
    from tests.test_parse_once import TODAY

    clients = records_repo / "clients"
    watched = WatchedPaths(
        records_repo, clients, (records_repo / "sortext.yaml",), records_repo / "templates"
    )
    odd = clients / "Jane.Md"
    assert watched.classify(odd) == "copy"
    pipeline = Pipeline(
        open_repository(records_repo), GitRepo.open(records_repo), PagesRenderer(), lambda: TODAY
    )
    pipeline.start()
    odd.write_text("---\nname: Jane\nstage: inquiry\n---\n")
    with caplog.at_level(logging.WARNING, logger="sortext"):
        result = pipeline.settle([Change(odd, "copy")])
    assert result.commit is None
    messages = [r.getMessage() for r in caplog.records]
    assert any("Jane.Md" in m and "rename it to jane.md" in m for m in messages), messages
    assert odd.name not in git(records_repo, "ls-files")
