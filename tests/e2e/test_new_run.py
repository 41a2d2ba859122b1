"""The "New run" form against the real server: start a demo run, a refused parameter shown
next to its input (the server's 400, nested fields included), screenshots light and dark.

The viewer's side (no button, no form) is in ``test_login.py``, which has the server with
authentication on.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator
from typing import Annotated, Literal

import httpx
import msgspec
import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from crawlscope.registry import CollectionRegistry
from crawlscope.runner import Collection, Task, TaskContext
from tests.e2e.support import SCREENSHOTS, TERMINAL, ServerThread, running_server

BACKGROUNDS = {"light": "rgb(244, 246, 249)", "dark": "rgb(15, 20, 27)"}


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Window(msgspec.Struct, forbid_unknown_fields=True):
    """A date range."""

    start: Annotated[str, msgspec.Meta(pattern=r"^\d{4}-\d{2}-\d{2}$")]
    end: Annotated[str, msgspec.Meta(pattern=r"^\d{4}-\d{2}-\d{2}$")] = "2026-12-31"


class ShowcaseParams(msgspec.Struct, forbid_unknown_fields=True):
    """One parameter of every kind the form knows, and one it edits as JSON."""

    region: str
    pages: Annotated[int, msgspec.Meta(ge=1, le=50, description="Listing pages per category")] = 5
    ratio: float | None = None
    fast: bool = False
    mode: Literal["full", "delta"] = "full"
    color: Color = Color.RED
    tags: list[str] = []
    window: Window = msgspec.field(default_factory=lambda: Window("2026-01-01"))
    headers: dict[str, str] = {}


def showcase() -> Collection:
    """A collection with rich parameters whose runs have nothing to do."""
    collection = Collection("showcase", params=ShowcaseParams)

    @collection.seed
    def seed(params: dict[str, object]) -> list[Task]:
        return []

    @collection.phase("only", workers=2)
    async def only(ctx: TaskContext, task: Task) -> None:
        return None

    return collection


@pytest.fixture(scope="module")
def form_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    """The server (auth off) with the demo and the showcase collection; the demo's own
    run is cancelled so the form's runs are the only ones going."""
    registry = CollectionRegistry()
    registry.register(showcase(), description="Every kind of parameter.", defaults={"region": "eu"})
    db = tmp_path_factory.mktemp("e2e-new-run") / "crawlscope.db"
    with (
        running_server(db, registry, auth="off") as srv,
        httpx.Client(base_url=srv.url, timeout=10) as client,
    ):
        cancel_active(client)
        yield srv
        cancel_active(client)


def cancel_active(client: httpx.Client) -> None:
    for run in client.get("/api/runs").json()["runs"]:
        if run["status"] not in TERMINAL:
            client.post(f"/api/runs/{run['id']}/cancel")


@pytest.fixture
def client(form_server: ServerThread) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=form_server.url, timeout=10) as c:
        yield c


def field(page: Page, key: str) -> tuple[Locator, Locator]:
    """The field's box and its input (text box, spin button or select)."""
    box = page.get_by_test_id(f"field-{key}")
    return box, box.locator("input, select, textarea").first


def run_ids(client: httpx.Client) -> set[str]:
    return {r["id"] for r in client.get("/api/runs", params={"limit": 500}).json()["runs"]}


def focused_id(page: Page) -> str:
    value: str = page.evaluate("() => document.activeElement && document.activeElement.id")
    return value


def test_start_a_demo_run_from_the_form(
    page: Page, form_server: ServerThread, client: httpx.Client
) -> None:
    base = form_server.url
    demo = next(
        c for c in client.get("/api/collections").json()["collections"] if c["name"] == "demo"
    )
    page.goto(f"{base}/")
    page.get_by_test_id("new-run").click()
    expect(page).to_have_url(f"{base}/runs/new")
    page.get_by_label("Collection").select_option("demo")
    expect(page.get_by_test_id("collection-description")).to_contain_text(demo["description"])
    # Pre-filled from the collection's defaults (the demo site this server started).
    base_url = page.get_by_role("textbox", name=re.compile("base_url"))
    expect(base_url).to_have_value(demo["defaults"]["base_url"])
    page.get_by_role("spinbutton", name=re.compile("max_categories")).fill("2")
    page.get_by_role("spinbutton", name=re.compile("Workers")).fill("3")
    before = run_ids(client)
    page.get_by_test_id("new-run-submit").click()

    expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/runs/(?!new)[^/]+$"))
    run_id = page.url.rsplit("/", 1)[1]
    assert run_id not in before
    expect(page.get_by_test_id("run-detail")).to_have_attribute("data-run", run_id)
    expect(page.get_by_test_id("worker-card")).to_have_count(3)
    detail = client.get(f"/api/runs/{run_id}").json()
    assert detail["collection"] == "demo"
    assert detail["params"] == {"base_url": demo["defaults"]["base_url"], "max_categories": 2}
    # It is listed with the others.
    page.goto(f"{base}/runs")
    expect(page.locator(f"[data-testid=run-row][data-run='{run_id}']")).to_be_visible()
    client.post(f"/api/runs/{run_id}/cancel")


