"""The exception tree of jupyter_mltrack.

Every error the library raises on purpose derives from :class:`MltrackError`. Each class carries an
``error_code`` (MLflow's REST error codes, so the server and the REST store translate both ways)
and the ``http_status`` the tracking server answers with::

    MltrackError                      INTERNAL_ERROR          500
    ├── InvalidParameterError         INVALID_PARAMETER_VALUE 400  (also a ValueError)
    ├── NotFoundError                 RESOURCE_DOES_NOT_EXIST 404
    │   ├── ExperimentNotFound
    │   ├── RunNotFound
    │   ├── RegisteredModelNotFound
    │   └── ModelVersionNotFound
    ├── AlreadyExistsError            RESOURCE_ALREADY_EXISTS 400
    ├── InvalidStateError             INVALID_STATE           400
    ├── PromotionRejected             INVALID_STATE           400  (validation notebook failed)
    ├── ProjectExecutionError         INVALID_STATE           400  (a project notebook failed)
    ├── EnvironmentBuildError         INVALID_STATE           400  (an isolated environment could
    │                                                               not be built)
    ├── StoreError                    INTERNAL_ERROR          500
    ├── ModelFormatError              INVALID_PARAMETER_VALUE 400  (unreadable or tampered model)
    ├── InvalidInputError             BAD_REQUEST             400  (input violates a signature;
    │                                                               also an InvalidParameterError)
    ├── RequestTooLarge               BAD_REQUEST             413  (a server request body is over
    │                                                               its limit)
    ├── Unauthenticated               UNAUTHENTICATED         401  (no or wrong server credentials)
    ├── PermissionDenied              PERMISSION_DENIED       403  (the user's role forbids it)
    ├── StoreFeatureMissing           NOT_IMPLEMENTED         501  (the server's store lacks a
    │                                                               feature, e.g. the registry)
    └── MissingDependencyError        MISSING_DEPENDENCY      500  (also an ImportError)

Translate these only at the boundaries: the CLI (one-line message), the server (JSON with the
HTTP status), the magics (IPython ``UsageError``).
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "AlreadyExistsError",
    "EnvironmentBuildError",
    "ExperimentNotFound",
    "InvalidInputError",
    "InvalidParameterError",
    "InvalidStateError",
    "MissingDependencyError",
    "MltrackError",
    "ModelFormatError",
    "ModelVersionNotFound",
    "NotFoundError",
    "PermissionDenied",
    "ProjectExecutionError",
    "PromotionRejected",
    "RegisteredModelNotFound",
    "RequestTooLarge",
    "RunNotFound",
    "StoreError",
    "StoreFeatureMissing",
    "Unauthenticated",
    "error_class_for_code",
]


class MltrackError(Exception):
    """Base class of every error jupyter_mltrack raises on purpose."""

    error_code: ClassVar[str] = "INTERNAL_ERROR"
    http_status: ClassVar[int] = 500

    def __init__(
        self, message: str, *, wire_message: str | None = None, wire_code: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        #: What the tracking server says instead, where MLflow clients match on MLflow's words.
        self.wire_message = wire_message
        #: The error code the server sends when MLflow's differs from the class's.
        self.wire_code = wire_code

    def to_dict(self) -> dict[str, str]:
        """Return the MLflow-style JSON error body (MLflow's wording where it differs)."""
        return {
            "error_code": self.wire_code or self.error_code,
            "message": self.wire_message or self.message,
        }


class InvalidParameterError(MltrackError, ValueError):
    """A value given by the caller is malformed, out of range or contradicts stored data."""

    error_code = "INVALID_PARAMETER_VALUE"
    http_status = 400


class NotFoundError(MltrackError):
    """The requested entity does not exist."""

    error_code = "RESOURCE_DOES_NOT_EXIST"
    http_status = 404


class ExperimentNotFound(NotFoundError):
    """No experiment has the given id or name."""

    def __init__(self, message: str, *, experiment_id: str | None = None) -> None:
        wire = None if experiment_id is None else f"No Experiment with id={experiment_id} exists"
        super().__init__(message, wire_message=wire)
        self.experiment_id = experiment_id


class RunNotFound(NotFoundError):
    """No run has the given id."""

    def __init__(self, message: str, *, run_id: str | None = None) -> None:
        wire = None if run_id is None else f"Run with id={run_id} not found"
        super().__init__(message, wire_message=wire)
        self.run_id = run_id

    @classmethod
    def for_id(cls, run_id: str) -> RunNotFound:
        """The error for a missing run, worded the same by every store."""
        return cls(f"Run {run_id!r} not found", run_id=run_id)


class RegisteredModelNotFound(NotFoundError):
    """No registered model has the given name."""

    def __init__(self, message: str, *, name: str | None = None) -> None:
        wire = None if name is None else f"Registered Model with name={name} not found"
        super().__init__(message, wire_message=wire)
        self.name = name

    @classmethod
    def for_name(cls, name: str) -> RegisteredModelNotFound:
        """The error for a missing registered model, worded the same by every store."""
        return cls(
            f"Registered model {name!r} not found; check the name (search_registered_models "
            "lists them) or create it with create_registered_model",
            name=name,
        )


class ModelVersionNotFound(NotFoundError):
    """The registered model has no version with the given number (or alias)."""

    def __init__(
        self,
        message: str,
        *,
        name: str | None = None,
        version: int | str | None = None,
        wire_message: str | None = None,
    ) -> None:
        super().__init__(message, wire_message=wire_message)
        self.name = name
        self.version = version

    #: MLflow's words for a missing version of an existing model (REST clients match them).
    WIRE = "Model Version (name={name}, version={version}) not found"

    @classmethod
    def for_version(
        cls, name: str, version: int | str, *, model_exists: bool = True
    ) -> ModelVersionNotFound:
        """The error for a missing version: ours for users, MLflow's on the wire."""
        if model_exists:
            hint = f"list its versions with search_model_versions(\"name = '{name}'\")"
        else:
            hint = "there is no registered model of that name (search_registered_models lists them)"
        return cls(
            f"Model version {version} of registered model {name!r} not found; {hint}",
            name=name,
            version=version,
            wire_message=cls.WIRE.format(name=name, version=version) if model_exists else None,
        )


class AlreadyExistsError(MltrackError):
    """An entity with the same unique name already exists."""

    @classmethod
    def for_registered_model(cls, name: str) -> AlreadyExistsError:
        """The error for a taken model name: ours for users, MLflow's words on the wire."""
        return cls(
            f"Registered model {name!r} already exists; use it, or pick another name",
            wire_message=f"Registered Model (name={name}) already exists.",
        )

    error_code = "RESOURCE_ALREADY_EXISTS"
    http_status = 400


class InvalidStateError(MltrackError):
    """The entity exists but its state forbids the operation (e.g. logging to a deleted run)."""

    error_code = "INVALID_STATE"
    http_status = 400

    #: The sentence MLflow's server answers for a write to a deleted run (REST clients match it).
    RUN_NOT_ACTIVE = "The run {run_id} must be in the 'active' state. Current state is deleted."

    @classmethod
    def run_deleted(cls, run_id: str, action: str = "before logging to it") -> InvalidStateError:
        """The error for a write to a deleted run: ours for users, MLflow's on the wire."""
        return cls(
            f"Run {run_id!r} is deleted; restore it (restore_run) {action}",
            wire_message=cls.RUN_NOT_ACTIVE.format(run_id=run_id),
            wire_code="INVALID_PARAMETER_VALUE",
        )


class PromotionRejected(MltrackError):
    """A validation notebook failed, so a promotion did not happen; the registry is unchanged.

    Carries the failing cell's exception name and value and the URI of the executed notebook.
    """

    error_code = "INVALID_STATE"
    http_status = 400

    def __init__(
        self,
        message: str,
        *,
        error_name: str | None = None,
        error_value: str | None = None,
        evidence_uri: str | None = None,
    ) -> None:
        super().__init__(message)
        self.error_name = error_name
        self.error_value = error_value
        self.evidence_uri = evidence_uri


class ProjectExecutionError(MltrackError):
    """A project's notebook failed: a cell raised, the kernel died, or it timed out.

    Carries the failing cell's index (``None`` when no cell raised), the error's name and value,
    the run (ended FAILED, or KILLED on timeout) and a short ``reason``.
    """

    error_code = "INVALID_STATE"
    http_status = 400

    def __init__(
        self,
        message: str,
        *,
        cell_index: int | None = None,
        ename: str | None = None,
        evalue: str | None = None,
        run_id: str | None = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(message)
        self.cell_index = cell_index
        self.ename = ename
        self.evalue = evalue
        self.run_id = run_id
        self.reason = reason


class EnvironmentBuildError(MltrackError):
    """An isolated environment (virtualenv, uv, conda) could not be built or used.

    Carries the environment manager, the requirement that failed (``None`` when the tool's output
    does not name one) and the last lines of the tool's output.
    """

    error_code = "INVALID_STATE"
    http_status = 400

    def __init__(
        self,
        message: str,
        *,
        manager: str | None = None,
        package: str | None = None,
        output_tail: str = "",
    ) -> None:
        super().__init__(message)
        self.manager = manager
        self.package = package
        self.output_tail = output_tail


class StoreError(MltrackError):
    """The backing store failed (database error, background writer failure, I/O error)."""


class ModelFormatError(MltrackError):
    """A model directory is missing, malformed, of an unknown flavor, or fails its hash check."""

    error_code = "INVALID_PARAMETER_VALUE"
    http_status = 400


class InvalidInputError(InvalidParameterError):
    """Data passed to a model does not satisfy the model's signature."""

    error_code = "BAD_REQUEST"


class RequestTooLarge(MltrackError):
    """A request body sent to the tracking server is larger than the server accepts."""

    error_code = "BAD_REQUEST"
    http_status = 413


class Unauthenticated(MltrackError):
    """The tracking server needs credentials and got none, or ones it does not accept."""

    error_code = "UNAUTHENTICATED"
    http_status = 401


class PermissionDenied(MltrackError):
    """The tracking server knows the user, but the user's role does not allow the request."""

    error_code = "PERMISSION_DENIED"
    http_status = 403


class StoreFeatureMissing(MltrackError):
    """The tracking server's store does not implement a feature (model registry, logged models)."""

    error_code = "NOT_IMPLEMENTED"
    http_status = 501


class MissingDependencyError(MltrackError, ImportError):
    """An optional dependency is not installed; the message names the extra that provides it."""

    error_code = "MISSING_DEPENDENCY"

    def __init__(self, package: str, *, extra: str, feature: str | None = None) -> None:
        what = f" for {feature}" if feature else ""
        super().__init__(
            f"The package {package!r} is needed{what} but is not installed; "
            f"install it with: pip install 'jupyter_mltrack[{extra}]'"
        )
        self.package = package
        self.extra = extra


_BY_CODE: dict[str, type[MltrackError]] = {
    "INVALID_PARAMETER_VALUE": InvalidParameterError,
    "BAD_REQUEST": InvalidParameterError,
    "RESOURCE_DOES_NOT_EXIST": NotFoundError,
    "RESOURCE_ALREADY_EXISTS": AlreadyExistsError,
    "INVALID_STATE": InvalidStateError,
    "UNAUTHENTICATED": Unauthenticated,
    "PERMISSION_DENIED": PermissionDenied,
}


def error_class_for_code(error_code: str) -> type[MltrackError]:
    """Return the exception class a REST client should raise for an MLflow ``error_code``."""
    return _BY_CODE.get(error_code, MltrackError)
