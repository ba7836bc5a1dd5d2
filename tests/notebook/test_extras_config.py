"""The session settings %mltrack config changes and %%track reads."""

from __future__ import annotations

import pytest

from jupyter_mltrack.errors import InvalidParameterError
from jupyter_mltrack.notebook.config import NotebookConfig


def test_defaults() -> None:
    assert NotebookConfig().as_dict() == {
        "autolog": True,
        "live": True,
        "quiet": False,
        "save_notebook": False,
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("true", True),
        ("ON", True),
        ("1", True),
        ("yes", True),
        (True, True),
        ("false", False),
        ("off", False),
        ("0", False),
        (" No ", False),
        (False, False),
    ],
)
def test_boolean_values(value: object, expected: bool) -> None:
    config = NotebookConfig()
    config.set("quiet", value)
    assert config.quiet is expected


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("colour", "1", "Unknown setting 'colour'; use one of: autolog, live"),
        ("live", "maybe", "takes true or false"),
        ("live", 2, "takes true or false"),
    ],
)
def test_invalid_settings(key: str, value: object, message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        NotebookConfig().set(key, value)


def test_reset_restores_defaults() -> None:
    config = NotebookConfig()
    config.set("live", False)
    config.reset()
    assert config.live is True
