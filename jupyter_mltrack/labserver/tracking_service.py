"""Experiments, runs, artifacts, metric histories and kernel runs for the Lab API, Tornado-free.

Every method validates its raw inputs (query-string text) and raises the package's own errors
(``InvalidParameterError`` -> 400, ``NotFoundError`` -> 404); the handlers only translate.
"""

from __future__ import annotations

import functools
import json
import mimetypes
import os
import posixpath
import re
from typing import TYPE_CHECKING, Any

import jupyter_mltrack.labserver.convert as convert
from jupyter_mltrack._validation import validate_artifact_path
from jupyter_mltrack.entities import RunStatus, SourceType, ViewType
from jupyter_mltrack.errors import InvalidParameterError, NotFoundError
from jupyter_mltrack.labserver.errors import ArtifactTooLarge
from jupyter_mltrack.labserver.paths import inside_root
from jupyter_mltrack.tracking import tags as t
from jupyter_mltrack.tracking.heartbeat import KERNEL_ID

if TYPE_CHECKING:
    from jupyter_mltrack.artifacts import ArtifactRepository
    from jupyter_mltrack.entities import Experiment, Run
    from jupyter_mltrack.tracking.client import TrackingClient

__all__ = ["MAX_PAGE_SIZE", "TrackingService"]

MAX_PAGE_SIZE = 1000
_VIEWS = {"active": ViewType.ACTIVE_ONLY, "deleted": ViewType.DELETED_ONLY, "all": ViewType.ALL}
_KERNEL_ID = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")
_CELL_ID_TAG = "mltrack.notebook.cellId"  # written by %%track (notebook.cell_run.CELL_ID)
_SOURCE_FILES = {"cell_source": "cell.py", "slice_source": "slice.py"}
_MAX_SOURCE_BYTES = 1_000_000
_RECENT = 10


def parse_int(name: str, text: str | None, default: int, low: int, high: int) -> int:
    """Return ``text`` as an int in ``[low, high]`` (``default`` when empty)."""
    if text is None or not text.strip():
        return default
    try:
        value = int(text)
    except ValueError:
        raise InvalidParameterError(f"{name} must be an integer, got {text!r}") from None
    if not low <= value <= high:
        raise InvalidParameterError(f"{name} must be between {low} and {high}, got {value}")
    return value


def quote(value: str) -> str:
    """Quote ``value`` as a string literal of the search language."""
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


