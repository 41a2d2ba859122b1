"""What a process knows of the live remote runs other processes own: their frame notices.

The owner of a remote run (``bus/redis_owners.py``) announces every frame it publishes on
one installation-wide stream, ``{prefix}:frames``, in the same script call that writes
the frame (``PUBLISH_FRAMES``): one entry per publishing round, holding for each frame
written the run, the owner's aggregate version and the run's status. Every process's bus
reader already blocks on the lifecycle stream; it reads this one in the same ``XREAD`` and
hands the entries to a ``FrameNotices``, which keeps the newest notice per run. So the
installation stream and ``/metrics`` of every process list the runs owned elsewhere
(``FrameSource.remote_runs``), and read their frames where ``GET /api/runs/{id}`` does
(the published frame), when a notice says they changed.

Notices rather than frame bodies: a round of an owner with many runs of 50 workers each
would make one entry of megabytes, and ``MAXLEN`` bounds entries, not bytes; a notice
is tens of bytes, and the body is read only by processes that send it somewhere, at most
once per change (``LiveFeeds.state`` shares it between connections).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import NamedTuple

import msgspec

from crawlscope.status import RunStatus

__all__ = ["FrameNotices", "RemoteRun", "notice"]

_encode = msgspec.json.Encoder().encode
_decode_list = msgspec.json.Decoder(list[tuple[str, int, RunStatus]]).decode


def notice(run_id: str, version: int, status: RunStatus) -> bytes:
    """One run's notice as the publishing script joins it into an entry (JSON)."""
    return _encode((run_id, version, status))


class RemoteRun(NamedTuple):
    """A run another process aggregates, as its newest frame notice says.

    ``version`` is numbered here: it grows whenever a notice brings another version of
    the owner's aggregate (or another owner), so it can tell a stale frame like the
    version of a run aggregated here; ``owner`` is the owning process's token.
    """

    run_id: str
    version: int
    status: RunStatus
    owner: str

    @property
    def ended(self) -> bool:
        """Whether the run reached a terminal status."""
        return self.status.terminal


class _Entry:
    __slots__ = ("heard", "owner", "owner_version", "run")

    def __init__(self, run: RemoteRun, owner_version: int, heard: float) -> None:
        self.run = run
        self.owner_version = owner_version
        self.heard = heard


class FrameNotices:
    """The newest frame notice of every run owned by a process, bounded.

    ``expire_s``: a run whose notices stop for this long is dropped (its owner died and
    nobody took it over, or it forgot the run a while after its end). Owners publish a
    fresh frame of every run they hold at least every third of a lease, so the default,
    three leases, outlasts a takeover. ``limit``: at most this many runs are kept (the
    ones heard of longest ago go first).
    """

    def __init__(
        self,
        *,
        expire_s: float = 30.0,
        limit: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.expire_s = expire_s
        self.limit = limit
        self._clock = clock
        self._runs: dict[str, _Entry] = {}
        self._version = 0
        self._watchers: set[asyncio.Event] = set()

    def take(self, entries: list[tuple[bytes, dict[bytes, bytes]]]) -> None:
        """Note the notices of stream entries (the bus reader calls this, in order)."""
        now = self._clock()
        changed = False
        runs = self._runs
        for _, fields in entries:
            owner = fields[b"o"].decode()
            try:
                notices = _decode_list(fields[b"n"])
            except (KeyError, msgspec.ValidationError, msgspec.DecodeError):
                continue  # another version's entry: its runs are heard of at their next one
            for run_id, owner_version, status in notices:
                entry = runs.pop(run_id, None)  # re-inserted: the dict stays oldest first
                if entry is None or (entry.run.owner, entry.owner_version) != (
                    owner,
                    owner_version,
                ):
                    self._version += 1
                    entry = _Entry(
                        RemoteRun(run_id, self._version, status, owner), owner_version, now
                    )
                    changed = True
                else:
                    # The same aggregate published again (rates and the ETA moved): the
                    # body is fresher, the version is not new; a heartbeat shows it.
                    entry.heard = now
                runs[run_id] = entry
        while len(runs) > self.limit:
            del runs[next(iter(runs))]
        if changed:
            for wakeup in self._watchers:
                wakeup.set()

    def runs(self, *, besides: str | None = None) -> list[RemoteRun]:
        """Every run heard of within ``expire_s``, but those owned by ``besides`` (this
        process's token: its own runs come from its aggregator)."""
        self._expire()
        return [e.run for e in self._runs.values() if e.run.owner != besides]

    def get(self, run_id: str) -> RemoteRun | None:
        """The run's newest notice, if heard of within ``expire_s``."""
        self._expire()
        entry = self._runs.get(run_id)
        return None if entry is None else entry.run

    def watch(self, wakeup: asyncio.Event) -> None:
        """Set ``wakeup`` whenever a notice brings a new version of some run."""
        self._watchers.add(wakeup)

    def unwatch(self, wakeup: asyncio.Event) -> None:
        """Stop setting ``wakeup``."""
        self._watchers.discard(wakeup)

    def _expire(self) -> None:
        horizon = self._clock() - self.expire_s
        runs = self._runs
        # Oldest heard of first: stop at the first one heard of lately.
        while runs:
            run_id, entry = next(iter(runs.items()))
            if entry.heard >= horizon:
                break
            del runs[run_id]

    def __len__(self) -> int:
        return len(self._runs)
