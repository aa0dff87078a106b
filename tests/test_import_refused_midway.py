"""An import refuses a record as soon as one of its changes would leave it unreadable,
even when a later change to the same record would make it readable again.

Found in a break round of the calendar import's one-edit change: a run of value
changes made in one edit and read back only at its end (``RecordEditor.set_many``,
now gone) wrote records the one-change-at-a-time path refuses, because whether a
state is refused is not monotone over a run: a later change can shrink the front
matter back under 64 KiB, or replace the value that made an earlier one read
differently by the two YAML readers.  Each value change is now one ``set``, read back
after it; a run of new list entries is still one ``extend`` (appending only grows
the record).  The examples are the break round's; the property generates runs of
changes over records at the size limit and holds ``_apply_changes`` to one
``append`` or ``set`` each.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import Result
from hypothesis import given, settings
from hypothesis import strategies as st

import sortext.io.importer as importer
from sortext.edit.emit import EditRefused
from sortext.edit.roundtrip import RecordEditor
from sortext.record.split import MAX_FRONT_MATTER_BYTES
from tests.test_calendar_one_edit import one_by_one

MAP = "fields: {email: Email, company: Company, phone: Phone}\n"


def _padded(lines: str, under: int = 0) -> str:
    """A record whose front matter (``lines`` and a comment) is ``under`` bytes short
    of the limit."""
    head = "---\n" + lines
    pad = MAX_FRONT_MATTER_BYTES - under - len(lines.encode("utf-8")) - len("# \n")
    return head + "# " + "x" * pad + "\n---\n\nNotes.\n"


def _import_csv(
    cli: Callable[..., Result], root: Path, header: str, row: str, mapping: str = MAP
) -> Result:
    (root / "m.yaml").write_text(mapping, encoding="utf-8")
    (root / "f.csv").write_text(f"{header}\n{row}\n", encoding="utf-8")
    return cli(
        "import",
        str(root / "f.csv"),
        "--map",
        str(root / "m.yaml"),
        "--accept",
        "theirs",
        "--repo",
        str(root),
    )


BASE = "name: Ann\nstage: active\nemail: a@x.com\nbilling: {plan: monthly}\n"


def test_a_change_past_64_kib_is_refused_though_a_later_one_shrinks_it(
    empty_repo: Path, cli: Callable[..., Result]
) -> None:
    record = empty_repo / "clients" / "ann.md"
    record.write_text(
        _padded(BASE + "company: Acme\nphone: '+49 111 222 333 444'\n"), encoding="utf-8"
    )
    before = record.read_bytes()
    done = _import_csv(cli, empty_repo, "Email,Company,Phone", "a@x.com,Acme Corporation,+49 1")
    assert done.exit_code == 1, done.output
    assert "front matter is larger than 64 KiB" in done.output
    assert record.read_bytes() == before


def test_a_value_the_readers_disagree_on_is_refused_though_a_later_change_hides_it(
    empty_repo: Path, cli: Callable[..., Result]
) -> None:
    record = empty_repo / "clients" / "ann.md"
    record.write_text(
        "---\n" + BASE + "phone: '+49 1'\ncompany: >-\n  Acme\n  GmbH\n---\n\nNotes.\n",
        encoding="utf-8",
    )
    before = record.read_bytes()
    mapping = "fields: {email: Email, phone: Phone, company: Company}\n"
    done = _import_csv(
        cli, empty_repo, "Email,Phone,Company", "a@x.com,2026-12-03,Acme AG", mapping
    )
    assert done.exit_code == 1, done.output
    assert "YAML readers disagree" in done.output
    assert record.read_bytes() == before


def _outcome(raw: bytes, changes: list[importer.Change], apply: Callable[..., None]) -> Any:
    editor = RecordEditor(raw, "clients/ann.md")
    try:
        apply(editor, changes)
    except EditRefused as exc:
        return f"refused: {exc}"
    return editor.result(), editor.data, editor.changed_paths


TEXTS = st.sampled_from(
    # a date as text (what the two readers may disagree on beside a folded scalar),
    # values that grow and shrink the record by a few to a few dozen bytes
    ["2026-12-03", "x", "Acme AG", "a much longer company name than any before it"]
) | st.text(st.sampled_from("ab -:#'\"0123456789"), max_size=30)
CHANGE = st.one_of(
    st.tuples(st.sampled_from(["company", "phone", "phone", "website"]), TEXTS).map(
        lambda kv: importer.Change((kv[0],), kv[0], None, kv[1], "update")
    ),
    st.tuples(st.sampled_from(["held", "scheduled"]), st.integers(0, 999)).map(
        lambda sv: importer.Change(
            ("sessions",),
            "sessions[]",
            None,
            {"date": "2026-11-02", "status": sv[0], "uid": f"u{sv[1]}@x"},
            "new-item",
        )
    ),
)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(CHANGE, min_size=1, max_size=8),
    st.integers(0, 24),
    st.booleans(),
)
def test_the_changes_of_one_record_are_one_append_or_set_each(
    changes: list[importer.Change], under: int, folded: bool
) -> None:
    """Whatever the run (values growing and shrinking the record around the 64 KiB
    limit, a folded scalar the readers may read differently beside them, new
    sessions), the record is what one ``append`` or ``set`` each makes, or refused
    with the same message."""
    fields = (
        BASE
        + ("company: >-\n  Acme\n  GmbH\n" if folded else "company: Acme Incorporated Holdings\n")
        + "phone: '+49 111 222 333 444'\n"
        + "sessions:\n  - {date: 2026-10-01, status: held, uid: a@x}\n"
    )
    raw = _padded(fields, under).encode("utf-8")
    assert _outcome(raw, changes, importer._apply_changes) == _outcome(raw, changes, one_by_one)
