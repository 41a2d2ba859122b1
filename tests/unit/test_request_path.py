"""The request path (runner/http.py over runner/request_path.py) with an in-memory transport.

No sockets and no wall-clock randomness: the transport answers from a script, backoff has
no jitter (or a seeded one), so every event, breaker move and delay is checked exactly.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

import pytest

from crawlscope.events import ActivityEvent, ErrorType
from crawlscope.runner import Collection, RequestFailed, Run, SitePolicy, Task
from crawlscope.runner.breaker import BreakerState
from crawlscope.runner.context import RunScope, TaskContext
from crawlscope.runner.control import RunControl
from crawlscope.runner.http import HttpClient
from crawlscope.runner.policy import backoff_delay
from crawlscope.runner.progress import Progress
from crawlscope.runner.queues import PhaseQueues
from crawlscope.runner.request_path import classify, retry_delay
from crawlscope.runner.site import Site, SiteRegistry
from crawlscope.runner.transport import Outcome
from tests.fake_transport import HANG, FakeTransport, answer, refused, timed_out

URL = "http://shop.test/p/1"
SITE = "shop.test"
# Backoff without jitter: attempt n waits 0.01 * 2**(n-1) s, capped at 0.04.
FAST = SitePolicy(max_attempts=3, backoff_base=0.01, backoff_max=0.04, backoff_jitter=0)


class Harness:
    """One task's ``ctx.http`` on a run scope whose events land in ``events``."""

    def __init__(self, transport: FakeTransport, policy: SitePolicy = FAST) -> None:
        self.transport = transport
        self.events: list[ActivityEvent] = []
        self.breaker_moves: list[tuple[str, str]] = []
        self.control = RunControl(max_consecutive_failures=5)
        self.scope = RunScope(
            run_id="run-1",
            collection=Collection("unit"),
            params={},
            emit=self.events.append,
            control=self.control,
            sites=SiteRegistry(policy, on_breaker=self._on_breaker),
            progress=Progress(),
            queues=PhaseQueues(["pages"]),
            pipeline=None,
            rng=random.Random(7),
            transport=transport,
        )
        self.ctx = TaskContext(
            self.scope, 3, "pages", Task("Product 1", category="Shoes", item="P1"), 1
        )

    def _on_breaker(self, key: str, old: BreakerState, new: BreakerState, failures: int) -> None:
        self.breaker_moves.append((old.value, new.value))

    @property
    def http(self) -> HttpClient:
        return self.ctx.http

    def site(self, key: str = SITE) -> Site:
        return self.scope.sites.get(key)

    def actions(self) -> list[tuple[str, int | None]]:
        return [(e.action, e.attempt) for e in self.events]


@pytest.fixture
def transport() -> FakeTransport:
    return FakeTransport()


@pytest.fixture
def harness(transport: FakeTransport) -> Harness:
    return Harness(transport)


# -- the four steps, end to end ----------------------------------------------------------


async def test_a_success_is_fetching_then_found_and_the_response(
    harness: Harness, transport: FakeTransport
) -> None:
    transport.queue(URL, answer(200, b"<html>hi</html>", {"Content-Type": "text/html"}))

    response = await harness.http.get(URL, params={"q": "x y", "page": 2}, headers={"A": "1"})

    full = f"{URL}?q=x+y&page=2"
    assert (response.status, response.text(), response.url) == (200, "<html>hi</html>", full)
    assert response.headers["Content-Type"] == "text/html"
    assert response.duration_ms == 1.5
    (sent,) = transport.sent
    # The transport gets the URL and the params separately, and the policy's timeout.
    assert (sent.method, sent.url, sent.params, sent.headers) == (
        "GET",
        URL,
        {"q": "x y", "page": 2},
        {"A": "1"},
    )
    assert sent.timeout == FAST.timeout
    fetching, found = harness.events
    assert harness.actions() == [("fetching", 1), ("found", 1)]
    for event in (fetching, found):
        assert (event.run_id, event.worker_id, event.phase) == ("run-1", 3, "pages")
        assert (event.task, event.category, event.item) == ("Product 1", "Shoes", "P1")
        assert (event.site, event.url, event.method) == (SITE, full, "GET")
    assert fetching.params == {"q": "x y", "page": 2}
    assert fetching.started_at is not None
    assert (found.status_code, found.duration_ms) == (200, 1.5)
    assert harness.site().in_flight == 0


