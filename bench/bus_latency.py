"""The Redis Streams bus against the in-process hub: publish-to-SSE-client latency at
10,000 events/s, both measured in the same run.

Each bus gets the real server (``create_app``, uvicorn, a SQLite file) in a process of its
own, with a producer emitting through ``Monitor.emit`` (numbering, recorder, aggregator:
events are shown once stored, on either bus), and SSE clients (aiohttp, a third process)
on ``GET /api/runs/{id}/stream``. The producer puts its ``time.monotonic()`` into each
event; the client subtracts it on arrival (``bench/fanout_subscribers.py``). With Redis,
an event goes recorder -> outbox -> one script call -> Redis -> the process's blocking
reader -> the feeds; with the hub, recorder -> feeds. Target (issue 13): the bus adds at
most 5 ms at p99.

Run: ``.venv/bin/python bench/bus_latency.py [--rate 10000] [--seconds 5] [--rounds 3]
[--redis-url redis://127.0.0.1:6379/0]``. Keys go under a fresh prefix, deleted at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import psutil

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from fanout import RUN_ID, Producer, _control_routes, _read_json  # noqa: E402
from fanout_subscribers import Subscribers  # noqa: E402


class ShownSubscribers(Subscribers):
    """Records publish-to-client latency (``extra.t``) and, separately, shown-to-client
    latency (``extra.d``: stamped when the recorder hands the stored event to the bus), so
    the bus's own part is seen without the storage batching in front of it."""

    def __init__(self, url: str, n: int) -> None:
        super().__init__(url, n)
        self.shown: list[float] = []

    async def _one(self, session: Any) -> None:
        async with session.get(self.url) as response:
            assert response.status == 200, response.status
            self.connected += 1
            buffer = b""
            async for chunk in response.content.iter_any():
                now = time.monotonic()
                buffer += chunk
                *blocks, buffer = buffer.split(b"\n\n")
                if not self.recording:
                    continue
                for block in blocks:
                    if b"event: activity" in block:
                        # ..."extra":{"t":123.4,"d":125.6}}
                        t_at = block.rfind(b'"t":') + 4
                        d_at = block.rfind(b'"d":') + 4
                        self.arrivals.append(now)
                        self.latencies.append(now - float(block[t_at : block.index(b",", t_at)]))
                        self.shown.append(now - float(block[d_at : block.index(b"}", d_at)]))
                    elif b"event: gap" in block:
                        self.gaps += 1

    def _summary(self, started: float, seconds: float, cpu: float) -> dict[str, Any]:
        out = super()._summary(started, seconds, cpu)
        shown, self.shown = sorted(self.shown), []
        if shown:
            out["shown_p50_ms"] = shown[len(shown) // 2] * 1000
            out["shown_p99_ms"] = shown[min(len(shown) - 1, int(0.99 * len(shown)))] * 1000
        return out


def _spawn(*args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRAWLSCOPE_")}
    return subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )


async def serve(bus: str, redis_url: str, prefix: str) -> None:
    """The real app on ``bus`` (``hub`` or ``redis``) on a free port, producing on demand;
    prints its URL and runs until stdin closes."""
    import uvicorn

    from _common import fresh_db_path
    from crawlscope.api import create_app
    from crawlscope.config import Settings
    from crawlscope.events import Action, ActivityEvent
    from crawlscope.serving import bind_socket

    options: dict[str, Any] = {"redis_url": redis_url, "redis_prefix": prefix}
    settings = Settings(
        database_url=fresh_db_path(f"bus-{bus}"),
        stale_run_after_s=3600,  # the run has no runner here: never sweep it
        auth="off",
        scheduler=False,
        alerts_enabled=False,
        **(options if bus == "redis" else {}),
    )
    app = create_app(settings)
    sock = bind_socket("127.0.0.1", 0)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no event for this)
        await asyncio.sleep(0.01)
    monitor = app.state.services.monitor
    assert type(monitor.bus).__name__ == {"hub": "Hub", "redis": "RedisBus"}[bus]
    await monitor.open_run(RUN_ID, "bus-latency", {}, None)
    monitor.emit(ActivityEvent(run_id=RUN_ID, action=Action.RUN_STARTED))
    deliver = monitor.bus.deliver

    def stamped(events: Any) -> None:
        # The events are stored: stamp when they are handed to the bus (see ShownSubscribers).
        events = list(events)
        now = time.monotonic()
        for event in events:
            if event.extra is not None:
                event.extra["d"] = now
        deliver(events)

    monitor._recorder.on_stored = stamped
    producer = Producer(monitor.emit)
    _control_routes(app, producer)
    producing = asyncio.create_task(producer.run())
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    print(json.dumps({"url": url, "path": f"/api/runs/{RUN_ID}/stream"}), flush=True)
    await asyncio.to_thread(sys.stdin.read)
    producing.cancel()
    server.should_exit = True
    await task


