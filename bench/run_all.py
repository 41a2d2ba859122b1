"""Run the benchmarks that have targets with moderate sizes and print one summary of them.

``make bench`` calls this: the three of issue 2, the alerts' (issue 11), /metrics' (issue
12), the integrations' (issue 14) and the distributed workers' (issue 13: scaling,
reclaim after ``kill -9``, idle cost). Each benchmark runs in its own process and prints
its own table; their raw figures land in ``bench/results/*.json``, which this script
reads back for the summary. A full run takes about eighteen minutes on a 2-core machine
(the alerts' benchmark about five of them, the integrations' about three, the workers'
about five). The exit
status is non-zero if a benchmark failed to run, and with ``--strict`` also if a target
was missed."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from _common import RESULTS_DIR, machine

HERE = Path(__file__).resolve().parent

# (script, arguments for a "moderate" run, arguments for --quick)
BENCHMARKS: list[tuple[str, list[str], list[str]]] = [
    ("pipeline", ["--events", "50000", "--rounds", "5"], ["--events", "10000", "--rounds", "2"]),
    (
        "runner_overhead",
        ["--tasks", "20000", "--rounds", "5"],
        ["--tasks", "5000", "--rounds", "2"],
    ),
    (
        "crawl_throughput",
        ["--pages", "5000", "--rounds", "3"],
        ["--pages", "1000", "--rounds", "1", "--scale", "medium"],
    ),
    (
        "integrations_overhead",
        ["--pages", "3000", "--rounds", "3"],
        ["--pages", "500", "--rounds", "1"],
    ),
    (
        "alert_eval",
        ["--ticks", "15", "--rounds", "2", "--triggers", "30"],
        ["--history", "60", "--ticks", "5", "--rounds", "1", "--triggers", "5"],
    ),
    (
        "metrics_scrape",
        ["--sites", "1000", "--scrapes", "200"],
        ["--sites", "1000", "--scrapes", "30"],
    ),
    (
        "workers_scaling",
        ["--pages", "400", "--rounds", "2"],
        ["--pages", "150", "--rounds", "1"],
    ),
    (
        "workers_reclaim",
        ["--leases", "3,10", "--rounds", "2"],
        ["--leases", "3", "--rounds", "1"],
    ),
    (
        "workers_idle",
        ["--workers", "20", "--seconds", "20"],
        ["--workers", "5", "--seconds", "6"],
    ),
]

Target = tuple[str, float | None, float | None, str]
"""``(label, measured, target or None for a reference, ">=" or "<")``."""


def _targets(name: str, data: dict[str, object]) -> list[Target]:
    """The figures of one benchmark against their targets."""
    if name == "pipeline":
        return [("pipeline: emit->stored / raw sqlite3", _num(data.get("ratio")), 0.55, ">=")]
    if name == "runner_overhead":
        return [
            ("runner overhead: runner / storing pool", _num(data.get("ratio")), 0.5, ">="),
            ("  (reference) runner / bare pool", _num(data.get("ratio_bare")), None, ">="),
        ]
    if name == "crawl_throughput":
        return [
            ("crawl: runner / bare aiohttp", _num(data.get("ratio_runner_aiohttp")), 0.5, ">="),
            ("crawl: runner / Crawlee", _num(data.get("ratio_runner_crawlee")), 2.0, ">="),
        ]
    if name == "integrations_overhead":
        return [
            ("Scrapy add-on / plain Scrapy, CPU", _num(data.get("ratio_scrapy")), 1.15, "<"),
            ("tracked / plain httpx, CPU", _num(data.get("ratio_httpx")), 1.10, "<"),
        ]
    if name == "alert_eval":
        return [
            ("alerts: 100 rules, share of a core", _num(data.get("share_of_core")), 0.05, "<"),
            ("alerts: p95 s over `for`, group_wait 0", _num(data.get("latency_p95_gw0")), 2.0, "<"),
            (
                "  (reference) the same, group_wait 10 s",
                _num(data.get("latency_p95_gw10")),
                None,
                "<",
            ),
        ]
    if name == "metrics_scrape":
        return [
            ("/metrics, 1,000 sites: p95 ms", _num(data.get("metrics_p95_ms")), 100.0, "<"),
            ("  (reference) p95 /metrics / /healthz", _num(data.get("ratio_p95")), None, "<"),
        ]
    if name == "workers_scaling":
        return [("workers: 3 / 1 worker, latency-bound", _num(data.get("ratio")), 2.5, ">=")]
    if name == "workers_reclaim":
        return [
            (
                "workers: kill -9 taken over, s past lease",
                _num(data.get("worst_over_lease_s")),
                5.0,
                "<",
            ),
        ]
    if name == "workers_idle":
        no_run = data.get("no_run")
        open_run = data.get("open_run")
        per_s = no_run.get("added_per_s") if isinstance(no_run, dict) else None
        per_s_open = open_run.get("added_per_s") if isinstance(open_run, dict) else None
        xacts = no_run.get("pg_xacts") if isinstance(no_run, dict) else None
        return [
            ("  (reference) idle workers: Redis calls/s", _num(per_s), None, "<"),
            ("  (reference) the same, a run open", _num(per_s_open), None, "<"),
            ("idle workers: PostgreSQL transactions", _num(xacts), 1.0, "<"),
        ]
    return []


def _num(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke run)")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument(
        "--only",
        help="comma-separated subset of: pipeline, runner_overhead, crawl_throughput, "
        "alert_eval, metrics_scrape, integrations_overhead, workers_scaling, "
        "workers_reclaim, workers_idle",
    )
    args = parser.parse_args()
    wanted = set(args.only.split(",")) if args.only else None
    print(f"machine: {machine()}", flush=True)
    failed: list[str] = []
    summary: list[Target] = []
    for name, moderate, quick in BENCHMARKS:
        if wanted is not None and name not in wanted:
            continue
        result_file = RESULTS_DIR / f"{name}.json"
        result_file.unlink(missing_ok=True)
        command = [sys.executable, str(HERE / f"{name}.py"), *(quick if args.quick else moderate)]
        print(f"\n$ {' '.join(command[1:])}", flush=True)
        started = time.monotonic()
        proc = subprocess.run(command, cwd=HERE, check=False)
        print(f"({name} took {time.monotonic() - started:.0f} s)", flush=True)
        if proc.returncode != 0 or not result_file.exists():
            failed.append(f"{name} (exit {proc.returncode})")
            continue
        summary.extend(_targets(name, json.loads(result_file.read_text())))

    print("\n== summary ==")
    missed = 0
    for label, value, target, direction in summary:
        shown = "n/a" if value is None else f"{value:.2f}"
        if target is None:
            print(f"  {label:<40} {shown:>6}  (no target)")
            continue
        if value is None:
            verdict = "not measured"
        else:
            met = value >= target if direction == ">=" else value < target
            verdict = "met" if met else "MISSED"
            missed += not met
        print(f"  {label:<40} {shown:>6}  (target {direction} {target:g}: {verdict})")
    for name in failed:
        print(f"  FAILED TO RUN: {name}")
    if failed or (args.strict and missed):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
