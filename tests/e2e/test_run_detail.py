"""The run detail page against the real server and a real demo run, in headless Chromium."""

from __future__ import annotations

import time
from collections import defaultdict

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.support import ServerThread, wait_for

WORKERS = 5


def open_run(page: Page, server: ServerThread, run_id: str) -> None:
    page.goto(f"{server.url}/runs/{run_id}")
    expect(page.get_by_test_id("run-detail")).to_have_attribute("data-run", run_id)
    expect(page.get_by_test_id("worker-card")).to_have_count(WORKERS)


def card_states(page: Page) -> dict[str, str]:
    states: dict[str, str] = page.eval_on_selector_all(
        "[data-testid=worker-card]",
        "els => Object.fromEntries(els.map(e => [e.dataset.worker, e.dataset.state]))",
    )
    return states


def status_of(api: httpx.Client, run_id: str) -> str:
    status: str = api.get(f"/api/runs/{run_id}").json()["status"]
    return status


def test_worker_cards_change_state_while_the_run_goes(
    page: Page, server: ServerThread, live_run: str
) -> None:
    open_run(page, server, live_run)
    expect(page.get_by_test_id("live-indicator")).to_have_attribute("data-status", "live")
    seen: dict[str, set[str]] = defaultdict(set)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for worker, state in card_states(page).items():
            seen[worker].add(state)
        if sum(len(states) > 1 for states in seen.values()) >= 2:
            break
        time.sleep(0.05)
    changed = {w: s for w, s in seen.items() if len(s) > 1}
    assert len(changed) >= 2, f"worker states seen: {dict(seen)}"
    # Every state shown is one of the documented ones, labelled, not colour alone.
    documented = {
        "idle",
        "waiting",
        "requesting",
        "processing",
        "rate_limited",
        "backing_off",
        "error",
        "paused",
        "complete",
    }
    assert set().union(*seen.values()) <= documented
    first = page.get_by_test_id("worker-card").first
    expect(first.get_by_test_id("worker-state")).to_have_text(
        f"{first.get_attribute('data-state')}".replace("_", " ")
    )
    # The run's counters move too (they come from state frames, not from the feed).
    before = page.get_by_test_id("total-requests").inner_text()
    wait_for(lambda: page.get_by_test_id("total-requests").inner_text() != before)


def test_clicking_a_card_shows_that_workers_feed(
    page: Page, server: ServerThread, live_run: str
) -> None:
    open_run(page, server, live_run)
    card = page.locator("[data-testid=worker-card][data-worker='2']")
    card.click()
    detail = page.get_by_test_id("worker-detail")
    expect(detail).to_have_attribute("data-worker", "2")
    expect(card).to_have_attribute("aria-expanded", "true")
    rows = detail.get_by_test_id("worker-feed").get_by_test_id("feed-event")
    expect(rows.first).to_be_visible()
    workers = rows.evaluate_all("els => els.map(e => e.dataset.worker)")
    assert workers, "the worker's feed is empty"
    assert set(workers) == {"2"}, workers
    expect(detail.get_by_test_id("worker-metrics")).to_contain_text("requests")
    # Keyboard: another card opens with Enter, the first closes.
    other = page.locator("[data-testid=worker-card][data-worker='3']")
    other.focus()
    page.keyboard.press("Enter")
    expect(detail).to_have_attribute("data-worker", "3")
    rows3 = detail.get_by_test_id("worker-feed").get_by_test_id("feed-event")
    expect(rows3.first).to_be_visible()
    assert set(rows3.evaluate_all("els => els.map(e => e.dataset.worker)")) == {"3"}


