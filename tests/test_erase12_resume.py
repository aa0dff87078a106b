"""A leftover hit is not a dead end: an erase whose verification still finds the
client's sentences keeps what it needs to finish (on this machine only), says how,
and ``sortext erase ID`` run again after the user edited the quoting file finishes
it: the older commits' quotes are replaced, the verification is clean, exit 0, and
the kept file is gone.  Run once more, erase says there is nothing left to do."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.vcs import git as gitlayer
from tests.conftest import git
from tests.test_erase import VALUES, object_hits

ID = "amara-okafor"
OTHER = "clients/bruno-castellanos.md"
QUOTE = "The real blocker is the second-partner decision; until then she keeps the admin."
#: words of the quoted sentence, in any wrapping or case
LOOSE = re.compile(rb"(?i)second-partner\s+decision")


def _quote_hits(root: Path) -> list[str]:
    return [oid for oid, _kind, data in gitlayer.all_objects(root) if LOOSE.search(data)]


def _pending(root: Path) -> Path:
    return root / ".git" / f"sortext-erase-{ID}.json"


def test_erase_hit_edit_erase_again_finishes_clean(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    other = records_repo / OTHER
    original = other.read_text("utf-8")
    other.write_text(original + f"\nAs Amara put it in review:\n> {QUOTE}\n", "utf-8")
    git(records_repo, "commit", "--quiet", "-am", "a quote in another client's notes")

    first = cli("erase", ID, "--yes", "--repo", str(records_repo))
    assert first.exit_code == 1, first.output
    assert f"{OTHER}, line" in first.output and "STILL FOUND" in first.output
    assert "NOT finished" in first.output and f"sortext erase {ID}" in first.output
    assert _pending(records_repo).exists()
    stones = (records_repo / "erased.yaml").read_text()
    assert oct(_pending(records_repo).stat().st_mode & 0o777) == "0o600"

    refused = cli("erase", ID, "--yes", "--repo", str(records_repo))  # not edited yet
    assert refused.exit_code == 2, refused.output
    assert "still quote the client's notes" in refused.output
    assert OTHER in refused.output

    # the user judges the place: the client's words go, Bruno's own stay
    other.write_text(original + "\nAs Amara put it in review: (a client's words, removed)\n")
    git(records_repo, "commit", "--quiet", "-am", "take the quote out")
    assert _quote_hits(records_repo)  # older commits still quote it

    again = cli("erase", ID, "--yes", "--repo", str(records_repo))
    assert again.exit_code == 0, again.output
    assert "resuming the unfinished erase" in again.output
    assert "replaced by '(erased)' in every commit, then looked for" in again.output
    assert "in erased.yaml since the first erase" in again.output
    assert "STILL FOUND" not in again.output and ": clean" in again.output
    assert "finished" in again.output
    assert not _pending(records_repo).exists()
    assert _quote_hits(records_repo) == []
    assert object_hits(records_repo, VALUES) == []
    assert "Bruno Castellanos" in other.read_text("utf-8")
    assert git(records_repo, "status", "--porcelain", "--untracked-files=no") == ""
    assert (records_repo / "erased.yaml").read_text() == stones  # no second tombstone

    done = cli("erase", ID, "--yes", "--repo", str(records_repo))
    assert done.exit_code == 0, done.output
    assert "nothing is left to do" in done.output


def test_a_clean_erase_keeps_nothing(records_repo: Path, cli: Callable[..., Result]) -> None:
    result = cli("erase", ID, "--yes", "--repo", str(records_repo))
    assert result.exit_code == 0, result.output
    assert not _pending(records_repo).exists()
    assert "NOT finished" not in result.output


def test_a_quote_in_a_commit_message_and_a_note_is_finished_by_erase_again(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    """Places no file of the working tree shows (a commit message, a git note): nothing
    to edit, erase again rewrites them."""
    other = records_repo / OTHER
    other.write_text(other.read_text("utf-8") + "\nA line.\n", "utf-8")
    git(records_repo, "commit", "--quiet", "-am", f"notes\n\nAmara said: {QUOTE.upper()}")
    git(records_repo, "notes", "add", "-m", f"review: {QUOTE}", "HEAD")
    first = cli("erase", ID, "--yes", "--repo", str(records_repo))
    assert first.exit_code == 1, first.output
    assert "message, line 3" in first.output and "the git note" in first.output
    again = cli("erase", ID, "--yes", "--repo", str(records_repo))
    assert again.exit_code == 0, again.output
    assert _quote_hits(records_repo) == [] and not _pending(records_repo).exists()
    assert "A line." in other.read_text("utf-8")


PLACES = ("other-client", "message", "note", "untracked")


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.sets(st.sampled_from(PLACES), min_size=1),
    st.sampled_from([QUOTE, QUOTE.upper(), QUOTE.replace(" the ", "\n> the ")]),
)
def test_any_places_quoting_the_notes_are_finished_by_erase_again(
    tmp_path_factory: pytest.TempPathFactory, places: set[str], spelled: str
) -> None:
    """Whatever places quote a sentence of the client's notes, in whatever spelling:
    erase exits 1 naming them, the user edits what the working tree shows, erase
    again finishes clean and nothing anywhere quotes the sentence."""
    from click.testing import CliRunner

    from sortext.cli import main
    from tests.conftest import sample_records

    root = sample_records(tmp_path_factory.mktemp("resume") / "records")

    def cli(*args: str) -> Result:
        return CliRunner().invoke(main, [*args, "--repo", str(root)])

    other = root / OTHER
    original = other.read_text("utf-8")
    if "other-client" in places:
        other.write_text(original + f"\n> {spelled}\n", "utf-8")
    else:
        other.write_text(original + "\nA line.\n", "utf-8")
    message = f"notes\n\nQuoted: {spelled}" if "message" in places else "notes"
    git(root, "commit", "--quiet", "-am", message)
    if "note" in places:
        git(root, "notes", "add", "-m", spelled, "HEAD")
    if "untracked" in places:
        (root / "kept-page.html").write_text(f"<p>{spelled}</p>\n", "utf-8")
    first = cli("erase", ID, "--yes")
    assert first.exit_code == 1, first.output
    assert "NOT finished" in first.output
    if "other-client" in places:
        other.write_text(original + "\n(quote removed)\n", "utf-8")
        git(root, "commit", "--quiet", "-am", "take the quote out")
    (root / "kept-page.html").unlink(missing_ok=True)
    again = cli("erase", ID, "--yes")
    assert again.exit_code == 0, again.output
    assert _quote_hits(root) == [] and not _pending(root).exists()
    tree = [p for p in root.rglob("*") if p.is_file() and ".git" not in p.parts]
    assert not [p for p in tree if LOOSE.search(p.read_bytes())]
