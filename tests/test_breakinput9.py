"""Break-testing data in and data out (issues 12 and 13), other instances of each class.

* CSV out: a cell a spreadsheet reads as a formula once it trims leading blanks,
  skips invisible characters or folds full-width forms (``  =1+1``, ``＝1+1``,
  ``\\u200b=1+1``) is neutralised like ``=1+1``.
* CSV in: a duplicated column name, or a non-empty cell no column name reaches
  (beyond the header, or under a blank header cell), was silently dropped; a
  UTF-16 or UTF-32 file with its byte-order mark (Excel's "Unicode text") is read.
* Terminal: a one-line field holding a line break (a name, an action, a company,
  an owner) forged output lines in ``next``, ``show``, ``changes`` and in error
  messages naming record values (``list --tag``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sortext.errors import UnknownValue, UsageError
from sortext.io.export import to_csv
from sortext.io.spreadsheet import read_table

TODAY = dt.date(2026, 11, 30)

# --- CSV out ----------------------------------------------------------------------

_FORMULA_CHARS = "=+-@"


def _formula_after_trim(cell: str) -> bool:
    """What a careful spreadsheet could read as a formula: the first character that is
    not blank, invisible or a quote mark, folded (NFKC), is one of ``= + - @``."""
    for char in cell:
        if char.isspace() or unicodedata.category(char) in ("Cc", "Cf") or char in "\"'":
            continue
        return unicodedata.normalize("NFKC", char)[:1] in _FORMULA_CHARS
    return False


def _cells(records: list[dict[str, object]], columns: list[str]) -> list[str]:
    text = to_csv(records, TODAY, columns)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return [cell for row in rows for cell in row]


@pytest.mark.parametrize(
    "name",
    [
        "  =1+1",
        " @SUM(A1)",
        "\u3000=1+1",  # ideographic space
        "\u00a0+1",  # no-break space
        "\uff1d1+1",  # full-width equals
        "\uff0bSUM(A1)",  # full-width plus
        "\uff0d2",  # full-width hyphen-minus
        "\uff20SUM(A1)",  # full-width commercial at
        "\u200b=1+1",  # zero-width space
        "\ufeff=1+1",  # byte-order mark
        "\n=1+1",
        '"=1+1"',
    ],
)
def test_csv_cells_that_become_formulas_after_trimming_are_neutralised(name: str) -> None:
    cells = _cells([{"id": "x", "name": name, "stage": "inquiry"}], ["id", "name"])
    assert cells[3].startswith("'"), cells[3]
    assert cells[3][1:] == name  # the text itself is kept after the mark


def _init(root: Path) -> None:
    """A new records repository at ``root``, made by ``sortext init``."""
    subprocess.run(
        [sys.executable, "-m", "sortext", "init", str(root)], check=True, capture_output=True
    )


def _sortext(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python -m sortext ARGS`` run in ``cwd``; its output as text."""
    return subprocess.run(
        [sys.executable, "-m", "sortext", *args], cwd=cwd, capture_output=True, text=True
    )


def _texts(folder: Path, files: dict[str, str]) -> None:
    """Each file name -> its text (UTF-8) written in ``folder``."""
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")


def test_csv_header_made_of_a_hidden_formula_is_neutralised() -> None:
    cells = _cells([{"id": "x"}], ["id", " =cmd", "\uff1dcmd"])
    assert cells[1] == "' =cmd" and cells[2] == "'\uff1dcmd"


def test_csv_plain_text_and_numbers_stay_as_they_are() -> None:
    cells = _cells(
        [{"id": "x", "name": "Ann - Lee", "billing": {"rate": -5}}],
        ["id", "name", "billing_rate"],
    )
    assert cells[3:] == ["x", "Ann - Lee", "-5"]


_hostile = st.text(
    alphabet=st.sampled_from(
        [
            *" \t\r\n\u3000\u00a0\u200b\ufeff\u202e\"'",
            *"=+-@\uff1d\uff0b\uff0d\uff20\ufe62\ufe63\ufe66\u207a\u208a",
            *"abc1(),;",
        ]
    ),
    max_size=8,
)


