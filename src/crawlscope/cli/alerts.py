"""``crawlscope alerts``: check rule files, list alerts and rules, silence, test channels.

``check`` works offline on files. The rest ask a running server (``--server``, default
http://127.0.0.1:8000; ``--token`` when it has authentication on), because alerts live
in the server that evaluates them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from crawlscope.cli.common import TokenOption, console, fail

__all__ = ["alerts_app"]

alerts_app = typer.Typer(
    no_args_is_help=True, help="Check rule files, list alerts and rules, silences, test sends."
)
silence_app = typer.Typer(no_args_is_help=True, help="Add, list and end silences.")
alerts_app.add_typer(silence_app, name="silence")

Server = Annotated[
    str,
    typer.Option(
        "--server",
        envvar="CRAWLSCOPE_SERVER",
        help="The crawlscope server that evaluates the alerts.",
        show_default=True,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
DEFAULT_SERVER = "http://127.0.0.1:8000"


def _api(server: str, token: str | None) -> Any:
    from crawlscope.cli.server_api import ServerApi

    return ServerApi(server, token)


@alerts_app.command("check")
def check(
    files: Annotated[list[Path], typer.Argument(help="Rule files (YAML).", show_default=False)],
) -> None:
    """Check rule files as the server would load them; errors name the file and line."""
    from crawlscope.alerts.model import RuleError
    from crawlscope.alerts.service import check_rule_files

    try:
        parsed = check_rule_files(files)
    except RuleError as exc:
        raise fail(str(exc), 1) from None
    console.print(
        f"{len(parsed.rules)} rules and {len(parsed.channels)} channels in {len(files)} file(s): OK"
    )


@alerts_app.command("list")
def list_alerts(
    server: Server = DEFAULT_SERVER,
    token: TokenOption = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only pending and firing.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Alerts: open ones first, then history."""
    with _api(server, token) as api:
        body = api._call("GET", "/api/alerts", params={"open": open_only})
    if as_json:
        print(json.dumps(body, indent=2))
        return
    alerts = body["alerts"]
    if not alerts:
        console.print("no alerts")
        return
    for alert in alerts:
        when = alert.get("fired_at") or alert.get("pending_since") or ""
        held = " (silenced)" if alert.get("silenced_by") else ""
        console.print(
            f"{alert['state']:<9} {alert['severity']:<8} {alert['rule']:<28} {when[:19]} "
            f"{alert.get('summary', '')}{held}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


@alerts_app.command("rules")
def list_rules(
    server: Server = DEFAULT_SERVER, token: TokenOption = None, as_json: JsonOption = False
) -> None:
    """Every rule in force with its current value."""
    with _api(server, token) as api:
        body = api._call("GET", "/api/alerts/rules")
    if as_json:
        print(json.dumps(body, indent=2))
        return
    for info in body["rules"]:
        rule = info["rule"]
        state = "on " if rule.get("enabled", True) else "off"
        value = "-" if info.get("value") is None else f"{info['value']:g}"
        console.print(
            f"{state} {rule['name']:<28} firing {info['firing']:<3} value {value:<10} "
            f"{rule.get('source', '')}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    if body.get("file_error"):
        console.print(f"rule files: {body['file_error']}", markup=False, soft_wrap=True)


@silence_app.command("add")
def add_silence(
    matchers: Annotated[
        list[str], typer.Argument(help="label=value, label!=value, label=~regex, label!~regex")
    ],
    duration: Annotated[str, typer.Option("--for", help="How long: 30m, 2h, 1d.")] = "1h",
    comment: Annotated[str, typer.Option("--comment", help="Why.")] = "",
    server: Server = DEFAULT_SERVER,
    token: TokenOption = None,
) -> None:
    """Hold back notifications of alerts matching every matcher."""
    with _api(server, token) as api:
        body = api._call(
            "POST",
            "/api/alerts/silences",
            json={"matchers": matchers, "duration": duration, "comment": comment},
        )
    console.print(f"silence {body['id']} until {body['ends_at']}", markup=False)


@silence_app.command("list")
def list_silences(
    server: Server = DEFAULT_SERVER, token: TokenOption = None, as_json: JsonOption = False
) -> None:
    """Silences, newest first."""
    with _api(server, token) as api:
        body = api._call("GET", "/api/alerts/silences")
    if as_json:
        print(json.dumps(body, indent=2))
        return
    for silence in body["silences"]:
        matchers = ", ".join(f"{m['label']}{m['op']}{m['value']}" for m in silence["matchers"])
        ended = " (ended)" if silence.get("expired_at") else ""
        console.print(
            f"{silence['id']}  until {silence['ends_at'][:19]}{ended}  {matchers}  "
            f"{silence.get('comment', '')}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


@silence_app.command("expire")
def expire_silence(
    silence_id: Annotated[str, typer.Argument(help="The silence's id.")],
    server: Server = DEFAULT_SERVER,
    token: TokenOption = None,
) -> None:
    """End a silence now."""
    with _api(server, token) as api:
        api._call("DELETE", f"/api/alerts/silences/{silence_id}")
    console.print(f"silence {silence_id} ended", markup=False)


@alerts_app.command("test")
def send_test_notification(
    channel: Annotated[str | None, typer.Option("--channel", help="A declared channel.")] = None,
    url: Annotated[str | None, typer.Option("--url", help="An Apprise URL.")] = None,
    server: Server = DEFAULT_SERVER,
    token: TokenOption = None,
) -> None:
    """Send a test notification through the server."""
    if not channel and not url:
        raise fail("give --channel NAME or --url APPRISE_URL", 2)
    with _api(server, token) as api:
        body = api._call("POST", "/api/alerts/test", json={"channel": channel, "url": url})
    console.print(f"delivered to {body['channel']} ({body['url']})", markup=False)
