"""Everything a running server holds: settings, store, bus, frames, run manager, demo site.

Routers use the interfaces held here (``store``: the repositories, ``bus``: the event bus,
``frames``: the frame source, ``manager``), never the ``Monitor``'s parts; the monitor is
here to receive events (ingest) and to be stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.requests import HTTPConnection

from crawlscope.alerts.model import RuleError
from crawlscope.alerts.service import AlertService, rule_files_of
from crawlscope.alerts.wiring import build_alert_service
from crawlscope.api.live import LiveSources
from crawlscope.api.stream_registry import StreamRegistry
from crawlscope.bus import EventBus
from crawlscope.bus.select import bus_for
from crawlscope.config import Settings
from crawlscope.frame_source import FrameSource
from crawlscope.manager import RunManager
from crawlscope.metrics import MetricsExposition, MetricsSources
from crawlscope.monitor import Monitor
from crawlscope.project import Project, ProjectError, find_project
from crawlscope.reachability import Probe
from crawlscope.registry import CollectionRegistry
from crawlscope.schedules.clock import Clock, SystemClock
from crawlscope.schedules.model import ScheduleError
from crawlscope.schedules.scheduler import Scheduler
from crawlscope.schedules.service import ScheduleService
from crawlscope.store.repositories import Store
from crawlscope.system_sampler import SystemSampler

if TYPE_CHECKING:
    from crawlscope.demo.session import DemoSite
    from crawlscope.runner import Run
    from crawlscope.workqueue.presence import WorkerDirectory

__all__ = ["Services", "get_services"]

log = logging.getLogger(__name__)


@dataclass
class Services:
    """The server's long-lived objects, opened by the app's lifespan."""

    settings: Settings
    monitor: Monitor
    registry: CollectionRegistry
    manager: RunManager
    store: Store
    bus: EventBus
    frames: FrameSource
    live_sources: LiveSources
    schedules: ScheduleService
    scheduler: Scheduler
    system: SystemSampler
    """This server's system figures every 10 s, stored for the overview's chart."""
    demo_url: str | None = None
    demo_site: DemoSite | None = None
    heard: dict[str, float] = field(default_factory=dict)
    """Run id -> ``time.monotonic()`` of its remote runner's last accepted ingest request."""
    unstored_at_stop: int = 0
    """Events that could not be stored before the server stopped (see ``close``)."""
    alerts: AlertService | None = None
    """Alert rules, evaluation and notifications (None when ``alerts_enabled`` is off)."""
    streams: StreamRegistry = field(default_factory=StreamRegistry)
    """Open live streams by credential, ended when their access ends (stream_registry)."""
    metrics: MetricsExposition | None = None
    """``GET /metrics``: its counters live as long as the server (set by ``open``)."""
    probes: dict[str, Probe] = field(default_factory=dict)
    """``database`` and, with ``redis_url``, ``redis``: are they reachable, since when
    (``GET /api/health/services``, the dashboard's overview)."""
    worker_directory: WorkerDirectory | None = None
    """The worker processes there are (``work_queue = "redis"``), else None."""
    _stack: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)
    _scheduler_loop: asyncio.Task[None] | None = None

    @classmethod
    async def open(
        cls,
        settings: Settings,
        registry: CollectionRegistry | None = None,
        *,
        clock: Clock | None = None,
    ) -> Services:
        """Open the database (migrating it), start the monitor, the sweep of runs whose
        runner went silent, the re-check of open streams' credentials, if asked the demo,
        and the scheduler (``clock``: a test's instead of the system's)."""
        project = None
        if registry is None:
            # The project's collections and schedules (crawlscope.toml), if the server runs
            # in one.
            project = find_project()
            registry = project.registry() if project is not None else CollectionRegistry()
        monitor = Monitor(
            settings.database_url,
            bus=bus_for(settings),
            stale_after=settings.stale_run_after_s,
            max_unstored=settings.max_unstored_events,
            announce=False,
        )
        if settings.work_queue == "redis" and settings.redis_url:
            from crawlscope.workqueue import RedisWorkQueue
            from crawlscope.workqueue.presence import WorkerDirectory

            redis_url = settings.redis_url

            def work_queue() -> RedisWorkQueue:
                return RedisWorkQueue(
                    redis_url, prefix=settings.redis_prefix, lease_s=settings.worker_lease_s
                )

            monitor.work_queues = work_queue
            directory: WorkerDirectory | None = WorkerDirectory(
                redis_url, prefix=settings.redis_prefix
            )
        else:
            directory = None
        await monitor.start()
        store = monitor.store
        manager = RunManager(monitor, registry)
        scheduler = Scheduler(
            store.schedules,
            manager,
            clock=clock or SystemClock(max_sleep=settings.schedule_recheck_s),
            grace=timedelta(seconds=settings.schedule_misfire_grace_s),
        )
        services = cls(
            settings,
            monitor,
            registry,
            manager,
            store=store,
            bus=monitor.bus,
            frames=monitor.frames,
            live_sources=LiveSources.of(monitor),
            schedules=ScheduleService(
                store.schedules,
                registry,
                min_interval_s=settings.schedule_min_interval_s,
                on_change=scheduler.wake,
            ),
            scheduler=scheduler,
            system=SystemSampler(
                store.data_path,
                frames=monitor.frames,
                samples=store.system_samples,
                every_s=settings.system_sample_interval_s,
                keep_days=settings.system_sample_days,
            ),
        )
        services._stack.push_async_callback(services._stop_monitor)
        if directory is not None:
            services.worker_directory = directory
            services._stack.push_async_callback(directory.close)
        services.metrics = MetricsExposition(
            MetricsSources(
                frames=monitor.frames,
                count_runs=lambda status: store.runs.count(status=status),
                open_alerts=store.alerts.open_alerts,
                storage=monitor.storage_status,
                subscribers=monitor.bus.subscriber_count,
            ),
            max_sites=settings.metrics_max_sites,
            max_collections=settings.metrics_max_collections,
        )
        services.probes["database"] = Probe("database", store.check)
        if settings.redis_url:
            services.probes["redis"] = Probe("redis", monitor.bus.ping)
            from crawlscope.bus.redis_streams import RedisBus  # redis-py: only with redis_url

            if isinstance(monitor.bus, RedisBus):
                # A run's counter lost with Redis's memory continues after the stored seqs.
                monitor.bus.seq_floor = store.events.max_seq
        for probe in services.probes.values():
            probe.start()
            services._stack.push_async_callback(probe.stop)
        sweep = asyncio.create_task(services._sweep_loop(), name="crawlscope-stale-run-sweep")
        services._stack.push_async_callback(_cancel, sweep)
        recheck = asyncio.create_task(
            services.streams.recheck_forever(store.tokens, settings.stream_auth_recheck_s),
            name="crawlscope-stream-auth-recheck",
        )
        services._stack.push_async_callback(_cancel, recheck)
        prune = asyncio.create_task(services._prune_loop(), name="crawlscope-prune")
        services._stack.push_async_callback(_cancel, prune)
        await services.system.start()
        services._stack.push_async_callback(services.system.stop)
        if settings.demo:
            try:
                await services._start_demo()
            except BaseException:
                await services.close()
                raise
        if project is not None:
            try:
                await services._sync_declared_schedules(project)
            except BaseException:
                await services.close()
                raise
        if settings.alerts_enabled:
            try:
                await services._start_alerts(project)
            except BaseException:
                await services.close()
                raise
        if settings.scheduler:
            # Last: the schedules' collections (the demo's among them) are registered now.
            services._scheduler_loop = asyncio.create_task(
                scheduler.run_forever(), name="crawlscope-scheduler"
            )
        return services

    async def _sync_declared_schedules(self, project: Project) -> None:
        """Make the stored file schedules match the project's ``[[schedules]]``."""
        try:
            report = await self.schedules.sync_declared(project.schedule_specs())
        except ScheduleError as exc:
            raise ProjectError(f"{project.file}: {exc} (field {exc.field})") from exc
        if report.changed:
            log.info(
                "schedules from %s: created %s, updated %s, removed %s",
                project.file,
                report.created or "none",
                report.updated or "none",
                report.removed or "none",
            )

    async def _start_alerts(self, project: Project | None) -> None:
        """Load the rule files (the project's and ``alert_rules``) and start evaluating;
        a bad rule file stops the server from starting, with the file and line."""
        settings = self.settings
        files = rule_files_of(Path.cwd(), settings.alert_rules)
        if project is not None:
            files += rule_files_of(project.root, project.alerts)
        service = build_alert_service(
            store=self.store,
            frames=self.frames,
            manager=self.manager,
            emit=self.monitor.emit,
            schedules=self.schedules.views,
            system=self.system,
            rule_files=sorted(set(files)),
            builtins_on=settings.alert_builtins,
            interval_s=settings.alert_interval_s,
            history_days=settings.alert_history_days,
        )
        try:
            await service.start()
        except RuleError as exc:
            raise ProjectError(f"alert rules: {exc}") from exc
        self.alerts = service
        self._stack.push_async_callback(service.stop)
        log.info("alerting: %d rules from %d rule files", len(service.book.rules), len(files))

    async def _start_demo(self) -> None:
        # Imported here: the demo is optional and the API must not depend on it otherwise.
        from crawlscope.demo.collection import demo_collection
        from crawlscope.demo.session import running_demo_site

        scale = self.settings.demo_scale
        site = await self._stack.enter_async_context(running_demo_site(scale=scale))
        self.demo_url = site.url
        self.demo_site = site
        self.registry.register(
            demo_collection(dataset=f"demo_sellers_{scale}_{site.catalog.seed}"),
            description=f"Crawl the bundled demo marketplace at {site.url} ({scale}).",
            defaults={"base_url": site.url},
        )
        run = await self.manager.start("demo")
        log.info("demo site on %s, demo run %s started", site.url, run.run_id)
        if self.settings.demo_repeat_s is not None:
            repeat = asyncio.create_task(
                self._repeat_demo(run, self.settings.demo_repeat_s), name="crawlscope-demo-repeat"
            )
            self._stack.push_async_callback(_cancel, repeat)

    async def _repeat_demo(self, run: Run, pause: float) -> None:
        """Keep a demo run going, so whoever opens the dashboard later has one to watch."""
        while True:
            await run.wait()
            await asyncio.sleep(pause)
            # A demo run started meanwhile (from the API or the dashboard) is followed instead.
            running = [r for r in self.manager.running if r.collection.name == "demo"]
            try:
                run = running[0] if running else await self.manager.start("demo")
            except Exception:
                log.exception("starting the next demo run failed; the demo stops repeating")
                return

    def heard_from(self, run_ids: Iterable[str]) -> None:
        """A remote runner's request for these runs was accepted: they are alive."""
        now = time.monotonic()
        for run_id in run_ids:
            self.heard[run_id] = now

    async def _sweep_loop(self) -> None:
        """Mark runs whose runner went silent ``interrupted`` (``Monitor.sweep_stale_runs``)."""
        stale_after = self.settings.stale_run_after_s
        # A run is marked at most a quarter of ``stale_after`` (or 5 s) late.
        interval = min(5.0, stale_after / 4)
        failing_since: float | None = None
        reminded = 0.0
        while True:
            await asyncio.sleep(interval)
            try:
                await self.monitor.sweep_stale_runs(
                    running_here=lambda run_id: self.manager.local(run_id) is not None,
                    heard=self.heard,
                )
                failing_since = None
            except Exception as exc:
                # A database outage fails every round: the traceback once, then a line
                # every 30 s (the health probe reports the outage itself).
                now = time.monotonic()
                if failing_since is None:
                    failing_since = reminded = now
                    log.exception("sweeping stale runs failed; will retry")
                elif now - reminded >= 30:
                    reminded = now
                    log.warning(
                        "sweeping stale runs still fails after %.0fs (%s); will retry",
                        now - failing_since,
                        exc,
                    )
            # Entries long past the horizon have done their job (the run was marked).
            forget = time.monotonic() - 10 * stale_after
            for run_id in [r for r, at in self.heard.items() if at < forget]:
                del self.heard[run_id]

    async def _prune_loop(self) -> None:
        """Delete raw events and minute rollups past their retention, every
        ``prune_interval_s`` (the first round a minute after start-up, not during it)."""
        settings = self.settings
        retention = self.store.retention(
            raw_event_days=settings.raw_event_days,
            minute_rollup_days=settings.minute_rollup_days,
            batch_rows=settings.prune_batch_rows,
        )
        await asyncio.sleep(min(60.0, settings.prune_interval_s))
        while True:
            try:
                report = await retention.prune()
                if report.runs or report.minute_rollups:
                    log.info(
                        "retention: deleted %d raw events and %d frontier tasks of %d runs"
                        " and %d minute rollups",
                        report.events,
                        report.tasks,
                        report.runs,
                        report.minute_rollups,
                    )
            except Exception:  # the database may be failing; try again next round
                log.exception("pruning raw events and rollups failed; will retry")
            await asyncio.sleep(settings.prune_interval_s)

    async def _stop_monitor(self) -> None:
        self.unstored_at_stop = await self.monitor.stop(self.settings.shutdown_timeout_s)

    async def close(self) -> None:
        """Stop the scheduler, cancel local runs, stop the demo site, store everything and
        close the database."""
        if self._scheduler_loop is not None:
            # First: no new run may start while the running ones are being cancelled.
            await _cancel(self._scheduler_loop)
            self._scheduler_loop = None
        await self.manager.shutdown()
        await self._stack.aclose()


def get_services(conn: HTTPConnection) -> Services:
    """FastAPI dependency (HTTP and WebSocket routes): the app's ``Services``."""
    services: Services = conn.app.state.services
    return services


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