@settings(max_examples=200, deadline=None)
@given(name=_hostile, company=_hostile, header=_hostile)
def test_property_no_csv_cell_is_a_formula_after_trimming(
    name: str, company: str, header: str
) -> None:
    columns = ["id", "name", "company"] + ([header] if header not in ("", "id") else [])
    cells = _cells([{"id": "x", "name": name, "company": company}], columns)
    for cell in cells:
        assert cell.startswith("'") or not _formula_after_trim(cell), repr(cell)


# --- CSV in -----------------------------------------------------------------------


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_duplicate_column_names_are_refused_with_their_places(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "dup.csv",
        b"Client,Email,Email,Next step\r\nAnn Lee,ann@example.com,other@example.com,Call\r\n",
    )
    with pytest.raises(UsageError) as caught:
        read_table(path)
    message = str(caught.value)
    assert f"{path}:1:" in message and "'Email'" in message
    assert "columns 2 and 3" in message


def test_cells_beyond_the_header_are_refused_with_their_row(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "ragged.csv",
        b"Client,Email,Next step\r\nAnn Lee,ann@example.com,Call\r\n"
        b"Bo Chen,bo@example.com,Send,EXTRA,MORE\r\n",
    )
    with pytest.raises(UsageError) as caught:
        read_table(path)
    message = str(caught.value)
    assert f"{path}:3:4:" in message and "'EXTRA'" in message


def test_a_cell_under_a_blank_header_cell_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "blank.csv", b"Client,,Email\r\nAnn,secret,ann@example.com\r\n")
    with pytest.raises(UsageError) as caught:
        read_table(path)
    assert f"{path}:2:2:" in str(caught.value)


def test_empty_trailing_cells_and_blank_columns_without_values_are_fine(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "trail.csv",
        b"Client,Email,,\r\nAnn,ann@example.com,,\r\nBo,bo@example.com\r\nCy,cy@example.com,,,,\r\n",
    )
    table = read_table(path)
    assert [r.values["Client"] for r in table.rows] == ["Ann", "Bo", "Cy"]


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_unicode_text_with_a_byte_order_mark_is_read(tmp_path: Path, codec: str) -> None:
    text = "\ufeffClient\tEmail\r\nZoë Müller\tzoe@example.com\r\n"
    path = _write(tmp_path, "unicode.txt", text.encode(codec))
    table = read_table(path, "csv")
    assert table.rows[0].values == {"Client": "Zoë Müller", "Email": "zoe@example.com"}
    assert codec.split("-")[0] + "-" + codec.split("-")[1] in table.dialect


_cell_text = st.text(alphabet=st.sampled_from(list('ab ,;"\n\r')), max_size=5)


@settings(max_examples=150, deadline=None)
@given(
    header=st.lists(st.sampled_from(["A", "B", "C", ""]), min_size=1, max_size=4),
    rows=st.lists(st.lists(_cell_text, max_size=6), max_size=4),
)
def test_property_every_nonempty_cell_is_read_or_refused(
    tmp_path_factory: pytest.TempPathFactory, header: list[str], rows: list[list[str]]
) -> None:
    out = io.StringIO()
    csv.writer(out, delimiter=",", lineterminator="\r\n").writerows([header, *rows])
    path = tmp_path_factory.mktemp("p") / "t.csv"
    path.write_text(out.getvalue(), encoding="utf-8", newline="")
    try:
        table = read_table(path, delimiter=",")
    except UsageError:
        return  # a located refusal is fine
    kept = [v for row in table.rows for v in row.values.values() if v]
    given_cells = [
        c.strip().replace("\r\n", "\n").replace("\r", "\n")
        for row in rows
        for c in row
        if c.strip()
    ]
    assert sorted(kept) == sorted(given_cells)


# --- terminal: one-line fields ----------------------------------------------------


def test_unknown_value_message_keeps_to_its_line() -> None:
    exc = UnknownValue("--tag", "tag", "a\nFORGED", ["Tag\r\nFORGED-TAG", "x"])
    assert "\n" not in str(exc) and "\r" not in str(exc)
    assert "\\x0a" in str(exc)


