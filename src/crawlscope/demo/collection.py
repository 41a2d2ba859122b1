"""The demo collection: crawl the demo marketplace's catalog, then search every product's sellers.

Two phases, like a real marketplace job:

* ``catalog``: home page -> departments -> category listings (paginated) -> product pages,
  which list the price bands of the product's offers;
* ``sellers``: one offer search per product and price band (paginated JSON); every seller
  found goes into the dataset, deduplicated by ``seller_id``.

Items follow the ``DemoSeller`` schema, so the run reports live data quality: the demo
site's sellers often lack a country or a rating, and a few rate ``"n/a"`` (invalid).

Parsing is strict on purpose: a page without its end marker or with a wrong item count is
a ``ParseError``, so the site's broken pages are retried rather than silently accepted.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import msgspec

from crawlscope.runner import Collection, ParseError, SitePolicy, Task, TaskContext

__all__ = ["DemoParams", "DemoSeller", "demo_collection"]

END_MARKER = "<!-- end -->"
_DEPT = re.compile(r'<a class="dept" href="/d/([^"]+)">([^<]*)</a>')
_CAT = re.compile(r'<a class="cat" href="/c/(\d+)" data-products="(\d+)">([^<]*)</a>')
_PRODUCT = re.compile(r'<a class="product" href="/p/(\d+)" data-id="\d+">([^<]*)</a>')
_PAGER = re.compile(
    r'<nav class="pager" data-page="(\d+)" data-pages="(\d+)" data-count="(\d+)"></nav>'
)
_BAND = re.compile(
    r'<li class="band" data-min="([\d.]+)" data-max="([\d.]+)" data-offers="(\d+)"></li>'
)
_TITLE = re.compile(r"<h1>([^<]*)</h1>")

LEVELS = ("categories", "products", "seller pages")


class DemoParams(msgspec.Struct, forbid_unknown_fields=True):
    """Parameters of a demo run.

    Attributes:
        base_url: the demo site, e.g. ``http://127.0.0.1:8001`` (loopback only).
        max_categories: crawl only the catalog's first this many categories, by number
            (None: all). The same categories every time, whichever department page
            answers first; category 1 has the seller whose name is markup.
    """

    base_url: str
    max_categories: int | None = None

    def __post_init__(self) -> None:
        if not re.match(r"^https?://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?/?$", self.base_url):
            raise ValueError("base_url must be an http URL on 127.0.0.1 or localhost")
        if self.max_categories is not None and self.max_categories < 1:
            raise ValueError("max_categories must be >= 1")


class DemoSeller(msgspec.Struct):
    """A seller as the demo collects it: the item schema of its dataset.

    Attributes:
        seller_id: the marketplace's seller id (the dataset key).
        name: the seller's display name, as shown (never empty).
        country: ISO 3166 two-letter country code, when the profile has one.
        rating: 1.0-5.0 stars, when the seller is rated.
    """

    seller_id: int
    name: Annotated[str, msgspec.Meta(min_length=1)]
    country: Annotated[str, msgspec.Meta(pattern="^[A-Z]{2}$")] | None = None
    rating: Annotated[float, msgspec.Meta(ge=1, le=5)] | None = None


def _page(ctx: TaskContext, body: str) -> str:
    if not body.rstrip().endswith(END_MARKER):
        raise ctx.parse_error(f"page truncated: no end marker ({len(body)} bytes)")
    return body


async def _home(ctx: TaskContext, base: str) -> None:
    body = _page(ctx, (await ctx.http.get(f"{base}/")).text())
    departments = _DEPT.findall(body)
    if not departments:
        raise ctx.parse_error("no departments on the home page")
    for slug, name in departments:
        ctx.enqueue(
            Task(
                f"department {name}",
                payload={"kind": "dept", "slug": slug},
                category=name,
                key=f"d:{slug}",
            )
        )


async def _department(ctx: TaskContext, base: str, task: Task) -> None:
    body = _page(ctx, (await ctx.http.get(f"{base}/d/{task.payload['slug']}")).text())
    categories = _CAT.findall(body)
    if not categories:
        raise ctx.parse_error("no categories on the department page")
    limit = ctx.params.get("max_categories")
    for cat_id, products, name in categories:
        if limit is not None and int(cat_id) > limit:
            continue
        path = f"{task.category} / {name}"
        ctx.enqueue(
            Task(
                f"{name}, page 1",
                category=path,
                key=f"c:{cat_id}:1",
                payload={"kind": "listing", "cat": int(cat_id), "page": 1},
            )
        )
        ctx.progress.add_total("categories", 1)
        ctx.progress.add_total("products", int(products))


async def _listing(ctx: TaskContext, base: str, task: Task) -> None:
    cat, page = task.payload["cat"], task.payload["page"]
    response = await ctx.http.get(f"{base}/c/{cat}", params={"page": page})
    body = _page(ctx, response.text())
    pager = _PAGER.search(body)
    if pager is None:
        raise ctx.parse_error("listing has no pager")
    pages, count = int(pager.group(2)), int(pager.group(3))
    products = _PRODUCT.findall(body)
    if len(products) != count:
        raise ctx.parse_error(f"listing shows {len(products)} products, pager says {count}")
    name = (task.category or "").rsplit(" / ", 1)[-1]
    if page == 1:
        for next_page in range(2, pages + 1):
            ctx.enqueue(
                Task(
                    f"{name}, page {next_page}",
                    category=task.category,
                    key=f"c:{cat}:{next_page}",
                    payload={"kind": "listing", "cat": cat, "page": next_page},
                )
            )
    for product_id, product_name in products:
        ctx.enqueue(
            Task(
                f"product {product_id}",
                category=task.category,
                item=product_name,
                key=f"p:{product_id}",
                payload={"kind": "product", "product": int(product_id)},
            )
        )
    # A category is done when all of its listing pages are.
    remaining: dict[int, int] = ctx.run_state.setdefault("pages_left", {})
    left = remaining.get(cat, pages) - 1
    remaining[cat] = left
    if left == 0:
        ctx.progress.advance("categories")


async def _product(ctx: TaskContext, base: str, task: Task) -> None:
    product = task.payload["product"]
    body = _page(ctx, (await ctx.http.get(f"{base}/p/{product}")).text())
    bands = _BAND.findall(body)
    if not bands or _TITLE.search(body) is None:
        raise ctx.parse_error("product page has no title or no price bands")
    for low, high, offers in bands:
        if int(offers) == 0:
            continue
        ctx.enqueue(
            Task(
                f"sellers of {product}, {low}-{high}",
                category=task.category,
                item=task.item,
                key=f"s:{product}:{low}:{high}:1",
                payload={"product": product, "min_price": low, "max_price": high, "page": 1},
            ),
            phase="sellers",
        )
        ctx.progress.add_total("seller pages", 1)
    ctx.progress.advance("products")


async def catalog(ctx: TaskContext, task: Task) -> None:
    """Phase 1: walk the catalog from the home page down to product pages."""
    base = ctx.params["base_url"].rstrip("/")
    kind = task.payload["kind"]
    if kind == "home":
        await _home(ctx, base)
    elif kind == "dept":
        await _department(ctx, base, task)
    elif kind == "listing":
        await _listing(ctx, base, task)
    else:
        await _product(ctx, base, task)


async def sellers(ctx: TaskContext, task: Task) -> None:
    """Phase 2: page through one product's offers in one price band; keep the sellers."""
    base = ctx.params["base_url"].rstrip("/")
    p = task.payload
    data: Any = await ctx.http.fetch_json(
        f"{base}/api/offers",
        params={
            "product": p["product"],
            "min_price": p["min_price"],
            "max_price": p["max_price"],
            "page": p["page"],
        },
    )
    try:
        offers = data["offers"]
        pages = int(data["pages"])
        # Taken as shown, even a rating of "n/a": the schema reports it, nothing is dropped.
        sellers_found = [
            {
                "seller_id": o["seller_id"],
                "name": o["seller_name"],
                "country": o.get("seller_country"),
                "rating": o.get("seller_rating"),
            }
            for o in offers
        ]
    except (KeyError, TypeError, ValueError) as exc:
        raise ParseError(f"unexpected offers payload: {exc!r}") from exc
    ctx.add_items(sellers_found)
    if p["page"] == 1:
        for page in range(2, pages + 1):
            ctx.enqueue(
                Task(
                    f"sellers of {p['product']}, {p['min_price']}-{p['max_price']}, page {page}",
                    category=task.category,
                    item=task.item,
                    key=f"s:{p['product']}:{p['min_price']}:{p['max_price']}:{page}",
                    payload={**p, "page": page},
                )
            )
        ctx.progress.add_total("seller pages", pages - 1)
    ctx.progress.advance("seller pages")


