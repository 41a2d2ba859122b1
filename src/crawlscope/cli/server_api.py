"""The run commands against a crawlscope server (``--server URL --token T``) instead of a
local database: the same answers, through the HTTP API (docs/api.md).

Errors become CLI errors naming the option to fix: an unreachable server
(``--server``), a refused or missing token (``--token``), and the server's own JSON error
messages as they are (``400``/``404``/``409``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crawlscope.cli.common import fail

__all__ = ["ServerApi"]


class ServerApi:
    """A few calls of the crawlscope API, for the CLI (synchronous: one call per command)."""

    def __init__(self, url: str, token: str | None, *, timeout: float = 30.0) -> None:
        import httpx

        if not url.startswith(("http://", "https://")):
            raise fail(f"--server must be an http:// or https:// URL, got {url!r}", 2)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.url = url.rstrip("/")
        self._client = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    def __enter__(self) -> ServerApi:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._client.close()

    def runs(self, *, status: str | None, limit: int) -> list[dict[str, Any]]:
        """``GET /api/runs``: the newest runs."""
        params: dict[str, Any] = {"limit": limit}
        if status:
            params["status"] = status
        body = self._call("GET", "/api/runs", params=params)
        runs: list[dict[str, Any]] = body["runs"]
        return runs

    def run(self, run_id: str) -> dict[str, Any]:
        """``GET /api/runs/{id}``."""
        found: dict[str, Any] = self._call("GET", f"/api/runs/{run_id}")
        return found

    def start(
        self, collection: str, params: Mapping[str, Any], workers: int | None
    ) -> dict[str, Any]:
        """``POST /api/runs``: the run the server started."""
        body: dict[str, Any] = {"collection": collection, "params": dict(params)}
        if workers is not None:
            body["workers"] = workers
        started: dict[str, Any] = self._call("POST", "/api/runs", json=body)
        return started

    def control(self, run_id: str, command: str) -> dict[str, Any]:
        """``POST /api/runs/{id}/pause|resume|cancel|retry``."""
        answer: dict[str, Any] = self._call("POST", f"/api/runs/{run_id}/{command}")
        return answer

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        import httpx

        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise fail(
                f"cannot reach the server at {self.url}: {exc} (option --server)", 2
            ) from exc
        if response.status_code == 401:
            raise fail(
                f"the server at {self.url} refused the request: {_message(response)} "
                "(option --token, or CRAWLSCOPE_TOKEN)",
                2,
            )
        if response.status_code == 403:
            raise fail(f"not allowed: {_message(response)} (option --token)", 2)
        if response.status_code >= 400:
            raise fail(_message(response), 1)
        try:
            return response.json()
        except ValueError as exc:
            raise fail(f"the server at {self.url} answered something else than JSON", 1) from exc


def _message(response: Any) -> str:
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return f"HTTP {response.status_code}"
    message = str(error.get("message", f"HTTP {response.status_code}"))
    field = error.get("field")
    return f"{message} (field {field})" if field and field not in message else message
