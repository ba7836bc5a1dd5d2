"""The search language parser: filters, order_by clauses, experiment searches and page tokens."""

from __future__ import annotations

import base64
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.store.search import (
    NULL_OPS,
    NUMERIC_OPS,
    STRING_OPS,
    Comparison,
    Entity,
    OrderBy,
    decode_page_token,
    encode_page_token,
    parse_experiment_filter,
    parse_experiment_order_by,
    parse_filter,
    parse_order_by,
)

C = Comparison
FULL = (
    "metrics.acc > 0.9 and params.model = 'rf' and tags.team LIKE 'a%' and "
    "attributes.status IN ('FINISHED','FAILED') and attributes.run_name ILIKE '%x%'"
)

VALID = [
    ("", ()),
    ("  \t\n ", ()),
    (
        FULL,
        (
            C("metric", "acc", ">", 0.9),
            C("param", "model", "=", "rf"),
            C("tag", "team", "LIKE", "a%"),
            C("attribute", "status", "IN", ("FINISHED", "FAILED")),
            C("attribute", "run_name", "ILIKE", "%x%"),
        ),
    ),
    ("metric.acc>=1", (C("metric", "acc", ">=", 1.0),)),
    ("metrics.acc<-1.5e-3", (C("metric", "acc", "<", -0.0015),)),
    ("metrics.acc != +.5", (C("metric", "acc", "!=", 0.5),)),
    ("metrics.acc <= 1E3", (C("metric", "acc", "<=", 1000.0),)),
    ("METRICS.train.loss = 2", (C("metric", "train.loss", "=", 2.0),)),
    ("metrics.val-loss/x < 1", (C("metric", "val-loss/x", "<", 1.0),)),
    ("metrics.`my metric` > 0", (C("metric", "my metric", ">", 0.0),)),
    ('tags."a b" = "c"', (C("tag", "a b", "=", "c"),)),
    ("param.x = 'a'", (C("param", "x", "=", "a"),)),
    ("parameter.x like 'a'", (C("param", "x", "LIKE", "a"),)),
    ("parameters.x iLiKe 'a'", (C("param", "x", "ILIKE", "a"),)),
    ("tag.x != 'a'", (C("tag", "x", "!=", "a"),)),
    ("params.x = 'it''s'", (C("param", "x", "=", "it's"),)),
    ("params.x = 'it\\'s'", (C("param", "x", "=", "it's"),)),
    ('params.x = "say \\"hi\\""', (C("param", "x", "=", 'say "hi"'),)),
    ("params.x = 'back\\\\slash'", (C("param", "x", "=", "back\\slash"),)),
    ("params.x LIKE '100\\%'", (C("param", "x", "LIKE", "100\\%"),)),
    ("params.x = ''", (C("param", "x", "=", ""),)),
    ("params.x = 'é ☃'", (C("param", "x", "=", "é ☃"),)),
    ("params.x in ('a')", (C("param", "x", "IN", ("a",)),)),
    ("tags.x NOT   IN ( 'a' , \"b\" )", (C("tag", "x", "NOT IN", ("a", "b")),)),
    ("params.x IS NULL", (C("param", "x", "IS NULL", None),)),
    ("tags.x is  not  null", (C("tag", "x", "IS NOT NULL", None),)),
    ("attr.start_time > 123", (C("attribute", "start_time", ">", 123),)),
    ("run.end_time <= 1.5", (C("attribute", "end_time", "<=", 1.5),)),
    ("attribute.created = 7", (C("attribute", "start_time", "=", 7),)),
    ("Created != 7", (C("attribute", "start_time", "!=", 7),)),
    ("start_time >= 9223372036854775807", (C("attribute", "start_time", ">=", 2**63 - 1),)),
    ("start_time >= 9223372036854775808", (C("attribute", "start_time", ">=", 2.0**63),)),
    ("run_id = 'abc'", (C("attribute", "run_id", "=", "abc"),)),
    ("attributes.run_uuid IN ('a', 'b')", (C("attribute", "run_id", "IN", ("a", "b")),)),
    ("attributes.`Run name` = 'n'", (C("attribute", "run_name", "=", "n"),)),
    ("tags.mlflow.runName = 'n'", (C("attribute", "run_name", "=", "n"),)),
    ("tags.`mlflow.runName` LIKE 'n%'", (C("attribute", "run_name", "LIKE", "n%"),)),
    (
        "user_id = 'u' AND artifact_uri != 'x'",
        (
            C("attribute", "user_id", "=", "u"),
            C("attribute", "artifact_uri", "!=", "x"),
        ),
    ),
    (
        "experiment_id = '1' aNd lifecycle_stage = 'active'",
        (
            C("attribute", "experiment_id", "=", "1"),
            C("attribute", "lifecycle_stage", "=", "active"),
        ),
    ),
]


