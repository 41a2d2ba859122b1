"""What watching an existing crawler costs: client CPU per 1,000 pages, with and without.

Two pairs, each measured in the same run against the demo site (faults off, its own
process) and a crawlscope server (its own process, SQLite, auth off):

* ``scrapy`` vs ``scrapy_plain``: the same Scrapy spider (fetch a fixed list of unique
  pages, yield one item per page) with the crawlscope add-on reporting to the server
  (``ADDONS`` + ``CRAWLSCOPE_SERVER``, items keyed by URL) and without it. Scrapy's
  settings are its defaults except the concurrency and ``LOG_LEVEL=INFO`` in both (its
  default DEBUG log writes a line per page and per item, which would hide the add-on's
  cost in a larger total).
* ``httpx`` vs ``httpx_plain``: N coroutines pulling URLs from one list through one
  ``httpx.AsyncClient`` and reading every body; the instrumented one runs inside
  ``crawlscope.track(...)`` with ``run.wrap(client)`` (the two lines a user adds).

Each measurement is a fresh process; its CPU is ``time.process_time()`` around the crawl
(imports and set-up excluded), all of that process's threads: the add-on's and the
tracker's event encoding and delivery to the server are included, the server's own work
is not (it runs elsewhere in production too). Rounds alternate the order; figures are
medians; the ratio is instrumented CPU / plain CPU per 1,000 pages (targets: Scrapy
< 1.15, httpx < 1.10). Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from _common import median_of, report
from crawl_throughput import SiteProcess, page_urls

PAIRS = {"scrapy": "scrapy_plain", "httpx": "httpx_plain"}
TARGETS = {"scrapy": 1.15, "httpx": 1.10}
CLIENTS = ("scrapy", "scrapy_plain", "httpx", "httpx_plain")
HOST = "127.0.0.1"


# --- the clients (each in a process of its own) --------------------------------------------


def _scrapy(urls: list[str], concurrency: int, server: str | None) -> dict[str, Any]:
    import scrapy
    from scrapy.crawler import CrawlerProcess

    ok = 0

    class PagesSpider(scrapy.Spider):
        name = "pages"

        async def start(self) -> Any:
            for url in urls:
                yield scrapy.Request(url, callback=self.parse)

        def parse(self, response: Any) -> Any:
            nonlocal ok
            ok += response.status == 200
            yield {"url": response.url, "bytes": len(response.body)}

    settings: dict[str, Any] = {
        "CONCURRENT_REQUESTS": concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        "LOG_LEVEL": "INFO",
        "TELNETCONSOLE_ENABLED": False,
    }
    if server is not None:
        settings["ADDONS"] = {"crawlscope.integrations.scrapy.Crawlscope": 500}
        settings["CRAWLSCOPE_SERVER"] = server
        settings["CRAWLSCOPE_ITEM_KEY"] = "url"
    process = CrawlerProcess(settings)
    process.crawl(PagesSpider)
    gc.collect()
    t0, c0 = time.perf_counter(), time.process_time()
    process.start()
    return {"ok": ok, "elapsed": time.perf_counter() - t0, "cpu": time.process_time() - c0}


def _httpx(urls: list[str], concurrency: int, server: str | None) -> dict[str, Any]:
    import httpx

    import crawlscope

    ok = 0

    async def pool(client: httpx.AsyncClient) -> None:
        nonlocal ok
        pending = iter(urls)

        async def worker() -> None:
            nonlocal ok
            for url in pending:  # a shared iterator: whoever is free takes the next URL
                response = await client.get(url)
                ok += response.status_code == 200

        await asyncio.gather(*(worker() for _ in range(concurrency)))

    async def crawl() -> dict[str, Any]:
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        if server is None:
            async with httpx.AsyncClient(limits=limits) as client:
                await pool(client)
        else:
            async with (
                crawlscope.track("bench-httpx", server=server) as run,
                run.wrap(httpx.AsyncClient(limits=limits)) as client,
            ):
                await pool(client)
        return {"ok": ok, "elapsed": time.perf_counter() - t0, "cpu": time.process_time() - c0}

    return asyncio.run(crawl())


def client_main(name: str, urls_file: str, concurrency: int, server: str) -> None:
    urls = Path(urls_file).read_text().split()
    watched = None if name.endswith("_plain") else server
    if watched is not None:
        # Imports are set-up, excluded as the clients' own are: crawlscope's modules load
        # on first use, which would otherwise happen inside the measurement.
        import crawlscope.client
        import crawlscope.integrations.clients
        import crawlscope.integrations.track
        import crawlscope.runner

        if name.startswith("scrapy"):
            import crawlscope.integrations.scrapy  # noqa: F401
    run = _scrapy if name.startswith("scrapy") else _httpx
    print("RESULT " + json.dumps(run(urls, concurrency, watched)), flush=True)


# --- the server -----------------------------------------------------------------------------


class ServerProcess:
    """``crawlscope serve`` on a free loopback port with a fresh SQLite file."""

    def __init__(self, workdir: str) -> None:
        with socket.socket() as sock:
            sock.bind((HOST, 0))
            self.port = int(sock.getsockname()[1])
        self.url = f"http://{HOST}:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("CRAWLSCOPE_")}
        env["CRAWLSCOPE_AUTH"] = "off"
        self.log = open(os.path.join(workdir, "server.log"), "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "crawlscope.cli",
                "serve",
                "--host",
                HOST,
                "--port",
                str(self.port),
                "--db",
                os.path.join(workdir, "server.db"),
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=env,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit("the crawlscope server did not start; see server.log")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


# --- the driver ------------------------------------------------------------------------------


def measure(
    name: str, urls_file: str, concurrency: int, server: str, workdir: str
) -> dict[str, Any]:
    log_path = os.path.join(workdir, f"{name}.log")
    command = [sys.executable, __file__, "--client", name, "--urls", urls_file]
    command += ["--concurrency", str(concurrency), "--server", server]
    with open(log_path, "wb") as log:
        proc = subprocess.run(
            command, stdout=subprocess.PIPE, stderr=log, timeout=600, cwd=workdir, check=False
        )
    lines = [line for line in proc.stdout.decode().splitlines() if line.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        tail = Path(log_path).read_text(errors="replace").strip().splitlines()[-6:]
        return {"error": f"exit {proc.returncode}: " + " | ".join(tail)}
    result: dict[str, Any] = json.loads(lines[-1][len("RESULT ") :])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=3000, help="unique pages per measurement")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scale", default="large", choices=["small", "medium", "large"])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--clients", default=",".join(CLIENTS), help="comma-separated subset")
    parser.add_argument("--client", choices=CLIENTS, help=argparse.SUPPRESS)
    parser.add_argument("--urls", help=argparse.SUPPRESS)
    parser.add_argument("--server", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        client_main(args.client, args.urls, args.concurrency, args.server)
        return
    clients = [c.strip() for c in args.clients.split(",") if c.strip()]
    if not clients or set(clients) - set(CLIENTS):
        raise SystemExit(f"--clients: choose from {', '.join(CLIENTS)}, got {args.clients!r}")

    workdir = tempfile.mkdtemp(prefix="crawlscope-bench-integrations-")
    site = SiteProcess(args.scale, args.seed, workdir)
    site.start()
    server = ServerProcess(workdir)
    samples: dict[str, list[dict[str, Any]]] = {c: [] for c in clients}
    errors: dict[str, str] = {}
    try:
        urls = page_urls(site.base_url, args.scale, args.seed, args.pages)
        urls_file = os.path.join(workdir, "urls.txt")
        Path(urls_file).write_text("\n".join(urls))
        measure("httpx_plain", urls_file, args.concurrency, server.url, workdir)  # warm-up
        for r in range(args.rounds):
            order = clients[r % len(clients) :] + clients[: r % len(clients)]
            for name in order:
                if name in errors:
                    continue
                result = measure(name, urls_file, args.concurrency, server.url, workdir)
                if "error" in result or result["ok"] != args.pages:
                    errors[name] = result.get("error") or f"{result['ok']} of {args.pages} pages"
                    print(f"  round {r + 1}: {name} failed: {errors[name]}", flush=True)
                    continue
                result["round"] = r + 1
                samples[name].append(result)
                print(
                    f"  round {r + 1}: {name:<13} {result['ok'] / result['elapsed']:>7,.0f} "
                    f"pages/s  CPU {result['cpu'] / result['ok'] * 1000:.3f} s/1k pages",
                    flush=True,
                )
    finally:
        server.stop()
        site.stop()

    cpu = {
        name: median_of([s["cpu"] / s["ok"] * 1000 for s in runs])
        for name, runs in samples.items()
        if runs
    }
    rows = [("pages per measurement / concurrency", f"{args.pages:,} / {args.concurrency}")]
    data: dict[str, Any] = {"pages": args.pages, "concurrency": args.concurrency}
    for name in clients:
        if name in cpu:
            rate = median_of([s["ok"] / s["elapsed"] for s in samples[name]])
            rows.append((name, f"{cpu[name]:.3f} CPU s/1k pages, {rate:,.0f} pages/s"))
        else:
            rows.append((name, f"not measured: {errors.get(name, 'no result')}"))
    for watched, plain in PAIRS.items():
        if watched in cpu and plain in cpu:
            ratio = cpu[watched] / cpu[plain]
            rounds = {s["round"]: s["cpu"] / s["ok"] for s in samples[plain]}
            per_round = [
                round(s["cpu"] / s["ok"] / rounds[s["round"]], 3)
                for s in samples[watched]
                if s["round"] in rounds
            ]
            verdict = "met" if ratio < TARGETS[watched] else "MISSED"
            rows.append(
                (
                    f"{watched} / {plain}",
                    f"{ratio:.3f} (target < {TARGETS[watched]:g}: {verdict}); "
                    f"per round {per_round}",
                )
            )
            data[f"ratio_{watched}"] = ratio
            data[f"per_round_{watched}"] = per_round
    data.update({"cpu_s_per_1k": cpu, "samples": samples, "errors": errors})
    report("integrations_overhead", rows, data)
    if errors:
        print(f"  logs: {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
