"""binder/seed_demo.py in this interpreter: what the Binder visitor finds in the demo store."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

import jupyter_mltrack as mlt

SCRIPT = Path(__file__).resolve().parents[2] / "binder" / "seed_demo.py"


def _seed_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("seed_demo", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_seed_logs_runs_and_a_champion_model_once(tmp_path: Path) -> None:
    """Three finished runs with curves, the best registered as champion; reseeding: no-op."""
    seed_demo = _seed_module()
    store = tmp_path / "demo"
    assert seed_demo.main([str(store)]) == 0
    runs = mlt.search_runs(experiment_names=["binder-demo"])
    assert sorted(runs["status"]) == ["FINISHED"] * 3
    assert runs["metrics.roc_auc"].between(0.5, 1.0).all()
    registry = mlt.RegistryClient()
    champion = registry.get_model_version_by_alias("binder-demo-classifier", "champion")
    assert champion.run_id is not None
    scores = dict(zip(runs["run_id"], runs["metrics.roc_auc"], strict=True))
    assert scores[champion.run_id] == max(scores.values())  # ties: any of the best
    assert "postBuild" in registry.get_registered_model("binder-demo-classifier").description
    curve = mlt.TrackingClient().get_metric_history(champion.run_id, "train_log_loss")
    assert len(curve) == seed_demo.EPOCHS

    assert seed_demo.seed(str(store)).startswith("demo store already seeded")
    assert len(mlt.search_runs(experiment_names=["binder-demo"])) == 3
    assert len(registry.search_model_versions("name = 'binder-demo-classifier'")) == 1