RECORD = """---
name: "Nia\\nFORGED-NAME"
email: nia@example.com
company: "Co\\nFORGED-CO"
stage: proposal
owner: me
next_action: {what: "Call\\nFORGED-WHAT", due: 2026-12-01, owner: me}
tags: ["t\\nFORGED-TAG"]
billing: {plan: "Plan\\nFORGED-PLAN", rate: 100, currency: GBP, per: session}
invoices:
  - {id: "INV\\nFORGED-INV", amount: 100, status: overdue, issued: 2026-10-01, due: 2026-10-15}
sessions:
  - {date: 2026-12-01, kind: coaching, status: scheduled, focus: "Focus\\nFORGED-FOCUS"}
  - {date: 2026-11-20, kind: coaching, status: held, focus: "Held\\nFORGED-HELD"}
goals:
  - {id: g1, title: "Goal\\nFORGED-GOAL", measure: hours, baseline: 1, target: 5}
blockers:
  - {what: "Block\\nFORGED-BLOCK", since: 2026-11-01}
---
Notes stay multi-line.
"""


@pytest.fixture(scope="module")
def forged_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("forged") / "repo"
    run = [sys.executable, "-m", "sortext"]
    subprocess.run([*run, "init", str(root)], check=True, capture_output=True)
    (root / "clients" / "nia.md").write_text(RECORD, encoding="utf-8")
    git = ["git", "-C", str(root), "-c", "user.name=T", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "add", "-A"], check=True, capture_output=True)
    subprocess.run([*git, "commit", "-qm", "nia", "--no-verify"], check=True)
    record = root / "clients" / "nia.md"
    record.write_text(RECORD.replace("Co\\nFORGED-CO", "Co2\\nFORGED-CO2"), encoding="utf-8")
    subprocess.run([*git, "commit", "-qam", "company", "--no-verify"], check=True)
    return root


@pytest.mark.parametrize(
    "args",
    [
        ["next"],
        ["show", "nia"],
        ["list"],
        ["search", "FORGED"],
        ["agenda", "--week"],
        ["money"],
        ["changes", "--since", "2026-01-01"],
        ["history", "nia"],
        ["list", "--tag", "nope"],
        ["check"],
        ["pay", "nia", "INV"],
        ["measure", "nia", "nope", "3"],
    ],
)
def test_no_record_value_forges_an_output_line(forged_repo: Path, args: list[str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "sortext", *args, "--today", "2026-11-30"]
        if args[0] not in ("check", "pay", "measure", "history")
        else [sys.executable, "-m", "sortext", *args],
        cwd=forged_repo,
        capture_output=True,
        text=True,
    )
    assert "Traceback" not in proc.stderr
    for line in (proc.stdout + proc.stderr).splitlines():
        assert not line.lstrip().startswith("FORGED"), (args, line)
    assert proc.returncode in (0, 1, 2), proc.stderr


def test_show_json_keeps_the_values(forged_repo: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "sortext", "show", "nia", "--json", "--today", "2026-11-30"],
        cwd=forged_repo,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(proc.stdout)["name"] == "Nia\nFORGED-NAME"


# --- paths: names Windows reserves ------------------------------------------------

_RESERVED = ["con", "prn", "aux", "nul", "com1", "com9", "lpt1", "lpt9"]


@pytest.mark.parametrize("stem", _RESERVED)
def test_windows_device_names_are_not_slugs(stem: str) -> None:
    from sortext.files.slug import is_slug, safe_stem, slug_problem

    assert not is_slug(stem)
    assert "Windows" in (slug_problem(stem) or "")
    assert is_slug(safe_stem(stem)) and safe_stem(stem) != stem
    assert is_slug(f"{stem}-2") and is_slug(f"{stem}x") and is_slug("com10")


@pytest.mark.parametrize("name", ["Con", "NUL", "Aux", "Prn", "Com 1", "LPT9"])
def test_new_never_makes_a_record_windows_cannot_hold(name: str) -> None:
    from sortext.files.slug import is_slug, slugify

    assert is_slug(slugify(name))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("conprauxlt0123456789- .")), max_size=8))
@example("con")
@example("Com 1.")
@example("lpt9")
def test_property_a_slug_is_never_a_windows_device_name(text: str) -> None:
    from sortext.files.slug import is_slug, safe_stem, slugify

    for stem in (text, slugify(text), safe_stem(text)):
        if is_slug(stem):
            assert stem.split(".")[0] not in {
                "con",
                "prn",
                "aux",
                "nul",
                *(f"com{i}" for i in range(10)),
                *(f"lpt{i}" for i in range(10)),
            }


