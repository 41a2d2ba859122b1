"""The demo target site: a small marketplace served on 127.0.0.1 that misbehaves on purpose.

A plain ASGI app (no framework: routing five paths by hand keeps the site cheap enough
that benchmarks measure the crawler, not the site). Pages:

* ``/``: departments; ``/d/{slug}``: categories with product counts;
* ``/c/{id}?page=N``: a product listing with a pager;
* ``/p/{id}``: a product page listing its price bands and offer counts;
* ``/api/offers?product=&min_price=&max_price=&page=``: a JSON seller search;
* ``/api/ground-truth``: every seller id with an offer (for tests and benchmarks);
* ``/robots.txt``: ``DEFAULT_ROBOTS_TXT`` (keeps crawlers out of the ground truth only) or
  the rules the site was created with.

Every HTML page ends with ``<!-- end -->`` unless the ``broken`` fault cut it short. Run it
in its own process with ``python -m crawlscope.demo.target_site --port 8001``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html
import math
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import msgspec
import uvicorn

from crawlscope.demo.catalog import PAGE_SIZE, Catalog, Offer, build_catalog
from crawlscope.demo.faults import Fault, FaultConfig, FaultPlan
from crawlscope.serving import serve_in_loop

__all__ = ["DEFAULT_ROBOTS_TXT", "RunningSite", "TargetSite", "create_site", "serve_site"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

END_MARKER = "<!-- end -->"
_HTML = [(b"content-type", b"text/html; charset=utf-8")]
_TEXT = [(b"content-type", b"text/plain; charset=utf-8")]
DEFAULT_ROBOTS_TXT = "User-agent: *\nDisallow: /api/ground-truth\n"
_JSON = [(b"content-type", b"application/json")]
_encode = msgspec.json.Encoder().encode


class _NotFound(Exception):
    pass


def _page(title: str, body: str) -> str:
    return (
        f"<!doctype html><html><head><title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>\n{END_MARKER}"
    )


def _int(query: dict[str, list[str]], name: str, default: int | None = None) -> int:
    values = query.get(name)
    if not values:
        if default is None:
            raise _NotFound
        return default
    try:
        return int(values[0])
    except ValueError as exc:
        raise _NotFound from exc


def _float(query: dict[str, list[str]], name: str) -> float:
    try:
        return float(query[name][0])
    except (KeyError, ValueError) as exc:
        raise _NotFound from exc


class TargetSite:
    """The ASGI app. ``requests`` and ``faults_served`` count what it did."""

    def __init__(
        self, catalog: Catalog, faults: FaultConfig, robots_txt: str = DEFAULT_ROBOTS_TXT
    ) -> None:
        self.catalog = catalog
        self.faults = faults
        self.robots_txt = robots_txt
        self.plan = FaultPlan(faults)
        self.requests = 0
        self.faults_served: dict[str, int] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        self.requests += 1
        path: str = scope["path"]
        raw_query: bytes = scope.get("query_string", b"")
        key = f"{path}?{raw_query.decode('latin-1')}" if raw_query else path
        fault, latency = self.plan.decide(key)
        if fault is not Fault.NONE:
            self.faults_served[fault] = self.faults_served.get(fault, 0) + 1
        if fault is Fault.SLOW:
            latency += self.faults.slow_s
        elif fault is Fault.TIMEOUT:
            latency += self.faults.timeout_s
        if latency and await _client_left(receive, latency):
            return  # nobody is waiting for the answer any more
        if fault is Fault.RATE_LIMIT:
            headers = [(b"retry-after", str(math.ceil(self.faults.retry_after_s)).encode())]
            await _respond(send, 429, b"slow down", [*headers, (b"content-type", b"text/plain")])
            return
        if fault is Fault.SERVER_ERROR:
            await _respond(send, 500, b"internal error", [(b"content-type", b"text/plain")])
            return
        try:
            status, body, headers = self.render(path, parse_qs(raw_query.decode("latin-1")))
        except _NotFound:
            await _respond(send, 404, b"not found", [(b"content-type", b"text/plain")])
            return
        if fault is Fault.BROKEN:
            body = body[: len(body) // 2]
        await _respond(send, status, body, headers)

    def render(
        self, path: str, query: dict[str, list[str]]
    ) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        """The undisturbed response for a path: ``(status, body, headers)``."""
        parts = [p for p in path.split("/") if p]
        if not parts:
            return 200, self._home().encode(), _HTML
        if parts == ["robots.txt"]:
            return 200, self.robots_txt.encode(), _TEXT
        if parts[0] == "api" and len(parts) == 2:
            if parts[1] == "offers":
                return 200, self._offers(query), _JSON
            if parts[1] == "ground-truth":
                return 200, _encode(sorted(self.catalog.ground_truth_seller_ids())), _JSON
        if len(parts) == 2:
            kind, ident = parts
            if kind == "d":
                return 200, self._department(ident).encode(), _HTML
            if kind == "c" and ident.isdigit():
                return 200, self._listing(int(ident), _int(query, "page", 1)).encode(), _HTML
            if kind == "p" and ident.isdigit():
                return 200, self._product(int(ident)).encode(), _HTML
        raise _NotFound

    def _home(self) -> str:
        links = "".join(
            f'<li><a class="dept" href="/d/{d.slug}">{html.escape(d.name)}</a></li>'
            for d in self.catalog.departments
        )
        return _page("Demo marketplace", f"<ul>{links}</ul>")

    def _department(self, slug: str) -> str:
        department = self.catalog.department(slug)
        if department is None:
            raise _NotFound
        items = []
        for category_id in department.category_ids:
            category = self.catalog.categories[category_id]
            items.append(
                f'<li><a class="cat" href="/c/{category.id}" '
                f'data-products="{len(category.product_ids)}">{html.escape(category.name)}</a></li>'
            )
        return _page(department.name, f"<ul>{''.join(items)}</ul>")

    def _listing(self, category_id: int, page: int) -> str:
        category = self.catalog.categories.get(category_id)
        if category is None or not 1 <= page <= category.pages:
            raise _NotFound
        ids = category.product_ids[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        items = "".join(
            f'<li><a class="product" href="/p/{pid}" data-id="{pid}">'
            f"{html.escape(self.catalog.products[pid].name)}</a></li>"
            for pid in ids
        )
        pager = (
            f'<nav class="pager" data-page="{page}" data-pages="{category.pages}" '
            f'data-count="{len(ids)}"></nav>'
        )
        return _page(category.name, f"<ul>{items}</ul>{pager}")

    def _product(self, product_id: int) -> str:
        product = self.catalog.products.get(product_id)
        if product is None:
            raise _NotFound
        bands = "".join(
            f'<li class="band" data-min="{low:.2f}" data-max="{high:.2f}" '
            f'data-offers="{count}"></li>'
            for low, high, count in product.bands()
        )
        return _page(product.name, f'<ul class="bands">{bands}</ul>')

    def _offer(self, offer: Offer) -> dict[str, Any]:
        """One offer as the search shows it; a seller's missing country or rating is
        left out (an incomplete profile, not an error)."""
        catalog = self.catalog
        shown: dict[str, Any] = {
            "seller_id": offer.seller_id,
            "seller_name": catalog.sellers[offer.seller_id],
            "price": offer.price,
        }
        country = catalog.seller_countries.get(offer.seller_id)
        if country is not None:
            shown["seller_country"] = country
        rating = catalog.seller_ratings.get(offer.seller_id)
        if rating is not None:
            shown["seller_rating"] = rating
        return shown

    def _offers(self, query: dict[str, list[str]]) -> bytes:
        product = self.catalog.products.get(_int(query, "product"))
        if product is None:
            raise _NotFound
        offers = product.offers_in(_float(query, "min_price"), _float(query, "max_price"))
        pages = max(1, -(-len(offers) // PAGE_SIZE))
        page = _int(query, "page", 1)
        if not 1 <= page <= pages:
            raise _NotFound
        chunk = offers[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        return _encode(
            {
                "product": product.id,
                "page": page,
                "pages": pages,
                "total": len(offers),
                "offers": [self._offer(o) for o in chunk],
            }
        )


async def _client_left(receive: Receive, seconds: float) -> bool:
    """Wait ``seconds`` unless the client disconnects first; True if it did.

    A delayed answer (slow, timeout faults) must not outlive its client: uvicorn does not
    cancel a request whose client went away, so a handler still sleeping when the site
    stops would be cancelled by uvicorn's graceful-shutdown timeout, which logs the
    ``CancelledError`` with a traceback (a demo stopped by Ctrl-C or SIGTERM cancels its
    run, whose requests then close their connections, just before the site stops).
    """
    try:
        async with asyncio.timeout(seconds):
            while (await receive())["type"] != "http.disconnect":
                pass  # the (empty) request body; the next message is the disconnect
    except TimeoutError:
        return False
    return True


async def _respond(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*headers, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def create_site(
    catalog: Catalog, faults: FaultConfig, *, robots_txt: str = DEFAULT_ROBOTS_TXT
) -> TargetSite:
    """The ASGI app for ``catalog`` with ``faults`` (and ``robots_txt`` as its rules)."""
    return TargetSite(catalog, faults, robots_txt)


@dataclass
class RunningSite:
    """A site being served: its base URL and the app (for its counters)."""

    url: str
    app: TargetSite


@contextlib.asynccontextmanager
async def serve_site(
    app: TargetSite, *, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[RunningSite]:
    """Serve ``app`` with uvicorn in this event loop; port 0 picks a free port."""
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError("the demo site only listens on loopback")
    async with serve_in_loop(app, host=host, port=port, lifespan="off") as url:
        yield RunningSite(url, app)


def main() -> None:
    """``python -m crawlscope.demo.target_site``: serve the site in its own process."""
    parser = argparse.ArgumentParser(description="Serve the crawlscope demo marketplace.")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--scale", default="small", choices=["tiny", "small", "medium", "large"])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--faults", default="demo", choices=["demo", "off", "down"])
    args = parser.parse_args()
    faults = {"demo": FaultConfig.demo, "off": FaultConfig.off, "down": FaultConfig.down}
    app = create_site(build_catalog(args.seed, args.scale), faults[args.faults]())
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        lifespan="off",
    )


if __name__ == "__main__":
    main()
