"""Login with a token when the server requires it; a viewer sees no control buttons."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.support import TERMINAL, ServerThread, running_server

CLI = Path(sys.executable).with_name("crawlscope")


def create_token(db: Path, role: str, name: str) -> str:
    """A token made the way an admin makes one: ``crawlscope tokens create``."""
    done = subprocess.run(
        [str(CLI), "tokens", "create", "--role", role, "--name", name, "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.strip()


class AuthServer:
    def __init__(self, server: ServerThread, tokens: dict[str, str], run_id: str) -> None:
        self.server = server
        self.tokens = tokens
        self.run_id = run_id


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory, browser: Browser) -> Iterator[AuthServer]:
    """A server with ``auth=on`` (as behind a proxy), tokens per role and one running run."""
    db = tmp_path_factory.mktemp("e2e-auth") / "crawlscope.db"
    with running_server(db, auth="on") as srv:
        tokens = {role: create_token(db, role, f"e2e-{role}") for role in ("viewer", "operator")}
        headers = {"Authorization": f"Bearer {tokens['operator']}"}
        with httpx.Client(base_url=srv.url, timeout=10, headers=headers) as client:
            runs = client.get("/api/runs").json()["runs"]
            active = [r["id"] for r in runs if r["status"] not in TERMINAL]
            assert active, "the demo run should be going"
            yield AuthServer(srv, tokens, active[0])
            for run_id in active:
                client.post(f"/api/runs/{run_id}/cancel")


@pytest.fixture
def fresh_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    try:
        yield page
    finally:
        context.close()


def login(page: Page, base: str, token: str, next_path: str) -> None:
    page.goto(f"{base}{next_path}")
    expect(page).to_have_url(f"{base}/login?next={next_path.replace('/', '%2F')}")
    page.get_by_test_id("login-token").fill(token)
    page.get_by_test_id("login-submit").click()
    expect(page).to_have_url(f"{base}{next_path}")


def test_unauthenticated_visitor_is_sent_to_login_and_a_bad_token_is_refused(
    fresh_page: Page, auth_server: AuthServer
) -> None:
    base = auth_server.server.url
    fresh_page.goto(f"{base}/runs")
    expect(fresh_page).to_have_url(f"{base}/login?next=%2Fruns")
    fresh_page.get_by_test_id("login-token").fill("cs_not-a-real-token")
    fresh_page.get_by_test_id("login-submit").click()
    expect(fresh_page.get_by_test_id("login-error")).to_contain_text("not valid")
    expect(fresh_page).to_have_url(f"{base}/login?next=%2Fruns")


def test_viewer_sees_the_run_but_no_control_buttons(
    fresh_page: Page, auth_server: AuthServer
) -> None:
    base, run_id = auth_server.server.url, auth_server.run_id
    login(fresh_page, base, auth_server.tokens["viewer"], f"/runs/{run_id}")
    expect(fresh_page.get_by_test_id("run-detail")).to_have_attribute("data-run", run_id)
    expect(fresh_page.get_by_test_id("worker-card").first).to_be_visible()
    expect(fresh_page.get_by_test_id("user-role")).to_contain_text("viewer")
    expect(fresh_page.get_by_test_id("live-indicator")).to_have_attribute("data-status", "live")
    expect(fresh_page.get_by_test_id("run-controls")).to_have_count(0)
    expect(fresh_page.get_by_test_id("control-pause")).to_have_count(0)
    # The server agrees: the viewer's session may not pause.
    refused = fresh_page.request.post(f"{base}/api/runs/{run_id}/pause")
    assert refused.status == 403
    # Signing out ends the session: the next page asks for a token again.
    fresh_page.get_by_test_id("logout").click()
    expect(fresh_page).to_have_url(f"{base}/login")
    fresh_page.goto(f"{base}/runs/{run_id}")
    expect(fresh_page.get_by_test_id("login-form")).to_be_visible()


def test_operator_sees_the_control_buttons(fresh_page: Page, auth_server: AuthServer) -> None:
    base, run_id = auth_server.server.url, auth_server.run_id
    login(fresh_page, base, auth_server.tokens["operator"], f"/runs/{run_id}")
    expect(fresh_page.get_by_test_id("user-role")).to_contain_text("operator")
    expect(fresh_page.get_by_test_id("run-controls")).to_be_visible()
    expect(fresh_page.get_by_test_id("control-cancel")).to_be_enabled()


def test_viewer_sees_no_new_run_button_and_cannot_start(
    fresh_page: Page, auth_server: AuthServer
) -> None:
    base = auth_server.server.url
    login(fresh_page, base, auth_server.tokens["viewer"], "/runs")
    expect(fresh_page.get_by_test_id("run-row").first).to_be_visible()
    expect(fresh_page.get_by_test_id("new-run")).to_have_count(0)
    fresh_page.get_by_role("link", name="Overview").click()
    expect(fresh_page.get_by_test_id("active-run").first).to_be_visible()
    expect(fresh_page.get_by_test_id("new-run")).to_have_count(0)
    # The form's address typed by hand says why there is no form...
    fresh_page.goto(f"{base}/runs/new")
    expect(fresh_page.get_by_test_id("new-run-forbidden")).to_contain_text("viewer")
    expect(fresh_page.get_by_test_id("new-run-form")).to_have_count(0)
    # ... and the server refuses the start itself.
    refused = fresh_page.request.post(f"{base}/api/runs", data={"collection": "demo"})
    assert refused.status == 403
    assert "this needs 'operator'" in refused.json()["error"]["message"]


def test_operator_sees_the_new_run_button(fresh_page: Page, auth_server: AuthServer) -> None:
    base = auth_server.server.url
    login(fresh_page, base, auth_server.tokens["operator"], "/runs")
    fresh_page.get_by_test_id("new-run").click()
    expect(fresh_page).to_have_url(f"{base}/runs/new")
    expect(fresh_page.get_by_label("Collection")).to_have_value("demo")
    expect(fresh_page.get_by_test_id("params-fields")).to_be_visible()
