"""``Probe``: a service's state, since when, the last error and the outages, from checks."""

from __future__ import annotations

import asyncio

from crawlscope.reachability import Probe


class Clock:
    def __init__(self) -> None:
        self.now = 1_764_866_000.0

    def __call__(self) -> float:
        return self.now


class Service:
    """Answers, fails, or hangs, as the test says."""

    def __init__(self) -> None:
        self.mode = "up"

    async def check(self) -> None:
        if self.mode == "down":
            raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 6379)")
        if self.mode == "hang":
            await asyncio.sleep(10)


async def test_an_outage_has_a_start_a_length_an_error_and_an_end() -> None:
    clock, service = Clock(), Service()
    probe = Probe("redis", service.check, timeout_s=0.05, clock=clock)
    assert probe.snapshot().state == "unknown"

    assert await probe.check_now() == "up"
    up_since = probe.snapshot().since
    clock.now += 10
    assert await probe.check_now() == "up"
    assert probe.snapshot().since == up_since  # still the same stretch

    service.mode = "down"
    assert await probe.check_now() == "down"
    began = clock.now
    clock.now += 12.34
    await probe.check_now()
    down = probe.snapshot()
    assert down.state == "down"
    assert down.down_for_s == 12.3
    assert down.since == "2025-12-04T16:33:30.000Z"  # when it began, not the last check
    assert (
        down.last_error
        == "ConnectionRefusedError: [Errno 111] Connect call failed ('127.0.0.1', 6379)"
    )
    assert down.outages == 1

    service.mode = "up"
    clock.now = began + 30
    assert await probe.check_now() == "up"
    after = probe.snapshot()
    assert (after.state, after.down_for_s, after.outages) == ("up", None, 1)
    assert after.since == "2025-12-04T16:34:00.000Z"
    assert after.last_error == down.last_error  # what the last outage was


async def test_a_check_that_hangs_counts_as_down_after_the_time_limit() -> None:
    service = Service()
    service.mode = "hang"
    probe = Probe("database", service.check, timeout_s=0.05)
    assert await probe.check_now() == "down"
    assert probe.snapshot().last_error == "TimeoutError: no answer within 0.05s"


async def test_the_background_checks_start_and_stop() -> None:
    service = Service()
    probe = Probe("database", service.check, every_s=0.01)
    probe.start()
    await asyncio.sleep(0.05)
    service.mode = "down"
    await asyncio.sleep(0.05)
    await probe.stop()
    assert probe.snapshot().state == "down"
    assert probe.snapshot().outages == 1
