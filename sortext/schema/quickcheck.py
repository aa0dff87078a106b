"""A yes/no record check generated from the schema: fastjsonschema's answer, faster.

:meth:`sortext.schema.validate.RecordValidator.problems` only asks the fast validator
*whether* a record is valid (a record that is not is validated again with
``jsonschema`` to collect every problem with its message).  fastjsonschema's code
answers that by raising on the first violation, and pays on every value for what
the raise needs: a set of the keys of every mapping, one ``remove`` per key, the
same ``isinstance`` tests twice, a path formatted with ``locals()`` in every list.
For the keywords the record schema uses (``type``, ``enum``, ``properties``,
``required``, ``additionalProperties``, ``items``, ``anyOf``, ``minLength``,
``maxLength``, ``pattern``, ``format``, ``minimum``, ``maximum``; annotations
ignored), :func:`generate` writes a function returning True exactly where
fastjsonschema 2.22's draft-07 validator returns without raising (each test below
is the library's own, read from its generator; tests/test_quickcheck.py holds the two
equal on generated records and on values of every kind).  A schema with any other
keyword (custom ones included), a ``$ref`` left in place or a ``default`` gets None:
the caller keeps fastjsonschema.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from types import CodeType
from typing import Any

#: Keywords that only annotate (fastjsonschema generates nothing for them here).
_ANNOTATIONS = frozenset({"description", "title", "$schema", "$id", "$defs", "$comment"})
_KEYWORDS = frozenset(
    {
        "type",
        "enum",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "anyOf",
        "minLength",
        "maxLength",
        "pattern",
        "format",
        "minimum",
        "maximum",
    }
)
_PYTHON_TYPES = {
    "null": "NoneType",
    "boolean": "bool",
    "number": "int, float, Decimal",
    "integer": "int",
    "string": "str",
    "array": "list, tuple",
    "object": "dict",
}


class Unsupported(Exception):
    """The schema uses something :func:`generate` does not write: keep fastjsonschema."""


def generate(
    schema: Mapping[str, Any],
    formats: Mapping[str, Callable[[Any], bool]],
    answers: Mapping[str, Mapping[str, bool]] | None = None,
    compiler: Callable[[str, str], CodeType] | None = None,
) -> Callable[[Any], bool] | None:
    """``valid(data) -> bool`` for the draft-07 ``schema`` (``$ref`` already written
    out, see :func:`sortext.schema.effective.draft7_copy`), checking ``formats`` with
    the given functions as fastjsonschema does; None when the schema needs more.

    ``answers``: per format, a mapping its function keeps of the answers it gave, by
    text (only ever the function's own answers): a text found there answering True
    is taken without the call (a record holds ~60 dates).  ``compiler(source, name)``:
    compiles the generated module (the caller may keep the result); a code object
    that does not run is compiled again here."""
    writer = _Writer(formats, answers or {})
    try:
        source = writer.module(schema)
    except Unsupported:
        return None
    namespace: dict[str, Any] = {
        "Decimal": Decimal,
        "NoneType": type(None),
        "_MISSING": _MISSING,
        **{name: formats[fmt] for fmt, name in writer.format_names.items()},
        **{
            f"M{name}": writer.answers[fmt]
            for fmt, name in writer.format_names.items()
            if fmt in writer.answers
        },
        "R": {
            name: re.compile(DOLLAR_FINDER.sub(r"\\Z", pattern))
            for pattern, name in writer.patterns.items()
        },
    }
    namespace.update(writer.constants)
    name = "<sortext record quick check>"
    code = compile(source, name, "exec") if compiler is None else compiler(source, name)
    found = dict(namespace)
    try:
        exec(code, found)  # our generated code (a kept copy is digest-checked)
        check = found.get("valid")
    except Exception:
        check = None
    if not callable(check):  # a kept entry that does not run, or another module
        found = dict(namespace)
        exec(compile(source, name, "exec"), found)
        check = found["valid"]
    result: Callable[[Any], bool] = check
    return result


_MISSING = object()

#: fastjsonschema's ``draft04.DOLLAR_FINDER``: each unescaped ``$`` of a pattern is
#: compiled as ``\Z`` (tests/test_quickcheck.py holds the copy to the library's).
DOLLAR_FINDER = re.compile(r"(?<!\\)\$")


class _Writer:
    def __init__(
        self,
        formats: Mapping[str, Callable[[Any], bool]],
        answers: Mapping[str, Mapping[str, bool]],
    ) -> None:
        self.formats = formats
        self.answers = {fmt: answers[fmt] for fmt in formats if fmt in answers}
        self.patterns: dict[str, str] = {}
        self.format_names: dict[str, str] = {}
        self.constants: dict[str, Any] = {}
        self.functions: list[str] = []
        self.depth = 0

    def module(self, schema: Mapping[str, Any]) -> str:
        body = self.node(schema, "d", 1)
        lines = ["def valid(d):", *body, "    return True"]
        return "\n".join([*self.functions, "\n".join(lines), ""])

    def constant(self, value: Any) -> str:
        name = f"C{len(self.constants)}"
        self.constants[name] = value
        return name

    def var(self) -> str:
        self.depth += 1
        return f"v{self.depth}"

    def node(self, schema: Any, var: str, indent: int) -> list[str]:
        """Lines that ``return False`` when ``var`` breaks ``schema``."""
        pad = "    " * indent
        if schema is True:
            return []
        if not isinstance(schema, dict):
            raise Unsupported(f"schema {schema!r}")
        unknown = set(schema) - _KEYWORDS - _ANNOTATIONS
        if unknown:
            raise Unsupported(f"keywords {sorted(unknown)}")
        lines: list[str] = []
        known: str | None = None  # the one Python type the value is known to have
        if "type" in schema:
            types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
            try:
                python = ", ".join(_PYTHON_TYPES[t] for t in types)
            except (KeyError, TypeError) as exc:
                raise Unsupported("type") from exc
            test = f"not isinstance({var}, ({python}))"
            if "integer" in types:
                test += f" and not (isinstance({var}, float) and {var}.is_integer())"
            if ("number" in types or "integer" in types) and "boolean" not in types:
                test += f" or isinstance({var}, bool)"
            lines.append(f"{pad}if {test}: return False")
            if types in (["string"], ["object"], ["array"]):
                known = types[0]
        if "enum" in schema:
            lines.append(f"{pad}if not ({self.enum(var, schema['enum'])}): return False")
        lines += self.strings(schema, var, indent, known == "string")
        lines += self.numbers(schema, var, indent)
        lines += self.objects(schema, var, indent, known == "object")
        lines += self.arrays(schema, var, indent, known == "array")
        if "anyOf" in schema:
            branches = schema["anyOf"]
            if not isinstance(branches, list) or not branches:
                raise Unsupported("anyOf")
            names = [self.function(branch) for branch in branches]
            lines.append(f"{pad}if not ({' or '.join(f'{n}({var})' for n in names)}): return False")
        return lines

    def function(self, schema: Any) -> str:
        name = f"f{len(self.functions)}"
        self.functions.append("")  # keep the name's place while nested ones are written
        index = len(self.functions) - 1
        body = self.node(schema, "d", 1)
        self.functions[index] = "\n".join([f"def {name}(d):", *body, "    return True", ""])
        return name

    def enum(self, var: str, values: Any) -> str:
        if not isinstance(values, list | tuple):
            raise Unsupported("enum")
        tests = []
        strings = [v for v in values if isinstance(v, str)]
        if strings:
            tests.append(f"isinstance({var}, str) and {var} in {self.constant(frozenset(strings))}")
        for value in values:
            if isinstance(value, bool):
                tests.append(f"isinstance({var}, bool) and {var} is {value!r}")
            elif isinstance(value, int | float):
                if value != value or value in (float("inf"), float("-inf")):
                    raise Unsupported("enum value")
                tests.append(
                    f"isinstance({var}, (int, float)) and not isinstance({var}, bool) "
                    f"and {var} == {self.constant(value)}"
                )
            elif value is None:
                tests.append(f"{var} is None")
            elif not isinstance(value, str):
                raise Unsupported("enum value")
        return " or ".join(f"({t})" for t in tests) or "False"

    def strings(self, schema: Mapping[str, Any], var: str, indent: int, known: bool) -> list[str]:
        tests = []
        for word, op in (("minLength", "<"), ("maxLength", ">")):
            if word in schema:
                bound = schema[word]
                if not isinstance(bound, int | float) or isinstance(bound, bool):
                    raise Unsupported(word)
                tests.append(f"len({var}) {op} {bound!r}")
        if "pattern" in schema:
            pattern = schema["pattern"]
            if not isinstance(pattern, str):
                raise Unsupported("pattern")
            name = self.patterns.setdefault(pattern, f"p{len(self.patterns)}")
            tests.append(f"not R[{name!r}].search({var})")
        if "format" in schema:
            fmt = schema["format"]
            if isinstance(fmt, str) and callable(self.formats.get(fmt)):
                name = self.format_names.setdefault(fmt, f"F{len(self.format_names)}")
                if fmt in self.answers:
                    tests.append(f"not (M{name}.get({var}) or {name}({var}))")
                else:
                    tests.append(f"not {name}({var})")
            else:  # a format fastjsonschema knows (or ignores): not written here
                raise Unsupported("format")
        if not tests:
            return []
        pad = "    " * indent
        test = " or ".join(tests)
        if known:
            return [f"{pad}if {test}: return False"]
        return [f"{pad}if isinstance({var}, str) and ({test}): return False"]

    def numbers(self, schema: Mapping[str, Any], var: str, indent: int) -> list[str]:
        tests = []
        for word, op in (("minimum", "<"), ("maximum", ">")):
            if word in schema:
                bound = schema[word]
                if not isinstance(bound, int | float | Decimal) or isinstance(bound, bool):
                    raise Unsupported(word)
                tests.append(f"{var} {op} {self.constant(bound)}")
        if not tests:
            return []
        pad = "    " * indent
        return [
            f"{pad}if isinstance({var}, (int, float, Decimal)) and not isinstance({var}, bool) "
            f"and ({' or '.join(tests)}): return False"
        ]

    def objects(self, schema: Mapping[str, Any], var: str, indent: int, known: bool) -> list[str]:
        words = ("properties", "required", "additionalProperties")
        if not any(word in schema for word in words):
            return []
        pad = "    " * indent
        inner = pad if known else pad + "    "
        lines = [] if known else [f"{pad}if isinstance({var}, dict):"]
        props = schema.get("properties", {})
        if not isinstance(props, dict):
            raise Unsupported("properties")
        if "required" in schema:
            required = schema["required"]
            if not isinstance(required, list) or len(required) != len(set(required)):
                raise Unsupported("required")
            if required:
                lines.append(
                    f"{inner}if not {self.constant(frozenset(required))} <= {var}.keys(): "
                    "return False"
                )
        extra = schema.get("additionalProperties", True)
        if not isinstance(extra, bool | dict):
            raise Unsupported("additionalProperties")
        if extra is False:
            lines.append(
                f"{inner}if not {var}.keys() <= {self.constant(frozenset(props))}: return False"
            )
        step = indent if known else indent + 1
        for key, definition in props.items():
            if not isinstance(key, str):
                raise Unsupported("property name")
            if definition is False:
                lines.append(f"{inner}if {key!r} in {var}: return False")
                continue
            item = self.var()
            body = self.node(definition, item, step + 1)
            if body:
                lines.append(f"{inner}{item} = {var}.get({key!r}, _MISSING)")
                lines.append(f"{inner}if {item} is not _MISSING:")
                lines += body
        if extra is not True and extra is not False and extra != {}:
            item = self.var()
            key = f"k{self.depth}"
            body = self.node(extra, item, step + 2)
            if body:
                lines.append(f"{inner}for {key}, {item} in {var}.items():")
                lines.append(f"{inner}    if {key} not in {self.constant(frozenset(props))}:")
                lines += body
        return lines if len(lines) > (0 if known else 1) else []

    def arrays(self, schema: Mapping[str, Any], var: str, indent: int, known: bool) -> list[str]:
        if "items" not in schema or schema["items"] is True:
            return []
        items = schema["items"]
        if not isinstance(items, dict):
            raise Unsupported("items")
        pad = "    " * indent
        item = self.var()
        if known:
            body = self.node(items, item, indent + 1)
            return [f"{pad}for {item} in {var}:", *body] if body else []
        body = self.node(items, item, indent + 2)
        if not body:
            return []
        return [
            f"{pad}if isinstance({var}, (list, tuple)):",
            f"{pad}    for {item} in {var}:",
            *body,
        ]
