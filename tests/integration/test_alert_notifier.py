"""The notifier against real local receivers: an aiosmtpd SMTP server and a JSON webhook,
both on 127.0.0.1 (tests/alert_receivers.py). Nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from crawlscope.alerts.channels import Channel, parse_channel, redact
from crawlscope.alerts.notifier import DeliveryAttempt, Notification, Notifier
from crawlscope.timestamps import parse_ts, utc_now
from tests.alert_receivers import (
    SmtpReceiver,
    WebhookReceiver,
    free_port,
    smtp_receiver,
    webhook_receiver,
)


@pytest.fixture
async def smtp() -> AsyncIterator[SmtpReceiver]:
    async with smtp_receiver() as server:
        yield server


@pytest.fixture
async def webhook() -> AsyncIterator[WebhookReceiver]:
    async with webhook_receiver() as receiver:
        yield receiver


class Recorder:
    """The ``record`` callback: keeps every attempt."""

    def __init__(self) -> None:
        self.attempts: list[DeliveryAttempt] = []

    async def __call__(self, attempt: DeliveryAttempt) -> None:
        self.attempts.append(attempt)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


def firing(title: str = "Run 42 failed", status: str = "firing") -> Notification:
    return Notification(
        key="rule=run_failed,run=42",
        status=status,
        severity="critical",
        title=title,
        body="Run 42 of demo-catalog failed: 17 errors in 5 minutes.\nSite: 127.0.0.1",
        alerts=[{"labels": {"run": "42"}, "summary": "failed", "state": "firing"}],
    )


async def test_an_email_arrives_at_the_smtp_server(smtp: SmtpReceiver, recorder: Recorder) -> None:
    channel = parse_channel("ops-mail", smtp.apprise_url(to="ops@example.com"))
    notifier = Notifier(record=recorder, backoff_s=0.05)

    assert await notifier.deliver(channel, firing()) is True

    [mail] = await smtp.wait_for(1)
    assert mail.rcpt_tos == ["ops@example.com"]
    assert mail.mail_from == "alerts@crawlscope.test"
    assert mail.subject == "Run 42 failed"
    assert "Run 42 of demo-catalog failed: 17 errors in 5 minutes." in mail.text
    assert "Site: 127.0.0.1" in mail.text
    [attempt] = recorder.attempts
    assert attempt.delivered is True
    assert attempt.error is None
    assert (attempt.channel, attempt.attempt, attempt.status) == ("ops-mail", 1, "firing")
    assert attempt.notification_key == "rule=run_failed,run=42"
    assert attempt.url == redact(channel.url)
    assert attempt.at.endswith("Z")
    assert abs((utc_now() - parse_ts(attempt.at)).total_seconds()) < 30


async def test_a_json_webhook_receives_title_body_and_type(
    webhook: WebhookReceiver, recorder: Recorder
) -> None:
    channel = parse_channel("hook", webhook.apprise_url("/alerts"))
    notifier = Notifier(record=recorder)

    assert await notifier.deliver(channel, firing()) is True

    [request] = await webhook.wait_for(1)
    assert (request.method, request.path) == ("POST", "/alerts")
    assert request.headers["Content-Type"].startswith("application/json")
    # The body notifier.py documents (Apprise's JSON plugin).
    assert set(request.body) == {"version", "title", "message", "attachments", "type"}
    assert request.body["title"] == "Run 42 failed"
    assert request.body["message"] == firing().body
    assert request.body["type"] == "failure"  # critical
    assert [a.delivered for a in recorder.attempts] == [True]


async def test_a_resolved_notice_is_a_success_type(webhook: WebhookReceiver) -> None:
    channel = parse_channel("hook", webhook.apprise_url())
    assert await Notifier().deliver(channel, firing("Resolved: run 42", status="resolved"))
    [request] = await webhook.wait_for(1)
    assert request.body["type"] == "success"
    assert request.body["title"] == "Resolved: run 42"


async def test_failing_twice_then_succeeding_is_delivered_on_attempt_three(
    webhook: WebhookReceiver, recorder: Recorder
) -> None:
    webhook.fail_first = 2
    channel = parse_channel("hook", webhook.apprise_url())
    notifier = Notifier(record=recorder, attempts=3, backoff_s=0.05)

    assert await notifier.deliver(channel, firing()) is True

    assert [r.status for r in webhook.requests] == [500, 500, 200]
    assert [(a.attempt, a.delivered) for a in recorder.attempts] == [
        (1, False),
        (2, False),
        (3, True),
    ]
    for failed in recorder.attempts[:2]:
        assert failed.error is not None
        assert failed.error.startswith(f"HTTP 500 from 127.0.0.1:{webhook.port}: ")
    assert recorder.attempts[2].error is None
    stamps = [parse_ts(a.at) for a in recorder.attempts]
    assert stamps == sorted(stamps)


async def test_a_webhook_that_always_fails_records_every_attempt(
    webhook: WebhookReceiver, recorder: Recorder
) -> None:
    webhook.fail_first = 1_000
    channel = parse_channel("hook", webhook.apprise_url())
    notifier = Notifier(record=recorder, attempts=4, backoff_s=0.01)

    assert await notifier.deliver(channel, firing()) is False

    assert len(webhook.requests) == 4
    assert [a.attempt for a in recorder.attempts] == [1, 2, 3, 4]
    assert not any(a.delivered for a in recorder.attempts)
    assert all(a.error and a.error.startswith("HTTP 500 from") for a in recorder.attempts)


async def test_an_unreachable_server_is_a_recorded_connection_error(recorder: Recorder) -> None:
    port = free_port()
    channel = parse_channel("gone", f"json://127.0.0.1:{port}/hook")
    notifier = Notifier(record=recorder, attempts=2, backoff_s=0.01)

    assert await notifier.deliver(channel, firing()) is False

    assert len(recorder.attempts) == 2
    for attempt in recorder.attempts:
        assert attempt.error is not None
        assert attempt.error.startswith(f"127.0.0.1:{port}: ")
        assert "Connection error" in attempt.error


async def test_an_unreachable_smtp_server_is_a_recorded_connection_error(
    recorder: Recorder,
) -> None:
    port = free_port()
    channel = parse_channel(
        "mail", f"mailto://127.0.0.1:{port}?from=a@example.com&to=b@example.com"
    )

    assert await Notifier(record=recorder, attempts=1).deliver(channel, firing()) is False

    [attempt] = recorder.attempts
    assert attempt.error is not None
    assert attempt.error.startswith(f"127.0.0.1:{port}: ")
    assert "Connection error while submitting email" in attempt.error


async def test_a_url_apprise_cannot_load_is_not_retried(recorder: Recorder) -> None:
    # Built without parse_channel, as a stored channel edited by hand might be.
    channel = Channel(name="broken", url="slack://not a token/x/y")
    notifier = Notifier(record=recorder, attempts=3, backoff_s=0.01)

    assert await notifier.deliver(channel, firing()) is False

    [attempt] = recorder.attempts
    assert attempt.error is not None
    assert attempt.error.startswith("invalid URL")
    assert "not a token" not in attempt.error
    assert attempt.url == "slack://****/****/****"


async def test_a_slow_webhook_past_the_timeout_is_a_failed_attempt(
    webhook: WebhookReceiver, recorder: Recorder
) -> None:
    webhook.delay_s = 1.0
    channel = parse_channel("slow", webhook.apprise_url())
    notifier = Notifier(record=recorder, attempts=1, timeout_s=0.2)

    assert await notifier.deliver(channel, firing()) is False

    [attempt] = recorder.attempts
    assert attempt.error is not None
    assert attempt.error.startswith(f"127.0.0.1:{webhook.port}: ")
    assert "did not finish" in attempt.error


async def test_a_resolved_notice_skips_a_channel_without_send_resolved(
    webhook: WebhookReceiver, recorder: Recorder
) -> None:
    quiet = parse_channel("quiet", webhook.apprise_url("/quiet"), send_resolved=False)
    loud = parse_channel("loud", webhook.apprise_url("/loud"))
    notifier = Notifier(record=recorder)
    resolved = firing("Resolved: run 42", status="resolved")

    assert await notifier.deliver(quiet, resolved) is True
    assert await notifier.deliver(loud, resolved) is True
    # The quiet channel still gets firing notices.
    assert await notifier.deliver(quiet, firing()) is True

    await webhook.wait_for(2)
    assert [(r.path, r.body["title"]) for r in webhook.requests] == [
        ("/loud", "Resolved: run 42"),
        ("/quiet", "Run 42 failed"),
    ]
    assert [(a.channel, a.status) for a in recorder.attempts] == [
        ("loud", "resolved"),
        ("quiet", "firing"),
    ]


async def test_delivering_does_not_block_the_event_loop(webhook: WebhookReceiver) -> None:
    webhook.delay_s = 1.0
    channel = parse_channel("slow", webhook.apprise_url())
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.02)
            ticks += 1

    ticking = asyncio.create_task(ticker())
    try:
        assert await Notifier().deliver(channel, firing()) is True
    finally:
        ticking.cancel()
    assert len(webhook.delivered) == 1
    # The send took at least the receiver's second: a free loop ticks ~50 times meanwhile,
    # a blocked one not at all. Half leaves room for a loaded machine.
    assert ticks >= 25, ticks


async def test_submit_runs_in_the_background_and_aclose_waits_for_it(
    webhook: WebhookReceiver, recorder: Recorder
) -> None:
    webhook.delay_s = 0.3
    channel = parse_channel("hook", webhook.apprise_url())
    notifier = Notifier(record=recorder)

    notifier.submit(channel, firing())
    assert notifier.pending == 1
    assert webhook.requests == []  # submit returned before anything was sent

    await notifier.aclose(timeout_s=10)

    assert notifier.pending == 0
    assert len(webhook.delivered) == 1
    assert [a.delivered for a in recorder.attempts] == [True]
    with pytest.raises(RuntimeError, match="closed"):
        notifier.submit(channel, firing())


async def test_aclose_cancels_what_outlasts_its_timeout(
    webhook: WebhookReceiver, recorder: Recorder
) -> None:
    webhook.delay_s = 1.0
    channel = parse_channel("slow", webhook.apprise_url())
    notifier = Notifier(record=recorder)
    notifier.submit(channel, firing())
    await asyncio.sleep(0)  # let the delivery start its first attempt

    await notifier.aclose(timeout_s=0.1)

    assert notifier.pending == 0
    [attempt] = recorder.attempts
    assert attempt.delivered is False
    assert attempt.error is not None
    assert "cancelled" in attempt.error


async def test_a_failing_recorder_does_not_stop_delivery(webhook: WebhookReceiver) -> None:
    async def broken(attempt: DeliveryAttempt) -> None:
        raise RuntimeError("database is down")

    channel = parse_channel("hook", webhook.apprise_url())
    assert await Notifier(record=broken).deliver(channel, firing()) is True
    assert len(webhook.delivered) == 1


async def test_one_notifier_sends_to_email_and_webhook_together(
    smtp: SmtpReceiver, webhook: WebhookReceiver, recorder: Recorder
) -> None:
    notifier = Notifier(record=recorder)
    channels = [
        parse_channel("mail", smtp.apprise_url()),
        parse_channel("hook", webhook.apprise_url()),
    ]
    for channel in channels:
        notifier.submit(channel, firing())
    assert notifier.pending == 2
    await notifier.aclose(timeout_s=10)

    assert len(await smtp.wait_for(1)) == 1
    assert len(await webhook.wait_for(1)) == 1
    assert sorted((a.channel, a.delivered) for a in recorder.attempts) == [
        ("hook", True),
        ("mail", True),
    ]
