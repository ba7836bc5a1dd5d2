"""The ``MLmodel`` file of a logged model as HTML: identity, flavors and the signature tables.

Works on the YAML text alone (MLflow's layout: ``signature.inputs``/``outputs``/``params`` are
JSON strings), so a preview never loads the model or its flavor's library.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from typing import Any

__all__ = ["mlmodel_html", "schema_rows"]

_IDENTITY_KEYS = ("artifact_path", "run_id", "model_uuid", "model_id", "utc_time_created")


def mlmodel_html(text: str) -> str:
    """Return the HTML summary of an ``MLmodel`` file's YAML ``text``."""
    import yaml

    spec = yaml.safe_load(text)
    if not isinstance(spec, Mapping):
        raise ValueError("the MLmodel file is not a YAML mapping")
    identity = {k: spec[k] for k in _IDENTITY_KEYS if spec.get(k) is not None}
    parts = ['<div class="mltrack-mlmodel">', "<b>Model</b>", _pairs(identity)]
    flavors = spec.get("flavors") or {}
    parts.append("<b>Flavors</b>")
    parts.append(_flavors(flavors) if isinstance(flavors, Mapping) else "<p>-</p>")
    signature = spec.get("signature")
    parts.append("<b>Signature</b>")
    if isinstance(signature, Mapping):
        for part in ("inputs", "outputs", "params"):
            if signature.get(part):
                parts.append(f"<div><i>{part}</i>{_schema_table(signature[part])}</div>")
    else:
        parts.append("<p><em>none: the model was logged without a signature</em></p>")
    example = spec.get("saved_input_example_info")
    if isinstance(example, Mapping):
        parts.append("<b>Input example</b>" + _pairs(example))
    parts.append("</div>")
    return "".join(parts)


def _pairs(values: Mapping[str, Any]) -> str:
    if not values:
        return "<p>-</p>"
    rows = "".join(
        f"<tr><td>{html.escape(str(k))}</td><td>{html.escape(_short(v))}</td></tr>"
        for k, v in values.items()
    )
    return f"<table>{rows}</table>"


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 200 else text[:199] + "…"


def _flavors(flavors: Mapping[str, Any]) -> str:
    rows = []
    for name, conf in flavors.items():
        details = ", ".join(
            f"{k}: {_short(v)}" for k, v in (conf or {}).items() if not isinstance(v, Mapping)
        )
        rows.append(f"<tr><td>{html.escape(str(name))}</td><td>{html.escape(details)}</td></tr>")
    head = "<tr><th>flavor</th><th>settings</th></tr>"
    return f"<table>{head}{''.join(rows)}</table>" if rows else "<p>-</p>"


def schema_rows(schema: Any) -> list[tuple[str, str, str]]:
    """Return ``(name, type, details)`` per column/tensor/param of a signature part.

    ``schema`` is the JSON text (or already parsed list) MLflow stores in ``MLmodel``.
    """
    items = json.loads(schema) if isinstance(schema, str) else schema
    rows = []
    for index, item in enumerate(items or []):
        if not isinstance(item, Mapping):
            continue
        name = str(item.get("name", f"[{index}]"))
        kind = str(item.get("type", ""))
        details = []
        tensor = item.get("tensor-spec")
        if isinstance(tensor, Mapping):
            kind = f"tensor {tensor.get('dtype', '')}".strip()
            details.append(f"shape {tensor.get('shape')}")
        if "default" in item:
            details.append(f"default {item['default']!r}")
        if item.get("shape") is not None:
            details.append(f"shape {item['shape']}")
        if item.get("required") is False:
            details.append("optional")
        rows.append((name, kind, ", ".join(details)))
    return rows


def _schema_table(schema: Any) -> str:
    try:
        rows = schema_rows(schema)
    except ValueError:
        return f"<pre>{html.escape(str(schema))}</pre>"
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><tr><th>name</th><th>type</th><th>details</th></tr>{body}</table>"
