"""Remote ingest: events/s accepted and persisted through POST /api/ingest, batches of 500.

The server is ``crawlscope serve`` in its own process (SQLite file, auth off on
loopback); this process is the client. Batches are encoded before the clock starts, so
the figure is the server's: each request is answered only once its events are stored,
so ``events / time until the last answer`` is the accepted-and-persisted rate. One client
sends its batches one after another on a keep-alive connection, as ``HttpReporter``
does; ``--clients`` adds a run with several such clients at once, each with its own run.

The baseline is the in-process pipeline of ``bench/pipeline.py`` (``Monitor.emit`` until
stored), measured in the same run with the same kind of events; rounds alternate.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import msgspec

from _common import fresh_db_path, median_of, report
from crawlscope.ingest import Ingestor, decode_batch
from crawlscope.monitor import Monitor
from crawlscope.store import Database, EventLog
from pipeline import _pipeline, make_events

REPO = Path(__file__).resolve().parents[1]
BATCH = 500


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """``crawlscope serve`` in a subprocess on a free port and a fresh database."""

    def __init__(self) -> None:
        self.db = fresh_db_path("ingest-server")
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("CRAWLSCOPE_")}
        env["CRAWLSCOPE_AUTH"] = "off"
        command = [sys.executable, "-m", "crawlscope.cli", "serve"]
        command += ["--port", str(self.port), "--db", self.db]
        self.proc = subprocess.Popen(
            command,
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
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

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


def _bodies(n: int, run_id: str) -> list[bytes]:
    events = make_events(n, run_id)
    return [
        msgspec.json.encode({"events": events[start : start + BATCH]})
        for start in range(0, n, BATCH)
    ]


async def _send(client: httpx.AsyncClient, bodies: list[bytes]) -> int:
    accepted = 0
    for body in bodies:
        response = await client.post("/api/ingest", content=body)
        response.raise_for_status()
        accepted += int(response.json()["accepted"])
    return accepted


async def _ingest(server: Server, n: int, clients: int, tag: str) -> float:
    """Events/s over ``clients`` concurrent clients, each sending ``n / clients`` events."""
    per_client = [_bodies(n // clients, f"{tag}-c{i}") for i in range(clients)]
    nodelay = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]  # as HttpReporter does
    connections = [
        httpx.AsyncClient(
            base_url=server.url,
            timeout=120,
            transport=httpx.AsyncHTTPTransport(socket_options=nodelay),
        )
        for _ in range(clients)
    ]
    try:
        for client in connections:  # connect before the clock starts
            await client.post("/api/ingest", content=b'{"events":[]}')
        t0 = time.perf_counter()
        accepted = await asyncio.gather(
            *(_send(c, b) for c, b in zip(connections, per_client, strict=True))
        )
        elapsed = time.perf_counter() - t0
    finally:
        for client in connections:
            await client.aclose()
    total = (n // clients) * clients
    assert sum(accepted) == total, (accepted, total)
    return total / elapsed


async def _direct(n: int, tag: str) -> float:
    """The same batches through ``decode_batch`` + ``Ingestor`` in-process: ingest minus HTTP."""
    bodies = _bodies(n, tag)
    monitor = Monitor(fresh_db_path("ingest-direct"))
    await monitor.start()
    try:
        ingestor = Ingestor(monitor, monitor.store)
        t0 = time.perf_counter()
        for body in bodies:
            await ingestor.ingest(decode_batch(body, max_events=5000))
        elapsed = time.perf_counter() - t0
        assert await monitor.store.events.count(f"{tag}") == n
    finally:
        await monitor.stop()
    return n / elapsed


async def _count_stored(db: str, run_ids: list[str]) -> int:
    database = Database(db)
    await database.open()
    try:
        log = EventLog(database)
        return sum([await log.count(run_id) for run_id in run_ids])
    finally:
        await database.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients (extra run)")
    args = parser.parse_args()
    pipeline: list[float] = []
    direct: list[float] = []
    single: list[float] = []
    multi: list[float] = []
    run_ids: list[str] = []
    server = Server()
    try:
        for r in range(args.rounds):
            pipeline.append(asyncio.run(_pipeline(make_events(args.events, f"p{r}"), f"p{r}")))
            direct.append(asyncio.run(_direct(args.events, f"d{r}")))
            single.append(asyncio.run(_ingest(server, args.events, 1, f"s{r}")))
            run_ids.append(f"s{r}-c0")
            if args.clients > 1:
                multi.append(asyncio.run(_ingest(server, args.events, args.clients, f"m{r}")))
                run_ids.extend(f"m{r}-c{i}" for i in range(args.clients))
    finally:
        server.stop()
    stored = asyncio.run(_count_stored(server.db, run_ids))
    per_round = args.events + ((args.events // args.clients) * args.clients if multi else 0)
    assert stored == args.rounds * per_round, (stored, args.rounds * per_round)
    base, one = median_of(pipeline), median_of(single)
    rows = [
        ("events per round", f"{args.events:,} in batches of {BATCH}"),
        ("in-process emit -> stored", f"{base:,.0f} events/s (median of {args.rounds})"),
        ("Ingestor in-process (no HTTP)", f"{median_of(direct):,.0f} events/s"),
        ("POST /api/ingest, 1 client", f"{one:,.0f} events/s accepted and persisted"),
        ("ratio to in-process", f"{one / base:.2f}"),
    ]
    data = {
        "events": args.events,
        "batch": BATCH,
        "pipeline_per_s": pipeline,
        "ingestor_direct_per_s": direct,
        "ingest_1_client_per_s": single,
        "ratio": one / base,
        "stored_checked": stored,
    }
    if multi:
        many = median_of(multi)
        rows.append((f"POST /api/ingest, {args.clients} clients", f"{many:,.0f} events/s"))
        rows.append((f"ratio to in-process ({args.clients} clients)", f"{many / base:.2f}"))
        data[f"ingest_{args.clients}_clients_per_s"] = multi
        data["ratio_multi"] = many / base
    report("ingest", rows, data)


if __name__ == "__main__":
    main()
