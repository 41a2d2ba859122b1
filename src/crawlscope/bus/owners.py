"""Who aggregates a run that several processes ingest, and where the others read its frame.

With one process (the in-process ``Hub``) the process that ingests a remote run is the
only one that sees its events, so it aggregates them as they are published: ``SoleOwner``
says so and changes nothing. With a bus shared by processes (``RedisBus``) batches of one
remote run may reach any of them; exactly one process, the run's *owner*, aggregates the
run from the run's complete, numbered event stream and writes its frame to the run's row,
and publishes that frame for the others to read, announcing it to every process
(``bus/redis_owners.py``, ``bus/frame_notices.py``, docs/architecture.md, "State frames
from the run's owner").
"""

from __future__ import annotations

import asyncio
from typing import NamedTuple, Protocol

from crawlscope.aggregate import RunFrame
from crawlscope.bus.frame_notices import RemoteRun
from crawlscope.status import RunStatus

__all__ = ["PublishedFrame", "RunOwners", "SoleOwner"]


class PublishedFrame(NamedTuple):
    """A frame an owner publishes: its JSON, and the version and status of the aggregate
    it shows (what the frame notice tells the other processes)."""

    body: bytes
    version: int
    status: RunStatus


class RunOwners(Protocol):
    """Leases on remote runs: one process aggregates each; the others read its frame."""

    @property
    def shared(self) -> bool:
        """Whether other processes ingest the same runs (frames then come from owners)."""

    def owns(self, run_id: str) -> bool:
        """Whether this process holds ``run_id``'s lease (as far as it knows now)."""

    async def claim(self, run_id: str) -> bool:
        """Take ``run_id``'s lease unless another live process holds it; True if ours."""

    async def publish(self, frames: dict[str, PublishedFrame | None]) -> list[str]:
        """Renew the leases of these runs and publish their frames (None: unchanged, renew
        only) and announce them to every process; returns the runs whose lease another
        process holds now (lost)."""

    def remote_runs(self) -> list[RemoteRun]:
        """The live runs other processes own, as their newest frame notices say."""

    def watch(self, wakeup: asyncio.Event) -> None:
        """Set ``wakeup`` whenever a notice brings a new frame of a run owned elsewhere."""

    def unwatch(self, wakeup: asyncio.Event) -> None:
        """Stop setting ``wakeup``."""

    async def published(self, run_id: str) -> RunFrame | None:
        """The frame the run's owner published last; None if none is current."""

    async def release(self, run_id: str) -> None:
        """Give the lease up (the run was forgotten here, or the process stops)."""

    async def note_heard(self, run_id: str) -> None:
        """The run's runner was heard of here (an accepted request), for its owner."""

    async def heard_at(self, run_id: str) -> float | None:
        """When a process last noted the run's runner (Unix time); None if unknown."""


class SoleOwner:
    """One process: it owns every run it ingests, and nobody reads a published frame."""

    shared = False

    def owns(self, run_id: str) -> bool:
        """Always: no other process ingests this process's runs."""
        return True

    async def claim(self, run_id: str) -> bool:
        """Always granted."""
        return True

    async def publish(self, frames: dict[str, PublishedFrame | None]) -> list[str]:
        """Nothing to publish to; nothing is ever lost."""
        return []

    def remote_runs(self) -> list[RemoteRun]:
        """None: every run this process hears of, it aggregates."""
        return []

    def watch(self, wakeup: asyncio.Event) -> None:
        """Nothing is ever announced."""

    def unwatch(self, wakeup: asyncio.Event) -> None:
        """Nothing to stop."""

    async def published(self, run_id: str) -> RunFrame | None:
        """No published frames: readers use this process's aggregate or the row."""
        return None

    async def release(self, run_id: str) -> None:
        """Nothing to release."""

    async def note_heard(self, run_id: str) -> None:
        """Nobody else to tell: this process hears every request of its runs."""

    async def heard_at(self, run_id: str) -> float | None:
        """Never noted elsewhere."""
        return None
