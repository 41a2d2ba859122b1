"""What became of a reporter's events, and logging of delivery trouble that does not flood."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Final

__all__ = ["DeliveryLog", "DeliveryStats"]

log = logging.getLogger("crawlscope.client")

# A server that is down for minutes must not produce a log line per retry.
_LOG_EVERY: Final = 10.0


@dataclass
class DeliveryStats:
    """What became of the events emitted so far.

    ``emitted = delivered + dropped + rejected + abandoned + still buffered``; ``delivered``
    includes events the server already had (``duplicates``, after a lost response).
    """

    emitted: int = 0
    delivered: int = 0
    duplicates: int = 0
    dropped: int = 0
    rejected: int = 0
    abandoned: int = 0
    requests: int = 0
    failed_requests: int = 0


class DeliveryLog:
    """Logs failing deliveries and dropped events at most once every ten seconds each,
    and once when delivery works again."""

    def __init__(self, server: str, stats: DeliveryStats, max_buffer: int) -> None:
        self.server = server
        self.stats = stats
        self.max_buffer = max_buffer
        self.failing_since: float | None = None
        self._last_problem_log = 0.0
        self._last_drop_log = 0.0
        self._drops_logged = 0

    def problem(self, problem: str, buffered: int) -> None:
        """A request failed (``problem`` says how); ``buffered`` events wait."""
        now = time.monotonic()
        if self.failing_since is None:
            self.failing_since = now
        if now - self._last_problem_log >= _LOG_EVERY:
            self._last_problem_log = now
            log.warning(
                "event delivery failing (%s); retrying, %d events buffered", problem, buffered
            )

    def dropped(self) -> None:
        """The local buffer was full and its oldest event was dropped."""
        now = time.monotonic()
        if self._drops_logged == 0 or now - self._last_drop_log >= _LOG_EVERY:
            self._last_drop_log = now
            self._log_drops()

    def delivered(self) -> None:
        """A request succeeded: say so if it follows failures."""
        if self.failing_since is None:
            return
        log.warning(
            "delivering to %s again after %.1fs of failures",
            self.server,
            time.monotonic() - self.failing_since,
        )
        self.failing_since = None
        if self.stats.dropped > self._drops_logged:
            self._log_drops()

    def _log_drops(self) -> None:
        self._drops_logged = self.stats.dropped
        log.warning(
            "local event buffer full (%d events) while delivery fails: "
            "dropped the oldest, %d dropped so far",
            self.max_buffer,
            self.stats.dropped,
        )
