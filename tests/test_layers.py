"""The package reads as the pipeline: no import circles, lower layers never import upper ones.

Every ``import`` in ``sortext/`` counts, including the ones inside functions
(a lazy import still makes a lower layer depend on an upper one).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "sortext"

# Lowest first.  A module may import its own folder and anything listed before it.
LAYERS = [
    "sortext",  # the package's __init__ (version) only
    "lazyre",  # patterns compiled on first use (imports only re)
    "errors",
    "files",
    "record",
    "schema",
    "repo",
    "check",
    "rules",
    "edit",
    "store",
    "vcs",
    "views",
    "pages",
    "io",
    "daemon",
    "doctor",
    "api",
    "assistant",
    "commands",
    "cli",
    "__main__",
]


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()


_DYNAMIC = {"import_module", "__import__"}


def _package_of(path: Path) -> list[str]:
    """The package a module's relative imports start from (``sortext.vcs`` for
    ``sortext/vcs/git.py`` and for ``sortext/vcs/__init__.py``)."""
    return list(path.relative_to(PACKAGE.parent).parent.parts)


def _imports(path: Path, source: str | None = None) -> set[str]:
    """Every sortext module ``path`` imports: ``import``/``from`` (absolute or relative,
    at any depth, TYPE_CHECKING blocks included) and ``importlib.import_module("...")`` or
    ``__import__("...")`` with a literal name."""
    found: set[str] = set()
    tree = ast.parse(source if source is not None else path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("sortext"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _package_of(path)[: len(_package_of(path)) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            if not module.startswith("sortext"):
                continue
            found.add(module)
            found.update(
                f"{module}.{a.name}" for a in node.names if f"{module}.{a.name}" in MODULES
            )
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            if (
                name in _DYNAMIC
                and isinstance(first, ast.Constant)
                and isinstance(first.value, str)
                and first.value.startswith("sortext")
            ):
                found.add(first.value)
    return {name for name in found if name in MODULES}


GRAPH = {name: _imports(path) - {name} for name, path in MODULES.items()}

# The one upward import: the package offers ``sortext.open`` (the public API,
# sortext/api.py) through a module ``__getattr__``, imported on first use so that
# ``import sortext`` stays cheap.  It is checked on its own below.
LAZY_ENTRY = ("sortext", "sortext.api")
GRAPH[LAZY_ENTRY[0]] = GRAPH[LAZY_ENTRY[0]] - {LAZY_ENTRY[1]}


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def test_every_folder_and_top_module_has_a_layer() -> None:
    unknown = sorted({_layer(m) for m in MODULES} - set(LAYERS))
    assert not unknown, f"add {unknown} to LAYERS in tests/test_layers.py, at its place"


def test_no_import_circles() -> None:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(GRAPH[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                part.append(w)
                if w == v:
                    break
            if len(part) > 1:
                circles.append(sorted(part))

    for module in sorted(GRAPH):
        if module not in index:
            visit(module)
    assert not circles, f"import circles: {circles}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_lower_layers_never_import_upper_ones(module: str) -> None:
    rank = LAYERS.index(_layer(module))
    upward = sorted(target for target in GRAPH[module] if LAYERS.index(_layer(target)) > rank)
    assert not upward, f"{module} ({_layer(module)}) imports upper layers: {upward}"


@pytest.mark.parametrize(
    "folder", sorted({p.parent for p in PACKAGE.rglob("__init__.py")}), ids=lambda p: p.name
)
def test_each_folder_says_what_it_holds_and_may_import(folder: Path) -> None:
    doc = ast.get_docstring(ast.parse((folder / "__init__.py").read_text(encoding="utf-8")))
    assert doc, f"{folder.name}/__init__.py has no docstring"
    if folder != PACKAGE:
        assert "May import" in doc, f"{folder.name}/__init__.py does not say what it may import"


def test_the_circle_check_finds_a_circle() -> None:
    """The check itself can fail: a made-up circle is found."""
    saved = dict(GRAPH)
    try:
        GRAPH["sortext.record.values"] = GRAPH["sortext.record.values"] | {"sortext.check.load"}
        with pytest.raises(AssertionError, match="import circles"):
            test_no_import_circles()
        with pytest.raises(AssertionError, match="imports upper layers"):
            test_lower_layers_never_import_upper_ones("sortext.record.values")
    finally:
        GRAPH.clear()
        GRAPH.update(saved)


def test_the_package_imports_the_api_only_lazily() -> None:
    """``sortext/__init__.py`` imports ``sortext.api`` inside ``__getattr__`` and nowhere
    else (type-checking imports aside), and no other module imports the API."""
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    lazy = [f for f in tree.body if isinstance(f, ast.FunctionDef) and f.name == "__getattr__"]
    assert lazy, "sortext/__init__.py has no __getattr__"
    inside = {id(n) for n in ast.walk(lazy[0])}
    checking = [
        n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING"
    ]
    inside |= {id(n) for block in checking for n in ast.walk(block)}
    eager = [
        n.lineno
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom) and n.module == "sortext.api" and id(n) not in inside
    ]
    assert not eager, f"sortext/__init__.py imports sortext.api eagerly on lines {eager}"
    users = sorted(m for m, deps in GRAPH.items() if "sortext.api" in deps and m != "sortext")
    assert all(_layer(m) in ("commands", "cli", "__main__") for m in users), users


def test_the_import_reader_sees_dynamic_relative_and_type_checking_imports() -> None:
    """Imports the graph must not miss: a literal ``importlib.import_module``, a relative
    import, one inside ``if TYPE_CHECKING:`` and one inside a function."""
    path = PACKAGE / "record" / "values.py"
    source = """
import importlib
from typing import TYPE_CHECKING
from . import positions
from ..check import load
if TYPE_CHECKING:
    from sortext.views.format import money
def f():
    importlib.import_module("sortext.daemon.service")
    __import__("sortext.io.export")
    from sortext.pages import build
"""
    assert _imports(path, source) == {
        "sortext.record",
        "sortext.record.positions",
        "sortext.check",
        "sortext.check.load",
        "sortext.views.format",
        "sortext.daemon.service",
        "sortext.io.export",
        "sortext.pages",
        "sortext.pages.build",
    }
