"""``mlt.autolog()``: every library, imported before or after, never imported by us; off switch."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from sklearn.linear_model import LogisticRegression

import jupyter_mltrack as mlt
import jupyter_mltrack.model_logging.autolog as umbrella
import jupyter_mltrack.sklearn as mlt_sklearn
from jupyter_mltrack.entities import Run
from jupyter_mltrack.model_logging.autolog import _hook
from jupyter_mltrack.model_logging.autolog import sklearn as sklearn_autolog
from jupyter_mltrack.model_logging.autolog._common import ORIGINAL_ATTR

X, Y = [[0.0], [1.0], [0.0], [1.0]], [0, 1, 0, 1]
LIBRARIES = ["sklearn", "xgboost", "lightgbm", "lightning", "pytorch_lightning", "torch"]


@pytest.fixture(autouse=True)
def _store(tmp_path: Path) -> Iterator[None]:
    mlt.set_tracking_uri(f"sqlite:///{tmp_path}/t.db")
    yield
    mlt.autolog(disable=True)
    sklearn_autolog.autolog(disable=True)


@pytest.fixture
def fake_library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory on sys.path for throwaway libraries and integration modules."""
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    return root


def runs() -> list[Run]:
    return mlt.search_runs(output_format="list")


def fit_is_patched() -> bool:
    return hasattr(LogisticRegression.fit, ORIGINAL_ATTR)


def test_imports_no_library_and_hooks_later_imports(tmp_path: Path) -> None:
    script = f"""
        import json, sys
        import jupyter_mltrack as mlt
        from jupyter_mltrack.model_logging.autolog import enabled_flavors
        mlt.set_tracking_uri("sqlite:///{tmp_path}/sub.db")
        mlt.autolog(log_models=False)
        report = {{"before": sorted(m for m in {LIBRARIES!r} if m in sys.modules)}}
        report["integrations_before"] = sorted(
            m for m in sys.modules if m.startswith("jupyter_mltrack.model_logging.autolog."))
        import xgboost
        report["after_xgboost"] = enabled_flavors()
        import lightgbm
        report["after_lightgbm"] = enabled_flavors()
        from sklearn.linear_model import LogisticRegression
        report["after_sklearn"] = enabled_flavors()
        LogisticRegression().fit([[0.0], [1.0]], [0, 1])
        report["params"] = mlt.last_active_run().data.params.get("max_iter")
        report["torch"] = "torch" in sys.modules
        print(json.dumps(report))
    """
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["before"] == [], "autolog() must not import any ML library"
    assert report["integrations_before"] == ["jupyter_mltrack.model_logging.autolog._hook"]
    for flavor in ("xgboost", "lightgbm"):  # checked once their integrations exist
        if (Path(umbrella.__file__).parent / f"{flavor}.py").exists():
            assert flavor in report[f"after_{flavor}"]
    assert "sklearn" in report["after_sklearn"]
    assert report["params"] == "100"
    assert report["torch"] is False, "patching sklearn, xgboost, lightgbm must not import torch"


