"""RunsTable: store-side sorting, filtering and paging; selection; columns; Compare; errors."""

from __future__ import annotations

import pytest

from jupyter_mltrack.entities import PagedList
from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.widgets._paging import PageCursor
from jupyter_mltrack.widgets._table_render import (
    Column,
    filter_error_html,
    filter_error_position,
    parse_column,
)
from jupyter_mltrack.widgets.runs_table import RunsTable

CHURN_NEWEST_FIRST = [
    "cell-2", "cell-1", "sweep-b", "sweep-a", "sweep",
    "live-1", "failed-1", "gbm-1", "rf-2", "rf-1",
]  # fmt: skip
# As shown: the sweep's children follow it, the group where its newest member sorts.
CHURN_SHOWN = [
    "cell-2", "cell-1", "sweep", "sweep-b", "sweep-a",
    "live-1", "failed-1", "gbm-1", "rf-2", "rf-1",
]  # fmt: skip


def names(table: RunsTable) -> list[str]:
    return [row["run_name"] for row in table.rows_shown()]


# -- pure helpers ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "column", "order_by"),
    [
        ("metrics.acc", Column("metric", "acc"), "metrics.`acc` ASC"),
        ("param.my key", Column("param", "my key"), "params.`my key` ASC"),
        ("tags.team", Column("tag", "team"), "tags.`team` ASC"),
        ("status", Column("attribute", "status"), "attributes.status ASC"),
        ("attributes.run_name", Column("attribute", "run_name"), "attributes.run_name ASC"),
    ],
)
def test_parse_column(name, column, order_by):
    assert parse_column(name) == column
    assert column.order_by(True) == order_by


def test_parse_column_rejects_unknown_attributes():
    with pytest.raises(InvalidParameterError, match="Unknown column 'colour'"):
        parse_column("colour")
    assert not parse_column("duration").sortable


def test_filter_error_html_puts_the_caret_under_the_column():
    message = "filter_string: expected a number at column 14 (found '>')"
    assert filter_error_position(message) == 14
    rendered = filter_error_html("metrics.acc >> 1", message)
    lines = rendered.split("\n")
    assert lines[0].endswith("metrics.acc &gt;&gt; 1")
    assert lines[1].index("<b") == 13  # 13 spaces, then the caret
    assert "expected a number at column 14" in lines[2]
    assert "column" not in filter_error_html("x", "filter_string: OR is not supported")[:5]


def test_page_cursor_remembers_tokens_and_forgets_pages_past_the_end():
    calls: list[str | None] = []
    data = list(range(7))

    def fetch(token: str | None) -> PagedList[int]:
        calls.append(token)
        start = int(token or 0)
        end = start + 3
        return PagedList(data[start:end], str(end) if end < len(data) else None)

    cursor = PageCursor(fetch)
    assert cursor.page(0) == [0, 1, 2] and cursor.has_page(1)
    assert cursor.page(1) == [3, 4, 5]
    assert cursor.page(2) == [6] and cursor.last_page == 2 and not cursor.has_page(3)
    assert cursor.page(1) == [3, 4, 5]
    assert calls == [None, "3", "6", "3"]  # page 1 again reused its remembered token
    with pytest.raises(IndexError, match="page 5"):
        cursor.page(5)


# -- the widget ------------------------------------------------------------------------------------
def test_table_lists_the_runs_newest_first_with_default_columns(seeded):
    table = RunsTable("churn", client=seeded.client)
    assert "mltrack-runs-table" in table._dom_classes
    assert names(table) == CHURN_SHOWN
    assert [c.name for c in table.columns][:2] == ["run_name", "status"]
    assert [c.name for c in table.columns][-2:] == ["start_time", "duration"]
    assert "metrics.acc" in [c.name for c in table.columns]
    shown = len(CHURN_SHOWN)
    assert [w for w in table.rows.widget.children[3:] if "mltrack-row" in w._dom_classes] == (
        table.rows.cells[:shown]
    )
    html = table.rows.cells[names(table).index("failed-1")].value
    assert "mltrack-status-failed" in html
    assert "↳" in table.rows.cells[names(table).index("sweep-a")].value
    assert "↳" not in table.rows.cells[names(table).index("sweep")].value
    assert table.timings["total"] < 1.0
    assert table.notice.kind is None


