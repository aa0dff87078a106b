"""Three-way merge of client files: field by field, lists by identity, notes by line."""

from __future__ import annotations

import copy
import io
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.check.conflicts import settle
from sortext.record.fielddiff import keyed_items
from sortext.vcs.merge import merge_files
from sortext.vcs.versions import parse_version

BASE = """---
name: Ines Duarte   # met at the design meetup
stage: proposal
next_action: {what: Send proposal, owner: me, due: 2026-11-20}
tags: [design, retainer]
sessions:
  - date: 2026-11-02
    kind: discovery
    status: held
invoices:
  - {id: INV-1, amount: 300, status: sent, due: 2026-11-30}
---

# Ines Duarte

First call went well.
"""


def merged(base: str, ours: str, theirs: str) -> Any:
    return merge_files(base.encode(), ours.encode(), theirs.encode())


def test_one_sided_changes_on_both_sides_merge_and_keep_layout() -> None:
    ours = BASE.replace("stage: proposal", "stage: contracted")
    theirs = BASE.replace("status: sent", "status: paid").replace(
        "First call went well.\n", "First call went well.\n\nSent the deck.\n"
    )
    result = merged(BASE, ours, theirs)
    assert result.clean
    expected = (
        BASE.replace("stage: proposal", "stage: contracted")
        .replace("status: sent", "status: paid")
        .replace("First call went well.\n", "First call went well.\n\nSent the deck.\n")
    )
    assert result.text == expected  # comments, flow style and order untouched


def test_sessions_added_on_both_sides_are_merged_by_date() -> None:
    add = "    status: held\ninvoices:"
    ours = BASE.replace(
        add,
        "    status: held\n  - date: 2026-11-09\n    kind: coaching\n    status: held\ninvoices:",
    )
    theirs = BASE.replace(
        add,
        "    status: held\n  - date: 2026-11-16\n    kind: coaching\n"
        "    status: cancelled\ninvoices:",
    )
    result = merged(BASE, ours, theirs)
    assert result.clean
    data = parse_version(result.text.encode())
    assert data is not None
    assert [s["date"] for s in data.data["sessions"]] == ["2026-11-02", "2026-11-09", "2026-11-16"]


def test_same_field_changed_differently_is_a_conflict_around_that_field_only() -> None:
    ours = BASE.replace("stage: proposal", "stage: contracted")
    theirs = BASE.replace("stage: proposal", "stage: lost")
    result = merged(BASE, ours, theirs)
    assert not result.clean
    assert [c.path for c in result.conflicts] == ["stage"]
    assert "<<<<<<< ours\nstage: contracted\n=======\nstage: lost\n>>>>>>> theirs\n" in result.text
    assert result.text.count("<<<<<<<") == 1


def test_conflict_inside_a_flow_mapping_marks_that_line() -> None:
    ours = BASE.replace("status: sent", "status: paid")
    theirs = BASE.replace("status: sent", "status: void")
    result = merged(BASE, ours, theirs)
    assert [c.path for c in result.conflicts] == ["invoices[INV-1].status"]
    ours_line = "  - {id: INV-1, amount: 300, status: paid, due: 2026-11-30}\n"
    assert f"<<<<<<< ours\n{ours_line}=======\n" in result.text


def test_identical_changes_are_accepted_and_notes_conflicts_are_marked() -> None:
    ours = BASE.replace("stage: proposal", "stage: active").replace("went well", "went fine")
    theirs = BASE.replace("stage: proposal", "stage: active").replace("went well", "was long")
    result = merged(BASE, ours, theirs)
    assert not result.conflicts and result.notes_conflicts == 1
    assert "stage: active" in result.text and "<<<<<<< ours\nFirst call went fine." in result.text


def test_unparseable_side_falls_back_to_a_line_merge_that_keeps_both() -> None:
    ours = BASE.replace("stage: proposal", "stage: [broken")
    theirs = BASE.replace("stage: proposal", "stage: lost")
    result = merged(BASE, ours, theirs)
    assert not result.clean
    assert "stage: [broken" in result.text and "stage: lost" in result.text


# --- property: nothing present on either side is lost ------------------------------

DATES = [f"2026-10-{d:02d}" for d in range(1, 29)]
ident = st.sampled_from(DATES)


def _dump(data: dict[str, Any], body: list[str]) -> str:
    from sortext.vcs.merge import _to_yaml, _yaml

    out = io.StringIO()
    _yaml().dump(_to_yaml(data), out)
    return "---\n" + out.getvalue() + "---\n" + "".join(line + "\n" for line in body)


