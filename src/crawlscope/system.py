"""System health figures of this process and machine (psutil)."""

from __future__ import annotations

import asyncio
import os
from typing import TYPE_CHECKING, Any

import psutil

if TYPE_CHECKING:
    from crawlscope.bus import EventBus
    from crawlscope.frame_source import FrameSource

__all__ = ["sample_system"]

_PROCESS = psutil.Process(os.getpid())


def _blocking_sample(db_path: str) -> dict[str, Any]:
    data_dir = os.path.dirname(os.path.abspath(db_path)) if db_path else "."
    memory = psutil.virtual_memory()
    try:
        connections = len(_PROCESS.net_connections(kind="inet"))
    except psutil.Error:
        connections = -1
    return {
        # interval=None compares with the previous call: no sleeping here.
        "cpu_percent": psutil.cpu_percent(interval=None),
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
