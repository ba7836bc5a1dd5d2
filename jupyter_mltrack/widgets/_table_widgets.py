"""The widget parts of the runs table: sortable header, a pool of row widgets, column chooser.

Each part creates its widgets once and afterwards only changes their values, so paging, sorting
and filtering cost a handful of small comm messages instead of new widgets.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import ipywidgets

from jupyter_mltrack.widgets._base import close_tree, replace_children
from jupyter_mltrack.widgets._table_render import Column, available_columns

__all__ = ["CHECK_WIDTH", "ColumnChooser", "HeaderRow", "RowPool", "run_css_class"]

CHECK_WIDTH = "28px"
_NOT_CSS = re.compile(r"[^A-Za-z0-9_-]+")


def css_token(name: str) -> str:
    """A CSS-class-safe version of a column name (``metrics.acc`` -> ``metrics-acc``)."""
    return _NOT_CSS.sub("-", name).strip("-")


def run_css_class(run_id: str) -> str:
    """The CSS class tying a row's checkbox and cells to their run (``mltrack-run-<run_id>``).

    The checkbox and the cells are siblings in a grid and ipywidgets cannot set ``data-``
    attributes on a widget's element, so a class is the stable hook browser tests (and user CSS)
    can use to find the checkbox of a given run.
    """
    return f"mltrack-run-{css_token(run_id)}"


class _Guard:
    """Tells observers to ignore changes the code makes itself."""

    def __init__(self) -> None:
        self.active = False

    @contextmanager
    def __call__(self) -> Any:
        self.active, previous = True, self.active
        try:
            yield
        finally:
            self.active = previous


class HeaderRow:
    """Column headers as buttons (click to sort) after a select-all checkbox.

    Its two ``widgets`` open the :class:`RowPool` grid, so headers and cells share columns.
    """

    def __init__(
        self, *, on_sort: Callable[[Column], None], on_select_all: Callable[[bool], None]
    ) -> None:
        self._on_sort = on_sort
        self._guard = _Guard()
        self.select_all = ipywidgets.Checkbox(
            value=False, indent=False, layout=ipywidgets.Layout(width=CHECK_WIDTH)
        )
        self.select_all.add_class("mltrack-select-all")
        self.select_all.observe(
            lambda ch: None if self._guard.active else on_select_all(bool(ch["new"])), "value"
        )
        self.buttons: list[ipywidgets.Button] = []
        self.columns: list[Column] = []
        self.cells = ipywidgets.HBox()
        self.cells.add_class("mltrack-header")
        self.widgets = (self.select_all, self.cells)  # the first cells of the table's grid

    def show(
        self, columns: Sequence[Column], widths: Sequence[int], order_by: Sequence[str]
    ) -> None:
        """Label the buttons for ``columns``, marking the sorted column with ▲ or ▼."""
        if list(columns) != self.columns:
            self.columns = list(columns)
            self.buttons = [self._button(c) for c in columns]
            replace_children(self.cells, self.buttons)  # closes the old buttons
        sort = order_by[0] if order_by else ""
        for column, button, width in zip(columns, self.buttons, widths, strict=True):
            arrow = ""
            if (
                column.sortable
                and sort.rsplit(" ", 1)[0] == column.order_by(True).rsplit(" ", 1)[0]
            ):
                arrow = " ▲" if sort.endswith("ASC") else " ▼"
            button.description = column.label + arrow
            button.layout.width = f"{width}px"

    def _button(self, column: Column) -> ipywidgets.Button:
        button = ipywidgets.Button(
            description=column.label,
            tooltip=f"Sort by {column.name}" if column.sortable else column.name,
            layout=ipywidgets.Layout(margin="0", padding="0 4px", height="28px"),
        )
        button.add_class("mltrack-sort")
        button.add_class(f"mltrack-col-{css_token(column.name)}")
        button.on_click(lambda _b: self._on_sort(column))
        return button

    def clear_select_all(self) -> None:
        """Uncheck the select-all box without firing its callback."""
        with self._guard():
            self.select_all.value = False


class RowPool:
    """``size`` rows (a checkbox and an HTML of cells each), reused for every page.

    The rows live in one ``GridBox`` (checkbox column, cells column) after the header's two
    widgets; every checkbox shares one ``Layout`` and one style, and so does every HTML: creating
    a widget with its own layout and style costs ~20 times more, which at 50 rows is the
    difference between 15 ms and 300 ms. A short page trims the grid's children instead of
    hiding rows, so rows need no layouts of their own.

    Both widgets of a row carry ``mltrack-run-<run_id>`` (:func:`run_css_class`) for the run
    they show; the class moves with the run when a pooled row is reused.
    """

    def __init__(
        self,
        size: int,
        *,
        header: Sequence[ipywidgets.Widget] = (),
        on_check: Callable[[str, bool], None],
    ) -> None:
        from ipywidgets.widgets.widget_bool import CheckboxStyle
        from ipywidgets.widgets.widget_string import HTMLStyle

        self._on_check = on_check
        self._guard = _Guard()
        self._header = tuple(header)
        self.run_ids: list[str | None] = [None] * size
        self._run_classes: list[str | None] = [None] * size
        check_layout, check_style = ipywidgets.Layout(width=CHECK_WIDTH), CheckboxStyle()
        cell_layout, cell_style = ipywidgets.Layout(), HTMLStyle()
        self.checkboxes: list[ipywidgets.Checkbox] = []
        self.cells: list[ipywidgets.HTML] = []
        for i in range(size):
            check = ipywidgets.Checkbox(
                value=False, indent=False, layout=check_layout, style=check_style
            )
            check.add_class("mltrack-select")
            check.observe(lambda ch, i=i: self._checked(i, bool(ch["new"])), "value")
            cells = ipywidgets.HTML(layout=cell_layout, style=cell_style)
            cells.add_class("mltrack-row")
            self.checkboxes.append(check)
            self.cells.append(cells)
        self.shown = 0
        self.widget = _PoolGrid(
            self._header,
            pooled=[*self.checkboxes, *self.cells],
            layout=ipywidgets.Layout(
                grid_template_columns=f"{CHECK_WIDTH} max-content", overflow="auto"
            ),
        )
        self.widget.add_class("mltrack-rows")

    def _checked(self, index: int, value: bool) -> None:
        run_id = self.run_ids[index]
        if not self._guard.active and run_id is not None:
            self._on_check(run_id, value)

    def show(self, rows: Sequence[tuple[str, str, bool]]) -> None:
        """Fill the first rows with ``(run_id, cells_html, checked)``; drop the others."""
        with self._guard():
            for i, (run_id, cells, checked) in enumerate(rows):
                self.run_ids[i] = run_id
                self._tag(i, run_css_class(run_id))
                self.cells[i].value = cells
                self.checkboxes[i].value = checked
            for i in range(len(rows), len(self.run_ids)):
                self.run_ids[i] = None
                self._tag(i, None)
        if len(rows) != self.shown:
            self.shown = len(rows)
            pairs = zip(self.checkboxes[: self.shown], self.cells[: self.shown], strict=True)
            self.widget.children = [*self._header, *(w for pair in pairs for w in pair)]

    def _tag(self, index: int, css_class: str | None) -> None:
        """Move row ``index``'s run class to ``css_class``."""
        # Only on change, and as one assignment (not remove_class + add_class): every class
        # change is a comm message per widget.
        old = self._run_classes[index]
        if old == css_class:
            return
        for widget in (self.checkboxes[index], self.cells[index]):
            kept = tuple(c for c in widget._dom_classes if c != old)
            widget._dom_classes = kept if css_class is None else (*kept, css_class)
        self._run_classes[index] = css_class

    def check(self, run_ids: Iterable[str]) -> None:
        """Tick exactly the shown rows whose run is in ``run_ids`` (no callbacks)."""
        wanted = set(run_ids)
        with self._guard():
            for run_id, box in zip(self.run_ids, self.checkboxes, strict=True):
                if run_id is not None:
                    box.value = run_id in wanted


