"""What travels on the work queue's streams, as msgspec structs encoded to JSON."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from crawlscope.events import ActivityEvent
from crawlscope.runner.task import Task

__all__ = ["ControlMessage", "OutEntry", "RunSpec", "TaskEntry", "TaskResult"]


class RunSpec(msgspec.Struct, omit_defaults=True):
    """A run whose tasks are on Redis: what a worker needs to run its handlers."""

    run_id: str
    collection: str
    params: dict[str, Any] = {}
    lease_s: float = 10.0
    paused: bool = False


class ControlMessage(msgspec.Struct, omit_defaults=True):
    """One change to a run, for every worker: ``open``, ``pause``, ``resume``,
    ``cancel`` or ``end``."""

    run_id: str
    command: Literal["open", "pause", "resume", "cancel", "end"]
    spec: RunSpec | None = None


class TaskEntry(msgspec.Struct, array_like=True):
    """One dispatch of a task: its number in the run, and the task."""

    no: int
    task: Task


class TaskResult(msgspec.Struct, omit_defaults=True):
    """How one dispatch ended on a worker, applied by the coordinator once.

    ``entry`` is the task stream's entry id: a task reclaimed from a worker thought dead
    may end twice, and only the first result of an entry counts (so a reclaimed task
    never doubles the dataset). ``done`` is the task's ``complete`` event; ``tasks``,
    ``progress`` and ``items`` are what its successful attempt committed.
    """

    phase: str
    entry: str
    no: int
    worker_id: int
    failed: str | None = None
    """``None`` for a task done; else the failure (``"timeout at request: ..."``)."""
    done: ActivityEvent | None = None
    tasks: list[tuple[Task, str | None]] = []
    progress: list[tuple[str, str, int]] = []
    items: list[tuple[str, Any]] = []


class OutEntry(msgspec.Struct, omit_defaults=True):
    """One entry of a run's ``out`` stream: events as they happen, and task results."""

    events: list[ActivityEvent] = []
    results: list[TaskResult] = []


encode = msgspec.json.Encoder().encode
decode_spec = msgspec.json.Decoder(RunSpec).decode
decode_control = msgspec.json.Decoder(ControlMessage).decode
decode_entry = msgspec.json.Decoder(TaskEntry).decode
decode_out = msgspec.json.Decoder(OutEntry).decode