def test_a_bad_parameter_shows_the_servers_400_next_to_it(
    page: Page, form_server: ServerThread, client: httpx.Client
) -> None:
    base = form_server.url
    page.goto(f"{base}/runs")
    page.get_by_test_id("new-run").click()
    page.get_by_label("Collection").select_option("demo")
    box, max_categories = field(page, "params.max_categories")
    max_categories.fill("-3")
    before = run_ids(client)
    page.get_by_test_id("new-run-submit").click()

    # What the server answers to the same request, shown next to that input.
    answer = client.post(
        "/api/runs", json={"collection": "demo", "params": {"max_categories": -3}}
    ).json()["error"]
    assert answer["field"] == "params.max_categories"
    error = box.get_by_test_id("field-error")
    expect(error).to_have_text(answer["message"])
    expect(max_categories).to_have_attribute("aria-invalid", "true")
    described = max_categories.get_attribute("aria-describedby")
    assert error.get_attribute("id") in (described or "").split()
    assert focused_id(page) == max_categories.get_attribute("id")
    expect(max_categories).to_have_value("-3")
    expect(page).to_have_url(f"{base}/runs/new")
    assert run_ids(client) == before  # nothing was started

    # A worker count the server refuses (422) lands on the workers input.
    max_categories.fill("1")
    workers_box, workers = field(page, "workers")
    workers.fill("5000")
    page.get_by_test_id("new-run-submit").click()
    expect(workers_box.get_by_test_id("field-error")).to_contain_text("workers")
    expect(workers).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_test_id("field-error")).to_have_count(1)
    assert run_ids(client) == before


def test_a_nested_parameter_error_lands_on_its_input(
    page: Page, form_server: ServerThread, client: httpx.Client
) -> None:
    page.goto(f"{form_server.url}/runs/new?collection=showcase")
    expect(page.get_by_test_id("params-fields")).to_be_visible()
    # Every kind got its control; the dict is edited as JSON.
    kinds = page.eval_on_selector_all(
        "[data-testid^='field-params.']",
        "els => Object.fromEntries(els.map(e => [e.dataset.testid.slice(6), e.dataset.kind]))",
    )
    assert kinds == {
        "params.region": "string",
        "params.pages": "integer",
        "params.ratio": "number",
        "params.fast": "boolean",
        "params.mode": "enum",
        "params.color": "enum",
        "params.tags": "string-list",
        "params.window": "object",
        "params.window.start": "string",
        "params.window.end": "string",
        "params.headers": "json",
    }
    expect(page.get_by_role("textbox", name=re.compile("region"))).to_have_value("eu")
    # `window` has a default_factory, which a JSON Schema cannot show: its `start` is empty
    # and the form asks for it before sending.
    _, start = field(page, "params.window.start")
    expect(start).to_have_value("")
    page.get_by_test_id("new-run-submit").click()
    expect(start).to_have_attribute("aria-invalid", "true")
    start.fill("2026-01-01")
    box, end = field(page, "params.window.end")
    end.fill("soon")
    page.get_by_test_id("new-run-submit").click()
    error = box.get_by_test_id("field-error")
    expect(error).to_contain_text("params.window.end")
    expect(end).to_have_attribute("aria-invalid", "true")
    assert focused_id(page) == end.get_attribute("id")

    # Fixed, the same form starts the run with every value converted.
    end.fill("2026-06-30")
    page.get_by_role("checkbox", name="fast").check()
    page.get_by_role("combobox", name=re.compile("mode")).select_option("delta")
    page.get_by_role("textbox", name=re.compile("tags")).fill("shoes, lamps")
    page.get_by_test_id("new-run-submit").click()
    expect(page.get_by_test_id("run-detail")).to_be_visible()
    run_id = page.url.rsplit("/", 1)[1]
    params = client.get(f"/api/runs/{run_id}").json()["params"]
    assert params == {
        "region": "eu",
        "pages": 5,
        "ratio": None,
        "fast": True,
        "mode": "delta",
        "color": "red",
        "tags": ["shoes", "lamps"],
        "window": {"start": "2026-01-01", "end": "2026-06-30"},
        "headers": {},
    }


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_screenshots_of_the_form(browser: Browser, form_server: ServerThread, theme: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1440, 768):
        context = browser.new_context(
            viewport={"width": width, "height": 1000},
            color_scheme=theme,  # type: ignore[arg-type]
        )
        page = context.new_page()
        page.set_default_timeout(20_000)
        try:
            page.goto(f"{form_server.url}/runs/new?collection=showcase")
            expect(page.get_by_test_id("params-fields")).to_be_visible()
            background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
            assert background == BACKGROUNDS[theme]
            field(page, "params.window.start")[1].fill("2026-01-01")
            field(page, "params.window.end")[1].fill("soon")
            page.get_by_test_id("new-run-submit").click()
            expect(page.get_by_test_id("field-error")).to_have_count(1)
            wide = page.evaluate("() => document.documentElement.scrollWidth <= innerWidth + 1")
            assert wide, f"the form scrolls sideways at {width} px"
            # The error moved the focus (and the scroll); the sticky top bar belongs on top.
            page.evaluate("() => window.scrollTo(0, 0)")
            size = "desktop" if width == 1440 else "tablet"
            path = SCREENSHOTS / f"new-run-{theme}-{size}.png"
            page.screenshot(path=path, full_page=True)
            assert path.stat().st_size > 10_000
        finally:
            context.close()
