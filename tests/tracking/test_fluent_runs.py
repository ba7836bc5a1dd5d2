"""Fluent run lifecycle: start/end, nesting, failures, resume, auto-start, thread/context scope."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import jupyter_mltrack as mlt
from jupyter_mltrack import RunStatus, TrackingClient
from jupyter_mltrack.errors import InvalidParameterError, InvalidStateError, RunNotFound
from jupyter_mltrack.tracking import fluent
from jupyter_mltrack.tracking import tags as t
from jupyter_mltrack.tracking.active import isolated_run_stack


@pytest.fixture(autouse=True)
def tracking_uri(tmp_path: Path) -> Iterator[str]:
    uri = f"sqlite:///{tmp_path}/t.db"
    mlt.set_tracking_uri(uri)
    yield uri
    fluent._reset()


def status_of(run_id: str) -> RunStatus:
    return TrackingClient().get_run(run_id).info.status


def test_start_run_returns_active_run_with_info_and_data() -> None:
    with mlt.start_run(run_name="baseline", tags={"team": "cv"}) as run:
        assert mlt.active_run() is run
        assert run.info.status is RunStatus.RUNNING
        assert run.info.run_name == "baseline"
        assert run.data.tags["team"] == "cv"
        assert run.data.tags[t.RUN_NAME] == "baseline"
        assert run.experiment_id == "0"
    assert mlt.active_run() is None
    info = TrackingClient().get_run(run.run_id).info
    assert info.status is RunStatus.FINISHED
    assert info.end_time is not None and info.end_time >= info.start_time


def test_generated_name_and_context_tags() -> None:
    with mlt.start_run(description="first try") as run:
        tags = run.data.tags
    assert run.info.run_name == tags[t.RUN_NAME]
    assert len(run.info.run_name.split("-")) >= 2
    assert tags[t.NOTE] == "first try"
    assert tags[t.USER] == run.info.user_id
    assert t.SOURCE_TYPE in tags


def test_starting_second_run_without_nested_names_the_active_one() -> None:
    outer = mlt.start_run()
    with pytest.raises(InvalidStateError, match=f"{outer.run_id}.*end_run\\(\\).*nested=True"):
        mlt.start_run()
    assert mlt.active_run() is outer
    mlt.end_run()


def test_nested_runs_get_parent_tag_and_parent_experiment() -> None:
    exp_id = mlt.create_experiment("nest")
    with mlt.start_run(experiment_id=exp_id) as parent:
        with mlt.start_run(nested=True) as child:
            assert mlt.active_run() is child
            with mlt.start_run(nested=True) as grandchild:
                pass
        assert mlt.active_run() is parent
    client = TrackingClient()
    assert client.get_run(child.run_id).data.tags[t.PARENT_RUN_ID] == parent.run_id
    assert client.get_run(grandchild.run_id).data.tags[t.PARENT_RUN_ID] == child.run_id
    assert client.get_run(child.run_id).info.experiment_id == exp_id
    assert t.PARENT_RUN_ID not in client.get_run(parent.run_id).data.tags


def test_failed_block_ends_run_failed_and_next_start_works() -> None:
    with pytest.raises(ZeroDivisionError), mlt.start_run() as run:
        mlt.log_metric("x", 1.0)
        _ = 1 / 0
    assert mlt.active_run() is None
    assert status_of(run.run_id) is RunStatus.FAILED
    with mlt.start_run() as again:
        pass
    assert status_of(again.run_id) is RunStatus.FINISHED


def test_keyboard_interrupt_ends_run_killed() -> None:
    with pytest.raises(KeyboardInterrupt), mlt.start_run() as run:
        raise KeyboardInterrupt
    assert status_of(run.run_id) is RunStatus.KILLED


def test_failed_outer_block_ends_unclosed_children_too() -> None:
    with pytest.raises(RuntimeError), mlt.start_run() as parent:
        child = mlt.start_run(nested=True)
        raise RuntimeError("boom")
    assert mlt.active_run() is None
    assert status_of(parent.run_id) is RunStatus.FAILED
    assert status_of(child.run_id) is RunStatus.FAILED


def test_end_run_inside_with_block_is_not_ended_twice() -> None:
    with mlt.start_run() as run:
        mlt.end_run("KILLED")
        assert mlt.active_run() is None
    assert status_of(run.run_id) is RunStatus.KILLED


def test_end_run_status_and_no_op_without_run() -> None:
    mlt.end_run()  # nothing active: no error
    run = mlt.start_run()
    mlt.end_run(status="FAILED")
    assert status_of(run.run_id) is RunStatus.FAILED
    with pytest.raises(InvalidParameterError, match="terminal status"):
        mlt.end_run("RUNNING")


def test_log_without_active_run_starts_one() -> None:
    assert mlt.active_run() is None
    mlt.log_metric("loss", 0.5)
    run = mlt.active_run()
    assert run is not None
    mlt.end_run()
    stored = TrackingClient().get_run(run.run_id)
    assert stored.data.metrics == {"loss": 0.5}
    assert stored.info.status is RunStatus.FINISHED


@pytest.mark.parametrize(
    "log",
    [
        lambda: mlt.log_param("p", 1),
        lambda: mlt.set_tag("k", "v"),
        lambda: mlt.log_metrics({"m": 1.0}),
        lambda: mlt.log_text("hi", "a.txt"),
    ],
)
def test_every_log_function_auto_starts(log) -> None:  # type: ignore[no-untyped-def]
    log()
    assert mlt.active_run() is not None


def test_resume_finished_run_sets_running_again_and_keeps_data() -> None:
    with mlt.start_run() as run:
        mlt.log_param("lr", "0.1")
    with mlt.start_run(run_id=run.run_id, tags={"resumed": "yes"}) as resumed:
        assert resumed.info.status is RunStatus.RUNNING
        assert resumed.run_id == run.run_id
        mlt.log_param("lr", "0.1")  # same value: fine
        with pytest.raises(InvalidParameterError, match=r"'0\.1'.*'0\.2'"):
            mlt.log_param("lr", "0.2")  # the cache was loaded from the store
    data = TrackingClient().get_run(run.run_id).data
    assert data.tags["resumed"] == "yes"
    assert status_of(run.run_id) is RunStatus.FINISHED


def test_resume_unknown_or_deleted_run() -> None:
    with pytest.raises(RunNotFound):
        mlt.start_run(run_id="f" * 32)
    with mlt.start_run() as run:
        pass
    TrackingClient().delete_run(run.run_id)
    with pytest.raises(InvalidStateError, match="deleted"):
        mlt.start_run(run_id=run.run_id)
    assert mlt.active_run() is None


def test_resume_with_wrong_experiment_is_refused() -> None:
    with mlt.start_run() as run:
        pass
    other = mlt.create_experiment("other")
    with pytest.raises(InvalidParameterError, match="belongs to experiment"):
        mlt.start_run(run_id=run.run_id, experiment_id=other)


def test_env_run_id_is_resumed(monkeypatch: pytest.MonkeyPatch) -> None:
    run = TrackingClient().create_run("0")
    monkeypatch.setenv("MLTRACK_RUN_ID", run.info.run_id)
    mlt.log_metric("m", 2.0)
    active = mlt.active_run()
    assert active is not None and active.run_id == run.info.run_id
    mlt.end_run()


def test_last_active_run() -> None:
    assert mlt.last_active_run() is None
    with mlt.start_run() as run:
        mlt.log_metric("m", 3.0)
        current = mlt.last_active_run()
        assert current is not None and current.info.run_id == run.run_id
    last = mlt.last_active_run()
    assert last is not None
    assert last.info.status is RunStatus.FINISHED
    assert last.data.metrics == {"m": 3.0}


def test_active_run_is_per_thread() -> None:
    main = mlt.start_run()
    seen: list[object] = []

    def worker() -> None:
        seen.append(mlt.active_run())
        with mlt.start_run() as run:  # no "already active" error from the main thread's run
            seen.append(run.run_id)

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert seen[0] is None
    assert seen[1] != main.run_id
    assert mlt.active_run() is main
    mlt.end_run()
    assert status_of(str(seen[1])) is RunStatus.FINISHED


def test_run_started_in_one_context_is_active_in_the_next() -> None:
    # Jupyter kernels run each cell in a fresh copy of a base context.
    run = contextvars.copy_context().run(mlt.start_run)
    assert contextvars.copy_context().run(mlt.active_run) is run
    contextvars.copy_context().run(mlt.end_run)
    assert mlt.active_run() is None
    assert status_of(run.run_id) is RunStatus.FINISHED


def test_isolated_run_stack_gives_a_context_its_own_runs() -> None:
    outer = mlt.start_run()
    with isolated_run_stack():
        assert mlt.active_run() is None
        with mlt.start_run() as inner:  # not nested: this stack is empty
            assert mlt.active_run() is inner
    assert mlt.active_run() is outer
    mlt.end_run()
    assert TrackingClient().get_run(inner.run_id).data.tags.get(t.PARENT_RUN_ID) is None


def test_deleted_experiment_refuses_new_runs() -> None:
    exp_id = mlt.create_experiment("gone")
    mlt.delete_experiment(exp_id)
    with pytest.raises(InvalidStateError):
        mlt.start_run(experiment_id=exp_id)
    assert mlt.active_run() is None


def test_get_run_flushes_pending_metrics() -> None:
    with mlt.start_run() as run:
        mlt.log_metric("acc", 0.75)
        assert mlt.get_run(run.run_id).data.metrics == {"acc": 0.75}


def test_atexit_hook_ends_active_runs_in_process() -> None:
    run = mlt.start_run()
    mlt.log_metric("m", 1.0)
    fluent._at_exit()
    stored = TrackingClient().get_run(run.run_id)
    assert stored.info.status is RunStatus.FINISHED
    assert stored.data.metrics == {"m": 1.0}


def test_child_run_lives_in_parent_store_after_uri_change(tmp_path: Path) -> None:
    with mlt.start_run() as parent:
        mlt.set_tracking_uri(tmp_path / "elsewhere.db")
        with mlt.start_run(nested=True) as child:
            pass
    client = TrackingClient(f"sqlite:///{tmp_path}/t.db")
    assert client.get_run(child.run_id).data.tags[t.PARENT_RUN_ID] == parent.run_id
