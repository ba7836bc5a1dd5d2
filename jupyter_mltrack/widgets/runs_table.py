"""RunsTable: a sortable, filterable, paginated table of runs with selection and Compare.

Sorting, filtering and paging happen in the store (``search_runs`` with ``filter_string``,
``order_by``, ``max_results`` and page tokens): only one page of runs is ever loaded. The table is
a fixed pool of ``page_size`` rows — a ``Checkbox``, an expander and one ``HTML`` holding the
row's cells as a CSS grid — whose values are replaced on every page, so a page change sends
about ``2 * page_size`` small updates and creates no widgets.

The default columns come from the shown page (:mod:`~jupyter_mltrack.widgets._columns`); nested
runs are grouped under their parent on the page (:mod:`~jupyter_mltrack.widgets._nesting`).
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
from jupyter_mltrack.widgets._column_chooser import ColumnChooser
from jupyter_mltrack.widgets._columns import (
    column_notes,
    named_columns,
    objective_metric,
    pick_columns,
    remember_columns,
    remember_keys,
    remembered_columns,
)
from jupyter_mltrack.widgets._experiment_ids import resolve_experiments
from jupyter_mltrack.widgets._filter_hints import FilterBox, missing_key_message
from jupyter_mltrack.widgets._labels import run_label
from jupyter_mltrack.widgets._nesting import NestedRow, arrange, nested_marks
from jupyter_mltrack.widgets._paging import PageCursor, Pager
from jupyter_mltrack.widgets._table_render import (
    Column,
    cell_text,
    column_widths,
    grid_template,
    parse_column,
    row_html,
)
from jupyter_mltrack.widgets._table_widgets import HeaderRow, RowPool

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
            attributes such as ``"status"``); default: the columns last chosen for the same
            experiments in this kernel, else Run, Status, the objective metric (a sweep's), the
            keys the filter and the sort name, the params and metrics that vary on the page,
            Created and Duration.
        page_size: Runs per page.
        order_by: The initial sort, e.g. ``["metrics.acc DESC"]``; default newest first.
        client, tracking_uri, registry: Where to read from (default: the current tracking URI).

    Public methods for scripts and benchmarks: :meth:`sort_by`, :meth:`set_filter`,
    :meth:`set_columns`, :meth:`reset_columns`, :meth:`toggle_children`, :meth:`next_page`,
    :meth:`prev_page`, :meth:`select`, :meth:`on_select`, :meth:`compare`. ``timings`` holds
    the seconds the last load took.

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
        self._auto_columns, self._repick = columns is None, False
        #: The metric the experiment is optimised for ("" when none), found with the first page.
        self.objective: str | None = None
        self._collapsed: set[str] = set()
        #: The shown rows in order (nested runs after their parent), as the pool shows them.
        self.shown: list[NestedRow] = []
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

    def _build_controls(self, filter_string: str) -> None:
        self.filters = FilterBox(filter_string, on_submit=self.set_filter)
        self.filter_box, self.filter_error = self.filters.text, self.filters.errors
        self.chooser = ColumnChooser(on_change=self.set_columns, on_reset=self.reset_columns)
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
        self.rows = RowPool(
            self.page_size,
            header=self.header,
            on_check=self._row_checked,
            on_expand=self.toggle_children,
        )
        self.pager = Pager(on_prev=self.prev_page, on_next=self.next_page)
        self.prev_button, self.next_button = self.pager.prev_button, self.pager.next_button
        self.page_label = self.pager.label
        self.comparison_box = ipywidgets.VBox()
        self.comparison_box.add_class("mltrack-comparison-area")
        self.rows.widget.add_class("mltrack-table")
        parts = [self.filter_error, self.chooser.panel, self.rows.widget, self.pager.widget]
        self.body.children = parts
        self.children = [self.toolbar, self.notice.widget, self.body, self.comparison_box]

    def _build(self) -> None:
        self._experiment_ids, self.experiment_names = resolve_experiments(
            self.tracking, self.experiment
        )
        remembered = remembered_columns(self.store_uri, self._experiment_ids)
        if self._auto_columns and remembered:  # chosen for these experiments in this kernel
            self.columns, self._auto_columns = [parse_column(c) for c in remembered], False
        self.objective = None  # looked up again with the first page
        self.total_runs = None  # a (re)build counts again: runs may have come and gone
        try:
            self._restart()
        except InvalidParameterError as exc:  # a bad filter= argument: show it with its caret
            if "filter_string" not in exc.message:
                raise
            self.filters.show_error(self.filter_string, exc.message, self._seen)
            self._restart(filter_string="")
        self._explain_empty()

    def _restart(self, filter_string: str | None = None, order_by: list[str] | None = None) -> None:
        """Search again from the first page (with a new filter or sort, when given).

        The new filter and sort are committed only once the store accepted them, so a bad
        filter leaves the table, its paging and ``filter_string`` as they were. A new sort
        alone keeps the count: ordering never changes which runs match (runs without the
        sort key come last), and a COUNT(*) over a million runs costs more than the page.
        """
        recount = filter_string is not None or self.total_runs is None
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
        self._repick = self._auto_columns  # a new search: columns for its first page
        try:
            self._load(0)  # first: a bad filter is reported by the search, as it always was
            # One COUNT(*) per new filter (not per page or sort) for "runs 1-50 of 10,000".
            self.total_runs = (
                self.tracking.count_runs(ids, filter_string) if recount else previous[3]
            )
        except Exception:
            self._cursor, self.filter_string, self.order_by, self.total_runs = previous
            raise
        finally:
            self._repick = False
        self._update_pager()

    def _load(self, index: int) -> None:
        started = time.perf_counter()
        if self._cursor is None or not self._cursor.has_page(index):
            return
        runs = self._cursor.page(index)
        fetched = time.perf_counter()
        self.runs, self.page = runs, index
        remember_keys(self._seen, self.runs)  # the chooser's keys: no extra store query
        if self._repick or self.columns is None:
            self._repick = False
            self._pick_columns()
        self._render()
        self.timings = {
            "fetch": fetched - started,
            "render": time.perf_counter() - fetched,
            "total": time.perf_counter() - started,
        }

    def _pick_columns(self) -> None:
        named = named_columns(self.filter_string, self.order_by)
        self.columns = pick_columns(self.runs, objective=self._objective_metric(), named=named)

    def _objective_metric(self) -> str | None:
        if self.objective is None and self.runs:  # once per build: it costs a store query
            self.objective = objective_metric(self.tracking, self._experiment_ids, self.runs)
        return self.objective or None

    def _render(self) -> None:
        columns = self.columns or []
        self.shown = arrange(self.runs, self._collapsed)
        texts = [
            [cell_text(row.run, c, self.experiment_names) for c in columns] for row in self.shown
        ]
        widths = column_widths(columns, texts)
        template = grid_template(widths)
        self.header.show(columns, widths, self.order_by)
        self.header.clear_select_all()
        selected = set(self.selected_run_ids)
        names = {r.info.run_id: run_label(r) for r in self.runs}
        self.rows.show(
            [
                (
                    row.run.info.run_id,
                    row_html(row.run, columns, cells, template, nested_marks(row, names)),
                    row.run.info.run_id in selected,
                    row.expander,
                )
                for row, cells in zip(self.shown, texts, strict=True)
            ]
        )
        self.chooser.offer(self._seen, columns, column_notes(self.runs))
        self._update_pager()
        if not self.runs:
            where = ", ".join(self.experiment_names.values()) or "the store"
            self.notice.info(
                f"No runs match {self.filter_string!r} in {where}."
                if self.filter_string
                else f"No runs yet in {where}."
            )

    def _update_pager(self) -> None:
        more = self._cursor is not None and self._cursor.has_page(self.page + 1)
        self.pager.update(self.page, self.page_size, len(self.runs), self.total_runs, more)

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
        """Apply a search filter; a malformed one is shown with a caret under the bad column.

        When a filter finds nothing because it names a key no run has, the notice says so,
        with the known key it most likely meant.
        """
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
                self.filters.show_error(filter_string.strip(), exc.message, self._seen)
                return
            self._explain_empty()

    def _explain_empty(self) -> None:
        """When a filter found nothing because it names a key no run has: say so."""
        if not self.runs and self.filter_string:
            ids, seen = self._experiment_ids, self._seen
            if not any(seen.values()):  # no page shown yet: learn the keys of the newest one
                remember_keys(seen, self.tracking.search_runs(ids, max_results=self.page_size))
                self._render()  # the chooser offers them too
            missing = missing_key_message(self.tracking, ids, self.filter_string, seen)
            if missing:
                self.notice.info(missing)

    def set_columns(self, columns: Sequence[str | Column]) -> None:
        """Show these columns (names as in ``columns=``); remembered for these experiments."""
        with self.report("change the columns"):
            self.columns = [parse_column(c) for c in columns]
            self._auto_columns = False
            remember_columns(self.store_uri, self._experiment_ids, [c.name for c in self.columns])
            self._render()

    def reset_columns(self) -> None:
        """Show the default columns for the shown page again (and forget the chosen ones)."""
        with self.report("pick the columns"):
            self._auto_columns = True
            remember_columns(self.store_uri, self._experiment_ids, [])
            self._pick_columns()
            self._render()

    def toggle_children(self, run_id: str) -> None:
        """Fold or unfold the nested runs shown under ``run_id`` (no store call)."""
        self._collapsed ^= {run_id}
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
        visible = [row.run.info.run_id for row in self.shown]
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
        """The shown rows in order as ``{column name: cell text}`` dicts (for tests, scripts).

        Nested runs follow their parent; the runs under a folded parent are left out.
        """
        columns = self.columns or []
        return [
            {"run_id": row.run.info.run_id}
            | {c.name: cell_text(row.run, c, self.experiment_names) for c in columns}
            for row in self.shown
        ]