@pytest.mark.parametrize(("text", "expected"), VALID)
def test_parse_filter_valid(text: str, expected: tuple[Comparison, ...]) -> None:
    assert parse_filter(text) == expected


def test_parse_filter_none_and_cache() -> None:
    assert parse_filter(None) == ()
    assert parse_filter(FULL) is parse_filter(FULL)


INVALID = [
    ("metrics.acc foo 1", "expected a comparator at column 13 (found 'foo')"),
    ("metrics.acc", "expected a comparator at column 12 (found end of text)"),
    ("metrics.acc > 1 or params.x = 'a'", "OR is not supported at column 17 (found 'or')"),
    ("metrics.acc > 1 params.x = 'a'", "expected AND or the end of the filter at column 17"),
    ("metrics.acc > 1 and", "expected an identifier at column 20 (found end of text)"),
    ("= 1", "expected an identifier at column 1 (found '=')"),
    ("foo.x = 1", "unknown entity type 'foo' at column 1 (found 'foo.x')"),
    ("datasets.x = 'a'", "unknown entity type 'datasets' at column 1"),
    ("metrics = 1", "expected '.' and a key after 'metrics' at column 8 (found ' ')"),
    ("metrics. > 1", "expected a key at column 9 (found ' ')"),
    ("metrics.`x > 1", "unterminated string at column 9 (found '`x')"),
    ("bogus = 'x'", "unknown attribute 'bogus' at column 1 (found 'bogus')"),
    ("attributes.nope = 'x'", "unknown attribute 'nope' at column 12 (found 'nope')"),
    ("metrics.acc > 'a'", "expected a number to compare with metric 'acc' at column 15"),
    ("metrics.acc > x", "expected a number to compare with metric 'acc' at column 15 (found 'x')"),
    ("metrics.acc LIKE 'a%'", "comparator LIKE is not supported for metric 'acc' at column 13"),
    ("metrics.acc IN ('a')", "comparator IN is not supported for metric 'acc' at column 13"),
    ("metrics.acc IS NULL", "comparator IS NULL is not supported for metric 'acc' at column 13"),
    ("metrics.acc > 0.9x", "invalid number at column 15 (found '0.9x')"),
    ("metrics.acc > 1.2.3", "invalid number at column 15"),
    ("metrics.acc > 1e999", "number out of range at column 15 (found '1e999')"),
    ("metrics.acc > NaN", "expected a number to compare with metric 'acc' at column 15"),
    ("metrics.acc == 1", "expected a number to compare with metric 'acc' at column 14"),
    ("metrics.acc <> 1", "expected a number to compare with metric 'acc' at column 14"),
    ("params.x = 1", "expected a quoted string to compare with param 'x' at column 12 (found '1')"),
    ("params.x > 'a'", "comparator > is not supported for param 'x' at column 10 (found '>')"),
    ("tags.x <= 'a'", "comparator <= is not supported for tag 'x' at column 8"),
    ("params.x = 'abc", 'unterminated string at column 12 (found "\'abc")'),
    ("params.x = 'abc\\'", "unterminated string at column 12"),
    ("params.x IN ()", "an IN list must not be empty at column 14 (found ')')"),
    ("params.x IN ( )", "an IN list must not be empty at column 15 (found ')')"),
    ("params.x IN 'a'", "expected '(' to open a list of quoted strings at column 13"),
    ("params.x IN ('a',)", "expected a quoted string at column 18 (found ')')"),
    ("params.x IN ('a' 'b')", "expected ',' or ')' at column 18"),
    ("params.x IN ('a', 1)", "expected a quoted string at column 19 (found '1)')"),
    ("params.x IN ('a'", "expected ',' or ')' at column 17 (found end of text)"),
    ("params.x NOT LIKE 'a'", "expected IN after NOT at column 14 (found 'LIKE')"),
    ("params.x IS 'a'", "expected NULL after IS at column 13"),
    ("params.x LIKE 'a\\\\'", "a LIKE pattern must not end with a lone escape character"),
    ("status IS NULL", "comparator IS NULL is not supported for attribute 'status' at column 8"),
    ("status = FINISHED", "expected a quoted string to compare with attribute 'status'"),
    ("status > 'a'", "comparator > is not supported for attribute 'status' at column 8"),
    ("start_time > '1'", "expected a number to compare with attribute 'start_time' at column 14"),
    ("start_time LIKE '1'", "comparator LIKE is not supported for attribute 'start_time'"),
    ("run_name.x = 'a'", "unknown entity type 'run_name' at column 1"),
]


