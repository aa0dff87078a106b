"""Validate one parsed record: schema, then the rules JSON Schema cannot say.

Validation returns problems as values.  The fast path (fastjsonschema, compiled
once) accepts valid records in microseconds; only a record that fails it is
re-validated with ``jsonschema`` to collect *every* problem with a human
message.  Problems carry a data path; :mod:`sortext.check.load` turns the path
into a line and column.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import types
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sortext.files.slug import slug_problem
from sortext.record.tombstone import Tombstones
from sortext.record.values import DATE_ANSWERS, calendar_day, is_email, is_iso_date
from sortext.schema.config import Config
from sortext.schema.explain import Problem, _get, _nearest_path, did_you_mean, schema_problems

# Compiled validators by schema text: compiling costs ~30 ms, and the watcher builds a
# validator for every save.  A handful of schemas at most live in one process.
_COMPILED: dict[str, Callable[[Any], Any]] = {}

#: The formats the record schema names, checked by these functions.
_FORMATS: dict[str, Callable[[Any], bool]] = {"date": is_iso_date, "email": is_email}


def _compile(draft7: dict[str, Any], cache_dir: Path | None = None) -> Callable[[Any], Any]:
    import json

    key = json.dumps(draft7, sort_keys=True)
    found = _COMPILED.get(key)
    if found is None:
        found = fast_validator(draft7, key, cache_dir)
        if len(_COMPILED) >= 8:
            _COMPILED.clear()
        _COMPILED[key] = found
    return found


# Generated yes/no checks by schema text, as _COMPILED (~3 ms to generate).
_QUICK: dict[str, Callable[[Any], bool] | None] = {}


def _quick_check(
    draft7: dict[str, Any], cache_dir: Path | None = None
) -> Callable[[Any], bool] | None:
    """The generated check of ``draft7`` (its compiled code kept in ``cache_dir``, as
    fastjsonschema's is: compiling is ~3-8 ms of the ~4-9 a process would spend)."""
    import functools
    import json

    if os.environ.get("SORTEXT_FASTJSONSCHEMA", "") not in ("", "0"):
        return None
    key = json.dumps(draft7, sort_keys=True)
    if key not in _QUICK:
        from sortext.schema.quickcheck import generate

        if len(_QUICK) >= 8:
            _QUICK.clear()
        kept = functools.partial(_compile_kept, cache_dir=cache_dir)
        _QUICK[key] = generate(draft7, _FORMATS, {"date": DATE_ANSWERS}, kept)
    return _QUICK[key]


def fast_validator(
    draft7: dict[str, Any], text: str, cache_dir: Path | None = None
) -> Callable[[Any], Any]:
    """fastjsonschema's validator of ``draft7`` (``text``: its canonical JSON), the one
    ``fastjsonschema.compile`` gives, raising ``JsonSchemaValueException`` on the first
    violation.

    Compiling generates ~130 KB of Python source and compiles it (~30 ms, three
    quarters of it Python's compiler), in every process.  With ``cache_dir`` (derived
    data: ``.sortext/validators``) the compiled code object is kept there, marshalled
    and compressed, under a name hashed from the schema's text, the library's version,
    the formats and the Python bytecode version, behind a digest of its bytes: a stale
    entry is never read, a corrupt or unreadable one is compiled again, and a folder
    that cannot be written only costs the compile.  The trust is that of Jinja's
    bytecode cache in ``.sortext/templates``.
    """
    import fastjsonschema

    if cache_dir is None:
        return fastjsonschema.compile(draft7, formats=_FORMATS)
    import functools
    import importlib.util
    import marshal

    name = "\0".join(
        [
            fastjsonschema.VERSION,
            importlib.util.MAGIC_NUMBER.hex(),
            ",".join(sorted(_FORMATS)),
            text,
        ]
    )
    target = cache_dir / f"{hashlib.sha256(name.encode()).hexdigest()[:32]}.code"
    entry = _read_code(target)
    if entry is None:
        source = fastjsonschema.compile_to_code(draft7, formats=_FORMATS)
        code = compile(source, "<sortext record schema>", "exec")
        _store_code(target, zlib.compress(marshal.dumps(code), 6))
        entry = _entry_point(code)
    if entry is None:  # not the generator's usual module: compile as the library does
        return fastjsonschema.compile(draft7, formats=_FORMATS)
    return functools.partial(entry, custom_formats=_FORMATS)


def _entry_point(code: types.CodeType) -> Callable[..., Any] | None:
    """The validating function the generated module ``code`` defines (``validate``)."""
    namespace: dict[str, Any] = {}
    try:
        exec(code, namespace)  # our own generated code, its digest checked
    except Exception:  # a cache entry that does not run is compiled again
        return None
    found = namespace.get("validate")
    return found if callable(found) else None


def _read_code(target: Path) -> Callable[..., Any] | None:
    """The entry point of the code stored at ``target``; None when absent or damaged."""
    code = _read_code_object(target)
    return None if code is None else _entry_point(code)


def _read_code_object(target: Path) -> types.CodeType | None:
    """The code object stored at ``target``; None when absent or damaged."""
    import marshal

    try:
        blob = target.read_bytes()
    except OSError:
        return None
    digest, body = blob[:32], blob[32:]
    if len(digest) != 32 or hashlib.sha256(body).digest() != digest:
        return None
    try:
        code = marshal.loads(zlib.decompress(body))
    except (ValueError, EOFError, TypeError, zlib.error):
        return None
    return code if isinstance(code, types.CodeType) else None


def _compile_kept(source: str, name: str, cache_dir: Path | None) -> types.CodeType:
    """``compile(source, name, "exec")``, kept in ``cache_dir`` (``.sortext/validators``)
    under a name hashed from the source and Python's bytecode version (so an entry is
    only ever the compiled form of this very source), behind the digest
    :func:`_read_code_object` checks: a damaged entry is compiled again."""
    if cache_dir is None:
        return compile(source, name, "exec")
    import importlib.util
    import marshal

    key = "\0".join([importlib.util.MAGIC_NUMBER.hex(), name, source])
    target = cache_dir / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.quick"
    code = _read_code_object(target)
    if code is None:
        code = compile(source, name, "exec")
        _store_code(target, zlib.compress(marshal.dumps(code), 6))
    return code


def _store_code(target: Path, body: bytes) -> None:
    """Best effort, only where the state folder exists; other schemas' entries go."""
    from sortext.errors import StorageError
    from sortext.files.write import atomic_write

    folder = target.parent
    if not folder.parent.is_dir():
        return
    try:
        folder.mkdir(exist_ok=True)
        atomic_write(target, hashlib.sha256(body).digest() + body, durable=False)
        for old in folder.iterdir():
            if old.name.endswith(target.suffix) and old.name != target.name:
                old.unlink(missing_ok=True)
    except (OSError, StorageError):
        return


class RecordValidator:
    """Holds the compiled effective schema for one configuration."""

    def __init__(self, config: Config) -> None:
        from sortext.schema.effective import draft7_copy, effective_schema

        self.config = config
        self.schema = anchored(effective_schema(config))
        self._fast: Callable[[Any], Any] | None = None
        self._quick: Callable[[Any], bool] | bool | None = False  # False: not generated yet
        self._draft7 = draft7_copy(self.schema)
        self._tombstones: Tombstones | None = None
        self._tombstone_key: tuple[int, ...] | None = None
        self._tombstone_error: str | None = None
        self._tombstone_file: str | None = None
        self._one_pass = 0  # > 0: inside one_pass(), erased.yaml is not stat'ed again

    @contextmanager
    def one_pass(self) -> Iterator[None]:
        """Within the block, :meth:`tombstones` answers what ``erased.yaml`` held when
        the block began: the file is stat'ed once for a pass over many records (a cold
        check or build, one refresh of the index), not twice for each record.  A fork
        pool's workers started inside the block inherit the answer.  The next pass (the
        watcher's next save) stats it again, so an erase made meanwhile is seen.  Blocks
        nest; the outermost one decides."""
        if not self._one_pass:
            self._refresh_tombstones()
        self._one_pass += 1
        try:
            yield
        finally:
            self._one_pass -= 1

    def tombstones(self) -> Tombstones:
        """The repository's erasures (``erased.yaml``), read again only when the file
        changed (a long-running watcher sees an erase made meanwhile); inside
        :meth:`one_pass`, as they were when the pass began.

        An unreadable file erases nobody but is itself reported by every check
        (see :meth:`erased_problems`)."""
        if self._one_pass and self._tombstones is not None:
            return self._tombstones
        return self._refresh_tombstones()

    def _refresh_tombstones(self) -> Tombstones:
        """Stat ``erased.yaml``; read it again when its identity moved: inode, mtime,
        ctime and size (a file rewritten in place with its size and mtime put back
        still moves the ctime, which the kernel sets on every write)."""
        from sortext.record import tombstone

        if self._tombstone_file is None:  # a text path: stat'ed for every record
            self._tombstone_file = os.path.join(self.config.root, tombstone.FILE_NAME)
        try:
            st = os.stat(self._tombstone_file)
            key: tuple[int, ...] | None = (st.st_ino, st.st_mtime_ns, st.st_ctime_ns, st.st_size)
        except OSError:
            key = None
        if self._tombstones is None or key != self._tombstone_key:
            self._tombstone_key = key
            self._tombstone_error = None
            try:
                self._tombstones = tombstone.load(self.config.root)
            except ValueError as exc:
                self._tombstones = tombstone.Tombstones()
                self._tombstone_error = str(exc)
        return self._tombstones

    def quick_check(self) -> Callable[[Any], bool] | None:
        """The generated yes/no check (:mod:`sortext.schema.quickcheck`), or None when
        the schema needs fastjsonschema (or ``SORTEXT_FASTJSONSCHEMA=1`` asks for it)."""
        if self._quick is False:
            self._quick = _quick_check(self._draft7, self._cache_dir())
        return self._quick if callable(self._quick) else None

    def prepare(self) -> None:
        """Generate or compile what :meth:`problems` runs (before a fork, so that every
        worker inherits it)."""
        if self.quick_check() is None:
            self._compiled()

    def _compiled(self) -> Callable[[Any], Any]:
        if self._fast is None:
            self._fast = _compile(self._draft7, self._cache_dir())
        return self._fast

    def _cache_dir(self) -> Path | None:
        """``.sortext/validators`` of the configuration's repository; None when the state
        folder is a link leaving the repository (then nothing is kept)."""
        from sortext.errors import UnsafePathError
        from sortext.files.state import StateDir

        try:
            return StateDir(self.config.root).validator_cache
        except UnsafePathError:
            return None

    def problems(self, data: dict[str, Any], stem: str, source: str | None = None) -> list[Problem]:
        """Every problem in one normalized record (``stem``: file name without .md).

        ``source``: the YAML text ``data`` was read from, when there is one; a text
        that cannot spell a control character or an out-of-range number spares the
        walk over every value (see :func:`value_problems`)."""
        found: list[Problem] = []
        quick = self.quick_check()
        if quick is not None:
            valid = quick(data)
        else:
            import fastjsonschema

            try:
                self._compiled()(data)
                valid = True
            except fastjsonschema.JsonSchemaValueException:
                valid = False
        if not valid:
            found.extend(schema_problems(self.schema, data))
        found.extend(semantic_problems(data, self.config, stem, source))
        found.extend(self.erased_problems(data, stem))
        return found

    def is_erased(self, record_id: str, data: dict[str, Any]) -> bool:
        """True when the record is a client erased from this repository: derived data
        (index, pages, search) must not hold it at all, not even as a record with errors."""
        stones = self.tombstones()
        return bool(stones.entries) and stones.match_data(record_id, data) is not None

    def erased_problems(self, data: dict[str, Any], stem: str) -> list[Problem]:
        """An error when the record is a client erased from this repository: every
        door that validates a record (check, the pre-commit hook, the watcher,
        import, intake, the merge) then refuses to bring them back."""
        from sortext.record.tombstone import refusal

        stones = self.tombstones()
        if self._tombstone_error:
            return [Problem(("id",), f"{self._tombstone_error}; erasures cannot be enforced")]
        record_id = data.get("id") if isinstance(data.get("id"), str) else stem
        hit = stones.match_data(str(record_id), data) or stones.match(stem)
        if hit is None:
            return []
        return [Problem(("email",) if "email" in data else (), refusal(hit, "erased client"))]


# --- rules beyond JSON Schema ---------------------------------------------


def semantic_problems(
    data: dict[str, Any], config: Config, stem: str, source: str | None = None
) -> list[Problem]:
    """Cross-field rules: stage requirements, next action, owners, references
    (``source``: as for :meth:`RecordValidator.problems`)."""
    found: list[Problem] = []
    stage = data.get("stage")
    if isinstance(stage, str) and config.stage(stage) is not None:
        for req in config.requirements:
            if stage in req.stages and _get(data, req.field) in (None, "", [], {}):
                message = req.message or (
                    f"required at stage '{stage}': add it, or move the client to an earlier stage"
                )
                near = _nearest_path(data, req.field)
                found.append(
                    Problem(
                        near or ("stage",),
                        message,
                        req.severity,
                        "key" if near else "value",
                        req.field,
                    )
                )
        if stage in config.open_stages and "next_action" not in data:
            found.append(
                Problem(
                    ("stage",),
                    f"an open client (stage '{stage}') has no next action: "
                    "add next_action with what and due",
                    "warning",
                    field="next_action",
                )
            )
    if config.people:
        for path in (("owner",), ("next_action", "owner")):
            owner = _get(data, ".".join(str(p) for p in path))
            if isinstance(owner, str) and owner not in config.people:
                found.append(
                    Problem(
                        path,
                        f"'{owner}' is not one of the people in sortext.yaml "
                        f"({', '.join(config.people)}){did_you_mean(owner, list(config.people))}",
                        "warning",
                    )
                )
    found.extend(_identity_problems(data))
    found.extend(invoice_date_problems(data))
    found.extend(value_problems(data, source))
    stem_problem = slug_problem(stem)
    if stem_problem is not None:
        found.append(
            Problem(
                ("id",) if "id" in data else (),
                f"the file name '{stem}.md' is not a valid id: it {stem_problem}; rename the file",
                "error",
                "key" if "id" in data else "value",
            )
        )
    record_id = data.get("id")
    if isinstance(record_id, str) and record_id != stem:
        found.append(
            Problem(
                ("id",),
                f"id '{record_id}' differs from the file name '{stem}.md'; "
                "links and history follow the id",
                "warning",
            )
        )
    return found


#: The largest magnitude a number in a record may have: far above any amount,
#: rate or measurement, far below where sums overflow or floats lose whole units.
MAX_NUMBER = 10**15
#: Characters no record value may hold (tab and newline are text; the rest are
#: C0/C1 controls and DEL, which the round-trip YAML writer refuses too).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
#: Most values :func:`value_problems` reports (by default) for one record.
MAX_VALUE_PROBLEMS = 20


def value_problems(
    data: Any, source: str | None = None, limit: int | None = MAX_VALUE_PROBLEMS
) -> list[Problem]:
    """Values no command can use safely, wherever they are in ``data``.

    Control characters in text or keys (raw or YAML-escaped, NUL included: the
    writer refuses them, so check does too), numbers that are not finite or
    are larger than :data:`MAX_NUMBER` (``1e309``, a 5,000-digit integer).
    Iterative, at most ``limit`` problems (None: every one, for a caller that drops
    each refused value, :func:`sortext.check.load.parse_record`).  ``source``, the YAML
    text ``data`` was read from: when :func:`spells_only_plain_values` says no
    value read from it can be such a value, nothing is walked.
    """
    if source is not None and spells_only_plain_values(source):
        return []
    if _plainly_fine(data):
        return []
    return _value_problems(data, limit)


def _numberish_table() -> bytes:
    """A ``bytes.translate`` table: control bytes and backslash -> 0x01; digits, '.'
    and '_' (digit groups) -> 0x00; ``e`` and ``x`` in either case -> 0x02 (one search
    finds an exponent or a radix: 0x02 is no other byte's image); the letters of
    ``inf``, ``nan`` in lower case.  Bytes of 0x80 and above stay (no UTF-8 byte there
    is a digit)."""
    table = bytearray(range(256))
    for byte in (*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F, ord("\\")):
        table[byte] = 0x01
    for byte in b"0123456789._":
        table[byte] = 0x00
    for byte in b"INFA":
        table[byte] = byte + 32
    for byte in b"eExX":
        table[byte] = 0x02
    return bytes(table)


_NUMBERISH = _numberish_table()
# A number of MAX_NUMBER (10**15) or more needs 16 digits (or digit groups) in a row.
_LONG_NUMBER = b"\x00" * len(str(MAX_NUMBER))
# A UTF-8 C1 control character (U+0080..U+009F, NEL among them).
_C1_UTF8 = re.compile(b"\xc2[\x80-\x9f]")
# Where a tag can start: at the start of a line, after a space or a flow indicator.
_TAG = re.compile(r"(?:^|[\s\[{,:?-])!", re.MULTILINE)


def spells_only_plain_values(text: str) -> bool:
    """True when no value read from the YAML ``text`` can hold a control character or a
    number that is not finite or is outside +-:data:`MAX_NUMBER`.

    Conservative (a False only means "walk the values"): the text has no control
    character (tab and newline aside), no backslash (the only way to escape one into
    a quoted string), no tag (``!!float``), no ``0x`` (13 hexadecimal digits pass
    10**15), no 16 digits in a row (digit groups, dots and leading zeros counted),
    no exponent (``1e309``) and no ``.inf`` / ``.nan`` in any case.  Every other
    number a YAML reader accepts is shorter than 10**15, as a property test holds
    against :func:`value_problems`'s walk.  One ``bytes.translate`` and a few
    searches: ~18 us for a 5 KB front matter, a quarter of the walk.
    """
    if "!" in text and _TAG.search(text) is not None:
        return False
    raw = text.encode("utf-8", "surrogatepass")
    if not text.isascii() and _C1_UTF8.search(raw) is not None:
        return False
    mapped = raw.translate(_NUMBERISH)
    return not (
        b"\x01" in mapped
        or _LONG_NUMBER in mapped
        or b"\x00\x02" in mapped  # an exponent or a radix after a digit, "." or "_"
        or b"\x00inf" in mapped
        or b"\x00nan" in mapped
    )


def _plainly_fine(data: Any) -> bool:
    """True when :func:`value_problems` would find nothing: one pass without paths and
    one search over every text and key (nearly every record; the rest, and any value
    of a type other than the parsers' plain ones, get the full walk)."""
    texts: list[str] = []
    add = texts.append
    stack: list[Any] = [data]
    while stack:
        value = stack.pop()
        kind = type(value)
        if kind is str:
            add(value)
        elif kind is dict:
            for key, item in value.items():
                if isinstance(key, str):
                    add(key)
                stack.append(item)
        elif kind is list:
            stack.extend(value)
        elif kind is bool or value is None:
            continue
        elif kind is int or kind is float:
            if not -MAX_NUMBER <= value <= MAX_NUMBER:  # too large, infinite, or NaN
                return False
        else:
            return False
    # Newline is not a control character here, so joined texts match where one would.
    return _CONTROL.search("\n".join(texts)) is None


def _value_problems(data: Any, limit: int | None = MAX_VALUE_PROBLEMS) -> list[Problem]:
    found: list[Problem] = []
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(data, ())]
    while stack and (limit is None or len(found) < limit):
        value, path = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and _CONTROL.search(key):
                    found.append(Problem((*path, key), _control_message(key, "key"), at="key"))
                stack.append((item, (*path, key)))
        elif isinstance(value, list):
            stack.extend((item, (*path, i)) for i, item in enumerate(value))
        elif isinstance(value, str):
            if _CONTROL.search(value):
                found.append(Problem(path, _control_message(value, "value")))
        elif isinstance(value, bool):
            continue
        elif isinstance(value, int):
            if value > MAX_NUMBER or value < -MAX_NUMBER:
                found.append(Problem(path, _too_big()))
        elif isinstance(value, float):
            if math.isnan(value) or math.isinf(value):
                found.append(Problem(path, "not a finite number: write a real number"))
            elif abs(value) > MAX_NUMBER:
                found.append(Problem(path, _too_big()))
    found.reverse()
    return found


