"""The host figures a remote runner sends with its batches (at most every ``every_s``):
CPU and memory of its machine and the runner's own RSS, shown on the run's page."""

from __future__ import annotations

import asyncio
import os
import socket
import time
from typing import Any

import psutil

from crawlscope.system import CpuMeter

__all__ = ["HostSampler"]


def _figures(cpu: CpuMeter) -> dict[str, Any]:
    return {
        "cpu_percent": cpu.percent(),
        "memory_percent": psutil.virtual_memory().percent,
        "process_rss_mb": round(psutil.Process(os.getpid()).memory_info().rss / 2**20, 1),
        "hostname": socket.gethostname()[:200],
    }


class HostSampler:
    """Measures this machine when a sample is due (psutil in a worker thread)."""

    def __init__(self, every_s: float = 10.0) -> None:
        self.every_s = every_s
        self._last = -1e18
        self._cpu = CpuMeter()

    async def due(self) -> dict[str, Any] | None:
        """The figures if ``every_s`` passed since the last ones, else None."""
        now = time.monotonic()
        if self.every_s <= 0 or now - self._last < self.every_s:
            return None
        self._last = now
        try:
            return await asyncio.to_thread(_figures, self._cpu)
        except (OSError, psutil.Error):
            return None
