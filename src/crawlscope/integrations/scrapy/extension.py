"""The Scrapy extension: one crawlscope run per spider, its lifecycle and its control.

The middlewares and the item pipeline (``components.py``) report requests, tasks and items
through the run this extension opened for their crawler.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import os
import time
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.exceptions import NotConfigured, UsageError
from scrapy.utils.reactor import is_asyncio_reactor_installed

from crawlscope.events import Action, ActivityEvent, ErrorStage, ErrorType, truncate_message
from crawlscope.integrations.destination import Destination, DestinationError
from crawlscope.integrations.external_run import ExternalRun
from crawlscope.integrations.scrapy.errors import handler_error
from crawlscope.integrations.worker_events import site_of
from crawlscope.status import ControlCommand

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from twisted.python.failure import Failure

__all__ = ["META_KEY", "CrawlscopeExtension", "TaskState", "extension_of"]

log = logging.getLogger(__name__)

META_KEY = "_crawlscope"
"""``Request.meta`` key of a request's ``TaskState`` (kept across retries and redirects)."""

_EXTENSIONS: weakref.WeakKeyDictionary[Crawler, CrawlscopeExtension] = weakref.WeakKeyDictionary()

# Scrapy's close reasons that are not the end of the work.
_CANCELLED_REASONS = {"cancelled": "cancelled by operator", "shutdown": "interrupted by a signal"}


@dataclass(slots=True, eq=False)
class TaskState:
    """One task: a request from its first attempt to the end of its callback.

    ``worker`` is the slot of its current (or last) download attempt; ``sent`` is when
    that attempt was sent, 0 once it was answered (the slot is then free again).
    """

    url: str
    started: float
    worker: int = 0
    attempts: int = 0
    sent: float = 0.0
    failed_with: ErrorType | None = None
    ended: bool = False


def extension_of(crawler: Crawler) -> CrawlscopeExtension | None:
    """The extension of ``crawler`` (None: crawlscope is not enabled for it)."""
    return _EXTENSIONS.get(crawler)


def _setting(crawler: Crawler, name: str) -> str | None:
    value = crawler.settings.get(name) or os.environ.get(name)
    return str(value) if value else None


