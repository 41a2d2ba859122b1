"""This server's system figures every 10 s: the latest for alert rules (``system.*``,
read without waiting) and each one kept as a sample for the overview's chart.

psutil's calls read ``/proc`` and can take milliseconds, so they run in a worker thread;
the event loop only awaits them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from collections.abc import Callable
from typing import Any

import psutil

from crawlscope.frame_source import FrameSource
from crawlscope.store.repositories import SystemSampleRepository
from crawlscope.store.system_samples import SystemSample
from crawlscope.system import CpuMeter

__all__ = ["SystemSampler", "server_source"]

log = logging.getLogger("crawlscope.system")

_PROCESS = psutil.Process(os.getpid())
PRUNE_EVERY_S = 3600.0


def server_source() -> str:
    """The source name of this server's samples (several servers may share a database)."""
    return f"server:{socket.gethostname()}"


def _figures(data_path: str, cpu: CpuMeter) -> dict[str, Any]:
    folder = os.path.dirname(os.path.abspath(data_path)) if data_path else "."
    try:
        connections: int | None = len(_PROCESS.net_connections(kind="inet"))
    except psutil.Error:
        connections = None
    return {
        "cpu_percent": cpu.percent(),
        "memory_percent": psutil.virtual_memory().percent,
        "disk_percent": psutil.disk_usage(folder).percent,
        "process_rss_mb": round(_PROCESS.memory_info().rss / 2**20, 1),
        "open_connections": connections,
    }


class SystemSampler:
    """Samples every ``every_s`` seconds; with ``samples``, stores each one (as
    ``source``) and deletes those older than ``keep_days``, hourly."""

    def __init__(
        self,
        data_path: str,
        *,
        frames: FrameSource | None = None,
        samples: SystemSampleRepository | None = None,
        source: str | None = None,
        every_s: float = 10.0,
        keep_days: float = 7.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.data_path = data_path
        self.frames = frames
        self.samples = samples
        self.source = source or server_source()
        self.every_s = every_s
        self.keep_days = keep_days
        self.clock = clock
        self.latest: dict[str, Any] = {}
        self._task: asyncio.Task[None] | None = None
        self._pruned_at = 0.0
        self._save_failing = False
        self._cpu = CpuMeter()

    def __call__(self) -> dict[str, Any]:
        """The latest figures (what alert rules read as ``system.*``)."""
        return self.latest

    async def start(self) -> None:
        """Take a first sample, then keep sampling in the background."""
        await self.sample_once()
        self._task = asyncio.create_task(self._loop(), name="crawlscope-system-sampler")

    async def stop(self) -> None:
        """Stop sampling."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.every_s)
            try:
                await self.sample_once()
            except (OSError, psutil.Error):
                log.debug("system sample failed", exc_info=True)

    async def sample_once(self) -> dict[str, Any]:
        """One sample: measured, kept as ``latest``, stored (and old ones pruned)."""
        figures = await asyncio.to_thread(_figures, self.data_path, self._cpu)
        if self.frames is not None:
            figures["active_runs"] = sum(1 for run in self.frames.live_runs() if not run.ended)
            figures["running_workers"] = self.frames.running_workers()
        self.latest = figures
        if self.samples is not None:
            await self._store(figures)
        return figures

    async def _store(self, figures: dict[str, Any]) -> None:
        assert self.samples is not None
        now = self.clock()
        sample = SystemSample(
            at=int(now),
            cpu_percent=float(figures["cpu_percent"]),
            memory_percent=float(figures["memory_percent"]),
            disk_percent=figures.get("disk_percent"),
            process_rss_mb=figures.get("process_rss_mb"),
            open_connections=figures.get("open_connections"),
            active_runs=figures.get("active_runs"),
            running_workers=figures.get("running_workers"),
        )
        try:
            await self.samples.add(self.source, sample)
            if now - self._pruned_at >= PRUNE_EVERY_S:
                self._pruned_at = now
                await self.samples.prune(before=int(now - self.keep_days * 86400))
        except Exception:  # storage trouble is reported by health; sampling goes on
            if not self._save_failing:
                log.exception("could not store a system sample")
            self._save_failing = True
        else:
            self._save_failing = False
