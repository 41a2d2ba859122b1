"""A site's gate (runner/site.py): the fast ``try_enter``, and the slots ``acquire`` waits for."""

from __future__ import annotations

import asyncio

import pytest

from crawlscope.runner.breaker import BreakerState
from crawlscope.runner.policy import SitePolicy
from crawlscope.runner.site import Site


def _site(**settings: object) -> Site:
    return Site("shop.test", SitePolicy(**settings))  # type: ignore[arg-type]


def test_try_enter_takes_free_slots_only() -> None:
    site = _site(max_concurrency=2)
    assert site.try_enter()
    assert site.try_enter()
    assert not site.try_enter()
    assert site.in_flight == 2
    site.release()
    assert site.in_flight == 1
    assert site.try_enter()


@pytest.mark.parametrize("blocker", ["hold", "breaker", "rate_limit"])
def test_try_enter_leaves_anything_to_wait_for_to_acquire(blocker: str) -> None:
    site = _site(breaker_threshold=1, rate_per_second=10 if blocker == "rate_limit" else None)
    if blocker == "hold":
        site.hold(5)
    elif blocker == "breaker":
        site.breaker.record_failure()
        assert site.breaker.state is BreakerState.OPEN
    assert not site.try_enter()
    assert site.in_flight == 0  # nothing was taken


def test_an_expired_hold_does_not_block() -> None:
    site = _site()
    site.hold(0)
    assert site.try_enter()


async def test_a_released_slot_goes_to_the_longest_waiter() -> None:
    site = _site(max_concurrency=1)
    assert site.try_enter()
    order: list[str] = []

    async def waiter(name: str) -> None:
        await site.acquire()
        order.append(name)

    first = asyncio.create_task(waiter("first"))
    await asyncio.sleep(0)
    second = asyncio.create_task(waiter("second"))
    await asyncio.sleep(0)
    site.release()
    # Handed over: a newcomer cannot jump the queue, the count of taken slots stays 1.
    assert not site.try_enter()
    assert site.in_flight == 1
    await first
    site.release()
    await second
    assert order == ["first", "second"]
    site.release()
    assert site.in_flight == 0


async def test_a_cancelled_waiter_is_skipped() -> None:
    site = _site(max_concurrency=1)
    assert site.try_enter()
    gone = asyncio.create_task(site.acquire())
    await asyncio.sleep(0)
    kept = asyncio.create_task(site.acquire())
    await asyncio.sleep(0)
    gone.cancel()
    with pytest.raises(asyncio.CancelledError):
        await gone
    site.release()
    await asyncio.wait_for(kept, 1)
    assert site.in_flight == 1
    site.release()
    assert site.in_flight == 0


async def test_a_waiter_cancelled_after_the_handover_passes_the_slot_on() -> None:
    site = _site(max_concurrency=1)
    assert site.try_enter()
    unlucky = asyncio.create_task(site.acquire())
    await asyncio.sleep(0)
    next_in_line = asyncio.create_task(site.acquire())
    await asyncio.sleep(0)
    site.release()  # the slot is handed to ``unlucky`` ...
    unlucky.cancel()  # ... which is cancelled before it runs
    with pytest.raises(asyncio.CancelledError):
        await unlucky
    await asyncio.wait_for(next_in_line, 1)
    assert site.in_flight == 1


# -- what acquire says about its waits ------------------------------------------------------


class _Waits:
    """Records ``on_wait`` calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, float | None]] = []

    def __call__(self, reason: str, seconds: float | None) -> None:
        self.calls.append((reason, seconds))

    @property
    def reasons(self) -> list[str]:
        return [reason for reason, _ in self.calls]


async def test_acquire_with_nothing_in_the_way_says_nothing_and_waited_nothing() -> None:
    for site in (_site(), _site(rate_per_second=5)):  # a rate limit with capacity left too
        waits = _Waits()
        assert await site.acquire(waits) == 0.0
        assert waits.calls == []
        site.release()


async def test_a_hold_is_announced_with_its_seconds() -> None:
    site = _site()
    site.hold(0.2)
    waits = _Waits()
    waited = await asyncio.wait_for(site.acquire(waits), 2)
    assert waits.reasons == ["retry_after"]
    seconds = waits.calls[0][1]
    assert seconds is not None
    assert 0.1 < seconds <= 0.2
    assert 0.15 <= waited < 1.0


async def test_an_open_breaker_is_announced_once_then_a_full_site() -> None:
    site = _site(breaker_threshold=1, breaker_cooldown=0.2, max_concurrency=1)
    site.breaker.record_failure()
    waits = _Waits()
    # The breaker lets one probe through after its cooldown; the probe's answer closes it.
    first = asyncio.create_task(site.acquire(waits))
    await asyncio.wait_for(first, 2)
    assert waits.reasons == ["breaker"]  # one announcement, though it napped several times
    site.breaker.record_success()
    # Now the only slot is taken: the next request waits for it.
    second_waits = _Waits()
    second = asyncio.create_task(site.acquire(second_waits))
    await asyncio.sleep(0.05)
    assert second_waits.calls == [("concurrency", None)]
    site.release()
    assert await asyncio.wait_for(second, 1) >= 0.04
    site.release()


async def test_a_rate_limit_without_capacity_is_announced() -> None:
    site = _site(rate_per_second=2)  # a bucket of 2, draining at 2 a second
    waits = _Waits()
    for _ in range(2):
        assert await site.acquire(waits) == 0.0
        site.release()
    assert waits.calls == []
    waited = await asyncio.wait_for(site.acquire(waits), 2)
    assert waits.calls == [("rate_limit", None)]
    assert 0.3 <= waited < 1.0
    site.release()


async def test_a_rate_below_one_a_second_lets_requests_through_slowly() -> None:
    # AsyncLimiter(0.5, 1.0) would refuse every request (one is more than its capacity).
    site = _site(rate_per_second=4)
    slow = _site(rate_per_second=0.5)
    assert await asyncio.wait_for(slow.acquire(), 1) == 0.0
    slow.release()
    waits = _Waits()
    second = asyncio.create_task(slow.acquire(waits))
    await asyncio.sleep(0.3)
    assert not second.done()  # the next one is due 2 s after the first
    assert waits.reasons == ["rate_limit"]
    second.cancel()
    with pytest.raises(asyncio.CancelledError):
        await second
    assert slow.in_flight == 0  # the cancelled request gave its slot back
    assert await site.acquire() == 0.0


async def test_set_concurrency_lowers_and_raises_the_limit() -> None:
    site = _site(max_concurrency=4)
    for _ in range(4):
        assert site.try_enter()
    site.set_concurrency(2)
    assert site.in_flight == 4  # requests in flight finish
    assert not site.try_enter()
    for _ in range(3):
        site.release()
    assert site.in_flight == 1
    assert site.try_enter()
    assert not site.try_enter()  # two at most now
    # Raising the limit hands the new slot to a waiter at once.
    waiter = asyncio.create_task(site.acquire())
    await asyncio.sleep(0)
    assert not waiter.done()
    site.set_concurrency(3)
    await asyncio.wait_for(waiter, 1)
    assert site.in_flight == 3
