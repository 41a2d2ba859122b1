"""Per-site request policy (retries, backoff, limits, breaker settings) and its pure rules."""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC
from email.utils import parsedate_to_datetime
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from crawlscope.events import ErrorType
from crawlscope.runner.errors import ConfigError

__all__ = [
    "SitePolicy",
    "backoff_delay",
    "classify_status",
    "is_retryable",
    "parse_retry_after",
]

_RNG = random.Random()
_RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
_RETRYABLE_TYPES = frozenset({ErrorType.TIMEOUT, ErrorType.CONNECTION, ErrorType.RATE_LIMIT})
# RFC 9110 field names ("token") and values without line breaks (a CR or LF in a header
# would let the value smuggle headers of its own).
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_LINE_BREAK = re.compile(r"[\r\n\x00]")


@dataclass(frozen=True)
class SitePolicy:
    """How crawlscope treats one host. Every field is checked on construction.

    Attributes:
        max_attempts: tries per request, the first included.
        backoff_base / backoff_max: exponential backoff, seconds (``base * 2**(n-1)``, capped).
        backoff_jitter: +/- fraction of randomness so workers do not retry in lockstep.
        timeout: seconds for one whole request (connect, send, read the body).
        rate_per_second: at most this many requests start per second (None: no limit).
        max_concurrency: at most this many requests in flight to the host.
        max_retry_after: cap on a server's ``Retry-After``, seconds.
        breaker_threshold: consecutive failed attempts (timeouts, connection errors, 5xx)
            that open the circuit breaker.
        breaker_cooldown: seconds the breaker stays open before one probe is let through.
        headers: headers sent with every request to the host (a request's own headers
            win over them).
        user_agent: the ``User-Agent`` sent to the host (None: the transport's own); also
            the name robots.txt rules are matched against.
        proxy: an ``http://`` or ``https://`` proxy URL (credentials as
            ``http://user:pass@host:port``) every request to the host goes through.
        respect_robots: fetch the host's ``/robots.txt`` once, before its first request,
            and skip the URLs it disallows (``ctx.http`` raises ``RobotsDisallowed``; the
            task ends as skipped, not failed).
    """

    max_attempts: int = 3
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    backoff_jitter: float = 0.25
    timeout: float = 30.0
    rate_per_second: float | None = None
    max_concurrency: int = 16
    max_retry_after: float = 60.0
    breaker_threshold: int = 5
    breaker_cooldown: float = 10.0
    retry_statuses: frozenset[int] = field(default=_RETRYABLE_STATUS)
    headers: Mapping[str, str] | None = field(default=None, hash=False)
    user_agent: str | None = None
    proxy: str | None = None
    respect_robots: bool = False
    request_headers: Mapping[str, str] | None = field(
        init=False, default=None, repr=False, compare=False
    )
    """``headers`` and ``user_agent`` merged once, here: what the request path adds to
    every request (None when there is nothing to add, so most requests pay nothing)."""
    adjusts: bool = field(init=False, default=False, repr=False, compare=False)
    """Whether requests to the host need more than the common path: headers, a proxy or
    robots.txt (one check per request, instead of one per option)."""

    def __post_init__(self) -> None:
        _integer("max_attempts", self.max_attempts, 1)
        _at_least("backoff_base", self.backoff_base, 0)
        _at_least("backoff_max", self.backoff_max, self.backoff_base)
        if not 0 <= self.backoff_jitter < 1:
            raise ConfigError(
                f"site policy: backoff_jitter must be in [0, 1), got {self.backoff_jitter!r}"
            )
        _positive("timeout", self.timeout)
        if self.rate_per_second is not None:
            _positive("rate_per_second", self.rate_per_second)
        _integer("max_concurrency", self.max_concurrency, 1)
        _at_least("max_retry_after", self.max_retry_after, 0)
        _integer("breaker_threshold", self.breaker_threshold, 1)
        _at_least("breaker_cooldown", self.breaker_cooldown, 0)
        merged = _check_headers(self.headers)
        if self.user_agent is not None:
            _check_header_value("user_agent", self.user_agent)
            if not self.user_agent.strip():
                raise ConfigError("site policy: user_agent must not be empty")
            merged = {k: v for k, v in merged.items() if k.lower() != "user-agent"}
            merged["User-Agent"] = self.user_agent
        _check_proxy(self.proxy)
        if not isinstance(self.respect_robots, bool):
            raise ConfigError(
                f"site policy: respect_robots must be True or False, got {self.respect_robots!r}"
            )
        # A frozen dataclass: fields are set the way its __init__ would. The headers are
        # kept as a read-only copy, so changing the dict given later changes nothing.
        if self.headers is not None:
            object.__setattr__(self, "headers", MappingProxyType(_check_headers(self.headers)))
        object.__setattr__(self, "request_headers", merged or None)
        adjusts = bool(merged) or self.proxy is not None or self.respect_robots
        object.__setattr__(self, "adjusts", adjusts)

    def replace(self, **changes: Any) -> SitePolicy:
        """A copy with ``changes`` applied (and validated)."""
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.init}
        unknown = set(changes) - set(values)
        if unknown:
            raise ConfigError(f"site policy: unknown setting(s) {', '.join(sorted(unknown))}")
        values.update(changes)
        return SitePolicy(**values)


