"""The event bus (``EventBus``) and its in-process implementation (``Hub``)."""

from crawlscope.bus.base import EventBus, EventFeed, Follow, Gap, Listener
from crawlscope.bus.hub import Hub, Subscription

__all__ = ["EventBus", "EventFeed", "Follow", "Gap", "Hub", "Listener", "Subscription"]