def demo_collection(
    *,
    workers: int = 5,
    dataset: str = "demo_sellers",
    timeout: float = 2.0,
    max_consecutive_failures: int = 5,
    site_policy: SitePolicy | None = None,
    name: str = "demo",
) -> Collection:
    """The demo collection, ready to run with ``DemoParams``.

    ``site_policy`` replaces the demo's own (a tight ``rate_per_second`` shows workers
    waiting for the rate limit); ``name`` registers a variant next to the demo.
    """
    collection = Collection(
        name,
        dataset=dataset,
        key="seller_id",
        item_schema=DemoSeller,
        params=DemoParams,
        progress_levels=LEVELS,
        max_consecutive_failures=max_consecutive_failures,
        task_attempts=3,
        task_retry_delay=0.1,
        site_policy=site_policy
        or SitePolicy(
            max_attempts=4,
            backoff_base=0.1,
            backoff_max=2.0,
            timeout=timeout,
            max_concurrency=64,
            breaker_threshold=8,
            breaker_cooldown=2.0,
            max_retry_after=5.0,
        ),
    )
    collection.seed(lambda params: [Task("home page", payload={"kind": "home"})])
    collection.add_phase("catalog", catalog, workers=workers)
    collection.add_phase("sellers", sellers, workers=workers)
    collection.validate()
    return collection
