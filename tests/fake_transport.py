"""An in-memory ``Transport`` for runner tests: scripted outcomes, no sockets, no clock.

It is a real implementation of ``crawlscope.runner.transport.Transport`` (not a mock):
``send`` answers from a per-URL script, raises what the script says, or hangs until
cancelled, and records every request it was handed.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from crawlscope.runner.transport import CONNECTION, TIMEOUT, Outcome, timeout_message

HANG = object()
"""A script step: ``send`` waits until it is cancelled."""


def answer(
    status: int = 200, body: bytes = b"ok", headers: Mapping[str, str] | None = None
) -> Outcome:
    """An answer with ``status`` (1.5 ms, so durations are predictable)."""
    return Outcome(status, dict(headers or {}), body, 1.5)


def timed_out(seconds: float = 30.0) -> Outcome:
    """A request that got no complete answer within ``seconds``."""
    return Outcome.failed(TIMEOUT, timeout_message(seconds), seconds * 1000)


def refused() -> Outcome:
    """A request whose connection was refused."""
    return Outcome.failed(CONNECTION, "ClientConnectorError: connection refused", 0.5)


@dataclass
class Sent:
    """One request the transport was handed."""

    method: str
    url: str
    params: Mapping[str, Any] | None
    headers: Mapping[str, str] | None
    json: Any
    data: Any
    timeout: float
    proxy: str | None = None


@dataclass
class FakeTransport:
    """Answers ``send`` from ``script[url]`` (in order), then ``default``.

    A step is an ``Outcome`` to return, an exception to raise, an ``asyncio.Future`` whose
    result (an ``Outcome``) to wait for and return, or ``HANG``.
    """

    default: Any = field(default_factory=answer)
    script: dict[str, collections.deque[Any]] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)
    in_flight: int = 0
    closed: bool = False
    started: asyncio.Event = field(default_factory=asyncio.Event)

    def queue(self, url: str, *steps: Any) -> None:
        """Answer the next requests for ``url`` with ``steps``, in order."""
        self.script.setdefault(url, collections.deque()).extend(steps)

    async def send(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
        json: Any,
        data: Any,
        timeout: float,
        proxy: str | None = None,
    ) -> Outcome:
        if self.closed:
            raise RuntimeError("send after close")
        self.sent.append(Sent(method, url, params, headers, json, data, timeout, proxy))
        queued = self.script.get(url)
        step = queued.popleft() if queued else self.default
        self.in_flight += 1
        self.started.set()
        try:
            if step is HANG:
                await asyncio.Event().wait()
            if isinstance(step, asyncio.Future):
                step = await step
            if isinstance(step, BaseException):
                raise step
            assert isinstance(step, Outcome), step
            return step
        finally:
            self.in_flight -= 1

    async def close(self) -> None:
        self.closed = True
