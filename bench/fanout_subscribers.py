"""The subscriber side of ``fanout.py``: ``n`` SSE connections in one process (aiohttp),
recording the arrival time and emit-to-receive latency of every activity event."""

from __future__ import annotations

import array
import asyncio
import json
import sys
import time
from typing import Any

import psutil


class Subscribers:
    """``n`` SSE connections; records (arrival, latency) of every activity event."""

    def __init__(self, url: str, n: int) -> None:
        self.url, self.n = url, n
        # Arrays, not lists of tuples: 20,000 tuples a second would make this process's
        # own garbage collector pause for tens of ms and show up as latency.
        self.arrivals = array.array("d")
        self.latencies = array.array("d")
        self.gaps = 0
        self.connected = 0
        self.recording = False

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
                        # The producer's timestamp is the last field: ..."extra":{"t":123.4}}
                        start = block.rfind(b'"t":') + 4
                        emitted = float(block[start : block.index(b"}", start)])
                        self.arrivals.append(now)
                        self.latencies.append(now - emitted)
                    elif b"event: gap" in block:
                        self.gaps += 1

    async def main(self) -> None:
        import aiohttp

        connector = aiohttp.TCPConnector(limit=0)
        timeout = aiohttp.ClientTimeout(total=None, sock_read=None)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            readers = [asyncio.create_task(self._one(session)) for _ in range(self.n)]
            while self.connected < self.n:  # noqa: ASYNC110 (a startup poll)
                await asyncio.sleep(0.05)
            print(json.dumps({"ready": self.n}), flush=True)
            me = psutil.Process()
            while True:
                line = await asyncio.to_thread(sys.stdin.readline)
                if not line or line.strip() == "quit":
                    break
                seconds = float(line.split()[1])
                self.arrivals, self.latencies = array.array("d"), array.array("d")
                self.gaps, self.recording = 0, True
                me.cpu_percent(None)
                started = time.monotonic()
                await asyncio.sleep(seconds)
                self.recording = False
                print(json.dumps(self._summary(started, seconds, me.cpu_percent(None))), flush=True)
            for reader in readers:
                reader.cancel()
            await asyncio.gather(*readers, return_exceptions=True)

    def _summary(self, started: float, seconds: float, cpu: float) -> dict[str, Any]:
        samples = list(zip(self.arrivals, self.latencies, strict=True))
        latencies = sorted(self.latencies)
        third = seconds / 3

        def median_between(lo: float, hi: float) -> float:
            part = sorted(lat for at, lat in samples if started + lo <= at < started + hi)
            return part[len(part) // 2] if part else float("nan")

        def pct(q: float) -> float:
            return (
                latencies[min(len(latencies) - 1, int(q * len(latencies)))]
                if latencies
                else float("nan")
            )

        return {
            "delivered": len(samples),
            "per_s": len(samples) / seconds,
            "p50_ms": pct(0.5) * 1000,
            "p99_ms": pct(0.99) * 1000,
            "early_median_ms": median_between(0, third) * 1000,
            "late_median_ms": median_between(2 * third, seconds) * 1000,
            "gaps": self.gaps,
            "client_cpu": cpu,
        }
