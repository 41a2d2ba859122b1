"""The Alerts page in headless Chromium against the real server, the real demo run and a
real local webhook: a rule from a rule file fires on the demo run within seconds and shows
with its value; a silence added through the form marks it silenced; "Send test" reaches
the webhook and is listed as delivered; the navigation counts the firing alerts; a rule
made in the editor is answered next to its field when bad and listed when good. Light and
dark screenshots of the page, and of the run page with its alerts panel."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from crawlscope.config import Settings
from tests.alert_receivers import WebhookReceiver, webhook_receiver
from tests.e2e.support import SCREENSHOTS, ServerThread, wait_for

RULE = "demo going"


class ReceiverThread:
    """``webhook_receiver()`` on an event loop of its own thread (the browser test is
    synchronous); ``receiver.requests`` is read from the test's thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.receiver: WebhookReceiver | None = None
        self._started = threading.Event()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="e2e-webhook", daemon=True)

    def _run(self) -> None:
        async def main() -> None:
            self._stop = asyncio.Event()
            async with webhook_receiver() as receiver:
                self.receiver = receiver
                self._started.set()
                await self._stop.wait()

        self.loop.run_until_complete(main())

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        assert self._started.wait(10), "the webhook receiver did not start"
        assert self.receiver is not None
        return self.receiver

    def __exit__(self, *_: object) -> None:
        stop = self._stop
        if stop is not None:
            self.loop.call_soon_threadsafe(stop.set)
        self._thread.join(10)
        self.loop.close()


@pytest.fixture(scope="module")
def hook() -> Iterator[WebhookReceiver]:
    with ReceiverThread() as receiver:
        yield receiver


@pytest.fixture(scope="module")
def alert_server(
    tmp_path_factory: pytest.TempPathFactory, hook: WebhookReceiver
) -> Iterator[ServerThread]:
    """The server with a rule file whose rule fires on the demo run after 5 requests,
    evaluated every 0.1 s, its channel the local webhook."""
    folder: Path = tmp_path_factory.mktemp("e2e-alerts")
    rules = folder / "rules.yaml"
    rules.write_text(
        f"""\
channels:
  hook: "{hook.apprise_url()}"
default_channels: [hook]
grouping: {{by: [rule, run_id], group_wait: 0.3s, group_interval: 0.5s, repeat_interval: 1h}}
rules:
  - name: {RULE}
    condition: run.requests >= 5
    severity: critical
    labels: {{team: data}}
    summary: "run {{{{ run.id }}}} of {{{{ run.collection }}}} made {{{{ run.requests }}}} requests"
    channels: [hook]
"""
    )
    settings = Settings(
        database_url=str(folder / "crawlscope.db"),
        demo=True,
        demo_scale="small",
        auth="off",
        alert_rules=[str(rules)],
        alert_interval_s=0.1,
    )
    server = ServerThread(settings)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _firing(api: httpx.Client) -> int:
    """at least one alert of the rule fires"""
    alerts = api.get("/api/alerts", params={"open": "true"}).json()["alerts"]
    return sum(1 for a in alerts if a["rule"] == RULE and a["state"] == "firing")