@pytest.mark.parametrize(("text", "message"), INVALID)
def test_parse_filter_invalid(text: str, message: str) -> None:
    with pytest.raises(InvalidParameterError, match=re.escape("filter_string: " + message)):
        parse_filter(text)


def test_error_hints_name_the_alternatives() -> None:
    with pytest.raises(InvalidParameterError, match=r"write metrics\.<key>, params\.<key>"):
        parse_filter("foo.x = 1")
    with pytest.raises(InvalidParameterError, match="only AND can combine conditions"):
        parse_filter("metrics.a > 1 OR metrics.b > 1")
    with pytest.raises(InvalidParameterError, match="valid attributes: artifact_uri, end_time"):
        parse_filter("nope = 'x'")


@pytest.mark.parametrize(
    ("clauses", "expected"),
    [
        (None, ()),
        ([], ()),
        (["metrics.acc DESC"], (OrderBy("metric", "acc", False),)),
        (["params.x"], (OrderBy("param", "x"),)),
        (["attributes.start_time ASC"], (OrderBy("attribute", "start_time"),)),
        (["tags.`a b` desc"], (OrderBy("tag", "a b", False),)),
        (
            ["start_time DESC", " run_name "],
            (
                OrderBy("attribute", "start_time", False),
                OrderBy("attribute", "run_name"),
            ),
        ),
        (
            ("created asc", "metric.m.x Desc"),
            (
                OrderBy("attribute", "start_time"),
                OrderBy("metric", "m.x", False),
            ),
        ),
        (["tags.mlflow.runName"], (OrderBy("attribute", "run_name"),)),
    ],
)
def test_parse_order_by_valid(clauses: list[str] | None, expected: tuple[OrderBy, ...]) -> None:
    assert parse_order_by(clauses) == expected


@pytest.mark.parametrize(
    ("clauses", "message"),
    [
        (
            ["metrics.acc up"],
            "order_by[0]: expected ASC, DESC or the end of the clause at column 13",
        ),
        (["start_time", "x"], "order_by[1]: unknown attribute 'x' at column 1"),
        (["metrics.acc DESC DESC"], "order_by[0]: expected ASC, DESC or the end of the clause"),
        ([""], "order_by[0]: expected an identifier at column 1 (found end of text)"),
        (["foo.bar"], "order_by[0]: unknown entity type 'foo' at column 1"),
    ],
)
def test_parse_order_by_invalid(clauses: list[str], message: str) -> None:
    with pytest.raises(InvalidParameterError, match=re.escape(message)):
        parse_order_by(clauses)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name = 'x'", (C("attribute", "name", "=", "x"),)),
        ("attributes.name LIKE 'e%'", (C("attribute", "name", "LIKE", "e%"),)),
        (
            "name ILIKE 'E%' and name != 'y'",
            (
                C("attribute", "name", "ILIKE", "E%"),
                C("attribute", "name", "!=", "y"),
            ),
        ),
        (
            "tags.k = 'v' and tag.`a b` like 'v%'",
            (
                C("tag", "k", "=", "v"),
                C("tag", "a b", "LIKE", "v%"),
            ),
        ),
        ("attributes.creation_time > 123", (C("attribute", "creation_time", ">", 123),)),
        ("last_update_time <= 5", (C("attribute", "last_update_time", "<=", 5),)),
    ],
)
def test_parse_experiment_filter(text: str, expected: tuple[Comparison, ...]) -> None:
    assert parse_experiment_filter(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("metrics.acc > 1", "unknown entity type 'metrics' at column 1"),
        ("status = 'x'", "unknown attribute 'status' at column 1"),
        ("name > 'x'", "comparator > is not supported for attribute 'name' at column 6"),
        ("creation_time = 'x'", "expected a number to compare with attribute 'creation_time'"),
    ],
)
def test_parse_experiment_filter_invalid(text: str, message: str) -> None:
    with pytest.raises(InvalidParameterError, match=re.escape("filter_string: " + message)):
        parse_experiment_filter(text)


