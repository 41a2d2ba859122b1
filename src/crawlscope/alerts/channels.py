"""Notification channels: a name and an Apprise URL, checked when they are loaded.

A channel is where an alert's notifications go. Its URL is an `Apprise
<https://appriseit.com/services/>`_ URL, so every service Apprise knows can be used. The
usual ones:

* **email**: ``mailtos://user:password@smtp.example.com:587?from=alerts@example.com&to=ops@example.com``
  (STARTTLS and a login; ``mode=ssl`` for implicit TLS on 465). ``mailto://`` is plain SMTP
  without TLS; a local relay that wants neither TLS nor a login (what the tests run, an
  aiosmtpd server) is reached with
  ``mailto://127.0.0.1:PORT?from=alerts@example.com&to=ops@example.com``: no
  ``user:password@`` means no login, and ``mailto://`` means ``mode=insecure`` (which may
  also be written out). Several recipients: ``to=a@example.com,b@example.com``.
* **generic JSON webhook**: ``json://host:port/path`` (http) or ``jsons://host/path``
  (https); ``crawlscope.alerts.notifier`` says what body it posts.
* **Slack**: ``slack://TokenA/TokenB/TokenC/#channel``, or the
  ``https://hooks.slack.com/services/...`` URL Slack gives.
* **Telegram**: ``tgram://bot_token/chat_id``.
* **Discord**: ``discord://webhook_id/webhook_token``, or the
  ``https://discord.com/api/webhooks/...`` URL.
* **Microsoft Teams**: ``workflows://host/workflow/signature`` (a Power Automate
  workflow), or the workflow's https URL. Apprise 2 removed ``msteams://`` together with
  Microsoft's Office 365 connectors; such a URL is refused with that hint.

``parse_channel`` checks a URL the way Apprise loads it (the plugin's own validation of
tokens, addresses and options), so a bad URL is an error when rules are loaded, not a
failed delivery at 3 a.m. ``redact`` is how a channel's URL is shown anywhere outside the
process that sends (logs, the API, delivery records).
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import apprise
import msgspec
from apprise.utils.parse import parse_urls

__all__ = [
    "ADDRESS_SCHEMES",
    "MASK",
    "Channel",
    "ChannelError",
    "hide_secrets",
    "parse_channel",
    "redact",
]

MASK = "****"
"""What a secret is replaced with in a redacted URL."""

ADDRESS_SCHEMES = frozenset({"mailto", "mailtos", "json", "jsons", "xml", "xmls", "form", "forms"})
"""Email and the generic webhooks: schemes whose host and path are an address, not a
credential (``redact`` hides only the password, secret query values and ``+header`` values,
and delivery errors may name the server). Every other service puts its tokens in the host
and path (``slack://TokenA/TokenB/TokenC``, ``tgram://bot_token/chat``), so for them
everything but ``#channel`` and ``@user`` targets is hidden."""

_WEB_SCHEMES = frozenset({"http", "https"})
"""A service's native webhook URL (Slack, Discord, Teams...): the host stays, the path (which
carries the token) and every query value are hidden."""

_SECRET_QUERY_KEY = re.compile(
    r"pass|pwd|token|secret|key|auth|sig|cred|bearer|session|hook|code|id$", re.IGNORECASE
)
"""Query parameters whose value is hidden (``?token=``, ``?apikey=``, ``?sig=``...)."""

_RETIRED_SCHEMES = {
    "msteams": "Apprise 2 removed msteams:// with Microsoft's Office 365 connectors; "
    "for Teams use a Power Automate workflow: workflows://host/workflow/signature",
}


class ChannelError(ValueError):
    """A channel that cannot be used; the message names the channel and its redacted URL.

    ``channel`` is the channel's name and ``url`` its redacted URL, for callers that place
    the error themselves (a rule file's line, an API field).
    """

    def __init__(self, message: str, *, channel: str, url: str) -> None:
        super().__init__(message)
        self.channel = channel
        self.url = url


class Channel(msgspec.Struct, frozen=True, kw_only=True):
    """Where notifications go: a name rules refer to and an Apprise URL.

    Build one with ``parse_channel``, which checks the URL; ``url`` holds secrets, so show
    it only through ``redact``.
    """

    name: str
    """What rules call it, e.g. ``ops-mail``."""
    url: str
    """An Apprise URL: ``mailto://``, ``json://``, ``slack://``, ``tgram://``, ``discord://``..."""
    send_resolved: bool = True
    """Whether this channel is also told when an alert resolves (Alertmanager's default)."""


def parse_channel(name: str, url: str, *, send_resolved: bool = True) -> Channel:
    """A checked ``Channel``, or ``ChannelError`` naming the channel and what is wrong.

    The URL is loaded the way Apprise loads it for sending (the plugin checks its tokens,
    addresses and options); empty text, text without a scheme, several URLs in one, an
    unknown scheme and a URL the service's plugin refuses are all errors. Nothing is sent.
    """
    if not isinstance(url, str):  # a rule file may hold a number or a list here
        raise ChannelError(
            f"channel {name!r}: the URL must be text, not {type(url).__name__}",
            channel=name,
            url="",
        )
    if not name or not name.strip():
        raise ChannelError("a channel needs a name", channel=name, url=redact(url))
    text = url.strip()
    shown = redact(text)

    def refuse(reason: str) -> ChannelError:
        where = f" ({shown})" if shown else ""
        return ChannelError(f"channel {name!r}{where}: {reason}", channel=name, url=shown)

    if not text:
        raise refuse("no URL given")
    scheme, sep, _ = text.partition("://")
    scheme = scheme.lower()
    if not sep or not scheme:
        raise refuse("not an Apprise URL (expected scheme://..., e.g. json://host/path)")
    found: list[str] = parse_urls(text)  # type: ignore[no-untyped-call]  # apprise: untyped
    if len(found) > 1:
        raise refuse(f"one URL per channel, found {len(found)}; give each its own channel")
    if scheme in _RETIRED_SCHEMES:
        raise refuse(_RETIRED_SCHEMES[scheme])
    manager: Any = apprise.NotificationManager()  # type: ignore[no-untyped-call]  # a singleton
    if scheme not in _WEB_SCHEMES and scheme not in manager:
        raise refuse(f"unknown scheme {scheme}:// (Apprise knows no such service)")
    try:
        plugin = apprise.Apprise.instantiate(text, suppress_exceptions=False)
    except Exception as exc:  # the plugin's own check: TypeError, AppriseImproperlyConfigured...
        reason = hide_secrets(str(exc).strip() or type(exc).__name__, text)
        if scheme in ("mailto", "mailtos") and "from" in reason.lower():
            reason += " (give the sender: ?from=alerts@example.com, or user@host)"
        raise refuse(reason) from None
    if plugin is not None:
        return Channel(name=name, url=text, send_resolved=send_resolved)
    if scheme in _WEB_SCHEMES:
        raise refuse(
            f"Apprise does not recognise this {scheme}:// URL as a service's webhook "
            "(a generic JSON webhook is json://host/path or jsons://host/path)"
        )
    service = manager[scheme]
    if not getattr(service, "enabled", True):
        raise refuse(f"{scheme}:// is not available on this system")
    label = getattr(service, "service_name", scheme)
    help_url = getattr(service, "setup_url", None)
    hint = f" (see {help_url})" if help_url else ""
    raise refuse(f"not a valid {label} URL{hint}")


def redact(url: str) -> str:
    """``url`` with its secrets replaced by ``****``, for logs, the API and records.

    Passwords always go (``mailto://user:****@host``). For email and the generic webhooks
    (``mailto``, ``json``, ``xml``, ``form`` and their ``s`` forms) the host, port and path
    stay; secret-looking query values (``token``, ``key``, ``secret``, ``sig``...) and
    ``+header`` values are hidden. Every other service keeps its credentials in the host
    and path, so those are hidden except ``#channel`` and ``@user`` targets
    (``slack://****/****/****/#alerts``, ``tgram://****/****``). A service's native https
    webhook keeps only its host. Text that is not a URL at all is hidden entirely.
    """
    return _Redaction.of(url).text


def hide_secrets(message: str, url: str) -> str:
    """``message`` (a plugin's complaint or log line, which may quote a token) with every
    secret of ``url`` (what ``redact`` hides) replaced by ``****``."""
    for secret in sorted(_Redaction.of(url).secrets, key=len, reverse=True):
        message = message.replace(secret, MASK)
    return message


@dataclass
class _Redaction:
    """A URL's redacted text and the secret pieces it hid (to scrub them from messages)."""

    text: str
    secrets: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, url: str) -> _Redaction:
        text = url.strip()
        if not text:
            return cls("")
        scheme, sep, rest = text.partition("://")
        if not sep or not scheme:
            return cls(MASK, cls._pieces(text))
        out = cls("")
        kind = scheme.lower()
        # Apprise URLs keep '#' in the path (Slack's "#channel"): only '?' ends the path.
        rest, has_query, query = rest.partition("?")
        netloc, slash, path = rest.partition("/")
        userinfo, at, host = netloc.rpartition("@")
        user, colon, password = userinfo.partition(":")
        if kind in ADDRESS_SCHEMES:
            user_text = user + (colon and ":" + out.hide(password))
            host_text, path_text = host, path
        elif kind in _WEB_SCHEMES:
            user_text = out.hide(userinfo)
            host_text = host
            path_text = out.hide(path)
            # The token alone may be quoted in a message: long segments count as secrets too
            # (short ones are words like "api" and "webhooks").
            out.secrets |= {segment for segment in path.split("/") if len(segment) >= 8}
        else:
            user_text = out.hide(user) + (colon and ":" + out.hide(password))
            host_text = out.hide(host)
            path_text = "/".join(
                segment if segment.startswith(("#", "@", "%23")) else out.hide(segment)
                for segment in path.split("/")
            )
        query_text = "&".join(out.query_pair(pair, kind) for pair in query.split("&"))
        out.text = (
            f"{scheme}{sep}{user_text}{at}{host_text}{slash}{path_text}{has_query}{query_text}"
        )
        return out

    @staticmethod
    def _pieces(value: str) -> set[str]:
        """A secret as written and URL-decoded (a plugin may quote either)."""
        return {piece for piece in (value, urllib.parse.unquote(value)) if len(piece) >= 3}

    def hide(self, value: str) -> str:
        """``****`` for a non-empty ``value``, remembered as a secret."""
        if not value:
            return value
        self.secrets |= self._pieces(value)
        return MASK

    def query_pair(self, pair: str, kind: str) -> str:
        """``key=value`` with the value hidden when the key looks secret (or always, for
        header values and native webhook URLs)."""
        key, eq, value = pair.partition("=")
        name = urllib.parse.unquote(key).lstrip("+-:")
        secret = kind in _WEB_SCHEMES or key.startswith("+") or bool(_SECRET_QUERY_KEY.search(name))
        return f"{key}{eq}{self.hide(value) if secret else value}"
