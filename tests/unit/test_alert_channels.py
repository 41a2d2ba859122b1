"""Notification channels: Apprise URLs checked when loaded, secrets hidden when shown.

Nothing is sent here: services other than email and the JSON webhook are checked by URL
validation only (the tokens below are made up but have each service's shape). The
notifier's pure parts (types by severity, backoff, its arguments) are at the end.
"""

from __future__ import annotations

import msgspec
import pytest

from crawlscope.alerts.channels import (
    MASK,
    Channel,
    ChannelError,
    hide_secrets,
    parse_channel,
    redact,
)
from crawlscope.alerts.notifier import MAX_BACKOFF_S, Notification, Notifier, notify_type

SLACK_TOKENS = "T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ"
TELEGRAM_BOT = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
DISCORD_TOKEN = "JHMHI8qBe7bk2ZwO5U711o3dV_js"

VALID = {
    "email, STARTTLS and login": (
        "mailtos://alerts:s3cretpass@smtp.example.com:587"
        "?from=alerts@example.com&to=ops@example.com"
    ),
    "email, local relay": "mailto://127.0.0.1:2525?from=alerts@example.com&to=ops@example.com",
    "email, several recipients": (
        "mailto://127.0.0.1:25?from=alerts@example.com&to=a@example.com,b@example.com"
    ),
    "json webhook": "json://127.0.0.1:8080/hooks/alerts",
    "json webhook, https, header": "jsons://hooks.example.com/alerts?+X-Token=abc123def",
    "slack": f"slack://{SLACK_TOKENS}/#alerts",
    "slack, native url": f"https://hooks.slack.com/services/{SLACK_TOKENS}",
    "telegram": f"tgram://{TELEGRAM_BOT}/987654321",
    "discord": f"discord://4174216298/{DISCORD_TOKEN}",
    "discord, native url": f"https://discord.com/api/webhooks/4174216298/{DISCORD_TOKEN}",
    "teams (power automate workflow)": "workflows://prod-01.example.com/wf123/sig456",
}


@pytest.mark.parametrize("url", VALID.values(), ids=list(VALID))
def test_the_usual_services_are_accepted(url: str) -> None:
    channel = parse_channel("ops", url)
    assert channel == Channel(name="ops", url=url, send_resolved=True)


def test_send_resolved_is_kept_and_surrounding_space_dropped() -> None:
    channel = parse_channel("quiet", f"  {VALID['json webhook']}\n", send_resolved=False)
    assert channel.url == VALID["json webhook"]
    assert channel.send_resolved is False


def test_a_channel_is_a_frozen_value() -> None:
    channel = parse_channel("ops", VALID["json webhook"])
    with pytest.raises(AttributeError):
        channel.name = "other"  # type: ignore[misc]
    assert msgspec.json.decode(msgspec.json.encode(channel), type=Channel) == channel


REFUSED = {
    "empty": ("", "no URL given"),
    "blank": ("   ", "no URL given"),
    "no scheme": ("garbage", "not an Apprise URL"),
    "unknown scheme": ("foo://bar", "unknown scheme foo://"),
    "json without a host": ("json://", "not a valid JSON URL"),
    "telegram without a chat": ("tgram://nonsense", "not a valid Telegram URL"),
    "a web page, not a webhook": ("https://example.com/page", "does not recognise this https://"),
    "two URLs": ("json://a.example/x, json://b.example/y", "one URL per channel, found 2"),
    "slack token with a space": ("slack://bad token/x/y", "Slack"),
    "email without a sender": ("mailto://127.0.0.1:25", "from="),
    "retired msteams": (
        "msteams://abc@def/ghijk/lmnop",
        "workflows://host/workflow/signature",
    ),
}


@pytest.mark.parametrize(("url", "reason"), REFUSED.values(), ids=list(REFUSED))
def test_bad_urls_are_refused_naming_the_channel(url: str, reason: str) -> None:
    with pytest.raises(ChannelError) as caught:
        parse_channel("ops-mail", url)
    message = str(caught.value)
    assert message.startswith("channel 'ops-mail'")
    assert reason in message
    assert caught.value.channel == "ops-mail"
    assert caught.value.url == redact(url.strip())
    assert isinstance(caught.value, ValueError)


def test_the_refusal_shows_the_redacted_url_never_the_secret() -> None:
    with pytest.raises(ChannelError) as caught:
        parse_channel("chat", "slack://xoxb-not valid secret/B1/C1")
    message = str(caught.value)
    assert "(slack://****/****/****)" in message
    assert "secret" not in message