def test_parse_experiment_order_by() -> None:
    assert parse_experiment_order_by(["name", "experiment_id DESC", "last_update_time"]) == (
        OrderBy("attribute", "name"),
        OrderBy("attribute", "experiment_id", False),
        OrderBy("attribute", "last_update_time"),
    )
    assert parse_experiment_order_by(["creation_time desc"]) == (
        OrderBy("attribute", "creation_time", False),
    )
    with pytest.raises(InvalidParameterError, match=re.escape("unknown attribute 'start_time'")):
        parse_experiment_order_by(["start_time"])


@pytest.mark.parametrize("offset", [0, 1, 1000, 2**40])
def test_page_token_round_trip(offset: int) -> None:
    token = encode_page_token(offset)
    assert decode_page_token(token) == offset
    assert re.fullmatch(r"[A-Za-z0-9_\-=]+", token)


def test_page_token_is_mlflow_compatible() -> None:
    assert base64.b64decode(encode_page_token(7)) == b'{"offset": 7}'
    assert decode_page_token(None) == 0
    assert decode_page_token("") == 0


def _token(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


@pytest.mark.parametrize(
    "token",
    [
        "x",
        "abc!",
        "!!!!",
        _token(b"[]"),
        _token(b"{}"),
        _token(b'{"offset": -1}'),
        _token(b'{"offset": "3"}'),
        _token(b'{"offset": true}'),
        _token(b'{"offset": 1.5}'),
        _token(b"\xff\xfe"),
        _token(b"7"),
    ],
)
def test_bad_page_token(token: str) -> None:
    with pytest.raises(InvalidParameterError, match=r"^Invalid page_token "):
        decode_page_token(token)


# -- property tests -----------------------------------------------------------------------------
ENTITIES: list[Entity] = ["metric", "param", "tag", "attribute"]
PREFIXES = {
    "metric": ["metrics", "metric", "METRICS", "Metric"],
    "param": ["params", "param", "parameters", "parameter", "PARAMS"],
    "tag": ["tags", "tag", "Tags"],
    "attribute": ["attributes", "attribute", "attr", "run", "ATTRIBUTES"],
}
STRING_ATTRIBUTES = ["run_id", "run_name", "status", "user_id", "artifact_uri", "experiment_id"]
KEYS = st.text(st.sampled_from("abcXYZ019_-./ é"), min_size=1, max_size=12)
# No NUL: the parser refuses it (no database stores one; see tests/reliability/).
TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)
SPACE = st.sampled_from([" ", "  ", "\t", "\n", " \r\n "])
OPT_SPACE = st.sampled_from(["", " ", "\t"])


def _random_case(draw: st.DrawFn, word: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(word), max_size=len(word)))
    return "".join(c.swapcase() if f else c for c, f in zip(word, flips, strict=True))


def _quote(draw: st.DrawFn, text: str, quotes: str) -> str:
    quote = draw(st.sampled_from(quotes))
    escaped = text.replace("\\", "\\\\")
    if draw(st.booleans()):
        return quote + escaped.replace(quote, quote * 2) + quote
    return quote + escaped.replace(quote, "\\" + quote) + quote


