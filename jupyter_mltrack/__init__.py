"""jupyter_mltrack: a fast, Jupyter-native experiment tracker with MLflow's model and API.

Example:
    >>> import jupyter_mltrack as mlt
    >>> with mlt.start_run(run_name="baseline"):  # doctest: +SKIP
    ...     mlt.log_param("lr", 0.01)
    ...     mlt.log_metric("loss", 0.25, step=1)

Importing the package loads no IPython, pandas, SQLAlchemy, plotting or ML library; those are
imported by the functions that need them.
"""

from jupyter_mltrack._version import __version__
from jupyter_mltrack.entities import (
    Experiment,
    FileInfo,
    Metric,
    Param,
    Run,
    RunData,
    RunInfo,
    RunStatus,
    RunTag,
    ViewType,
)
from jupyter_mltrack.model_logging.autolog import autolog
from jupyter_mltrack.model_logging.evaluate import evaluate
from jupyter_mltrack.registry import RegistryClient, register_model
from jupyter_mltrack.tracking.active import ActiveRun
from jupyter_mltrack.tracking.client import TrackingClient
from jupyter_mltrack.tracking.fluent import (
    active_run,
    end_run,
    flush,
    get_run,
    last_active_run,
    search_runs,
    start_run,
)
from jupyter_mltrack.tracking.fluent_artifacts import (
    get_artifact_uri,
    log_artifact,
    log_artifacts,
    log_dict,
    log_figure,
    log_table,
    log_text,
)
from jupyter_mltrack.tracking.fluent_experiments import (
    create_experiment,
    delete_experiment,
    get_experiment,
    get_experiment_by_name,
    restore_experiment,
    search_experiments,
    set_experiment,
)
from jupyter_mltrack.tracking.fluent_logging import (
    delete_tag,
    log_metric,
    log_metrics,
    log_param,
    log_params,
    set_tag,
    set_tags,
)
from jupyter_mltrack.tracking.system_metrics import (  # psutil is imported only when sampling
    disable_system_metrics_logging,
    enable_system_metrics_logging,
    set_system_metrics_node_id,
    set_system_metrics_samples_before_logging,
    set_system_metrics_sampling_interval,
)
from jupyter_mltrack.tracking.uri import get_tracking_uri, set_tracking_uri


def load_ipython_extension(ipython: object) -> None:
    """Load the notebook layer: ``%load_ext jupyter_mltrack`` (IPython is imported only now)."""
    # Upward on purpose (docs/architecture.md): IPython looks for this hook on the root.
    from jupyter_mltrack.notebook import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: object) -> None:
    """Unload the notebook layer (``%unload_ext jupyter_mltrack``)."""
    # Upward on purpose (docs/architecture.md): IPython looks for this hook on the root.
    from jupyter_mltrack.notebook import unload_ipython_extension as unload

    unload(ipython)


__all__ = [
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
