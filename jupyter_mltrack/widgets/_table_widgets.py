"""The widget parts of the runs table: a sortable header and a pool of row widgets.

Each part creates its widgets once and afterwards only changes their values, so paging, sorting
and filtering cost a handful of small comm messages instead of new widgets.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from typing import Any

import ipywidgets

from jupyter_mltrack.widgets._base import close_tree, replace_children
from jupyter_mltrack.widgets._table_render import Column

__all__ = [
    "CHECK_WIDTH",
    "EXPANDER_WIDTH",
    "Guard",
    "HeaderRow",
    "RowPool",
    "run_css_class",
]

CHECK_WIDTH = "28px"
EXPANDER_WIDTH = "20px"
#: What a row's expander shows: nothing (no children), folded, or open.
Expander = str  # "", "closed" or "open"
_ARROWS = {"": "", "closed": "▸", "open": "▾"}
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


class Guard:
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

    Its widgets (select-all, a blank over the expander column when there is one, the buttons)
    open the :class:`RowPool` grid, so headers and cells share columns. The select-all box and
    the Run header are pinned (``mltrack-pin-*`` classes) while the table scrolls sideways.
    """

    def __init__(
        self, *, on_sort: Callable[[Column], None], on_select_all: Callable[[bool], None]
    ) -> None:
        self._on_sort = on_sort
        self._guard = Guard()
        self.select_all = ipywidgets.Checkbox(
            value=False, indent=False, layout=ipywidgets.Layout(width=CHECK_WIDTH)
        )
        self.select_all.add_class("mltrack-select-all")
        self.select_all.add_class("mltrack-pin-check")
        self.blank = ipywidgets.HTML(layout=ipywidgets.Layout(width=EXPANDER_WIDTH, margin="0"))
        self.blank.add_class("mltrack-pin-expander")
        self.select_all.observe(
            lambda ch: None if self._guard.active else on_select_all(bool(ch["new"])), "value"
        )
        self.buttons: list[ipywidgets.Button] = []
        self.columns: list[Column] = []
        self.cells = ipywidgets.HBox()
        self.cells.add_class("mltrack-header")

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
        if column.kind == "attribute" and column.key == "run_name":
            button.add_class("mltrack-pin-run")
        button.on_click(lambda _b: self._on_sort(column))
        return button

    def clear_select_all(self) -> None:
        """Uncheck the select-all box without firing its callback."""
        with self._guard():
            self.select_all.value = False


