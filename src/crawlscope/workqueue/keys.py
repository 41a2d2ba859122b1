"""Key names of the distributed work queue (every key starts with ``redis_prefix``).

* ``{prefix}:wq:runs``: hash run id -> ``RunSpec`` (JSON) of every run whose tasks are
  on Redis; what a worker that starts mid-run reads first.
* ``{prefix}:wq:control``: stream of run changes (``open``, ``pause``, ``resume``,
  ``cancel``, ``end``) that every worker blocks on.
* ``{prefix}:wq:{run}:tasks:{phase}``: the phase's task stream, consumer group
  ``workers``; an entry is one dispatch of one task.
* ``{prefix}:wq:{run}:out``: what workers send back (events, task results), read by the
  coordinator alone.
* ``{prefix}:wq:{run}:wid``: counter handing each worker process a block of worker ids.
* ``{prefix}:wq:{run}:alive``: refreshed by the coordinator every half lease, expiring
  after three: a worker drops a run whose coordinator is gone.
* ``{prefix}:wq:{run}:site:{site}:*``: a site's shared limits (``shared_site``).
"""

from __future__ import annotations

__all__ = ["GROUP", "QueueKeys"]

GROUP = "workers"
"""The consumer group of every task stream."""


class QueueKeys:
    """The work queue's keys for one installation (``prefix``)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.runs = f"{prefix}:wq:runs"
        self.control = f"{prefix}:wq:control"

    def tasks(self, run_id: str, phase: str) -> str:
        """The task stream of ``phase`` in ``run_id``."""
        return f"{self.prefix}:wq:{run_id}:tasks:{phase}"

    def out(self, run_id: str) -> str:
        """What the workers of ``run_id`` send back to its coordinator."""
        return f"{self.prefix}:wq:{run_id}:out"

    def worker_ids(self, run_id: str) -> str:
        """The counter of worker ids handed out in ``run_id``."""
        return f"{self.prefix}:wq:{run_id}:wid"

    def alive(self, run_id: str) -> str:
        """Set (with an expiry) while ``run_id``'s coordinator is there."""
        return f"{self.prefix}:wq:{run_id}:alive"

    def site(self, run_id: str, site: str) -> str:
        """The prefix of ``site``'s shared-limit keys in ``run_id``."""
        return f"{self.prefix}:wq:{run_id}:site:{site}"

    def run_pattern(self, run_id: str) -> str:
        """A ``SCAN`` pattern for every key of ``run_id``."""
        return f"{self.prefix}:wq:{run_id}:*"
