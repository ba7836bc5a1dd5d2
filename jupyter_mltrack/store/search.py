"""The search language: parse MLflow's ``filter_string`` and ``order_by`` into a small AST.

Grammar (keywords and entity prefixes are case-insensitive)::

    filter     := [comparison ("AND" comparison)*]
    comparison := identifier comparator value | identifier "IS" ["NOT"] "NULL"
    identifier := prefix "." key | attribute          (a bare name is always an attribute)
    key        := bare-key | `quoted key` | "quoted key"
    comparator := = | != | < | <= | > | >= | LIKE | ILIKE | IN | NOT IN
    value      := number | 'string' | "string" | "(" string ("," string)* ")"
    order_by   := identifier ["ASC" | "DESC"]

Run prefixes: ``metrics``/``metric``, ``params``/``param``/``parameters``/``parameter``,
``tags``/``tag``, ``attributes``/``attribute``/``attr``/``run``. ``tags.mlflow.runName`` means the
``run_name`` attribute, as in MLflow. Inside quotes, ``\\\\``, ``\\'`` and ``\\"`` are escapes and a
doubled quote is a quote; any other backslash is kept, so LIKE escapes such as ``'100\\%'`` reach
the pattern (whose escape character is the backslash). Metrics and numeric attributes take
numbers and ``= != < <= > >=``; params, tags and string attributes take strings and
``= != LIKE ILIKE IN NOT IN``; params and tags also take ``IS NULL`` / ``IS NOT NULL``.

The AST nodes and the languages live in :mod:`~jupyter_mltrack.store.search_ast` and are
re-exported here.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from collections.abc import Sequence

from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.store.search_ast import (
    EXPERIMENT_LANGUAGE,
    NULL_OPS,
    NUMERIC_OPS,
    RUN_LANGUAGE,
    STRING_OPS,
    Comparison,
    Entity,
    Language,
    OrderBy,
    Value,
)

__all__ = [
    "NULL_OPS",
    "NUMERIC_OPS",
    "STRING_OPS",
    "Comparison",
    "Entity",
    "OrderBy",
    "Parser",
    "decode_page_token",
    "encode_page_token",
    "parse_experiment_filter",
    "parse_experiment_order_by",
    "parse_filter",
    "parse_order_by",
]

_WORD = re.compile(r"[A-Za-z_]\w*")
_BARE_KEY = re.compile(r"[\w.\-/]+")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_SYMBOL_OP = re.compile(r"!=|<=|>=|=|<|>")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class Parser:
    """A recursive-descent parser over characters, so errors know their exact column."""

    def __init__(self, text: str, language: Language, label: str) -> None:
        self.text, self.language, self.label, self.pos = text, language, label, 0
        # No database can take a NUL or a lone surrogate as a bound value, and no stored value
        # holds one (see _validation.validate_text): refuse them here, where the column is known.
        bad = _UNSTORABLE.search(text) if isinstance(text, str) else None
        if bad is not None:
            raise self.error(
                "NUL characters and lone UTF-16 surrogates cannot be searched for",
                bad.start(),
                hint="no stored name or value contains them",
            )

    # -- errors ---------------------------------------------------------------------------------
    def error(
        self, message: str, pos: int | None = None, *, hint: str = ""
    ) -> InvalidParameterError:
        """Build ``<label>: <message> at column <n> (found <token>)[; <hint>]``."""
        at = self.pos if pos is None else pos
        rest = self.text[at:]
        if not rest:
            found = "end of text"
        else:  # the next word, or the single whitespace character the parser stopped at
            found = repr(rest[0] if rest[0].isspace() else rest.split(None, 1)[0][:30])
        tail = f"; {hint}" if hint else ""
        return InvalidParameterError(
            f"{self.label}: {message} at column {at + 1} (found {found}){tail}"
        )

    def expected(self, what: str, *, hint: str = "") -> InvalidParameterError:
        return self.error(f"expected {what}", hint=hint)

    def identifier_hint(self) -> str:
        first: dict[Entity, str] = {}
        for name, entity in self.language.prefixes.items():
            first.setdefault(entity, name)
        return "write " + ", ".join(f"{name}.<key>" for name in first.values())

    # -- lexing helpers -------------------------------------------------------------------------

    def skip_ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def match(self, pattern: re.Pattern[str]) -> str | None:
        found = pattern.match(self.text, self.pos)
        if found is None:
            return None
        self.pos = found.end()
        return found.group()

    def keyword(self, *words: str) -> str | None:
        """Consume the next word if it is one of ``words`` (upper case) and return it."""
        start = self.pos
        word = self.match(_WORD)
        if word is not None and word.upper() in words:
            return word.upper()
        self.pos = start
        return None

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def quoted(self) -> str:
        """Read a '...', "..." or `...` literal starting at the current position."""
        start, quote = self.pos, self.text[self.pos]
        out: list[str] = []
        i = start + 1
        while i < len(self.text):
            char = self.text[i]
            nxt = self.text[i + 1 : i + 2]
            if char == "\\" and nxt in ("\\", "'", '"', "`"):
                out.append(nxt)
                i += 2
            elif char == quote and nxt == quote:
                out.append(quote)
                i += 2
            elif char == quote:
                self.pos = i + 1
                return "".join(out)
            else:
                out.append(char)
                i += 1
        raise self.error("unterminated string", start)

    # -- grammar --------------------------------------------------------------------------------
    def identifier(self) -> tuple[Entity, str]:
        """Read ``prefix.key`` or a bare attribute name; return (entity, canonical key)."""
        start = self.pos
        word = self.match(_WORD)
        if word is None:
            raise self.expected("an identifier", hint=self.identifier_hint())
        prefix = self.language.prefixes.get(word.lower())
        if self.text.startswith(".", self.pos):
            if prefix is None:
                hint = self.identifier_hint()
                raise self.error(f"unknown entity type {word!r}", start, hint=hint)
            self.pos += 1
            key_pos = self.pos
            key = self.key()
        elif prefix is not None:
            raise self.expected(f"'.' and a key after {word!r}")
        else:
            prefix, key, key_pos = "attribute", word, start
        return self.resolve(prefix, key, key_pos)

    def key(self) -> str:
        if self.text[self.pos : self.pos + 1] in ("`", '"'):
            key = self.quoted()
        else:
            key = self.match(_BARE_KEY) or ""
        if not key:
            raise self.expected("a key")
        return key

    def resolve(self, entity: Entity, key: str, pos: int) -> tuple[Entity, str]:
        entity, key = self.language.aliases.get((entity, key), (entity, key))
        if entity != "attribute":
            return entity, key
        canonical = self.language.attributes.get(key)
        if canonical is None:
            valid = ", ".join(sorted(set(self.language.attributes.values())))
            raise self.error(f"unknown attribute {key!r}", pos, hint=f"valid attributes: {valid}")
        return entity, canonical

    def is_numeric(self, entity: Entity, key: str) -> bool:
        return entity == "metric" or (entity == "attribute" and key in self.language.numeric)

    def comparator(self, entity: Entity, key: str) -> str:
        start = self.pos
        op = self.match(_SYMBOL_OP) or self.keyword("LIKE", "ILIKE", "IN", "NOT", "IS")
        if op in ("NOT", "IS"):
            self.skip_ws()
            if op == "IS" and self.keyword("NOT"):
                op += " NOT"
                self.skip_ws()
            tail = "IN" if op == "NOT" else "NULL"
            if not self.keyword(tail):
                raise self.expected(f"{tail} after {op}")
            op += " " + tail
        if op is None:
            raise self.expected("a comparator", hint="use =, !=, <, <=, >, >=, LIKE, ILIKE, IN")
        allowed: tuple[str, ...] = NUMERIC_OPS if self.is_numeric(entity, key) else STRING_OPS
        if entity in ("param", "tag"):
            allowed += NULL_OPS
        if op not in allowed:
            hint = f"use one of {', '.join(allowed)}"
            raise self.error(
                f"comparator {op} is not supported for {entity} {key!r}", start, hint=hint
            )
        return op

    def value(self, entity: Entity, key: str, op: str) -> Value:
        if op in NULL_OPS:
            return None
        if op in ("IN", "NOT IN"):
            return self.string_list()
        start = self.pos
        if self.is_numeric(entity, key):
            return self.number(entity == "metric", f"{entity} {key!r}")
        if self.text[self.pos : self.pos + 1] not in ("'", '"'):
            raise self.expected(f"a quoted string to compare with {entity} {key!r}")
        text = self.quoted()
        if op in ("LIKE", "ILIKE") and (len(text) - len(text.rstrip("\\"))) % 2:
            raise self.error(r"a LIKE pattern must not end with a lone escape character '\'", start)
        return text

    def number(self, as_float: bool, what: str) -> int | float:
        start = self.pos
        text = self.match(_NUMBER)
        if text is None:
            raise self.expected(f"a number to compare with {what}")
        follower = self.text[self.pos : self.pos + 1]
        if follower and (follower.isalnum() or follower in "._"):
            raise self.error("invalid number", start)
        value = float(text)
        if value in (float("inf"), float("-inf")):
            raise self.error("number out of range", start)
        digits = text.lstrip("+-")
        if as_float or not digits.isdigit() or len(digits) > 19:
            return value
        integer = int(text)  # exact for timestamps beyond 2**53; SQL binds int64 only
        return integer if -(2**63) <= integer < 2**63 else value

    def string_list(self) -> tuple[str, ...]:
        if not self.text.startswith("(", self.pos):
            raise self.expected("'(' to open a list of quoted strings")
        self.pos += 1
        self.skip_ws()
        if self.text.startswith(")", self.pos):
            raise self.error("an IN list must not be empty")
        items: list[str] = []
        while True:
            if self.text[self.pos : self.pos + 1] not in ("'", '"'):
                raise self.expected("a quoted string")
            items.append(self.quoted())
            self.skip_ws()
            if self.text.startswith(")", self.pos):
                self.pos += 1
                return tuple(items)
            if not self.text.startswith(",", self.pos):
                raise self.expected("',' or ')'")
            self.pos += 1
            self.skip_ws()

    def comparison(self) -> Comparison:
        entity, key = self.identifier()
        self.skip_ws()
        op = self.comparator(entity, key)
        self.skip_ws()
        return Comparison(entity, key, op, self.value(entity, key, op))

    def conjunction(self) -> tuple[Comparison, ...]:
        self.skip_ws()
        if self.at_end():
            return ()
        found = [self.comparison()]
        while True:
            self.skip_ws()
            if self.at_end():
                return tuple(found)
            start = self.pos
            if self.keyword("OR"):
                hint = "only AND can combine conditions; run one search per alternative"
                raise self.error("OR is not supported", start, hint=hint)
            if not self.keyword("AND"):
                raise self.expected("AND or the end of the filter")
            self.skip_ws()
            found.append(self.comparison())

    def order_clause(self) -> OrderBy:
        self.skip_ws()
        entity, key = self.identifier()
        self.skip_ws()
        direction = self.keyword("ASC", "DESC")
        self.skip_ws()
        if not self.at_end():
            raise self.expected("ASC, DESC or the end of the clause")
        return OrderBy(entity, key, direction != "DESC")


@functools.lru_cache(maxsize=512)
def parse_filter(text: str | None) -> tuple[Comparison, ...]:
    """Parse a run ``filter_string`` into a conjunction of comparisons.

    Args:
        text: The filter, e.g. ``"metrics.acc > 0.9 and params.model = 'rf'"``; empty or None
            means no condition.

    Returns:
        The comparisons, all of which must hold.

    Raises:
        InvalidParameterError: The filter is malformed; the message gives the 1-based column.
    """
    return Parser(text or "", RUN_LANGUAGE, "filter_string").conjunction()


@functools.lru_cache(maxsize=512)
def parse_experiment_filter(text: str | None) -> tuple[Comparison, ...]:
    """Parse an experiment filter such as ``"name LIKE 'exp%' and tags.team = 'a'"``.

    Attributes are ``name``, ``experiment_id``, ``creation_time`` and ``last_update_time``.

    Raises:
        InvalidParameterError: The filter is malformed; the message gives the 1-based column.
    """
    return Parser(text or "", EXPERIMENT_LANGUAGE, "filter_string").conjunction()


def parse_order_by(clauses: Sequence[str] | None) -> tuple[OrderBy, ...]:
    """Parse run ``order_by`` clauses such as ``["metrics.acc DESC", "start_time"]``.

    Raises:
        InvalidParameterError: A clause is malformed; the message names it and the column.
    """
    return _parse_order_by(tuple(clauses or ()), RUN_LANGUAGE)


def parse_experiment_order_by(clauses: Sequence[str] | None) -> tuple[OrderBy, ...]:
    """Parse experiment ``order_by`` clauses (``name``, ``experiment_id``, creation/update times).

    Raises:
        InvalidParameterError: A clause is malformed; the message names it and the column.
    """
    return _parse_order_by(tuple(clauses or ()), EXPERIMENT_LANGUAGE)


@functools.lru_cache(maxsize=256)
def _parse_order_by(clauses: tuple[str, ...], language: Language) -> tuple[OrderBy, ...]:
    return tuple(
        Parser(clause, language, f"order_by[{i}]").order_clause()
        for i, clause in enumerate(clauses)
    )


def encode_page_token(offset: int) -> str:
    """Return the opaque page token for the page starting at ``offset`` (MLflow's format)."""
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def decode_page_token(token: str | None) -> int:
    """Return the offset a page token stands for; no token means 0.

    Raises:
        InvalidParameterError: The token was not made by :func:`encode_page_token`.
    """
    if not token:
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()))["offset"]
    except (binascii.Error, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise InvalidParameterError(
            f"Invalid page_token {token!r}: pass the token returned by the previous page"
        ) from exc
    if type(offset) is not int or offset < 0:
        raise InvalidParameterError(f"Invalid page_token {token!r}: bad offset {offset!r}")
    return offset
