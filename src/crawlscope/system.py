"""System health figures of this process and machine (psutil)."""

from __future__ import annotations

import asyncio
import os
import threading
from typing import TYPE_CHECKING, Any

import psutil

if TYPE_CHECKING:
    from crawlscope.bus import EventBus
    from crawlscope.frame_source import FrameSource

__all__ = ["CpuMeter", "sample_system"]

_PROCESS = psutil.Process(os.getpid())


class CpuMeter:
    """The machine's CPU use since the previous reading, from ``psutil.cpu_times()``.

    ``psutil.cpu_percent(interval=None)`` keeps its previous reading per calling thread,
    so called from a pool of worker threads (``asyncio.to_thread``) it answered 0.0 from
    each thread's first call and otherwise measured since whenever that thread last ran
    it. This keeps its own reading, whichever thread asks.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = psutil.cpu_times()

    def percent(self) -> float:
        """Busy share of all CPUs since the previous call (or since construction)."""
        now = psutil.cpu_times()
        with self._lock:
            last, self._last = self._last, now
        total = _total(now) - _total(last)
        if total <= 0:
            return 0.0
        idle = _idle(now) - _idle(last)
        return round(min(100.0, max(0.0, 100.0 * (total - idle) / total)), 1)


def _total(times: Any) -> float:
    # Linux counts guest time inside user time already (as psutil's own calculation).
    guests = getattr(times, "guest", 0.0) + getattr(times, "guest_nice", 0.0)
    return float(sum(times)) - guests


def _idle(times: Any) -> float:
    return float(times.idle + getattr(times, "iowait", 0.0))


_CPU = CpuMeter()


def _blocking_sample(db_path: str) -> dict[str, Any]:
    data_dir = os.path.dirname(os.path.abspath(db_path)) if db_path else "."
    memory = psutil.virtual_memory()
    try:
        connections = len(_PROCESS.net_connections(kind="inet"))
    except psutil.Error:
        connections = -1
    return {
        "cpu_percent": _CPU.percent(),
        "memory_percent": memory.percent,
        "process_rss_mb": round(_PROCESS.memory_info().rss / 2**20, 1),
        "disk_free_gb": round(psutil.disk_usage(data_dir).free / 2**30, 2),
        "open_connections": connections,
    }


async def sample_system(data_path: str, frames: FrameSource, bus: EventBus) -> dict[str, Any]:
    """One sample: CPU, memory, disk (of ``data_path``'s folder), connections, active runs,
    running workers, subscribers."""
    sample = await asyncio.to_thread(_blocking_sample, data_path)
    sample["active_runs"] = sum(1 for run in frames.live_runs() if not run.ended)
    sample["running_workers"] = frames.running_workers()
    sample["subscribers"] = bus.subscriber_count()
    return sample
