"""String enums for run status, lifecycle stage, view type and source type."""

from __future__ import annotations

from enum import StrEnum
from typing import Self

from jupyter_mltrack.errors import InvalidParameterError


class _ParseableEnum(StrEnum):
    @classmethod
    def parse(cls, value: object) -> Self:
        """Return the member named ``value`` (case-insensitive), or raise InvalidParameterError."""
        if isinstance(value, cls):
            return value
        try:
            return cls[str(value).upper()]
        except KeyError:
            allowed = ", ".join(m.value for m in cls)
            raise InvalidParameterError(
                f"Invalid {cls.__name__} {value!r}; expected one of: {allowed}"
            ) from None


class RunStatus(_ParseableEnum):
    """The state of a run. ``FINISHED``, ``FAILED`` and ``KILLED`` are terminal."""

    RUNNING = "RUNNING"
    SCHEDULED = "SCHEDULED"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    KILLED = "KILLED"

    @property
    def is_terminal(self) -> bool:
        return self in (RunStatus.FINISHED, RunStatus.FAILED, RunStatus.KILLED)


class LifecycleStage(_ParseableEnum):
    """Whether an experiment or run is live or soft-deleted."""

    ACTIVE = "active"
    DELETED = "deleted"


class ViewType(_ParseableEnum):
    """Which lifecycle stages a search returns."""

    ACTIVE_ONLY = "ACTIVE_ONLY"
    DELETED_ONLY = "DELETED_ONLY"
    ALL = "ALL"

    def stages(self) -> tuple[LifecycleStage, ...]:
        """Return the lifecycle stages this view includes."""
        if self is ViewType.ACTIVE_ONLY:
            return (LifecycleStage.ACTIVE,)
        if self is ViewType.DELETED_ONLY:
            return (LifecycleStage.DELETED,)
        return (LifecycleStage.ACTIVE, LifecycleStage.DELETED)


class SourceType(_ParseableEnum):
    """Where a run's code came from."""

    NOTEBOOK = "NOTEBOOK"
    JOB = "JOB"
    PROJECT = "PROJECT"
    LOCAL = "LOCAL"
    UNKNOWN = "UNKNOWN"
