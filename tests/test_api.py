"""The public Python API: ``sortext.open(path) -> Practice``."""

from __future__ import annotations

import datetime as dt
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import sortext
import sortext.api as api
from sortext.errors import RecordNotFound, RepoNotFound
from sortext.repo import open_repository
from sortext.views.queries import next_list

TODAY = dt.date(2026, 11, 23)


def _public(obj: object) -> list[tuple[str, object]]:
    return [
        (name, member)
        for name, member in inspect.getmembers(obj)
        if not name.startswith("_") and (inspect.isfunction(member) or isinstance(member, property))
    ]


def _own_doc(obj: object) -> str:
    """The docstring written for ``obj`` (not inherited, not a dataclass's generated one)."""
    doc = obj.__dict__.get("__doc__") if inspect.isclass(obj) else obj.__doc__
    if not isinstance(doc, str):
        return ""
    if inspect.isclass(obj) and doc.startswith(f"{obj.__name__}("):
        return ""  # dataclasses write the signature when there is no docstring
    return doc.strip()


@pytest.mark.parametrize("name", sorted(set(api.__all__)))
def test_every_public_name_is_documented(name: str) -> None:
    obj = getattr(api, name)
    assert _own_doc(obj), f"sortext.api.{name} has no docstring"
    if inspect.isclass(obj) and obj.__module__ == api.__name__:
        for member_name, member in _public(obj):
            assert _own_doc(member), f"{name}.{member_name} has no docstring"


def test_the_documentation_check_can_fail() -> None:
    from dataclasses import dataclass

    @dataclass
    class Bare:
        x: int

    def bare() -> None:
        pass

    assert not _own_doc(Bare)
    assert not _own_doc(bare)
    assert _own_doc(api.Practice.records)


def test_the_package_names_are_documented_and_open_is_the_api() -> None:
    assert inspect.getdoc(sortext)
    assert set(sortext.__all__) == {"__version__", "open"}
    assert sortext.open is api.open


def test_import_sortext_stays_cheap() -> None:
    code = "import sys, sortext; print(sorted(m for m in sys.modules if m.startswith('sortext')))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "['sortext']"


def test_open_answers_as_the_commands_do(records_repo: Path) -> None:
    practice = sortext.open(records_repo / "clients")  # any folder below the root
    assert practice.root == records_repo.resolve()
    records = practice.records()
    files = (records_repo / "clients").glob("*.md")
    assert [r.id for r in records] == sorted(p.stem for p in files)
    first = practice.record(records[0].id)
    assert first.view.stage == first.data["stage"]
    assert practice.next_actions(TODAY) == next_list(open_repository(records_repo), TODAY).items
    found = practice.findings(TODAY)
    assert found and all(f.level in ("error", "warning", "info") for f in found)
    assert found == sorted(found, key=lambda f: f.sort_key)
    history = practice.history(records[0].id)
    assert history and history[0].kind == "created"


def test_diagnostics_name_the_file_line_and_field(records_repo: Path) -> None:
    path = records_repo / "clients" / "amara-okafor.md"
    path.write_text(path.read_text("utf-8").replace("stage: active", "stage: actve"), "utf-8")
    problems = sortext.open(records_repo).diagnostics()
    mine = [d for d in problems if d.path == "clients/amara-okafor.md" and d.is_error]
    assert mine and mine[0].field == "stage" and mine[0].line > 1


def test_errors_are_typed(records_repo: Path, tmp_path: Path) -> None:
    with pytest.raises(RepoNotFound):
        sortext.open(tmp_path / "nowhere")
    practice = sortext.open(records_repo)
    with pytest.raises(RecordNotFound):
        practice.record("no-such-client")
    with pytest.raises(RecordNotFound):
        practice.history("no-such-client")
