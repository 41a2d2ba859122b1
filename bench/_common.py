"""Helpers shared by the benchmarks: repeated timing, medians, a results table."""

from __future__ import annotations

import argparse
import atexit
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

RESULTS_DIR = Path(__file__).with_name("results")


WRITERS = ("process", "inline")


def add_writer_option(parser: argparse.ArgumentParser) -> None:
    """``--event-writer process,inline``: which of the Monitor's event writers to measure."""
    parser.add_argument(
        "--event-writer",
        default="process",
        help="comma-separated: process, inline (the first is judged against the target)",
    )


def writers_from(args: argparse.Namespace) -> list[str]:
    """The writers named by ``--event-writer``, in order; exits naming the option if bad."""
    writers = [w.strip() for w in args.event_writer.split(",") if w.strip()]
    if not writers or set(writers) - set(WRITERS):
        raise SystemExit(
            f"--event-writer: expected process and/or inline, got {args.event_writer!r}"
        )
    return writers


def median_of(samples: list[float]) -> float:
    """The median of repeated measurements (robust on a shared, noisy machine)."""
    return statistics.median(samples)


_TEMPORARY_DIRS: list[str] = []


def fresh_db_path(name: str) -> str:
    """A new SQLite path in a temporary directory, removed when the process exits."""
    directory = tempfile.mkdtemp(prefix=f"crawlscope-bench-{name}-")
    _TEMPORARY_DIRS.append(directory)
    return os.path.join(directory, "bench.db")


@atexit.register
def _remove_temporary_dirs() -> None:
    # A benchmark run writes hundreds of MB of databases; nothing reads them afterwards.
    for directory in _TEMPORARY_DIRS:
        shutil.rmtree(directory, ignore_errors=True)


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }


def report(name: str, rows: list[tuple[str, str]], data: dict[str, Any]) -> None:
    """Print a small table and save the raw figures as JSON under bench/results/."""
    width = max(len(label) for label, _ in rows)
    print(f"\n== {name} ==")
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")
    RESULTS_DIR.mkdir(exist_ok=True)
    payload = {"benchmark": name, "machine": machine(), **data}
    (RESULTS_DIR / f"{name}.json").write_text(json.dumps(payload, indent=2))


def rounds(n: int, fn: Callable[[], float]) -> list[float]:
    """Run ``fn`` ``n`` times, collecting its result each time."""
    return [fn() for _ in range(n)]


class WriterCpu:
    """CPU seconds of a ``Monitor``'s event writer process (0 when it writes in-process).

    ``time.process_time()`` counts the calling process only; with the writer process the
    client's CPU is that plus this. ``start()`` and ``stop()`` bracket a measurement; a
    writer that was replaced in between (it died) makes ``stop()`` fail loudly.
    """

    def __init__(self, monitor: Any) -> None:
        self.monitor = monitor
        self.pid: int | None = None
        self.seconds = 0.0

    def _read(self) -> tuple[int | None, float]:
        pid = getattr(self.monitor.store.events, "pid", None)
        if pid is None:
            return None, 0.0
        times = psutil.Process(pid).cpu_times()
        return pid, times.user + times.system

    def start(self) -> None:
        self.pid, self._c0 = self._read()

    def stop(self) -> float:
        pid, c1 = self._read()
        if pid != self.pid:
            raise RuntimeError(
                f"the event writer changed during the measurement ({self.pid} -> {pid})"
            )
        self.seconds = c1 - self._c0
        return self.seconds