def _control_message(text: str, what: str) -> str:
    char = _CONTROL.search(text)
    code = ord(char.group()) if char else 0
    return (
        f"the {what} holds the control character U+{code:04X}; "
        "remove it (control characters act on terminals and cannot be written back)"
    )


def _too_big() -> str:
    return f"number too large: at most {MAX_NUMBER:,} either way"


def anchored(schema: Any) -> Any:
    r"""A copy of ``schema`` whose ``pattern`` values match whole values only.

    JSON Schema patterns are searched, and Python's ``$`` also matches before
    a final newline: ``^[a-z]+$`` accepts ``"abc\n"``.  A trailing ``$`` is
    compiled as ``\Z`` (end of text), for fastjsonschema and jsonschema alike.
    """
    if isinstance(schema, dict):
        out = {k: anchored(v) for k, v in schema.items()}
        pattern = schema.get("pattern")
        if isinstance(pattern, str) and pattern.endswith("$") and not pattern.endswith("\\$"):
            out["pattern"] = pattern[:-1] + "\\Z"
        return out
    if isinstance(schema, list):
        return [anchored(v) for v in schema]
    return schema


def invoice_date_problems(data: dict[str, Any]) -> list[Problem]:
    """A warning for each invoice date before the day the invoice was issued: paid
    on, or due, before ``issued`` (``paid_on: 2026-01-09`` for ``2026-10-09``).  Each
    is almost always a typo that moves money between months in ``sortext money`` and
    the exports, but a payment taken before the invoice was written (a deposit) is
    possible, so it warns, it does not refuse.  Dates that are not dates are the
    schema's to report; ``data``: one record's parsed front matter."""
    invoices = data.get("invoices")
    if not isinstance(invoices, list):
        return []
    found: list[Problem] = []
    for i, invoice in enumerate(invoices):
        if not isinstance(invoice, dict):
            continue
        issued = calendar_day(invoice.get("issued"))
        if issued is None:
            continue
        for field, what in (("paid_on", "paid on"), ("due", "due")):
            day = calendar_day(invoice.get(field))
            if day is not None and day < issued:
                found.append(
                    Problem(
                        ("invoices", i, field),
                        f"{what} {day.isoformat()}, before the invoice was issued "
                        f"({issued.isoformat()}): is one of the dates a typo?",
                        "warning",
                    )
                )
    return found


