"""Where the runner's CPU goes per page, without a network (a profiling aid, no target).

The crawl benchmark measures the runner against real sockets, where the machine's noise
is large. This one gives the run's ``AiohttpTransport`` a stub session that answers at
once (one ``await asyncio.sleep(0)`` per body read), so what is left is crawlscope's own
work per page (task, context, instrumented request with its ``fetching``/``found``/
``complete`` events, the transport's own code) and it can be split by layer:

* ``null``    - the runner, events built and dropped (a reporter that does nothing);
* ``hub+agg`` - plus the hub (seq numbers, ring buffer) and the aggregator;
* ``monitor-inline`` - the real ``Monitor`` on a SQLite file, events written in-process
  (SQLAlchemy, aiosqlite's thread): plus the recorder and the run rows;
* ``monitor`` - the same with the default event writer process.

Figures are CPU microseconds per page from ``/proc/self/task/*/stat`` (main thread, and
all other threads: aiosqlite's) and of the event writer process, medians over rounds.
Linux only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from typing import Any

from _common import WriterCpu, fresh_db_path, median_of, report
from crawlscope.aggregate import Aggregator
from crawlscope.bus import Hub
from crawlscope.events import ActivityEvent
from crawlscope.monitor import Monitor
from crawlscope.runner import AiohttpTransport, Collection, Run, SitePolicy, Task, TaskContext

_TICK = os.sysconf("SC_CLK_TCK")
BODY = b"<html>" + b"x" * 2000 + b"</html>"


def thread_cpu() -> dict[str, float]:
    """CPU seconds used so far by each thread of this process."""
    out: dict[str, float] = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # a thread that ended meanwhile (e.g. a child watcher)
            continue
        out[tid] = (int(fields[11]) + int(fields[12])) / _TICK
    return out


class _StubResponse:
    status = 200
    headers: dict[str, str] = {}

    async def read(self) -> bytes:
        await asyncio.sleep(0)
        return BODY

    async def __aenter__(self) -> _StubResponse:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None


class _StubSession:
    """Stands in for ``aiohttp.ClientSession`` (the only method the transport calls)."""

    def request(self, method: str, url: str, **kwargs: Any) -> _StubResponse:
        return _StubResponse()


def _stub_transport() -> AiohttpTransport:
    return AiohttpTransport(session=_StubSession())  # type: ignore[arg-type]


class _Reporter:
    """A reporter that numbers and aggregates through ``hub`` if given, else drops events."""

    def __init__(self, hub: Hub | None = None) -> None:
        self.hub = hub

    def emit(self, event: ActivityEvent) -> None:
        if self.hub is not None:
            self.hub.publish(event)

    async def open_run(self, *args: Any) -> None:
        return None

    async def flush(self) -> None:
        return None


def _collection(pages: int, workers: int) -> Collection:
    collection = Collection("runner-cpu", site_policy=SitePolicy(max_concurrency=workers))
    urls = [f"http://127.0.0.1:9/p/{i}" for i in range(pages)]
    collection.seed(lambda params: [Task(url, payload={"url": url}) for url in urls])

    async def fetch(ctx: TaskContext, task: Task) -> None:
        await ctx.http.get(task.payload["url"])

    collection.add_phase("pages", fetch, workers=workers)
    return collection


async def measure(layer: str, pages: int, workers: int) -> tuple[float, float, float]:
    """``(main thread, other threads, writer process)`` CPU µs per page for one layer."""
    collection = _collection(pages, workers)
    main = str(os.getpid())
    writer_s = 0.0
    if layer.startswith("monitor"):
        writer = "inline" if layer == "monitor-inline" else "process"
        async with Monitor(fresh_db_path("runner-cpu"), event_writer=writer) as monitor:
            # What ``monitor.new_run(collection)`` builds, with the stub transport.
            run = Run(
                collection,
                monitor,
                control_source=monitor.store.commands,
                transport=_stub_transport(),
            )
            writer_cpu = WriterCpu(monitor)
            writer_cpu.start()
            before = thread_cpu()
            status = await run.execute()
            after = thread_cpu()
            writer_s = writer_cpu.stop()
    else:
        hub = None
        if layer == "hub+agg":
            hub = Hub()
            hub.add_listener(Aggregator())
        run = Run(collection, _Reporter(hub), transport=_stub_transport())
        before = thread_cpu()
        status = await run.execute()
        after = thread_cpu()
    assert status == "completed", status
    used = {tid: after[tid] - before.get(tid, 0.0) for tid in after}
    other = sum(v for tid, v in used.items() if tid != main)
    return used.get(main, 0.0) / pages * 1e6, other / pages * 1e6, writer_s / pages * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    layers = ("null", "hub+agg", "monitor-inline", "monitor")
    samples: dict[str, list[tuple[float, float, float]]] = {layer: [] for layer in layers}
    started = time.monotonic()
    for _ in range(args.rounds):
        for layer in layers:
            samples[layer].append(asyncio.run(measure(layer, args.pages, args.workers)))
    rows = [("pages per round / workers", f"{args.pages:,} / {args.workers}")]
    data: dict[str, Any] = {"pages": args.pages, "workers": args.workers, "rounds": args.rounds}
    for layer in layers:
        main_us = median_of([m for m, _, _ in samples[layer]])
        other_us = median_of([o for _, o, _ in samples[layer]])
        writer_us = median_of([w for _, _, w in samples[layer]])
        rows.append(
            (
                layer,
                f"main thread {main_us:6.1f} us/page, other threads {other_us:5.1f} us/page,"
                f" writer process {writer_us:5.1f} us/page",
            )
        )
        data[layer] = {
            "main_us": main_us,
            "other_us": other_us,
            "writer_us": writer_us,
            "samples": samples[layer],
        }
    rows.append(("took", f"{time.monotonic() - started:.0f} s"))
    report("runner_cpu", rows, data)


if __name__ == "__main__":
    main()
