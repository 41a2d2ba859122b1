"""Alerts against a real server, the real demo site and real receivers: a rule fires during
a demo run, reaches the local SMTP server and the webhook, pauses the run (an
``alert_action`` event in its log) and is resolved with a notice; a silence holds the
notification back until it ends; fifty workers alerting at once are one notification;
bad rule files are refused with file and line while the rules in force stay."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from crawlscope.api import create_app
from crawlscope.config import Settings
from crawlscope.demo import FaultConfig, build_catalog, create_site, demo_collection, serve_site
from crawlscope.registry import CollectionRegistry
from crawlscope.serving import serve_in_loop
from tests.alert_receivers import (
    SmtpReceiver,
    WebhookReceiver,
    smtp_receiver,
    webhook_receiver,
)

Json = dict[str, Any]


@pytest.fixture
async def smtp() -> AsyncIterator[SmtpReceiver]:
    async with smtp_receiver() as server:
        yield server


@pytest.fixture
async def hook() -> AsyncIterator[WebhookReceiver]:
    async with webhook_receiver() as server:
        yield server


def _rules(smtp: SmtpReceiver, hook: WebhookReceiver, rules: str) -> str:
    return f"""\
channels:
  mail: "{smtp.apprise_url()}"
  hook: "{hook.apprise_url()}"
grouping: {{by: [rule, run_id], group_wait: 0.3s, group_interval: 0.5s, repeat_interval: 1h}}
rules:
{rules}"""


GOING = """\
  - name: demo going
    condition: run.status == 'running' and run.requests >= 5
    severity: critical
    summary: "run {{ run.id }} of {{ run.collection }} made {{ run.requests }} requests"
    channels: [mail, hook]
    actions: [pause]