def test_paging_walks_the_store_and_back(seeded):
    table = RunsTable("churn", client=seeded.client, page_size=4)
    assert names(table) == CHURN_NEWEST_FIRST[:4] and table.prev_button.disabled
    table.next_button.click()
    assert (table.page, names(table)) == (1, CHURN_NEWEST_FIRST[4:8])
    table.next_page()
    assert names(table) == CHURN_NEWEST_FIRST[8:] and table.next_button.disabled
    assert len(table.rows.widget.children) == 2 + 2 * 2  # header + two rows (nothing nested)
    table.next_page()  # already on the last page: nothing changes
    assert table.page == 2
    table.prev_button.click()
    assert names(table) == CHURN_NEWEST_FIRST[4:8]
    assert "page 2" in table.page_label.value and "runs 5-8" in table.page_label.value


def test_header_click_sorts_in_the_store_and_toggles(seeded):
    table = RunsTable("churn", client=seeded.client, columns=["run_name", "metrics.acc"])
    acc_button = table.header.buttons[1]
    assert "mltrack-col-metrics-acc" in acc_button._dom_classes
    acc_button.click()
    assert table.order_by == ["metrics.`acc` ASC"]
    assert acc_button.description == "metrics.acc ▲"
    values = [float(r["metrics.acc"]) for r in table.rows_shown() if r["metrics.acc"]]
    assert values == sorted(values)
    acc_button.click()
    assert table.order_by == ["metrics.`acc` DESC"]
    assert names(table)[0] == "gbm-1"
    table.sort_by("run_name", ascending=True)
    assert names(table) == sorted(CHURN_NEWEST_FIRST)
    assert table.header.buttons[1].description == "metrics.acc"


def test_filter_narrows_rows_and_resets_paging(seeded):
    table = RunsTable("churn", client=seeded.client, page_size=3)
    table.next_page()
    table.filter_box.value = "params.model = 'rf' and metrics.acc > 0.8"
    assert table.filter_string == "params.model = 'rf' and metrics.acc > 0.8"
    assert (table.page, names(table)) == (0, ["rf-2"])
    table.set_filter("")
    assert names(table) == CHURN_NEWEST_FIRST[:3]


def test_bad_filter_shows_a_caret_and_keeps_the_table(seeded):
    table = RunsTable("churn", client=seeded.client, filter_string="tags.team = 'a'")
    assert names(table) == ["rf-2", "rf-1"]
    table.set_filter("tags.team = 'a' and metrics.acc >> 1")
    error = table.filter_error.value
    assert "mltrack-filter-error" in error
    assert "at column 34" in error
    assert error.split("\n")[1].index("<b") == 33
    assert table.filter_string == "tags.team = 'a'"
    assert names(table) == ["rf-2", "rf-1"]
    assert table.notice.kind is None
    table.set_filter("tags.team = 'b'")
    assert table.filter_error.value == "" and names(table) == ["gbm-1"]


def test_empty_filter_result_and_empty_experiment_say_so(seeded):
    table = RunsTable("churn", client=seeded.client, filter_string="metrics.acc > 5")
    assert names(table) == [] and table.notice.kind == "info"
    assert "No runs match" in table.notice.message
    empty = RunsTable("empty", client=seeded.client)
    assert empty.notice.message == "No runs yet in empty."


def test_experiments_by_name_id_several_or_all(seeded):
    vision_id = seeded.experiments["vision"]
    assert sorted(names(RunsTable(vision_id, client=seeded.client))) == ["cnn-1", "cnn-2"]
    both = RunsTable(["vision", "churn"], client=seeded.client, page_size=50)
    assert len(names(both)) == 12
    everything = RunsTable(client=seeded.client, columns=["run_name", "experiment_id"])
    assert len(everything.rows_shown()) == 12
    assert {r["experiment_id"] for r in everything.rows_shown()} == {"churn", "vision"}


