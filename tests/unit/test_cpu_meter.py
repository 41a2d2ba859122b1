"""CpuMeter (system.py): the machine's CPU use since the previous reading, whichever thread
asks (psutil.cpu_percent keeps its reading per thread: from a new worker thread it said
0.0)."""

from __future__ import annotations

import threading
import time

from crawlscope.system import CpuMeter


def _busy(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def test_a_reading_from_a_new_thread_measures_since_the_last_one() -> None:
    meter = CpuMeter()
    _busy(0.3)  # at least half of one core busy on any machine with two or fewer
    readings: list[float] = []
    thread = threading.Thread(target=lambda: readings.append(meter.percent()))
    thread.start()
    thread.join()
    [first] = readings
    assert first > 0.0
    assert first <= 100.0


def test_readings_stay_within_0_and_100() -> None:
    meter = CpuMeter()
    values = [meter.percent() for _ in range(50)]
    assert all(0.0 <= v <= 100.0 for v in values)
