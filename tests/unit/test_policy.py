"""Per-site policy (runner/policy.py): backoff, retryability, status classes, Retry-After,
and validation of every setting."""

from __future__ import annotations

import random
import time
from email.utils import formatdate

import pytest

from crawlscope.events import ErrorType
from crawlscope.runner.errors import ConfigError
from crawlscope.runner.policy import (
    SitePolicy,
    backoff_delay,
    classify_status,
    is_retryable,
    parse_retry_after,
)

# -- backoff ---------------------------------------------------------------------------------


def test_backoff_doubles_per_attempt_and_is_capped() -> None:
    policy = SitePolicy(backoff_base=0.5, backoff_max=3.0, backoff_jitter=0)
    assert [backoff_delay(policy, n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 3.0, 3.0, 3.0]


def test_backoff_jitter_stays_within_its_spread_and_the_cap() -> None:
    policy = SitePolicy(backoff_base=1.0, backoff_max=5.0, backoff_jitter=0.25)
    rng = random.Random(1)
    for attempt in range(1, 6):
        plain = min(5.0, 2.0 ** (attempt - 1))
        delays = [backoff_delay(policy, attempt, rng) for _ in range(200)]
        assert min(delays) >= plain * 0.75 - 1e-9
        assert max(delays) <= min(5.0, plain * 1.25) + 1e-9
        assert len(set(delays)) > 1  # workers do not retry in lockstep


def test_backoff_is_reproducible_with_a_seeded_rng() -> None:
    policy = SitePolicy()
    first = [backoff_delay(policy, n, random.Random(9)) for n in range(1, 5)]
    second = [backoff_delay(policy, n, random.Random(9)) for n in range(1, 5)]
    assert first == second


def test_backoff_with_zero_base_is_immediate() -> None:
    assert backoff_delay(SitePolicy(backoff_base=0, backoff_jitter=0), 3) == 0.0


# -- status classes and retryability -------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (200, None),
        (204, None),
        (301, None),
        (304, None),
        (400, ErrorType.HTTP_4XX),
        (404, ErrorType.HTTP_4XX),
        (408, ErrorType.HTTP_4XX),
        (499, ErrorType.HTTP_4XX),
        (429, ErrorType.RATE_LIMIT),
        (500, ErrorType.HTTP_5XX),
        (503, ErrorType.HTTP_5XX),
        (599, ErrorType.HTTP_5XX),
    ],
)
def test_classify_status(status: int, expected: ErrorType | None) -> None:
    assert classify_status(status) == expected


@pytest.mark.parametrize(
    ("error_type", "status", "retry"),
    [
        (ErrorType.TIMEOUT, None, True),
        (ErrorType.CONNECTION, None, True),
        (ErrorType.RATE_LIMIT, 429, True),
        (ErrorType.HTTP_4XX, 408, True),
        (ErrorType.HTTP_4XX, 425, True),
        (ErrorType.HTTP_5XX, 500, True),
        (ErrorType.HTTP_5XX, 502, True),
        (ErrorType.HTTP_5XX, 503, True),
        (ErrorType.HTTP_5XX, 504, True),
        (ErrorType.HTTP_4XX, 400, False),
        (ErrorType.HTTP_4XX, 403, False),
        (ErrorType.HTTP_4XX, 404, False),
        (ErrorType.HTTP_5XX, 501, False),
        (ErrorType.PARSE_ERROR, None, False),
        (ErrorType.API_ERROR, None, False),
        (ErrorType.CANCELLED, None, False),
    ],
)
def test_is_retryable(error_type: ErrorType, status: int | None, retry: bool) -> None:
    assert is_retryable(SitePolicy(), error_type, status) is retry


def test_retry_statuses_are_configurable() -> None:
    policy = SitePolicy(retry_statuses=frozenset({404}))
    assert is_retryable(policy, ErrorType.HTTP_4XX, 404)
    assert not is_retryable(policy, ErrorType.HTTP_5XX, 500)


# -- Retry-After -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("5", 5.0),
        (" 2.5 ", 2.5),
        ("0", 0.0),
        ("-3", 0.0),  # never negative
        (None, None),
        ("", None),
        ("   ", None),
        ("soon", None),
        ("Mon, 99 Foo 2024", None),
    ],
)
def test_retry_after_seconds(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header, now=1_000_000.0) == expected


def test_retry_after_http_date() -> None:
    now = float(int(time.time()))
    header = formatdate(now + 30, usegmt=True)  # "Sun, 22 Nov 2026 10:00:30 GMT"
    assert header.endswith("GMT")
    assert parse_retry_after(header, now) == pytest.approx(30.0)


def test_retry_after_http_date_in_the_past_means_now() -> None:
    now = float(int(time.time()))
    assert parse_retry_after(formatdate(now - 120, usegmt=True), now) == 0.0


def test_retry_after_http_date_is_utc_whatever_the_local_timezone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # "-0000" is the RFC 5322 way of writing UTC; the stdlib parses it into a naive
    # datetime, which must not be read as local time.
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        now = float(int(time.time()))
        header = formatdate(now + 60)  # "... -0000"
        assert header.endswith("-0000")
        assert parse_retry_after(header, now) == pytest.approx(60.0)
    finally:
        monkeypatch.undo()
        time.tzset()


# -- validation ---------------------------------------------------------------------------------


def test_defaults_are_valid() -> None:
    policy = SitePolicy()
    assert policy.max_attempts >= 1
    assert 429 in policy.retry_statuses


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("max_attempts", 0),
        ("max_attempts", 2.5),
        ("max_attempts", True),
        ("max_attempts", "3"),
        ("backoff_base", -0.1),
        ("backoff_max", -1),
        ("backoff_jitter", 1.0),
        ("backoff_jitter", -0.1),
        ("timeout", 0),
        ("timeout", -5),
        ("timeout", None),
        ("rate_per_second", 0),
        ("rate_per_second", -1.0),
        ("max_concurrency", 0),
        ("max_concurrency", 1.5),
        ("max_retry_after", -1),
        ("breaker_threshold", 0),
        ("breaker_threshold", 2.5),
        ("breaker_cooldown", -1),
    ],
)
def test_bad_setting_is_a_config_error_naming_it(setting: str, value: object) -> None:
    with pytest.raises(ConfigError, match=setting):
        SitePolicy(**{setting: value})  # type: ignore[arg-type]


def test_backoff_max_below_base_names_backoff_max() -> None:
    with pytest.raises(ConfigError, match="backoff_max"):
        SitePolicy(backoff_base=5.0, backoff_max=1.0)


def test_replace_validates_and_rejects_unknown_settings() -> None:
    policy = SitePolicy().replace(max_attempts=7, timeout=1.5)
    assert (policy.max_attempts, policy.timeout) == (7, 1.5)
    with pytest.raises(ConfigError, match="max_atempts"):
        SitePolicy().replace(max_atempts=2)
    with pytest.raises(ConfigError, match="timeout"):
        SitePolicy().replace(timeout=0)