@pytest.mark.slow
def test_importing_lightning_enables_pytorch(tmp_path: Path) -> None:
    assert umbrella.integrations()["pytorch"].modules == ("lightning", "pytorch_lightning")
    if not (Path(umbrella.__file__).parent / "pytorch.py").exists():
        return  # checked once the PyTorch integration exists
    module = "lightning"  # torch's import makes this test take seconds: one distribution only
    script = (
        "import jupyter_mltrack as mlt\n"
        "from jupyter_mltrack.model_logging.autolog import enabled_flavors\n"
        "mlt.autolog()\n"
        "assert enabled_flavors() == [], enabled_flavors()\n"
        f"import {module}\n"
        "print(enabled_flavors())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=180, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "'pytorch'" in done.stdout.strip().splitlines()[-1]


def test_already_imported_library_is_patched_at_once_and_logs_a_run() -> None:
    assert not fit_is_patched()
    mlt.autolog(log_models=False)
    assert fit_is_patched()
    assert "sklearn" in umbrella.enabled_flavors()
    LogisticRegression(max_iter=7).fit(X, Y)
    (run,) = runs()
    assert run.data.params["max_iter"] == "7"
    assert "training_accuracy_score" in run.data.metrics


def test_disable_unpatches_everything_and_removes_the_hook() -> None:
    mlt.autolog(log_models=False)
    assert _hook.hooked_modules()
    mlt.autolog(disable=True)
    assert not fit_is_patched()
    assert _hook.hooked_modules() == []
    assert not any(isinstance(f, _hook._PostImportFinder) for f in sys.meta_path)
    assert umbrella.enabled_flavors() == []
    LogisticRegression().fit(X, Y)
    assert runs() == []


def test_exclude_flavors_leaves_that_library_alone(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="jupyter_mltrack.autolog"):
        mlt.autolog(exclude_flavors=["sklearn", "openai"])
    assert not fit_is_patched()
    assert "sklearn" not in _hook.hooked_modules()
    assert "lightning" in _hook.hooked_modules()
    assert "['openai'] name no integration" in caplog.text
    LogisticRegression().fit(X, Y)
    assert runs() == []


def test_a_directly_configured_library_keeps_its_own_settings() -> None:
    mlt_sklearn.autolog(log_models=False, log_input_examples=True)
    mlt.autolog(log_input_examples=False)
    assert sklearn_autolog._config.log_input_examples is True
    mlt.autolog(disable=True)
    mlt.autolog(log_input_examples=False, log_models=False)
    assert sklearn_autolog._config.log_input_examples is False


def test_silent_and_exclusive_reach_the_integration(caplog: pytest.LogCaptureFixture) -> None:
    mlt.autolog(log_models=False, exclusive=True, silent=True, extra_tags={"team": "a"})
    assert sklearn_autolog._config.silent and sklearn_autolog._config.exclusive
    with mlt.start_run(run_name="mine") as mine:
        LogisticRegression(max_iter=9).fit(X, Y)
    assert "max_iter" not in mlt.get_run(mine.info.run_id).data.params, "exclusive"
    LogisticRegression(max_iter=9).fit(X, Y)  # outside any run: a run of its own
    own = [r for r in runs() if r.info.run_id != mine.info.run_id]
    assert len(own) == 1 and own[0].data.params["max_iter"] == "9"
    assert own[0].data.tags["team"] == "a"
    with caplog.at_level(logging.DEBUG):
        sklearn_autolog.logger.warning("hidden while silent")
    assert "hidden while silent" not in caplog.text


def write_module(root: Path, name: str, body: str) -> None:
    (root / f"{name}.py").write_text(textwrap.dedent(body))


def test_failing_integration_warns_and_never_breaks_the_import(
    fake_library: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_module(fake_library, "fakelib_boom", "VALUE = 42\n")
    write_module(
        fake_library,
        "fakelib_boom_autolog",
        """
        def autolog(log_models=True, disable=False):
            if not disable:
                raise RuntimeError("integration exploded")

        def is_enabled():
            return False
        """,
    )
    monkeypatch.setitem(
        umbrella._registry,
        "boom",
        umbrella.Integration("boom", ("fakelib_boom",), "fakelib_boom_autolog"),
    )
    monkeypatch.delitem(sys.modules, "fakelib_boom", raising=False)
    with caplog.at_level(logging.WARNING, logger="jupyter_mltrack.autolog"):
        mlt.autolog(log_models=False)
        import fakelib_boom  # type: ignore[import-not-found]

    assert fakelib_boom.VALUE == 42
    loader = fakelib_boom.__spec__.loader
    assert type(loader).__name__ == "SourceFileLoader" and loader is fakelib_boom.__loader__
    assert "exec_module" not in vars(loader), "the one-shot wrapper removed itself"
    assert "boom integration failed: integration exploded" in caplog.text
    assert fit_is_patched(), "the other integrations still work"


def test_missing_integration_module_is_skipped_quietly(
    fake_library: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_module(fake_library, "fakelib_ghost", "VALUE = 1\n")
    target = "jupyter_mltrack.model_logging.autolog.ghost_not_written_yet"
    integration = umbrella.Integration("ghost", ("fakelib_ghost",), target)
    monkeypatch.setitem(umbrella._registry, "ghost", integration)
    monkeypatch.delitem(sys.modules, "fakelib_ghost", raising=False)
    with caplog.at_level(logging.DEBUG, logger="jupyter_mltrack.autolog"):
        mlt.autolog(log_models=False)
        import fakelib_ghost  # type: ignore[import-not-found]

    assert fakelib_ghost.VALUE == 1
    assert f"no integration module {target} yet" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_entry_point_integration_is_enabled_when_its_library_is_imported(
    fake_library: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_module(fake_library, "fakelib_plug", "VALUE = 3\n")
    write_module(
        fake_library,
        "fakelib_plug_autolog",
        """
        LIBRARIES = ("fakelib_plug",)
        calls = []

        def autolog(log_models=True, disable=False, silent=False, **other):
            calls.append({"log_models": log_models, "disable": disable, **other})

        def is_enabled():
            return bool(calls) and not calls[-1]["disable"]
        """,
    )
    dist = fake_library / "fakelib_plug-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fakelib-plug\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        "[jupyter_mltrack.autolog]\nplug = fakelib_plug_autolog\n"
    )
    monkeypatch.setattr(umbrella, "_entry_points_loaded", False)
    monkeypatch.delitem(umbrella._registry, "plug", raising=False)
    monkeypatch.delitem(sys.modules, "fakelib_plug", raising=False)
    mlt.autolog(log_models=False, extra_tags={"team": "a"})
    assert umbrella.integrations()["plug"].modules == ("fakelib_plug",)
    import fakelib_plug  # type: ignore[import-not-found]
    import fakelib_plug_autolog  # type: ignore[import-not-found]

    assert fakelib_plug.VALUE == 3
    (call,) = fakelib_plug_autolog.calls
    assert call["log_models"] is False and call["extra_tags"] == {"team": "a"}
    assert "plug" in umbrella.enabled_flavors()
    mlt.autolog(disable=True)
    assert fakelib_plug_autolog.calls[-1]["disable"] is True
    umbrella._registry.pop("plug")


def test_hook_wraps_a_loader_that_takes_no_attributes(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.abc
    import importlib.machinery
    from types import ModuleType

    class SlotsLoader:  # no __dict__: the hook cannot set exec_module on it
        __slots__ = ()

        def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
            return None

        def exec_module(self, module: ModuleType) -> None:
            module.VALUE = 5  # type: ignore[attr-defined]

    class Finder(importlib.abc.MetaPathFinder):
        def find_spec(self, name: str, path: object, target: object = None) -> object:
            if name != "fakelib_slots":
                return None
            return importlib.machinery.ModuleSpec(name, SlotsLoader())

    seen: list[int] = []
    monkeypatch.setattr(sys, "meta_path", [Finder(), *sys.meta_path])
    monkeypatch.delitem(sys.modules, "fakelib_slots", raising=False)
    _hook.when_imported("fakelib_slots", lambda module: seen.append(module.VALUE))
    assert isinstance(sys.meta_path[0], _hook._PostImportFinder)
    import fakelib_slots  # type: ignore[import-not-found]

    assert seen == [5]
    assert isinstance(fakelib_slots.__loader__, SlotsLoader)
    assert isinstance(fakelib_slots.__spec__.loader, _hook._ChainedLoader)
    _hook.clear()
    assert not any(isinstance(f, _hook._PostImportFinder) for f in sys.meta_path)
