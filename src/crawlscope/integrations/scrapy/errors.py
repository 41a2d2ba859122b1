"""Scrapy's exceptions as crawlscope error types and stages (docs/integrations/scrapy.md)."""

from __future__ import annotations

import json

from scrapy import exceptions as scrapy_errors
from twisted.internet import defer
from twisted.internet import error as net
from twisted.web import _newclient

from crawlscope.events import ErrorStage, ErrorType

__all__ = ["download_error", "handler_error"]

_TIMEOUT = (
    scrapy_errors.DownloadTimeoutError,
    net.TimeoutError,
    net.TCPTimedOutError,
    defer.TimeoutError,
    TimeoutError,
)
_CANCELLED = (scrapy_errors.DownloadCancelledError, defer.CancelledError)
_CONNECTION = (
    scrapy_errors.DownloadConnectionRefusedError,
    scrapy_errors.CannotResolveHostError,
    scrapy_errors.DownloadFailedError,
    scrapy_errors.ResponseDataLossError,
    net.ConnectError,
    net.ConnectionDone,
    net.ConnectionLost,
    net.DNSLookupError,
    _newclient.ResponseFailed,
    _newclient.ResponseNeverReceived,
    ConnectionError,
    OSError,
)
_PARSE = (json.JSONDecodeError, UnicodeDecodeError)


def download_error(exc: BaseException) -> ErrorType:
    """The error type of an exception raised while downloading (stage ``request``).

    Timeouts are ``timeout``; refused, reset, lost connections, DNS failures, data loss
    and other socket errors ``connection``; a cancelled download ``cancelled``; anything
    else a download middleware raised ``api_error``.
    """
    if isinstance(exc, _TIMEOUT):
        return ErrorType.TIMEOUT
    if isinstance(exc, _CANCELLED):
        return ErrorType.CANCELLED
    if isinstance(exc, _CONNECTION):
        return ErrorType.CONNECTION
    return ErrorType.API_ERROR


def handler_error(exc: BaseException) -> tuple[ErrorType, str]:
    """``(error type, stage)`` of an exception raised by a spider callback.

    JSON and text decoding errors are ``parse_error`` at ``extraction``; ``DropItem`` is
    ``parse_error`` at ``validation``; anything else is a bug or data the spider did not
    expect: ``handler_error`` at ``handler`` (as crawlscope's runner counts them).
    """
    if isinstance(exc, _PARSE):
        return ErrorType.PARSE_ERROR, ErrorStage.EXTRACTION
    if isinstance(exc, scrapy_errors.DropItem):
        return ErrorType.PARSE_ERROR, ErrorStage.VALIDATION
    return ErrorType.HANDLER_ERROR, ErrorStage.HANDLER