def test_check_names_a_record_file_windows_cannot_hold(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    _init(root)
    (root / "clients" / "aux.md").write_text(
        "---\nname: Aux\nstage: inquiry\nnext_action: {what: call, due: 2026-12-01}\n---\n",
        encoding="utf-8",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "sortext", "check"], cwd=root, capture_output=True, text=True
    )
    assert proc.returncode == 1
    assert "clients/aux.md:2:1: error: the file name 'aux.md' is not a valid id" in proc.stdout
    assert "Windows" in proc.stdout


# --- git author fields from sortext.yaml ------------------------------------------


@pytest.mark.parametrize(
    "author",
    [
        "Evil \x1b]0;PWNED\x07 <evil@example.com>",
        "Evil \x1b[2J <evil@example.com>",
        "Evil\u202e <evil@example.com>",
        "Evil\u2028Forged <evil@example.com>",
        "Evil \x85 <evil@example.com>",
        "Evil <evil\x00@example.com>",
        "Evil <evil\t@example.com>",
    ],
)
@pytest.mark.parametrize("section", ["git", "assistant"])
def test_an_author_with_control_characters_is_a_config_error(
    tmp_path: Path, author: str, section: str
) -> None:
    from sortext.errors import ConfigError
    from sortext.schema.config import parse_config

    text = f"{section}:\n  author: {json.dumps(author)}\n"
    with pytest.raises(ConfigError) as caught:
        parse_config(tmp_path, text.encode("utf-8"), "sortext.yaml")
    shown = str(caught.value) + "".join(str(d) for d in caught.value.diagnostics)
    assert "author" in shown


@pytest.mark.parametrize(
    "author", ["Maya Berg <maya@example.com>", "Zoë O'Brien <zoe@example.com>"]
)
def test_a_plain_author_is_fine(tmp_path: Path, author: str) -> None:
    from sortext.schema.config import parse_config

    text = f"git:\n  author: {json.dumps(author)}\n"
    parse_config(tmp_path, text.encode("utf-8"), "sortext.yaml")


def test_import_and_intake_plans_keep_each_name_on_its_line(forged_repo: Path) -> None:
    data = forged_repo.parent
    _texts(
        data,
        {
            "map.yaml": "source: sheet\nmatch: email\nfields:\n  name: Client\n  email: Email\n"
            "  next_action.what: Next step\n",
            "imp.csv": 'Client,Email,Next step\r\n"Ann\nFORGED-IMPORT",ann@example.com,"a\nb"\r\n',
            "form.csv": "Timestamp,Name,Email\r\n"
            '2026-11-30 10:00:00,"Ivy\nFORGED-INTAKE",ivy@example.com\r\n'
            '2026-11-30 10:00:00,"Nia\nFORGED-PROPOSED",nia@example.com\r\n',
        },
    )
    for args in (
        ["import", str(data / "imp.csv"), "--map", str(data / "map.yaml"), "--dry-run"],
        ["intake", str(data / "form.csv"), "--dry-run"],
    ):
        proc = _sortext(*args, cwd=forged_repo)
        assert "Traceback" not in proc.stderr
        assert "\\x0aFORGED" in proc.stdout + proc.stderr
        for line in (proc.stdout + proc.stderr).splitlines():
            assert not line.lstrip().startswith("FORGED"), (args, line)


# --- paths: clients_dir from sortext.yaml -----------------------------------------


@pytest.mark.parametrize(
    ("clients_dir", "words"),
    [
        ("clients\x00x", "U+0000"),
        (".GIT/clients", ".git"),  # .git itself on a case-insensitive disk (macOS, Windows)
        ("Site", "site"),
        (".Sortext/x", ".sortext"),
        ("a/../clients", "'..'"),
        ("clients/../clients", "'..'"),
        ("clients ", "ends in"),
        ("clients.", "ends in"),
        ("records/con", "Windows"),
        ("AUX.d", "Windows"),
    ],
)
def test_a_clients_dir_that_is_not_a_plain_folder_is_a_config_error(
    tmp_path: Path, clients_dir: str, words: str
) -> None:
    from sortext.schema.config import clients_dir_problem

    why = clients_dir_problem(tmp_path, clients_dir)
    assert why is not None and words in why, why


