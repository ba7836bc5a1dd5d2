"""Every tag a new run is created with is either in the store's list of default tags or sparse.

SQLite's index of tag keys leaves the default tags out (``DEFAULT_TAG_KEYS`` in
``store/sql/schema.py``): a tag that the tracking layer starts writing on every run, and that the
list misses, would cost every new run an index page again.
"""

from __future__ import annotations

from pathlib import Path

import jupyter_mltrack as mlt
import jupyter_mltrack.tracking.tags as t
from jupyter_mltrack import TrackingClient
from jupyter_mltrack.notebook.cell_run import CELL_ID, EXECUTION_COUNT
from jupyter_mltrack.store.sql.schema import DEFAULT_TAG_KEYS
from jupyter_mltrack.tracking import liveness
from jupyter_mltrack.tracking.heartbeat import HEARTBEAT, KERNEL_HOST, KERNEL_ID, KERNEL_PID


def test_a_fluent_run_is_created_with_default_tags_and_its_heartbeat(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'mltrack.db'}"
    mlt.set_tracking_uri(uri)
    with mlt.start_run() as run:
        created = TrackingClient(uri).get_run(run.info.run_id).data.tags
    liveness.join_sweeps(30)
    assert t.USER in created and liveness.OWNER_PID in created
    assert set(created) - set(DEFAULT_TAG_KEYS) == {HEARTBEAT}


def test_the_context_owner_and_cell_tags_are_default_tags() -> None:
    written_on_every_run = {
        *(t.USER, t.SOURCE_NAME, t.SOURCE_TYPE, t.PYTHON_VERSION, t.HOSTNAME, t.RUN_NAME),
        *(t.GIT_COMMIT, t.GIT_BRANCH, t.GIT_DIRTY, t.GIT_REPO_URL),
        *(liveness.OWNER_HOST, liveness.OWNER_PID, liveness.OWNER_START_TIME),
        *(liveness.OWNER_PID_NAMESPACE, KERNEL_HOST, KERNEL_PID, KERNEL_ID, CELL_ID),
        EXECUTION_COUNT,
    }
    assert written_on_every_run == set(DEFAULT_TAG_KEYS)
    assert len(DEFAULT_TAG_KEYS) == len(written_on_every_run)