"""


def _settings(tmp_path: Path, rules_text: str, **changes: Any) -> Settings:
    rules = tmp_path / "rules.yaml"
    rules.write_text(rules_text)
    values: dict[str, Any] = {
        "database_url": str(tmp_path / "server.db"),
        "demo": True,
        "demo_scale": "small",
        "alert_rules": [str(rules)],
        "alert_interval_s": 0.1,
        "alert_builtins": False,
    }
    values.update(changes)
    return Settings(**values)


async def _until(
    check: Callable[[], Awaitable[Any]], timeout_s: float = 20.0, what: str = ""
) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        value = await check()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not within {timeout_s} s: {what}")
        await asyncio.sleep(0.05)


async def _demo_run(client: httpx.AsyncClient) -> str:
    async def started() -> str | None:
        runs = (await client.get("/api/runs")).json()["runs"]
        return runs[0]["id"] if runs else None

    run_id: str = await _until(started, what="the demo run starts")
    return run_id


async def test_a_rule_fires_notifies_pauses_and_resolves(
    tmp_path: Path, smtp: SmtpReceiver, hook: WebhookReceiver
) -> None:
    settings = _settings(tmp_path, _rules(smtp, hook, GOING))
    app = create_app(settings)
    async with serve_in_loop(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        run_id = await _demo_run(client)
        [firing] = await hook.wait_for(1)
        assert firing.body["title"] == "[FIRING:1] demo going"
        assert f"run {run_id} of demo made" in firing.body["message"]
        assert firing.body["type"] == "failure"  # critical
        [mail] = await smtp.wait_for(1)
        assert mail.subject == "[FIRING:1] demo going"
        assert f"run {run_id} of demo" in mail.text

        # The action paused the run, and the run's log says which rule did it.
        async def paused() -> bool:
            run = (await client.get(f"/api/runs/{run_id}")).json()
            return bool(run["status"] == "paused")

        await _until(paused, what="the rule's action pauses the run")

        # The action's own event follows the pause it reports ("outcome": "done"), so it
        # may be stored a moment after the run shows paused.
        async def action_events() -> list[dict[str, Any]]:
            query = {"action": "alert_action", "limit": 100}
            events = (await client.get(f"/api/runs/{run_id}/events", params=query)).json()
            return [e for e in events["events"] if e["action"] == "alert_action"]

        actions = await _until(action_events, what="the alert_action event is stored")
        assert len(actions) == 1
        assert actions[0]["extra"]["rule"] == "demo going"
        assert actions[0]["extra"]["action"] == "pause"
        assert actions[0]["extra"]["outcome"] == "done"
        run = (await client.get(f"/api/runs/{run_id}")).json()
        assert "alert rule demo going" in run["paused_reason"]

        # Paused, the condition no longer holds: the alert resolves and says so.
        delivered = await hook.wait_for(2)
        assert delivered[1].body["title"] == "[RESOLVED] demo going"
        assert delivered[1].body["type"] == "success"
        await smtp.wait_for(2)

        alerts = (await client.get(f"/api/alerts?run_id={run_id}")).json()
        [alert] = alerts["alerts"]
        assert alert["state"] == "resolved"
        assert alert["fired_at"] is not None
        assert alert["resolved_at"] is not None
        assert alert["labels"]["run_id"] == run_id
        timeline = (await client.get(f"/api/alerts/timeline?run_id={run_id}")).json()
        assert [e["state"] for e in timeline["entries"]] == ["resolved", "firing"]
        deliveries = (await client.get("/api/alerts/deliveries")).json()["deliveries"]
        assert sorted((d["channel"], d["status"], d["delivered"]) for d in deliveries) == [
            ("hook", "firing", True),
            ("hook", "resolved", True),
            ("mail", "firing", True),
            ("mail", "resolved", True),
        ]
        rules = (await client.get("/api/alerts/rules")).json()["rules"]
        [going] = [r for r in rules if r["rule"]["name"] == "demo going"]
        assert going["subjects"] >= 1
        assert going["error"] is None


async def test_a_silence_holds_the_notification_until_it_ends(
    tmp_path: Path, smtp: SmtpReceiver, hook: WebhookReceiver
) -> None:
    watch = GOING.replace("    actions: [pause]\n", "").replace("[mail, hook]", "[hook]")
    settings = _settings(tmp_path, _rules(smtp, hook, watch))
    app = create_app(settings)
    async with serve_in_loop(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        response = await client.post(
            "/api/alerts/silences",
            json={"matchers": ["rule=demo going", "collection=demo"], "duration": "1h"},
        )
        assert response.status_code == 201, response.text
        silence = response.json()
        run_id = await _demo_run(client)

        async def silenced_firing() -> Json | None:
            body = (await client.get(f"/api/alerts?run_id={run_id}&open=true")).json()
            for alert in body["alerts"]:
                if alert["state"] == "firing" and alert["silenced_by"] == silence["id"]:
                    return dict(alert)
            return None

        await _until(silenced_firing, what="the alert fires, silenced")
        # Several group waits and intervals pass: nothing is sent while the silence holds.
        await asyncio.sleep(1.5)
        assert hook.requests == []
        response = await client.delete(f"/api/alerts/silences/{silence['id']}")
        assert response.status_code == 200
        assert response.json()["expired_at"] is not None
        [firing] = await hook.wait_for(1)
        assert firing.body["title"] == "[FIRING:1] demo going"


async def test_fifty_workers_alerting_are_one_notification(
    tmp_path: Path, smtp: SmtpReceiver, hook: WebhookReceiver
) -> None:
    busy = """\
  - name: worker seen
    subject: worker
    condition: run.status == 'running' and worker.id > 0
    summary: "worker {{ worker.id }} of run {{ run.id }}"
    channels: [hook]
