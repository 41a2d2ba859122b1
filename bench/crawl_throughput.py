"""Crawl throughput: pages/s and client CPU per 1,000 pages against the local demo site.

The demo target site runs with faults off in its own process. Four clients fetch the same
fixed list of unique page URLs at the same concurrency, each in a fresh process of its own
(no shared warm state, and each process's CPU time is the client's alone):

* ``runner``  - crawlscope: a one-phase ``Collection`` whose handler calls ``ctx.http.get``,
  run by ``Monitor.new_run`` on a SQLite file. Every request is instrumented (``fetching``,
  ``found``, ``complete``), numbered, aggregated and persisted (by the Monitor's event writer
  process, the default for SQLite files); the clock stops when the run has ended and its
  events are stored. Its CPU includes the writer process's. The optional
  ``runner_inline`` client is the same with the events written in-process;
  ``runner_no_frontier`` the same without saving the run's frontier (crash resume).
* ``aiohttp`` - the baseline: N coroutines pulling URLs from one list through one
  ``aiohttp.ClientSession`` and reading every body.
* ``scrapy``  - a Scrapy spider with Scrapy's default settings except the concurrency
  (``CONCURRENT_REQUESTS`` and ``CONCURRENT_REQUESTS_PER_DOMAIN``), via ``CrawlerProcess``.
* ``crawlee`` - Crawlee for Python's ``HttpCrawler`` with its default HTTP client, memory
  storage and fixed concurrency (min = desired = max).

A client process reports pages fetched with status 200, wall seconds and
``time.process_time()`` seconds (all threads of that process) around the crawl itself
(imports and set-up excluded). Rounds alternate the order of the clients; figures are
medians. The site's own CPU use is sampled around every measurement: a site process near
1.0 core would mean the site, not the client, limits the rate.

Targets (issue 2): runner >= 0.5 x the bare aiohttp pool, and >= 2 x Crawlee.
Only 127.0.0.1 is ever contacted.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import psutil

from _common import median_of, report
from crawl_clients import client_main

CLIENTS = ("runner", "aiohttp", "scrapy", "crawlee")
OPTIONAL_CLIENTS = ("scrapy_info", "runner_inline", "runner_no_frontier")
HOST = "127.0.0.1"


# --- the site ----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class SiteProcess:
    """``python -m crawlscope.demo.target_site`` with faults off, on a free loopback port."""

    def __init__(self, scale: str, seed: int, workdir: str) -> None:
        self.scale = scale
        self.seed = seed
        self.log_path = os.path.join(workdir, "site.log")
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    def start(self) -> None:
        for _ in range(3):  # a free port can be taken between probing and binding
            self.port = _free_port()
            with open(self.log_path, "wb") as log:
                self.proc = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "crawlscope.demo.target_site",
                        "--port",
                        str(self.port),
                        "--faults",
                        "off",
                        "--scale",
                        self.scale,
                        "--seed",
                        str(self.seed),
                    ],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    with urllib.request.urlopen(f"{self.base_url}/", timeout=2) as resp:
                        if resp.status == 200:
                            self._ps = psutil.Process(self.proc.pid)
                            return
                except OSError:
                    time.sleep(0.1)
            self.stop()
        log_text = Path(self.log_path).read_text()
        raise SystemExit(f"the demo site did not start; its log:\n{log_text}")

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def cpu_seconds(self) -> float:
        times = self._ps.cpu_times()
        return float(times.user + times.system)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def page_urls(base_url: str, scale: str, seed: int, pages: int) -> list[str]:
    """``pages`` unique product and listing URLs of the site's catalog, in a fixed order."""
    from crawlscope.demo.catalog import build_catalog

    catalog = build_catalog(seed, scale)
    paths = [f"/p/{pid}" for pid in sorted(catalog.products)]
    for cid in sorted(catalog.categories):
        paths.extend(f"/c/{cid}?page={n}" for n in range(1, catalog.categories[cid].pages + 1))
    if pages > len(paths):
        raise SystemExit(
            f"--pages {pages}: the {scale!r} catalog has only {len(paths)} unique pages; "
            "use a larger --scale"
        )
    random.Random(seed).shuffle(paths)
    return [base_url + path for path in paths[:pages]]


# --- the driver --------------------------------------------------------------------------