class RowPool:
    """``size`` rows (a checkbox and an HTML of cells each, and an expander), reused for every page.

    The rows live in one ``GridBox`` (checkbox and cells columns) after the header's widgets;
    every checkbox shares one ``Layout`` and one style, and so does every HTML: creating a widget
    with its own layout and style costs ~20 times more, which at 50 rows is the difference
    between 15 ms and 300 ms. A short page trims the grid's children instead of hiding rows, so
    rows need no layouts of their own.

    The expanders (``▸``/``▾``, active on rows whose run has children on the page; a click calls
    ``on_expand(run_id)``) are made the first time a page holds nested runs: the grid then gains
    an expander column (and the CSS class ``mltrack-nested``), so flat experiments pay nothing.

    The widgets of a row carry ``mltrack-run-<run_id>`` (:func:`run_css_class`) for the run they
    show; the class moves with the run when a pooled row is reused.
    """

    def __init__(
        self,
        size: int,
        *,
        header: HeaderRow,
        on_check: Callable[[str, bool], None],
        on_expand: Callable[[str], None] | None = None,
    ) -> None:
        from ipywidgets.widgets.widget_bool import CheckboxStyle
        from ipywidgets.widgets.widget_string import HTMLStyle

        self._on_check = on_check
        self._on_expand = on_expand
        self._guard = Guard()
        self._header = header
        self.run_ids: list[str | None] = [None] * size
        self.expanders_state: list[Expander] = [""] * size
        self._run_classes: list[str | None] = [None] * size
        check_layout, check_style = ipywidgets.Layout(width=CHECK_WIDTH), CheckboxStyle()
        cell_layout, cell_style = ipywidgets.Layout(), HTMLStyle()
        self.checkboxes: list[ipywidgets.Checkbox] = []
        self.expanders: list[ipywidgets.Button] = []
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
            (header.select_all, header.cells),
            pooled=[header.blank, *self.checkboxes, *self.cells],
            layout=ipywidgets.Layout(
                grid_template_columns=f"{CHECK_WIDTH} max-content", overflow="auto"
            ),
        )
        self.widget.add_class("mltrack-rows")

    def _make_expanders(self) -> None:
        """Create the expander column (once; the grid keeps it from then on)."""
        from ipywidgets.widgets.widget_button import ButtonStyle

        layout = ipywidgets.Layout(width=EXPANDER_WIDTH, height="26px", margin="0", padding="0")
        style = ButtonStyle()
        for i in range(len(self.run_ids)):
            fold = ipywidgets.Button(
                description="",
                disabled=True,
                layout=layout,
                style=style,
                _dom_classes=(
                    "mltrack-expander",
                    *([self._run_classes[i]] if self._run_classes[i] else []),
                ),
            )
            fold.on_click(lambda _b, i=i: self._expand(i))
            self.expanders.append(fold)
        self.widget.pool(self.expanders)
        self.widget.layout.grid_template_columns = f"{CHECK_WIDTH} {EXPANDER_WIDTH} max-content"
        self.widget.add_class("mltrack-nested")
        self.shown = -1  # rebuild the children with the new column

    def _checked(self, index: int, value: bool) -> None:
        run_id = self.run_ids[index]
        if not self._guard.active and run_id is not None:
            self._on_check(run_id, value)

    def _expand(self, index: int) -> None:
        run_id = self.run_ids[index]
        if run_id is not None and self.expanders_state[index] and self._on_expand is not None:
            self._on_expand(run_id)

    def show(self, rows: Sequence[tuple[str, str, bool, Expander]]) -> None:
        """Fill the first rows with ``(run_id, cells_html, checked, expander)``; drop the others.

        ``expander`` is ``""`` (no children), ``"closed"`` or ``"open"``.
        """
        if not self.expanders and any(fold for *_rest, fold in rows):
            self._make_expanders()
        with self._guard():
            for i, (run_id, cells, checked, fold) in enumerate(rows):
                self.run_ids[i] = run_id
                self._tag(i, run_css_class(run_id))
                self.cells[i].value = cells
                self.checkboxes[i].value = checked
                self._fold(i, fold)
            for i in range(len(rows), len(self.run_ids)):
                self.run_ids[i] = None
                self._tag(i, None)
        if len(rows) != self.shown:
            self.shown = len(rows)
            self.widget.children = self._children()

    def _children(self) -> list[ipywidgets.Widget]:
        header = self._header
        if not self.expanders:
            pairs = zip(self.checkboxes[: self.shown], self.cells[: self.shown], strict=True)
            return [header.select_all, header.cells, *(w for pair in pairs for w in pair)]
        rows = zip(
            self.checkboxes[: self.shown],
            self.expanders[: self.shown],
            self.cells[: self.shown],
            strict=True,
        )
        return [header.select_all, header.blank, header.cells, *(w for row in rows for w in row)]

    def _fold(self, index: int, state: Expander) -> None:
        if self.expanders_state[index] == state or not self.expanders:
            return  # unchanged (or no expanders yet: all are blank): no comm message
        self.expanders_state[index] = state
        button = self.expanders[index]
        button.description = _ARROWS[state]
        button.disabled = not state
        button.tooltip = {"closed": "Show the nested runs", "open": "Hide the nested runs"}.get(
            state, ""
        )

    def _tag(self, index: int, css_class: str | None) -> None:
        """Move row ``index``'s run class to ``css_class``."""
        # Only on change, and as one assignment (not remove_class + add_class): every class
        # change is a comm message per widget.
        old = self._run_classes[index]
        if old == css_class:
            return
        row = [self.checkboxes[index], self.cells[index]]
        if self.expanders:
            row.append(self.expanders[index])
        for widget in row:
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

    def pool(self, widgets: Sequence[ipywidgets.Widget]) -> None:
        """Add widgets for :meth:`close` to close (made after the grid)."""
        self._pooled = (*self._pooled, *widgets)

    def close(self) -> None:
        """Close the grid and every pooled row widget (with their shared layout and style)."""
        pooled, self._pooled = self._pooled, ()
        close_tree(*pooled)
        super().close()
