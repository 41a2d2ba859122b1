"""The event bus (``EventBus``) and its in-process implementation (``Hub``)."""

from crawlscope.bus.base import (
    BusUnavailable,
    EventBus,
    EventFeed,
    Follow,
    Gap,
    Listener,
    batch_key,
)
from crawlscope.bus.hub import Hub, Subscription

__all__ = [
    "BusUnavailable",
    "EventBus",
    "EventFeed",
    "Follow",
    "Gap",
    "Hub",
    "Listener",
    "Subscription",
    "batch_key",
]
