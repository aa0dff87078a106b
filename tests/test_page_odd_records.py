"""A record with errors still gets its page, and a failing template is a clear error.

A record the schema refuses keeps the mappings its errors point into (an invoice
without an ``amount`` stays, so the page can show it as incomplete).  The page's
filters read such a missing value as "no value"; before, ``i.amount|money`` failed
and ``sortext build`` stopped with "internal error: UndefinedError".  The class is
any value a template reads from a record's own data being absent or refused, so
the property test below generates records with every list item missing any subset
of its fields, and fields of the wrong type.  A repository's own template is code
the user wrote: when it fails, the error names its file, its line and the record.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
import pytest
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sortext.check.load import parse_record
from sortext.errors import TemplateProblem
from sortext.pages import render
from sortext.pages.build import LIST_LIMIT
from sortext.repo import open_repository
from sortext.rules import findings as rules
from sortext.store.index import Index
from sortext.views.dashboard import client_view

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CORPUS = PROJECT_ROOT / "tests" / "corpus"
TODAY = "2026-11-30"
COMMON = {"limit": LIST_LIMIT, "soon_days": 7, "invoice_days": 14}


def _repo(tmp_path: Path, config: Path = PROJECT_ROOT / "sortext.yaml") -> Path:
    root = tmp_path / "records"
    (root / "clients").mkdir(parents=True)
    shutil.copy(config, root / "sortext.yaml")
    return root


def _build(cli: Callable[..., Result], root: Path) -> Result:
    return cli("build", "--today", TODAY, "--repo", str(root))


def test_the_record_of_the_report_gets_its_page(tmp_path: Path, cli: Callable[..., Result]) -> None:
    """The report's example: an invoice without an amount in a record with errors."""
    root = _repo(tmp_path)
    shutil.copy(CORPUS / "invalid" / "missing-required.md", root / "clients")
    result = _build(cli, root)
    assert "internal error" not in result.output, result.output
    page = (root / "site" / "clients" / "missing-required.html").read_text(encoding="utf-8")
    assert "INV-1" in page and "This record has errors" in page


@pytest.mark.parametrize("config", ["sortext.yaml", "tests/corpus/sortext.yaml"])
def test_every_corpus_record_builds(
    tmp_path: Path, cli: Callable[..., Result], config: str
) -> None:
    root = _repo(tmp_path, PROJECT_ROOT / config)
    folder = root / ("valid" if "corpus" in config else "clients")  # its clients_dir
    folder.mkdir(exist_ok=True)
    for md in sorted(CORPUS.glob("*/*.md")):
        shutil.copy(md, folder / f"{md.parent.name}-{md.name}")
    result = _build(cli, root)
    assert "internal error" not in result.output, result.output
    assert "written" in result.output
    assert (root / "site" / "clients" / "invalid-missing-required.html").is_file()


def test_value_filters_read_a_missing_value_as_none() -> None:
    env = render.environment(PROJECT_ROOT / "no-such-repo")
    missing = env.undefined(name="amount")
    for name in ("notes", "money", "days", "pct", "num", "nobr", "keepdates", "shown"):
        assert env.filters[name](missing) == env.filters[name](None), name
    assert env.filters["late"](missing, TODAY) == ""
    assert env.filters["unlabel"](missing, "blocked: ") == ""
    assert env.filters["chronological"](missing) == []
    assert env.filters["money"](missing, missing) == ""


@pytest.mark.parametrize("odd", [{}, {"amount": 3}, [1, 2], "12", True, False])
def test_number_filters_read_a_value_of_another_kind_as_none(odd: Any) -> None:
    """The report's second instance (hypothesis found it): ``amount: {}`` is an error
    the record keeps, as it keeps every mapping an error points at."""
    env = render.environment(PROJECT_ROOT / "no-such-repo")
    for name in ("money", "days", "pct", "num"):
        assert env.filters[name](odd) == env.filters[name](None), name
    if not isinstance(odd, str):  # a currency is text
        assert env.filters["money"](12, odd) == "12"
    for name in ("notes", "unlabel"):
        if isinstance(odd, str):
            continue  # text is what these read
        args = (odd, "blocked: ") if name == "unlabel" else (odd,)
        assert str(env.filters[name](*args)) == "", name


# -- generated records: list items with any fields missing or of the wrong kind ---------

_odd = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=12),
    st.lists(st.integers(0, 9), max_size=2),
    st.dictionaries(st.sampled_from(["a", "amount"]), st.integers(0, 9), max_size=2),
    st.sampled_from(["2026-10-01", "2026-13-45", "held", "overdue", "sent", "g1"]),
)

# each list's fields as a valid record writes them
_ITEMS: dict[str, dict[str, Any]] = {
    "invoices": {
        "id": "INV-7",
        "status": "sent",
        "amount": 120,
        "currency": "EUR",
        "issued": "2026-10-01",
        "due": "2026-11-01",
        "paid_on": "2026-11-02",
    },
    "sessions": {"date": "2026-11-20", "kind": "coaching", "status": "held", "focus": "plan"},
    "goals": {"id": "g1", "title": "Run 5k", "baseline": 10, "target": 30, "by": "2027-01-01"},
    "measurements": {"goal": "g1", "date": "2026-11-01", "value": 20, "note": "ok"},
    "blockers": {"what": "waiting on contract", "since": "2026-10-01"},
}


@st.composite
def _items(draw: st.DrawFn, fields: dict[str, Any]) -> list[dict[str, Any]]:
    items = []
    for _ in range(draw(st.integers(0, 3))):
        kept = draw(st.sets(st.sampled_from(sorted(fields))))
        item = {key: fields[key] for key in sorted(kept)}
        for key in draw(st.sets(st.sampled_from(sorted(fields)), max_size=2)):
            item[key] = draw(_odd)
        items.append(item)
    return items


