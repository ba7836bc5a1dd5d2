"""The runs table's column chooser: a searchable list of checkboxes, one per known column."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import ipywidgets

from jupyter_mltrack.widgets._base import close_tree
from jupyter_mltrack.widgets._table_render import Column, available_columns
from jupyter_mltrack.widgets._table_widgets import Guard

__all__ = ["ColumnChooser"]


class ColumnChooser:
    """A "Columns" toggle opening a searchable list of checkboxes, one per known column.

    The list shows the shown columns first (ticked, in their order), then the other keys: those
    that vary on the shown page, then constant and empty ones (marked so). Ticking a column puts
    it right after the Run and Status columns, where it is seen without scrolling. Checkboxes
    are created only for the matches shown (at most :attr:`LIMIT`) and reused afterwards.
    """

    LIMIT = 60

    def __init__(
        self,
        *,
        on_change: Callable[[list[str]], None],
        on_reset: Callable[[], None] | None = None,
    ) -> None:
        self._on_change = on_change
        self._guard = Guard()
        self._current: list[str] = []
        self._options: list[str] = []
        self._notes: dict[str, str] = {}
        self.toggle = ipywidgets.ToggleButton(
            value=False, description="Columns", icon="list", tooltip="Choose the columns"
        )
        self.toggle.add_class("mltrack-columns-toggle")
        self.search = ipywidgets.Text(
            placeholder="search columns, e.g. auc",
            continuous_update=True,
            layout=ipywidgets.Layout(width="260px"),
        )
        self.search.add_class("mltrack-columns-search")
        self.search.observe(lambda _ch: self._list(), "value")
        self.reset = ipywidgets.Button(description="Default columns", tooltip="Pick them again")
        self.reset.add_class("mltrack-columns-reset")
        if on_reset is not None:
            self.reset.on_click(lambda _b: on_reset())
        self.list = _CheckboxList(layout=ipywidgets.Layout(width="420px"))
        self.list.add_class("mltrack-column-list")
        self.hint = ipywidgets.HTML()
        self.hint.add_class("mltrack-muted")
        self.panel = ipywidgets.VBox(
            [ipywidgets.HBox([self.search, self.reset]), self.list, self.hint],
            layout=ipywidgets.Layout(display="none"),
        )
        self.panel.add_class("mltrack-column-chooser")
        self.toggle.observe(self._toggled, "value")

    def _toggled(self, change: dict[str, Any]) -> None:
        self.panel.layout.display = None if change["new"] else "none"
        if change["new"]:
            self._list()

    def offer(
        self,
        seen: Mapping[str, Iterable[str]],
        current: Sequence[Column],
        notes: Mapping[str, str] | None = None,
    ) -> None:
        """Offer every known column, ticking the ``current`` ones.

        ``notes`` marks column names (``"constant"``, ``"empty"``); marked ones are listed last.
        """
        names = [c.name for c in current]
        self._notes = dict(notes or {})
        rest = [c.name for c in available_columns(seen) if c.name not in names]
        rest.sort(key=lambda n: n in self._notes)  # stable: varying and attributes first
        self._options = [*names, *rest]
        self._current = names
        if self.toggle.value:  # closed: the list is built when it opens
            self._list()

    @property
    def options(self) -> list[str]:
        """Every column name offered, in the order listed."""
        return list(self._options)

    def matches(self) -> list[str]:
        """The offered names matching the search text (all words, any order, any case)."""
        words = self.search.value.lower().split()
        return [n for n in self._options if all(w in n.lower() for w in words)]

    def _list(self) -> None:
        matches = self.matches()
        shown = matches[: self.LIMIT]
        current = set(self._current)
        with self._guard():
            boxes = [self._box(name, name in current) for name in shown]
        if tuple(boxes) != tuple(self.list.children):
            self.list.children = boxes
        more = len(matches) - len(shown)
        self.hint.value = (
            f"<small>{more} more: type to narrow the list.</small>"
            if more > 0
            else "<small>Keys come from the pages shown so far.</small>"
        )

    def _box(self, name: str, ticked: bool) -> ipywidgets.Checkbox:
        box = self.list.boxes.get(name)
        note = self._notes.get(name)
        label = f"{name}  ({note})" if note else name
        if box is None:
            box = ipywidgets.Checkbox(
                value=ticked, description=label, indent=False, layout=self.list.box_layout()
            )
            box.add_class("mltrack-column-option")
            box.observe(lambda ch, name=name: self._ticked(name, bool(ch["new"])), "value")
            self.list.boxes[name] = box
        else:
            box.value = ticked
            if box.description != label:
                box.description = label
        return box

    def tick(self, name: str, value: bool = True) -> None:
        """Tick (or untick) a column as a click would (for scripts and tests)."""
        self._ticked(name, value)

    def _ticked(self, name: str, value: bool) -> None:
        if self._guard.active or (name in self._current) == value:
            return
        names = [n for n in self._current if n != name]
        if value:  # right after Run and Status, where it is seen without scrolling
            at = next(
                (i for i, n in enumerate(names) if n not in ("run_name", "status")), len(names)
            )
            names.insert(at, name)
        self._current = names
        self._on_change(names)


class _CheckboxList(ipywidgets.VBox):  # type: ignore[misc]
    """The chooser's list; closing it closes every checkbox it ever made, shown or not."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.boxes: dict[str, ipywidgets.Checkbox] = {}
        self._layout: ipywidgets.Layout | None = None

    def box_layout(self) -> ipywidgets.Layout:
        """The one layout all checkboxes share (made with the first: a layout is a widget too)."""
        if self._layout is None:
            self._layout = ipywidgets.Layout(width="auto", margin="0")
        return self._layout

    def close(self) -> None:
        """Close the list and all its cached checkboxes (with their shared layout)."""
        boxes, self.boxes = list(self.boxes.values()), {}
        close_tree(*boxes)
        super().close()
