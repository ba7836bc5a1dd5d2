"""The two errors only the Lab API answers with (everything else is the package's own tree)."""

from __future__ import annotations

from jupyter_mltrack.errors import MltrackError

__all__ = ["ArtifactTooLarge", "ConfirmationRequired"]


class ConfirmationRequired(MltrackError):
    """A registry change was asked for without ``"confirm": true``; the message says what it does.

    The Lab front end shows the message as the question and repeats the request with
    ``"confirm": true`` when the user agrees (the same ask-first rule as ``RegistryPanel``).
    """

    error_code = "CONFIRMATION_REQUIRED"
    http_status = 409


class ArtifactTooLarge(MltrackError):
    """An artifact file is larger than the server hands to the browser in one response."""

    error_code = "RESOURCE_EXHAUSTED"
    http_status = 413