class _PoolGrid(ipywidgets.GridBox):  # type: ignore[misc]
    """The rows' grid; closing it closes the pooled rows it does not show at the moment too.

    Those are no child of any widget, so :func:`~jupyter_mltrack.widgets._base.close_tree`
    cannot reach them otherwise.
    """

    def __init__(
        self,
        children: Sequence[ipywidgets.Widget],
        *,
        pooled: Sequence[ipywidgets.Widget],
        **kwargs: Any,
    ) -> None:
        super().__init__(children, **kwargs)
        self._pooled = tuple(pooled)

    def close(self) -> None:
        """Close the grid and every pooled row widget (with their shared layout and style)."""
        pooled, self._pooled = self._pooled, ()
        close_tree(*pooled)
        super().close()


class ColumnChooser:
    """A "Columns" toggle opening a multi-select of attributes, metrics, params and tags."""

    def __init__(self, *, on_change: Callable[[list[str]], None]) -> None:
        self._on_change = on_change
        self._guard = _Guard()
        self._current: list[str] = []
        self.toggle = ipywidgets.ToggleButton(
            value=False, description="Columns", icon="list", tooltip="Choose the columns"
        )
        self.toggle.add_class("mltrack-columns-toggle")
        self.select = ipywidgets.SelectMultiple(
            options=[], rows=12, layout=ipywidgets.Layout(width="420px")
        )
        self.select.observe(self._selected, "value")
        hint = ipywidgets.HTML(
            "<small>Ctrl/⌘-click to add or remove; keys come from the pages shown so far.</small>"
        )
        self.panel = ipywidgets.VBox([self.select, hint], layout=ipywidgets.Layout(display="none"))
        self.panel.add_class("mltrack-column-chooser")
        self.toggle.observe(
            lambda ch: setattr(self.panel.layout, "display", None if ch["new"] else "none"),
            "value",
        )

    def offer(self, seen: Mapping[str, Iterable[str]], current: Sequence[Column]) -> None:
        """Offer every known column; select the ``current`` ones."""
        names = [c.name for c in current]
        options = list(dict.fromkeys([*(c.name for c in available_columns(seen)), *names]))
        with self._guard():
            if tuple(options) != tuple(self.select.options):
                self.select.options = options
            self.select.value = tuple(names)
        self._current = names

    def _selected(self, change: dict[str, Any]) -> None:
        if self._guard.active:
            return
        chosen = set(change["new"])
        # Keep the existing order, append new picks in the order they are offered.
        names = [n for n in self._current if n in chosen]
        names += [n for n in self.select.options if n in chosen and n not in names]
        self._current = names
        self._on_change(names)
