"""RunsTable: a sortable, filterable, paginated table of runs with selection and Compare.

Sorting, filtering and paging happen in the store (``search_runs`` with ``filter_string``,
``order_by``, ``max_results`` and page tokens): only one page of runs is ever loaded. The table is
a fixed pool of ``page_size`` rows — each an ``HBox`` of a ``Checkbox`` and one ``HTML`` holding
the row's cells as a CSS grid — whose values are replaced on every page, so a page change sends
about ``2 * page_size`` small updates and creates no widgets.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import ipywidgets
import traitlets

from jupyter_mltrack.entities import PagedList, Run
from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.widgets._base import TrackedWidget, replace_children
from jupyter_mltrack.widgets._experiment_ids import resolve_experiments
from jupyter_mltrack.widgets._paging import PageCursor
from jupyter_mltrack.widgets._table_render import (
    Column,
    cell_text,
    column_widths,
    default_columns,
    filter_error_html,
    grid_template,
    parse_column,
    row_html,
)
from jupyter_mltrack.widgets._table_widgets import ColumnChooser, HeaderRow, RowPool

if TYPE_CHECKING:
    from jupyter_mltrack.registry.client import RegistryClient
    from jupyter_mltrack.tracking.client import TrackingClient
    from jupyter_mltrack.widgets.comparison import RunComparison

__all__ = ["RunsTable"]

SelectCallback = Callable[[list[str]], None]


class RunsTable(TrackedWidget):
    """The runs of one or more experiments as a table: sort, filter, page, select, compare.

    Args:
        experiment: An experiment name or id, or several; None means every active experiment.
        filter_string: A search filter, e.g. ``"metrics.acc > 0.8 and params.model = 'rf'"``.
        columns: Column names (``"metrics.acc"``, ``"params.lr"``, ``"tags.team"``, or
            attributes such as ``"status"``); default: name, status, created, duration and the
            first metrics and params found.
        page_size: Runs per page.
        order_by: The initial sort, e.g. ``["metrics.acc DESC"]``; default newest first.
        client, tracking_uri, registry: Where to read from (default: the current tracking URI).

    Public methods for scripts and benchmarks: :meth:`sort_by`, :meth:`set_filter`,
    :meth:`set_columns`, :meth:`next_page`, :meth:`prev_page`, :meth:`select`,
    :meth:`on_select`, :meth:`compare`. ``timings`` holds the seconds the last load took.

    Example:
        >>> table = RunsTable("churn", filter_string="metrics.acc > 0.8")  # doctest: +SKIP
        >>> table.on_select(lambda ids: print(ids))  # doctest: +SKIP
    """

    css_name = "runs-table"
    selected_run_ids = traitlets.List(traitlets.Unicode(), help="ids of the checked runs")
    filter_string = traitlets.Unicode("", help="the applied search filter")
    order_by = traitlets.List(traitlets.Unicode(), help="the applied order_by clauses")
    page = traitlets.Int(0, help="the shown page, 0-based")

    def __init__(
        self,
        experiment: str | Sequence[str] | None = None,
        filter_string: str = "",
        columns: Sequence[str] | None = None,
        page_size: int = 50,
        *,
        order_by: Sequence[str] | None = None,
        client: TrackingClient | None = None,
        tracking_uri: str | None = None,
        registry: RegistryClient | None = None,
    ) -> None:
        super().__init__(client=client, tracking_uri=tracking_uri, registry=registry)
        if page_size < 1:
            raise InvalidParameterError(f"page_size must be at least 1, got {page_size}")
        self.experiment, self.page_size = experiment, page_size
        self.columns: list[Column] | None = (
            [parse_column(c) for c in columns] if columns is not None else None
        )
        self._auto_columns = columns is None
        self.runs: PagedList[Run] = PagedList()
        self.experiment_names: dict[str, str] = {}
        self.timings: dict[str, float] = {}
        self.comparison: RunComparison | None = None
        self._cursor: PageCursor[Run] | None = None
        #: Runs matching the filter (the store's ``count_runs``), shown in the pager.
        self.total_runs: int | None = None
        self._callbacks: list[SelectCallback] = []
        self._seen: dict[str, set[str]] = {"metric": set(), "param": set(), "tag": set()}
        self._experiment_ids: list[str] = []
        self._build_controls(filter_string)
        self.filter_string = filter_string.strip()
        self.order_by = list(order_by or ["attributes.start_time DESC"])
        self.refresh()

    # -- layout -----------------------------------------------------------------------------------
    def _build_controls(self, filter_string: str) -> None:
        self.filter_box = ipywidgets.Text(
            value=filter_string,
            placeholder="filter, e.g. metrics.acc > 0.8 and params.model = 'rf'  (Enter)",
            continuous_update=False,  # one search per Enter/blur, not per keystroke
            layout=ipywidgets.Layout(flex="1 1 auto", min_width="300px"),
        )
        self.filter_box.add_class("mltrack-filter")
        self.filter_box.observe(lambda ch: self.set_filter(ch["new"]), "value")
        self.filter_error = ipywidgets.HTML()
        self.filter_error.add_class("mltrack-filter-errors")
        self.chooser = ColumnChooser(on_change=self.set_columns)
        self.compare_button = ipywidgets.Button(
            description="Compare", icon="columns", disabled=True, tooltip="Select 2 or more runs"
        )
        self.compare_button.add_class("mltrack-compare")
        self.compare_button.on_click(lambda _b: self.compare())
        self.toolbar.children = [
            *self.toolbar.children,
            self.filter_box,
            self.chooser.toggle,
            self.compare_button,
        ]
        self.header = HeaderRow(on_sort=self.sort_by, on_select_all=self._select_visible)
        self.rows = RowPool(self.page_size, header=self.header.widgets, on_check=self._row_checked)
        self.prev_button = ipywidgets.Button(description="◀ Prev", disabled=True)
        self.next_button = ipywidgets.Button(description="Next ▶", disabled=True)
        self.prev_button.on_click(lambda _b: self.prev_page())
        self.next_button.on_click(lambda _b: self.next_page())
        self.page_label = ipywidgets.HTML()
        self.page_label.add_class("mltrack-page-label")
        pager = ipywidgets.HBox([self.prev_button, self.page_label, self.next_button])
        pager.add_class("mltrack-pager")
        self.comparison_box = ipywidgets.VBox()
        self.comparison_box.add_class("mltrack-comparison-area")
        self.rows.widget.add_class("mltrack-table")
        self.body.children = [self.filter_error, self.chooser.panel, self.rows.widget, pager]
        self.children = [self.toolbar, self.notice.widget, self.body, self.comparison_box]

    # -- loading ----------------------------------------------------------------------------------
    def _build(self) -> None:
        if self._auto_columns:  # re-pick: a refresh may bring the first metrics and params
            self.columns = None
        self._experiment_ids, self.experiment_names = resolve_experiments(
            self.tracking, self.experiment
        )
        self._restart()

    def _restart(self, filter_string: str | None = None, order_by: list[str] | None = None) -> None:
        """Search again from the first page (with a new filter or sort, when given).

        The new filter and sort are committed only once the store accepted them, so a bad
        filter leaves the table, its paging and ``filter_string`` as they were.
        """
        filter_string = self.filter_string if filter_string is None else filter_string
        order_by = self.order_by if order_by is None else order_by
        ids = self._experiment_ids

        def search(token: str | None) -> PagedList[Run]:
            return self.tracking.search_runs(
                ids, filter_string, max_results=self.page_size, order_by=order_by, page_token=token
            )

        previous = self._cursor, self.filter_string, self.order_by, self.total_runs
        self._cursor, self.filter_string, self.order_by, self.total_runs = (
            PageCursor(search),
            filter_string,
            order_by,
            None,  # unknown until counted: the first page shows no stale total
        )
        try:
            self._load(0)  # first: a bad filter is reported by the search, as it always was
            # One COUNT(*) per new search (not per page) for "runs 1-50 of 10,000".
            self.total_runs = self.tracking.count_runs(ids, filter_string)
        except Exception:
            self._cursor, self.filter_string, self.order_by, self.total_runs = previous
            raise
        self._update_pager()

    def _load(self, index: int) -> None:
        started = time.perf_counter()
        if self._cursor is None or not self._cursor.has_page(index):
            return
        runs = self._cursor.page(index)
        fetched = time.perf_counter()
        self.runs, self.page = runs, index
        self._remember_keys(self.runs)
        if self.columns is None:
            self.columns = default_columns(self.runs)
        self._render()
        self.timings = {
            "fetch": fetched - started,
            "render": time.perf_counter() - fetched,
            "total": time.perf_counter() - started,
        }

    def _remember_keys(self, runs: Sequence[Run]) -> None:
        # Keys for the column chooser come from the pages seen: no extra store query.
        for run in runs:
            self._seen["metric"].update(run.data.metrics)
            self._seen["param"].update(run.data.params)
            self._seen["tag"].update(k for k in run.data.tags if not k.startswith("mltrack."))

    def _render(self) -> None:
        columns = self.columns or []
        texts = [[cell_text(r, c, self.experiment_names) for c in columns] for r in self.runs]
        widths = column_widths(columns, texts)
        template = grid_template(widths)
        self.header.show(columns, widths, self.order_by)
        self.header.clear_select_all()
        selected = set(self.selected_run_ids)
        self.rows.show(
            [
                (
                    run.info.run_id,
                    row_html(run, columns, row, template),
                    run.info.run_id in selected,
                )
                for run, row in zip(self.runs, texts, strict=True)
            ]
        )
        self.chooser.offer(self._seen, columns)
        self._update_pager()
        if not self.runs:
            where = ", ".join(self.experiment_names.values()) or "the store"
            self.notice.info(
                f"No runs match {self.filter_string!r} in {where}."
                if self.filter_string
                else f"No runs yet in {where}."
            )

    def _update_pager(self) -> None:
        start = self.page * self.page_size
        shown = f"runs {start + 1}-{start + len(self.runs)}" if self.runs else "no runs"
        if self.runs and self.total_runs is not None:
            shown += f" of {self.total_runs:,}"
        more = self._cursor is not None and self._cursor.has_page(self.page + 1)
        self.page_label.value = f"&nbsp;page {self.page + 1} · {shown}{' …' if more else ''}&nbsp;"
        self.prev_button.disabled = self.page == 0
        self.next_button.disabled = not more

    # -- public actions ---------------------------------------------------------------------------
    def next_page(self) -> None:
        """Show the next page (no-op on the last page)."""
        with self.report("load the next page"):
            self._load(self.page + 1)

    def prev_page(self) -> None:
        """Show the previous page (no-op on the first page)."""
        with self.report("load the previous page"):
            self._load(max(self.page - 1, 0))

    def sort_by(self, column: str | Column, ascending: bool | None = None) -> None:
        """Sort by a column in the store; ``ascending=None`` toggles (ascending first)."""
        col = parse_column(column)
        if not col.sortable:
            self.notice.info(f"Column {col.label!r} cannot be sorted by the store.")
            return
        if ascending is None:
            ascending = self.order_by != [col.order_by(True)]
        self.notice.clear()
        with self.report("sort the runs"):
            self._restart(order_by=[col.order_by(ascending)])

    def set_filter(self, filter_string: str) -> None:
        """Apply a search filter; a malformed one is shown with a caret under the bad column."""
        if self.filter_box.value != filter_string:
            self.filter_box.value = filter_string  # comes back here through the observer
            return
        self.notice.clear()
        self.filter_error.value = ""
        with self.report("search the runs"):
            try:
                self._restart(filter_string=filter_string.strip())
            except InvalidParameterError as exc:
                if "filter_string" not in exc.message:
                    raise
                self.filter_error.value = filter_error_html(filter_string.strip(), exc.message)

    def set_columns(self, columns: Sequence[str | Column]) -> None:
        """Show these columns (names as in ``columns=``)."""
        with self.report("change the columns"):
            self.columns = [parse_column(c) for c in columns]
            self._auto_columns = False
            self._render()

    def select(self, run_ids: Sequence[str]) -> None:
        """Set the selection (replacing it); callbacks of :meth:`on_select` run."""
        self.selected_run_ids = list(dict.fromkeys(run_ids))
        self.rows.check({r.info.run_id for r in self.runs} & set(self.selected_run_ids))

    def on_select(self, callback: SelectCallback) -> None:
        """Call ``callback(selected_run_ids)`` whenever the selection changes."""
        self._callbacks.append(callback)

    @traitlets.observe("selected_run_ids")
    def _selection_changed(self, change: dict[str, Any]) -> None:
        ids = list(change["new"])
        self.compare_button.disabled = len(ids) < 2
        for callback in list(self._callbacks):
            with self.report("run a selection callback"):
                callback(ids)

    def _row_checked(self, run_id: str, checked: bool) -> None:
        ids = [i for i in self.selected_run_ids if i != run_id]
        self.selected_run_ids = [*ids, run_id] if checked else ids

    def _select_visible(self, checked: bool) -> None:
        visible = [r.info.run_id for r in self.runs]
        shown = set(visible)
        rest = [i for i in self.selected_run_ids if i not in shown]
        self.select([*rest, *visible] if checked else rest)

    def compare(self) -> RunComparison | None:
        """Open a :class:`~jupyter_mltrack.widgets.RunComparison` of the selection below."""
        if len(self.selected_run_ids) < 2:
            self.notice.info("Select at least two runs to compare.")
            return None
        from jupyter_mltrack.widgets.comparison import RunComparison

        self.comparison = RunComparison(self.selected_run_ids, client=self.tracking)
        replace_children(self.comparison_box, [self.comparison])  # closes the previous one
        return self.comparison

    def rows_shown(self) -> list[dict[str, str]]:
        """The current page as ``{column name: cell text}`` dicts (for tests and scripts)."""
        columns = self.columns or []
        return [
            {"run_id": r.info.run_id}
            | {c.name: cell_text(r, c, self.experiment_names) for c in columns}
            for r in self.runs
        ]