def test_unknown_experiment_and_unreachable_store_show_messages(seeded, closed_port_uri):
    table = RunsTable("no-such-experiment", client=seeded.client)
    assert table.notice.kind == "error"
    assert "no-such-experiment" in table.notice.message
    down = RunsTable("churn", tracking_uri=closed_port_uri)
    assert down.notice.kind == "error" and "Cannot reach" in down.notice.message


def test_selection_trait_callbacks_and_persistence_across_pages(seeded):
    table = RunsTable("churn", client=seeded.client, page_size=4)
    seen: list[list[str]] = []
    table.on_select(seen.append)
    assert table.compare_button.disabled
    table.rows.checkboxes[0].value = True
    table.next_page()
    table.rows.checkboxes[1].value = True
    first, second = seeded.runs["cell-2"], seeded.runs["live-1"]
    assert table.selected_run_ids == [first, second]
    assert seen == [[first], [first, second]]
    assert not table.compare_button.disabled
    table.prev_page()
    assert table.rows.checkboxes[0].value is True  # still ticked when coming back
    table.rows.checkboxes[0].value = False
    assert table.selected_run_ids == [second]


def test_select_all_ticks_the_visible_rows(seeded):
    table = RunsTable("churn", client=seeded.client, page_size=3)
    table.header.select_all.value = True
    visible = [r["run_id"] for r in table.rows_shown()]
    assert table.selected_run_ids == visible
    assert all(box.value for box in table.rows.checkboxes[:3])
    table.header.select_all.value = False
    assert table.selected_run_ids == []


def test_compare_opens_a_comparison_below(seeded):
    table = RunsTable("churn", client=seeded.client)
    assert table.compare() is None and "at least two" in table.notice.message
    table.select([seeded.runs["rf-1"], seeded.runs["rf-2"]])
    assert [box.value for box in table.rows.checkboxes[8:10]] == [True, True]
    table.compare_button.click()
    comparison = table.comparison
    assert comparison is not None and table.comparison_box.children == (comparison,)
    assert comparison.run_ids == [seeded.runs["rf-1"], seeded.runs["rf-2"]]
    assert comparison.parcoords.figure is not None


def test_column_chooser_offers_seen_keys_and_changes_columns(seeded):
    table = RunsTable("churn", client=seeded.client)
    offered = set(table.chooser.options)
    assert {"metrics.loss", "params.lr", "tags.team", "user_id"} <= offered
    assert not any(name.startswith("tags.mltrack.") for name in offered)
    assert table.chooser.list.children == ()  # checkboxes are made when the panel opens
    table.chooser.toggle.value = True
    assert table.chooser.panel.layout.display is None
    table.set_columns(["run_name", "tags.team"])
    assert [c.name for c in table.columns] == ["run_name", "tags.team"]
    assert table.rows_shown()[-1] == {
        "run_id": seeded.runs["rf-1"],
        "run_name": "rf-1",
        "tags.team": "a",
    }
    assert [b.description for b in table.header.buttons] == ["Run", "tags.team"]


def test_refresh_picks_up_new_runs(seeded):
    table = RunsTable("vision", client=seeded.client)
    assert len(names(table)) == 2
    seeded.run("vision", "cnn-3", metrics={"top1": [0.9]})
    table.refresh_button.click()
    assert names(table)[0] == "cnn-3"


def test_default_columns_follow_the_first_runs_after_a_refresh(seeded):
    table = RunsTable("empty", client=seeded.client)
    assert [c.kind for c in table.columns] == ["attribute"] * 4
    seeded.run("empty", "first", params={"alpha": 1}, metrics={"mse": [0.5]})
    table.refresh()
    assert {"metrics.mse", "params.alpha"} <= {c.name for c in table.columns}
    assert table.notice.kind is None
    table.set_columns(["run_name"])
    table.refresh()
    assert [c.name for c in table.columns] == ["run_name"]  # a user's choice is kept