@pytest.mark.parametrize(
    "clients_dir", ["clients", "records/clients", "clients/", "./clients", "ünì"]
)
def test_a_plain_clients_dir_is_fine(tmp_path: Path, clients_dir: str) -> None:
    from sortext.schema.config import clients_dir_problem

    assert clients_dir_problem(tmp_path, clients_dir) is None


def test_a_nul_in_clients_dir_is_a_located_error_not_an_internal_error(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    _init(root)
    config = root / "sortext.yaml"
    text = config.read_text(encoding="utf-8").replace(
        "clients_dir: clients", 'clients_dir: "a\\0b"'
    )
    config.write_text(text, encoding="utf-8")
    for args in (["check"], ["build"], ["next"]):
        proc = subprocess.run(
            [sys.executable, "-m", "sortext", *args], cwd=root, capture_output=True, text=True
        )
        assert "internal error" not in proc.stderr + proc.stdout, proc.stderr
        assert (
            "sortext.yaml:" in proc.stderr + proc.stdout
            and "clients_dir" in proc.stderr + proc.stdout
        )


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.text(alphabet=st.sampled_from(list("aGiItTsS.x \x00\u202e/")), min_size=1, max_size=6),
        min_size=1,
        max_size=3,
    )
)
def test_property_an_accepted_clients_dir_is_a_plain_folder_of_the_repository(
    tmp_path_factory: pytest.TempPathFactory, parts: list[str]
) -> None:
    import os

    from sortext.schema.config import clients_dir_problem

    root = tmp_path_factory.mktemp("r")
    clients_dir = "/".join(parts)
    if clients_dir_problem(root, clients_dir) is not None:
        return
    names = [p for p in clients_dir.split("/") if p not in ("", ".")]
    assert names, clients_dir
    assert names[0].casefold() not in (".git", ".sortext", "site", "inbox")
    for name in names:
        assert name != ".." and "\x00" not in name
        assert not name.endswith((" ", "."))
    assert os.path.normpath(os.path.join(root, clients_dir)).startswith(str(root) + os.sep)


# --- paths: exports: in sortext.yaml ----------------------------------------------


def _repo_with_exports(tmp_path: Path, names: list[str]) -> Path:
    root = tmp_path / "repo"
    _init(root)
    lines = "".join(f"  {json.dumps(name)}: csv\n" for name in names)
    with (root / "sortext.yaml").open("a", encoding="utf-8") as out:
        out.write(f"exports:\n{lines}")
    return root


@pytest.mark.parametrize(
    "name",
    [
        "SORTEXT.YAML",  # sortext.yaml itself on a case-insensitive disk
        "Sortext.yaml",
        "Erased.yaml",
        "next.md",
        "Templates/x.csv",
        "INBOX/x.csv",
        "Clients/tom-berg.md",  # a record, replaced by a CSV, on macOS or Windows
        "a\x00b.csv",
        "exports/con.csv",
        "exports/x.csv.",
        "exports /x.csv",
        "exports/../sortext.yaml",
    ],
)
def test_an_export_that_would_replace_sortexts_own_file_is_a_config_error(
    tmp_path: Path, name: str
) -> None:
    from sortext.errors import ConfigError
    from sortext.io.export import configured_exports
    from sortext.repo import open_repository

    root = _repo_with_exports(tmp_path, [name])
    with pytest.raises(ConfigError) as caught:
        configured_exports(open_repository(root))
    assert "exports." in str(caught.value)


def test_a_plain_export_is_fine(tmp_path: Path) -> None:
    from sortext.io.export import configured_exports
    from sortext.repo import open_repository

    root = _repo_with_exports(tmp_path, ["exports/clients.csv", "due.ics"])
    found = configured_exports(open_repository(root))
    assert [p.name for p, _, _ in found] == ["due.ics", "clients.csv"]


