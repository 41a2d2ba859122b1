"""Assertions on the server's JSON error answers, shared by the API tests."""

from __future__ import annotations

from typing import Any, Final

import httpx

__all__ = ["UNCHECKED", "assert_api_error"]

UNCHECKED: Final[Any] = object()
"""Pass as ``field`` when the test does not care which field the error names."""


def assert_api_error(
    response: httpx.Response, status: int, code: str, field: str | None = UNCHECKED
) -> dict[str, Any]:
    """The response is ``status`` with a JSON ``{"error": {"code", "message", "field"?}}``.

    ``field`` is compared exactly (``None``: the error names no field) unless left
    ``UNCHECKED``. A 401 must also tell the client how to authenticate.
    """
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    if field is not UNCHECKED:
        assert error.get("field") == field
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")
    return error