"""
    text = _rules(smtp, hook, busy).replace("group_wait: 0.3s", "group_wait: 2s")
    settings = _settings(tmp_path, text, demo=False)
    registry = CollectionRegistry()
    registry.register(demo_collection(), description="the demo")
    app = create_app(settings, registry=registry)
    async with serve_in_loop(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        # Slow pages, so every worker is still busy when the group is sent.
        faults = FaultConfig(latency_s=(0.2, 0.3), seed=1)
        catalog = build_catalog(seed=7, scale="small")
        async with serve_site(create_site(catalog, faults)) as target:
            response = await client.post(
                "/api/runs",
                json={"collection": "demo", "params": {"base_url": target.url}, "workers": 50},
            )
            assert response.status_code in (200, 201, 202), response.text
            run_id = response.json()["run_id"]
            [notification] = await hook.wait_for(1, timeout_s=20)
            assert notification.body["title"] == "[FIRING:50] worker seen"
            lines = [line for line in notification.body["message"].splitlines() if line]
            assert len(lines) == 50
            assert all(run_id in line for line in lines)
            await asyncio.sleep(1.0)  # group_interval passes: no second notification
            assert len(hook.requests) == 1
            await client.post(f"/api/runs/{run_id}/cancel")


async def test_bad_rule_files_are_refused_and_the_rules_in_force_stay(
    tmp_path: Path, smtp: SmtpReceiver, hook: WebhookReceiver
) -> None:
    settings = _settings(tmp_path, _rules(smtp, hook, GOING), demo=False, alert_builtins=True)
    app = create_app(settings)
    async with serve_in_loop(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        before = {
            r["rule"]["name"] for r in (await client.get("/api/alerts/rules")).json()["rules"]
        }
        assert {"demo going", "run_failed", "worker_stalled"} <= before
        rules = Path(settings.alert_rules[0])
        broken = (await asyncio.to_thread(rules.read_text)).replace(
            "run.requests >= 5", "run.requestz >= 5"
        )
        await asyncio.to_thread(rules.write_text, broken)
        response = await client.post("/api/alerts/rules/reload")
        assert response.status_code == 400
        error = response.json()["error"]
        assert f"{rules}:6" in error["message"]
        assert "unknown variable run.requestz" in error["message"]
        assert error["field"] == "condition"
        after = (await client.get("/api/alerts/rules")).json()
        assert {r["rule"]["name"] for r in after["rules"]} == before
        assert "run.requestz" in after["file_error"]

        # An API rule with a bad condition is a 400 naming the field; nothing is saved.
        response = await client.put(
            "/api/alerts/rules/api one",
            json={"name": "api one", "condition": "run.errors >"},
        )
        assert response.status_code == 400
        assert response.json()["error"]["field"] == "condition"
        response = await client.put(
            "/api/alerts/rules/api one",
            json={"name": "api one", "condition": "run.errors > 3", "for": "1m"},
        )
        assert response.status_code == 200, response.text
        names = {r["rule"]["name"] for r in (await client.get("/api/alerts/rules")).json()["rules"]}
        assert "api one" in names
        history = (await client.get("/api/alerts/rules/api one/history")).json()["changes"]
        assert [c["action"] for c in history] == ["created"]

        # A test notification through a declared channel, and a bad URL.
        response = await client.post("/api/alerts/test", json={"channel": "hook"})
        assert response.status_code == 200, response.text
        assert response.json()["delivered"] is True
        [test] = await hook.wait_for(1)
        assert test.body["title"] == "crawlscope test notification"
        response = await client.post("/api/alerts/test", json={"url": "nope://x"})
        assert response.status_code == 400


async def test_site_actions_open_the_breaker_and_lower_concurrency(
    tmp_path: Path, smtp: SmtpReceiver, hook: WebhookReceiver
) -> None:
    site_rule = """\
  - name: site busy
    condition: site.requests >= 3
    actions: [{open_breaker: 2s}, {lower_concurrency: 1}]
"""
    settings = _settings(tmp_path, _rules(smtp, hook, site_rule))
    app = create_app(settings)
    async with serve_in_loop(app) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        run_id = await _demo_run(client)

        async def actions() -> list[Json]:
            events = (await client.get(f"/api/runs/{run_id}/events?limit=5000")).json()["events"]
            return [e for e in events if e["action"] == "alert_action"]

        taken = await _until(lambda: _at_least(actions, 2), what="both site actions")
        outcomes = sorted(e["extra"]["outcome"] for e in taken)
        site = taken[0]["site"]
        assert outcomes == [f"breaker of {site} open for 2 s", f"concurrency of {site} set to 1"]
        assert all(e["extra"]["rule"] == "site busy" for e in taken)
        events = (await client.get(f"/api/runs/{run_id}/events?limit=5000")).json()["events"]
        action_seq = min(e["seq"] for e in taken)
        opened = [e for e in events if e["action"] == "breaker_opened" and e["site"] == site]
        assert any(e["seq"] > action_seq - 2 for e in opened), "the runner's breaker opened"
        await client.post(f"/api/runs/{run_id}/cancel")


async def _at_least(read: Callable[[], Awaitable[list[Json]]], count: int) -> list[Json] | None:
    found = await read()
    return found if len(found) >= count else None
