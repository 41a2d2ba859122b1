"""``HttpReporter``: the runner's ``Reporter`` when the server is in another process."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import random
import socket
from typing import Any, Final

import httpx
import msgspec

from crawlscope import __version__
from crawlscope.client.answers import (
    ServerError,
    ServerUnreachable,
    TokenRefused,
    describe,
    error_field,
    error_message,
    retry_after,
)
from crawlscope.client.control import ServerControl
from crawlscope.client.delivery import DeliveryLog, DeliveryStats
from crawlscope.client.host import HostSampler
from crawlscope.client.items import RemoteItemSink
from crawlscope.events import Action, ActivityEvent
from crawlscope.ingest import IngestResult, event_index

__all__ = ["INGEST_PATH", "HttpReporter"]

log = logging.getLogger("crawlscope.client")

INGEST_PATH: Final = "/api/ingest"
_RUN_ENDS: Final = frozenset({Action.RUN_COMPLETED, Action.RUN_CANCELLED, Action.RUN_FAILED})
# Worth retrying: the server may come back, the token may be re-enabled, a proxy may recover.
_RETRYABLE: Final = frozenset({401, 403, 408, 425, 429, 500, 502, 503, 504})
_NODELAY: Final = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]

_encode = msgspec.json.Encoder().encode
_decode_result = msgspec.json.Decoder(IngestResult).decode


class HttpReporter:
    """A ``Reporter`` that delivers events to a server's ``POST /api/ingest``.

    Args:
        server: the server's base URL, e.g. ``http://127.0.0.1:8000``.
        token: a bearer token with the ``ingest`` role (None when auth is off).
        batch_size: events per request at most.
        max_delay: seconds an event may wait for its batch to fill.
        max_buffer: events kept locally while delivery fails; the oldest go first.
        poll_interval: seconds between command polls when there is nothing to send.
        timeout: seconds per request.
        backoff_base / backoff_max: retry delays double from base up to max (with jitter).
        flush_timeout: seconds ``flush`` waits at most (None: until delivered).
        transport: an httpx transport (tests, proxies); default: a real connection.
        host_every_s: seconds between two samples of this machine's CPU and memory sent
            with a batch (shown on the run's page); 0 sends none.
    """

    def __init__(
        self,
        server: str,
        token: str | None = None,
        *,
        batch_size: int = 500,
        max_delay: float = 0.2,
        max_buffer: int = 100_000,
        poll_interval: float = 0.5,
        timeout: float = 30.0,
        backoff_base: float = 0.25,
        backoff_max: float = 10.0,
        flush_timeout: float | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        host_every_s: float = 10.0,
    ) -> None:
        if batch_size < 1 or max_buffer < batch_size:
            raise ValueError("batch_size must be >= 1 and max_buffer >= batch_size")
        self.server = server.rstrip("/")
        self.batch_size = batch_size
        self.max_delay = max_delay
        self.max_buffer = max_buffer
        self.poll_interval = poll_interval
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.flush_timeout = flush_timeout
        self.stats = DeliveryStats()
        self._wake = asyncio.Event()
        self.control = ServerControl(self._wake)
        headers = {"User-Agent": f"crawlscope/{__version__}", "Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if transport is None:
            # Headers and body go out in separate writes; without TCP_NODELAY the body
            # can wait for a delayed ACK.
            transport = httpx.AsyncHTTPTransport(socket_options=_NODELAY)
        self._client = httpx.AsyncClient(
            base_url=self.server,
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            transport=transport,
        )
        self._buffer: collections.deque[ActivityEvent] = collections.deque()
        self._taken = 0  # events removed from the buffer (sent or dropped)
        self._in_flight_first = 0  # emission index of the oldest event in flight (0: none)
        self._active_runs: dict[str, None] = {}
        self._full = asyncio.Event()
        self._changed = asyncio.Event()
        self._flushing = 0
        self._closing = False
        self._sender: asyncio.Task[None] | None = None
        self._log = DeliveryLog(self.server, self.stats, max_buffer)
        self._host = HostSampler(host_every_s)

    # -- the Reporter protocol ------------------------------------------------------------

    def emit(self, event: ActivityEvent) -> None:
        """Buffer one event for delivery; never blocks (the oldest is dropped when full)."""
        buffer = self._buffer
        if len(buffer) >= self.max_buffer:
            buffer.popleft()
            self._taken += 1
            self.stats.dropped += 1
            self._log.dropped()
        buffer.append(event)
        self.stats.emitted += 1
        size = len(buffer)
        if size == 1:
            self._wake.set()
        elif size >= self.batch_size:
            self._full.set()
        if event.worker_id == 0 and event.action in _RUN_ENDS:
            # Its commands no longer matter; stop polling for them.
            self._active_runs.pop(event.run_id, None)

    def congested(self) -> bool:
        """The buffer is more than 80% full: the runner's workers wait (``wait_ready``)
        before their next task rather than have the oldest events dropped."""
        return len(self._buffer) > self.max_buffer * 0.8

    async def wait_ready(self) -> None:
        """Return once the buffer is at most half full (the server took the rest), or
        the reporter is closing."""
        while len(self._buffer) > self.max_buffer // 2 and not self._closing:
            self._changed.clear()
            await self._changed.wait()

    def resume_hint(self, run_id: str) -> str:
        """How to resume a run reporting here (said when one pauses itself)."""
        return (
            f"the dashboard ({self.server}/runs/{run_id}) "
            f"or POST {self.server}/api/runs/{run_id}/resume"
        )

    async def open_run(
        self, run_id: str, collection: str, params: dict[str, Any], dataset: str | None
    ) -> None:
        """Start delivering; the run's row is created by its first events on the server."""
        self.start()
        self._active_runs[run_id] = None

    async def flush(self) -> None:
        """Wait until every event emitted so far is delivered (or ``flush_timeout`` passes)."""
        if not await self.drain(self.flush_timeout):
            log.warning(
                "gave up waiting for delivery after %.0fs: %d events still undelivered",
                self.flush_timeout or 0,
                self.undelivered,
            )

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Start the background sender (idempotent; needs a running event loop)."""
        if self._sender is None or self._sender.done():
            self._closing = False
            self._sender = asyncio.create_task(self._send_loop(), name="crawlscope-reporter")

    async def close(self, timeout: float | None = None) -> bool:
        """Deliver what is buffered (waiting at most ``timeout`` s), then stop.

        Returns whether everything was delivered; undelivered events count as abandoned.
        """
        if self._client.is_closed:
            return self.undelivered == 0
        delivered = await self.drain(timeout)
        self._closing = True
        self._wake.set()
        if self._sender is not None:
            if not delivered:
                self._sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sender
            self._sender = None
        left = self.undelivered
        if left:
            self.stats.abandoned += left
            self._buffer.clear()
            self._in_flight_first = 0
            log.warning("stopped with %d events undelivered", left)
        if self.stats.dropped:
            log.warning(
                "%d events were dropped because the local buffer (%d) was full",
                self.stats.dropped,
                self.max_buffer,
            )
        await self._client.aclose()
        return delivered

    async def __aenter__(self) -> HttpReporter:
        self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close(self.flush_timeout)

    def item_sink(self, dataset: str, *, run_id: str | None = None) -> RemoteItemSink:
        """An ``ItemSink`` storing items in the server's ``dataset`` through this
        reporter's connection (``crawlscope.client.items``)."""
        return RemoteItemSink(self, dataset, run_id=run_id)

    # -- state ----------------------------------------------------------------------------

    @property
    def http(self) -> httpx.AsyncClient:
        """The connection to the server (base URL, token, timeouts) requests share."""
        return self._client

    @property
    def buffered(self) -> int:
        """Events waiting in the local buffer (not counting a batch in flight)."""
        return len(self._buffer)

    @property
    def undelivered(self) -> int:
        """Events emitted and not yet delivered, dropped, rejected or abandoned."""
        s = self.stats
        return s.emitted - s.delivered - s.dropped - s.rejected - s.abandoned

    async def drain(self, timeout: float | None = None) -> bool:
        """Wait until the events emitted so far are settled; False if ``timeout`` passed."""
        target = self.stats.emitted
        if self._oldest_unsettled() > target:
            return True
        self.start()
        self._flushing += 1
        self._wake.set()
        self._full.set()
        try:
            async with asyncio.timeout(timeout):
                while self._oldest_unsettled() <= target:
                    self._changed.clear()
                    await self._changed.wait()
        except TimeoutError:
            return False
        finally:
            self._flushing -= 1
        return True

    async def check(self) -> None:
        """Make one empty ingest request: is the server there and does it take the token?

        Raises ``ServerUnreachable``, ``TokenRefused`` or ``ServerError`` with the reason.
        """
        try:
            response = await self._client.post(INGEST_PATH, content=b'{"events":[]}')
        except httpx.TransportError as exc:
            raise ServerUnreachable(f"cannot reach {self.server}: {describe(exc)}") from exc
        if response.status_code in (401, 403):
            raise TokenRefused(f"{response.status_code}: {error_message(response)}")
        if response.status_code == 404:
            raise ServerError(f"{self.server} has no {INGEST_PATH}; is it a crawlscope server?")
        if response.status_code != 200:
            raise ServerError(f"{response.status_code}: {error_message(response)}")

    def _oldest_unsettled(self) -> int:
        if self._in_flight_first:
            return self._in_flight_first
        return self._taken + 1

    # -- the sender -----------------------------------------------------------------------

    def _urgent(self) -> bool:
        return self._flushing > 0 or self._closing or self.control.has_acks

    async def _send_loop(self) -> None:
        while True:
            try:
                if not self._buffer and not self.control.has_acks:
                    if self._closing:
                        return
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self.poll_interval):
                            await self._wake.wait()
                    if not self._buffer and not self.control.has_acks:
                        if self._active_runs and not self._closing:
                            await self._deliver([], [], poll=True)
                        continue
                if self._buffer and len(self._buffer) < self.batch_size and not self._urgent():
                    # Give the batch up to max_delay to fill.
                    self._full.clear()
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self.max_delay):
                            await self._full.wait()
                await self._send_next()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("event sender failed; continuing")
                await asyncio.sleep(self.backoff_base)

    async def _send_next(self) -> None:
        buffer = self._buffer
        count = min(self.batch_size, len(buffer))
        batch = [buffer.popleft() for _ in range(count)]
        self._in_flight_first = self._taken + 1 if count else 0
        self._taken += count
        try:
            await self._deliver(batch, self.control.take_acks())
        finally:
            self._in_flight_first = 0
            self._changed.set()

    async def _deliver(
        self, events: list[ActivityEvent], acks: list[tuple[int, str]], *, poll: bool = False
    ) -> None:
        """Send one batch until the server takes it (or refuses it for good)."""
        delay = self.backoff_base
        events = self._encodable(events)
        host = await self._host.due() if self._active_runs else None
        while True:
            body: dict[str, Any] = {"events": events}
            if host is not None:
                body["host"] = host
            if acks:
                body["acks"] = [{"command_id": i, "outcome": o} for i, o in acks]
            if poll or acks:
                body["runs"] = list(self._active_runs)[:100]
            self.stats.requests += 1
            hint: float | None = None
            try:
                response = await self._client.post(INGEST_PATH, content=_encode(body))
            except httpx.TransportError as exc:
                problem = f"cannot reach {self.server}: {describe(exc)}"
                if poll:
                    self.stats.failed_requests += 1
                    self._log.problem(problem, self.buffered)
                    return
            else:
                status = response.status_code
                if status == 200:
                    self._accepted(events, response)
                    return
                problem = f"{status} from {self.server}: {error_message(response)}"
                if poll:
                    # Polls are not retried: the next one comes soon enough.
                    self.stats.failed_requests += 1
                    self._log.problem(problem, self.buffered)
                    return
                if status == 413 and len(events) > 1:
                    half = len(events) // 2
                    log.warning("batch of %d events too large; splitting it", len(events))
                    await self._deliver(events[:half], acks)
                    await self._deliver(events[half:], [])
                    return
                if status == 422:
                    field = error_field(response)
                    index = event_index(field)
                    if index is not None and index < len(events):
                        log.error("server rejected event %s: %s", events[index].id, problem)
                        self.stats.rejected += 1
                        events = events[:index] + events[index + 1 :]
                        continue
                    if field and field.startswith("acks") and acks:
                        log.error("server rejected command acknowledgements: %s", problem)
                        acks = []
                        continue
                if status not in _RETRYABLE:
                    log.error("server rejected a batch of %d events: %s", len(events), problem)
                    self.stats.rejected += len(events)
                    if events and acks:
                        self.control.return_acks(acks)
                    return
                hint = retry_after(response)
            self.stats.failed_requests += 1
            self._log.problem(problem, self.buffered)
            wait = hint if hint is not None else delay * random.uniform(0.5, 1.0)
            await asyncio.sleep(min(wait, self.backoff_max))
            delay = min(delay * 2, self.backoff_max)

    def _encodable(self, events: list[ActivityEvent]) -> list[ActivityEvent]:
        """The events that can be sent as JSON (collector code may put anything in extra)."""
        try:
            _encode(events)
        except (TypeError, ValueError, OverflowError):
            pass
        else:
            return events
        good: list[ActivityEvent] = []
        for event in events:
            try:
                _encode(event)
            except (TypeError, ValueError, OverflowError) as exc:
                log.error(
                    "event %s (%s) cannot be encoded as JSON: %s", event.id, event.action, exc
                )
                self.stats.rejected += 1
            else:
                good.append(event)
        return good

    def _accepted(self, events: list[ActivityEvent], response: httpx.Response) -> None:
        self.stats.delivered += len(events)
        try:
            result = _decode_result(response.content)
        except msgspec.DecodeError:
            log.warning("unexpected answer from %s: %.200r", self.server, response.content)
        else:
            self.stats.duplicates += result.duplicates
            self.control.offer(result.commands)
        self._log.delivered()
