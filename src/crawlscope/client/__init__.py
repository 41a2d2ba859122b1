"""Reporting to a crawlscope server from another process or machine.

``HttpReporter`` is the runner's ``Reporter`` when the server is elsewhere: ``emit``
appends to a bounded local buffer and returns at once; a background sender posts batches
to ``POST /api/ingest`` (up to ``batch_size`` events, or whatever arrived within
``max_delay``), one request at a time so the server numbers events in emission order.
Failed deliveries are retried with exponential backoff and jitter; while the server is
unreachable the buffer keeps the newest ``max_buffer`` events, drops the oldest and says
so in the log. Delivery is idempotent on the server (by event id), so a retry after a
lost response never duplicates anything.

``reporter.control`` is the matching ``ControlSource``: ingest responses carry pending
pause/resume/cancel commands, the runner picks them up and its acknowledgements ride on
the next request. A silent runner (paused, or between tasks) still polls every
``poll_interval`` seconds so it hears ``resume``.

``reporter.item_sink(dataset)`` is the matching ``ItemSink``: items go to the server's
dataset through ``POST /api/ingest/items`` (``crawlscope.client.items``), acknowledged per
batch with what happened to each key.

Usage::

    async with HttpReporter("http://127.0.0.1:8000", token) as reporter:
        await reporter.check()
        sink = reporter.item_sink(collection.dataset)  # collections with a dataset
        run = Run(collection, reporter, sink=sink, control_source=reporter.control)
        await run.execute()
"""

from crawlscope.client.answers import ServerError, ServerUnreachable, TokenRefused
from crawlscope.client.control import ServerControl
from crawlscope.client.delivery import DeliveryStats
from crawlscope.client.items import ITEMS_PATH, ItemDeliveryStats, RemoteItemSink, SentItems
from crawlscope.client.reporter import INGEST_PATH, HttpReporter

__all__ = [
    "INGEST_PATH",
    "ITEMS_PATH",
    "DeliveryStats",
    "HttpReporter",
    "ItemDeliveryStats",
    "RemoteItemSink",
    "SentItems",
    "ServerControl",
    "ServerError",
    "ServerUnreachable",
    "TokenRefused",
]
