"""Monotonic counters folded from run frames at scrape time.

A run's frame says how many requests, items and errors it has had so far. Summing the
frames of the runs held now is not a counter: a run this server forgets (a minute after
it ends) would take its share with it. So every scrape adds what each run did since the
previous scrape (its increase over the highest value seen for it) to totals that only go
up, and a run that is no longer live is folded one last time from its stored frame.

A value that goes down within a run is not a new start: ``tasks_failed`` goes down when a
pause puts failed tasks back on the queue, and a run rebuilt from its stored events
(after a restart, or when a remote runner comes back) counts up to where it was. Only the
duration bins start again from zero when a run is rebuilt (``RunAggregate.restart_pace``);
they are read as restarted when their sum goes down.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from crawlscope.aggregate import RunFrame
from crawlscope.aggregate.series import OVERFLOW_BIN
from crawlscope.metrics.labels import OTHER, StickyLabels, error_type_label, stage_label

__all__ = ["Counter", "CounterTally", "RunReading", "readings"]

Counter = str
"""Which counter: one of the names below."""
REQUESTS: Counter = "requests"
OUTCOMES: Counter = "outcomes"
ITEMS: Counter = "items"
ERRORS: Counter = "errors"
RETRIES: Counter = "retries"
TASKS: Counter = "tasks"
RUNS_ENDED: Counter = "runs_ended"

Key = tuple[Counter, str, str | None, tuple[str, ...]]
"""(counter, collection, site or None, further label values)."""

_NO_SITE = ""
"""Requests a frame counts but no site row does (events without ``site``)."""
_UNKNOWN_COLLECTION = "unknown"


@dataclass
class RunReading:
    """What one scrape read of one run: its frame and, while live, its duration bins."""

    run_id: str
    frame: RunFrame
    bins: Sequence[int] | None = None


def collection_of(frame: RunFrame) -> str:
    """The run's collection name, ``unknown`` before its ``run_started`` arrived."""
    return frame.collection or _UNKNOWN_COLLECTION


def readings(frame: RunFrame) -> dict[Key, int]:
    """Every counter value the frame states, under raw (not yet bounded) labels."""
    collection = collection_of(frame)
    totals = frame.totals
    out: dict[Key, int] = {}
    site_requests = site_successes = 0
    site_failures: dict[str, int] = {}
    for card in frame.sites:
        out[(REQUESTS, collection, card.site, ())] = card.requests
        out[(OUTCOMES, collection, card.site, ("success",))] = card.successes
        site_requests += card.requests
        site_successes += card.successes
        for error_type, count in card.errors_by_type.items():
            out[(OUTCOMES, collection, card.site, (error_type,))] = count
            site_failures[error_type] = site_failures.get(error_type, 0) + count
    # What the totals count beyond the site rows (requests without a site) goes to
    # "other", so the site series add up to the run's totals.
    out[(REQUESTS, collection, _NO_SITE, ())] = max(0, totals.requests - site_requests)
    out[(OUTCOMES, collection, _NO_SITE, ("success",))] = max(0, totals.successes - site_successes)
    for error_type, count in totals.failures_by_type.items():
        rest = count - site_failures.get(error_type, 0)
        if rest > 0:
            out[(OUTCOMES, collection, _NO_SITE, (error_type,))] = rest
    out[(ITEMS, collection, None, ("found",))] = totals.items_found
    out[(ITEMS, collection, None, ("new",))] = totals.new_items
    out[(ITEMS, collection, None, ("updated",))] = totals.updated_items
    out[(ITEMS, collection, None, ("duplicate",))] = totals.duplicates
    for summary in frame.errors:
        key = (ERRORS, collection, None, (summary.error_type, summary.error_stage))
        out[key] = out.get(key, 0) + summary.count
    out[(RETRIES, collection, None, ())] = totals.retries
    out[(TASKS, collection, None, ("done",))] = totals.tasks_done
    out[(TASKS, collection, None, ("failed",))] = totals.tasks_failed
    out[(TASKS, collection, None, ("requeued",))] = totals.tasks_requeued
    return out


