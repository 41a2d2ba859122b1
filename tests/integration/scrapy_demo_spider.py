"""A plain Scrapy spider for the demo marketplace, watched through crawlscope's add-on.

It walks the site as the demo collection does (home -> departments -> category listings
-> products -> offer searches per price band) and yields one item per seller offer.
Run it in a process of its own (one Twisted reactor per process)::

    python -m tests.integration.scrapy_demo_spider BASE_URL [--server URL | --database PATH]
        [--concurrency N] [--plain]

``--plain`` runs it without crawlscope (the benchmark's baseline).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import scrapy
from scrapy.crawler import CrawlerProcess


class DemoSpider(scrapy.Spider):
    """The demo marketplace's sellers, as a Scrapy user would write it."""

    name = "demo_sellers"

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    async def start(self) -> Any:
        yield scrapy.Request(f"{self.base_url}/", callback=self.parse)

    def parse(self, response: Any) -> Iterator[Any]:
        # Twice, as a menu and a footer would link them: Scrapy's dupefilter drops the
        # second set, and crawlscope reports every drop.
        for _ in range(2):
            yield from response.follow_all(css="a.dept", callback=self.department)

    def department(self, response: Any) -> Iterator[Any]:
        yield from response.follow_all(css="a.cat", callback=self.listing)

    def listing(self, response: Any) -> Iterator[Any]:
        yield from response.follow_all(css="a.product", callback=self.product)
        pager = response.css("nav.pager")
        page, pages = int(pager.attrib["data-page"]), int(pager.attrib["data-pages"])
        if page < pages:
            yield response.follow(f"?page={page + 1}", callback=self.listing)

    def product(self, response: Any) -> Iterator[Any]:
        product = response.url.rstrip("/").rsplit("/", 1)[-1]
        for band in response.css("li.band"):
            if int(band.attrib["data-offers"]) == 0:
                continue
            yield self._offers(product, band.attrib["data-min"], band.attrib["data-max"], 1)

    def _offers(self, product: str, low: str, high: str, page: int) -> scrapy.Request:
        query = urlencode({"product": product, "min_price": low, "max_price": high, "page": page})
        return scrapy.Request(
            f"{self.base_url}/api/offers?{query}",
            callback=self.offers,
            cb_kwargs={"product": product, "low": low, "high": high, "page": page},
        )

    def offers(self, response: Any, product: str, low: str, high: str, page: int) -> Iterator[Any]:
        data = json.loads(response.text)
        for offer in data["offers"]:
            yield {"seller_id": offer["seller_id"], "name": offer["seller_name"]}
        if page == 1:
            for next_page in range(2, int(data["pages"]) + 1):
                yield self._offers(product, low, high, next_page)


def settings_for(args: argparse.Namespace) -> dict[str, Any]:
    """The crawl's Scrapy settings: the two crawlscope lines unless ``--plain``."""
    settings: dict[str, Any] = {
        "CONCURRENT_REQUESTS": args.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": args.concurrency,
        "LOG_LEVEL": args.log_level,
        "RETRY_TIMES": 5,
        "TELNETCONSOLE_ENABLED": False,
        "ROBOTSTXT_OBEY": False,
    }
    if not args.plain:
        settings["ADDONS"] = {"crawlscope.integrations.scrapy.Crawlscope": 500}
        if args.server:
            settings["CRAWLSCOPE_SERVER"] = args.server
        if args.database:
            settings["CRAWLSCOPE_DATABASE"] = args.database
        settings["CRAWLSCOPE_ITEM_KEY"] = "seller_id"
    return settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("base_url")
    parser.add_argument("--server")
    parser.add_argument("--database")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--plain", action="store_true")
    args = parser.parse_args()
    process = CrawlerProcess(settings_for(args))
    process.crawl(DemoSpider, base_url=args.base_url)
    process.start()


if __name__ == "__main__":
    main()