def test_a_json_export_with_a_key_written_twice_is_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "form.json",
        b'[{"name": "Ann", "email": "ann@example.com", "email": "other@example.com"}]',
    )
    with pytest.raises(UsageError) as caught:
        read_table(path)
    assert "'email'" in str(caught.value) and str(path) in str(caught.value)


def test_a_json_export_with_distinct_keys_reads(tmp_path: Path) -> None:
    path = _write(tmp_path, "form.json", b'[{"a": {"b": 1}, "c": [{"b": 2}]}]')
    assert read_table(path).rows[0].values == {"a": {"b": 1}, "c": [{"b": 2}]}


def test_two_tally_questions_with_one_label_are_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "tally.json",
        json.dumps(
            [
                {
                    "createdAt": "2026-11-30",
                    "fields": [
                        {"label": "Email", "value": "ann@example.com"},
                        {"label": "Email", "value": "work@example.com"},
                    ],
                }
            ]
        ).encode(),
    )
    with pytest.raises(UsageError) as caught:
        read_table(path, flatten={"list": "fields"})
    assert "response 1" in str(caught.value) and "'Email'" in str(caught.value)


def test_a_question_named_like_a_key_of_the_response_is_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "tally.json",
        json.dumps(
            [{"createdAt": "2026-11-30", "fields": [{"label": "createdAt", "value": "x"}]}]
        ).encode(),
    )
    with pytest.raises(UsageError) as caught:
        read_table(path, flatten={"list": "fields"})
    assert "'createdAt'" in str(caught.value)


# --- filters: one text however it is encoded (NFC / NFD) --------------------------


def test_a_tag_or_owner_typed_in_nfd_finds_the_nfc_record(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    _init(root)
    config = root / "sortext.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("people: [me]", "people: [me, zoë]"),
        encoding="utf-8",
    )
    (root / "clients" / "ann.md").write_text(
        "---\nname: Ann\nstage: inquiry\nowner: zoë\ntags: [café]\n"
        "next_action: {what: call, due: 2026-12-01, owner: zoë}\n---\n",
        encoding="utf-8",
    )
    nfd_tag = unicodedata.normalize("NFD", "café")
    nfd_owner = unicodedata.normalize("NFD", "zoë")
    assert nfd_tag != "café"
    for args in (
        ["list", "--tag", nfd_tag],
        ["list", "--owner", nfd_owner],
        ["next", "--owner", nfd_owner],
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "sortext", *args, "--today", "2026-11-30"],
            cwd=root,
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, (args, proc.stderr)
        assert "Ann" in proc.stdout, (args, proc.stdout)


def test_a_broken_utf16_file_is_named_as_utf16(tmp_path: Path) -> None:
    path = _write(tmp_path, "odd.csv", b"\xff\xfeC")
    with pytest.raises(UsageError) as caught:
        read_table(path)
    assert "not utf-16-le" in str(caught.value)


# --- copies sync tools, git and file managers leave in clients/ -------------------


@pytest.mark.parametrize(
    ("name", "tool"),
    [
        ("tom-berg (Case Conflict).md", "Dropbox"),
        ("tom-berg (Case Conflict 1).md", "Dropbox"),
        ("tom-berg (Selective Sync Conflict).md", "Dropbox"),
        ("tom-berg (Selective Sync Conflict 2).md", "Dropbox"),
        ("tom-berg_LOCAL_12345.md", "git mergetool"),
        ("tom-berg_REMOTE_12345.md", "git mergetool"),
        ("tom-berg_BASE_12345.md", "git mergetool"),
        ("tom-berg_BACKUP_12345.md", "git mergetool"),
        ("tom-berg copy.md", "Finder"),
        ("tom-berg copy 2.md", "Finder"),
        ("tom-berg - Copy.md", "Explorer"),
        ("tom-berg - Copy (2).md", "Explorer"),
    ],
)
def test_more_copies_are_recognised_and_never_clients(name: str, tool: str) -> None:
    from sortext.record.copies import conflict_copy, is_record_name

    found = conflict_copy(name)
    assert found is not None and found.original == "tom-berg.md" and tool in found.tool
    assert not is_record_name(name)


@pytest.mark.parametrize(
    "name", ["tom-berg.md", "copy.md", "case-conflict.md", "local-12345.md", "tom-copy.md"]
)
def test_plain_names_stay_records(name: str) -> None:
    from sortext.record.copies import is_record_name

    assert is_record_name(name)


