"""Sending notifications to channels: off the event loop, retried with backoff, every
attempt recorded.

``Notifier.deliver(channel, notification)`` sends one notification to one channel through
Apprise. Each attempt runs in a worker thread (``asyncio.to_thread``): Apprise's
synchronous ``notify`` loads the channel's plugin and sends. Apprise's ``async_notify`` is
not used: in Apprise 2.3 it still loads the URL and prepares the message on the calling
thread (and the first use of Apprise imports its ~260 plugins, about a quarter of a
second) before running the plugin's blocking ``send()`` in Apprise's own thread pool; no
plugin has a native asynchronous send. So the whole attempt goes to a thread and the event
loop only awaits it.

An attempt is bounded by ``timeout_s`` through Apprise's call timeout: Apprise stops
waiting and reports a timeout (a send already on the wire may still complete in
Apprise's pool), so a worker thread is never held much longer than that.

A failed attempt is retried after ``backoff_s``, then twice that, and so on (at most
``MAX_BACKOFF_S``), up to ``attempts`` in all. Every attempt (delivered, failed with
Apprise's reason, or cancelled while in flight) is handed to ``record`` as a
``DeliveryAttempt`` carrying the channel's redacted URL, never its secrets. A URL Apprise
cannot load is not retried: the same URL would fail the same way.

A failure's text is Apprise's own reason, led by the server for email and webhooks and by
the HTTP status when there was one: ``HTTP 500 from 127.0.0.1:8080: Failed to send JSON
POST notification: Internal server error., error=500.``, ``127.0.0.1:2525: Connection
error while submitting email to "127.0.0.1"``, ``127.0.0.1:8080: Service 'JSON' did not
finish within 15.0s.``

What a channel receives: the notification's ``title`` and ``body`` (plain text) and a
type from its severity (info -> ``info``, warning -> ``warning``, critical ->
``failure``; a resolved notice is ``success``), which services show as a colour or icon.
Email: ``title`` is the subject and ``body`` the text/plain message. The generic JSON
webhook (``json://host:port/path``, ``jsons://`` for https) gets one POST with
``Content-Type: application/json`` and ``User-Agent: Apprise``::

    {"version": "1.0", "title": "<title>", "message": "<body>", "attachments": [],
     "type": "info" | "success" | "warning" | "failure"}

The notification's ``alerts`` list is not sent as structured data (Apprise's JSON plugin
posts only the fields above); whatever a receiver should read goes into ``title`` and
``body``. Apprise's own retries stay off (``retry=0`` unless a URL asks for more), so the
records here are the attempts that were made. A URL with several recipients is retried
as a whole: a recipient that accepted an attempt which failed for another may receive
the notice again.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import apprise
import msgspec

from crawlscope.alerts.channels import ADDRESS_SCHEMES, Channel, hide_secrets, redact
from crawlscope.alerts.model import DeliveryAttempt
from crawlscope.timestamps import format_ts, utc_now

__all__ = ["MAX_BACKOFF_S", "DeliveryAttempt", "Notification", "Notifier", "notify_type"]

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 60.0
"""The longest wait between two attempts, however many attempts are configured."""

_GRACE_S = 5.0
"""How much longer than ``timeout_s`` an attempt is awaited before it counts as lost
(Apprise's own timeout should have ended it by then)."""

_CANCEL_GRACE_S = 1.0
"""How long ``aclose`` lets cancelled deliveries record their interrupted attempt."""

_SEVERITY_TYPES = {
    "info": apprise.NotifyType.INFO,
    "warning": apprise.NotifyType.WARNING,
    "critical": apprise.NotifyType.FAILURE,
}


class Notification(msgspec.Struct, frozen=True, kw_only=True):
    """One message for one group of alerts, as every channel of the group receives it."""

    key: str
    """The notification group's key (carried into the attempt records)."""
    status: str
    """``firing``, ``resolved`` or ``test``."""
    severity: str
    """``info``, ``warning`` or ``critical``: the type services show (``notify_type``)."""
    title: str
    """The subject of an email, the title of a chat message or webhook body."""
    body: str
    """Plain text."""
    alerts: list[dict[str, Any]] = []
    """The alerts in this group (labels, summary, state, since); not sent as such."""


Record = Callable[[DeliveryAttempt], Awaitable[None]]


def notify_type(notification: Notification) -> apprise.NotifyType:
    """The Apprise type for ``notification``: ``success`` when it is a resolved notice,
    else by severity (info -> INFO, warning -> WARNING, critical -> FAILURE; anything else
    -> INFO)."""
    if notification.status == "resolved":
        return apprise.NotifyType.SUCCESS
    return _SEVERITY_TYPES.get(notification.severity, apprise.NotifyType.INFO)


@dataclass(frozen=True)
class _Outcome:
    """What one attempt came to."""

    delivered: bool
    error: str | None = None
    retry: bool = True
    """False when trying again cannot help (a URL Apprise cannot load)."""


class Notifier:
    """Sends notifications to channels: in worker threads, retried, every attempt recorded.

    ``deliver`` sends and returns whether it was delivered; ``submit`` does the same in a
    task of its own (fire and forget) that ``aclose`` waits for when the server stops.
    """

    def __init__(
        self,
        *,
        record: Record | None = None,
        attempts: int = 3,
        backoff_s: float = 1.0,
        timeout_s: float = 15.0,
    ) -> None:
        """``record`` is awaited with every attempt; ``attempts`` (at least 1) is how many
        tries a notification gets; ``backoff_s`` the wait after the first failure (doubled
        after each further one); ``timeout_s`` the longest one attempt may take."""
        if attempts < 1:
            raise ValueError(f"attempts must be at least 1, not {attempts}")
        if backoff_s < 0:
            raise ValueError(f"backoff_s must not be negative, not {backoff_s}")
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be positive, not {timeout_s}")
        self._record = record
        self.attempts = attempts
        self.backoff_s = backoff_s
        self.timeout_s = timeout_s
        self._tasks: set[asyncio.Task[bool]] = set()
        self._closed = False

    @property
    def pending(self) -> int:
        """Deliveries started by ``submit`` that have not finished."""
        return len(self._tasks)

    def backoff(self, failed_attempt: int) -> float:
        """Seconds to wait after attempt ``failed_attempt`` (1-based) failed."""
        return float(min(self.backoff_s * 2 ** (failed_attempt - 1), MAX_BACKOFF_S))

    async def deliver(self, channel: Channel, notification: Notification) -> bool:
        """Send ``notification`` to ``channel``; True once delivered.

        Retries failed sends (``attempts``, exponential backoff) and awaits ``record`` for
        every attempt. Never raises for a failed delivery (or a failing ``record``, which
        is logged). A resolved notice for a channel with ``send_resolved=False`` is
        skipped: True, nothing sent, nothing recorded.
        """
        if notification.status == "resolved" and not channel.send_resolved:
            return True
        for attempt in range(1, self.attempts + 1):
            try:
                outcome = await self._attempt(channel, notification)
            except asyncio.CancelledError:
                interrupted = _Outcome(False, "cancelled before the send finished")
                await self._save(channel, notification, attempt, interrupted)
                raise
            await self._save(channel, notification, attempt, outcome)
            if outcome.delivered:
                return True
            if not outcome.retry or attempt == self.attempts:
                log.warning(
                    "notification %s not delivered to channel %r (%s) after %d attempt(s): %s",
                    notification.key,
                    channel.name,
                    redact(channel.url),
                    attempt,
                    outcome.error,
                )
                return False
            await asyncio.sleep(self.backoff(attempt))
        return False  # pragma: no cover - the loop returns on its last attempt

    def submit(self, channel: Channel, notification: Notification) -> None:
        """Start ``deliver(channel, notification)`` in a task of its own and return.

        The task is kept until it ends (``pending``); ``aclose`` waits for it. Raises
        RuntimeError once the notifier is closed.
        """
        if self._closed:
            raise RuntimeError("the notifier is closed")
        task = asyncio.get_running_loop().create_task(
            self.deliver(channel, notification),
            name=f"notify-{channel.name}-{notification.key}",
        )
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    async def aclose(self, timeout_s: float = 5.0) -> None:
        """Refuse new submissions, wait up to ``timeout_s`` for pending deliveries, then
        cancel the rest (an attempt in flight is recorded as cancelled)."""
        self._closed = True
        if not self._tasks:
            return
        _, unfinished = await asyncio.wait(set(self._tasks), timeout=max(0.0, timeout_s))
        if not unfinished:
            return
        log.warning(
            "%d notification(s) still being sent after %.1f s; cancelling them",
            len(unfinished),
            timeout_s,
        )
        for task in unfinished:
            task.cancel()
        await asyncio.wait(unfinished, timeout=_CANCEL_GRACE_S)

    # -- internals ------------------------------------------------------------------------

    async def _attempt(self, channel: Channel, notification: Notification) -> _Outcome:
        """One send in a worker thread; any failure becomes an ``_Outcome``."""
        try:
            async with asyncio.timeout(self.timeout_s + _GRACE_S):
                return await asyncio.to_thread(
                    _send,
                    channel.url,
                    notification.title,
                    notification.body or notification.title,
                    notify_type(notification),
                    self.timeout_s,
                )
        except TimeoutError:
            return _Outcome(False, f"no result within {self.timeout_s + _GRACE_S:g} s")
        except Exception as exc:  # a bug in a plugin, not a delivery failure to raise
            log.exception("sending to channel %r failed unexpectedly", channel.name)
            return _Outcome(False, hide_secrets(f"{type(exc).__name__}: {exc}", channel.url))

    async def _save(
        self, channel: Channel, notification: Notification, attempt: int, outcome: _Outcome
    ) -> None:
        """Hand the attempt to ``record``; a failing ``record`` is logged, not raised."""
        if self._record is None:
            return
        entry = DeliveryAttempt(
            notification_key=notification.key,
            status=notification.status,
            channel=channel.name,
            url=redact(channel.url),
            attempt=attempt,
            delivered=outcome.delivered,
            error=None if outcome.delivered else (outcome.error or "not delivered"),
            at=format_ts(utc_now()),
        )
        try:
            await self._record(entry)
        except Exception:
            log.exception("could not record delivery attempt %d to %r", attempt, channel.name)

    def _finished(self, task: asyncio.Task[bool]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("notification task %s failed", task.get_name(), exc_info=exc)


def _send(url: str, title: str, body: str, kind: apprise.NotifyType, timeout_s: float) -> _Outcome:
    """One blocking send through Apprise (runs in a worker thread)."""
    try:
        plugin = apprise.Apprise.instantiate(url, suppress_exceptions=False)
    except Exception as exc:
        return _Outcome(False, "invalid URL: " + hide_secrets(str(exc).strip(), url), retry=False)
    if plugin is None:
        return _Outcome(False, "Apprise cannot load this URL", retry=False)
    sender = apprise.Apprise(asset=apprise.AppriseAsset(app_id="crawlscope"))
    sender.add(plugin)
    result = sender.notify(
        body=body,
        title=title,
        notify_type=kind,
        body_format=apprise.NotifyFormat.TEXT,
        timeout=timeout_s,
    )
    try:
        if result:
            return _Outcome(True)
        # Apprise's reasons, captured per call (WARNING and above): "Failed to send JSON
        # POST notification: Internal server error., error=500.", "Connection error while
        # submitting email to ...", "Service 'JSON' did not finish within 15.0s."
        reasons = list(dict.fromkeys(entry.message.strip() for entry in result.logs()))
        error = "; ".join(reason for reason in reasons if reason)
        error = _with_target(error or f"not delivered ({result.status.name})", plugin, url)
        return _Outcome(False, hide_secrets(error, url))
    finally:
        result.close()


_HTTP_STATUS = re.compile(r"\berror=(\d{3})\b")
"""How Apprise's HTTP plugins end a refusal: "..., error=500."."""


def _with_target(error: str, plugin: Any, url: str) -> str:
    """``error`` led by where it went and the HTTP status when Apprise gave one:
    ``HTTP 500 from 127.0.0.1:8080: Failed to send JSON POST notification: ...``.

    The server is named only for email and the generic webhooks, whose host is an address;
    other services' URLs carry tokens where a host would be.
    """
    target = ""
    if url.partition("://")[0].lower() in ADDRESS_SCHEMES:
        host = getattr(plugin, "smtp_host", None) or getattr(plugin, "host", None)
        port = getattr(plugin, "port", None)
        if isinstance(host, str) and host:
            target = f"{host}:{port}" if isinstance(port, int) else host
    status = _HTTP_STATUS.search(error)
    if status and target:
        return f"HTTP {status.group(1)} from {target}: {error}"
    if status:
        return f"HTTP {status.group(1)}: {error}"
    return f"{target}: {error}" if target else error