def measure(
    name: str, urls_file: str, concurrency: int, site: SiteProcess, workdir: str, timeout: float
) -> dict[str, Any]:
    """Run one client process and return its figures (or ``{"error": ...}``)."""
    log_path = os.path.join(workdir, f"{name}.log")
    site_cpu0 = site.cpu_seconds()
    with open(log_path, "wb") as log:
        try:
            proc = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--client",
                    name,
                    "--urls",
                    urls_file,
                    "--concurrency",
                    str(concurrency),
                ],
                stdout=subprocess.PIPE,
                stderr=log,
                timeout=timeout,
                cwd=workdir,  # Crawlee and Scrapy may write their state next to the cwd
                check=False,
            )
        except subprocess.TimeoutExpired:
            return {"error": f"did not finish within {timeout:.0f}s (log: {log_path})"}
    site_cpu = site.cpu_seconds() - site_cpu0
    lines = [line for line in proc.stdout.decode().splitlines() if line.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        tail = Path(log_path).read_text(errors="replace").strip().splitlines()[-6:]
        return {"error": f"exit {proc.returncode}: " + " | ".join(tail)}
    result: dict[str, Any] = json.loads(lines[-1][len("RESULT ") :])
    result["site_cpu"] = site_cpu
    return result


def _fmt_ratio(value: float | None, target: float) -> str:
    if value is None:
        return "n/a"
    verdict = "met" if value >= target else "MISSED"
    return f"{value:.2f} (target >= {target:g}: {verdict})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=6000, help="unique pages per measurement")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scale", default="large", choices=["small", "medium", "large"])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--clients", default=",".join(CLIENTS), help="comma-separated subset")
    parser.add_argument("--client", choices=CLIENTS + OPTIONAL_CLIENTS, help=argparse.SUPPRESS)
    parser.add_argument("--urls", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        client_main(args.client, args.urls, args.concurrency)
        return

    clients = [c.strip() for c in args.clients.split(",") if c.strip()]
    unknown = set(clients) - set(CLIENTS + OPTIONAL_CLIENTS)
    if unknown:
        raise SystemExit(
            f"--clients: unknown {sorted(unknown)}; choose from {CLIENTS + OPTIONAL_CLIENTS}"
        )
    workdir = tempfile.mkdtemp(prefix="crawlscope-bench-crawl-")
    site = SiteProcess(args.scale, args.seed, workdir)
    site.start()
    try:
        urls = page_urls(site.base_url, args.scale, args.seed, args.pages)
        urls_file = os.path.join(workdir, "urls.txt")
        Path(urls_file).write_text("\n".join(urls))
        warm_file = os.path.join(workdir, "warm.txt")
        Path(warm_file).write_text("\n".join(urls[:1000]))
        # Warm the site up (first visits, lazily built pages) before anything is measured.
        measure("aiohttp", warm_file, args.concurrency, site, workdir, 120)
        timeout = max(180.0, args.pages / 20)
        samples: dict[str, list[dict[str, Any]]] = {c: [] for c in clients}
        errors: dict[str, str] = {}
        for r in range(args.rounds):
            order = clients[r % len(clients) :] + clients[: r % len(clients)]
            for name in order:
                if name in errors:
                    continue
                result = measure(name, urls_file, args.concurrency, site, workdir, timeout)
                if "error" in result:
                    errors[name] = result["error"]
                    print(f"  round {r + 1}: {name} could not run: {result['error']}", flush=True)
                    continue
                if result["ok"] != args.pages:
                    errors[name] = f"fetched {result['ok']} of {args.pages} pages with status 200"
                    print(f"  round {r + 1}: {name}: {errors[name]}", flush=True)
                    continue
                result["round"] = r + 1
                samples[name].append(result)
                print(
                    f"  round {r + 1}: {name:<13} {result['ok'] / result['elapsed']:>8,.0f} pages/s"
                    f"  client CPU {result['cpu'] / result['ok'] * 1000:.3f} s/1k pages"
                    f"  site {result['site_cpu'] / result['elapsed']:.2f} core",
                    flush=True,
                )
    finally:
        site.stop()

    summary: dict[str, dict[str, float]] = {}
    for name, runs in samples.items():
        if not runs:
            continue
        summary[name] = {
            "pages_per_s": median_of([s["ok"] / s["elapsed"] for s in runs]),
            "steady_pages_per_s": median_of([s["ok"] / s["span"] for s in runs if s["span"]]),
            "cpu_s_per_1k": median_of([s["cpu"] / s["ok"] * 1000 for s in runs]),
            # the part of it spent in helper processes (the runner's event writer)
            "helper_cpu_s_per_1k": median_of(
                [s.get("cpu_helpers", 0.0) / s["ok"] * 1000 for s in runs]
            ),
            "client_cores": median_of([s["cpu"] / s["elapsed"] for s in runs]),
            "site_cores_max": max(s["site_cpu"] / s["elapsed"] for s in runs),
        }

    def ratio(a: str, b: str) -> float | None:
        if a in summary and b in summary:
            return summary[a]["pages_per_s"] / summary[b]["pages_per_s"]
        return None

    def per_round(a: str, b: str) -> list[float]:
        """The ratio within each round (both measured minutes apart at most)."""
        rate_b = {s["round"]: s["ok"] / s["elapsed"] for s in samples.get(b, [])}
        return [
            round(s["ok"] / s["elapsed"] / rate_b[s["round"]], 2)
            for s in samples.get(a, [])
            if s["round"] in rate_b
        ]

    vs_aiohttp, vs_crawlee = ratio("runner", "aiohttp"), ratio("runner", "crawlee")
    rounds_aiohttp, rounds_crawlee = per_round("runner", "aiohttp"), per_round("runner", "crawlee")
    # Is the site the bottleneck? Pages it serves per CPU-second of its single process is
    # the rate it could sustain with a whole core; compare with the fastest client.
    every = [s for runs in samples.values() for s in runs if s["site_cpu"] > 0]
    site_capacity = median_of([s["ok"] / s["site_cpu"] for s in every]) if every else None
    fastest = max((s["pages_per_s"] for s in summary.values()), default=0.0)
    rows = [("pages per measurement / concurrency", f"{args.pages:,} / {args.concurrency}")]
    for name in clients:
        if name in summary:
            s = summary[name]
            rows.append(
                (
                    name,
                    f"{s['pages_per_s']:>7,.0f} pages/s  {s['cpu_s_per_1k']:.3f} client CPU s/1k"
                    f" pages  client {s['client_cores']:.2f} core, site <= "
                    f"{s['site_cores_max']:.2f} core  (median of {len(samples[name])})"
                    + (
                        f"; of the CPU, {s['helper_cpu_s_per_1k']:.3f} in the writer process"
                        if s["helper_cpu_s_per_1k"]
                        else ""
                    ),
                )
            )
        else:
            rows.append((name, f"not measured: {errors.get(name, 'no result')}"))
    if site_capacity is not None and fastest:
        rows.append(
            (
                "site capacity (one core)",
                f"~{site_capacity:,.0f} pages/s = {site_capacity / fastest:.1f} x the fastest"
                " client's rate",
            )
        )
    rows.append(("runner / aiohttp", _fmt_ratio(vs_aiohttp, 0.5)))
    rows.append(("runner / crawlee", _fmt_ratio(vs_crawlee, 2.0)))
    rows.append(("per round: runner / aiohttp", str(rounds_aiohttp or "n/a")))
    rows.append(("per round: runner / crawlee", str(rounds_crawlee or "n/a")))
    vs_inline = ratio("runner_inline", "aiohttp")
    if vs_inline is not None:
        rows.append(("runner_inline / aiohttp (reference)", f"{vs_inline:.2f}"))
        rows.append(("per round", str(per_round("runner_inline", "aiohttp"))))
    vs_lean = ratio("runner_no_frontier", "aiohttp")
    if vs_lean is not None:
        rows.append(("runner_no_frontier / aiohttp (reference)", f"{vs_lean:.2f}"))
        rows.append(("per round", str(per_round("runner_no_frontier", "aiohttp"))))
    report(
        "crawl_throughput",
        rows,
        {
            "pages": args.pages,
            "concurrency": args.concurrency,
            "scale": args.scale,
            "rounds": args.rounds,
            "samples": samples,
            "summary": summary,
            "errors": errors,
            "ratio_runner_aiohttp": vs_aiohttp,
            "ratio_runner_crawlee": vs_crawlee,
            "site_pages_per_cpu_s": site_capacity,
            "per_round_runner_aiohttp": rounds_aiohttp,
            "per_round_runner_crawlee": rounds_crawlee,
            "ratio_runner_inline_aiohttp": vs_inline,
            "ratio_runner_no_frontier_aiohttp": vs_lean,
        },
    )
    if errors:
        print(f"  logs of the clients and the site: {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