@st.composite
def comparisons(draw: st.DrawFn) -> tuple[Comparison, str]:
    """Draw a valid comparison and one of its many spellings."""
    entity: Entity = draw(st.sampled_from(ENTITIES))
    if entity == "attribute":
        key = draw(st.sampled_from([*STRING_ATTRIBUTES, "start_time", "end_time"]))
    else:
        key = draw(KEYS.filter(lambda k: (entity, k) != ("tag", "mlflow.runName")))
    value: object
    if entity == "metric":
        op = draw(st.sampled_from(NUMERIC_OPS))
        value = draw(st.floats(allow_nan=False, allow_infinity=False))
        value_text = repr(value)
    elif key in ("start_time", "end_time"):
        op = draw(st.sampled_from(NUMERIC_OPS))
        value = draw(st.integers(-(2**63), 2**63 - 1))
        value_text = str(value)
    else:
        ops = STRING_OPS + (NULL_OPS if entity != "attribute" else ())
        op = draw(st.sampled_from(ops))
        if op in NULL_OPS:
            value, value_text = None, ""
        elif op in ("IN", "NOT IN"):
            value = tuple(draw(st.lists(TEXT, min_size=1, max_size=3)))
            items = [_quote(draw, v, "'\"") for v in value]
            value_text = "(" + draw(OPT_SPACE) + ",".join(items) + ")"
        else:
            value = draw(TEXT)
            if op in ("LIKE", "ILIKE") and (len(value) - len(value.rstrip("\\"))) % 2:
                value += "x"
            value_text = _quote(draw, value, "'\"")
    if re.fullmatch(r"[\w.\-/]+", key) and draw(st.booleans()):
        key_text = key
    else:
        key_text = _quote(draw, key, '`"')
    bare = entity == "attribute" and draw(st.booleans())
    ident = key if bare else draw(st.sampled_from(PREFIXES[entity])) + "." + key_text
    op_text = " ".join(_random_case(draw, word) for word in op.split())
    op_text = op_text.replace(" ", draw(SPACE))
    before = draw(SPACE if op[0].isalpha() else OPT_SPACE)
    after = draw(SPACE) if op in NULL_OPS else draw(OPT_SPACE)
    return Comparison(entity, key, op, value), f"{ident}{before}{op_text}{after}{value_text}"


@settings(max_examples=400, deadline=None)
@given(st.lists(comparisons(), max_size=4), SPACE, st.data())
def test_rendered_filters_parse_back(
    items: list[tuple[Comparison, str]], space: str, data: st.DataObject
) -> None:
    parts = [text for _, text in items]
    joiner = space + data.draw(st.sampled_from(["and", "AND", "And"])) + space
    text = data.draw(OPT_SPACE) + joiner.join(parts) + data.draw(OPT_SPACE)
    assert parse_filter(text) == tuple(c for c, _ in items)


TOKENS = st.sampled_from(
    [
        "metrics.a",
        "params.b",
        "tags.`c d`",
        "attributes.status",
        "run_name",
        "and",
        "or",
        "not",
        "in",
        "is",
        "null",
        "like",
        "ILIKE",
        "=",
        "!=",
        "<",
        ">=",
        "(",
        ")",
        ",",
        "'x'",
        '"y"',
        "'",
        "`",
        '"',
        "1",
        "-2.5e3",
        "1e999",
        ".",
        "\\",
        "asc",
        "desc",
        "foo.bar",
        "start_time",
        "",
    ]
)


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(max_size=40), st.lists(TOKENS, max_size=8).map(" ".join)))
def test_garbage_raises_only_invalid_parameter(text: str) -> None:
    for parse in (parse_filter, parse_experiment_filter):
        try:
            parse(text)
        except InvalidParameterError as exc:
            assert re.search(r"at column \d+ \(found ", str(exc))
    for parse_order in (parse_order_by, parse_experiment_order_by):
        try:
            parse_order([text])
        except InvalidParameterError as exc:
            assert str(exc).startswith("order_by[0]: ")