@st.composite
def _front_matters(draw: st.DrawFn) -> dict[str, Any]:
    data: dict[str, Any] = {"name": "Ada Quill", "stage": "active", "owner": "maya"}
    for key in draw(st.sets(st.sampled_from(["name", "stage", "owner"]), max_size=2)):
        if draw(st.booleans()):
            del data[key]
        else:
            data[key] = draw(_odd)
    for key, fields in _ITEMS.items():
        if draw(st.booleans()):
            data[key] = draw(_items(fields))
    for key in draw(st.sets(st.sampled_from(["tags", "links", "email", "phone", "company"]))):
        data[key] = draw(st.one_of(_odd, st.lists(_odd, max_size=2)))
    for key in draw(st.sets(st.sampled_from(["next_action", "billing", "dates", "consent"]))):
        data[key] = draw(
            st.one_of(
                _odd,
                st.fixed_dictionaries(
                    {},
                    optional={
                        "what": _odd,
                        "due": _odd,
                        "rate": _odd,
                        "currency": _odd,
                        "first_contact": _odd,
                        "data_use": _odd,
                    },
                ),
            )
        )
    return data


_parts: list[Any] = []


def _validator_and_config() -> tuple[Any, Any]:
    if not _parts:
        import tempfile

        with tempfile.TemporaryDirectory() as base:
            root = _repo(Path(base))
            repo = open_repository(root)
            with Index.open(repo) as index:
                _parts.extend([index.validator, repo.config])
    return _parts[0], _parts[1]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_front_matters())
def test_a_record_with_any_fields_missing_renders_its_page(data: dict[str, Any]) -> None:
    validator, config = _validator_and_config()
    text = f"---\n{json.dumps(data)}\n---\n\nNotes.\n"
    parsed = parse_record(text.encode("utf-8"), "clients/ada-quill.md", validator)
    if parsed.record is None:  # not a mapping at all: no page is made from it
        return
    template = render.environment(PROJECT_ROOT / "no-such-repo").get_template("client.html.j2")
    import datetime as dt

    today = dt.date.fromisoformat(TODAY)
    assessment = rules.assess(parsed.record, config, today)
    view = client_view(parsed.record, config, today, parsed.diagnostics, False, assessment)
    page = render.render_page(template, "clients/ada-quill.md", c=view, **COMMON)
    assert page.startswith("<!doctype html>") or page.lstrip().lower().startswith("<!doctype")


# -- a repository's own template ------------------------------------------------------


def _own_template(root: Path, change: tuple[str, str]) -> None:
    text = (render.package_template_dir() / "client.html.j2").read_text(encoding="utf-8")
    assert change[0] in text
    (root / "templates").mkdir(exist_ok=True)
    (root / "templates" / "client.html.j2").write_text(
        text.replace(change[0], change[1], 1), encoding="utf-8"
    )


def _line_of(root: Path, needle: str) -> int:
    lines = (root / "templates" / "client.html.j2").read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if needle in line)


def test_a_failing_template_of_the_repository_names_its_line_and_the_record(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    root = _repo(tmp_path)
    shutil.copy(CORPUS / "invalid" / "missing-required.md", root / "clients")
    _own_template(root, ("{{ i.amount|money(i.currency or b.currency) }}", "{{ i.amount + 1 }}"))
    result = _build(cli, root)
    line = _line_of(root, "{{ i.amount + 1 }}")
    assert "internal error" not in result.output
    assert f"templates/client.html.j2:{line}: " in result.output
    assert "while rendering clients/missing-required.md" in result.output
    assert result.exit_code != 0


def test_a_template_that_does_not_compile_names_its_line(
    tmp_path: Path, cli: Callable[..., Result]
) -> None:
    root = _repo(tmp_path)
    shutil.copy(
        CORPUS / "valid" / sorted(p.name for p in (CORPUS / "valid").glob("*.md"))[0],
        root / "clients",
    )
    _own_template(root, ("{{ i.amount|money(i.currency or b.currency) }}", "{{ i.amount + }}"))
    result = _build(cli, root)
    line = _line_of(root, "{{ i.amount + }}")
    assert "internal error" not in result.output
    assert f"templates/client.html.j2:{line}: " in result.output
    assert result.exit_code != 0


@pytest.mark.parametrize(
    "broken",
    [
        "{{ c.data.nothing.deeper }}",
        "{{ c.data.name|int + 'x' }}",
        "{{ 1 // 0 }}",
        "{{ c.section('billing').rate|money('EUR')|attr('nope')() }}",
        "{{ c.data['name'][99] }}",
    ],
)
def test_any_runtime_failure_of_a_template_is_a_template_problem(
    tmp_path: Path, broken: str
) -> None:
    env = jinja2.Environment()
    env.filters.update(render.environment(PROJECT_ROOT / "no-such-repo").filters)
    template = env.from_string("line one\n" + broken + "\n")
    validator, config = _validator_and_config()
    text = (CORPUS / "invalid" / "missing-required.md").read_bytes()
    record = parse_record(text, "clients/missing-required.md", validator).record
    assert record is not None
    import datetime as dt

    today = dt.date.fromisoformat(TODAY)
    view = client_view(record, config, today, [], False, rules.assess(record, config, today))
    with pytest.raises(TemplateProblem, match=r"while rendering clients/missing-required\.md"):
        render.render_page(template, "clients/missing-required.md", c=view)
