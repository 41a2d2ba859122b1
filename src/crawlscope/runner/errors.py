"""Exceptions collector code raises or catches."""

from __future__ import annotations

from crawlscope.events import ErrorStage, ErrorType

__all__ = ["ConfigError", "ParseError", "RequestFailed", "RobotsDisallowed"]


class ConfigError(ValueError):
    """A collection or policy is configured wrongly; the message names the setting."""


class ParseError(Exception):
    """The response arrived but could not be turned into data.

    Raise it from a handler (``raise ParseError("no price", stage="extraction")``); the task
    is retried up to the collection's ``task_attempts`` and then recorded as failed, with
    ``error_type=parse_error`` and the given stage.
    """

    def __init__(self, message: str, *, stage: str = ErrorStage.EXTRACTION) -> None:
        super().__init__(message)
        self.stage = stage


class RequestFailed(Exception):
    """A request failed for good (retries exhausted or not retryable).

    The instrumented client has already recorded every attempt; a handler that lets this
    propagate fails the task with the same ``error_type``.
    """

    def __init__(
        self,
        message: str,
        *,
        error_type: ErrorType,
        url: str,
        status_code: int | None = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.url = url
        self.status_code = status_code
        self.attempts = attempts


class RobotsDisallowed(Exception):
    """The site's robots.txt disallows ``url`` and its policy says to respect it.

    Raised by ``ctx.http`` before anything is sent (a ``skipped`` event says so). A
    handler that lets it propagate ends its task as skipped: done, not failed, with
    nothing of that attempt kept. Catch it to go on without the page.
    """

    def __init__(self, url: str, robots_url: str) -> None:
        super().__init__(f"{url} is disallowed by {robots_url}")
        self.url = url
        self.robots_url = robots_url