@dataclass
class _Seen:
    """The highest values seen of one run, and its bins at the last scrape."""

    marks: dict[Key, int] = field(default_factory=dict)
    bins: list[int] | None = None
    ended: bool = False
    """Its end was counted (and it has not become active again since)."""


class CounterTally:
    """Totals over every run this process has seen, under bounded labels."""

    def __init__(self, *, max_sites: int, max_collections: int) -> None:
        self.sites = StickyLabels(max_sites)
        self.collections = StickyLabels(max_collections)
        self.counters: dict[Key, int] = {}
        """Totals by (counter, collection label, site label or None, further labels)."""
        self.durations: dict[str, list[int]] = {}
        """Collection label -> request durations in ``DURATION_EDGES_MS`` bins."""
        self._seen: dict[str, _Seen] = {}

    def tracked(self) -> set[str]:
        """Runs folded before and not retired."""
        return set(self._seen)

    def fold(self, live: Iterable[RunReading]) -> None:
        """Add what the live runs did since the last scrape; first give free label places
        to the busiest collections and sites among them."""
        live = list(live)
        by_collection: dict[str, float] = {}
        by_site: dict[str, float] = {}
        for reading in live:
            frame = reading.frame
            name = collection_of(frame)
            by_collection[name] = by_collection.get(name, 0) + frame.totals.requests
            for card in frame.sites:
                by_site[card.site] = by_site.get(card.site, 0) + card.requests
        self.collections.admit(by_collection)
        self.sites.admit(by_site)
        for reading in live:
            self._fold_run(reading)

    def retire(self, run_id: str, final: RunFrame | None) -> None:
        """The run is no longer live here: fold its stored frame (when there is one) and
        stop tracking it."""
        if final is not None:
            self._fold_run(RunReading(run_id, final))
        self._seen.pop(run_id, None)

    def _fold_run(self, reading: RunReading) -> None:
        seen = self._seen.get(reading.run_id)
        if seen is None:
            seen = self._seen[reading.run_id] = _Seen()
        marks = seen.marks
        counters = self.counters
        for key, value in readings(reading.frame).items():
            mark = marks.get(key, 0)
            if value > mark:
                marks[key] = value
                bounded = self._bounded(key)
                counters[bounded] = counters.get(bounded, 0) + value - mark
        if reading.bins is not None:
            self._fold_bins(seen, collection_of(reading.frame), reading.bins)
        status = reading.frame.status
        if status.terminal and not seen.ended:
            # Once per end: a run revived and ended again counts again.
            key = self._bounded((RUNS_ENDED, collection_of(reading.frame), None, (status.value,)))
            counters[key] = counters.get(key, 0) + 1
        seen.ended = status.terminal

    def _fold_bins(self, seen: _Seen, collection: str, bins: Sequence[int]) -> None:
        previous = seen.bins
        if previous is None or sum(bins) < sum(previous):
            previous = [0] * len(bins)
        label = self.collections.label(collection)
        total = self.durations.get(label)
        if total is None:
            total = self.durations[label] = [0] * (OVERFLOW_BIN + 1)
        for index, (now, before) in enumerate(zip(bins, previous, strict=True)):
            if now > before:
                total[index] += now - before
        seen.bins = list(bins)

    def _bounded(self, key: Key) -> Key:
        counter, collection, site, extra = key
        collection = self.collections.label(collection)
        if site is not None:
            site = OTHER if site == _NO_SITE else self.sites.label(site)
        if counter == OUTCOMES and extra[0] != "success":
            extra = (error_type_label(extra[0]),)
        elif counter == ERRORS:
            extra = (error_type_label(extra[0]), stage_label(extra[1]))
        return (counter, collection, site, extra)
