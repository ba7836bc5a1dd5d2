"""Help for the runs table's filter box: "did you mean `metrics.roc_auc`?" and unknown keys.

The known keys are the ones on the pages the table has shown (free) — for a key that is not
among them, :func:`key_exists` asks the store with one ``LIMIT 1`` search, and only when a
filter found no run at all.
"""

from __future__ import annotations

import difflib
import html
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from jupyter_mltrack.widgets._columns import named_columns
from jupyter_mltrack.widgets._table_render import ATTRIBUTES, Column, filter_error_html

if TYPE_CHECKING:
    import ipywidgets

    from jupyter_mltrack.tracking.client import TrackingClient

__all__ = [
    "FilterBox",
    "did_you_mean",
    "error_with_hint",
    "key_exists",
    "known_names",
    "missing_key_message",
    "suggest",
    "unknown_key_warning",
]

_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
_TOKEN = re.compile(r"[A-Za-z_][\w\-/]*(?:\.(?:`[^`]*`|[\w.\-/]+))?")
_KEYWORDS = frozenset({"and", "or", "in", "not", "like", "ilike", "is", "null"})
_PLURAL = {"metric": "metrics", "param": "params", "tag": "tags"}
_KINDS = {
    "metric": "metric", "metrics": "metric", "param": "param", "params": "param",
    "parameter": "param", "parameters": "param", "tag": "tag", "tags": "tag",
}  # fmt: skip
# Above any finite metric value but -inf: "has this metric at all" in the search language.
_ANY_METRIC = "-1.7976931348623157e308"


def known_names(seen: Mapping[str, Iterable[str]]) -> list[str]:
    """Full column names (``metrics.acc``, ``params.lr``, ``tags.team``) of the seen keys."""
    return [f"{_PLURAL[kind]}.{key}" for kind in _PLURAL for key in sorted(seen.get(kind, ()))]


def suggest(token: str, seen: Mapping[str, Iterable[str]]) -> str | None:
    """The known column most likely meant by ``token`` (``roc_auc``, ``params.roc_auc``...).

    The same key under another prefix wins, then the closest key (compared without prefixes,
    which would make every ``params.*`` look alike), of the token's own kind on a tie.
    """
    prefix, dot, key = token.partition(".")
    kind = _KINDS.get(prefix.lower()) if dot else None
    key = key.strip("`") if kind else token
    names = [n for n in known_names(seen) if n != token]
    exact = [n for n in names if n.split(".", 1)[1] == key]
    if exact:
        return exact[0]
    by_key: dict[str, list[str]] = {}
    for name in names:
        by_key.setdefault(name.split(".", 1)[1], []).append(name)
    close = difflib.get_close_matches(key, list(by_key), n=1, cutoff=0.75)
    if not close:
        return None
    same_kind = [n for n in by_key[close[0]] if kind and n.startswith(_PLURAL[kind] + ".")]
    return (same_kind or by_key[close[0]])[0]


def _tokens(filter_string: str) -> list[str]:
    blanked = _QUOTED.sub(lambda m: " " * len(m.group()), filter_string)
    return [t for t in _TOKEN.findall(blanked) if t.lower() not in _KEYWORDS]


def _is_known(token: str, seen: Mapping[str, Iterable[str]]) -> bool:
    prefix, dot, key = token.partition(".")
    kind = _KINDS.get(prefix.lower()) if dot else None
    if kind is None:
        return token in ATTRIBUTES or prefix.lower() in ("attributes", "attribute", "attr", "run")
    return key.strip("`") in set(seen.get(kind, ()))


def did_you_mean(filter_string: str, seen: Mapping[str, Iterable[str]]) -> str:
    """HTML "Did you mean `metrics.roc_auc`?" for the first unknown name in a filter, or ""."""
    for token in _tokens(filter_string):
        if _is_known(token, seen):
            continue
        guess = suggest(token, seen)
        if guess is not None:
            return f"Did you mean <code>{html.escape(guess)}</code>?"
    return ""


def key_exists(client: TrackingClient, experiment_ids: Sequence[str], column: Column) -> bool:
    """Whether any run of the experiments has ``column``'s key (one ``LIMIT 1`` search)."""
    ident = f"{_PLURAL[column.kind]}.`{column.key.replace('`', '')}`"
    condition = f"{ident} >= {_ANY_METRIC}" if column.kind == "metric" else f"{ident} IS NOT NULL"
    return bool(client.search_runs(list(experiment_ids), condition, max_results=1))


def unknown_key_warning(column: Column, seen: Mapping[str, Iterable[str]]) -> str:
    """The sentence saying no run has ``column``'s key, with a suggestion when there is one."""
    guess = suggest(column.name, seen)
    text = f"No run has {column.name}."
    return text + (f" Did you mean {guess}?" if guess else "")


def error_with_hint(filter_string: str, message: str, seen: Mapping[str, Iterable[str]]) -> str:
    """The filter error block (caret and wrapped message), with a "did you mean" when known."""
    return filter_error_html(filter_string, message, did_you_mean(filter_string, seen))


def missing_key_message(
    client: TrackingClient,
    experiment_ids: Sequence[str],
    filter_string: str,
    seen: Mapping[str, Iterable[str]],
) -> str | None:
    """For a filter that found nothing: the sentence naming a key of it that no run has.

    Keys seen on a page exist; any other is checked with :func:`key_exists` (one cheap search).
    """
    for column in named_columns(filter_string, []):
        if column.key in set(seen.get(column.kind, ())):
            continue
        if not key_exists(client, experiment_ids, column):
            return unknown_key_warning(column, seen)
    return None


class FilterBox:
    """The filter text box (a search per Enter) and the area under it showing a bad filter."""

    def __init__(self, value: str, *, on_submit: Callable[[str], None]) -> None:
        import ipywidgets

        self.text: ipywidgets.Text = ipywidgets.Text(
            value=value,
            placeholder="filter, e.g. metrics.acc > 0.8 and params.model = 'rf'  (Enter)",
            continuous_update=False,  # one search per Enter/blur, not per keystroke
            layout=ipywidgets.Layout(flex="1 1 auto", min_width="300px"),
        )
        self.text.add_class("mltrack-filter")
        self.text.observe(lambda ch: on_submit(ch["new"]), "value")
        self.errors: ipywidgets.HTML = ipywidgets.HTML()
        self.errors.add_class("mltrack-filter-errors")

    def show_error(
        self, filter_string: str, message: str, seen: Mapping[str, Iterable[str]]
    ) -> None:
        """Show a parse error with its caret and, when a known key fits, a suggestion."""
        self.errors.value = error_with_hint(filter_string, message, seen)