async def test_a_5xx_is_retried_after_backoff_then_succeeds(
    harness: Harness, transport: FakeTransport
) -> None:
    transport.queue(URL, answer(503, b"  busy\n  now "), answer(502, b""), answer(200))

    response = await harness.http.post(URL, json={"a": 1}, timeout=2.5)

    assert response.status == 200
    assert harness.actions() == [
        ("fetching", 1),
        ("error", 1),
        ("retrying", 1),
        ("fetching", 2),
        ("error", 2),
        ("retrying", 2),
        ("fetching", 3),
        ("found", 3),
    ]
    first_error, second_error = (e for e in harness.events if e.action == "error")
    assert (first_error.status_code, first_error.error_type, first_error.error_stage) == (
        503,
        "http_5xx",
        "request",
    )
    assert first_error.error_message == "HTTP 503: busy now"
    assert second_error.error_message == "HTTP 502: (empty body)"
    assert first_error.duration_ms == 1.5
    delays = [e.extra for e in harness.events if e.action == "retrying"]
    assert delays == [{"delay_s": 0.01}, {"delay_s": 0.02}]
    assert all(e.error_type == "http_5xx" for e in harness.events if e.action == "retrying")
    assert [(s.method, s.json, s.timeout) for s in transport.sent] == [("POST", {"a": 1}, 2.5)] * 3
    # Two unhealthy answers in a row, then a success: the breaker never reached its threshold.
    assert harness.site().breaker.failures == 0


async def test_retries_end_at_max_attempts_with_request_failed(
    harness: Harness, transport: FakeTransport
) -> None:
    transport.default = answer(500, b"down")

    with pytest.raises(RequestFailed) as failed:
        await harness.http.get(URL)

    assert (failed.value.error_type, failed.value.status_code) == ("http_5xx", 500)
    assert (failed.value.attempts, failed.value.url) == (3, URL)
    assert str(failed.value) == "HTTP 500: down"
    assert harness.actions() == [
        ("fetching", 1),
        ("error", 1),
        ("retrying", 1),
        ("fetching", 2),
        ("error", 2),
        ("retrying", 2),
        ("fetching", 3),
        ("error", 3),
    ]
    assert harness.site().in_flight == 0


async def test_a_4xx_is_final_and_a_sign_of_life(
    harness: Harness, transport: FakeTransport
) -> None:
    transport.default = answer(404, b"no such page")
    harness.site().breaker.failures = 2  # earlier failures: a 4xx ends the streak

    with pytest.raises(RequestFailed) as failed:
        await harness.http.get(URL)

    assert (failed.value.error_type, failed.value.attempts) == ("http_4xx", 1)
    assert harness.actions() == [("fetching", 1), ("error", 1)]
    assert harness.site().breaker.failures == 0
    # ... unless the handler allows it.
    response = await harness.http.get(URL, allow_status=(404,))
    assert response.status == 404
    assert harness.actions()[-2:] == [("fetching", 1), ("found", 1)]


async def test_transport_failures_are_retried_and_count_against_the_breaker(
    transport: FakeTransport,
) -> None:
    harness = Harness(transport, FAST.replace(max_attempts=2, breaker_threshold=2))
    transport.queue(URL, timed_out(30.0), refused())

    with pytest.raises(RequestFailed) as failed:
        await harness.http.get(URL)

    assert (failed.value.error_type, failed.value.status_code) == ("connection", None)
    timeout, connection = (e for e in harness.events if e.action == "error")
    assert (timeout.error_type, timeout.status_code) == ("timeout", None)
    assert timeout.error_message == "no complete response within 30s"
    assert timeout.duration_ms == 30000.0
    assert connection.error_type == "connection"
    assert connection.error_message == "ClientConnectorError: connection refused"
    assert harness.site().breaker.state is BreakerState.OPEN
    assert harness.breaker_moves == [("closed", "open")]


