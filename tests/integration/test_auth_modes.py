"""When authentication is off: loopback auto mode, explicit off, refused on public addresses."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from crawlscope.access import AccessConfigError
from crawlscope.api import create_app
from crawlscope.config import Settings
from crawlscope.serving import serve_in_loop

from .api_assertions import assert_api_error

STREAM = "/api/test-auth/stream"


# -- when authentication is off ---------------------------------------------------------------


async def test_loopback_auto_mode_treats_callers_as_local_admin(tmp_path: Path) -> None:
    settings = Settings(database_url=str(tmp_path / "open.db"), host="127.0.0.1")
    assert settings.auth == "auto"
    app = create_app(settings)
    assert app.state.auth_mode.required is False
    async with serve_in_loop(app) as url, httpx.AsyncClient(base_url=url) as client:
        assert (await client.get("/api/tokens")).status_code == 200
        me = (await client.get("/api/auth/me")).json()
        assert me == {
            "authenticated": False,
            "name": "local",
            "role": "admin",
            "auth_required": False,
        }
        # Relayed by a reverse proxy on this host: the request came from elsewhere.
        relayed = await client.get("/api/tokens", headers={"X-Forwarded-For": "203.0.113.9"})
        assert_api_error(relayed, 401, "unauthorized")
        me = await client.get("/api/auth/me", headers={"Forwarded": "for=203.0.113.9"})
        assert me.json()["auth_required"] is True


async def test_explicit_auth_off_ignores_proxy_headers(tmp_path: Path) -> None:
    settings = Settings(database_url=str(tmp_path / "off.db"), auth="off")
    async with serve_in_loop(create_app(settings)) as url, httpx.AsyncClient(base_url=url) as c:
        resp = await c.get("/api/health/system", headers={"X-Forwarded-For": "203.0.113.9"})
        assert resp.status_code == 200


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.10"])
def test_auth_off_on_a_public_address_is_refused_at_start(tmp_path: Path, host: str) -> None:
    settings = Settings(database_url=str(tmp_path / "x.db"), host=host, auth="off")
    with pytest.raises(AccessConfigError, match="CRAWLSCOPE_AUTH=off is refused"):
        create_app(settings)
    assert not (tmp_path / "x.db").exists()


def test_auto_mode_on_a_public_address_requires_auth(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=str(tmp_path / "x.db"), host="0.0.0.0"))
    assert app.state.auth_mode.required is True
    assert "0.0.0.0" in app.state.auth_mode.reason
