"""What a ``crawlscope worker`` process says about itself (no Redis needed to read it)."""

from __future__ import annotations

from typing import Literal

import msgspec

__all__ = ["WorkerPresence", "WorkerProcesses"]


class WorkerPresence(msgspec.Struct, kw_only=True):
    """A ``crawlscope worker`` process, as it last said."""

    name: str
    """Its consumer name (``--name``; default host-pid)."""
    host: str
    pid: int
    slots: int
    """Tasks it runs at once (``--concurrency``)."""
    busy: int
    """Slots running a task now."""
    runs: list[str]
    """Runs whose tasks it takes."""
    tasks_done: int
    """Tasks whose result it delivered since it started."""
    taken_over: int
    """Tasks it took over from a worker whose lease ran out."""
    started_at: str
    seen_at: str
    """When it last said so (every 5 s)."""


class WorkerProcesses(msgspec.Struct, kw_only=True):
    """``GET /api/health/workers``: the worker processes of this installation."""

    work_queue: Literal["local", "redis"]
    """``local``: runs started by the servers run their tasks in the server (no worker
    processes); ``redis``: in the worker processes listed."""
    lease_s: float
    """A task whose worker is gone is taken over after this long."""
    workers: list[WorkerPresence]
