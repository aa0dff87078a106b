"""sortext export client ID: everything held about one client."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import git


def test_subject_export_writes_json_markdown_and_html(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    path = records_repo / "clients" / "amara-okafor.md"
    path.write_text(path.read_text("utf-8").replace("stage: active", "stage: review"), "utf-8")
    git(records_repo, "commit", "--quiet", "-am", "review")
    out = tmp_path / "sar"
    result = cli("export", "client", "amara-okafor", "--out", str(out), "--repo", str(records_repo))
    assert result.exit_code == 0, result.output
    data = json.loads((out / "amara-okafor.json").read_text("utf-8"))
    assert data["record"]["email"] == "amara.okafor@example.com"
    assert len(data["invoices"]) == 3 and len(data["sessions"]) == 7
    assert "Founder of a twelve-person" in data["notes"]
    assert any(e["field"] == "stage" and e["new"] == "review" for e in data["history"])
    md = (out / "amara-okafor.md").read_text("utf-8")
    assert md.startswith("# Data held about Amara Okafor") and "## History" in md
    page = (out / "amara-okafor.html").read_text("utf-8")
    assert "<h1>Data held about Amara Okafor</h1>" in page


def test_subject_export_refuses_bad_ids(records_repo: Path, cli: Callable[..., Result]) -> None:
    for bad in ("../sortext", "nobody"):
        result = cli("export", "client", bad, "--repo", str(records_repo))
        assert result.exit_code == 2 and "sortext:" in result.output, result.output
    assert cli("export", "client", "--repo", str(records_repo)).exit_code == 2


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(min_size=1, max_size=40).filter(lambda s: s.strip()))
def test_markdown_and_html_never_carry_raw_html_from_values(text: str) -> None:
    from sortext.io.subject import subject_markdown
    from sortext.pages.render import notes_html

    data = {
        "client": "x",
        "produced_on": "2026-11-30",
        "file": "clients/x.md",
        "record": {"name": text, "company": f"<script>{text}</script>"},
        "notes": f"<img src=x onerror=alert(1)> {text}",
        "invoices": [],
        "sessions": [],
        "history": [
            {
                "date": "2026-11-30",
                "author": text,
                "kind": "changed",
                "field": "company",
                "old": text,
                "new": "<b>x</b>",
            }
        ],
    }
    page = str(notes_html(subject_markdown(data)))
    assert "<script" not in page and "<img" not in page and "<b>" not in page
