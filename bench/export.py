"""Exports of a large dataset through the API: throughput and the server's peak memory.

A SQLite file is filled with ``--items`` items (1,000,000 by default, about 300 bytes of
JSON each, rows written exactly as ``DatasetStore.write`` writes them), ``crawlscope
serve`` is started on it in its own process (auth off on loopback), and the dataset is
exported as JSONL and then CSV with ``GET /api/datasets/{name}/export``, read by this
process as fast as it can and thrown away (counted). While each export runs, the server's
RSS is sampled with psutil every 20 ms; the baseline is the server's RSS just before that
export, so ``peak - baseline`` is what exporting cost in memory. Each format is exported
``--rounds`` times; every round is reported.

    python bench/export.py                     # 1,000,000 items
    python bench/export.py --items 100000 --rounds 1
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import msgspec
import psutil

from _common import fresh_db_path, report
from crawlscope.store import Database
from crawlscope.store.datasets import content_hash

REPO = Path(__file__).resolve().parents[1]
DATASET = "bench_items"
_canonical = msgspec.json.Encoder(order="sorted")


def _item(i: int) -> dict[str, Any]:
    return {
        "seller_id": i,
        "name": f"Seller number {i} Trading Company",
        "url": f"http://127.0.0.1:8001/sellers/{i}",
        "price": round(i * 0.37 % 1000, 2),
        "rating": i % 5 + 0.5,
        "tags": ["marketplace", f"band-{i % 17}", "verified" if i % 3 else "new"],
        "address": {"city": f"City {i % 500}", "country": "NL", "zip": f"{1000 + i % 8999}"},
        "description": "Sells office supplies, furniture and a few things more. " * 2,
    }


def fill(path: str, items: int) -> int:
    """Write ``items`` rows as ``DatasetStore.write`` would; returns the file's size."""
    asyncio.run(_create(path))
    now = "2026-12-05T10:00:00.000Z"
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=OFF")
        step = 50_000
        for start in range(0, items, step):
            rows = []
            for i in range(start, min(start + step, items)):
                data = _item(i)
                rows.append(
                    (
                        DATASET,
                        f"{i:09d}",
                        _canonical.encode(data).decode(),
                        content_hash(data),
                        "bench-run",
                        "bench-run",
                        now,
                        now,
                    )
                )
            connection.executemany(
                "INSERT INTO dataset_items (dataset, key, data, content_hash, first_run_id,"
                " last_run_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            connection.commit()
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
    return os.path.getsize(path)


async def _create(path: str) -> None:
    database = Database(path)
    await database.open()  # the schema, by the program's own migrations
    await database.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """``crawlscope serve`` on the filled database, in its own process."""

    def __init__(self, db: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("CRAWLSCOPE_")}
        env["CRAWLSCOPE_AUTH"] = "off"
        command = [sys.executable, "-m", "crawlscope.cli", "serve"]
        command += ["--port", str(self.port), "--db", db, "--log-level", "warning"]
        self.proc = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        self.process = psutil.Process(self.proc.pid)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.proc.stderr.read().decode()}")  # type: ignore[union-attr]
            try:
                if httpx.get(f"{self.url}/readyz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError("server did not start")

    def rss(self) -> int:
        return int(self.process.memory_info().rss)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


class RssSampler(threading.Thread):
    """The server's RSS every ``interval`` seconds until stopped; the peak and the count."""

    def __init__(self, server: Server, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.server = server
        self.interval = interval
        self.peak = 0
        self.samples = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.peak = max(self.peak, self.server.rss())
            self.samples += 1
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def export_once(server: Server, fmt: str, items: int) -> dict[str, Any]:
    """One export, read to its end; throughput and the server's memory meanwhile."""
    time.sleep(1.0)  # let the previous export's memory settle before the baseline
    baseline = min(server.rss() for _ in range(5))
    sampler = RssSampler(server)
    size = lines = 0
    first_byte: float | None = None
    t0 = time.perf_counter()
    sampler.start()
    try:
        with (
            httpx.Client(base_url=server.url, timeout=600) as client,
            client.stream("GET", f"/api/datasets/{DATASET}/export", params={"format": fmt}) as r,
        ):
            r.raise_for_status()
            for chunk in r.iter_raw():
                if first_byte is None:
                    first_byte = time.perf_counter() - t0
                size += len(chunk)
                lines += chunk.count(b"\n")
        elapsed = time.perf_counter() - t0
    finally:
        sampler.stop()
    expected = items if fmt == "jsonl" else items + 1  # CSV: the header; no line breaks in cells
    if lines != expected:
        raise AssertionError(f"{fmt}: {lines} lines, expected {expected}")
    return {
        "format": fmt,
        "items": items,
        "bytes": size,
        "seconds": round(elapsed, 2),
        "first_byte_s": round(first_byte or 0.0, 3),
        "items_per_s": round(items / elapsed),
        "mb_per_s": round(size / elapsed / 1e6, 1),
        "baseline_rss_mb": round(baseline / 2**20, 1),
        "peak_rss_mb": round(sampler.peak / 2**20, 1),
        "peak_minus_baseline_mb": round((sampler.peak - baseline) / 2**20, 1),
        "rss_samples": sampler.samples,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if args.items < 1 or args.rounds < 1:
        raise SystemExit("--items and --rounds must be at least 1")

    db = fresh_db_path("export")
    t0 = time.perf_counter()
    file_size = fill(db, args.items)
    fill_s = time.perf_counter() - t0
    load_before = os.getloadavg()
    server = Server(db)
    results: list[dict[str, Any]] = []
    try:
        for _ in range(args.rounds):
            for fmt in ("jsonl", "csv"):
                results.append(export_once(server, fmt, args.items))
                print(results[-1], flush=True)
    finally:
        server.stop()
    load_after = os.getloadavg()
    rows = [("items / database file", f"{args.items:,} / {file_size / 1e6:,.0f} MB")]
    for result in results:
        rows.append(
            (
                f"{result['format']}",
                f"{result['seconds']:.1f} s, {result['items_per_s']:,} items/s, "
                f"{result['mb_per_s']} MB/s ({result['bytes'] / 1e6:,.0f} MB); server RSS "
                f"{result['baseline_rss_mb']} MB before, peak {result['peak_rss_mb']} MB "
                f"(+{result['peak_minus_baseline_mb']} MB)",
            )
        )
    rows.append(("load average before / after", f"{load_before} / {load_after}"))
    report(
        "export",
        rows,
        {
            "items": args.items,
            "database_bytes": file_size,
            "fill_s": round(fill_s, 1),
            "load_before": load_before,
            "load_after": load_after,
            "results": results,
        },
    )


if __name__ == "__main__":
    main()
