"""Watch a Scrapy spider in crawlscope: two lines in the project's settings.py::

    ADDONS = {"crawlscope.integrations.scrapy.Crawlscope": 500}
    CRAWLSCOPE_SERVER = "http://127.0.0.1:8000"   # token: CRAWLSCOPE_TOKEN (setting or env)

or ``CRAWLSCOPE_DATABASE = "crawlscope.db"`` for a local database instead of a server.
Every request, response, retry, error, item, dropped duplicate and the close reason are
reported live; pause, resume and cancel from the dashboard reach the spider. See
docs/integrations/scrapy.md for what is reported and how.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawlscope.integrations.scrapy.components import (
    AttemptMiddleware,
    GiveUpMiddleware,
    ItemPipeline,
    TaskMiddleware,
)
from crawlscope.integrations.scrapy.extension import CrawlscopeExtension

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

__all__ = [
    "AttemptMiddleware",
    "Crawlscope",
    "CrawlscopeExtension",
    "GiveUpMiddleware",
    "ItemPipeline",
    "TaskMiddleware",
]

_HERE = __name__


class Crawlscope:
    """The Scrapy add-on (``ADDONS``): installs the extension, the middlewares and the
    item pipeline at the places they must be (docs/integrations/scrapy.md)."""

    def update_settings(self, settings: BaseSettings) -> None:
        """Add crawlscope's components to ``settings``."""
        settings["EXTENSIONS"][f"{_HERE}.CrawlscopeExtension"] = 0
        settings["DOWNLOADER_MIDDLEWARES"][f"{_HERE}.AttemptMiddleware"] = 950
        settings["DOWNLOADER_MIDDLEWARES"][f"{_HERE}.GiveUpMiddleware"] = 40
        settings["SPIDER_MIDDLEWARES"][f"{_HERE}.TaskMiddleware"] = 10
        settings["ITEM_PIPELINES"][f"{_HERE}.ItemPipeline"] = 1000