def _identity_problems(data: dict[str, Any]) -> list[Problem]:
    found: list[Problem] = []
    for list_name in ("goals", "invoices"):
        items = data.get(list_name)
        if not isinstance(items, list):
            continue
        seen: set[Any] = set()
        for i, item in enumerate(items):
            ident = item.get("id") if isinstance(item, dict) else None
            if not isinstance(ident, str):
                continue  # missing or not text: the schema reports it
            if ident in seen:
                found.append(
                    Problem((list_name, i, "id"), f"duplicate {list_name[:-1]} id '{ident}'")
                )
            seen.add(ident)
    goals = data.get("goals")
    goal_ids = (
        [g["id"] for g in goals if isinstance(g, dict) and isinstance(g.get("id"), str)]
        if isinstance(goals, list)
        else []
    )
    measurements = data.get("measurements")
    if isinstance(measurements, list):
        for i, m in enumerate(measurements):
            goal = m.get("goal") if isinstance(m, dict) else None
            if isinstance(goal, str) and goal not in goal_ids:
                known = ", ".join(dict.fromkeys(goal_ids)) or "none defined"
                found.append(
                    Problem(
                        ("measurements", i, "goal"),
                        f"no goal with id '{goal}' (goals: {known}){did_you_mean(goal, goal_ids)}",
                    )
                )
    return found
