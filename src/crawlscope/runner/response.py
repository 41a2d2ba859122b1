"""A fully read response, with CSS/XPath selectors (parsel) built on first use.

parsel (with lxml) is imported on first use too: it takes longer to import than the rest
of the runner, and a collection reading JSON or using its own parser never needs it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import msgspec

from crawlscope.runner.errors import ParseError
from crawlscope.runner.links import join_url

if TYPE_CHECKING:
    from parsel import Selector, SelectorList

__all__ = ["Response"]

_json_decode = msgspec.json.decode


class Response:
    """A fully read response. ``text()`` and ``json()`` decode the body on demand;
    ``css()`` and ``xpath()`` query it as Scrapy's responses do (through parsel).

    ``url`` is the URL requested, with its query parameters (redirects the transport
    followed are not reflected).
    """

    # ``_selector`` and ``_base_url`` are left unset until first used (an unset slot costs
    # nothing): most responses of a fast crawl are read with ``text()`` or ``json()`` only.
    __slots__ = ("_base_url", "_selector", "body", "duration_ms", "headers", "status", "url")
    _selector: Selector
    _base_url: str

    def __init__(
        self, status: int, headers: Mapping[str, str], url: str, body: bytes, duration_ms: float
    ) -> None:
        self.status = status
        self.headers = headers
        self.url = url
        self.body = body
        self.duration_ms = duration_ms

    def text(self, encoding: str = "utf-8") -> str:
        """The body as text; undecodable bytes are replaced rather than raising."""
        return self.body.decode(encoding, errors="replace")

    def json(self) -> Any:
        """The body as JSON; a ``ParseError`` (stage ``extraction``) if it is not JSON."""
        try:
            return _json_decode(self.body)
        except msgspec.DecodeError as exc:
            raise ParseError(f"invalid JSON from {self.url}: {exc}") from exc

    @property
    def selector(self) -> Selector:
        """The parsel ``Selector`` of the body, built once (HTML, or JSON for a JSON body)."""
        try:
            return self._selector
        except AttributeError:
            from parsel import Selector

            selector = self._selector = Selector(text=self.text(), base_url=self.url)
            return selector

    def css(self, query: str) -> SelectorList[Selector]:
        """Elements matching a CSS selector: ``response.css("a.product::attr(href)").getall()``."""
        return self.selector.css(query)

    def xpath(self, query: str, **variables: Any) -> SelectorList[Selector]:
        """Elements matching an XPath expression (``$name`` variables as keyword arguments)."""
        return self.selector.xpath(query, **variables)

    @property
    def base_url(self) -> str:
        """The URL relative links are joined against: the page's ``<base href>`` if it has
        one, else ``url``."""
        try:
            return self._base_url
        except AttributeError:
            from w3lib.html import get_base_url

            base = self._base_url = get_base_url(self.body, self.url)
            return base

    def urljoin(self, href: str) -> str:
        """``href`` (relative, absolute or a fragment) as an absolute URL of this page;
        see ``crawlscope.runner.links.join_url`` for what is refused."""
        return join_url(self.base_url, href)
