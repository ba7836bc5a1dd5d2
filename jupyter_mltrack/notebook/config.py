"""Session settings of the notebook layer, changed with ``%mltrack config key=value``.

``%%track`` reads :data:`CONFIG` for its defaults; its own flags override them per cell.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from jupyter_mltrack.errors import InvalidParameterError

__all__ = ["CONFIG", "NotebookConfig"]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(slots=True)
class NotebookConfig:
    """Defaults of ``%%track`` for this kernel session."""

    #: Store the ``.ipynb`` as an artifact at the end of each tracked cell.
    save_notebook: bool = False
    #: Show the live metric plot while a tracked cell runs.
    live: bool = True
    #: Let scikit-learn autologging log into tracked cells' runs.
    autolog: bool = True
    #: Suppress the summary shown after each tracked cell.
    quiet: bool = False

    @classmethod
    def keys(cls) -> list[str]:
        """Return the setting names, sorted."""
        return sorted(f.name for f in fields(cls))

    def set(self, key: str, value: object) -> None:
        """Set ``key`` to ``value`` (a bool, or a string such as ``"true"``/``"off"``).

        Raises:
            InvalidParameterError: Unknown key or a value that is not a boolean.

        Example:
            >>> config = NotebookConfig()
            >>> config.set("live", "off")
            >>> config.live
            False
        """
        if key not in self.keys():
            raise InvalidParameterError(
                f"Unknown setting {key!r}; use one of: {', '.join(self.keys())}"
            )
        setattr(self, key, _parse_bool(key, value))

    def as_dict(self) -> dict[str, bool]:
        """Return the settings as a mapping."""
        return {key: getattr(self, key) for key in self.keys()}

    def reset(self) -> None:
        """Restore every default (used by tests and on extension unload)."""
        for f in fields(self):
            setattr(self, f.name, f.default)


def _parse_bool(key: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InvalidParameterError(f"Setting {key!r} takes true or false, got {value!r}")


#: The settings of this kernel session.
CONFIG = NotebookConfig()