async def test_a_429_holds_the_site_for_its_capped_retry_after(
    transport: FakeTransport,
) -> None:
    harness = Harness(transport, FAST.replace(max_retry_after=0.05))
    transport.queue(URL, answer(429, b"slow down", {"Retry-After": "3600"}), answer(200))
    site = harness.site()
    held_during_retry: list[bool] = []
    original_emit = harness.scope.emit

    def emit(event: ActivityEvent) -> None:
        if event.action == "retrying":
            held_during_retry.append(not site.try_enter())
        original_emit(event)

    harness.scope.emit = emit
    started = time.monotonic()

    response = await harness.http.get(URL)

    assert response.status == 200
    assert time.monotonic() - started >= 0.045
    assert held_during_retry == [True]  # no worker could send to the site meanwhile
    assert harness.actions() == [
        ("fetching", 1),
        ("rate_limited", 1),
        ("retrying", 1),
        ("fetching", 2),
        ("found", 2),
    ]
    limited = harness.events[1]
    assert (limited.status_code, limited.error_type, limited.error_stage) == (
        429,
        "rate_limit",
        "request",
    )
    assert limited.extra == {"bytes": len(b"slow down"), "retry_after_s": 3600.0}
    assert limited.error_message == "HTTP 429: slow down"
    retrying = harness.events[2]
    assert (retrying.error_type, retrying.extra) == ("rate_limit", {"delay_s": 0.05})


async def test_a_429_without_retry_after_backs_off(
    harness: Harness, transport: FakeTransport
) -> None:
    transport.queue(URL, answer(429, b""), answer(200))

    await harness.http.get(URL)

    limited, retrying = harness.events[1:3]
    assert limited.extra is None
    assert retrying.extra == {"delay_s": 0.01}


async def test_a_cancelled_request_is_recorded_and_the_cancellation_propagates(
    transport: FakeTransport,
) -> None:
    harness = Harness(transport, FAST.replace(breaker_threshold=1, breaker_cooldown=0))
    site = harness.site()
    site.breaker.record_failure()  # open; with no cooldown the next request is the probe
    transport.queue(URL, HANG)

    request = asyncio.create_task(harness.http.get(URL))
    await transport.started.wait()
    assert site.breaker.state is BreakerState.HALF_OPEN
    request.cancel()
    with pytest.raises(asyncio.CancelledError):
        await request

    fetching, error = harness.events
    assert (error.action, error.error_type, error.error_stage) == ("error", "cancelled", "request")
    assert error.error_message == "request cancelled"
    assert error.started_at == fetching.started_at
    assert error.duration_ms is not None
    assert site.in_flight == 0
    # The probe was given up, not left hanging: the next request is let through at once.
    response = await asyncio.wait_for(harness.http.get(URL), 1)
    assert response.status == 200
    assert site.breaker.state is BreakerState.CLOSED


async def test_an_exception_from_the_transport_frees_the_slot_and_the_probe(
    transport: FakeTransport,
) -> None:
    harness = Harness(transport, FAST.replace(breaker_threshold=1, breaker_cooldown=0))
    site = harness.site()
    site.breaker.record_failure()
    transport.queue(URL, TypeError("body is not JSON serialisable"))

    with pytest.raises(TypeError):
        await harness.http.post(URL, json=object())

    assert harness.actions() == [("fetching", 1)]
    assert site.in_flight == 0
    response = await asyncio.wait_for(harness.http.get(URL), 1)
    assert response.status == 200


async def test_a_request_paused_while_waiting_for_the_site_gives_its_slot_back(
    transport: FakeTransport,
) -> None:
    harness = Harness(transport, FAST.replace(max_concurrency=1))
    site = harness.site()
    first_answer: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
    transport.queue(URL, first_answer)
    first = asyncio.create_task(harness.http.get(URL))
    await transport.started.wait()
    second = asyncio.create_task(harness.http.get(f"{URL}?second"))
    await asyncio.sleep(0.01)
    assert len(transport.sent) == 1  # the second waits for the only slot

    harness.control.pause("operator")
    first_answer.set_result(answer(200))
    assert (await first).status == 200
    await asyncio.sleep(0.01)
    # The slot went to the second request, which saw the pause and gave it back unsent.
    assert len(transport.sent) == 1
    assert site.in_flight == 0
    assert not second.done()

    harness.control.resume()
    assert (await asyncio.wait_for(second, 1)).status == 200
    assert len(transport.sent) == 2


async def test_a_paused_run_sends_nothing_until_resumed(harness: Harness) -> None:
    harness.control.pause("operator")
    request = asyncio.create_task(harness.http.get(URL))
    await asyncio.sleep(0.01)
    assert harness.events == []
    harness.control.resume()
    assert (await asyncio.wait_for(request, 1)).status == 200


# -- the steps one by one ----------------------------------------------------------------


