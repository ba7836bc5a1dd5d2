"""Paging: a cursor over store searches by their page tokens, and the pager bar under a table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from jupyter_mltrack.entities import PagedList

__all__ = ["PageCursor", "Pager"]

T = TypeVar("T")


class PageCursor(Generic[T]):
    """Fetch page ``n`` of a search through page tokens, caching the token of every page seen.

    Stores hand out opaque tokens for the *next* page only, so page ``n`` is reachable once page
    ``n - 1`` was fetched; going back reuses the remembered token instead of refetching from the
    start.

    Args:
        fetch: ``fetch(page_token) -> PagedList`` — one search call (same filter and order).

    Example:
        >>> fetch = lambda token: client.search_runs(ids, page_token=token)  # doctest: +SKIP
        >>> cursor = PageCursor(fetch)  # doctest: +SKIP
        >>> first = cursor.page(0); second = cursor.page(1)  # doctest: +SKIP
    """

    def __init__(self, fetch: Callable[[str | None], PagedList[T]]) -> None:
        self._fetch = fetch
        self._tokens: list[str | None] = [None]  # _tokens[i] fetches page i
        self._last: int | None = None  # index of the last page, once known

    @property
    def known_pages(self) -> int:
        """Pages reachable without fetching another one first."""
        return len(self._tokens)

    @property
    def last_page(self) -> int | None:
        """Index of the last page, once a page without a next token was fetched."""
        return self._last

    def has_page(self, index: int) -> bool:
        """Whether page ``index`` can be fetched now."""
        return 0 <= index < len(self._tokens)

    def page(self, index: int) -> PagedList[T]:
        """Fetch page ``index`` (0-based); it must be a known page (see :meth:`has_page`)."""
        if not self.has_page(index):
            raise IndexError(f"page {index} is not reachable yet; fetch page {index - 1} first")
        result = self._fetch(self._tokens[index])
        if result.token:
            if index + 1 == len(self._tokens):
                self._tokens.append(result.token)
        else:
            self._last = index
            del self._tokens[index + 1 :]  # the data shrank since those tokens were handed out
        return result


class Pager:
    """The "◀ Prev · page 2 · runs 51-100 of 10,000 … · Next ▶" bar under a paged table."""

    def __init__(self, *, on_prev: Callable[[], None], on_next: Callable[[], None]) -> None:
        import ipywidgets

        self.prev_button = ipywidgets.Button(description="◀ Prev", disabled=True)
        self.next_button = ipywidgets.Button(description="Next ▶", disabled=True)
        self.prev_button.on_click(lambda _b: on_prev())
        self.next_button.on_click(lambda _b: on_next())
        self.label = ipywidgets.HTML()
        self.label.add_class("mltrack-page-label")
        self.widget = ipywidgets.HBox([self.prev_button, self.label, self.next_button])
        self.widget.add_class("mltrack-pager")

    def update(self, page: int, page_size: int, shown: int, total: int | None, more: bool) -> None:
        """Show page ``page`` (0-based) holding ``shown`` runs of ``total`` (None: not counted)."""
        start = page * page_size
        text = f"runs {start + 1}-{start + shown}" if shown else "no runs"
        if shown and total is not None:
            text += f" of {total:,}"
        self.label.value = f"&nbsp;page {page + 1} · {text}{' …' if more else ''}&nbsp;"
        self.prev_button.disabled = page == 0
        self.next_button.disabled = not more
