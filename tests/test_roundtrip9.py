"""Export then import is the identity (issue 13: data in, data out, no silent damage).

``sortext export csv`` puts a ``'`` before a cell a spreadsheet would run as a
formula; importing that CSV with a map that says ``unquote_formulas: true`` (the
shipped ``docs/maps/sortext-export.yaml``) takes exactly that ``'`` off again, so
a value that itself begins with ``'`` survives too.  Real git repository, the real
commands through Click's runner."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.io.formula import is_formula, neutralise, restore
from tests.conftest import sample_records
from tests.roundtripkit import import_companies, put_values, roundtrip, roundtrip_property

#: What makes a value start like a formula, or look as if the export had quoted it.
_LEADS = [
    "'",
    "''",
    '"',
    " ",
    "\u200b",
    "\ufeff",
    "\u00a0",
    "=",
    "+",
    "-",
    "@",
    "\uff1d",
    "\uff0b",
    "\uff0d",
    "\uff20",
    "\ufe62",
    "\t",
    "\r",
]
_BODY = st.text(
    alphabet=st.sampled_from(["a", "1", "=", "'", " ", "+", "@", ",", ";", '"']), max_size=6
)


@st.composite
def _cells(draw: st.DrawFn) -> str:
    leads = draw(st.lists(st.sampled_from(_LEADS), max_size=3))
    return "".join(leads) + draw(_BODY)


@given(_cells())
def test_restore_undoes_exactly_what_neutralise_added(text: str) -> None:
    assert restore(neutralise(text)) == text
    if is_formula(text):
        assert is_formula("'" + text)  # so a genuine leading ' is never taken for ours


def test_a_value_that_begins_with_a_quote_keeps_it() -> None:
    assert neutralise("'=2+2") == "''=2+2" and restore("''=2+2") == "'=2+2"
    assert neutralise("'\tx") == "''\tx" and restore("''\tx") == "'\tx"
    assert restore("'quoted'") == "'quoted'"  # not a formula after the quote: kept


@st.composite
def _values(draw: st.DrawFn) -> str:
    """A record value: any lead, then text; no blank at either end and no CR/LF (an
    import trims cells and writes line breaks as LF, for every CSV, by design)."""
    text = draw(_cells()).strip()
    return "".join(c for c in text if c not in "\r\n") + "x"


test_property_export_csv_then_import_changes_no_record = roundtrip_property(
    _values(), 15, refused="fail"
)


@pytest.mark.parametrize(
    "company",
    ["=2+2", "'=2+2", "''=2+2", "'quoted'", " \u200b=x", "\uff1dSUM(A1)", "'\u200b@x", "-5 EUR"],
)
def test_examples_export_csv_then_import_changes_no_record(
    company: str, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    root = sample_records(tmp_path / "records")
    _assert_roundtrip(root, company.strip(), "@Ben: send the =SUM sheet", cli)


def _assert_roundtrip(
    root: Path, company: str, what: str, cli: Callable[..., Result], fmt: str = "csv"
) -> None:
    """Put ``company`` and ``what`` into a record, commit, export, import it back with
    the shipped map (every conflict accepted) and check no record file changed."""
    assert put_values(root, company, what, cli)
    roundtrip(root, fmt, cli, company, what)


def test_without_the_map_setting_a_quote_is_data(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    """A user's spreadsheet: a ' typed before = is kept (Excel and LibreOffice hide
    their own quote and write the text without it, so a ' in a file is the user's)."""
    root = sample_records(tmp_path / "records")
    import_companies(root, tmp_path / "people.csv", "id,company\namara-okafor,'=2+2\n", cli)
    assert 'company: "\'=2+2"' in (root / "clients" / "amara-okafor.md").read_text(
        "utf-8"
    ) or "company: '''=2+2'" in (root / "clients" / "amara-okafor.md").read_text("utf-8")


# --- ICS text fields ------------------------------------------------------------

_SHOWN_AS_ESCAPES = re.compile(r"\\(x[0-9a-f]{2}|u[0-9a-f]{4})")


def _acted_on(char: str) -> bool:
    """A character a calendar app would act on or hide (bidi overrides, C0/C1
    controls, line/paragraph separators, zero-width and other format characters)."""
    return char not in "\t\n" and unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp")


_ICS_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(
            [
                "\u2028",
                "\u2029",
                "\u202e",
                "\u202d",
                "\u2066",
                "\u200b",
                "\ufeff",
                "\x1b",
                "\x00",
                "\x85",
                "\x9b",
                "\x7f",
                "\t",
                "\n",
                "\r",
                ";",
                ",",
                ":",
                "a",
                " ",
            ]
        ),
        st.characters(exclude_characters="\\", exclude_categories=["Cs"]),
    ),
    max_size=30,
)


@settings(max_examples=200)
@given(_ICS_TEXT, _ICS_TEXT)
def test_property_ics_text_shows_no_control_and_keeps_the_rest(name: str, what: str) -> None:
    import icalendar

    from sortext.io.export import to_ics

    record = {
        "id": "amara-okafor",
        "name": name or "x",
        "stage": "active",
        "next_action": {"what": what or "y", "due": "2026-12-01"},
    }
    calendar = icalendar.Calendar.from_ical(to_ics([record]))
    events = [e for e in calendar.walk("VEVENT") if "next-action" in str(e["UID"])]
    assert len(events) == 1
    summary = str(events[0]["SUMMARY"])
    assert not any(_acted_on(c) for c in summary), repr(summary)
    expected = f"{name or 'x'}: {what or 'y'}".replace("\r\n", "\n").replace("\r", "\n")
    kept = "".join(c for c in expected if not _acted_on(c))
    assert _SHOWN_AS_ESCAPES.sub("", summary) == kept
    for event in calendar.walk("VEVENT"):
        for key in ("SUMMARY", "DESCRIPTION", "LOCATION"):
            if key in event:
                assert not any(_acted_on(c) for c in str(event[key])), (key, event[key])


def test_ics_bidi_override_in_a_name_is_shown(tmp_path: Path, cli: Callable[..., Result]) -> None:
    import icalendar

    root = sample_records(tmp_path / "records")
    record = root / "clients" / "amara-okafor.md"
    text = record.read_text(encoding="utf-8")
    record.write_text(
        text.replace("name: Amara Okafor", 'name: "Amara \\u202egnp.exe\\u2028Okafor"'), "utf-8"
    )
    out = tmp_path / "clients.ics"
    result = cli("export", "ics", "--out", str(out), "--repo", str(root))
    assert result.exit_code == 0, result.output
    calendar = icalendar.Calendar.from_ical(out.read_bytes())
    summaries = [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")]
    assert (
        "Amara \\u202egnp.exe\\u2028Okafor: Send session 7 prep notes and the delegation worksheet"
        in summaries
    )


@pytest.mark.parametrize(("unquote", "stored"), [("true", "=2+2"), ("false", "'=2+2")])
def test_intake_with_a_map_undoes_the_export_quote_only_when_told(
    unquote: str, stored: str, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    root = sample_records(tmp_path / "records")
    sheet = tmp_path / "form.csv"
    sheet.write_text("Name,Email,Company\nAda Quill,ada@example.com,'=2+2\n", encoding="utf-8")
    fmap = tmp_path / "form.yaml"
    fmap.write_text(
        f"unquote_formulas: {unquote}\nfields:\n  name: Name\n  email: Email\n  company: Company\n",
        encoding="utf-8",
    )
    result = cli("intake", str(sheet), "--map", str(fmap), "--repo", str(root))
    assert result.exit_code == 0, result.output
    import yaml

    text = (root / "clients" / "ada-quill.md").read_text(encoding="utf-8")
    assert yaml.safe_load(text.split("---")[1])["company"] == stored