def test_a_case_conflict_copy_is_no_second_client_in_the_calendar(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    _init(root)
    record = (
        "---\nname: Tom Berg\nstage: inquiry\nnext_action: {what: call, due: 2026-12-01}\n---\n"
    )
    for name in ("tom-berg.md", "tom-berg (Case Conflict).md", "tom-berg_LOCAL_4242.md"):
        (root / "clients" / name).write_text(record, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "sortext", "export", "ics"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    assert proc.stdout.count("BEGIN:VEVENT") == 1


_slugs = st.from_regex(r"[a-z0-9][a-z0-9-]{0,20}", fullmatch=True)
_copy_names = [
    "{} (Case Conflict).md",
    "{} (Case Conflict {n}).md",
    "{} (Selective Sync Conflict).md",
    "{}_LOCAL_{n}.md",
    "{}_REMOTE_{n}.md",
    "{}_BASE_{n}.md",
    "{}_BACKUP_{n}.md",
    "{} copy.md",
    "{} copy {n}.md",
    "{} - Copy.md",
    "{} - Copy ({n}).md",
    "{}.sync-conflict-20261130-123456-ABCDEFG.md",
    "{} (Maya's conflicted copy 2026-11-30).md",
    "{} ({n}).md",
    "{} {n}.md",
]


@settings(max_examples=300, deadline=None)
@given(stem=_slugs, form=st.sampled_from(_copy_names), n=st.integers(1, 99999))
def test_property_a_copy_of_any_record_names_that_record(stem: str, form: str, n: int) -> None:
    from sortext.record.copies import conflict_copy, is_record_name

    name = form.format(stem, n=n)
    found = conflict_copy(name)
    assert found is not None and found.original == f"{stem}.md", name
    assert not is_record_name(name) and is_record_name(f"{stem}.md")


# --- import by id: the id column is text from another hand ------------------------


def test_import_by_id_matches_an_id_in_another_case_and_refuses_a_non_id(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    _init(root)
    (root / "clients" / "tom-berg.md").write_text(
        "---\nname: Tom Berg\nstage: inquiry\nnext_action: {what: call, due: 2026-12-01}\n---\n",
        encoding="utf-8",
    )
    _texts(
        tmp_path,
        {
            "map.yaml": "source: sheet\nmatch: id\nfields:\n  id: ID\n  name: Client\n"
            "  company: Company\n",
            "ids.csv": "ID,Client,Company\r\nTom-Berg,Tom Berg,Acme\r\n../../evil,Evil,X\r\n"
            "tom\u200bberg,Tom ZW,Y\r\n",
        },
    )
    proc = _sortext(
        "import",
        str(tmp_path / "ids.csv"),
        "--map",
        str(tmp_path / "map.yaml"),
        "--dry-run",
        cwd=root,
    )
    out = proc.stdout + proc.stderr
    assert "update: clients/tom-berg.md" in out and '+ company: "Acme"' in out
    assert "new:" not in out, out
    ids = tmp_path / "ids.csv"
    assert f"{ids}:3:1: id: '../../evil' is not a valid id" in out, out
    assert f"{ids}:4:1: id: 'tom" in out and "not a valid id" in out
    assert proc.returncode == 1


# --- config values that read files: timezone ----------------------------------------


@pytest.mark.parametrize("zone", ["Europe", "America", "Etc", "right", "posix/Europe"])
def test_a_timezone_that_is_a_folder_of_zones_is_a_config_error(tmp_path: Path, zone: str) -> None:
    root = tmp_path / "repo"
    _init(root)
    with (root / "sortext.yaml").open("a", encoding="utf-8") as out:
        out.write(f"timezone: {zone}\n")
    for args in (["check"], ["export", "ics"]):
        proc = subprocess.run(
            [sys.executable, "-m", "sortext", *args], cwd=root, capture_output=True, text=True
        )
        out_text = proc.stdout + proc.stderr
        assert "internal error" not in out_text, out_text
        if zone in ("Europe", "America", "Etc"):
            assert f"timezone: unknown time zone '{zone}'" in out_text, out_text
