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
