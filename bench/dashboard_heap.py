"""Dashboard under load: JS heap growth and long frames on the run page (issue 4).

A real server (in a thread, SQLite file in a temporary directory) receives a remote run
with 50 workers from a synthetic producer posting batches to ``POST /api/ingest`` at a
steady rate (default 500 events/s: request/response cycles, some errors and retries,
pipeline batches and progress). Debian's Chromium, headless, shows that run's detail page
(one SSE connection focused on the run, 50 worker cards, feeds, charts).

Measured in the page:

* JS heap (after a forced garbage collection, through the DevTools protocol) 10 s after
  the load started and at the end; target: end / 10 s < 1.5;
* frames: a requestAnimationFrame loop records every frame's duration after the first
  10 s; target: share of frames longer than 50 ms < 5 %. Long tasks (PerformanceObserver
  ``longtask``) are counted too.

The ratio compares the page with itself over time in the same run, so machine speed
cancels out; the frame share is absolute and suffers on a loaded machine (the server,
the producer and the browser share its cores), which the output states.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import CDPSession, Page, sync_playwright

from _common import fresh_db_path, report
from crawlscope.api import create_app
from crawlscope.api.static import STATIC_DIR
from crawlscope.config import Settings
from crawlscope.events import new_event_id, utc_now_iso
from crawlscope.serving import ServingThread

CHROMIUM = os.environ.get("CRAWLSCOPE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WARMUP_S = 10.0
LONG_FRAME_MS = 50.0

# Installed in the page before it loads: every frame's duration and every long task.
FRAME_PROBE = """
window.__bench = { frames: [], longTasks: 0, longTaskMs: 0, recording: false };
(function loop(prev) {
  requestAnimationFrame((now) => {
    if (window.__bench.recording && prev !== null) window.__bench.frames.push(now - prev);
    loop(now);
  });
})(null);
try {
  new PerformanceObserver((list) => {
    if (!window.__bench.recording) return;
    for (const e of list.getEntries()) {
      window.__bench.longTasks += 1;
      window.__bench.longTaskMs += e.duration;
    }
  }).observe({ type: "longtask", buffered: false });
} catch (e) {}
"""


class Producer(threading.Thread):
    """Posts a remote run's events to /api/ingest at ``rate`` events/s, in 10 batches/s."""

    def __init__(self, base_url: str, run_id: str, workers: int, rate: int) -> None:
        super().__init__(daemon=True)
        self.base_url = base_url
        self.run_id = run_id
        self.workers = workers
        self.rate = rate
        self.sent = 0
        self.failures = 0
        self.behind_s = 0.0
        self._stop_flag = threading.Event()
        self._cycle = [0] * (workers + 1)  # per worker: position in its request cycle
        self._n = 0
        self._done = 0

    def ev(self, action: str, **fields: Any) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "action": action,
            "id": new_event_id(),
            "ts": utc_now_iso(),
            **fields,
        }

    def start_events(self) -> list[dict[str, Any]]:
        return [
            self.ev("run_started", extra={"collection": "bench", "dataset": "bench_items"}),
            self.ev("phase_started", phase="listing", extra={"workers": self.workers}),
        ]

    def next_event(self) -> dict[str, Any]:
        """The next event of a plausible mix: a worker's request cycle, a pipeline batch
        every 25 events, progress every 250."""
        self._n += 1
        n = self._n
        if n % 250 == 0:
            self._done += 1
            return self.ev(
                "run_progress",
                extra={"progress": [{"level": "pages", "done": self._done, "total": 100_000}]},
            )
        if n % 25 == 0:
            source = n % self.workers + 1
            action = ("uploading", "inserted", "deduped", "updated")[(n // 25) % 4]
            return self.ev(
                action, source_worker_id=source, items_count=10, operation_type="item_batch"
            )
        worker = n % self.workers + 1
        step = self._cycle[worker]
        self._cycle[worker] = (step + 1) % 4
        page = n // self.workers
        common = {
            "worker_id": worker,
            "phase": "listing",
            "task": f"category {worker}, page {page}",
            "category": f"Department {worker % 5} / Category {worker}",
            "site": "127.0.0.1:9",
        }
        if step == 0:
            return self.ev(
                "fetching",
                url=f"http://127.0.0.1:9/c/{worker}?page={page}",
                params={"page": page},
                method="GET",
                attempt=1,
                started_at=utc_now_iso(),
                **common,
            )
        if step == 1 and n % 40 == 1:
            return self.ev(
                "error",
                error_type="http_5xx",
                error_stage="request",
                status_code=503,
                error_message="HTTP 503: service unavailable " + "x" * 120,
                **common,
            )
        if step == 1:
            return self.ev("found", status_code=200, duration_ms=40.0 + n % 200, **common)
        if step == 2:
            return self.ev("complete", items_count=10, **common)
        return self.ev(
            "fetching",
            url=f"http://127.0.0.1:9/c/{worker}?page={page + 1}",
            attempt=1,
            started_at=utc_now_iso(),
            **common,
        )

    def run(self) -> None:
        batch_every = 0.1
        per_batch = max(1, self.rate // 10)
        with httpx.Client(base_url=self.base_url, timeout=10) as client:
            client.post("/api/ingest", json={"events": self.start_events()}).raise_for_status()
            next_at = time.monotonic()
            while not self._stop_flag.is_set():
                events = [self.next_event() for _ in range(per_batch)]
                response = client.post("/api/ingest", json={"events": events})
                if response.status_code == 200:
                    self.sent += len(events)
                else:
                    self.failures += 1
                next_at += batch_every
                delay = next_at - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                else:
                    self.behind_s = max(self.behind_s, -delay)

    def stop(self) -> None:
        self._stop_flag.set()
        self.join(timeout=10)


def heap_mb(cdp: CDPSession) -> float:
    """Used JS heap after a full garbage collection, in MB."""
    cdp.send("HeapProfiler.collectGarbage")
    usage = cdp.send("Runtime.getHeapUsage")
    return float(usage["usedSize"]) / 1e6


FRAME_STATS = """(limit) => {
  const f = window.__bench.frames;
  const sorted = [...f].sort((a, b) => a - b);
  const n = sorted.length;
  const p = (q) => (n ? sorted[Math.min(n - 1, Math.floor(q * n))] : 0);
  return {
    frames: n, long: f.filter((d) => d > limit).length,
    p50: p(0.5), p95: p(0.95), p99: p(0.99), max: n ? sorted[n - 1] : 0,
    longTasks: window.__bench.longTasks, longTaskMs: window.__bench.longTaskMs,
  };
}"""


def frame_stats(page: Page) -> dict[str, Any]:
    data: dict[str, Any] = page.evaluate(FRAME_STATS, LONG_FRAME_MS)
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of load")
    parser.add_argument("--rate", type=int, default=500, help="events per second")
    parser.add_argument("--workers", type=int, default=50)
    args = parser.parse_args()
    if not (STATIC_DIR / "index.html").is_file():
        raise SystemExit("the dashboard is not built: run `make dashboard` first")
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"no Chromium at {CHROMIUM}")

    settings = Settings(database_url=fresh_db_path("dashboard"), auth="off")
    server = ServingThread(lambda: create_app(settings), name="bench-server")
    base = server.start()
    run_id = f"bench-{new_event_id()[-12:]}"
    producer = Producer(base, run_id, args.workers, args.rate)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.add_init_script(FRAME_PROBE)
            cdp = page.context.new_cdp_session(page)
            producer.start()
            deadline = time.monotonic() + 30
            while httpx.get(f"{base}/api/runs/{run_id}").status_code != 200:
                if time.monotonic() > deadline:
                    raise SystemExit("the remote run did not appear")
                time.sleep(0.2)
            started = time.monotonic()
            page.goto(f"{base}/runs/{run_id}")
            page.wait_for_function(
                f"document.querySelectorAll('[data-testid=worker-card]').length === {args.workers}",
                timeout=60_000,
            )
            # Expand one worker, as an operator would: its own feed is live too.
            page.locator("[data-testid=worker-card][data-worker='7']").click()
            page.wait_for_timeout(max(0.0, WARMUP_S - (time.monotonic() - started)) * 1000)
            heap_10s = heap_mb(cdp)
            page.evaluate("() => { window.__bench.recording = true; }")
            samples = [(round(time.monotonic() - started, 1), heap_10s)]
            while time.monotonic() - started < args.duration:
                page.wait_for_timeout(10_000)
                samples.append((round(time.monotonic() - started, 1), heap_mb(cdp)))
            elapsed = time.monotonic() - started
            frames = frame_stats(page)
            heap_end = samples[-1][1]
            shown_events = page.get_by_test_id("total-events").inner_text()
            dom_nodes = page.evaluate("() => document.getElementsByTagName('*').length")
            status = page.get_by_test_id("live-indicator").get_attribute("data-status")
            load = os.getloadavg()
            browser.close()
    finally:
        producer.stop()
        server.stop()

    ratio = heap_end / heap_10s if heap_10s else float("nan")
    long_share = frames["long"] / frames["frames"] if frames["frames"] else float("nan")
    achieved = producer.sent / elapsed if elapsed else 0.0
    rows = [
        (
            "workers / target rate",
            f"{args.workers} / {args.rate} events/s for {args.duration:.0f} s",
        ),
        (
            "events sent (achieved rate)",
            f"{producer.sent:,} ({achieved:.0f}/s, failed batches {producer.failures})",
        ),
        ("events counted by the page", shown_events),
        ("stream status at the end", str(status)),
        ("JS heap after 10 s", f"{heap_10s:.1f} MB"),
        ("JS heap at the end", f"{heap_end:.1f} MB"),
        ("heap end / 10 s (target < 1.5)", f"{ratio:.2f}"),
        ("frames recorded", f"{frames['frames']:,}"),
        (
            f"frames > {LONG_FRAME_MS:.0f} ms (target < 5%)",
            f"{frames['long']:,} ({long_share:.1%})",
        ),
        (
            "frame p50 / p95 / p99 / max",
            " / ".join(f"{frames[k]:.0f}" for k in ("p50", "p95", "p99", "max")) + " ms",
        ),
        ("long tasks", f"{frames['longTasks']} ({frames['longTaskMs']:.0f} ms in total)"),
        ("DOM elements at the end", f"{dom_nodes:,}"),
        (
            "machine load (1/5/15 min)",
            f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} on {os.cpu_count()} CPUs",
        ),
        ("heap samples (s, MB)", ", ".join(f"{t:.0f}:{h:.1f}" for t, h in samples)),
    ]
    report(
        "dashboard_heap",
        rows,
        {
            "workers": args.workers,
            "rate": args.rate,
            "duration_s": args.duration,
            "events_sent": producer.sent,
            "achieved_rate": achieved,
            "failed_batches": producer.failures,
            "heap_10s_mb": heap_10s,
            "heap_end_mb": heap_end,
            "heap_ratio": ratio,
            "frames": frames,
            "long_frame_share": long_share,
            "dom_nodes": dom_nodes,
            "heap_samples": samples,
            "stream_status": status,
            "loadavg": load,
        },
    )


if __name__ == "__main__":
    main()
