"""Selectors on responses (runner/response.py), links and URL joining (runner/links.py) and
``ctx.follow`` (runner/context.py), with an in-memory transport."""

from __future__ import annotations

import random

import pytest
from parsel import Selector

from crawlscope.events import ActivityEvent
from crawlscope.runner import Collection, LinkError, Response, Task
from crawlscope.runner.context import RunScope, TaskContext
from crawlscope.runner.control import RunControl
from crawlscope.runner.links import href_of, join_url
from crawlscope.runner.policy import SitePolicy
from crawlscope.runner.progress import Progress
from crawlscope.runner.queues import PhaseQueues
from crawlscope.runner.site import SiteRegistry
from tests.fake_transport import FakeTransport, answer

PAGE = "http://shop.test/c/7?page=2"
HTML = b"""<!doctype html><html><head><title>Shoes</title></head><body>
<h1>Shoes</h1>
<ul>
  <li><a class="product" href="/p/1"> Boot </a></li>
  <li><a class="product" href="p/2#reviews">Sandal</a></li>
  <li><a class="product" href="https://other.test/p/3">Clog</a></li>
</ul>
<a class="next" href="?page=3">next</a>
<a class="mail" href="mailto:shop@shop.test">mail</a>
<a class="nohref">none</a>
<div class="box">box</div>
</body></html>"""


def _response(body: bytes = HTML, url: str = PAGE) -> Response:
    return Response(200, {}, url, body, 1.0)


# -- joining ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("/p/1", "http://shop.test/p/1"),
        ("p/2", "http://shop.test/c/p/2"),
        ("../d/x", "http://shop.test/d/x"),
        ("?page=3", "http://shop.test/c/7?page=3"),
        ("#top", "http://shop.test/c/7?page=2"),
        ("/p/2#reviews", "http://shop.test/p/2"),
        ("https://other.test/a?b=1", "https://other.test/a?b=1"),
        ("//cdn.test/img", "http://cdn.test/img"),
        ("  /p/9\n", "http://shop.test/p/9"),
    ],
)
def test_join_url_resolves_against_the_page(href: str, expected: str) -> None:
    assert join_url(PAGE, href) == expected


def test_join_url_takes_an_absolute_url_without_a_base() -> None:
    assert join_url(None, "http://shop.test/p/1#x") == "http://shop.test/p/1"


@pytest.mark.parametrize(
    ("base", "href", "message"),
    [
        (PAGE, "", "empty link"),
        (PAGE, " \n", "empty link"),
        (PAGE, "mailto:a@b.test", "only http and https"),
        (PAGE, "javascript:void(0)", "only http and https"),
        (None, "/p/1", "relative link '/p/1' without a page"),
        ("", "p/1", "relative link 'p/1' without a page"),
        (None, "//cdn.test/x", "only http and https"),
        (PAGE, "http://:80/x", "has no host"),
    ],
)
def test_join_url_refuses_what_cannot_be_fetched(base: str | None, href: str, message: str) -> None:
    with pytest.raises(LinkError, match=message):
        join_url(base, href)


# -- what a link is --------------------------------------------------------------------------


def test_href_of_strings_attributes_and_link_elements() -> None:
    page = _response()
    assert href_of(" /p/1 ") == "/p/1"
    assert href_of(page.css("a.product::attr(href)")[0]) == "/p/1"
    assert href_of(page.css("a.next")[0]) == "?page=3"
    assert href_of(page.xpath("//a[@class='product']")[1]) == "p/2#reviews"
    assert href_of(Selector(text='<link rel="next" href="/n">').css("link")[0]) == "/n"


def test_href_of_explains_what_it_cannot_follow() -> None:
    page = _response()
    with pytest.raises(LinkError, match="list of 3 selected links"):
        href_of(page.css("a.product"))
    with pytest.raises(LinkError, match="<a> element has no href"):
        href_of(page.css("a.nohref")[0])
    with pytest.raises(LinkError, match="cannot follow a <div> element"):
        href_of(page.css("div.box")[0])
    with pytest.raises(LinkError, match="got int"):
        href_of(42)


# -- responses -------------------------------------------------------------------------------


def test_css_and_xpath_query_the_body_and_build_one_selector() -> None:
    page = _response()
    with pytest.raises(AttributeError):
        page._selector  # noqa: B018 - nothing parsed until asked
    assert page.css("h1::text").get() == "Shoes"
    assert page.css("a.product::text").getall() == [" Boot ", "Sandal", "Clog"]
    assert page.xpath("//a[@class=$cls]/@href", cls="next").get() == "?page=3"
    assert page.selector is page.selector  # built once
    assert page.text().startswith("<!doctype html>")  # the old API is unchanged


def test_a_json_body_is_selected_as_json() -> None:
    page = _response(b'{"offers": [{"id": 1}, {"id": 2}]}', "http://shop.test/api")
    assert page.json() == {"offers": [{"id": 1}, {"id": 2}]}
    assert page.selector.type == "json"
    assert page.selector.jmespath("offers[].id").getall() == [1, 2]


