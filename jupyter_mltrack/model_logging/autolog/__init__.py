"""Autologging, one module per library, and :func:`autolog`, which turns on all of them.

Each supported library has an integration module exposing ``autolog(...)`` (MLflow's keyword
names) and ``is_enabled()``. The registry below maps a *flavor* name to the top-level modules of
its library and the import path of its integration; third-party packages add flavors through
the ``jupyter_mltrack.autolog`` entry-point group (read on the first :func:`autolog` call).

:func:`autolog` never imports a library: it hooks the library's import (see ``_hook``), and an
integration module is imported only once its library is. Nothing heavy is imported here.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import logging
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from jupyter_mltrack.errors import InvalidParameterError

__all__ = [
    "ENTRY_POINT_GROUP",
    "Integration",
    "autolog",
    "enabled_flavors",
    "integrations",
    "register_integration",
]

logger = logging.getLogger("jupyter_mltrack.autolog")

ENTRY_POINT_GROUP = "jupyter_mltrack.autolog"
_HERE = "jupyter_mltrack.model_logging.autolog"


@dataclass(frozen=True, slots=True)
class Integration:
    """One autolog integration: the library's top-level modules and the integration module."""

    flavor: str
    modules: tuple[str, ...]
    target: str


_BUILTIN: dict[str, tuple[tuple[str, ...], str]] = {
    "sklearn": (("sklearn",), f"{_HERE}.sklearn"),
    "xgboost": (("xgboost",), f"{_HERE}.xgboost"),
    "lightgbm": (("lightgbm",), f"{_HERE}.lightgbm"),
    "pytorch": (("lightning", "pytorch_lightning"), f"{_HERE}.pytorch"),
}
_registry: dict[str, Integration] = {}
_lock = threading.RLock()
_entry_points_loaded = False
#: The keyword arguments of the last ``autolog()`` call that enabled autologging.
_settings: dict[str, Any] = {}
#: Flavors configured by ``autolog()`` (not by the user calling the integration directly).
_configured: set[str] = set()


def register_integration(flavor: str, modules: Iterable[str], target: str) -> None:
    """Register (or replace) the autolog integration of ``flavor``.

    Args:
        flavor: The name ``exclude_flavors`` uses, e.g. ``"catboost"``.
        modules: Top-level modules of the library; the integration is enabled when any of them
            is imported.
        target: Import path of a module with ``autolog(**kwargs)`` and ``is_enabled()``. It
            must be cheap to import (import the library inside its functions).

    Example:
        >>> register_integration("catboost", ["catboost"], "my_pkg.cb_autolog")  # doctest: +SKIP
    """
    names = tuple(modules)
    if not flavor or not names or not target:
        raise InvalidParameterError(
            "register_integration needs a flavor name, at least one module and an import path, "
            f"got flavor={flavor!r}, modules={names!r}, target={target!r}"
        )
    with _lock:
        _registry[flavor] = Integration(flavor, names, target)


def integrations() -> dict[str, Integration]:
    """Return every known integration by flavor: built-in ones and the entry points'."""
    with _lock:
        _load_builtins_and_entry_points()
        return dict(_registry)


def _load_builtins_and_entry_points() -> None:
    global _entry_points_loaded
    for flavor, (modules, target) in _BUILTIN.items():
        _registry.setdefault(flavor, Integration(flavor, modules, target))
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    from importlib.metadata import entry_points

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        # The entry point names the integration module; loading it must stay cheap. The module
        # lists its library's top-level modules in LIBRARIES (default: the flavor name).
        try:
            module = ep.load()
            libraries = tuple(getattr(module, "LIBRARIES", (ep.name,)))
            target = module.__name__ if isinstance(module, ModuleType) else ep.value
            _registry.setdefault(ep.name, Integration(ep.name, libraries, target))
        except Exception as exc:
            logger.warning("Autolog entry point %r could not be loaded: %s", ep.name, exc)


