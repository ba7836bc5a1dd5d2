"""sha256 digests of a model's files, recorded in ``MLmodel`` and verified on load."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from jupyter_mltrack.errors import ModelFormatError
from jupyter_mltrack.models.mlmodel import MLMODEL_FILE, Model

__all__ = ["file_sha256", "record_file_hashes", "verify_file_hashes"]

_CHUNK = 1 << 20


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Return the hex sha256 digest of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _model_files(root: Path) -> list[str]:
    files = []
    for directory, _dirs, names in os.walk(root):
        for name in names:
            relative = (Path(directory) / name).relative_to(root).as_posix()
            if relative != MLMODEL_FILE:
                files.append(relative)
    return sorted(files)


def record_file_hashes(model_dir: str | os.PathLike[str], model: Model) -> None:
    """Set ``model.file_hashes`` to the sha256 of every file under ``model_dir`` but MLmodel.

    Call this after all files are written and before ``model.save(model_dir)``.
    """
    root = Path(model_dir)
    model.file_hashes = {name: file_sha256(root / name) for name in _model_files(root)}


def verify_file_hashes(model_dir: str | os.PathLike[str], model: Model) -> None:
    """Check every recorded file against its digest; models without digests pass.

    Raises:
        ModelFormatError: A recorded file is missing or its content changed; the message names it.
    """
    if not model.file_hashes:
        return
    root = Path(model_dir)
    for name, expected in sorted(model.file_hashes.items()):
        path = root / name
        if Path(name).is_absolute() or ".." in Path(name).parts:
            raise ModelFormatError(
                f"{MLMODEL_FILE} lists the file {name!r} outside the model directory; "
                "the MLmodel file is malformed or was tampered with"
            )
        if not path.is_file():
            raise ModelFormatError(
                f"Model file {name!r} listed in {MLMODEL_FILE} is missing from {str(root)!r}; "
                "the model directory is incomplete"
            )
        if file_sha256(path) != expected:
            raise ModelFormatError(
                f"Model file {name!r} in {str(root)!r} does not match the sha256 recorded in "
                f"{MLMODEL_FILE}; it was changed after saving. Re-save the model, or load with "
                "verify=False only if you trust the change"
            )
