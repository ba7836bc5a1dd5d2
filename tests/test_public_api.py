"""The public surface of ``import jupyter_mltrack``: pinned, sorted, documented and typed."""

from __future__ import annotations

import importlib
import importlib.util
import inspect

import pytest

import jupyter_mltrack as mlt
import jupyter_mltrack.tracking as tracking

PUBLIC_API = [
    "ActiveRun",
    "Experiment",
    "FileInfo",
    "Metric",
    "Param",
    "RegistryClient",
    "Run",
    "RunData",
    "RunInfo",
    "RunStatus",
    "RunTag",
    "TrackingClient",
    "ViewType",
    "__version__",
    "active_run",
    "autolog",
    "create_experiment",
    "delete_experiment",
    "delete_tag",
    "disable_system_metrics_logging",
    "enable_system_metrics_logging",
    "end_run",
    "evaluate",
    "flush",
    "get_artifact_uri",
    "get_experiment",
    "get_experiment_by_name",
    "get_run",
    "get_tracking_uri",
    "last_active_run",
    "log_artifact",
    "log_artifacts",
    "log_dict",
    "log_figure",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_table",
    "log_text",
    "register_model",
    "restore_experiment",
    "search_experiments",
    "search_runs",
    "set_experiment",
    "set_system_metrics_node_id",
    "set_system_metrics_samples_before_logging",
    "set_system_metrics_sampling_interval",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
]

CLIENT_METHODS = [
    "create_experiment",
    "create_run",
    "delete_experiment",
    "delete_run",
    "delete_tag",
    "download_artifacts",
    "get_experiment",
    "get_experiment_by_name",
    "get_metric_history",
    "get_run",
    "list_artifacts",
    "log_artifact",
    "log_artifacts",
    "log_batch",
    "log_dict",
    "log_figure",
    "log_metric",
    "log_param",
    "log_table",
    "log_text",
    "rename_experiment",
    "restore_experiment",
    "restore_run",
    "search_experiments",
    "search_runs",
    "set_experiment_tag",
    "set_tag",
    "set_terminated",
    "update_run",
]


def test_all_is_pinned_and_sorted() -> None:
    assert mlt.__all__ == PUBLIC_API
    assert sorted(mlt.__all__) == mlt.__all__
    for name in mlt.__all__:
        assert hasattr(mlt, name), name


def test_version_is_a_string() -> None:
    from jupyter_mltrack._version import __version__

    assert mlt.__version__ == __version__ and __version__.count(".") >= 2


def test_tracking_package_exports_listener_hooks() -> None:
    assert tracking.__all__ == sorted(tracking.__all__)
    assert {"TrackingClient", "add_logging_listener", "remove_logging_listener"} <= set(
        tracking.__all__
    )


def public_functions() -> list[tuple[str, object]]:
    return [(n, getattr(mlt, n)) for n in mlt.__all__ if inspect.isfunction(getattr(mlt, n))]


def test_functions_have_docstring_with_summary_and_example() -> None:
    for name, func in public_functions():
        doc = inspect.getdoc(func) or ""
        assert doc and doc.splitlines()[0].endswith("."), name
        assert "Example:" in doc, name
    for name in CLIENT_METHODS:
        doc = inspect.getdoc(getattr(mlt.TrackingClient, name)) or ""
        assert "Example:" in doc, f"TrackingClient.{name}"


def test_public_callables_are_fully_annotated() -> None:
    callables = [f for _, f in public_functions()]
    callables += [getattr(mlt.TrackingClient, n) for n in CLIENT_METHODS]
    for func in callables:
        signature = inspect.signature(func)  # type: ignore[arg-type]
        assert signature.return_annotation is not inspect.Signature.empty, func
        for param in signature.parameters.values():
            if param.name != "self":
                assert param.annotation is not inspect.Parameter.empty, (func, param.name)


def test_options_are_keyword_only() -> None:
    def keyword_only(func: object) -> set[str]:
        params = inspect.signature(func).parameters.values()  # type: ignore[arg-type]
        return {p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY}

    assert {"step", "timestamp", "synchronous"} <= keyword_only(mlt.log_metric)
    assert {"experiment_id", "run_name", "nested", "tags", "description"} <= keyword_only(
        mlt.start_run
    )
    assert {"timestamp", "step"} <= keyword_only(mlt.TrackingClient.log_metric)
    assert {"run_view_type", "max_results", "output_format"} <= keyword_only(mlt.search_runs)


FLAVOR_DOOR_API = ["autolog", "load_model", "log_model", "save_model"]
PYFUNC_DOOR_API = [
    "PyFuncModel",
    "PythonModel",
    "PythonModelContext",
    "load_model",
    "log_model",
    "save_model",
    "spark_udf",
]


def test_sklearn_and_pyfunc_doors_are_pinned() -> None:
    import jupyter_mltrack.pyfunc as pyfunc
    import jupyter_mltrack.sklearn as sklearn

    assert sklearn.__all__ == FLAVOR_DOOR_API
    assert pyfunc.__all__ == PYFUNC_DOOR_API
    for door in (sklearn, pyfunc):
        for name in door.__all__:
            assert hasattr(door, name), (door.__name__, name)


BOOSTING_DOOR_API = ["autolog", "get_default_pip_requirements", "load_model", "log_model"]
DOOR_APIS = {
    "xgboost": [*BOOSTING_DOOR_API, "save_model"],
    "lightgbm": [*BOOSTING_DOOR_API, "save_model"],
    "pytorch": [
        *BOOSTING_DOOR_API[:3],
        "load_state_dict",
        "log_model",
        "log_state_dict",
        "save_model",
        "save_state_dict",
    ],
}


@pytest.mark.parametrize("flavor", sorted(DOOR_APIS))
def test_flavor_doors_are_pinned(flavor: str) -> None:
    door = importlib.import_module(f"jupyter_mltrack.{flavor}")
    assert door.__all__ == DOOR_APIS[flavor]
    for attr in door.__all__:
        assert hasattr(door, attr), (flavor, attr)
