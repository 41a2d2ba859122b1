"""The Scrapy components that report a crawl: two downloader middlewares, a spider
middleware and an item pipeline. ``Crawlscope`` (the add-on) installs them.

* ``AttemptMiddleware`` (downloader, 950: next to the downloader) sees every attempt:
  ``retrying`` before a retried one, ``fetching``, then ``found`` / ``error`` /
  ``rate_limited`` with the status and duration, or ``error`` with the exception's type.
* ``GiveUpMiddleware`` (downloader, 40: after Scrapy's retry middleware) sees a download
  exception only once Scrapy has given up on the request: its task ends failed.
* ``TaskMiddleware`` (spider, 10: after every other) ends a task when its callback's
  output is exhausted (``complete`` with the items it yielded) or raised.
* ``ItemPipeline`` (1000: after the project's pipelines, so items they drop are not
  stored) hands items to the run's dataset.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from itemadapter import ItemAdapter
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError

from crawlscope.events import ErrorStage
from crawlscope.integrations.scrapy.errors import download_error
from crawlscope.integrations.scrapy.extension import (
    META_KEY,
    CrawlscopeExtension,
    TaskState,
    extension_of,
)

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Response

__all__ = ["AttemptMiddleware", "GiveUpMiddleware", "ItemPipeline", "TaskMiddleware"]


class _Component:
    def __init__(self, extension: CrawlscopeExtension | None) -> None:
        self.extension = extension

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Any:
        return cls(extension_of(crawler))


class AttemptMiddleware(_Component):
    """Downloader middleware: one ``fetching`` and one answer or error per attempt."""

    def process_request(self, request: Request, spider: Any = None) -> None:
        extension = self.extension
        run = extension.run if extension is not None else None
        if run is None or extension is None:
            return
        state: TaskState | None = request.meta.get(META_KEY)
        if state is None or state.ended:
            state = TaskState(request.url, time.perf_counter())
            request.meta[META_KEY] = state
        extension.begin_attempt(run, state)
        if state.failed_with is not None:
            run.retrying(state.worker, request.url, state.failed_with, state.attempts, state.url)
        run.fetching(state.worker, request.url, request.method, state.attempts, state.url)

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Any:
        state: TaskState | None = request.meta.get(META_KEY)
        run = self.extension.run if self.extension is not None else None
        if run is not None and state is not None and state.sent:
            duration = self.extension.end_attempt(run, state)  # type: ignore[union-attr]
            state.failed_with = run.answered(
                state.worker,
                request.url,
                request.method,
                response.status,
                duration,
                state.attempts,
                state.url,
                size=len(response.body),
            )
        return response

    def process_exception(self, request: Request, exception: Exception, spider: Any = None) -> None:
        state: TaskState | None = request.meta.get(META_KEY)
        run = self.extension.run if self.extension is not None else None
        if run is None or state is None or not state.sent:
            return
        duration = self.extension.end_attempt(run, state)  # type: ignore[union-attr]
        error_type = download_error(exception)
        state.failed_with = error_type
        text = str(exception)
        run.failed(
            state.worker,
            request.url,
            request.method,
            error_type,
            f"{type(exception).__name__}: {text}" if text else type(exception).__name__,
            duration,
            state.attempts,
            state.url,
        )


class GiveUpMiddleware(_Component):
    """Downloader middleware: a download exception that reaches it is final."""

    def process_exception(self, request: Request, exception: Exception, spider: Any = None) -> None:
        state: TaskState | None = request.meta.get(META_KEY)
        if self.extension is None or state is None or not state.attempts:
            return
        if isinstance(exception, IgnoreRequest):
            self.extension.end_task(state, exc=exception, error_type=state.failed_with)
            return
        self.extension.end_task(
            state, exc=exception, error_type=download_error(exception), stage=ErrorStage.REQUEST
        )


class TaskMiddleware(_Component):
    """Spider middleware: a task ends when its callback's output is exhausted or raised.

    It has a sync and an async ``process_spider_output`` (a "universal" middleware): with
    only the async one, Scrapy would turn every callback's output into an async iterator
    and process it with a pool of tasks per response, which cost more than everything
    crawlscope reports (see docs/performance.md).
    """

    def process_spider_output(
        self, response: Response, result: Iterable[Any], spider: Any = None
    ) -> Iterable[Any]:
        state = self._state(response)
        if self.extension is None or state is None:
            return result
        return self._follow(self.extension, state, result)

    async def process_spider_output_async(
        self, response: Response, result: AsyncIterator[Any], spider: Any = None
    ) -> AsyncIterator[Any]:
        state = self._state(response)
        if self.extension is None or state is None:
            async for out in result:
                yield out
            return
        producers = self.extension.producers
        items = 0
        async for out in result:
            items += _note(out, state, producers)
            yield out
        self.extension.end_task(state, items=items)

    @staticmethod
    def _state(response: Response) -> TaskState | None:
        request = response.request
        return request.meta.get(META_KEY) if request is not None else None

    @staticmethod
    def _follow(
        extension: CrawlscopeExtension, state: TaskState, result: Iterable[Any]
    ) -> Iterator[Any]:
        producers = extension.producers
        items = 0
        for out in result:
            items += _note(out, state, producers)
            yield out
        extension.end_task(state, items=items)

    def process_spider_exception(
        self, response: Response, exception: Exception, spider: Any = None
    ) -> None:
        request = response.request
        state: TaskState | None = request.meta.get(META_KEY) if request is not None else None
        if self.extension is None or state is None:
            return
        if isinstance(exception, HttpError):
            self.extension.end_task(
                state, exc=exception, error_type=state.failed_with, stage=ErrorStage.REQUEST
            )
        else:
            self.extension.end_task(state, exc=exception)


def _note(out: Any, state: TaskState, producers: dict[int, int]) -> int:
    """One output of a callback: 1 for an item (its producer noted), 0 for a request."""
    if isinstance(out, Request):
        if out.meta.get(META_KEY) is state:
            # meta copied from the response: the new request is a task of its own.
            del out.meta[META_KEY]
        return 0
    producers[id(out)] = state.worker
    return 1


class ItemPipeline(_Component):
    """Item pipeline: every item that reaches it goes to the run's dataset."""

    def process_item(self, item: Any, spider: Any = None) -> Any:
        extension = self.extension
        if extension is None:
            return item
        worker = extension.producers.pop(id(item), 0)
        run = extension.run
        if run is not None:
            run.item(worker, item if type(item) is dict else ItemAdapter(item).asdict())
        return item
