"""What collector code sees: the run scope shared by workers and the per-task context."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import msgspec

from crawlscope.events import Action, ActivityEvent, ErrorStage
from crawlscope.runner.aiohttp_transport import AiohttpTransport
from crawlscope.runner.control import RunControl
from crawlscope.runner.errors import ParseError
from crawlscope.runner.frontier import FrontierRecorder
from crawlscope.runner.http import HttpClient
from crawlscope.runner.links import href_of, is_page_link, join_url
from crawlscope.runner.progress import Progress
from crawlscope.runner.queues import PhaseQueues
from crawlscope.runner.response import Response
from crawlscope.runner.site import SiteRegistry
from crawlscope.runner.task import Task
from crawlscope.runner.transport import Transport

if TYPE_CHECKING:
    from crawlscope.runner.collection import Collection
    from crawlscope.runner.sink import ItemPipeline
    from crawlscope.runner.work_queue import WorkQueue

__all__ = ["RunScope", "TaskContext", "TaskProgress"]


def _never_congested() -> bool:
    return False


async def _always_ready() -> None:
    return None


@dataclass
class RunScope:
    """Everything a run's workers share (``transport`` sends every ``ctx.http`` request)."""

    run_id: str
    collection: Collection
    params: dict[str, Any]
    emit: Callable[[ActivityEvent], None]
    control: RunControl
    sites: SiteRegistry
    progress: Progress
    queues: PhaseQueues
    pipeline: ItemPipeline | None
    rng: random.Random
    state: dict[str, Any] = field(default_factory=dict)
    transport: Transport = field(default_factory=AiohttpTransport)
    congested: Callable[[], bool] = field(default_factory=lambda: _never_congested)
    """The reporter's backpressure: workers ``await wait_ready()`` before a task while
    this is true (``Reporter.congested``)."""
    wait_ready: Callable[[], Awaitable[None]] = field(default_factory=lambda: _always_ready)
    frontier: FrontierRecorder | None = None
    """Where task changes are recorded for crash resume (None: not recorded)."""
    work_queue: WorkQueue | None = None
    """Where the run's tasks are worked on, if not by its own worker coroutines."""


class TaskProgress:
    """Progress changes made by one task attempt, applied only if the attempt succeeds."""

    __slots__ = ("_changes",)

    def __init__(self) -> None:
        self._changes: list[tuple[str, str, int]] = []

    def add_total(self, level: str, amount: int) -> None:
        """More work discovered at ``level`` (categories reveal products, ...)."""
        self._changes.append(("add_total", level, amount))

    def set_total(self, level: str, total: int) -> None:
        """The total at ``level`` is now known to be ``total``."""
        self._changes.append(("set_total", level, total))

    def advance(self, level: str, amount: int = 1) -> None:
        """``amount`` units finished at ``level``."""
        self._changes.append(("advance", level, amount))

    def apply_to(self, progress: Progress, phase: str | None = None) -> None:
        """Apply the recorded changes (made by a task of ``phase``)."""
        for op, level, amount in self._changes:
            if op == "advance":
                progress.advance(level, amount)
            else:
                getattr(progress, op)(level, amount, phase)


