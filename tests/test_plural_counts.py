"""Counts agree in number (README "Commands": "1 warning"): messages built as
``f"{n} records"`` printed "Wrote 1 files.", "created 1 records", "1 notes", "last
verified backup 1 days ago", "verified 1 records".  Every count goes through
``count(n, noun)``; this test finds a number put straight before a plural noun in
sortext's source, and runs two of the commands that said it with one item."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

from tests.conftest import PROJECT_ROOT, SAMPLE_TODAY

NOUNS = (
    "records|files|notes|rows|changes|cells|sessions|clients|errors|warnings|commits|"
    "problems|conflicts|values|objects|days|items|invoices|entries|lines|events|bookings"
)
#: ``{expr} nouns`` in an f-string, the number not spelled through count()
BARE = re.compile(r"\{[^{}]+\} (?:new |git )?(?:" + NOUNS + r")\b")
#: where the number cannot be 1 (the line says why)
ALLOWED = {
    # days_phrase: 0, 1 and -1 are today, tomorrow and yesterday
    'return f"in {days} days" if days > 0 else f"{-days} days ago"',
    # not counts: a client id before the word "notes", the age buckets' text, a
    # limit of thousands, "+2 -3" before "lines"
    'f"marker lines, or settle it with: sortext resolve {record_id} notes "',
    "out.append(f\"  outstanding {fmt(c.outstanding_total, None) or '0'}  ({buckets} days)\")",
    'raise UsageError(f"{folder}: more than {MAX_FILES} notes; import a subfolder")',
    "return f\"notes {' '.join(parts)} lines\"",
}


def test_no_count_is_put_straight_before_a_plural_noun() -> None:
    found = []
    for path in sorted((PROJECT_ROOT / "sortext").rglob("*.py")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if BARE.search(line) and line.strip() not in ALLOWED:
                found.append(f"{path.relative_to(PROJECT_ROOT)}:{n}: {line.strip()}")
    assert not found, "use count(n, noun):\n" + "\n".join(found)


#: ``{{ expr }} nouns`` in a template: the number printed straight before the noun
TEMPLATE_BARE = re.compile(r"\}\} (?:" + NOUNS + r")\b")


def test_no_template_puts_a_count_straight_before_a_plural_noun() -> None:
    """The pages said "1 invoices overdue", "1 records with errors", "within 1 days"
    (soon_days: 1) and, on a client page, "1 days" (terms_days: 1): a template spells
    a count with the ``count`` filter (``{{ n|count('invoice') }}``)."""
    found = []
    for path in sorted((PROJECT_ROOT / "sortext" / "templates").iterdir()):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for hit in TEMPLATE_BARE.finditer(line):
                found.append(f"{path.name}:{n}: {hit.group(0)}")
    assert not found, "use the count filter:\n" + "\n".join(found)


def test_the_pages_count_one_in_the_singular(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    """One client, one overdue invoice, soon_days and invoice_days of 1 and payment
    terms of one day: every page says it in the singular."""
    config = records_repo / "sortext.yaml"
    text = config.read_text("utf-8")
    text = re.sub(r"(?m)^(  (?:invoice_)?due_soon_days): \d+$", r"\1: 1", text)
    assert text.count("due_soon_days: 1\n") == 2
    config.write_text(text, encoding="utf-8")
    for other in sorted((records_repo / "clients").glob("*.md"))[1:]:
        other.unlink()
    (record,) = (records_repo / "clients").glob("*.md")
    text = record.read_text("utf-8")
    assert "terms_days:" in text, "the sample record has payment terms"
    record.write_text(re.sub(r"terms_days: \d+", "terms_days: 1", text), encoding="utf-8")
    done = cli("build", "--today", SAMPLE_TODAY, "--repo", str(records_repo))
    assert done.exit_code == 0, done.output
    pages = [records_repo / "NEXT.md", records_repo / "site" / "index.html"]
    pages += (records_repo / "site" / "clients").glob("*.html")
    for page in pages:
        assert not re.search(r"\b1 (?:" + NOUNS + r")\b", page.read_text("utf-8")), page
    client = next((records_repo / "site" / "clients").glob("*.html")).read_text("utf-8")
    assert ", 1 day</dd>" in client


def test_the_pattern_finds_what_it_is_for() -> None:
    assert BARE.search('click.echo(f"created {len(plan.new)} records", err=True)')
    assert BARE.search('f"Wrote {len(result.written)} files."')
    assert not BARE.search("f\"created {count(len(plan.new), 'record')}\"")


def test_one_row_is_one_record_and_one_file(
    records_repo: Path, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    form = tmp_path / "form.csv"
    form.write_text("Name,Email\nRae Lin,rae@example.org\n", encoding="utf-8")
    made = cli("intake", str(form), "--today", SAMPLE_TODAY, "--repo", str(records_repo))
    assert made.exit_code == 0, made.output
    assert "created 1 record\n" in made.stderr, made.output
    sheet = tmp_path / "rate.csv"
    sheet.write_text("id,rate\namara-okafor,450\n", encoding="utf-8")
    fmap = tmp_path / "rate.yaml"
    fmap.write_text(
        "match: id\nfields:\n  id: id\n  billing.rate: {column: rate, type: number}\n",
        encoding="utf-8",
    )
    args = ("import", str(sheet), "--map", str(fmap), "--accept", "theirs")
    done = cli(*args, "--repo", str(records_repo))
    assert done.exit_code == 0, done.output
    assert "Wrote 1 file." in done.stderr, done.output
