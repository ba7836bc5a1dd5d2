"""The facts behind the stakeholder model report, gathered from the stores (no HTML here).

:func:`gather_report` answers what a reviewer asks of one registered model version: what it
is (name, description, aliases, stage), how it scores against the version that held the same
place before it (the alias or stage the URI names, else the first place it holds), which plots
its evaluation left, what input it expects (the signature), where it came from (run, experiment,
notebook, git commit, training params) and how it got where it is (the promotion history with
its evidence).

Reads are few and bounded: the version, its model, its history, two runs, the ``MLmodel`` file
and the evaluation plots' JSON (at most :data:`MAX_PLOTS`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from jupyter_mltrack.entities import ModelStage, ModelVersion, ModelVersionEvent, RegisteredModel
from jupyter_mltrack.errors import MltrackError
from jupyter_mltrack.widgets._overview_facts import holder_of, quote_filter_value

if TYPE_CHECKING:
    from jupyter_mltrack.entities import Run
    from jupyter_mltrack.registry.client import RegistryClient
    from jupyter_mltrack.tracking.client import TrackingClient

__all__ = ["MAX_PLOTS", "ModelReportFacts", "Plot", "gather_report"]

#: Evaluation plots shown at most (a report is read, not browsed).
MAX_PLOTS = 8
#: Where ``evaluate()`` logs its figures in the run's artifacts.
EVALUATION_DIR = "evaluation"
_MAX_PLOT_BYTES = 2_000_000


@dataclass(frozen=True, slots=True)
class Plot:
    """One evaluation plot: its artifact path and the plotly figure JSON."""

    path: str
    figure: Mapping[str, Any]

    @property
    def title(self) -> str:
        """The figure's own title, else its file name."""
        layout = self.figure.get("layout") or {}
        title = layout.get("title") if isinstance(layout, Mapping) else None
        text = title.get("text") if isinstance(title, Mapping) else title
        return str(text) if text else self.path.rsplit("/", 1)[-1].removesuffix(".json")


@dataclass(slots=True)
class ModelReportFacts:
    """Everything the report shows about one model version."""

    uri: str
    model: RegisteredModel
    version: ModelVersion
    #: Aliases pointing at this version, sorted.
    aliases: list[str]
    #: The place the version is reported in: ``"alias champion"``, ``"Production"``, or None.
    place: str | None
    run: Run | None
    experiment_name: str | None
    #: The version that held ``place`` before (or the previous version when there is no place).
    previous: ModelVersion | None = None
    previous_run: Run | None = None
    promoted_at: int | None = None
    promoted_by: str | None = None
    plots: list[Plot] = field(default_factory=list)
    #: ``(name, type, details)`` rows of the input and output schema; empty without a signature.
    inputs: list[tuple[str, str, str]] = field(default_factory=list)
    outputs: list[tuple[str, str, str]] = field(default_factory=list)
    flavors: list[str] = field(default_factory=list)
    history: list[ModelVersionEvent] = field(default_factory=list)
    #: Problems met while reading optional parts (plots, MLmodel); shown, never raised.
    notes: list[str] = field(default_factory=list)


def gather_report(
    model_uri: str, tracking: TrackingClient, registry: RegistryClient
) -> ModelReportFacts:
    """Read what the report of ``model_uri`` (a ``models:/`` URI) shows.

    Raises:
        InvalidParameterError: ``model_uri`` is not a ``models:/`` URI.
        RegisteredModelNotFound, ModelVersionNotFound: it names nothing in the registry.
    """
    from jupyter_mltrack.registry.uri import model_version_for_uri, parse_models_uri

    parsed = parse_models_uri(model_uri)
    version = model_version_for_uri(registry, model_uri)
    model = registry.get_registered_model(version.name)
    aliases = sorted(a for a, number in model.aliases.items() if number == version.version)
    place = _place(parsed.alias, parsed.stage, version, aliases)
    run = _run(tracking, version.run_id)
    facts = ModelReportFacts(
        uri=model_uri,
        model=model,
        version=version,
        aliases=aliases,
        place=place,
        run=run,
        experiment_name=_experiment_name(tracking, run),
        history=registry.get_model_version_history(version.name),
    )
    _compare_with_previous(facts, tracking, registry)
    _read_model_files(facts, tracking, registry)
    if run is not None:
        facts.plots = _plots(facts, run)
    return facts


