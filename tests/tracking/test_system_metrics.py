"""System metrics per run: real psutil samples in MLflow's metric names, one sampler thread."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import jupyter_mltrack as mlt
from jupyter_mltrack import TrackingClient
from jupyter_mltrack.errors import InvalidParameterError, MissingDependencyError
from jupyter_mltrack.notebook.magics import parse_track_args
from jupyter_mltrack.tracking import fluent, system_metrics
from jupyter_mltrack.tracking._system_samplers import GpuSampler

CPU = "system/cpu_utilization_percentage"
PERCENTAGES = [
    CPU,
    "system/system_memory_usage_percentage",
    "system/disk_usage_percentage",
]
MEGABYTES = [
    "system/system_memory_usage_megabytes",
    "system/disk_usage_megabytes",
    "system/disk_available_megabytes",
    "system/network_receive_megabytes",
    "system/network_transmit_megabytes",
]
ENV = (
    system_metrics.ENV_ENABLE,
    system_metrics.ENV_INTERVAL,
    system_metrics.ENV_SAMPLES,
    system_metrics.ENV_NODE_ID,
)


@pytest.fixture(autouse=True)
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    # The setters write os.environ (as MLflow's do): monkeypatch restores whatever a test set.
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    uri = f"sqlite:///{tmp_path}/t.db"
    mlt.set_tracking_uri(uri)
    mlt.set_system_metrics_sampling_interval(0.1)
    yield uri
    fluent._reset()


def sampled_once(run_id: str) -> None:
    """Wait until the sampler thread has given ``run_id`` at least one sample."""
    deadline = time.monotonic() + 20
    while system_metrics._runs[run_id].sampled is False:
        assert time.monotonic() < deadline, "the sampler thread never sampled the run"
        time.sleep(0.02)


def history(run_id: str, key: str) -> list[tuple[int, float]]:
    return [(m.step, m.value) for m in TrackingClient().get_metric_history(run_id, key)]


def sampler_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == system_metrics.THREAD_NAME]


def test_run_logs_mlflow_named_metrics_with_increasing_steps() -> None:
    with mlt.start_run(log_system_metrics=True) as run:
        time.sleep(1.0)
    data = mlt.get_run(run.run_id).data.metrics
    assert set(PERCENTAGES + MEGABYTES) <= set(data)
    points = history(run.run_id, CPU)
    assert [step for step, _ in points] == list(range(len(points)))
    assert len(points) >= 2
    for key in PERCENTAGES:
        assert all(0 <= value <= 100 for _, value in history(run.run_id, key)), key
    assert data["system/system_memory_usage_megabytes"] > 0
    assert data["system/disk_available_megabytes"] > 0
    # Network figures are what moved since the run started, not counters since boot.
    assert 0 <= data["system/network_receive_megabytes"] < 1_000
    assert system_metrics.sampled_runs() == []


def test_runs_without_the_switch_log_no_system_metrics() -> None:
    with mlt.start_run() as run:
        mlt.log_metric("loss", 1.0)
        time.sleep(0.3)
    assert list(mlt.get_run(run.run_id).data.metrics) == ["loss"]


def test_environment_variable_switches_it_on_and_false_overrides(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MLTRACK_ENABLE_SYSTEM_METRICS_LOGGING", "true")
    with mlt.start_run() as on:
        sampled_once(on.run_id)
    with mlt.start_run(log_system_metrics=False) as off:
        time.sleep(0.3)
    assert CPU in mlt.get_run(on.run_id).data.metrics
    assert mlt.get_run(off.run_id).data.metrics == {}


def test_enable_and_disable_functions() -> None:
    mlt.enable_system_metrics_logging()
    with mlt.start_run() as on:
        sampled_once(on.run_id)
    mlt.disable_system_metrics_logging()
    with mlt.start_run() as off:
        time.sleep(0.3)
    with mlt.start_run(log_system_metrics=True) as forced:
        sampled_once(forced.run_id)
    assert CPU in mlt.get_run(on.run_id).data.metrics
    assert mlt.get_run(off.run_id).data.metrics == {}
    assert CPU in mlt.get_run(forced.run_id).data.metrics


def test_one_sampler_thread_serves_every_run() -> None:
    with mlt.start_run(log_system_metrics=True) as outer:
        children = [mlt.start_run(nested=True, log_system_metrics=True) for _ in range(3)]
        for run in (outer, *children):
            sampled_once(run.run_id)
        assert len(sampler_threads()) == 1
        assert sorted(system_metrics.sampled_runs()) == sorted(r.run_id for r in (outer, *children))
    assert system_metrics.sampled_runs() == []
    for run in (outer, *children):
        assert CPU in mlt.get_run(run.run_id).data.metrics
    with mlt.start_run(log_system_metrics=True) as later:
        sampled_once(later.run_id)
    assert len(sampler_threads()) == 1


def test_no_new_points_after_the_run_ends() -> None:
    with mlt.start_run(log_system_metrics=True) as run:
        sampled_once(run.run_id)
    ended = len(history(run.run_id, CPU))
    with mlt.start_run(log_system_metrics=True) as other:  # keeps the sampler thread busy
        time.sleep(0.5)
    assert CPU in mlt.get_run(other.run_id).data.metrics
    assert len(history(run.run_id, CPU)) == ended


def test_last_partial_window_is_logged_at_end_and_on_failure() -> None:
    mlt.set_system_metrics_samples_before_logging(10_000)
    with mlt.start_run(log_system_metrics=True) as run:
        sampled_once(run.run_id)
    assert [step for step, _ in history(run.run_id, CPU)] == [0]
    with pytest.raises(RuntimeError), mlt.start_run(log_system_metrics=True) as failed:
        sampled_once(failed.run_id)
        raise RuntimeError("boom")
    assert mlt.get_run(failed.run_id).info.status.value == "FAILED"
    assert [step for step, _ in history(failed.run_id, CPU)] == [0]
    assert system_metrics.sampled_runs() == []


def test_window_averages_samples_and_subtracts_network_baseline(tmp_path: Path) -> None:
    window = system_metrics._Window(
        store=TrackingClient().store,
        prefix="system/",
        network_base={"network_receive_megabytes": 100.0},
        step=4,
    )
    window.add({CPU[7:]: 10.0, "network_receive_megabytes": 101.0})
    window.add({CPU[7:]: 20.0, "network_receive_megabytes": 103.0})
    points = {key: (value, step) for key, value, _, step in window.take_points()}
    assert points == {CPU: (15.0, 4), "system/network_receive_megabytes": (2.0, 4)}
    assert (window.count, window.step, window.sums) == (0, 5, {})


def test_resumed_run_continues_the_steps() -> None:
    with mlt.start_run(log_system_metrics=True) as run:
        sampled_once(run.run_id)
    first = [step for step, _ in history(run.run_id, CPU)]
    with mlt.start_run(run.run_id, log_system_metrics=True):
        sampled_once(run.run_id)
    steps = [step for step, _ in history(run.run_id, CPU)]
    assert steps[: len(first)] == first
    assert steps[len(first) :] == list(range(len(first), len(steps)))
    assert len(steps) > len(first)


def test_node_id_goes_into_the_metric_names() -> None:
    mlt.set_system_metrics_node_id("node_0")
    with mlt.start_run(log_system_metrics=True) as run:
        sampled_once(run.run_id)
    keys = set(mlt.get_run(run.run_id).data.metrics)
    assert "system/node_0/cpu_utilization_percentage" in keys
    assert CPU not in keys
    mlt.set_system_metrics_node_id(None)
    assert system_metrics.ENV_NODE_ID not in os.environ


@pytest.mark.parametrize(
    ("setter", "value", "message"),
    [
        (mlt.set_system_metrics_sampling_interval, 0, "must be a number of seconds > 0"),
        (mlt.set_system_metrics_sampling_interval, "10", "must be a number of seconds > 0"),
        (mlt.set_system_metrics_samples_before_logging, 0, "whole number >= 1"),
        (mlt.set_system_metrics_samples_before_logging, 2.5, "whole number >= 1"),
        (mlt.set_system_metrics_node_id, "a/b", "must not contain '/'"),
        (mlt.set_system_metrics_node_id, "bad*id", "Invalid system metrics node id key"),
    ],
)
def test_setters_reject_bad_values(setter: object, value: object, message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        setter(value)  # type: ignore[operator]


def test_missing_psutil_names_the_extra_and_writes_no_run(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "psutil", None)  # what `import psutil` sees when absent
    with pytest.raises(MissingDependencyError, match=r"jupyter_mltrack\[system-metrics\]"):
        mlt.start_run(log_system_metrics=True)
    assert mlt.active_run() is None
    assert mlt.search_runs(output_format="list") == []
    # The global switch only warns: it must not break every start_run of the process.
    monkeypatch.setenv("MLTRACK_ENABLE_SYSTEM_METRICS_LOGGING", "true")
    with mlt.start_run() as run:
        pass
    assert system_metrics.ENV_ENABLE in caplog.text
    assert mlt.get_run(run.run_id).data.metrics == {}


def test_absent_gpu_is_not_an_error() -> None:
    pytest.importorskip("pynvml")
    sampler = GpuSampler.create()
    if sampler is not None:  # a machine with an NVIDIA GPU and driver
        assert any(key.endswith("_utilization_percentage") for key in sampler.sample())
    else:
        with mlt.start_run(log_system_metrics=True) as run:
            sampled_once(run.run_id)
        assert not any("gpu" in key for key in mlt.get_run(run.run_id).data.metrics)


def test_track_magic_flag() -> None:
    assert parse_track_args("--system-metrics").system_metrics is True
    assert parse_track_args("").system_metrics is None


@pytest.mark.kernel
def test_track_cell_logs_system_metrics_in_a_real_kernel(
    tmp_path: Path, store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nbclient import NotebookClient
    from nbformat.v4 import new_code_cell, new_notebook

    monkeypatch.setenv("MLTRACK_TRACKING_URI", store)
    monkeypatch.setenv(system_metrics.ENV_INTERVAL, "0.2")
    cells = [
        "%load_ext jupyter_mltrack",
        "%%track --system-metrics --quiet --name sampled\nimport time\ntime.sleep(1)",
        "%%track --quiet --name plain\nx = 1",
    ]
    nb = new_notebook(cells=[new_code_cell(src) for src in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    NotebookClient(nb, kernel_name="python3", timeout=60).execute()
    runs = {r.info.run_name: r for r in TrackingClient(store).search_runs(["0"])}
    steps = [
        m.step for m in TrackingClient(store).get_metric_history(runs["sampled"].info.run_id, CPU)
    ]
    assert steps == list(range(len(steps))) and len(steps) >= 2
    assert not any(key.startswith("system/") for key in runs["plain"].data.metrics)