def autolog(
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_models: bool = True,
    log_datasets: bool = True,
    log_traces: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    disable_for_unsupported_versions: bool = False,
    silent: bool = False,
    extra_tags: dict[str, str] | None = None,
    exclude_flavors: list[str] | None = None,
) -> None:
    """Turn on autologging for every supported library, installed now or imported later.

    Libraries already imported are patched at once; the others when (and only if) the user's
    code imports them: this function imports no ML library. Arguments are MLflow's
    ``mlflow.autolog`` ones, in its order; each integration receives those it accepts.

    Args:
        log_input_examples: Save the first rows of the training data as the input example.
        log_model_signatures: Store the model's input/output signature with it.
        log_models: Log trained models as artifacts.
        log_datasets: Passed to integrations that record datasets.
        log_traces: Accepted for MLflow compatibility (no GenAI tracing here).
        disable: Turn every integration off and stop watching imports.
        exclusive: Log only into runs autologging creates, never into a run you started.
        disable_for_unsupported_versions: Passed to integrations that check versions.
        silent: Suppress autologging's own warnings and messages.
        extra_tags: Passed to integrations that tag the runs they create.
        exclude_flavors: Flavors left alone, e.g. ``["sklearn"]``.

    Example:
        >>> import jupyter_mltrack as mlt
        >>> mlt.autolog()  # doctest: +SKIP
        >>> import xgboost  # patched as it finishes importing  # doctest: +SKIP
    """
    from jupyter_mltrack.model_logging.autolog import _hook

    settings = {
        "log_input_examples": log_input_examples,
        "log_model_signatures": log_model_signatures,
        "log_models": log_models,
        "log_datasets": log_datasets,
        "log_traces": log_traces,
        "disable": disable,
        "exclusive": exclusive,
        "disable_for_unsupported_versions": disable_for_unsupported_versions,
        "silent": silent,
        "extra_tags": extra_tags,
    }
    with _lock:
        known = integrations()
        _hook.clear()
        if disable:
            _disable_all(known, settings)
            return
        excluded = set(exclude_flavors or ())
        if excluded - set(known) and not silent:
            logger.warning(
                "autolog: exclude_flavors %s name no integration here (known: %s); ignored",
                sorted(excluded - set(known)),
                ", ".join(sorted(known)),
            )
        _settings.clear()
        _settings.update(settings)
        for flavor, integration in sorted(known.items()):
            if flavor in excluded:
                continue
            for module in integration.modules:
                _hook.when_imported(module, functools.partial(_on_import, flavor))


def enabled_flavors() -> list[str]:
    """Return the flavors whose integration is on (and not suspended) right now, sorted."""
    on = []
    for flavor, integration in integrations().items():
        module = sys.modules.get(integration.target)
        is_enabled = getattr(module, "is_enabled", None)
        if is_enabled is not None and _call_quietly(flavor, is_enabled, {}, quiet=True)[1]:
            on.append(flavor)
    return sorted(on)


def _on_import(flavor: str, module: ModuleType) -> None:
    _enable(flavor)


def _enable(flavor: str) -> None:
    """Enable one integration with the settings of the last ``autolog()`` call (hook callback)."""
    with _lock:
        integration = integrations().get(flavor)
        settings = dict(_settings)
        if integration is None or not settings:
            return
        module = _integration_module(integration, quiet=settings["silent"])
        if module is None:
            return
        is_enabled = getattr(module, "is_enabled", None)
        user_set = is_enabled is not None and _call_quietly(flavor, is_enabled, {}, quiet=True)[1]
        if flavor not in _configured and user_set:
            # As MLflow: a library the user configured with its own autolog() keeps that setup.
            logger.debug("autolog: %s was configured directly; leaving it as it is", flavor)
            return
        fn = module.autolog
        ok, _ = _call_quietly(flavor, fn, _accepted(fn, settings), quiet=settings["silent"])
        if ok:
            _configured.add(flavor)
            if not settings["silent"]:
                logger.info("Autologging enabled for %s.", flavor)


def _disable_all(known: dict[str, Integration], settings: dict[str, Any]) -> None:
    _settings.clear()
    _configured.clear()
    for integration in known.values():
        # Only integrations already imported can have patches in place.
        module = sys.modules.get(integration.target)
        if module is not None:
            fn = module.autolog
            _call_quietly(integration.flavor, fn, _accepted(fn, settings), quiet=True)


def _integration_module(integration: Integration, *, quiet: bool) -> ModuleType | None:
    try:
        return importlib.import_module(integration.target)
    except ModuleNotFoundError as exc:
        if exc.name is not None and integration.target.startswith(exc.name):
            logger.debug("autolog: no integration module %s yet; skipped", integration.target)
            return None
        if not quiet:
            logger.warning("autolog: could not load %s: %s", integration.target, exc)
    except Exception as exc:
        if not quiet:
            logger.warning("autolog: could not load %s: %s", integration.target, exc)
    return None


def _accepted(fn: Any, settings: dict[str, Any]) -> dict[str, Any]:
    """Return the settings ``fn`` takes as keywords (all of them if it takes ``**kwargs``)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return {}
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return dict(settings)
    named = {n for n, p in params.items() if p.kind is not inspect.Parameter.POSITIONAL_ONLY}
    return {k: v for k, v in settings.items() if k in named}


def _call_quietly(flavor: str, fn: Any, kwargs: dict[str, Any], *, quiet: bool) -> tuple[bool, Any]:
    """Return ``(True, fn(**kwargs))``, or ``(False, None)`` after logging a warning (unless
    silent): an integration's failure never reaches the user's code."""
    try:
        return True, fn(**kwargs)
    except Exception as exc:
        if not quiet:
            logger.warning("autolog: %s integration failed: %s", flavor, exc, exc_info=True)
        return False, None
