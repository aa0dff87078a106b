"""Erase's scan compares under full Unicode case folding and one normal form: a
client's value or sentence written elsewhere as ``ÉLODIE``, ``STRASSE`` for
``Straße``, with a Turkish ``İ``, a Greek final sigma or a decomposed accent (a
macOS file name, some editors) is found; the rewrite replaces the value's other
cases and normal forms too."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from click.testing import Result
from hypothesis import given, settings
from hypothesis import strategies as st

from sortext.vcs.erase import REPLACEMENT, Value, verify_repository, working_tree_hits
from sortext.vcs.erasetext import client_sentences
from tests.conftest import git

RECASINGS: dict[str, Callable[[str], str]] = {
    "upper": str.upper,
    "lower": str.lower,
    "title": str.title,
    "casefold": str.casefold,
    "swapcase": str.swapcase,
}
Form = Literal["NFC", "NFD"]
FORMS: tuple[Form, ...] = ("NFC", "NFD")

#: letters of scripts with case, and the troublesome ones by name
LETTERS = st.sampled_from(
    list("abcdefghijklmnopqrstuvwxyz")
    + list("éèêëàâäåæçñöøüúíóáßœ")
    + list("ÉÈÀÇÑÖÜÆØ")
    + ["ς", "σ", "Σ", "ά", "ο", "δ", "υ"]  # Greek, final sigma
    + ["İ", "ı", "ş", "ğ"]  # Turkish dotted and dotless i
    + ["ж", "Д", "ё", "я"]  # Cyrillic
)
WORDS = st.text(alphabet=LETTERS, min_size=3, max_size=9)


def _write(folder: Path, line: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "other.md").write_text(f"Notes.\n\n{line}\n", "utf-8")


@settings(max_examples=150, deadline=None)
@given(
    st.lists(WORDS, min_size=1, max_size=3).filter(lambda ws: not " ".join(ws).isascii()),
    st.sampled_from(sorted(RECASINGS)),
    st.sampled_from(FORMS),
    st.sampled_from(FORMS),
)
def test_a_non_ascii_value_is_found_recased_and_renormalised(
    words: list[str], recase: str, stored: Form, written: Form
) -> None:
    import tempfile

    name = unicodedata.normalize(stored, " ".join(words))
    elsewhere = unicodedata.normalize(written, RECASINGS[recase](name))
    with tempfile.TemporaryDirectory() as tmp:
        _write(Path(tmp), f"Met {elsewhere} today.")
        hits = working_tree_hits(Path(tmp), [Value("name", name)])
    assert hits == ["other.md: name"], (name, elsewhere)


SENTENCE_WORDS = (
    st.lists(WORDS, min_size=5, max_size=7)
    .map(" ".join)
    .filter(lambda s: not s.isascii() and len("".join(s.split())) >= 20)
)


@settings(max_examples=100, deadline=None)
@given(SENTENCE_WORDS, st.sampled_from(sorted(RECASINGS)), st.sampled_from(FORMS))
def test_a_non_ascii_sentence_is_found_recased_and_renormalised(
    sentence: str, recase: str, written: Form
) -> None:
    import tempfile

    found = client_sentences([sentence + "."], [], REPLACEMENT, set())
    assert found
    elsewhere = unicodedata.normalize(written, RECASINGS[recase](sentence))
    with tempfile.TemporaryDirectory() as tmp:
        _write(Path(tmp), f"> {elsewhere}.")  # quoted in an e-mail reply
        hits = working_tree_hits(Path(tmp), [], found)
    assert hits and hits[0].startswith("other.md, line 3: a sentence"), (sentence, elsewhere)


EXAMPLES = [
    ("Élodie Marchetti", "ÉLODIE MARCHETTI"),
    ("Élodie Marchetti", unicodedata.normalize("NFD", "élodie marchetti")),
    ("Jürgen Straße", "JÜRGEN STRASSE"),
    ("İlkay Yıldız", "ilkay yildiz"),
    ("Οδυσσέας Σταυρόπουλος", "ΟΔΥΣΣΈΑΣ ΣΤΑΥΡΌΠΟΥΛΟΣ"),
    ("Οδυσσέας Σταυρόπουλος", "οδυσσέασ σταυρόπουλοσ"),
]


def test_the_classic_cases(tmp_path: Path) -> None:
    for i, (name, elsewhere) in enumerate(EXAMPLES):
        _write(tmp_path / str(i), f"Met {elsewhere} today.")
        hits = working_tree_hits(tmp_path / str(i), [Value("name", name)])
        assert hits == ["other.md: name"], (name, elsewhere)


RECORD = """---
name: Élodie Marchetti
email: elodie@marchetti.example
stage: active
owner: theo
next_action:
  what: Send the revised plan
  owner: theo
  due: 2026-12-01
dates:
  started: 2026-10-01
consent:
  data_use: true
  contact: email
---

# Élodie Marchetti

Sa fille Amélie entre à l'école de musique après Noël, à Besançon.
"""


def test_erase_replaces_and_verifies_other_cases_and_forms(
    records_repo: Path, cli: Callable[..., Result]
) -> None:
    (records_repo / "clients" / "elodie-marchetti.md").write_text(RECORD, "utf-8")
    other = records_repo / "clients" / "bruno-castellanos.md"
    mentions = "\n\nReferred ÉLODIE MARCHETTI; " + unicodedata.normalize("NFD", "élodie marchetti")
    other.write_text(other.read_text("utf-8") + mentions + ".\n", "utf-8")
    kept = records_repo / "kept.md"  # a saved copy in capitals, outside git
    kept.write_text("SA FILLE AMÉLIE ENTRE À L'ÉCOLE DE MUSIQUE APRÈS NOËL, À BESANÇON.\n")
    git(records_repo, "add", "-A")
    git(records_repo, "commit", "--quiet", "-m", "a client with accents")
    result = cli("erase", "elodie-marchetti", "--yes", "--repo", str(records_repo))
    assert result.exit_code == 1, result.output  # the sentence kept in capitals
    assert "kept.md, line 1: a sentence of the client's notes" in result.output
    assert "STILL FOUND outside git" in result.output
    text = unicodedata.normalize("NFC", other.read_text("utf-8")).casefold()
    assert "élodie" not in text and "marchetti" not in text
    local = verify_repository(records_repo, [Value("name", "Élodie Marchetti")], "local")
    assert local.found == []


def test_verification_sees_other_cases_in_objects(records_repo: Path) -> None:
    other = records_repo / "clients" / "bruno-castellanos.md"
    other.write_text(other.read_text("utf-8") + "\nJÜRGEN STRASSE called.\n", "utf-8")
    git(records_repo, "commit", "--quiet", "-am", "note")
    found = verify_repository(records_repo, [Value("name", "Jürgen Straße")], "local").found
    assert any(f.endswith(": name") for f in found)
