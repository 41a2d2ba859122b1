"""Which event bus a server uses: ``redis_url`` set, Redis Streams; else the in-process hub."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawlscope.bus.base import EventBus
from crawlscope.bus.hub import Hub
from crawlscope.bus.owners import RunOwners, SoleOwner

if TYPE_CHECKING:
    from crawlscope.config import Settings

__all__ = ["bus_for", "owners_for"]


def bus_for(settings: Settings) -> EventBus:
    """The bus ``settings`` ask for; readers see only stored events on either.

    Raises ``RuntimeError`` naming the extra to install when ``redis_url`` is set but
    redis-py is missing.
    """
    if not settings.redis_url:
        return Hub(until_stored=True)
    try:
        from crawlscope.bus.redis_streams import RedisBus
    except ImportError as exc:
        raise RuntimeError(
            "redis_url (CRAWLSCOPE_REDIS_URL) is set but redis-py is not installed: "
            "pip install 'crawlscope[redis]'"
        ) from exc
    return RedisBus(
        settings.redis_url,
        prefix=settings.redis_prefix,
        maxlen=settings.redis_stream_maxlen,
    )


def owners_for(bus: EventBus) -> RunOwners:
    """Who aggregates remote runs on ``bus``: leases in Redis when processes share the bus
    (``RedisBus.run_owners``), else this process alone (``SoleOwner``)."""
    make = getattr(bus, "run_owners", None)
    return make() if callable(make) else SoleOwner()