class TaskContext:
    """The handle a phase handler gets for one attempt at one task.

    Items, new tasks and progress changes are collected during the attempt and committed
    together when the handler returns, so a failed and retried attempt never counts twice.
    """

    # A class attribute: an attempt gets its own only when one of its requests had to wait
    # at a site gate (rate limit, Retry-After hold, open breaker, concurrency), so the
    # common attempt pays nothing for it.
    waited_ms: float = 0.0
    """Milliseconds this attempt's requests spent waiting at site gates."""
    # Also a class attribute until the attempt's first response sets it.
    response: Response | None = None
    """The last response this attempt received (what ``follow`` joins links against)."""

    def __init__(
        self, scope: RunScope, worker_id: int, phase: str, task: Task, attempt: int
    ) -> None:
        self.scope = scope
        self.worker_id = worker_id
        self.phase = phase
        self.task = task
        self.attempt = attempt
        # Made on first use: most attempts report no progress of their own.
        self._progress: TaskProgress | None = None
        self._items: list[tuple[str, Any]] = []
        self._tasks: list[tuple[Task, str | None]] = []

    @property
    def http(self) -> HttpClient:
        """The instrumented HTTP client for this attempt (see ``crawlscope.runner.http``)."""
        # A new (stateless, one-slot) client per access rather than one kept here: kept, it
        # and the context would reference each other, and that cycle per task left every
        # context to the garbage collector instead of freeing it at once (with a no-op
        # handler, removing it took the runner from about 16 to 12 µs per task, measured).
        return HttpClient(self)

    @property
    def progress(self) -> TaskProgress:
        """Progress changes of this attempt, applied to the run's progress if it succeeds."""
        progress = self._progress
        if progress is None:
            progress = self._progress = TaskProgress()
        return progress

    @property
    def run_id(self) -> str:
        """The run this task belongs to."""
        return self.scope.run_id

    @property
    def run_state(self) -> dict[str, Any]:
        """A dict shared by every task of this run in this process (for bookkeeping)."""
        return self.scope.state

    @property
    def params(self) -> dict[str, Any]:
        """The run's parameters (validated)."""
        return self.scope.params

    def emit(self, action: Action, **fields: Any) -> None:
        """Emit an event from this worker, with the task's labels filled in."""
        task = self.task
        self.scope.emit(
            ActivityEvent(
                run_id=self.scope.run_id,
                action=action,
                worker_id=self.worker_id,
                phase=self.phase,
                task=task.label,
                category=task.category,
                item=task.item,
                **fields,
            )
        )

    def add_items(self, items: Iterable[Any]) -> int:
        """Collect items for the dataset; returns how many were added.

        Items are dicts, ``msgspec.Struct``s or dataclasses. One without its dataset key is
        a ``ParseError`` at stage ``validation``.
        """
        collection = self.scope.collection
        if collection.dataset is None:
            raise ParseError(
                f"collection {collection.name!r} has no dataset to add items to",
                stage=ErrorStage.VALIDATION,
            )
        added = 0
        for item in items:
            data = item if isinstance(item, dict) else msgspec.to_builtins(item)
            if not isinstance(data, dict):
                raise ParseError(
                    f"item must be a mapping, got {type(item).__name__}",
                    stage=ErrorStage.VALIDATION,
                )
            try:
                key = collection.key_of(data)
            except KeyError as exc:
                raise ParseError(str(exc.args[0]), stage=ErrorStage.VALIDATION) from exc
            self._items.append((key, data))
            added += 1
        return added

    def add_item(self, item: Any) -> None:
        """Collect one item (see ``add_items``)."""
        self.add_items((item,))

    def enqueue(self, task: Task, *, phase: str | None = None) -> None:
        """Queue a task for this phase, or for a later one with ``phase=``.

        The task is queued when the handler returns successfully.
        """
        target = phase or task.phase or self.phase
        self.scope.queues.check_target(target, self.phase)
        self._tasks.append((task, target))

    def follow(
        self,
        link: Any,
        *,
        phase: str | None = None,
        response: Response | None = None,
        label: str | None = None,
        payload: dict[str, Any] | None = None,
        category: str | None = None,
        item: str | None = None,
        key: str | None = None,
        dedupe: bool = True,
    ) -> Task:
        """Queue a task for the page ``link`` points to, as Scrapy's ``response.follow``.

        ``link`` is a URL (relative, absolute or ``#fragment``), a selected attribute
        (``response.css("a.next::attr(href)")[0]``) or an ``<a>``/``<link>`` element. It is
        joined against ``response`` (default: the last response of this attempt; its
        ``<base href>`` counts) and the fragment dropped. The task goes to ``phase``
        (default: this one) with ``payload["url"]`` set to the absolute URL, labelled with
        the URL unless ``label`` is given, in this task's category unless ``category`` is
        given. Its key is the URL, so a page linked twice is fetched once per phase;
        ``key=`` sets another, ``dedupe=False`` none. Returns the task (queued, like
        ``enqueue``, when the handler returns). A link that cannot be followed (empty, not
        http(s), relative with nothing to join against) raises ``LinkError``.
        """
        source = response if response is not None else self.response
        url = join_url(source.base_url if source is not None else None, href_of(link))
        task = Task(
            label or url,
            payload={**(payload or {}), "url": url},
            category=category if category is not None else self.task.category,
            item=item,
            key=key if key is not None else (url if dedupe else None),
        )
        self.enqueue(task, phase=phase)
        return task

    def follow_all(self, links: Iterable[Any], **options: Any) -> list[Task]:
        """``follow`` every link of ``links`` (a ``SelectorList`` or URLs), same options.

        Links that cannot lead to a page are left out rather than raised: empty hrefs and
        other schemes (``mailto:``, ``tel:``, ``javascript:``), which any page's ``a``
        elements may have. Returns the tasks of the links followed.
        """
        tasks = []
        for link in links:
            href = href_of(link)
            if is_page_link(href):
                tasks.append(self.follow(href, **options))
        return tasks

    def parse_error(self, message: str, stage: str = ErrorStage.EXTRACTION) -> ParseError:
        """A ``ParseError`` to raise: ``raise ctx.parse_error("no price")``."""
        return ParseError(message, stage=stage)

    @property
    def items_added(self) -> int:
        """Items collected so far in this attempt."""
        return len(self._items)

    def commit(self) -> int:
        """Hand over items, tasks and progress; returns the number of items."""
        scope = self.scope
        for task, phase in self._tasks:
            scope.queues.put(task, phase)
        if self._progress is not None:
            self._progress.apply_to(scope.progress, self.phase)
        if self._items and scope.pipeline is not None:
            scope.pipeline.add(self.worker_id, self._items)
        return len(self._items)
