"""What a ``crawlscope worker`` process says about itself (no Redis needed to read it)."""

from __future__ import annotations

from typing import Literal

import msgspec

__all__ = ["WorkerIdBlock", "WorkerPresence", "WorkerProcesses"]


class WorkerIdBlock(msgspec.Struct, kw_only=True):
    """The worker ids a process took in one run: its slots are ``first``..``last``."""

    run_id: str
    first: int
    last: int


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
    blocks: list[WorkerIdBlock] = msgspec.field(default_factory=list)
    """The worker ids it holds, per run where it took them (a process takes its block when
    its first slot starts a task of the run). Empty from workers older than this field."""


class WorkerProcesses(msgspec.Struct, kw_only=True):
    """``GET /api/health/workers``: the worker processes of this installation."""

    work_queue: Literal["local", "redis"]
    """``local``: runs started by the servers run their tasks in the server (no worker
    processes); ``redis``: in the worker processes listed."""
    lease_s: float
    """A task whose worker is gone is taken over after this long."""
    workers: list[WorkerPresence]
