"""The four crawl clients of ``crawl_throughput.py``, each measured in a process of its own.

``crawl_throughput.py --client NAME`` calls ``client_main``: it crawls the URLs in a file
and prints one ``RESULT {json}`` line (pages with status 200, wall and CPU seconds around
the crawl itself, imports and set-up excluded). See ``crawl_throughput.py`` for what each
client is and how they are compared.
"""

from __future__ import annotations

import asyncio
import gc
import json
import time
from pathlib import Path
from typing import Any

from _common import WriterCpu, fresh_db_path


class Meter:
    """Wall and process CPU time around a crawl, plus when the first and last page came."""

    def __init__(self) -> None:
        self.ok = 0
        self.other = 0
        self.first: float | None = None
        self.last = 0.0

    def page(self, status: int) -> None:
        now = time.perf_counter()
        if self.first is None:
            self.first = now
        self.last = now
        if status == 200:
            self.ok += 1
        else:
            self.other += 1

    def start(self) -> None:
        # Every client starts from a collected heap: the garbage its imports and set-up
        # left behind is not charged to its first seconds of crawling.
        gc.collect()
        self.t0 = time.perf_counter()
        self.c0 = time.process_time()

    def stop(self, extra_cpu: float = 0.0) -> None:
        """``extra_cpu``: CPU seconds of helper processes (the runner's event writer)."""
        self.elapsed = time.perf_counter() - self.t0
        self.cpu_main = time.process_time() - self.c0
        self.cpu_helpers = extra_cpu
        self.cpu = self.cpu_main + extra_cpu

    def result(self, **extra: Any) -> dict[str, Any]:
        span = self.last - self.first if self.first is not None else 0.0
        return {
            "ok": self.ok,
            "other": self.other,
            "elapsed": self.elapsed,
            "cpu": self.cpu,
            "cpu_main": self.cpu_main,
            "cpu_helpers": self.cpu_helpers,
            # first response to last response: the rate without start-up and shut-down
            "span": span,
            **extra,
        }


def client_aiohttp(urls: list[str], concurrency: int) -> dict[str, Any]:
    import aiohttp

    meter = Meter()

    async def crawl() -> None:
        pending = iter(urls)
        connector = aiohttp.TCPConnector(limit=0, limit_per_host=0)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def worker() -> None:
                for url in pending:  # a shared iterator: whoever is free takes the next URL
                    async with session.get(url) as resp:
                        await resp.read()
                        meter.page(resp.status)

            meter.start()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            meter.stop()

    asyncio.run(crawl())
    return meter.result()


def client_runner(
    urls: list[str], concurrency: int, writer: str = "process", frontier: bool = True
) -> dict[str, Any]:
    from crawlscope.events import Action
    from crawlscope.monitor import Monitor
    from crawlscope.runner import Collection, SitePolicy, Task, TaskContext

    meter = Meter()

    async def fetch(ctx: TaskContext, task: Task) -> None:
        resp = await ctx.http.get(task.payload["url"])
        meter.page(resp.status)

    collection = Collection("crawl-throughput", site_policy=SitePolicy(max_concurrency=concurrency))
    collection.seed(lambda params: [Task(url, payload={"url": url}) for url in urls])
    collection.add_phase("pages", fetch, workers=concurrency)

    async def crawl() -> dict[str, Any]:
        async with Monitor(fresh_db_path("crawl-runner"), event_writer=writer) as monitor:
            run = monitor.new_run(collection)
            if not frontier:
                run.frontier_sink = None
            writer_cpu = WriterCpu(monitor)
            writer_cpu.start()
            meter.start()
            status = await run.execute()  # returns after the run's events are stored
            meter.stop(writer_cpu.stop())
            frame = await monitor.frames.frame(run.run_id)
            stored = await monitor.store.events.count(run.run_id)
            assert frame is not None
            checks = {
                "status": status,
                "requests": frame.totals.requests,
                "successes": frame.totals.successes,
                "events_stored": stored,
                "last_seq": frame.last_seq,
            }
            fetching = await monitor.store.events.read_all(run.run_id)
            checks["fetching_stored"] = sum(1 for e in fetching if e.action == Action.FETCHING)
        ok = (
            status == "completed"
            and checks["requests"] == len(urls)
            and checks["successes"] == len(urls)
            and stored == frame.last_seq
            and checks["fetching_stored"] == len(urls)
        )
        if not ok:
            raise SystemExit(f"runner bookkeeping does not add up: {checks}")
        return checks

    checks = asyncio.run(crawl())
    return meter.result(checks=checks, event_writer=writer)