def test_classify_an_outcome() -> None:
    assert classify(answer(200), ()) is None
    assert classify(answer(301), ()) is None
    assert classify(answer(404), ()) is ErrorType.HTTP_4XX
    assert classify(answer(404), (404,)) is None
    assert classify(answer(429), ()) is ErrorType.RATE_LIMIT
    assert classify(answer(503), ()) is ErrorType.HTTP_5XX
    assert classify(timed_out(), ()) is ErrorType.TIMEOUT
    assert classify(refused(), (404,)) is ErrorType.CONNECTION
    # A transport that forgot to say why there is no answer: a connection failure.
    assert classify(Outcome(None, {}, b"", 0.0), ()) is ErrorType.CONNECTION


@pytest.mark.parametrize(
    ("attempt", "error_type", "status", "held", "expected"),
    [
        (1, ErrorType.HTTP_5XX, 503, None, 0.5),
        (2, ErrorType.HTTP_5XX, 500, None, 1.0),
        (1, ErrorType.TIMEOUT, None, None, 0.5),
        (1, ErrorType.CONNECTION, None, None, 0.5),
        (1, ErrorType.RATE_LIMIT, 429, 7.0, 7.0),  # the Retry-After hold, not backoff
        (1, ErrorType.RATE_LIMIT, 429, None, 0.5),
        (1, ErrorType.HTTP_4XX, 404, None, None),  # not retryable
        (1, ErrorType.HTTP_5XX, 501, None, None),  # not in retry_statuses
        (3, ErrorType.HTTP_5XX, 503, None, None),  # max_attempts reached
        (3, ErrorType.RATE_LIMIT, 429, 7.0, None),
    ],
)
def test_retry_delay(
    attempt: int, error_type: ErrorType, status: int | None, held: float | None, expected: Any
) -> None:
    policy = SitePolicy(max_attempts=3, backoff_base=0.5, backoff_jitter=0)
    assert retry_delay(policy, attempt, error_type, status, held, random.Random(1)) == expected


def test_retry_delay_jitter_comes_from_the_run_rng() -> None:
    policy = SitePolicy(max_attempts=5)
    ours = [retry_delay(policy, n, ErrorType.TIMEOUT, None, None, random.Random(3)) for n in (1, 2)]
    assert ours == [backoff_delay(policy, n, random.Random(3)) for n in (1, 2)]
    assert ours[0] != 0.5  # jittered


# -- the seam --------------------------------------------------------------------------------


class _Reporter:
    def __init__(self) -> None:
        self.events: list[ActivityEvent] = []

    def emit(self, event: ActivityEvent) -> None:
        self.events.append(event)

    async def open_run(self, *args: Any) -> None:
        return None

    async def flush(self) -> None:
        return None


async def test_a_transport_given_to_run_sends_every_request_and_stays_open(
    transport: FakeTransport,
) -> None:
    transport.default = answer(203, b"from the fake")
    bodies: list[str] = []
    collection = Collection("seam", task_attempts=1)
    collection.seed(lambda params: [Task(f"t{n}", payload={"n": n}) for n in range(3)])

    async def fetch(ctx: TaskContext, task: Task) -> None:
        bodies.append((await ctx.http.get(f"http://fake.test/p/{task.payload['n']}")).text())

    collection.add_phase("pages", fetch, workers=2)
    reporter = _Reporter()
    run = Run(collection, reporter, transport=transport)

    assert await asyncio.wait_for(run.execute(), 10) == "completed"

    assert sorted(s.url for s in transport.sent) == [f"http://fake.test/p/{n}" for n in range(3)]
    assert bodies == ["from the fake"] * 3
    found = [e for e in reporter.events if e.action == "found"]
    assert [(e.site, e.status_code) for e in found] == [("fake.test", 203)] * 3
    assert not transport.closed  # its owner closes it


def test_the_run_scope_defaults_to_aiohttp() -> None:
    from crawlscope.runner import AiohttpTransport

    scope = RunScope(
        run_id="r",
        collection=Collection("unit"),
        params={},
        emit=lambda event: None,
        control=RunControl(5),
        sites=SiteRegistry(SitePolicy()),
        progress=Progress(),
        queues=PhaseQueues(["p"]),
        pipeline=None,
        rng=random.Random(),
    )
    assert isinstance(scope.transport, AiohttpTransport)