def _place(
    alias: str | None, stage: ModelStage | None, version: ModelVersion, aliases: list[str]
) -> str | None:
    if alias is not None:
        return f"alias {alias}"
    if stage is not None and stage != ModelStage.NONE:
        return stage.value
    if version.current_stage in (ModelStage.PRODUCTION, ModelStage.STAGING):
        return version.current_stage.value
    return f"alias {aliases[0]}" if aliases else None


def _run(tracking: TrackingClient, run_id: str | None) -> Run | None:
    if not run_id:
        return None
    try:
        return tracking.get_run(run_id)
    except MltrackError:  # deleted since, or registered from another store
        return None


def _experiment_name(tracking: TrackingClient, run: Run | None) -> str | None:
    if run is None:
        return None
    try:
        return tracking.get_experiment(run.info.experiment_id).name
    except MltrackError:
        return None


def _compare_with_previous(
    facts: ModelReportFacts, tracking: TrackingClient, registry: RegistryClient
) -> None:
    """Find the version that held the same place before, or else the previous version."""
    version = facts.version
    if facts.place is not None:
        runs = {facts.run.info.run_id: facts.run} if facts.run is not None else {}
        holder = holder_of(tracking, registry, version, [facts.place], runs)
        facts.previous, facts.previous_run = holder.previous, holder.previous_run
        facts.promoted_at, facts.promoted_by = holder.promoted_at, holder.promoted_by
        if facts.previous is not None:
            return
    older = registry.search_model_versions(
        f"name = '{quote_filter_value(version.name)}'",
        max_results=200,
        order_by=["version_number DESC"],
    )
    earlier = [v for v in older if v.version < version.version]
    if earlier:
        facts.previous = earlier[0]
        facts.previous_run = _run(tracking, earlier[0].run_id)


def _read_model_files(
    facts: ModelReportFacts, tracking: TrackingClient, registry: RegistryClient
) -> None:
    """The signature and flavors from the version's ``MLmodel`` file (a note when unreadable)."""
    import yaml

    from jupyter_mltrack.artifacts.registry import get_artifact_repository
    from jupyter_mltrack.widgets._mlmodel import schema_rows

    version = facts.version
    try:
        uri = registry.get_model_version_download_uri(version.name, version.version)
        repo = get_artifact_repository(uri, tracking_uri=tracking.tracking_uri)
        mlmodel = yaml.safe_load(repo.read_bytes("MLmodel"))
    except (MltrackError, OSError, yaml.YAMLError) as exc:
        facts.notes.append(f"The model's MLmodel file could not be read: {_reason(exc)}")
        return
    if not isinstance(mlmodel, Mapping):
        facts.notes.append("The model's MLmodel file is not a YAML mapping.")
        return
    facts.flavors = sorted(str(name) for name in (mlmodel.get("flavors") or {}))
    signature = mlmodel.get("signature") or {}
    if isinstance(signature, Mapping):
        facts.inputs = schema_rows(signature.get("inputs"))
        facts.outputs = schema_rows(signature.get("outputs"))


def _plots(facts: ModelReportFacts, run: Run) -> list[Plot]:
    """The figure JSON files ``evaluate()`` logged to the version's run, in path order."""
    from jupyter_mltrack.artifacts.registry import get_artifact_repository

    try:
        repo = get_artifact_repository(run.info.artifact_uri)
        paths = _json_files(repo, EVALUATION_DIR)
    except (MltrackError, OSError) as exc:
        facts.notes.append(f"The evaluation plots could not be listed: {_reason(exc)}")
        return []
    plots = []
    for path in sorted(paths)[:MAX_PLOTS]:
        try:
            data = repo.read_bytes(path)
            figure = json.loads(data) if len(data) <= _MAX_PLOT_BYTES else None
        except (MltrackError, OSError, ValueError):
            figure = None
        if isinstance(figure, Mapping) and isinstance(figure.get("data"), list):
            plots.append(Plot(path=path, figure=figure))
    return plots


def _json_files(repo: Any, folder: str, depth: int = 3) -> list[str]:
    found: list[str] = []
    for info in repo.list_artifacts(folder):
        if info.is_dir and depth > 0:
            found.extend(_json_files(repo, info.path, depth - 1))
        elif info.path.endswith(".json"):
            found.append(info.path)
    return found


def _reason(exc: BaseException) -> str:
    return exc.message if isinstance(exc, MltrackError) else (str(exc) or type(exc).__name__)
