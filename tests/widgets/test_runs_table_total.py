"""RunsTable's pager shows the total from the store's count_runs: "page 2 · runs 5-8 of 10"."""

from __future__ import annotations

from widget_seed import Seeded

from jupyter_mltrack.widgets.runs_table import RunsTable


def test_pager_shows_the_total_of_the_current_search(seeded: Seeded) -> None:
    table = RunsTable("churn", client=seeded.client, page_size=4)
    assert table.total_runs == 10
    assert "page 1 · runs 1-4 of 10 …" in table.page_label.value
    table.next_page()
    assert "page 2 · runs 5-8 of 10" in table.page_label.value
    table.set_filter("params.model = 'rf'")
    expected = seeded.client.count_runs(seeded.experiments["churn"], "params.model = 'rf'")
    assert 0 < expected < 10 and table.total_runs == expected
    assert f"of {expected}" in table.page_label.value and "page 1" in table.page_label.value
    table.set_filter("metrics.acc >> 1")  # refused: the table, its paging and total stay
    assert table.total_runs == expected and f"of {expected}" in table.page_label.value
    table.set_filter("params.model = 'nothing'")
    assert table.total_runs == 0 and "no runs" in table.page_label.value


def test_refresh_recounts(seeded: Seeded) -> None:
    table = RunsTable("churn", client=seeded.client, page_size=50)
    seeded.client.delete_run(seeded.runs["gbm-1"])
    table.refresh_button.click()
    assert table.total_runs == 9 and "runs 1-9 of 9" in table.page_label.value


def test_sorting_keeps_the_count_and_filtering_recounts(seeded: Seeded) -> None:
    counted: list[str | None] = []
    count_runs = seeded.client.count_runs

    def counting(*args: object, **kwargs: object) -> int:
        counted.append(str(args[1]) if len(args) > 1 else None)
        return count_runs(*args, **kwargs)  # type: ignore[arg-type]

    seeded.client.count_runs = counting  # type: ignore[method-assign]
    table = RunsTable("churn", client=seeded.client, page_size=4)
    assert len(counted) == 1
    table.sort_by("run_name", ascending=False)  # same runs, new order: the count stands
    table.sort_by("run_name", ascending=True)
    assert len(counted) == 1 and table.total_runs == 10
    assert "of 10" in table.page_label.value
    table.set_filter("params.model = 'rf'")
    assert len(counted) == 2 and table.total_runs < 10
