"""Errors of a remote reporter and reading the server's answers."""

from __future__ import annotations

import contextlib
from typing import Any

import httpx
import msgspec

__all__ = [
    "ServerError",
    "ServerUnreachable",
    "TokenRefused",
    "describe",
    "error_field",
    "error_message",
    "retry_after",
]


class ServerError(RuntimeError):
    """The server answered, but not as a crawlscope server accepting this runner would."""


class ServerUnreachable(ServerError):
    """No answer from the server (connection refused, DNS, timeout)."""


class TokenRefused(ServerError):
    """The server refused the token (401) or its role (403)."""


def describe(exc: httpx.TransportError) -> str:
    """A transport error as text (some have an empty message)."""
    return str(exc) or type(exc).__name__


def _error_body(response: httpx.Response) -> dict[str, Any]:
    with contextlib.suppress(ValueError, msgspec.DecodeError):
        body = msgspec.json.decode(response.content)
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            error: dict[str, Any] = body["error"]
            return error
    return {}


def error_message(response: httpx.Response) -> str:
    """The ``error.message`` of a JSON error answer, else the start of the body."""
    message = _error_body(response).get("message")
    return str(message) if message else response.text[:200] or response.reason_phrase


def error_field(response: httpx.Response) -> str | None:
    """The ``error.field`` of a JSON error answer (``events[3].action``), if any."""
    field = _error_body(response).get("field")
    return str(field) if field else None


def retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds, if the answer has one in that form."""
    value = response.headers.get("retry-after", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