def _check_header_value(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"site policy: {name} must be text, got {value!r}")
    if _LINE_BREAK.search(value):
        raise ConfigError(f"site policy: {name} must not contain line breaks, got {value!r}")
    return value


def _check_headers(headers: object) -> dict[str, str]:
    if headers is None:
        return {}
    if not isinstance(headers, Mapping):
        raise ConfigError(
            f"site policy: headers must be a mapping of names to values, got {headers!r}"
        )
    checked: dict[str, str] = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not _HEADER_NAME.match(name):
            raise ConfigError(f"site policy: headers has an invalid header name {name!r}")
        checked[name] = _check_header_value(f"headers[{name!r}]", value)
    return checked


def _check_proxy(proxy: object) -> None:
    if proxy is None:
        return
    if not isinstance(proxy, str):
        raise ConfigError(f"site policy: proxy must be a URL, got {proxy!r}")
    try:
        parts = urlsplit(proxy)
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"site policy: proxy {proxy!r} is not a valid URL ({exc})") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"site policy: proxy must be an http:// or https:// URL with a host, got {proxy!r}"
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigError(
            f"site policy: proxy must be scheme://[user:pass@]host[:port] only, got {proxy!r}"
        )
    if port == 0:
        raise ConfigError(f"site policy: proxy {proxy!r} has no valid port")


def _check_number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"site policy: {name} must be a number, got {value!r}")
    return float(value)


def _at_least(name: str, value: object, minimum: float) -> None:
    if _check_number(name, value) < minimum:
        raise ConfigError(f"site policy: {name} must be >= {minimum:g}, got {value!r}")


def _integer(name: str, value: object, minimum: int) -> None:
    # Counts (attempts, slots, failures) must be whole: 2.5 attempts would silently mean 3.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"site policy: {name} must be an integer, got {value!r}")
    _at_least(name, value, minimum)


def _positive(name: str, value: object) -> None:
    if _check_number(name, value) <= 0:
        raise ConfigError(f"site policy: {name} must be > 0, got {value!r}")


def backoff_delay(policy: SitePolicy, attempt: int, rng: random.Random | None = None) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
    base = min(policy.backoff_max, policy.backoff_base * (2.0 ** max(0, attempt - 1)))
    if policy.backoff_jitter:
        spread = (rng or _RNG).uniform(-policy.backoff_jitter, policy.backoff_jitter)
        base *= 1 + spread
    return max(0.0, min(policy.backoff_max, base))


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date).

    ``now`` is the current Unix time. Returns None if absent or unreadable; never negative.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        # An HTTP-date is always UTC; the stdlib returns "-0000" dates as naive datetimes,
        # which .timestamp() would otherwise read as local time.
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


def classify_status(status: int) -> ErrorType | None:
    """The error type of an HTTP status, or None for success and redirects."""
    if status < 400:
        return None
    if status == 429:
        return ErrorType.RATE_LIMIT
    if status >= 500:
        return ErrorType.HTTP_5XX
    return ErrorType.HTTP_4XX


def is_retryable(policy: SitePolicy, error_type: ErrorType, status: int | None) -> bool:
    """Whether a failed attempt is worth another try."""
    if status is not None:
        return status in policy.retry_statuses
    return error_type in _RETRYABLE_TYPES