def test_a_url_that_is_not_text_is_refused() -> None:
    with pytest.raises(ChannelError, match="channel 'ops': the URL must be text, not int"):
        parse_channel("ops", 8080)  # type: ignore[arg-type]


def test_a_channel_needs_a_name() -> None:
    with pytest.raises(ChannelError, match="needs a name"):
        parse_channel(" ", VALID["json webhook"])


# -- redaction ------------------------------------------------------------------------------

REDACTED = {
    "email password": (
        "mailtos://alerts:s3cretpass@smtp.example.com:587?from=a@example.com&to=b@example.com",
        "mailtos://alerts:****@smtp.example.com:587?from=a@example.com&to=b@example.com",
    ),
    "email without secrets": (
        "mailto://127.0.0.1:2525?from=a@example.com&to=b@example.com",
        "mailto://127.0.0.1:2525?from=a@example.com&to=b@example.com",
    ),
    "webhook token and header": (
        "jsons://user:pw123@hooks.example.com/alerts?token=abc123&+Authorization=Bearer%20x1&x=1",
        "jsons://user:****@hooks.example.com/alerts?token=****&+Authorization=****&x=1",
    ),
    "slack tokens, channel kept": (
        f"slack://bot@{SLACK_TOKENS}/#alerts/@oncall",
        "slack://****@****/****/****/#alerts/@oncall",
    ),
    "telegram bot token": (f"tgram://{TELEGRAM_BOT}/987654321", "tgram://****/****"),
    "discord webhook": (f"discord://4174216298/{DISCORD_TOKEN}", "discord://****/****"),
    "teams workflow": (
        "workflows://prod-01.example.com/wf123/sig456",
        "workflows://****/****/****",
    ),
    "native slack url": (
        f"https://hooks.slack.com/services/{SLACK_TOKENS}",
        "https://hooks.slack.com/****",
    ),
    "native discord url with query": (
        f"https://discord.com/api/webhooks/4174216298/{DISCORD_TOKEN}?thread_id=42",
        "https://discord.com/****?thread_id=****",
    ),
    "not a URL": ("s3cret-looking-text", MASK),
    "empty": ("", ""),
}


@pytest.mark.parametrize(("url", "shown"), REDACTED.values(), ids=list(REDACTED))
def test_redact_hides_passwords_and_tokens(url: str, shown: str) -> None:
    assert redact(url) == shown


@pytest.mark.parametrize(
    "secret", ["s3cretpass", "TIiajkdnlazkcOXrIdevi7FQ", "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"]
)
def test_no_secret_survives_redaction(secret: str) -> None:
    for url in VALID.values():
        assert secret not in redact(url)


def test_hide_secrets_scrubs_a_message_that_quotes_the_url() -> None:
    url = f"tgram://{TELEGRAM_BOT}/987654321"
    message = f"Telegram refused bot {TELEGRAM_BOT} for chat 987654321"
    assert hide_secrets(message, url) == f"Telegram refused bot {MASK} for chat {MASK}"
    assert hide_secrets("HTTP 500", VALID["json webhook"]) == "HTTP 500"
    native = VALID["discord, native url"]
    assert hide_secrets(f"bad token {DISCORD_TOKEN}", native) == f"bad token {MASK}"


# -- the notifier's pure parts --------------------------------------------------------------


def _notification(status: str = "firing", severity: str = "warning") -> Notification:
    return Notification(key="k", status=status, severity=severity, title="t", body="b")


@pytest.mark.parametrize(
    ("status", "severity", "expected"),
    [
        ("firing", "info", "info"),
        ("firing", "warning", "warning"),
        ("firing", "critical", "failure"),
        ("test", "critical", "failure"),
        ("resolved", "critical", "success"),
        ("firing", "unheard-of", "info"),
    ],
)
def test_severity_becomes_the_apprise_type(status: str, severity: str, expected: str) -> None:
    assert notify_type(_notification(status, severity)).value == expected


def test_backoff_doubles_up_to_a_ceiling() -> None:
    notifier = Notifier(backoff_s=1.0, attempts=12)
    assert [notifier.backoff(n) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 8.0]
    assert notifier.backoff(11) == MAX_BACKOFF_S


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"attempts": 0}, "attempts must be at least 1"),
        ({"backoff_s": -1.0}, "backoff_s must not be negative"),
        ({"timeout_s": 0.0}, "timeout_s must be positive"),
    ],
)
def test_the_notifier_refuses_nonsense_settings(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Notifier(**kwargs)  # type: ignore[arg-type]
