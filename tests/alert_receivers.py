"""Real local receivers for alert notifications: an SMTP server and a JSON webhook.

Both listen on 127.0.0.1 only, on a free port, and keep what they received, so a test can
send through the notifier (Apprise) and assert on what really arrived:

* ``smtp_receiver()``: an aiosmtpd server (plain SMTP, no TLS, no login) in its own thread;
  ``SmtpReceiver.apprise_url(...)`` is the ``mailto://`` URL that reaches it.
* ``webhook_receiver()``: a small aiohttp app on the test's event loop that records every
  request's JSON body; it can be told to answer the first N requests with 500 (``fail_first``)
  or to take its time (``delay_s``). ``WebhookReceiver.apprise_url(...)`` is its ``json://`` URL.

Use them as async context managers, or wrap them in a fixture::

    @pytest.fixture
    async def smtp() -> AsyncIterator[SmtpReceiver]:
        async with smtp_receiver() as server:
            yield server
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import json
import socket
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


# -- SMTP ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedMail:
    """One message the SMTP server accepted: the envelope and the parsed message."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")

    @property
    def text(self) -> str:
        """The text/plain body (or the HTML one when there is no plain part)."""
        part = self.message.get_body(("plain", "html"))
        return "" if part is None else str(part.get_content())


class SmtpReceiver:
    """An aiosmtpd server on 127.0.0.1 that keeps every message it accepts.

    Messages arrive in the server's own thread; ``messages`` is a snapshot and
    ``wait_for`` waits until enough have arrived.
    """

    def __init__(self) -> None:
        self.port = 0
        self._messages: list[ReceivedMail] = []
        self._lock = threading.Lock()

    @property
    def messages(self) -> list[ReceivedMail]:
        with self._lock:
            return list(self._messages)

    def apprise_url(
        self, *, sender: str = "alerts@crawlscope.test", to: str = "ops@example.com"
    ) -> str:
        """The Apprise URL that sends to this server: plain SMTP, no TLS, no login."""
        return f"mailto://{HOST}:{self.port}?from={sender}&to={to}"

    async def wait_for(self, count: int = 1, timeout_s: float = 10.0) -> list[ReceivedMail]:
        """The messages once at least ``count`` have arrived; AssertionError after
        ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while len(received := self.messages) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(received)} of {count} emails within {timeout_s} s")
            await asyncio.sleep(0.01)
        return received

    # aiosmtpd's handler hook: called in the server's thread for each accepted message.
    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        message = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        mail = ReceivedMail(str(envelope.mail_from), list(envelope.rcpt_tos), message)
        with self._lock:
            self._messages.append(mail)
        return "250 Message accepted for delivery"


@contextlib.asynccontextmanager
async def smtp_receiver() -> AsyncIterator[SmtpReceiver]:
    """A running ``SmtpReceiver`` on a free port of 127.0.0.1, stopped afterwards."""
    receiver = SmtpReceiver()
    receiver.port = free_port()
    controller = Controller(receiver, hostname=HOST, port=receiver.port)
    await asyncio.to_thread(controller.start)
    try:
        yield receiver
    finally:
        await asyncio.to_thread(controller.stop)


# -- JSON webhook -------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedRequest:
    """One request the webhook received, and what it answered."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    """The parsed JSON body (None when the body was not JSON)."""
    status: int


@dataclass
class WebhookReceiver:
    """A JSON webhook on 127.0.0.1 that records every request.

    ``fail_first``: answer that many of the next requests with ``fail_status`` (500),
    then 200. ``delay_s``: wait that long before answering each request. ``requests`` has
    every request (failed ones too, with the status they got); ``delivered`` only those
    answered 200.
    """

    port: int = 0
    fail_first: int = 0
    fail_status: int = 500
    delay_s: float = 0.0
    requests: list[ReceivedRequest] = field(default_factory=list)
    _arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    @property
    def delivered(self) -> list[ReceivedRequest]:
        return [request for request in self.requests if request.status < 300]

    def apprise_url(self, path: str = "/hook", *, query: str = "") -> str:
        """The Apprise ``json://`` URL that posts here (``query`` without the ``?``)."""
        return f"json://{HOST}:{self.port}{path}" + (f"?{query}" if query else "")

    async def wait_for(self, count: int = 1, timeout_s: float = 10.0) -> list[ReceivedRequest]:
        """The delivered (200) requests once at least ``count`` have arrived; AssertionError
        after ``timeout_s``."""
        try:
            async with asyncio.timeout(timeout_s), self._arrived:
                await self._arrived.wait_for(lambda: len(self.delivered) >= count)
        except TimeoutError:
            raise AssertionError(
                f"{len(self.delivered)} of {count} webhook deliveries within {timeout_s} s "
                f"({len(self.requests)} requests)"
            ) from None
        return self.delivered

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = None
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        failing = self.fail_first > 0
        if failing:
            self.fail_first -= 1
        status = self.fail_status if failing else 200
        self.requests.append(
            ReceivedRequest(request.method, request.path, dict(request.headers), body, status)
        )
        async with self._arrived:
            self._arrived.notify_all()
        if failing:
            return web.json_response({"error": "scripted failure"}, status=status)
        return web.json_response({"ok": True})


@contextlib.asynccontextmanager
async def webhook_receiver() -> AsyncIterator[WebhookReceiver]:
    """A running ``WebhookReceiver`` on a free port of 127.0.0.1 (aiohttp on the current
    event loop), stopped afterwards."""
    receiver = WebhookReceiver()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", receiver.handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, HOST, 0)
    await site.start()
    receiver.port = runner.addresses[0][1]
    try:
        yield receiver
    finally:
        await runner.cleanup()
