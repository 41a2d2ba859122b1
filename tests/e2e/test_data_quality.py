"""The run page's Data quality panel, against the real server and a real demo run.

The demo collection declares an item schema (``DemoSeller``); the demo site's sellers
often lack a country or a rating and a few rate "n/a". While the run goes the panel shows
its fields with coverage bars; once the run has ended the panel shows exactly the stored
frame's numbers (what ``GET /api/runs/{id}`` says).
"""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.support import SCREENSHOTS, TERMINAL, ServerThread, dashboard_ratio, wait_for

FIELDS = ["seller_id", "name", "country", "rating"]


def test_the_data_quality_panel_shows_the_runs_coverage(
    page: Page, server: ServerThread, api: httpx.Client, small_live_run: str
) -> None:
    live_run = small_live_run
    page.goto(f"{server.url}/runs/{live_run}")
    panel = page.get_by_test_id("quality-panel")
    expect(panel).to_be_visible()
    rows = panel.get_by_test_id("quality-row")
    expect(rows).to_have_count(len(FIELDS))
    assert [r.get_attribute("data-field") for r in rows.all()] == FIELDS

    def checked() -> int:
        """enough items checked, live, for the coverage to mean something"""
        text = panel.get_by_test_id("quality-checked").inner_text().replace(",", "")
        return int(text) if text.isdigit() and int(text) >= 300 else 0

    wait_for(checked, timeout=60)
    api.post(f"/api/runs/{live_run}/cancel")
    wait_for(lambda: api.get(f"/api/runs/{live_run}").json()["status"] in TERMINAL)
    quality = api.get(f"/api/runs/{live_run}").json()["quality"]

    page.reload()
    expect(page.get_by_test_id("run-detail")).to_have_attribute("data-status", "cancelled")
    expect(panel.get_by_test_id("quality-checked")).to_have_text(f"{quality['checked']:,}")
    expect(panel.get_by_test_id("quality-invalid")).to_have_text(f"{quality['invalid']:,}")
    for field in quality["fields"]:
        row = panel.locator(f"[data-testid=quality-row][data-field='{field['field']}']")
        expect(row.get_by_test_id("quality-present")).to_have_text(f"{field['present']:,}")
        expect(row.get_by_test_id("quality-errors")).to_have_text(f"{field['errors']:,}")
        coverage = dashboard_ratio(field["coverage"])
        expect(row.get_by_test_id("quality-coverage")).to_have_text(coverage)
    by_field = {f["field"]: f for f in quality["fields"]}
    # The demo's data is really incomplete, and partly invalid.
    assert by_field["name"]["coverage"] == 1.0
    assert 0 < by_field["country"]["coverage"] < 1
    assert 0 < by_field["rating"]["coverage"] < 1
    assert by_field["rating"]["errors"] > 0
    assert quality["invalid"] == by_field["rating"]["errors"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    panel.screenshot(path=str(SCREENSHOTS / "data-quality-panel.png"))
    page.screenshot(path=str(SCREENSHOTS / "data-quality-run-page.png"), full_page=True)
