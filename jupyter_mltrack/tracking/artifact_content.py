"""Turn Python objects into artifact bytes, in the format named by the artifact file's extension.

These pure functions back ``log_text``, ``log_dict``, ``log_figure`` and ``log_table``: the caller
hands the bytes to ``ArtifactRepository.write_bytes``, so no temporary files are involved.
matplotlib, plotly, pandas and pyarrow are imported only inside the function that needs them.
"""

from __future__ import annotations

import importlib.util
import io
import json
import posixpath
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from jupyter_mltrack.errors import InvalidParameterError, MissingDependencyError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["dict_bytes", "figure_bytes", "plotly_page", "table_bytes", "text_bytes"]

_DICT_FORMATS = ("json", "yaml", "yml")
_MATPLOTLIB_FORMATS = ("png", "jpg", "jpeg", "svg", "pdf")
_PLOTLY_FORMATS = ("html", "json", "png", "jpg", "jpeg", "svg", "pdf")
_TABLE_FORMATS = ("json", "parquet", "csv")


def text_bytes(text: str) -> bytes:
    """Encode text for ``log_text`` as UTF-8.

    Example:
        >>> text_bytes("accuracy: 0.93")
        b'accuracy: 0.93'
    """
    if not isinstance(text, str):
        raise InvalidParameterError(f"log_text needs a str, got {type(text).__name__}")
    return text.encode("utf-8")


def dict_bytes(obj: Mapping[str, Any], artifact_file: str) -> bytes:
    """Serialise a mapping for ``log_dict`` as JSON (``.json``) or YAML (``.yaml``/``.yml``).

    Values may be mappings, lists, tuples, strings, numbers, booleans, None and numpy scalars or
    arrays. JSON is indented by 2 like MLflow's; YAML keeps the key order.

    Raises:
        InvalidParameterError: Another extension, or a value of another type (named).

    Example:
        >>> dict_bytes({"lr": 0.1}, "config.yaml")
        b'lr: 0.1\\n'
    """
    fmt = _extension(artifact_file, _DICT_FORMATS, what="log_dict")
    if not isinstance(obj, Mapping):
        raise InvalidParameterError(f"log_dict needs a mapping, got {type(obj).__name__}")
    plain = _to_plain(obj, "")
    if fmt == "json":
        return json.dumps(plain, indent=2, ensure_ascii=False).encode("utf-8")
    import yaml

    text = yaml.safe_dump(plain, sort_keys=False, allow_unicode=True, default_flow_style=False)
    return text.encode("utf-8")


def figure_bytes(figure: Any, artifact_file: str) -> bytes:
    """Render a matplotlib or plotly figure for ``log_figure`` in the extension's format.

    matplotlib figures support png, jpg, svg and pdf. plotly figures support ``.html`` (a light
    page, see :func:`plotly_page`), ``.json`` and, with kaleido installed, png, jpg, svg and pdf.

    Raises:
        InvalidParameterError: Not a matplotlib/plotly figure, or an unsupported extension.
        MissingDependencyError: A plotly image format was asked for without kaleido.
    """
    if _comes_from(figure, "matplotlib") and _is_matplotlib_figure(figure):
        return _matplotlib_bytes(figure, artifact_file)
    if _comes_from(figure, "plotly") and _is_plotly_figure(figure):
        return _plotly_bytes(figure, artifact_file)
    kind = type(figure)
    raise InvalidParameterError(
        f"log_figure needs a matplotlib or plotly Figure, got {kind.__module__}.{kind.__qualname__}"
    )


def table_bytes(data: Any, artifact_file: str) -> bytes:
    """Serialise a DataFrame (or a mapping of column -> values) for ``log_table``.

    ``.json`` is MLflow's format (``{"columns": [...], "data": [[...], ...]}``), ``.parquet`` needs
    pyarrow, ``.csv`` has a header row. The index is not written, as in MLflow; call
    ``reset_index()`` first to keep it.

    Raises:
        InvalidParameterError: Unsupported extension, or data that is not a table.
        MissingDependencyError: ``.parquet`` without pyarrow installed.
    """
    fmt = _extension(artifact_file, _TABLE_FORMATS, what="log_table")
    frame = _as_dataframe(data)
    if fmt == "json":
        return frame.to_json(orient="split", index=False, date_format="iso").encode("utf-8")
    if fmt == "csv":
        return frame.to_csv(index=False).encode("utf-8")
    if importlib.util.find_spec("pyarrow") is None:
        raise MissingDependencyError("pyarrow", extra="parquet", feature="log_table to .parquet")
    buffer = io.BytesIO()
    frame.to_parquet(buffer, engine="pyarrow", index=False)
    return buffer.getvalue()


