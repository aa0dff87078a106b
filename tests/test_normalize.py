"""normalize's fast path gives what the plain recursive definition gives."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from sortext.record.values import key_text, normalize


def plain_normalize(value: Any) -> Any:
    if isinstance(value, dict):
        return {key_text(k): plain_normalize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_normalize(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


class Text(str):
    pass


LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=5),
    st.dates(),
    st.datetimes(),
    st.datetimes(timezones=st.just(dt.UTC)),
    st.text(max_size=5).map(Text),
    st.text(max_size=5).map(DoubleQuotedScalarString),
)
KEYS = st.one_of(st.text(max_size=5), st.booleans(), st.none(), st.integers(), st.dates())
VALUES = st.recursive(
    LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(KEYS, inner, max_size=4),
        st.lists(inner, max_size=3).map(CommentedSeq),
        st.dictionaries(KEYS, inner, max_size=3).map(CommentedMap),
    ),
    max_leaves=20,
)


def same(a: Any, b: Any) -> bool:
    """Equal, with equal types all the way down (normalize returns leaves as they are)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(
            type(k) is type(j) and same(a[k], b[j]) for k, j in zip(a, b, strict=True)
        )
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


@settings(max_examples=500, deadline=None)
@given(VALUES)
def test_normalize_is_the_plain_definition(value: Any) -> None:
    assert same(normalize(value), plain_normalize(value))
