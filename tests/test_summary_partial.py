"""A build after a few records changed renders only the summary pages they can change.

Nothing any summary page reads changed (a note added): no page is rendered.  Otherwise
NEXT.md and the dashboard are, and the owner pages of the owners the changed records
name before or after (a reassigned record: both).  Every build here is held to a full
rendering of the same state (the kept key dropped): the pages equal byte for byte.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sortext.pages.build as build_module
from sortext.pages.build import BuildResult, build
from sortext.repo import open_repository
from tests.conftest import SAMPLE_TODAY, sample_records
from tests.test_summary_key import _same_as_rendering

TODAY = dt.date.fromisoformat(SAMPLE_TODAY)
PEOPLE = ("maya", "theo")


class _Rendered:
    """The summary pages rendered by the builds (a spy on the template renderer)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.names: list[str] = []
        real = build_module._summary_pages

        def spy(*args: object, **kwargs: object) -> object:
            kept = args[7] if len(args) > 7 else kwargs.get("kept")
            self.names.append("summary")
            self.names.extend(f"kept:{rel}" for rel in sorted(kept or {}))  # type: ignore[call-overload]
            return real(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(build_module, "_summary_pages", spy)


def _clients(root: Path) -> list[Path]:
    return sorted((root / "clients").glob("*.md"))


def _add_note(path: Path, n: int) -> None:
    text = path.read_text()
    path.write_text(text.replace("\n---\n", f"\n---\n\nOne more note {n}.\n", 1))


def _sub(path: Path, pattern: str, new: str) -> None:
    """Change the first match of ``pattern`` (a multiline regex) in the file, if any."""
    path.write_text(re.sub(pattern, new, path.read_text(), count=1, flags=re.MULTILINE))


def _reassign(path: Path, person: str) -> None:
    _sub(path, r"^owner: .*$", f"owner: {person}")


def _action_owner(path: Path, person: str) -> None:
    _sub(path, r"^(  owner:) .*$", rf"\1 {person}")


def _due(path: Path, day: int) -> None:
    _sub(path, r"^(  due:) .*$", rf"\1 2026-11-{day:02d}")


def _rename_client(path: Path, n: int) -> None:
    _sub(path, r"^name: (.*)$", rf"name: \1 {n}")


def _copy_as_new(path: Path, n: int) -> None:
    target = path.with_name(f"new-client-{n}.md")
    if not target.exists():
        shutil.copy(path, target)
        _rename_client(target, n)


def _break(path: Path) -> None:
    path.write_text(path.read_text().replace("stage: ", "stage: nowhere-", 1))


EDITS = ("note", "reassign", "action owner", "due", "name", "new", "delete", "break")

step = st.tuples(
    st.sampled_from(EDITS),
    st.integers(min_value=0, max_value=50),
    st.sampled_from(PEOPLE),
    st.integers(min_value=1, max_value=30),
)


def _apply(root: Path, edit: str, which: int, person: str, day: int) -> list[Path]:
    """Make the edit; returns the record files it touched."""
    files = _clients(root)
    if not files:
        return []
    path = files[which % len(files)]
    if edit == "note":
        _add_note(path, which)
    elif edit == "reassign":
        _reassign(path, person)
    elif edit == "action owner":
        _action_owner(path, person)
    elif edit == "due":
        _due(path, day)
    elif edit == "name":
        _rename_client(path, which)
    elif edit == "new":
        _copy_as_new(path, which)
        return [path.with_name(f"new-client-{which}.md")]
    elif edit == "delete":
        path.unlink()
    else:
        _break(path)
    return [path]


def _built(root: Path) -> Path:
    """``root`` built twice: the second build keeps the key (the first may be racy)."""
    build(open_repository(root), TODAY)
    build(open_repository(root), TODAY)
    return root


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.tuples(st.lists(step, min_size=1, max_size=3), st.booleans()), min_size=1, max_size=4
    )
)
def test_any_edits_leave_the_pages_a_full_rendering_gives(
    tmp_path_factory: pytest.TempPathFactory,
    steps: list[tuple[list[tuple[str, int, str, int]], bool]],
) -> None:
    """Edits, then a build told which files changed (as the watcher's) or one that
    looks for them: the pages equal a full rendering of the same state."""
    root = _built(sample_records(tmp_path_factory.mktemp("partial") / "records"))
    for edits, told in steps:
        touched = [path for edit in edits for path in _apply(root, *edit)]
        if told:
            build(open_repository(root), TODAY, changed=sorted(set(touched)))
        _same_as_rendering(root)


@pytest.fixture
def built(records_repo: Path) -> Path:
    return _built(records_repo)


@pytest.fixture
def bruno(built: Path) -> Path:
    """theo's record in the built repository (his action too)."""
    return built / "clients" / "bruno-castellanos.md"


@pytest.fixture
def rendered(built: Path, monkeypatch: pytest.MonkeyPatch) -> _Rendered:
    """The spy, set after ``built``'s builds (what they rendered is not counted)."""
    return _Rendered(monkeypatch)


def _one_file_build(root: Path, path: Path) -> BuildResult:
    """A build told which file changed (as the watcher's are: the files just written
    are in the change finder's racy window, which would add them all), then held to a
    full rendering."""
    result = build(open_repository(root), TODAY, changed=[path])
    _same_as_rendering(root)
    return result


def test_a_note_added_renders_no_summary_page(
    built: Path, bruno: Path, rendered: _Rendered
) -> None:
    _add_note(bruno, 1)
    result = _one_file_build(built, bruno)
    assert rendered.names == ["summary"]  # the full rendering's only: not the edit's
    assert {"NEXT.md", "site/index.html", "site/owners/maya.html"} <= set(result.unchanged)


def test_an_edit_of_one_owners_record_renders_only_that_owners_page(
    built: Path, bruno: Path, rendered: _Rendered
) -> None:
    _due(bruno, 28)
    _one_file_build(built, bruno)
    assert rendered.names[:2] == ["summary", "kept:site/owners/maya.html"]


def test_a_reassigned_record_renders_both_owners_pages(
    built: Path, bruno: Path, rendered: _Rendered
) -> None:
    _reassign(bruno, "maya")
    _one_file_build(built, bruno)
    assert rendered.names[0] == "summary"
    assert not any(name.startswith("kept:") for name in rendered.names)


def test_an_owner_page_edited_by_hand_is_rendered_again(built: Path, bruno: Path) -> None:
    page = built / "site" / "owners" / "maya.html"
    page.write_text(page.read_text() + "<!-- by hand -->")
    _due(bruno, 28)
    _one_file_build(built, bruno)
    assert "by hand" not in page.read_text()