def client_runner_inline(urls: list[str], concurrency: int) -> dict[str, Any]:
    """The runner with its events written in-process (SQLAlchemy + aiosqlite's thread)."""
    return client_runner(urls, concurrency, writer="inline")


def client_runner_no_frontier(urls: list[str], concurrency: int) -> dict[str, Any]:
    """The runner without its frontier (no user run does this): what crash resume costs."""
    return client_runner(urls, concurrency, frontier=False)


def client_scrapy(
    urls: list[str], concurrency: int, log_level: str | None = None
) -> dict[str, Any]:
    import scrapy
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    meter = Meter()

    class PagesSpider(scrapy.Spider):
        name = "pages"

        async def start(self) -> Any:  # Scrapy >= 2.13
            for url in urls:
                yield scrapy.Request(url, callback=self.parse)

        def start_requests(self) -> Any:  # older Scrapy
            for url in urls:
                yield scrapy.Request(url, callback=self.parse)

        def parse(self, response: Any) -> None:
            meter.page(response.status)

    # Scrapy's defaults (not a project template), except the concurrency. Its default
    # DEBUG log (a line per page) goes to stderr, which the parent sends to a file.
    settings = Settings()
    settings.set("CONCURRENT_REQUESTS", concurrency)
    settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", concurrency)
    if log_level is not None:  # only the optional ``scrapy_info`` client
        settings.set("LOG_LEVEL", log_level)
    process = CrawlerProcess(settings)
    process.crawl(PagesSpider)
    meter.start()
    process.start()
    meter.stop()
    return meter.result(settings={k: settings.get(k) for k in ("CONCURRENT_REQUESTS", "LOG_LEVEL")})


def client_scrapy_info(urls: list[str], concurrency: int) -> dict[str, Any]:
    """Scrapy as above but with ``LOG_LEVEL=INFO`` (not a default: shows what its log costs)."""
    return client_scrapy(urls, concurrency, log_level="INFO")


def client_crawlee(urls: list[str], concurrency: int) -> dict[str, Any]:
    from crawlee import ConcurrencySettings
    from crawlee.crawlers import HttpCrawler, HttpCrawlingContext
    from crawlee.storage_clients import MemoryStorageClient

    meter = Meter()
    crawler = HttpCrawler(
        concurrency_settings=ConcurrencySettings(
            min_concurrency=concurrency,
            desired_concurrency=concurrency,
            max_concurrency=concurrency,
        ),
        storage_client=MemoryStorageClient(),
    )

    @crawler.router.default_handler
    async def handler(context: HttpCrawlingContext) -> None:
        meter.page(context.http_response.status_code)

    async def crawl() -> None:
        meter.start()
        await crawler.run(urls)
        meter.stop()

    asyncio.run(crawl())
    return meter.result(http_client=type(getattr(crawler, "_http_client", None)).__name__)


CLIENT_FUNCTIONS = {
    "runner": client_runner,
    "aiohttp": client_aiohttp,
    "scrapy": client_scrapy,
    "crawlee": client_crawlee,
    "scrapy_info": client_scrapy_info,
    "runner_inline": client_runner_inline,
    "runner_no_frontier": client_runner_no_frontier,
}


def client_main(name: str, urls_file: str, concurrency: int) -> None:
    """One measurement in this process; the result is the last line of stdout."""
    urls = Path(urls_file).read_text().split()
    result = CLIENT_FUNCTIONS[name](urls, concurrency)
    print("RESULT " + json.dumps(result), flush=True)
