"""Type aliases shared across the package."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TypeAlias

PathLike: TypeAlias = str | os.PathLike[str]
TagsInput: TypeAlias = Mapping[str, object] | None
MetricValue: TypeAlias = float | int | bool