def test_urljoin_uses_the_pages_base_href() -> None:
    page = _response(b'<html><head><base href="/shop/"></head><a href="p/1">x</a></html>')
    assert page.base_url == "http://shop.test/shop/"
    assert page.urljoin("p/1") == "http://shop.test/shop/p/1"
    assert _response().urljoin("p/2") == "http://shop.test/c/p/2"


# -- ctx.follow ------------------------------------------------------------------------------


class _Context:
    """A task context of phase ``listings`` on a three-phase run scope."""

    def __init__(self, transport: FakeTransport) -> None:
        self.events: list[ActivityEvent] = []
        self.queues = PhaseQueues(["listings", "products", "offers"])
        self.scope = RunScope(
            run_id="run-1",
            collection=Collection("unit"),
            params={},
            emit=self.events.append,
            control=RunControl(max_consecutive_failures=5),
            sites=SiteRegistry(SitePolicy()),
            progress=Progress(),
            queues=self.queues,
            pipeline=None,
            rng=random.Random(7),
            transport=transport,
        )
        self.ctx = TaskContext(self.scope, 1, "products", Task("c7", category="Shoes"), 1)

    def queued(self, phase: str) -> list[Task]:
        queue = self.queues.queues[phase]
        return [queue.get_nowait()[1] for _ in range(queue.qsize())]


async def test_follow_joins_against_the_last_response_and_queues_on_commit() -> None:
    transport = FakeTransport()
    transport.queue(PAGE, answer(200, HTML))
    harness = _Context(transport)
    ctx = harness.ctx
    page = await ctx.http.get(PAGE)
    assert ctx.response is page

    first = ctx.follow(page.css("a.product::attr(href)")[0])
    second = ctx.follow(page.css("a.product")[1], phase="offers", label="sandal", item="Sandal")
    others = ctx.follow_all(page.css("a.product::attr(href)"), phase="offers")
    again = ctx.follow("/p/1")  # the same page: the same key, dropped when queued

    assert first.payload == {"url": "http://shop.test/p/1"}
    assert (first.label, first.key, first.category) == (
        "http://shop.test/p/1",
        "http://shop.test/p/1",
        "Shoes",
    )
    assert (second.label, second.item, second.payload["url"]) == (
        "sandal",
        "Sandal",
        "http://shop.test/c/p/2",
    )
    assert [t.payload["url"] for t in others] == [
        "http://shop.test/p/1",
        "http://shop.test/c/p/2",
        "https://other.test/p/3",
    ]
    assert again.key == first.key
    assert harness.queues.size("products") == 0  # nothing queued before the handler returns

    ctx.commit()
    assert [t.payload["url"] for t in harness.queued("products")] == ["http://shop.test/p/1"]
    assert [t.payload["url"] for t in harness.queued("offers")] == [
        "http://shop.test/c/p/2",
        "http://shop.test/p/1",
        "https://other.test/p/3",
    ]


async def test_follow_options_key_dedupe_payload_and_an_explicit_response() -> None:
    harness = _Context(FakeTransport())
    ctx = harness.ctx
    other = _response(url="http://shop.test/d/x/")
    plain = ctx.follow("a", response=other, dedupe=False, payload={"depth": 2})
    keyed = ctx.follow("b", response=other, key="b-key", category="Other")
    absolute = ctx.follow("http://shop.test/p/5")  # no response needed
    assert (plain.key, plain.payload) == (None, {"depth": 2, "url": "http://shop.test/d/x/a"})
    assert (keyed.key, keyed.category) == ("b-key", "Other")
    assert absolute.payload["url"] == "http://shop.test/p/5"


async def test_follow_all_leaves_out_links_that_are_not_pages() -> None:
    harness = _Context(FakeTransport())
    ctx = harness.ctx
    page = _response()
    links = [*page.css("a::attr(href)"), "", "tel:+491234", "JavaScript:go()"]
    tasks = ctx.follow_all(links, response=page)
    assert [t.payload["url"] for t in tasks] == [
        "http://shop.test/p/1",
        "http://shop.test/c/p/2",
        "https://other.test/p/3",
        "http://shop.test/c/7?page=3",
    ]
    # Structural mistakes still raise: an element that is no link at all.
    with pytest.raises(LinkError, match="cannot follow a <div> element"):
        ctx.follow_all(page.css("div.box"), response=page)


async def test_follow_refuses_bad_links_and_phases() -> None:
    harness = _Context(FakeTransport())
    ctx = harness.ctx
    with pytest.raises(LinkError, match="without a page to join it against"):
        ctx.follow("/p/1")  # nothing fetched yet
    with pytest.raises(LinkError, match="only http and https"):
        ctx.follow("mailto:x@y.test", response=_response())
    with pytest.raises(ValueError, match="cannot enqueue into phase 'nope'"):
        ctx.follow("/p/1", response=_response(), phase="nope")
    # An earlier phase may be deciding it is done (overlapping phases): never into it.
    with pytest.raises(
        ValueError, match=r"cannot enqueue into phase 'listings'.*'products', 'offers'"
    ):
        ctx.follow("/p/1", response=_response(), phase="listings")
    harness.queues.finished.add("offers")
    with pytest.raises(ValueError, match="cannot enqueue into phase 'offers'"):
        ctx.follow("/p/1", response=_response(), phase="offers")
