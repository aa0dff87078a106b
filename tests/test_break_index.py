"""Break-testing layout 12 of the index (only the findings and goals a query reads,
finding JSON without the client's id and name, the day book's invoices as a view over
``day_inv`` and ``day_who``, WITHOUT ROWID tables, hashed page keys).

Every output that reads the stored board or day book must be the same after any edits
were stored one by one (the incremental path) as after a cold build of the same files:
a row left behind, or one left out that a query reads, shows up as a difference here.
(A record made invalid is left out: the incremental path keeps its last valid version,
which a cold build has not seen, by design.)
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.gen_pages import TODAY, generate_repo
from sortext.cli import main

N = 6
STAGES = ("inquiry", "active", "review", "completed", "paused", "lost")
EDITS = st.lists(
    st.tuples(
        st.sampled_from(["stage", "owner", "invoice", "consent", "delete", "name"]),
        st.integers(min_value=0, max_value=N - 1),
        st.sampled_from(STAGES),
    ),
    min_size=1,
    max_size=8,
)
QUERIES = (
    ("next", "--json"),
    ("next", "--owner", "theo", "--json"),
    ("list", "--json"),
    ("list", "--at-risk", "--json"),
    ("list", "--at-risk", "--owner", "maya"),
    ("money", "--json"),
    ("money", "--owner", "maya", "--json"),
    ("agenda", "--week", "--json"),
)


def _edit(path: Path, what: str, stage: str) -> None:
    if not path.exists():
        return
    if what == "delete":
        path.unlink()
        return
    text = path.read_text("utf-8")
    if what == "stage":
        text = re.sub(r"(?m)^stage: \S+", f"stage: {stage}", text, count=1)
    elif what == "owner":
        swap = {"maya": "theo", "theo": "maya"}
        text = re.sub(
            r"(?m)^(  )?owner: (maya|theo)", lambda m: f"{m[1] or ''}owner: {swap[m[2]]}", text
        )
    elif what == "invoice":
        text = text.replace("status: paid", "status: overdue", 1).replace(
            "status: sent", "status: paid", 1
        )
    elif what == "consent":
        text = text.replace("data_use: true", "data_use: false", 1)
    elif what == "name":
        text = re.sub(r"(?m)^name: (.*)$", r"name: Zz \1", text, count=1)
    path.write_text(text, "utf-8")


def _outputs(root: Path) -> dict[str, str]:
    runner = CliRunner()
    today = TODAY.isoformat()
    out: dict[str, str] = {}
    built = runner.invoke(main, ["build", "--today", today, "--repo", str(root)])
    out["build.exit"] = str(built.exit_code)
    for args in QUERIES:
        result = runner.invoke(main, [*args, "--today", today, "--repo", str(root)])
        out[" ".join(args)] = f"{result.exit_code}\n{result.output}"
    for name in ("NEXT.md", "site/index.html"):
        out[name] = (root / name).read_text("utf-8")
    for page in sorted((root / "site" / "owners").glob("*.html")):
        out[page.name] = page.read_text("utf-8")
    return out


@settings(max_examples=15, deadline=None)
@given(edits=EDITS)
def test_board_outputs_after_incremental_edits_equal_a_cold_build(
    edits: list[tuple[str, int, str]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = generate_repo(N, Path(tmp) / "r")
        config = root / "sortext.yaml"
        config.write_text(config.read_text("utf-8") + "\nprivacy: {pages: consented}\n", "utf-8")
        _outputs(root)  # a cold build stores the board, the day book and page keys
        clients = sorted((root / "clients").glob("*.md"))
        for what, i, stage in edits:
            _edit(clients[i], what, stage)
        incremental = _outputs(root)
        shutil.rmtree(root / ".sortext")
        cold = _outputs(root)
        assert {k: v for k, v in incremental.items() if k != "build.exit"} == {
            k: v for k, v in cold.items() if k != "build.exit"
        }
