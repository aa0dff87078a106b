"""sortext erase reaches the client's values in the spellings people and writers give
them: other case, a name split over lines of notes, extra blanks, a doubled apostrophe
(YAML single quotes), a phone written with other separators, a name without its
accents; in notes, commit messages and annotated tags.  Verification looks for the
same spellings, so a trace it cannot see is not reported clean."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from click.testing import Result
from hypothesis import given
from hypothesis import strategies as st

from sortext.vcs import git as gitlayer
from sortext.vcs.erase import Value
from tests.conftest import git

CLIENT = "clients/amara-okafor.md"
OTHER = "clients/bruno-castellanos.md"
# Each mention, and a loose pattern (case, any blanks) that must find none afterwards.
MENTIONS = [
    "Met AMARA OKAFOR's partner.",
    "Call with Amara\nOkafor next week.",
    "amara   okafor (see AMARA-OKAFOR.md)",
    "Her number: +44 20-7946-0312, also 442079460312.",
    "Write to Amara.Okafor@Example.COM",
]
LOOSE = [rb"(?i)amara\s+okafor", rb"(?i)amara-okafor", rb"2079460312", rb"(?i)amara\.okafor@"]


def loose_hits(root: Path) -> list[str]:
    hits = []
    for oid, _kind, data in gitlayer.all_objects(root):
        flat = re.sub(rb"[\s().\-/]", b"", data)  # phone digits without separators
        hits += [f"{oid}:{p!r}" for p in LOOSE if re.search(p, data) or re.search(p, flat)]
    return hits


def test_erase_reaches_other_spellings_everywhere(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    other = records_repo / OTHER
    other.write_text(other.read_text("utf-8") + "\n" + "\n\n".join(MENTIONS) + "\n", "utf-8")
    git(records_repo, "commit", "--quiet", "-am", "notes about AMARA OKAFOR\n\nAmara\nOkafor")
    git(records_repo, "tag", "-a", "v2", "-m", "release after amara  okafor's review")
    assert loose_hits(records_repo)  # the test can fail
    result = cli("erase", "amara-okafor", "--yes", "--repo", str(records_repo))
    assert result.exit_code == 0, result.output
    assert loose_hits(records_repo) == []
    text = other.read_text("utf-8")
    assert "Bruno Castellanos" in text and text.count("(erased)") >= len(MENTIONS)
    assert "amara" not in git(records_repo, "log", "--all", "--format=%B").lower()
    assert "amara" not in git(records_repo, "cat-file", "-p", "v2").lower()


def test_verification_sees_other_spellings(records_repo: Path) -> None:
    from sortext.vcs.erase import verify_repository

    values = [Value("name", "Amara Okafor"), Value("phone", "+44 20 7946 0312")]
    other = records_repo / OTHER
    other.write_text(other.read_text("utf-8") + "\nAMARA\n   okafor\n", "utf-8")
    git(records_repo, "commit", "--quiet", "-am", "note")
    found = verify_repository(records_repo, values, "local").found
    assert any(f.endswith(": name") for f in found)


words = st.text(alphabet="abcdefghijklmnopqrstuvwxyzé'", min_size=2, max_size=8).filter(
    lambda w: w.strip("'") == w and "''" not in w
)


@given(
    st.lists(words, min_size=2, max_size=3),
    st.lists(st.sampled_from([" ", "  ", "\n", "\n   ", "\t", "\\n"]), min_size=2, max_size=2),
    st.booleans(),
)
def test_a_name_matches_in_any_case_and_any_blanks(
    parts: list[str], gaps: list[str], upper: bool
) -> None:
    name = " ".join(parts)
    written = parts[0]
    for i, part in enumerate(parts[1:]):
        written += gaps[i % len(gaps)] + part
    written = written.replace("'", "''") if upper else written
    written = written.upper() if upper and name.isascii() else written
    rx = re.compile(Value("name", name).pattern())
    assert rx.search(f"notes: {written}.".encode())
    assert not rx.search(f"notes: x{written}".encode())  # a whole word only


@given(st.lists(st.integers(min_value=0, max_value=9), min_size=6, max_size=12), st.data())
def test_a_phone_matches_with_any_separators(digits: list[int], data: st.DataObject) -> None:
    plain = "".join(map(str, digits))
    seps = data.draw(st.lists(st.sampled_from(["", " ", "-", ".", "/"]), min_size=len(digits)))
    written = "".join(d + s for d, s in zip(plain, seps, strict=False)).rstrip(" -./")
    rx = re.compile(Value("phone", "+" + " ".join([plain[:2], plain[2:]])).pattern())
    assert rx.search(f"tel {written} ok".encode())
    assert rx.search(f"tel +{written} ok".encode())


def test_refs_named_after_the_client_are_refused_then_verified(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    """A rewrite keeps ref names: a tag ``amara-okafor-signed`` kept the id while the
    report said clean.  Erase now refuses until it is renamed, and verification reads
    ref names."""
    from sortext.vcs.erase import verify_repository

    git(records_repo, "tag", "amara-okafor-signed")
    git(records_repo, "branch", "draft/Amara-Okafor")
    refused = cli("erase", "amara-okafor", "--yes", "--repo", str(records_repo))
    assert refused.exit_code == 2, refused.output
    assert "refs/tags/amara-okafor-signed" in refused.output
    assert "refs/heads/draft/Amara-Okafor" in refused.output
    assert (records_repo / CLIENT).exists()
    found = verify_repository(records_repo, [Value("id", "amara-okafor")], "local").found
    assert "ref refs/tags/amara-okafor-signed: id" in found
    git(records_repo, "tag", "-d", "amara-okafor-signed")
    git(records_repo, "branch", "-m", "draft/Amara-Okafor", "draft/client-a")
    done = cli("erase", "amara-okafor", "--yes", "--repo", str(records_repo))
    assert done.exit_code == 0, done.output


ids = st.from_regex(r"[a-z][a-z0-9]{1,6}(-[a-z0-9]{1,5}){0,2}", fullmatch=True)


@given(
    ids, st.sampled_from(["", "-2", "-signed"]), st.sampled_from(["refs/heads/", "refs/tags/x/"])
)
def test_named_refs_finds_the_id_but_not_another_clients(
    rid: str, suffix: str, prefix: str
) -> None:
    from sortext.vcs.erase import named_refs

    ref = f"{prefix}{rid}{suffix}"
    assert named_refs([ref], rid) == [ref]
    assert named_refs([ref.upper()], rid) == [ref.upper()]
    assert named_refs([f"{prefix}x{rid}"], rid) == []  # not a word start
    if suffix == "-2":  # ``rid-2`` is another client: its refs are its own
        assert named_refs([ref], rid, [rid, f"{rid}-2"]) == []


def test_erase_reaches_html_escaped_and_url_encoded_forms(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    """The pages escape a name for HTML (``O&#39;Kafor``) and links percent-encode an
    email (``%40``): the pages branch kept them after an erase."""
    path = records_repo / CLIENT
    path.write_text(path.read_text("utf-8").replace("Amara Okafor", "Amara O'Kafor", 1), "utf-8")
    git(records_repo, "commit", "--quiet", "-am", "name spelled as on the contract")
    git(records_repo, "switch", "--quiet", "-c", "sortext-pages")
    page = records_repo / "site" / "index.html"
    page.parent.mkdir()
    page.write_text(
        "<a>Amara O&#39;Kafor</a> <a>Amara O&#x27;Kafor</a> "
        "<a href='mailto:amara.okafor%40example.com?subject=Amara%20O%27Kafor'>mail</a> "
        "<a href='/search?q=Amara+O%27Kafor'>find</a> <a>Bruno Castellanos</a>",
        "utf-8",
    )
    git(records_repo, "add", "--force", "site")  # site/ is ignored on main
    git(records_repo, "commit", "--quiet", "-m", "pages")
    git(records_repo, "switch", "--quiet", "main")
    result = cli("erase", "amara-okafor", "--yes", "--repo", str(records_repo))
    assert result.exit_code == 0, result.output
    shown = git(records_repo, "show", "sortext-pages:site/index.html")
    assert "Kafor" not in shown and "okafor" not in shown.lower(), shown
    assert "Bruno Castellanos" in shown


@given(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzéüÅ'&\"", min_size=2, max_size=8),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzéüÅ'&\"", min_size=2, max_size=8),
    st.sampled_from(["html", "jinja", "url", "form", "json", "ascii-json"]),
)
def test_every_written_form_of_a_name_is_matched(first: str, last: str, kind: str) -> None:
    import html
    import json
    from urllib.parse import quote, quote_plus

    from sortext.vcs.erase import _written_forms

    name = f"{first} {last}"
    written = {
        "html": html.escape(name),
        "jinja": html.escape(name).replace("&#x27;", "&#39;").replace("&quot;", "&#34;"),
        "url": quote(name, safe=""),
        "form": quote_plus(name, safe=""),
        "json": json.dumps(name, ensure_ascii=False)[1:-1],
        "ascii-json": json.dumps(name)[1:-1],
    }[kind]
    patterns = [re.compile(Value("name", f).pattern()) for f in _written_forms(name)]
    text = f"<p> {written} </p>".encode()
    assert any(p.search(text) for p in patterns)