class CrawlscopeExtension:
    """Opens the spider's run on ``spider_opened`` and ends it on ``spider_closed``.

    Settings: ``CRAWLSCOPE_SERVER`` + ``CRAWLSCOPE_TOKEN``, or ``CRAWLSCOPE_DATABASE``
    (each also read from the environment); ``CRAWLSCOPE_DATASET`` (default: the spider's
    name), ``CRAWLSCOPE_ITEM_KEY`` (default: none, an item's content is its key),
    ``CRAWLSCOPE_RUN_NAME`` (default: the spider's name).
    """

    def __init__(self, crawler: Crawler, destination: Destination) -> None:
        self.crawler = crawler
        self.destination = destination
        self.run: ExternalRun | None = None
        self.producers: dict[int, int] = {}
        """``id(item)`` -> the worker whose callback yielded it, until the pipeline has it."""
        self._closing: asyncio.Future[None] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlscopeExtension:
        server = _setting(crawler, "CRAWLSCOPE_SERVER")
        database = _setting(crawler, "CRAWLSCOPE_DATABASE")
        if server is None and database is None:
            log.warning(
                "crawlscope: add-on installed but not reporting: "
                "set CRAWLSCOPE_SERVER (and CRAWLSCOPE_TOKEN) or CRAWLSCOPE_DATABASE"
            )
            raise NotConfigured(
                "set CRAWLSCOPE_SERVER (and CRAWLSCOPE_TOKEN) or CRAWLSCOPE_DATABASE"
            )
        try:
            destination = Destination(
                server=server,
                token=_setting(crawler, "CRAWLSCOPE_TOKEN"),
                database=database,
                names=("CRAWLSCOPE_SERVER", "CRAWLSCOPE_DATABASE"),
            )
        except DestinationError as exc:
            raise UsageError(str(exc)) from exc
        if not is_asyncio_reactor_installed():
            raise UsageError(
                "crawlscope needs Scrapy's asyncio reactor: set TWISTED_REACTOR = "
                "'twisted.internet.asyncioreactor.AsyncioSelectorReactor' (Scrapy's default)"
            )
        extension = cls(crawler, destination)
        _EXTENSIONS[crawler] = extension
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(extension.request_dropped, signal=signals.request_dropped)
        crawler.signals.connect(extension.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(extension.item_error, signal=signals.item_error)
        return extension

    # -- the run's lifecycle --------------------------------------------------------------

    async def spider_opened(self, spider: Spider) -> None:
        """Open the run (Scrapy waits for it before the first request)."""
        settings = self.crawler.settings
        try:
            connection = await self.destination.connect()
        except Exception as exc:
            # The crawl goes on unwatched rather than not at all; the log says why.
            log.error("crawlscope: not reporting this crawl: %s", exc)
            return
        run = ExternalRun(
            connection,
            settings.get("CRAWLSCOPE_RUN_NAME") or spider.name,
            params={"spider": spider.name},
            dataset=settings.get("CRAWLSCOPE_DATASET") or spider.name,
            key=settings.get("CRAWLSCOPE_ITEM_KEY") or None,
            workers=settings.getint("CONCURRENT_REQUESTS"),
            origin={"integration": "scrapy"},
        )
        run.on_command = self._command
        run.pending = self._pending
        await run.start()
        self.run = run
        log.info("crawlscope: run %s reporting to %s", run.run_id, connection.where)

    async def spider_closed(self, spider: Spider, reason: str) -> None:
        """End the run: its outcome from Scrapy's close reason, its stats on the last event."""
        run = self.run
        if run is None:
            return
        self.run = None
        if run.cancel_reason is None and reason in _CANCELLED_REASONS:
            run.cancel_reason = _CANCELLED_REASONS[reason]
        note = None
        error = None
        if reason == "closespider_errorcount":
            error = "Scrapy closed the spider: closespider_errorcount"
        elif reason not in ("finished", *_CANCELLED_REASONS):
            note = f"Scrapy closed the spider: {reason}"
        try:
            await run.finish(error=error, note=note, stats=self._stats())
        finally:
            await run.connection.close()

    def _pending(self) -> int:
        """Requests waiting in Scrapy's scheduler plus those downloading: read from its
        stats twice a second rather than counted by a ``request_scheduled`` handler,
        which Scrapy would dispatch per request at a cost (docs/performance.md)."""
        stats = self.crawler.stats
        if stats is None or self.run is None:
            return 0
        queued = int(stats.get_value("scheduler/enqueued", 0)) - int(
            stats.get_value("scheduler/dequeued", 0)
        )
        return queued + self.run.slots.in_use

    def _stats(self) -> dict[str, Any]:
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        return {key: _plain(value) for key, value in stats.items()}

    def _command(self, command: ControlCommand) -> bool:
        engine = self.crawler.engine
        if engine is None:
            return False
        if command is ControlCommand.PAUSE:
            engine.pause()
        elif command is ControlCommand.RESUME:
            engine.unpause()
        else:
            if engine.paused:
                engine.unpause()  # a paused engine would not get to close
            self._closing = asyncio.ensure_future(engine.close_spider_async(reason="cancelled"))
        return True

    # -- tasks ----------------------------------------------------------------------------

    def begin_attempt(self, run: ExternalRun, state: TaskState) -> None:
        """A download attempt takes the lowest free worker slot until it is answered."""
        state.worker = run.slots.take()
        state.attempts += 1
        state.sent = time.perf_counter()

    def end_attempt(self, run: ExternalRun, state: TaskState) -> float:
        """The attempt is answered (or failed): its slot is free; returns its duration, ms."""
        run.slots.give_back(state.worker)
        duration = (time.perf_counter() - state.sent) * 1000
        state.sent = 0.0
        return duration

    def end_task(
        self,
        state: TaskState,
        *,
        items: int = 0,
        exc: BaseException | None = None,
        error_type: ErrorType | None = None,
        stage: str | None = None,
    ) -> None:
        """The task is over (callback done, or failed): ``complete`` on the worker of its
        last attempt."""
        run = self.run
        if run is None or state.ended:
            return
        state.ended = True
        message = None
        if exc is not None and error_type is None:
            error_type, stage = handler_error(exc)
        if exc is not None:
            message = f"{type(exc).__name__}: {exc}"
        elif error_type is None and state.failed_with is not None:
            # The last answer was an HTTP error (a spider errback may have handled it).
            error_type, stage = state.failed_with, ErrorStage.REQUEST
        if error_type is not None and stage == ErrorStage.HANDLER and exc is not None:
            log.debug("crawlscope: callback of %s failed", state.url, exc_info=exc)
        run.task_ended(
            state.worker,
            state.url,
            (time.perf_counter() - state.started) * 1000,
            items=items,
            error_type=error_type,
            error_stage=stage,
            message=message,
            url=state.url,
        )

    # -- signals --------------------------------------------------------------------------

    def request_dropped(self, request: Request, spider: Spider) -> None:
        run = self.run
        if run is None or META_KEY in request.meta:
            return
        # Not an item: no items_count, so the dataset's duplicate count is untouched.
        run.emit(
            ActivityEvent(
                run_id=run.run_id,
                action=Action.DEDUPED,
                worker_id=0,
                phase=run.phase,
                site=site_of(request.url),
                url=request.url,
                method=request.method,
                operation_type="request_dedupe",
            )
        )

    def item_dropped(
        self, item: Any, response: Any, exception: BaseException, spider: Spider
    ) -> None:
        self._item_problem(item, ErrorType.PARSE_ERROR, ErrorStage.VALIDATION, exception)

    def item_error(self, item: Any, response: Any, spider: Spider, failure: Failure) -> None:
        self._item_problem(
            item,
            ErrorType.HANDLER_ERROR,
            ErrorStage.PIPELINE,
            failure.value or RuntimeError("item pipeline error"),
        )

    def _item_problem(
        self, item: Any, error_type: ErrorType, stage: str, exc: BaseException
    ) -> None:
        worker = self.producers.pop(id(item), 0)
        run = self.run
        if run is None:
            return
        run.emit(
            ActivityEvent(
                run_id=run.run_id,
                action=Action.ERROR,
                worker_id=0,
                phase=run.phase,
                source_worker_id=worker,
                items_count=1,
                operation_type="item_drop",
                error_type=error_type,
                error_stage=stage,
                error_message=truncate_message(f"{type(exc).__name__}: {exc}"),
            )
        )


def _plain(value: Any) -> Any:
    """A stats value as JSON can carry it."""
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, int | float | str | bool) or value is None:
        return value
    return str(value)
