"""A collection written the Scrapy/Crawlee way against the real demo site on 127.0.0.1:
CSS selectors, ``ctx.follow`` with URL joining, overlapping phases, robots.txt.

The collection walks the demo marketplace in three phases (``catalog``: home, departments,
listing pages; ``products``; ``offers``: the JSON seller search), the later two declared
``overlap=True`` so they work while the catalog is still being crawled. Its dataset must
equal the site's ground truth, and the event log must show the overlap; the progress it
reports must never look finished before the phases that find its work have ended.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from crawlscope.aggregate import RunAggregate
from crawlscope.demo import FaultConfig, build_catalog, create_site, serve_site
from crawlscope.demo.target_site import RunningSite
from crawlscope.events import Action, ActivityEvent
from crawlscope.monitor import Monitor
from crawlscope.runner import Collection, Response, Run, SitePolicy, Task, TaskContext
from crawlscope.runner.frontier import SavedFrontier
from crawlscope.status import RunStatus
from crawlscope.store import DatasetSink

FAULTS = FaultConfig(
    server_error_rate=0.04,
    rate_limit_rate=0.03,
    retry_after_s=0,
    broken_rate=0.05,
    latency_s=(0.0, 0.003),
    seed=5,
)
# Which phases add to each progress level's total (the collection below).
FEEDERS = {
    "listing pages": {"catalog"},
    "products": {"catalog"},
    "offer pages": {"products", "offers"},
}


@pytest.fixture
async def site() -> AsyncIterator[RunningSite]:
    async with serve_site(create_site(build_catalog(seed=7, scale="tiny"), FAULTS)) as running:
        yield running


def _whole(ctx: TaskContext, response: Response) -> Response:
    # The site cuts pages short on purpose: a page without its end marker is retried.
    if not response.text().rstrip().endswith("<!-- end -->"):
        raise ctx.parse_error(f"{response.url}: truncated page")
    return response


def follow_collection(
    dataset: str,
    *,
    respect_robots: bool = False,
    gate: bool = False,
    observed: list[bool] | None = None,
) -> Collection:
    """The marketplace, Scrapy style: selectors, follow, overlapping phases.

    ``gate``: every listing but the first waits until a product has been scraped.
    ``observed``: whether the ``products`` progress level was open, per product scraped.
    """
    collection = Collection(
        "follow",
        dataset=dataset,
        key="seller_id",
        progress_levels=tuple(FEEDERS),
        task_retry_delay=0.01,
        site_policy=SitePolicy(
            max_attempts=4,
            backoff_base=0.01,
            backoff_jitter=0,
            timeout=10,
            user_agent="crawlscope-test/1.0",
            respect_robots=respect_robots,
        ),
    )

    @collection.seed
    def seed(params: dict[str, Any]) -> list[Task]:
        return [Task("home", payload={"url": params["base_url"] + "/", "kind": "home"})]

    @collection.phase("catalog", workers=2)
    async def catalog(ctx: TaskContext, task: Task) -> None:
        kind = task.payload["kind"]
        state = ctx.run_state
        if gate and kind == "listing" and state.setdefault("first", task.key) != task.key:
            # Every listing but the first waits until a product has been scraped: with
            # phases that ran one after another this would never end, so the run ending
            # at all proves that `products` worked while `catalog` was still running.
            await state.setdefault("product scraped", asyncio.Event()).wait()
        page = _whole(ctx, await ctx.http.get(task.payload["url"]))
        if kind == "home":
            ctx.follow_all(page.css("a.dept"), payload={"kind": "dept"})
        elif kind == "dept":
            for link in page.css("a.cat"):
                ctx.follow(link, payload={"kind": "listing"})
                ctx.progress.add_total("products", int(link.attrib["data-products"]))
        else:
            pager = page.css("nav.pager")
            if not pager:
                raise ctx.parse_error("listing without a pager")
            pages = int(pager.attrib["data-pages"])
            if int(pager.attrib["data-page"]) == 1:
                ctx.progress.add_total("listing pages", pages)
                for number in range(2, pages + 1):
                    ctx.follow(f"?page={number}", payload={"kind": "listing"})
            ctx.follow_all(page.css("a.product::attr(href)"), phase="products")
            ctx.progress.advance("listing pages")

    @collection.phase("products", workers=3, overlap=True)
    async def products(ctx: TaskContext, task: Task) -> None:
        page = _whole(ctx, await ctx.http.get(task.payload["url"]))
        if page.css("h1::text").get() is None:
            raise ctx.parse_error("product without a title")
        product_id = page.url.rsplit("/", 1)[1]
        for band in page.css("li.band"):
            low, high = band.attrib["data-min"], band.attrib["data-max"]
            if band.attrib["data-offers"] != "0":
                ctx.follow(
                    f"/api/offers?product={product_id}&min_price={low}&max_price={high}&page=1",
                    phase="offers",
                )
                ctx.progress.add_total("offer pages", 1)
        ctx.progress.advance("products")
        if observed is not None:
            observed.append(ctx.scope.progress.is_open("products"))
        ctx.run_state.setdefault("product scraped", asyncio.Event()).set()

    @collection.phase("offers", workers=3, overlap=True)
    async def offers(ctx: TaskContext, task: Task) -> None:
        data = (await ctx.http.get(task.payload["url"])).json()
        ctx.add_items(
            {"seller_id": o["seller_id"], "name": o["seller_name"]} for o in data["offers"]
        )
        if data["page"] == 1:
            for number in range(2, data["pages"] + 1):
                ctx.follow(task.payload["url"].replace("&page=1", f"&page={number}"))
            ctx.progress.add_total("offer pages", data["pages"] - 1)
        ctx.progress.advance("offer pages")

    return collection


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _index(events: list[ActivityEvent], action: Action, phase: str) -> int:
    return next(i for i, e in enumerate(events) if e.action == action and e.phase == phase)


async def test_selectors_follow_and_overlapping_phases_collect_the_ground_truth(
    monitor: Monitor, site: RunningSite
) -> None:
    events: list[ActivityEvent] = []
    monitor.bus.add_listener(events.append)
    observed: list[bool] = []
    collection = follow_collection("follow_sellers", gate=True, observed=observed)
    run = monitor.new_run(collection, {"base_url": site.url}, seed=1)
    run.progress_interval = 0.02  # many progress snapshots to check
    status = await asyncio.wait_for(run.execute(), 60)
    assert status == "completed", run.finish_reason
    mine = [e for e in events if e.run_id == run.run_id]

    # The dataset is the ground truth (the faults really happened, and were retried).
    truth = site.app.catalog.ground_truth_seller_ids()
    keys = await monitor.store.datasets.keys("follow_sellers")
    assert sorted(int(k) for k in keys) == sorted(truth)
    assert site.app.faults_served.get("broken", 0) > 0

    # Overlap, from the event order: `products` started with `catalog`, and products were
    # scraped (and offers searched) before `catalog` completed; each phase completed only
    # after the phases feeding it.
    catalog_done = _index(mine, Action.PHASE_COMPLETED, "catalog")
    products_done = _index(mine, Action.PHASE_COMPLETED, "products")
    offers_done = _index(mine, Action.PHASE_COMPLETED, "offers")
    started = [e.phase for e in mine if e.action == Action.PHASE_STARTED]
    assert started == ["catalog", "products", "offers"]
    assert _index(mine, Action.PHASE_STARTED, "offers") < catalog_done
    first_product = next(
        i for i, e in enumerate(mine) if e.action == Action.COMPLETE and e.phase == "products"
    )
    assert first_product < catalog_done < products_done < offers_done
    assert any(e.action == Action.COMPLETE and e.phase == "offers" for e in mine[:products_done])
    # Every worker of the run has its own id, numbered on across the phases.
    ids: dict[str | None, set[int]] = {}
    for e in mine:
        if e.action == Action.FETCHING:
            ids.setdefault(e.phase, set()).add(e.worker_id)
    assert ids["catalog"] <= {1, 2}
    assert ids["products"] <= {3, 4, 5}
    assert ids["offers"] <= {6, 7, 8}
    assert [e.extra for e in mine if e.action == Action.PHASE_STARTED] == [
        {"workers": 2, "tasks": 1},
        {"workers": 3, "tasks": 0, "first_worker": 3, "overlap": True},
        {"workers": 3, "tasks": 0, "first_worker": 6, "overlap": True},
    ]
    # The first product was scraped while the catalog that finds products still ran (the
    # gate): the runner had the products level open then. Later ones may see it closed.
    assert observed[0] is True
    assert len(observed) == len(site.app.catalog.products)
    products = len(site.app.catalog.products)
    assert run.progress.get("products") == (products, products)
    assert not run.progress.is_open("products")

    # Progress: a level shows 100 % only once every phase feeding it has completed, the
    # run's ETA is never 0 before the end, and at the end everything is at 100 %.
    clock = _Clock()
    folded = RunAggregate(run.run_id, clock)
    completed: set[str] = set()
    snapshots = 0
    for event in mine:
        clock.now += 1.0  # a second per event: a pace slow enough to give ETAs in seconds
        folded.apply(event)
        if event.action == Action.PHASE_COMPLETED:
            completed.add(str(event.phase))
        if event.action != Action.RUN_PROGRESS:
            continue
        snapshots += 1
        frame = folded.frame()
        for level in frame.progress:
            if level.percent >= 100:
                assert FEEDERS[level.level] <= completed, (level, completed)
            if level.open:
                assert level.percent < 100, level
                assert level.eta_s != 0.0, level
        if frame.status == RunStatus.RUNNING:
            assert frame.eta_s != 0.0
    assert snapshots > 3
    final = folded.frame()
    assert final.status == RunStatus.COMPLETED
    assert [(p.level, p.percent, p.open) for p in final.progress] == [
        (name, 100.0, False) for name in FEEDERS
    ]


async def test_robots_txt_disallowed_pages_are_skipped_not_failed(monitor: Monitor) -> None:
    catalog = build_catalog(seed=7, scale="tiny")
    # Keep crawlers out of one category's listings and of one product page of another;
    # the group for another agent does not apply to ours.
    category = catalog.categories[min(catalog.categories)]
    product = next(
        p for p in sorted(catalog.products) if catalog.products[p].category_id != category.id
    )
    robots = (
        "User-agent: *\n"
        f"Disallow: /c/{category.id}$\n"
        f"Disallow: /c/{category.id}?\n"
        f"Disallow: /p/{product}$\n"
        "\n"
        "User-agent: other\n"
        "Disallow: /\n"
    )
    app = create_site(catalog, FaultConfig.off(), robots_txt=robots)
    events: list[ActivityEvent] = []
    monitor.bus.add_listener(events.append)
    async with serve_site(app) as site:
        collection = follow_collection("polite", respect_robots=True)
        run = monitor.new_run(collection, {"base_url": site.url}, seed=3)
        status = await asyncio.wait_for(run.execute(), 60)
    assert status == "completed", run.finish_reason
    mine = [e for e in events if e.run_id == run.run_id]
    fetched = [e.url for e in mine if e.action == Action.FETCHING]

    # robots.txt was fetched once, first, as a request of the run.
    assert fetched.count(f"{site.url}/robots.txt") == 1
    assert fetched[0] == f"{site.url}/robots.txt"
    # Nothing disallowed was requested; each disallowed URL has its `skipped` event.
    assert not [u for u in fetched if f"/c/{category.id}" in u or u.endswith(f"/p/{product}")]
    skipped = sorted(e.url or "" for e in mine if e.action == Action.SKIPPED)
    assert skipped == sorted([f"{site.url}/c/{category.id}", f"{site.url}/p/{product}"])
    # Their tasks ended as skipped: done, not failed, no error anywhere.
    ends = [e for e in mine if e.action == Action.COMPLETE and (e.extra or {}).get("skipped")]
    assert sorted(e.url or "" for e in ends) == skipped
    assert all(e.error_type is None for e in ends)
    assert not [e for e in mine if e.action == Action.ERROR]
    assert run.control.tasks_failed == 0

    # The dataset is the ground truth minus the sellers only those pages lead to.
    kept = [
        p for pid, p in catalog.products.items() if p.category_id != category.id and pid != product
    ]
    expected = {offer.seller_id for p in kept for offer in p.offers}
    keys = await monitor.store.datasets.keys("polite")
    assert {int(k) for k in keys} == expected


async def test_an_interrupted_overlapping_run_resumes_to_the_ground_truth(
    monitor: Monitor, site: RunningSite
) -> None:
    """A frontier saved while `catalog` and `products` both ran: the home page still to do,
    a product already queued (its key seen), the products level open. Resumed, both phases
    start together again, the product is not queued twice, and the dataset is complete."""
    catalog = site.app.catalog
    product = min(catalog.products)
    product_url = f"{site.url}/p/{product}"
    saved = SavedFrontier(
        pending=[
            (1, "catalog", Task("home", payload={"url": site.url + "/", "kind": "home"})),
            (7, "products", Task(product_url, payload={"url": product_url}, key=product_url)),
        ],
        keys={"products": [product_url]},
        next_no=8,
        finished_phases=[],
        progress=[
            {"level": "products", "done": 0, "total": 0, "open": True, "sources": ["catalog"]}
        ],
        done=5,
    )
    events: list[ActivityEvent] = []
    monitor.bus.add_listener(events.append)
    collection = follow_collection("resumed")
    run = Run(
        collection,
        monitor,
        params={"base_url": site.url},
        sink=DatasetSink(monitor.store.datasets, "resumed"),
        frontier=monitor.store.frontiers,
        resume_from=saved,
    )
    assert await asyncio.wait_for(run.execute(), 60) == "completed", run.finish_reason
    mine = [e for e in events if e.run_id == run.run_id]
    keys = await monitor.store.datasets.keys("resumed")
    assert {int(k) for k in keys} == catalog.ground_truth_seller_ids()
    # The product queued before the crash was fetched once: the catalog found it again,
    # and its key, saved with the frontier, kept it from being queued twice.
    product_fetches = [e for e in mine if e.action == Action.FETCHING and e.url == product_url]
    assert len(product_fetches) == 1
    assert [e.phase for e in mine if e.action == Action.PHASE_STARTED] == [
        "catalog",
        "products",
        "offers",
    ]
    assert mine[0].action == Action.RUN_RESUMED
    assert run.progress.get("products") == (len(catalog.products), len(catalog.products))


async def test_a_resumed_run_skips_finished_phases_of_an_overlapping_stage(
    monitor: Monitor, site: RunningSite
) -> None:
    """`catalog` had finished at the crash; `products` had work left. Only the phases with
    work run, and `products` ends once its queue is drained (no feeder is left)."""
    product = min(site.app.catalog.products)
    url = f"{site.url}/p/{product}"
    saved = SavedFrontier(
        pending=[(9, "products", Task(url, payload={"url": url}, key=url))],
        keys={"products": [url]},
        next_no=10,
        finished_phases=["catalog"],
        progress=[
            {"level": "products", "done": 3, "total": 4, "open": True, "sources": ["catalog"]}
        ],
    )
    events: list[ActivityEvent] = []
    monitor.bus.add_listener(events.append)
    run = Run(
        follow_collection("rest"),
        monitor,
        params={"base_url": site.url},
        sink=DatasetSink(monitor.store.datasets, "rest"),
        frontier=monitor.store.frontiers,
        resume_from=saved,
    )
    assert await asyncio.wait_for(run.execute(), 60) == "completed", run.finish_reason
    mine = [e for e in events if e.run_id == run.run_id]
    assert [e.phase for e in mine if e.action == Action.PHASE_STARTED] == ["products", "offers"]
    # The catalog that fed the level had finished: it is closed, and finished.
    assert not run.progress.is_open("products")
    assert run.progress.get("products") == (4, 4)
    expected = {o.seller_id for o in site.app.catalog.products[product].offers}
    keys = await monitor.store.datasets.keys("rest")
    assert {int(k) for k in keys} == expected