def _extension(artifact_file: str, supported: tuple[str, ...], *, what: str) -> str:
    """Return the lower-case extension of ``artifact_file`` if ``supported`` lists it."""
    ext = posixpath.splitext(str(artifact_file))[1].lower().lstrip(".")
    if ext not in supported:
        choices = ", ".join(f".{fmt}" for fmt in supported)
        raise InvalidParameterError(
            f"{what} cannot write {artifact_file!r}: the file name must end in one of {choices}"
        )
    return ext


def _to_plain(value: Any, where: str) -> Any:
    """Return ``value`` as plain JSON/YAML data, naming the type and place of anything else."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, Mapping):
        return {_plain_key(k, where): _to_plain(v, _at(where, k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_plain(item, _at(where, i)) for i, item in enumerate(value)]
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):
        return _to_plain(value.tolist(), where)
    raise InvalidParameterError(
        f"log_dict cannot serialise the value at {where or 'the top level'!r} of type "
        f"{type(value).__name__}; convert it to a str, number, list or dict first"
    )


def _plain_key(key: Any, where: str) -> str | int | float | bool | None:
    if key is None or isinstance(key, (str, bool, int, float)):
        return key  # type: ignore[no-any-return]
    raise InvalidParameterError(
        f"log_dict cannot serialise the key {key!r} of type {type(key).__name__} at "
        f"{where or 'the top level'!r}; keys must be strings or numbers"
    )


def _at(where: str, key: object) -> str:
    return f"{where}.{key}" if where else str(key)


def _comes_from(obj: object, package: str) -> bool:
    """Tell whether ``obj``'s class or a base class is defined in ``package``, importing nothing."""
    prefix = package + "."
    return any(cls.__module__.startswith(prefix) for cls in type(obj).__mro__)


def _is_matplotlib_figure(figure: Any) -> bool:
    from matplotlib.figure import Figure

    return isinstance(figure, Figure)


def _is_plotly_figure(figure: Any) -> bool:
    from plotly.basedatatypes import BaseFigure

    return isinstance(figure, BaseFigure)


def _matplotlib_bytes(figure: Any, artifact_file: str) -> bytes:
    fmt = _extension(artifact_file, _MATPLOTLIB_FORMATS, what="log_figure (matplotlib)")
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt)
    return buffer.getvalue()


def _plotly_bytes(figure: Any, artifact_file: str) -> bytes:
    fmt = _extension(artifact_file, _PLOTLY_FORMATS, what="log_figure (plotly)")
    if fmt == "html":
        return plotly_page(figure).encode("utf-8")
    if fmt == "json":
        text: str = figure.to_json()
        return text.encode("utf-8")
    if importlib.util.find_spec("kaleido") is None:
        raise MissingDependencyError(
            "kaleido", extra="images", feature=f"saving plotly figures as .{fmt}"
        )
    image: bytes = figure.to_image(format=fmt)
    return image


#: Shown by a plot page whose plotly.js could not be loaded (a machine without internet).
_OFFLINE_NOTE = (
    "This plot is drawn by plotly.js from cdn.plot.ly, which could not be loaded (offline?). "
    "Open the run in Jupyter: its artifact browser draws the figure from this page or from the "
    "figure's .json file."
)
_OFFLINE_SCRIPT = (
    "<script>window.addEventListener('load', function () {"
    " if (window.Plotly) { return; }"
    " var note = document.createElement('p');"
    " note.className = 'mltrack-offline-note';"
    " note.style.cssText = 'font:14px sans-serif;padding:12px;background:#fff3cd';"
    f" note.textContent = {json.dumps(_OFFLINE_NOTE)};"
    " document.body.prepend(note); });</script>"
)


def plotly_page(figure: Any) -> str:
    """Return a standalone HTML page of a plotly figure that costs what its data costs.

    plotly.js (~4.6 MB) is loaded from plotly's CDN, as MLflow's ``log_figure`` does, instead of
    a private copy in every file; the figure's JSON is in the page (Jupyter's artifact browser
    redraws it from there without any script). Opened without internet, the page says so.
    """
    page: str = figure.to_html(include_plotlyjs="cdn", full_html=True)
    return page.replace("</body>", _OFFLINE_SCRIPT + "</body>", 1)


def _as_dataframe(data: Any) -> pd.DataFrame:
    """Return ``data`` as a pandas DataFrame, accepting a mapping of columns."""
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, Mapping):
        try:
            return pd.DataFrame(dict(data))
        except (ValueError, TypeError) as exc:
            raise InvalidParameterError(f"log_table could not build a table: {exc}") from exc
    raise InvalidParameterError(
        f"log_table needs a pandas DataFrame or a dict of columns, got {type(data).__name__}"
    )
