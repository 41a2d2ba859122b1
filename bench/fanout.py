"""Fan-out: 100 SSE subscribers of one run, emit-to-receive latency and sustained deliveries/s.

Two servers, measured in the same run, each in its own process with its own producer:

* ``crawlscope``: the real app (``create_app``, uvicorn, SQLite) with the producer emitting
  through ``Monitor.emit`` (hub, recorder, aggregator) and the subscribers on
  ``GET /api/runs/{id}/stream``, state frames and all;
* ``bare``: a bare sse-starlette endpoint fed by one ``asyncio.Queue`` per subscriber, each
  event encoded once and sent as one SSE event per write;
* ``published`` (with ``--compare-shown``): crawlscope showing events to readers as soon
  as they are numbered instead of once stored (what it did before "shown means stored"),
  to measure what waiting for storage costs in latency.

The subscribers are aiohttp clients in a third process (uvloop when available, events
split by hand rather than line by line, so the client is lighter than either server). The
producer puts its ``time.monotonic()`` into each event's ``extra.t``; the client subtracts
it on arrival (CLOCK_MONOTONIC is system-wide on Linux). Phase 1: 200 events/s (20,000
deliveries/s), p50/p99 latency. Phase 2: the rate steps up until a step is not sustained
(less than 95% delivered, a gap, or latency still growing at the end of the step); the
highest sustained step is the figure. Targets (issue 3): p99 < 100 ms and a sustained rate
at least 0.5 of the bare endpoint's.

Run: ``.venv/bin/python bench/fanout.py [--subscribers 100] [--rate 200] [--quick]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import msgspec
import psutil

from fanout_subscribers import Subscribers

HERE = Path(__file__).resolve().parent
RUN_ID = "fanout"
STEPS = (200, 300, 400, 500, 600, 800, 1000, 1200, 1500, 2000, 2500, 3000, 4000)
_encode = msgspec.json.Encoder().encode


# -- servers (each in its own process) ------------------------------------------------------


class Producer:
    """Emits ``rate`` events per second through ``emit`` in 2 ms ticks."""

    def __init__(self, emit: Any) -> None:
        self.emit = emit
        self.rate = 0.0
        self.emitted = 0
        self._since = (time.monotonic(), 0)

    def set_rate(self, rate: float) -> None:
        self.rate = rate
        self._since = (time.monotonic(), self.emitted)

    async def run(self) -> None:
        from crawlscope.events import Action, ActivityEvent

        while True:
            await asyncio.sleep(0.002)
            if not self.rate:
                continue
            start, base = self._since
            now = time.monotonic()
            due = base + int((now - start) * self.rate)
            while self.emitted < due:
                self.emitted += 1
                event = ActivityEvent(
                    run_id=RUN_ID,
                    action=Action.FETCHING,
                    worker_id=self.emitted % 8 + 1,
                    phase="catalog",
                    task=f"category {self.emitted % 50}",
                    url=f"http://127.0.0.1:8001/c/{self.emitted % 50}?page=2",
                    site="127.0.0.1:8001",
                    method="GET",
                    attempt=1,
                    extra={"t": now},
                )
                self.emit(event)


def _control_routes(app: Any, producer: Producer) -> None:
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def rate(request: Request) -> JSONResponse:
        producer.set_rate(float(request.query_params["eps"]))
        return JSONResponse({"rate": producer.rate})

    async def stats(_request: Request) -> JSONResponse:
        return JSONResponse({"emitted": producer.emitted})

    app.router.routes.insert(0, Route("/bench/rate", rate, methods=["POST"]))
    app.router.routes.insert(0, Route("/bench/stats", stats))


def _bare_app(producer_holder: list[Producer]) -> Any:
    from sse_starlette import EventSourceResponse
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.routing import Route

    queues: set[asyncio.Queue[tuple[int, str]]] = set()

    def emit(event: Any) -> None:
        event.seq = producer_holder[0].emitted
        item = (event.seq, _encode(event).decode())
        for queue in queues:
            queue.put_nowait(item)

    producer_holder.append(Producer(emit))

    async def stream(_request: Request) -> EventSourceResponse:
        queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue()

        async def body() -> Any:
            queues.add(queue)
            try:
                while True:
                    seq, data = await queue.get()
                    yield {"event": "activity", "id": str(seq), "data": data}
            finally:
                queues.discard(queue)

        return EventSourceResponse(body(), sep="\n")

    return Starlette(routes=[Route("/stream", stream)])


async def serve(target: str) -> None:
    """Serve ``target`` on a free port; print the URL; run until stdin closes."""
    import uvicorn

    from crawlscope.serving import bind_socket

    holder: list[Producer] = []
    if target == "bare":
        app = _bare_app(holder)
        path = "/stream"
    else:
        from crawlscope.api import create_app
        from crawlscope.config import Settings

        sys.path.insert(0, str(HERE))
        from _common import fresh_db_path

        app = create_app(Settings(database_url=fresh_db_path("fanout"), auth="off"))
        path = f"/api/runs/{RUN_ID}/stream"
    sock = bind_socket("127.0.0.1", 0)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no event for this)
        await asyncio.sleep(0.01)
    if target != "bare":
        monitor = app.state.services.monitor
        if target == "published":
            # The old behaviour, for comparison: readers get events as they are numbered,
            # before they are stored (Hub.until_stored off; deliver then skips them).
            monitor.bus.until_stored = False
        await monitor.open_run(RUN_ID, "fanout", {}, None)
        from crawlscope.events import Action, ActivityEvent

        monitor.emit(ActivityEvent(run_id=RUN_ID, action=Action.RUN_STARTED))
        holder.append(Producer(monitor.emit))
    _control_routes(app, holder[0])
    producing = asyncio.create_task(holder[0].run())
    print(json.dumps({"url": f"http://127.0.0.1:{sock.getsockname()[1]}", "path": path}))
    sys.stdout.flush()
    await asyncio.to_thread(sys.stdin.read)  # until the parent closes our stdin
    producing.cancel()
    server.should_exit = True
    await task


# -- the orchestrator -----------------------------------------------------------------------


def _spawn(*args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRAWLSCOPE_")}
    return subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )


def _read_json(proc: subprocess.Popen[str]) -> dict[str, Any]:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        raise RuntimeError(f"subprocess {proc.args!r} ended (exit {proc.wait()})")
    result: dict[str, Any] = json.loads(line)
    return result


def measure(
    target: str, subscribers: int, rate: float, steps: tuple[int, ...], seconds: float
) -> dict[str, Any]:
    """Latency at ``rate``, then the highest sustained step, for one server."""
    import httpx

    server = _spawn("_serve", target)
    clients: subprocess.Popen[str] | None = None
    try:
        where = _read_json(server)
        server_ps = psutil.Process(server.pid)
        clients = _spawn("_clients", where["url"] + where["path"], str(subscribers))
        _read_json(clients)  # every subscriber connected

        def step(eps: float, settle: float, window: float) -> dict[str, Any]:
            httpx.post(f"{where['url']}/bench/rate", params={"eps": eps}).raise_for_status()
            time.sleep(settle)
            assert clients is not None
            assert clients.stdin is not None
            server_ps.cpu_percent(None)
            clients.stdin.write(f"measure {window}\n")
            clients.stdin.flush()
            result = _read_json(clients)
            result.update(
                rate=eps, offered_per_s=eps * subscribers, server_cpu=server_ps.cpu_percent(None)
            )
            return result

        latency = step(rate, 2.0, seconds * 2)
        ramp: list[dict[str, Any]] = []
        for eps in steps:
            result = step(eps, 1.5, seconds)
            result["sustained"] = bool(
                result["per_s"] >= 0.95 * result["offered_per_s"]
                and result["gaps"] == 0
                and result["late_median_ms"] <= result["early_median_ms"] + 50
                and result["p99_ms"] < 1000
            )
            ramp.append(result)
            print(
                f"  {target:<10} {eps:>5} ev/s: {result['per_s']:>9,.0f} deliveries/s "
                f"p50 {result['p50_ms']:7.1f} ms p99 {result['p99_ms']:8.1f} ms "
                f"gaps {result['gaps']:>4} server cpu {result['server_cpu']:3.0f}% "
                f"client cpu {result['client_cpu']:3.0f}% "
                f"{'ok' if result['sustained'] else 'NOT sustained'}",
                flush=True,
            )
            if not result["sustained"]:
                break
        httpx.post(f"{where['url']}/bench/rate", params={"eps": 0}).raise_for_status()
        sustained = [r["per_s"] for r in ramp if r["sustained"]]
        return {
            "latency": latency,
            "ramp": ramp,
            "max_sustained_per_s": max(sustained, default=0.0),
        }
    finally:
        for proc in (clients, server):
            if proc is not None and proc.poll() is None:
                with contextlib.suppress(OSError):
                    assert proc.stdin is not None
                    proc.stdin.close()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=100)
    parser.add_argument("--rate", type=float, default=200, help="events/s of the latency phase")
    parser.add_argument("--seconds", type=float, default=3.0, help="measuring window per step")
    parser.add_argument("--quick", action="store_true", help="fewer, shorter steps")
    parser.add_argument(
        "--compare-shown",
        action="store_true",
        help="also measure crawlscope showing events when published instead of when stored",
    )
    args = parser.parse_args()
    steps = STEPS[::2] if args.quick else STEPS
    seconds = 2.0 if args.quick else args.seconds

    sys.path.insert(0, str(HERE))
    from _common import report

    results = {}
    targets = ("crawlscope", "bare", *(("published",) if args.compare_shown else ()))
    for target in targets:
        print(f"{target}: {args.subscribers} subscribers", flush=True)
        results[target] = measure(target, args.subscribers, args.rate, steps, seconds)
    ours, bare = results["crawlscope"], results["bare"]
    ratio = (
        ours["max_sustained_per_s"] / bare["max_sustained_per_s"]
        if bare["max_sustained_per_s"]
        else 0.0
    )
    rows = [
        (f"deliveries/s at {args.rate:.0f} ev/s", f"{args.rate * args.subscribers:,.0f} offered"),
    ]
    for name, data in results.items():
        lat = data["latency"]
        rows.append(
            (
                f"{name} latency p50 / p99",
                f"{lat['p50_ms']:.1f} / {lat['p99_ms']:.1f} ms ({lat['per_s']:,.0f}/s delivered)",
            )
        )
        rows.append((f"{name} max sustained", f"{data['max_sustained_per_s']:,.0f} deliveries/s"))
    rows.append(("sustained ratio crawlscope/bare", f"{ratio:.2f} (target >= 0.5)"))
    rows.append(
        (
            "crawlscope p99 target",
            f"{'met' if ours['latency']['p99_ms'] < 100 else 'MISSED'} (< 100 ms)",
        )
    )
    report(
        "fanout",
        rows,
        {"subscribers": args.subscribers, "rate": args.rate, "ratio": ratio, **results},
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_serve":
        asyncio.run(serve(sys.argv[2]))
    elif len(sys.argv) > 1 and sys.argv[1] == "_clients":
        try:
            import uvloop

            runner: Any = uvloop.run
        except ImportError:
            runner = asyncio.run
        runner(Subscribers(sys.argv[2], int(sys.argv[3])).main())
    else:
        main()
