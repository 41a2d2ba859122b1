"""GET /metrics with 1,000 target sites: p95 answer time, against GET /healthz.

The server is ``crawlscope serve`` in its own process (SQLite file, auth off on
loopback). Through the real ingest path it gets ``--runs`` live runs of different
collections, each with ``--workers`` workers and requests to ``--sites`` sites in all
(successes and a share of timeouts and HTTP 5xx), so every scrape folds 1,000 site rows,
the workers' states and the runs' duration bins. Then ``--scrapes`` scrapes of
``/metrics`` alternate with as many ``/healthz`` requests (the baseline: the same HTTP
round trip with no work behind it) on one keep-alive connection. Target: p95 of
/metrics under 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import msgspec
from prometheus_client.parser import text_string_to_metric_families

from _common import fresh_db_path, report
from crawlscope.events import Action, ActivityEvent

REPO = Path(__file__).resolve().parents[1]
TARGET_P95_MS = 100.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _start_server(max_sites: int) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRAWLSCOPE_")}
    env["CRAWLSCOPE_AUTH"] = "off"
    # The runs report only while they are loaded: keep them live for the whole measurement.
    env["CRAWLSCOPE_STALE_RUN_AFTER_S"] = "3600"
    env["CRAWLSCOPE_METRICS_MAX_SITES"] = str(max_sites)
    command = [sys.executable, "-m", "crawlscope.cli", "serve", "--port", str(port)]
    command += ["--db", fresh_db_path("metrics")]
    proc = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stderr.read().decode()}")  # type: ignore[union-attr]
        try:
            if httpx.get(f"{url}/readyz").status_code == 200:
                return proc, url
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError("server did not start")


def run_events(run_id: str, collection: str, sites: range, workers: int) -> list[ActivityEvent]:
    """``run_started``, then per site ``k`` of ``sites`` 1..8 requests by rotating workers,
    each answered (every 10th a timeout, every 25th an HTTP 5xx)."""
    events = [
        ActivityEvent(
            run_id=run_id,
            action=Action.RUN_STARTED,
            extra={"collection": collection},
            params={},
        )
    ]
    n = 0
    for k in sites:
        site = f"shop-{k:04d}.example"
        for _ in range(k % 8 + 1):
            n += 1
            common: dict[str, Any] = {
                "run_id": run_id,
                "worker_id": n % workers + 1,
                "site": site,
                "attempt": 1,
            }
            events.append(ActivityEvent(action=Action.FETCHING, **common))
            duration = 15.0 + (n * 7919) % 900
            if n % 10 == 0:
                events.append(
                    ActivityEvent(
                        action=Action.ERROR,
                        error_type="timeout",
                        error_stage="request",
                        duration_ms=30_000.0,
                        **common,
                    )
                )
            elif n % 25 == 0:
                events.append(
                    ActivityEvent(
                        action=Action.ERROR,
                        error_type="http_5xx",
                        error_stage="request",
                        status_code=503,
                        duration_ms=duration,
                        **common,
                    )
                )
            else:
                events.append(
                    ActivityEvent(
                        action=Action.FOUND, status_code=200, duration_ms=duration, **common
                    )
                )
    return events


async def _load(client: httpx.AsyncClient, sites: int, runs: int, workers: int) -> int:
    """Ingest ``runs`` runs sharing ``sites`` sites between them; events sent."""
    sent = 0
    for r in range(runs):
        chunk = range(r * sites // runs, (r + 1) * sites // runs)
        events = run_events(f"bench-metrics-{r}", f"collection-{r}", chunk, workers)
        for start in range(0, len(events), 5000):
            body = msgspec.json.encode({"events": events[start : start + 5000]})
            response = await client.post("/api/ingest", content=body)
            response.raise_for_status()
        sent += len(events)
    return sent


async def _timed(client: httpx.AsyncClient, path: str) -> tuple[float, httpx.Response]:
    t0 = time.perf_counter()
    response = await client.get(path)
    elapsed = (time.perf_counter() - t0) * 1000
    response.raise_for_status()
    return elapsed, response


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[-1]


async def _measure(url: str, args: argparse.Namespace) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        events = await _load(client, args.sites, args.runs, args.workers)
        _, first = await _timed(client, "/metrics")  # the first scrape admits the labels
        families = list(text_string_to_metric_families(first.text))
        target_sites = next(f for f in families if f.name == "crawlscope_target_sites")
        assert sum(s.value for s in target_sites.samples) == args.sites, "sites not all live"
        metrics: list[float] = []
        healthz: list[float] = []
        for _ in range(args.scrapes):
            elapsed, response = await _timed(client, "/metrics")
            metrics.append(elapsed)
            elapsed, _ = await _timed(client, "/healthz")
            healthz.append(elapsed)
    series = sum(len(f.samples) for f in families)
    return {
        "events": events,
        "series": series,
        "body_bytes": len(response.content),
        "metrics_ms": metrics,
        "healthz_ms": healthz,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sites", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=4, help="live runs sharing the sites")
    parser.add_argument("--workers", type=int, default=50, help="workers per run")
    parser.add_argument("--scrapes", type=int, default=200)
    parser.add_argument(
        "--max-sites", type=int, default=20, help="CRAWLSCOPE_METRICS_MAX_SITES for the server"
    )
    args = parser.parse_args()
    proc, url = _start_server(args.max_sites)
    try:
        data = asyncio.run(_measure(url, args))
    finally:
        proc.terminate()
        proc.wait(30)
    metrics: list[float] = data["metrics_ms"]
    healthz: list[float] = data["healthz_ms"]
    p95, base95 = _p95(metrics), _p95(healthz)
    p50, base50 = statistics.median(metrics), statistics.median(healthz)
    report(
        "metrics_scrape",
        [
            ("target sites / live runs / workers", f"{args.sites} / {args.runs} / {args.workers}"),
            ("events ingested", f"{data['events']:,}"),
            ("series in a scrape / body", f"{data['series']} / {data['body_bytes']:,} bytes"),
            ("GET /metrics p50 / p95", f"{p50:.1f} / {p95:.1f} ms"),
            ("GET /healthz p50 / p95 (baseline)", f"{base50:.2f} / {base95:.2f} ms"),
            ("p95 ratio /metrics / /healthz", f"{p95 / base95:.1f}x"),
            ("target p95 < 100 ms", "met" if p95 < TARGET_P95_MS else "MISSED"),
        ],
        {
            "sites": args.sites,
            "runs": args.runs,
            "workers": args.workers,
            "scrapes": args.scrapes,
            "max_sites": args.max_sites,
            "series": data["series"],
            "body_bytes": data["body_bytes"],
            "metrics_p50_ms": p50,
            "metrics_p95_ms": p95,
            "healthz_p50_ms": base50,
            "healthz_p95_ms": base95,
            "ratio_p95": p95 / base95,
        },
    )


if __name__ == "__main__":
    main()