class Target:
    """One bus's server and its SSE clients, each in a process of its own."""

    def __init__(self, bus: str, args: argparse.Namespace, prefix: str) -> None:
        self.bus, self.args = bus, args
        self.server = _spawn("_serve", bus, args.redis_url, prefix)
        self.clients: subprocess.Popen[str] | None = None
        where = _read_json(self.server)
        self.url = where["url"]
        self.server_ps = psutil.Process(self.server.pid)
        self.clients = _spawn("_clients", where["url"] + where["path"], str(args.subscribers))
        _read_json(self.clients)
        self.windows: list[dict[str, Any]] = []

    def rate(self, eps: float) -> None:
        import httpx

        httpx.post(f"{self.url}/bench/rate", params={"eps": eps}).raise_for_status()

    def window(self) -> None:
        """Produce at ``--rate``, warm up, measure one window, stop producing."""
        assert self.clients is not None
        assert self.clients.stdin is not None
        self.rate(self.args.rate)
        time.sleep(1.5)  # warm up: the first frames, the writer's first batches
        self.server_ps.cpu_percent(None)
        self.clients.stdin.write(f"measure {self.args.seconds}\n")
        self.clients.stdin.flush()
        result = _read_json(self.clients)
        result["server_cpu"] = self.server_ps.cpu_percent(None)
        self.rate(0)
        self.windows.append(result)
        print(
            f"  {self.bus:<5} {result['per_s']:>9,.0f} deliveries/s p50 {result['p50_ms']:6.2f} "
            f"ms p99 {result['p99_ms']:7.2f} ms; stored-to-client p50 "
            f"{result['shown_p50_ms']:6.2f} ms p99 {result['shown_p99_ms']:7.2f} ms; "
            f"gaps {result['gaps']} "
            f"server cpu {result['server_cpu']:3.0f}%",
            flush=True,
        )

    def summary(self) -> dict[str, Any]:
        """Medians over the windows."""
        windows = self.windows
        return {
            "windows": windows,
            "p50_ms": statistics.median(w["p50_ms"] for w in windows),
            "p99_ms": statistics.median(w["p99_ms"] for w in windows),
            "shown_p50_ms": statistics.median(w["shown_p50_ms"] for w in windows),
            "shown_p99_ms": statistics.median(w["shown_p99_ms"] for w in windows),
            "per_s": statistics.median(w["per_s"] for w in windows),
            "gaps": sum(w["gaps"] for w in windows),
        }

    def stop(self) -> None:
        for proc in (self.clients, self.server):
            if proc is not None and proc.poll() is None:
                with contextlib.suppress(OSError):
                    assert proc.stdin is not None
                    proc.stdin.close()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()


def _delete_keys(redis_url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=10_000, help="events/s published")
    parser.add_argument("--seconds", type=float, default=5.0, help="one measuring window")
    parser.add_argument("--rounds", type=int, default=3, help="windows per bus (median)")
    parser.add_argument("--subscribers", type=int, default=1, help="SSE clients")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    from _common import report

    prefix = f"crawlscope-bench-{uuid.uuid4().hex[:8]}"
    targets: list[Target] = []
    try:
        targets = [Target(bus, args, prefix) for bus in ("hub", "redis")]
        print(f"{args.rate:,.0f} events/s, {args.subscribers} SSE client(s)", flush=True)
        # Windows alternate between the buses, so both see the same machine load.
        for _ in range(args.rounds):
            for target in targets:
                target.window()
        results = {target.bus: target.summary() for target in targets}
    finally:
        for target in targets:
            target.stop()
        _delete_keys(args.redis_url, prefix)
    hub, red = results["hub"], results["redis"]
    added = red["p99_ms"] - hub["p99_ms"]
    added_shown = red["shown_p99_ms"] - hub["shown_p99_ms"]
    rows = [
        (
            f"hub p50 / p99 at {args.rate:,.0f} ev/s",
            f"{hub['p50_ms']:.2f} / {hub['p99_ms']:.2f} ms",
        ),
        (
            f"redis p50 / p99 at {args.rate:,.0f} ev/s",
            f"{red['p50_ms']:.2f} / {red['p99_ms']:.2f} ms",
        ),
        (
            "stored-to-client p50 / p99 hub",
            f"{hub['shown_p50_ms']:.2f} / {hub['shown_p99_ms']:.2f} ms",
        ),
        (
            "stored-to-client p50 / p99 redis",
            f"{red['shown_p50_ms']:.2f} / {red['shown_p99_ms']:.2f} ms",
        ),
        ("stored-to-client p99 added by Redis", f"{added_shown:+.2f} ms"),
        ("delivered/s hub, redis", f"{hub['per_s']:,.0f}, {red['per_s']:,.0f}"),
        ("gaps hub, redis", f"{hub['gaps']}, {red['gaps']}"),
        (
            "p99 added by Redis",
            f"{added:+.2f} ms (ratio {red['p99_ms'] / hub['p99_ms']:.2f}; target <= 5 ms: "
            f"{'met' if added <= 5 else 'MISSED'})",
        ),
    ]
    report(
        "bus_latency",
        rows,
        {"rate": args.rate, "p99_added_ms": added, "shown_p99_added_ms": added_shown, **results},
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_serve":
        asyncio.run(serve(sys.argv[2], sys.argv[3], sys.argv[4]))
    elif len(sys.argv) > 1 and sys.argv[1] == "_clients":
        asyncio.run(ShownSubscribers(sys.argv[2], int(sys.argv[3])).main())
    else:
        main()