@st.composite
def record(draw: st.DrawFn) -> tuple[dict[str, Any], list[str]]:
    sessions = {
        d: {"date": d, "kind": "coaching", "status": draw(st.sampled_from(["held", "cancelled"]))}
        for d in draw(st.lists(ident, max_size=4, unique=True))
    }
    invoices = {
        f"INV-{n}": {"id": f"INV-{n}", "amount": n * 10, "status": "sent"}
        for n in draw(st.lists(st.integers(1, 9), max_size=3, unique=True))
    }
    data = {
        "name": "Prop Client",
        "stage": draw(st.sampled_from(["active", "review"])),
        "sessions": sorted(sessions.values(), key=lambda s: s["date"]),
        "measurements": [
            {"goal": "g", "date": d, "value": 1}
            for d in sorted(draw(st.lists(ident, max_size=3, unique=True)))
        ],
        "invoices": list(invoices.values()),
    }
    body = [f"base line {i}" for i in range(draw(st.integers(0, 5)))]
    return data, body


@st.composite
def edited(draw: st.DrawFn, base: tuple[dict[str, Any], list[str]], tag: str) -> Any:
    data, body = copy.deepcopy(base[0]), list(base[1])
    for _ in range(draw(st.integers(0, 4))):
        op = draw(
            st.sampled_from(
                [
                    "add_session",
                    "drop_session",
                    "status",
                    "stage",
                    "measure",
                    "invoice",
                    "pay",
                    "add_line",
                    "drop_line",
                ]
            )
        )
        if op == "add_session":
            d = draw(ident)
            if all(s["date"] != d for s in data["sessions"]):
                data["sessions"].append({"date": d, "kind": "coaching", "status": tag})
                data["sessions"].sort(key=lambda s: s["date"])
        elif op == "drop_session" and data["sessions"]:
            data["sessions"].pop(draw(st.integers(0, len(data["sessions"]) - 1)))
        elif op == "status" and data["sessions"]:
            data["sessions"][0]["status"] = tag
        elif op == "stage":
            data["stage"] = draw(st.sampled_from(["active", "review", "paused"]))
        elif op == "measure":
            d = draw(ident)
            if all(m["date"] != d for m in data["measurements"]):
                data["measurements"].append({"goal": "g", "date": d, "value": 2})
                data["measurements"].sort(key=lambda m: m["date"])
        elif op == "invoice":
            data["invoices"].append(
                {"id": f"INV-{tag}-{len(data['invoices'])}", "amount": 5, "status": "draft"}
            )
        elif op == "pay" and data["invoices"]:
            data["invoices"][0]["status"] = "paid"
        elif op == "add_line":
            body.insert(draw(st.integers(0, len(body))), f"{tag} line {len(body)}")
        elif op == "drop_line" and body:
            body.pop(draw(st.integers(0, len(body) - 1)))
    return data, body


@st.composite
def three_versions(draw: st.DrawFn) -> Any:
    base = draw(record())
    return base, draw(edited(base, "ours")), draw(edited(base, "theirs"))


LISTS = ("sessions", "measurements", "invoices")


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(three_versions())
def test_no_merge_loses_an_entry_or_a_line(versions: Any) -> None:
    (bd, bb), (od, ob), (td, tb) = versions
    result = merged(_dump(bd, bb), _dump(od, ob), _dump(td, tb))
    settled = [parse_version(settle(result.text, {}, s).encode()) for s in ("ours", "theirs")]
    assert all(v is not None for v in settled), result.text
    for name in LISTS:
        base_ids = set(keyed_items(name, bd[name]) or {})
        present = set()
        for v in settled:
            assert v is not None
            present |= set(keyed_items(name, v.data.get(name, [])) or {})
        for mine, other in ((od, td), (td, od)):
            other_ids = set(keyed_items(name, other[name]) or {})
            for label in keyed_items(name, mine[name]) or {}:
                deleted_by_other = label in base_ids and label not in other_ids
                assert deleted_by_other or label in present, (name, label, result.text)
    for mine, other in ((ob, tb), (tb, ob)):
        for line in mine:
            if line in bb and line not in other:
                continue
            assert line + "\n" in result.text, (line, result.text)
    if result.clean:
        final = settled[0]
        assert final is not None
        assert final.data["stage"] in {od["stage"], td["stage"]}


def test_plain_lists_keep_additions_from_both_sides() -> None:
    ours = BASE.replace("tags: [design, retainer]", "tags: [design, retainer, urgent]")
    theirs = BASE.replace("tags: [design, retainer]", "tags: [retainer, workshop]")
    result = merged(BASE, ours, theirs)
    assert result.clean
    assert "tags: [retainer, urgent, workshop]" in result.text