class TrackingService:
    """The read side of the Lab API over one :class:`~jupyter_mltrack.TrackingClient`.

    Args:
        client: The store's client.
        root_dir: The Jupyter server's root folder (notebook paths are shown relative to it).
        max_artifact_bytes: Larger artifact files are refused with 413.
    """

    def __init__(self, client: TrackingClient, root_dir: str, *, max_artifact_bytes: int) -> None:
        self.client = client
        self.root_dir = os.path.realpath(root_dir)
        self.max_artifact_bytes = max_artifact_bytes

    # -- experiments ------------------------------------------------------------------------------
    def experiments(self, view: str | None = None) -> dict[str, Any]:
        """List experiments: ``view`` is active (default), deleted or all."""
        key = (view or "active").strip().lower()
        if key not in _VIEWS:
            raise InvalidParameterError(f"view must be one of active, deleted, all; got {view!r}")
        found: list[Experiment] = []
        token: str | None = None
        while True:
            page = self.client.search_experiments(
                view_type=_VIEWS[key], max_results=1000, page_token=token
            )
            found.extend(page)
            token = page.token
            if not token:
                break
        return {"experiments": [convert.experiment_json(e) for e in found]}

    def _experiment_ids(self, text: str | None) -> list[str]:
        ids = [part.strip() for part in (text or "").split(",") if part.strip()]
        if ids:
            return ids
        return [e["experiment_id"] for e in self.experiments("active")["experiments"]]

    # -- runs -------------------------------------------------------------------------------------
    def runs(
        self,
        *,
        experiment_ids: str | None = None,
        filter_string: str | None = None,
        order_by: list[str] | None = None,
        page_token: str | None = None,
        page_size: str | None = None,
    ) -> dict[str, Any]:
        """Return one page of runs and the total matching the filter (all active experiments
        when ``experiment_ids`` is empty)."""
        size = parse_int("page_size", page_size, 50, 1, MAX_PAGE_SIZE)
        ids = self._experiment_ids(experiment_ids)
        if not ids:
            return {"runs": [], "next_page_token": None, "total": 0}
        text = filter_string or ""
        page = self.client.search_runs(
            ids,
            text,
            max_results=size,
            order_by=[o for o in order_by or [] if o.strip()] or None,
            page_token=page_token or None,
        )
        total = self.client.count_runs(ids, text)
        return {
            "runs": [convert.run_json(r) for r in page],
            "next_page_token": page.token or None,
            "total": total,
        }

    def run(self, run_id: str) -> dict[str, Any]:
        """Return RunJSON plus the top-level artifacts, the tracked source and the metric keys."""
        run = self.client.get_run(run_id)
        repo = self._repo(run)
        files = repo.list_artifacts(None)
        names = {f.path for f in files if not f.is_dir}
        body = convert.run_json(run)
        body["artifacts"] = [convert.file_json(f) for f in files]
        body["source"] = self._source(run, repo, names)
        body["metric_keys"] = sorted(run.data.metrics)
        return body

    def _repo(self, run: Run) -> ArtifactRepository:
        from jupyter_mltrack.tracking.client_artifacts import artifact_repository

        return artifact_repository(run.info.artifact_uri, self.client.tracking_uri)

    def _source(self, run: Run, repo: ArtifactRepository, names: set[str]) -> dict[str, Any]:
        tags = run.data.tags
        notebook = tags.get(t.SOURCE_NAME) if _from_notebook(tags) else None
        relative = inside_root(self.root_dir, notebook) if notebook else None
        source: dict[str, Any] = {
            "notebook_path": relative if relative is not None else notebook,
            "notebook_in_root": relative is not None,
            "cell_id": tags.get(_CELL_ID_TAG),
            "cell_index": None,
            "execution_count": _int_or_none(tags.get("mltrack.notebook.executionCount")),
        }
        for field, name in _SOURCE_FILES.items():
            source[field] = _read_text(repo, name) if name in names else None
        if relative is not None and source["cell_id"]:
            source["cell_index"] = _cell_index(os.path.join(self.root_dir, relative), source)
        return source

    # -- artifacts ------------------------------------------------------------------------------
    def artifacts(self, run_id: str, path: str | None = None) -> dict[str, Any]:
        """List one level of a run's artifact folder ``path`` (the root when empty)."""
        clean = validate_artifact_path(path or None)
        run = self.client.get_run(run_id)
        files = self._repo(run).list_artifacts(clean or None)
        return {"files": [convert.file_json(f) for f in files]}

    def artifact(self, run_id: str, path: str | None) -> tuple[bytes, str]:
        """Return an artifact file's bytes and guessed content type (413 above the size cap)."""
        clean = validate_artifact_path(path)
        if not clean:
            raise InvalidParameterError("path must name an artifact file, e.g. ?path=model/MLmodel")
        repo = self._repo(self.client.get_run(run_id))
        parent = posixpath.dirname(clean)
        entry = next((f for f in repo.list_artifacts(parent or None) if f.path == clean), None)
        if entry is None:
            raise NotFoundError(f"Run {run_id!r} has no artifact {clean!r}")
        if entry.is_dir:
            raise InvalidParameterError(
                f"Artifact {clean!r} is a folder; list it with runs/{run_id}/artifacts?path={clean}"
            )
        size = entry.file_size or 0
        if size > self.max_artifact_bytes:
            raise ArtifactTooLarge(
                f"Artifact {clean!r} is {size:,} bytes, over the {self.max_artifact_bytes:,}-byte "
                "limit of the Lab API; download it with TrackingClient.download_artifacts"
            )
        kind = mimetypes.guess_type(clean)[0] or "application/octet-stream"
        return repo.read_bytes(clean), kind

    # -- metrics ----------------------------------------------------------------------------------
    def metric_history(
        self, run_id: str | None, key: str | None, max_points: str | None = None
    ) -> dict[str, Any]:
        """Return a metric's history, downsampled in the store to about ``max_points`` points."""
        if not run_id or not key:
            raise InvalidParameterError("metrics/history needs run_id and key query parameters")
        points = parse_int("max_points", max_points, 1000, 2, 100_000)
        self.client.get_run(run_id)  # an unknown run is a 404, not an empty history
        arrays = self.client.get_metric_history_arrays(run_id, key, max_points=points)
        return convert.history_json(run_id, key, arrays)

    # -- kernels ----------------------------------------------------------------------------------
    def kernel_runs(self, kernel_id: str) -> dict[str, Any]:
        """Return the RUNNING run of a kernel (latest started) and its most recent run.

        Found by the kernel-id tag ``%%track`` writes; no code runs in the kernel.
        """
        if not _KERNEL_ID.match(kernel_id):
            raise InvalidParameterError(f"Invalid kernel id {kernel_id!r}")
        ids = self._experiment_ids(None)
        if not ids:
            return {"run": None, "last_run": None}
        where = f"tags.`{KERNEL_ID}` = {quote(kernel_id)}"
        newest = ["attributes.start_time DESC"]
        # The front end polls this every few seconds: one query answers both questions unless
        # the kernel's RUNNING run is older than its last _RECENT runs (then a second one).
        recent = self.client.search_runs(ids, where, max_results=_RECENT, order_by=newest)
        last = recent[0] if recent else None
        running = next((r for r in recent if r.info.status is RunStatus.RUNNING), None)
        if running is None and recent.token:
            status = f"{where} and attributes.status = 'RUNNING'"
            page = self.client.search_runs(ids, status, max_results=1, order_by=newest)
            running = next(iter(page), None)
        return {
            "run": convert.run_json(running) if running else None,
            "last_run": convert.run_json(last) if last else None,
        }


def _from_notebook(tags: Any) -> bool:
    kind = tags.get(t.SOURCE_TYPE)
    return kind in (SourceType.NOTEBOOK.value, SourceType.PROJECT.value)


def _int_or_none(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


def _read_text(repo: ArtifactRepository, name: str) -> str | None:
    try:
        data = repo.read_bytes(name)
    except NotFoundError:
        return None
    return data[:_MAX_SOURCE_BYTES].decode("utf-8", errors="replace")


def _cell_index(notebook: str, source: dict[str, Any]) -> int | None:
    """The index of the tracked cell in the notebook file as it is now (None if gone)."""
    try:
        stat = os.stat(notebook)
    except OSError:
        return None
    ids = _cell_ids(notebook, stat.st_mtime_ns, stat.st_size)
    return ids.index(source["cell_id"]) if source["cell_id"] in ids else None


@functools.lru_cache(maxsize=64)
def _cell_ids(notebook: str, mtime_ns: int, size: int) -> tuple[str | None, ...]:
    """The cell ids of a notebook version; cached because a notebook with outputs can be large
    and the front end re-reads a RUNNING run's details every few seconds."""
    try:
        with open(notebook, encoding="utf-8") as handle:
            cells = json.load(handle).get("cells", [])
    except (OSError, ValueError, AttributeError):
        return ()
    return tuple(cell.get("id") if isinstance(cell, dict) else None for cell in cells)
