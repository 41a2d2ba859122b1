"""The Schedules page in headless Chromium against the real server and demo site: a
schedule created in the form fires (its run appears, linked to run detail), a bad cron
expression is answered next to its field, pause and delete work."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.support import SCREENSHOTS, TERMINAL, ServerThread, running_server


@pytest.fixture(scope="module")
def schedule_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    """The server with a 1 s minimum interval (the default is 10 s), its demo run cancelled."""
    db = tmp_path_factory.mktemp("e2e-schedules") / "crawlscope.db"
    with running_server(db, auth="off", schedule_min_interval_s=1.0) as srv:
        with httpx.Client(base_url=srv.url, timeout=10) as client:
            for run in client.get("/api/runs").json()["runs"]:
                if run["status"] not in TERMINAL:
                    client.post(f"/api/runs/{run['id']}/cancel")
        yield srv
        with httpx.Client(base_url=srv.url, timeout=10) as client:
            for schedule in client.get("/api/schedules").json()["schedules"]:
                client.delete(f"/api/schedules/{schedule['id']}")
            for run in client.get("/api/runs").json()["runs"]:
                if run["status"] not in TERMINAL:
                    client.post(f"/api/runs/{run['id']}/cancel")


def open_form(page: Page, server: ServerThread) -> None:
    page.goto(f"{server.url}/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Schedules").click()
    expect(page.get_by_test_id("schedules-page")).to_be_visible()
    page.get_by_test_id("schedule-new").click()
    expect(page.get_by_test_id("schedule-collection")).to_have_value("demo")


def test_a_schedule_created_in_the_form_fires(page: Page, schedule_server: ServerThread) -> None:
    open_form(page, schedule_server)
    page.get_by_test_id("schedule-name").fill("every-two-seconds")
    page.get_by_test_id("schedule-interval").fill("2")
    page.get_by_test_id("schedule-params").fill('{"max_categories": 1}')
    page.get_by_test_id("schedule-submit").click()

    card = page.locator('[data-testid=schedule][data-schedule="every-two-seconds"]')
    expect(card).to_be_visible()
    expect(card.get_by_test_id("schedule-status")).to_have_text("active")
    expect(card).to_contain_text("every 2 s")
    # the first slot comes 2 s after creation: a run appears, linked to its page
    link = card.get_by_test_id("schedule-run-link").first
    expect(link).to_be_visible(timeout=20_000)
    run_id = link.get_attribute("title")
    assert run_id
    expect(card.get_by_test_id("schedule-last")).to_contain_text(run_id[:11])
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "schedules.png"), full_page=True)

    card.get_by_test_id("schedule-pause").click()
    expect(card.get_by_test_id("schedule-status")).to_have_text("paused")
    expect(card.get_by_test_id("schedule-next")).to_contain_text("paused")

    link.click()
    expect(page).to_have_url(f"{schedule_server.url}/runs/{run_id}")
    expect(page.get_by_test_id("run-detail")).to_have_attribute("data-run", run_id)

    page.go_back()
    card = page.locator('[data-testid=schedule][data-schedule="every-two-seconds"]')
    card.get_by_test_id("schedule-delete").click()
    page.get_by_test_id("confirm-ok").click()
    expect(card).to_have_count(0)


def test_the_server_s_400_is_shown_next_to_its_field(
    page: Page, schedule_server: ServerThread
) -> None:
    open_form(page, schedule_server)
    page.get_by_test_id("schedule-name").fill("bad-cron")
    page.get_by_test_id("kind-cron").check()
    page.get_by_test_id("schedule-cron").fill("61 * * * *")
    page.get_by_test_id("schedule-submit").click()
    error = page.get_by_test_id("error-cron")
    expect(error).to_contain_text("bad cron expression '61 * * * *'")
    # the message sits in the cron field's label, next to its input
    field = page.locator("label.field", has=page.get_by_test_id("schedule-cron"))
    expect(field.get_by_test_id("error-cron")).to_be_visible()
    expect(field).to_have_attribute("data-invalid", "true")

    page.get_by_test_id("schedule-cron").fill("30 2 * * *")
    page.get_by_test_id("schedule-timezone").fill("Mars/Olympus")
    page.get_by_test_id("schedule-submit").click()
    expect(page.get_by_test_id("error-timezone")).to_contain_text("unknown time zone")
    expect(page.get_by_test_id("error-cron")).to_have_count(0)

    page.get_by_test_id("schedule-timezone").fill("Europe/Berlin")
    page.get_by_test_id("schedule-submit").click()
    card = page.locator('[data-testid=schedule][data-schedule="bad-cron"]')
    expect(card).to_contain_text("cron 30 2 * * * (Europe/Berlin)")
    expect(card.get_by_test_id("schedule-next")).to_contain_text("02:30:00 +0")
