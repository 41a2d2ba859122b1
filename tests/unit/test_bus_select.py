"""Which bus a server builds: ``redis_url`` (or CRAWLSCOPE_REDIS_URL) picks Redis Streams."""

from __future__ import annotations

import pytest

from crawlscope.bus import Hub
from crawlscope.bus.redis_streams import RedisBus
from crawlscope.bus.select import bus_for
from crawlscope.config import Settings


def test_without_redis_url_the_in_process_hub_shows_only_stored_events() -> None:
    bus = bus_for(Settings(database_url="x.db"))
    assert isinstance(bus, Hub)
    assert bus.until_stored


async def test_redis_url_from_the_environment_picks_redis_streams(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CRAWLSCOPE_REDIS_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setenv("CRAWLSCOPE_REDIS_PREFIX", "shop")
    monkeypatch.setenv("CRAWLSCOPE_REDIS_STREAM_MAXLEN", "500")
    bus = bus_for(Settings(database_url="x.db"))
    assert isinstance(bus, RedisBus)
    assert (bus.keys.run("r1"), bus.keys.lifecycle, bus.maxlen) == (
        "shop:run:r1",
        "shop:lifecycle",
        500,
    )
    await bus.close()  # never started: nothing to flush, nothing to wait for


def test_a_too_short_stream_is_refused_naming_the_setting() -> None:
    with pytest.raises(ValueError, match="redis_stream_maxlen"):
        Settings(database_url="x.db", redis_stream_maxlen=10)


def test_the_redis_work_queue_without_redis_is_refused_naming_both_settings() -> None:
    with pytest.raises(ValueError, match=r"work_queue[\s\S]*redis_url"):
        Settings(database_url="x.db", work_queue="redis")
    settings = Settings(database_url="x.db", work_queue="redis", redis_url="redis://h:6379/0")
    assert (settings.work_queue, settings.worker_lease_s) == ("redis", 10.0)
