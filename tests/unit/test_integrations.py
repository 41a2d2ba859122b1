"""The pure parts of the integrations: error mappings, worker slots, destinations."""

from __future__ import annotations

import json
import subprocess
import sys

import aiohttp
import httpx
import pytest

from crawlscope.integrations.clients import aiohttp_error, httpx_error
from crawlscope.integrations.destination import Destination, DestinationError
from crawlscope.integrations.slots import WorkerSlots
from crawlscope.integrations.worker_events import classify_status, site_of


def test_slots_hand_out_the_lowest_free_id() -> None:
    slots = WorkerSlots()
    assert [slots.take() for _ in range(3)] == [1, 2, 3]
    slots.give_back(2)
    slots.give_back(1)
    assert slots.in_use == 1
    assert slots.take() == 1
    assert slots.take() == 2
    assert slots.take() == 4
    assert slots.highest == 4


@pytest.mark.parametrize(
    ("status", "expected"),
    [(200, None), (304, None), (404, "http_4xx"), (429, "rate_limit"), (503, "http_5xx")],
)
def test_status_classification(status: int, expected: str | None) -> None:
    assert classify_status(status) == expected


def test_site_is_host_and_port_without_credentials() -> None:
    assert site_of("http://user:pw@127.0.0.1:8001/p/1?x=1") == "127.0.0.1:8001"
    assert site_of("https://example.org/") == "example.org"


def test_destination_errors_name_the_setting() -> None:
    with pytest.raises(DestinationError, match="CRAWLSCOPE_SERVER must be an http"):
        Destination(server="127.0.0.1:8000", names=("CRAWLSCOPE_SERVER", "CRAWLSCOPE_DATABASE"))
    with pytest.raises(DestinationError, match="give server or database, not both"):
        Destination(server="http://127.0.0.1:8000", database="x.db")


def test_httpx_exceptions() -> None:
    request = httpx.Request("GET", "http://127.0.0.1/")
    assert httpx_error(httpx.ReadTimeout("slow", request=request)) == "timeout"
    assert httpx_error(httpx.ConnectTimeout("slow", request=request)) == "timeout"
    assert httpx_error(httpx.ConnectError("refused", request=request)) == "connection"
    assert httpx_error(httpx.RemoteProtocolError("bad", request=request)) == "connection"
    assert httpx_error(httpx.InvalidURL("no")) == "handler_error"


def test_aiohttp_exceptions() -> None:
    assert aiohttp_error(TimeoutError()) == "timeout"
    assert aiohttp_error(aiohttp.ServerTimeoutError()) == "timeout"
    assert aiohttp_error(aiohttp.ClientConnectionError()) == "connection"
    assert aiohttp_error(aiohttp.ClientPayloadError()) == "connection"
    assert aiohttp_error(ConnectionResetError()) == "connection"
    assert aiohttp_error(ValueError()) == "handler_error"


def test_scrapy_exceptions() -> None:
    pytest.importorskip("scrapy")
    from scrapy import exceptions as scrapy_errors
    from twisted.internet import error as net

    from crawlscope.integrations.scrapy.errors import download_error, handler_error

    assert download_error(scrapy_errors.DownloadTimeoutError()) == "timeout"
    assert download_error(net.TimeoutError()) == "timeout"
    assert download_error(net.TCPTimedOutError()) == "timeout"
    assert download_error(scrapy_errors.DownloadConnectionRefusedError()) == "connection"
    assert download_error(net.ConnectionRefusedError()) == "connection"
    assert download_error(net.DNSLookupError()) == "connection"
    assert download_error(net.ConnectionLost()) == "connection"
    assert download_error(scrapy_errors.DownloadCancelledError()) == "cancelled"
    assert download_error(scrapy_errors.IgnoreRequest()) == "api_error"
    bad_json = json.JSONDecodeError("no", "x", 0)
    assert handler_error(bad_json) == ("parse_error", "extraction")
    assert handler_error(scrapy_errors.DropItem("no price")) == ("parse_error", "validation")
    assert handler_error(KeyError("price")) == ("handler_error", "handler")


def test_importing_crawlscope_and_track_needs_no_scrapy() -> None:
    code = (
        "import sys, crawlscope, crawlscope.integrations.track, crawlscope.integrations.clients;"
        "crawlscope.track;"
        "print(sorted(m for m in ('scrapy', 'twisted') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
