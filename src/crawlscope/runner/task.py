"""The unit of work a worker claims."""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = ["Task"]


# gc=False: a run may hold hundreds of thousands of queued tasks; untracked, they cost the
# garbage collector nothing (payloads are JSON-able data, so no task is part of a cycle).
class Task(msgspec.Struct, omit_defaults=True, gc=False):
    """One unit of work: a category, a query + price band + page, a channel.

    Attributes:
        label: what the dashboard shows for it ("Laptops, page 3").
        payload: whatever the handler needs (ids, URLs, parameters); must be JSON-able so
            tasks can travel between processes.
        category: the category path it belongs to, for display and per-category counts.
        item: the item it is about, if any (a product name).
        phase: the phase to run it in; None means the first phase (seeds) or the current
            phase (``ctx.enqueue``).
        key: when set, a second task with the same key in the same phase is dropped.
    """

    label: str
    payload: dict[str, Any] = {}
    category: str | None = None
    item: str | None = None
    phase: str | None = None
    key: str | None = None