def test_the_alerts_page_shows_silences_and_tests(
    page: Page, browser: Browser, alert_server: ServerThread, hook: WebhookReceiver
) -> None:
    with httpx.Client(base_url=alert_server.url, timeout=10) as api:
        wait_for(lambda: _firing(api))
        page.goto(f"{alert_server.url}/alerts")
        expect(page.get_by_test_id("alerts-page")).to_be_visible()

        # The firing alert: state, severity, summary, labels, the run linked.
        row = page.locator(
            f'[data-testid=open-alert-table] [data-testid=alert-row][data-rule="{RULE}"]'
        ).first
        expect(row).to_have_attribute("data-state", "firing")
        expect(row.get_by_test_id("alert-severity")).to_have_text("critical")
        expect(row.get_by_test_id("alert-summary")).to_contain_text("of demo made")
        expect(row.get_by_test_id("alert-labels")).to_contain_text("team=data")
        expect(row.get_by_test_id("alert-run-link")).to_have_attribute("href", re.compile("/runs/"))
        expect(row.get_by_test_id("alert-value")).to_have_text(re.compile(r"^\d+$"))

        # The rule with its current value (run.requests, the left side of its condition).
        rule = page.locator(f'[data-testid=rule-row][data-rule="{RULE}"]')
        expect(rule.get_by_test_id("rule-source")).to_contain_text("rules.yaml:")
        expect(rule.get_by_test_id("rule-value")).to_have_text(re.compile(r"^\d+$"))
        assert int(rule.get_by_test_id("rule-value").inner_text()) >= 5
        expect(rule.get_by_test_id("rule-open")).not_to_have_text(re.compile(r"^0 /"))
        # built-in rules are listed too, read-only
        builtin = page.locator('[data-testid=rule-row][data-rule="worker_stalled"]')
        expect(builtin.get_by_test_id("rule-source")).to_have_text("built-in")
        expect(builtin).to_contain_text("read-only")

        # The navigation counts the firing alerts.
        badge = page.get_by_test_id("nav-alerts-count")
        expect(badge).to_have_text(re.compile(r"^[1-9]\d*$"))
        firing_now = api.get("/api/alerts/counts").json()["firing"]
        assert abs(int(badge.inner_text()) - firing_now) <= 1

        # A silence through the form: listed in force, and the alert is marked silenced.
        page.get_by_test_id("silence-new").click()
        page.get_by_test_id("silence-matchers").fill("collection=demo\nteam=data")
        page.get_by_test_id("silence-duration").fill("2h")
        page.get_by_test_id("silence-comment").fill("known, looking into it")
        page.get_by_test_id("silence-submit").click()
        silence = page.locator("[data-testid=silence-row][data-active=true]")
        expect(silence).to_have_count(1)
        expect(silence).to_contain_text("collection=demo")
        expect(silence).to_contain_text("known, looking into it")
        silence_id = silence.get_attribute("data-silence")
        expect(row.get_by_test_id("alert-silenced")).to_contain_text(f"silenced by {silence_id}")

        # A test notification reaches the local webhook and is listed as delivered.
        before = len(hook.delivered)
        channel = page.locator("[data-testid=channel-row][data-channel=hook]")
        channel.get_by_test_id("channel-test").click()
        expect(channel.get_by_test_id("channel-test-result")).to_contain_text("delivered")
        wait_for(lambda: len(hook.delivered) > before)
        assert any(
            r.body and r.body.get("title") == "crawlscope test notification" for r in hook.delivered
        )
        expect(
            page.locator("[data-testid=delivery-row][data-status=test][data-delivered=true]")
        ).to_have_count(1)
        # the firing notification was delivered too (before the silence)
        assert any(r.body and "[FIRING" in r.body.get("title", "") for r in hook.delivered)

        # A rule made in the editor: a bad variable is answered next to the condition.
        page.get_by_test_id("rule-new").click()
        page.get_by_test_id("rule-name").fill("many items")
        page.get_by_test_id("rule-condition").fill("run.itemz > 10")
        page.get_by_test_id("rule-submit").click()
        error = page.get_by_test_id("rule-error-condition")
        expect(error).to_contain_text("unknown variable run.itemz")
        field = page.locator("label.field", has=page.get_by_test_id("rule-condition"))
        expect(field).to_have_attribute("data-invalid", "true")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.get_by_test_id("rule-editor").screenshot(
            path=str(SCREENSHOTS / "alerts-rule-editor-error.png")
        )
        page.get_by_test_id("rule-condition").fill("run.items > 10")
        page.get_by_test_id("rule-severity").select_option("info")
        page.get_by_test_id("rule-submit").click()
        mine = page.locator('[data-testid=rule-row][data-rule="many items"]')
        expect(mine.get_by_test_id("rule-source")).to_have_text("api")
        mine.get_by_test_id("rule-history-toggle").click()
        expect(page.get_by_test_id("rule-version")).to_have_count(1)
        expect(page.get_by_test_id("rule-version")).to_have_attribute("data-action", "created")
        mine.get_by_test_id("rule-history-toggle").click()

        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "alerts-light.png"), full_page=True)

        # The run page: its alerts panel.
        run_id = row.get_by_test_id("alert-run-link").get_attribute("title")
        assert run_id
        page.goto(f"{alert_server.url}/runs/{run_id}")
        panel = page.get_by_test_id("run-alerts")
        expect(panel.locator(f'[data-testid=alert-row][data-rule="{RULE}"]').first).to_be_visible()
        page.screenshot(path=str(SCREENSHOTS / "alerts-run-page-light.png"), full_page=True)

        # The overview: the count and the top alerts.
        page.goto(f"{alert_server.url}/")
        summary = page.get_by_test_id("alerts-summary")
        expect(summary.get_by_test_id("summary-firing")).to_have_text(re.compile(r"^[1-9]"))
        expect(
            summary.locator(f'[data-testid=alert-row][data-rule="{RULE}"]').first
        ).to_be_visible()
        page.screenshot(path=str(SCREENSHOTS / "alerts-overview-light.png"), full_page=True)

    # Dark theme.
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, color_scheme="dark")
    try:
        dark = context.new_page()
        dark.goto(f"{alert_server.url}/alerts")
        expect(dark.locator("html")).to_have_attribute("data-theme", "dark")
        expect(
            dark.get_by_test_id("open-alert-table").get_by_test_id("alert-row").first
        ).to_be_visible()
        expect(dark.get_by_test_id("timeline-row").first).to_be_visible()
        dark.screenshot(path=str(SCREENSHOTS / "alerts-dark.png"), full_page=True)
        dark.goto(f"{alert_server.url}/")
        expect(
            dark.get_by_test_id("alerts-summary").get_by_test_id("alert-row").first
        ).to_be_visible()
        dark.screenshot(path=str(SCREENSHOTS / "alerts-overview-dark.png"), full_page=True)
    finally:
        context.close()
