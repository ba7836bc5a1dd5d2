"""What one system-metrics sample reads: CPU, memory, disk and network (psutil), GPUs (NVML).

Names are MLflow's, without the ``system/`` prefix (the caller adds it, with the node id):
``cpu_utilization_percentage``, ``system_memory_usage_megabytes``, ``gpu_0_utilization_percentage``.
psutil and pynvml are imported here only, when sampling is first asked for, so that
``import jupyter_mltrack`` never loads them.
"""

from __future__ import annotations

import importlib
import logging
import os
from types import ModuleType
from typing import Any

from jupyter_mltrack.errors import MissingDependencyError

__all__ = [
    "EXTRA",
    "NETWORK_KEYS",
    "GpuSampler",
    "HostSampler",
    "network_counters",
    "require_psutil",
]

logger = logging.getLogger(__name__)

EXTRA = "system-metrics"
#: Counters since boot; the run's figures are the growth since the run started sampling.
NETWORK_KEYS = ("network_receive_megabytes", "network_transmit_megabytes")
_MB = 1e6


def require_psutil() -> ModuleType:
    """Return psutil, or raise MissingDependencyError naming the ``system-metrics`` extra."""
    try:
        return importlib.import_module("psutil")
    except ImportError as exc:
        raise MissingDependencyError(
            "psutil", extra=EXTRA, feature="system metrics logging"
        ) from exc


def network_counters() -> dict[str, float]:
    """Return the bytes received/sent since boot, in megabytes (empty without an interface)."""
    counters = require_psutil().net_io_counters()
    if counters is None:  # no network interface at all (some containers)
        return {}
    return {NETWORK_KEYS[0]: counters.bytes_recv / _MB, NETWORK_KEYS[1]: counters.bytes_sent / _MB}


class HostSampler:
    """Reads CPU, memory, root-disk and network figures, and the GPUs' if NVML answers."""

    def __init__(self) -> None:
        self._psutil = require_psutil()
        # cpu_percent(None) measures since its previous call; the first call only starts that.
        self._psutil.cpu_percent(None)
        self._gpu = GpuSampler.create()

    def sample(self) -> dict[str, float]:
        """Return one reading of every figure (network as counters since boot)."""
        ps = self._psutil
        memory = ps.virtual_memory()
        disk = ps.disk_usage(os.sep)
        values = {
            "cpu_utilization_percentage": float(ps.cpu_percent(None)),
            "system_memory_usage_megabytes": memory.used / _MB,
            "system_memory_usage_percentage": memory.used / memory.total * 100,
            "disk_usage_percentage": float(disk.percent),
            "disk_usage_megabytes": disk.used / _MB,
            "disk_available_megabytes": disk.free / _MB,
            **network_counters(),
        }
        if self._gpu is not None:
            values.update(self._gpu.sample())
        return values


class GpuSampler:
    """Utilisation, memory and power of every NVIDIA GPU, through nvidia-ml-py (``pynvml``)."""

    def __init__(self, nvml: Any, handles: list[Any]) -> None:
        self._nvml = nvml
        self._handles = handles

    @classmethod
    def create(cls) -> GpuSampler | None:
        """Return a sampler for the machine's GPUs, or None (no pynvml, no driver, no GPU)."""
        try:
            nvml: Any = importlib.import_module("pynvml")
            nvml.nvmlInit()
            handles = [nvml.nvmlDeviceGetHandleByIndex(i) for i in range(nvml.nvmlDeviceGetCount())]
        except Exception:
            # Most machines have no NVIDIA GPU: not an error, only worth a debug line.
            logger.debug("No GPU metrics: NVML is unavailable", exc_info=True)
            return None
        return cls(nvml, handles) if handles else None

    def sample(self) -> dict[str, float]:
        """Return one reading per GPU; a figure the device refuses is left out."""
        values: dict[str, float] = {}
        for index, handle in enumerate(self._handles):
            for read in (self._memory, self._utilization, self._power):
                try:
                    values.update(read(f"gpu_{index}_", handle))
                except Exception:  # e.g. NVMLError_NotSupported on some boards
                    logger.debug("GPU %d: a figure could not be read", index, exc_info=True)
        return values

    def _memory(self, prefix: str, handle: Any) -> dict[str, float]:
        memory = self._nvml.nvmlDeviceGetMemoryInfo(handle)
        return {
            prefix + "memory_usage_percentage": memory.used / memory.total * 100,
            prefix + "memory_usage_megabytes": memory.used / _MB,
        }

    def _utilization(self, prefix: str, handle: Any) -> dict[str, float]:
        rates = self._nvml.nvmlDeviceGetUtilizationRates(handle)
        return {prefix + "utilization_percentage": float(rates.gpu)}

    def _power(self, prefix: str, handle: Any) -> dict[str, float]:
        milliwatts = self._nvml.nvmlDeviceGetPowerUsage(handle)
        limit = self._nvml.nvmlDeviceGetEnforcedPowerLimit(handle)
        return {
            prefix + "power_usage_watts": milliwatts / 1000,
            prefix + "power_usage_percentage": milliwatts / limit * 100,
        }