def test_css_hooks_for_browser_tests(seeded):
    table = RunsTable("churn", client=seeded.client)
    assert "mltrack-filter" in table.filter_box._dom_classes
    assert "mltrack-compare" in table.compare_button._dom_classes
    assert all("mltrack-select" in box._dom_classes for box in table.rows.checkboxes)
    assert all("mltrack-sort" in button._dom_classes for button in table.header.buttons)


def _run_classes(widget) -> list[str]:  # type: ignore[no-untyped-def]
    return [c for c in widget._dom_classes if c.startswith("mltrack-run-")]


def test_each_row_checkbox_and_cells_carry_their_runs_class(seeded):
    # Checkboxes and cells are grid siblings: the shared class is what ties one to the other.
    table = RunsTable("churn", client=seeded.client, page_size=4)
    ids = [seeded.runs[name] for name in CHURN_NEWEST_FIRST]

    def tags(count: int) -> list[tuple[list[str], list[str]]]:
        rows = zip(table.rows.checkboxes[:count], table.rows.cells[:count], strict=True)
        return [(_run_classes(box), _run_classes(cells)) for box, cells in rows]

    assert tags(4) == [([f"mltrack-run-{i}"], [f"mltrack-run-{i}"]) for i in ids[:4]]
    assert f'data-run-id="{ids[0]}"' in table.rows.cells[0].value
    table.next_page()
    table.next_page()  # a short last page: the pooled rows now show other runs
    assert tags(2) == [([f"mltrack-run-{i}"], [f"mltrack-run-{i}"]) for i in ids[8:]]
    assert all(_run_classes(box) == [] for box in table.rows.checkboxes[2:])  # unused rows
    table.prev_page()
    assert tags(4) == [([f"mltrack-run-{i}"], [f"mltrack-run-{i}"]) for i in ids[4:8]]


def test_filter_caret_in_a_multi_line_filter_points_into_the_right_line(seeded):
    table = RunsTable("churn", client=seeded.client)
    table.set_filter("tags.team = 'a'\n  and metrics.acc >> 1\n  and params.model = 'rf'")
    lines = table.filter_error.value.split("\n")
    assert "at column 36" in lines[-1]  # the parser counts columns over the whole filter
    assert lines[1] == "  and metrics.acc &gt;&gt; 1"
    assert lines[2].index("<b") == len("  and metrics.acc >")  # under the second ">" of line 2
    assert lines[3] == "  and params.model = &#x27;rf&#x27;"  # the rest follows the caret
    assert table.filter_string == ""  # the bad filter was not applied


def test_filter_caret_after_a_very_long_string_stays_in_its_column(seeded):
    long_value = "x" * 500
    table = RunsTable("churn", client=seeded.client)
    table.set_filter(f"params.note = '{long_value}' and metrics.acc >> 1")
    error = table.filter_error.value
    lines = error.split("\n")
    column = len(f"params.note = '{long_value}' and metrics.acc >") + 1
    assert f"at column {column}" in lines[-1]
    assert lines[1].index("<b") == column - 1
    assert "white-space:pre;overflow-x:auto" in error  # scrolls sideways instead of wrapping


def test_filter_caret_counts_tabs_and_wide_characters_as_the_browser_draws_them():
    message = "filter_string: expected a number at column {} (found '>')"
    tabbed = "a = 'x'\tand m >> 1"
    lines = filter_error_html(tabbed, message.format(tabbed.index(">") + 1)).split("\n")
    assert lines[1].startswith("       \t      <b")  # the tab is repeated: same tab stop
    wide = "a = '日本' and m >> 1"
    lines = filter_error_html(wide, message.format(wide.index(">") + 1)).split("\n")
    assert lines[1].index("<b") == wide.index(">") + 2  # two wide characters, two cells each
