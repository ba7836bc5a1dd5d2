"""Modules a local sweep worker needs, imported once by the sweep's fork server.

Workers are forked from a fork server that imported this module, so each one starts with
papermill, the kernel client, the store and the HTML exporter already loaded instead of
importing them again, all at the same time, on every worker. Importing this module only loads
code: no store is opened and no thread or kernel is started (that happens in each worker).
"""

from __future__ import annotations

import contextlib
import sys

# nbformat imports jsonschema, which imports this optional IRI format checker when installed
# (it comes with jupyter_server): it compiles 38 grammars, ~0.6 s of CPU, for a format no
# notebook schema uses. Only sweep workers, which run nothing but papermill and the runner,
# are forked from here.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

import jupyter_client.manager  # noqa: E402, F401
import nbclient  # noqa: E402, F401
import papermill  # noqa: E402, F401

import jupyter_mltrack.projects._worker_start  # noqa: E402
import jupyter_mltrack.projects.kernels  # noqa: E402
import jupyter_mltrack.projects.render  # noqa: E402
import jupyter_mltrack.projects.runner  # noqa: E402
import jupyter_mltrack.store.sql.store  # noqa: E402
import jupyter_mltrack.tracking.client  # noqa: E402, F401

with contextlib.suppress(ImportError):  # without it, the plain HTML rendering is used
    import nbconvert  # noqa: F401