def test_pause_and_resume_from_the_page(
    page: Page, server: ServerThread, api: httpx.Client, live_run: str
) -> None:
    open_run(page, server, live_run)
    expect(page.get_by_test_id("control-pause")).to_be_enabled()
    page.get_by_test_id("control-pause").click()

    def api_paused() -> bool:
        """GET /api/runs/{id} reports paused"""
        return status_of(api, live_run) == "paused"

    wait_for(api_paused)
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-status", "paused")

    def cards_match_api() -> bool:
        """the cards show the API's worker states, some of them paused"""
        workers = api.get(f"/api/runs/{live_run}/workers").json()["workers"]
        expected = {str(w["worker_id"]): w.get("state", "idle") for w in workers}
        return "paused" in expected.values() and card_states(page) == expected

    # Idle workers pause at once; a worker waiting to retry stays backing_off or
    # rate_limited (docs/events.md, Worker states), so compare with the API, not a constant.
    wait_for(cards_match_api)
    paused_card = page.locator("[data-testid=worker-card][data-state=paused]").first
    expect(paused_card.get_by_test_id("worker-state")).to_have_text("paused")

    requests_paused = api.get(f"/api/runs/{live_run}").json()["totals"]["requests"]
    page.get_by_test_id("control-resume").click()

    def api_running() -> bool:
        """GET /api/runs/{id} reports running"""
        return status_of(api, live_run) == "running"

    wait_for(api_running)
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-status", "running")

    def continues() -> bool:
        """requests grow again and some card leaves paused"""
        grown = api.get(f"/api/runs/{live_run}").json()["totals"]["requests"] > requests_paused
        return grown and bool(set(card_states(page).values()) - {"paused"})

    wait_for(continues)


def test_cancel_asks_for_confirmation(
    page: Page, server: ServerThread, api: httpx.Client, live_run: str
) -> None:
    open_run(page, server, live_run)
    page.get_by_test_id("control-cancel").click()
    dialog = page.get_by_test_id("confirm-dialog")
    expect(dialog).to_be_visible()
    expect(page.get_by_test_id("confirm-cancel")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    assert status_of(api, live_run) == "running"
    page.get_by_test_id("control-cancel").click()
    page.get_by_test_id("confirm-ok").click()
    wait_for(lambda: status_of(api, live_run) == "cancelled")
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-status", "cancelled")
    expect(page.get_by_test_id("run-controls")).to_have_count(0)


TOTAL_KEYS = (
    "requests",
    "failures",
    "retries",
    "errors",
    "items_found",
    "new_items",
    "updated_items",
    "duplicates",
    "tasks_done",
    "tasks_failed",
    "tasks_requeued",
    "events",
)


def shown_totals(page: Page) -> dict[str, int]:
    out = {}
    for key in TOTAL_KEYS:
        text = page.get_by_test_id(f"total-{key}").inner_text()
        out[key] = int(text.replace(",", ""))
    return out


def test_reloaded_page_shows_the_same_totals_as_the_api(
    page: Page, server: ServerThread, api: httpx.Client, live_run: str
) -> None:
    open_run(page, server, live_run)
    wait_for(lambda: api.get(f"/api/runs/{live_run}").json()["totals"]["requests"] > 20)
    assert api.post(f"/api/runs/{live_run}/pause").status_code == 200

    def settled() -> bool:
        """paused, and last_seq stable for a second (in-flight requests finished)"""
        first = api.get(f"/api/runs/{live_run}").json()
        time.sleep(1.0)
        second = api.get(f"/api/runs/{live_run}").json()
        return bool(second["status"] == "paused" and first["last_seq"] == second["last_seq"])

    wait_for(settled, timeout=30)
    page.reload()
    expect(page.get_by_test_id("run-status")).to_have_attribute("data-status", "paused")
    expected = api.get(f"/api/runs/{live_run}").json()["totals"]
    wait_for(lambda: shown_totals(page)["events"] == expected["events"])
    assert shown_totals(page) == {key: expected[key] for key in TOTAL_KEYS}
    # The worker cards agree with the API's worker list too.
    workers = api.get(f"/api/runs/{live_run}/workers").json()["workers"]
    for worker in workers:
        card = page.locator(f"[data-testid=worker-card][data-worker='{worker['worker_id']}']")
        expect(card.get_by_test_id("worker-counters")).to_contain_text(
            f"{worker.get('requests', 0):,} req"
        )
