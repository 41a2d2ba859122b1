"""Declaring a collection: its phases, handlers, dataset, policies and parameters."""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import msgspec

from crawlscope.runner.errors import ConfigError
from crawlscope.runner.outcome import OutcomeRules
from crawlscope.runner.policy import SitePolicy
from crawlscope.runner.quality import ItemQuality, compile_quality
from crawlscope.runner.task import Task

if TYPE_CHECKING:
    from crawlscope.runner.context import TaskContext

__all__ = ["Collection", "Handler", "Phase", "SeedFn"]

Handler = Callable[["TaskContext", Task], Awaitable[None]]
SeedFn = Callable[[dict[str, Any]], Iterable[Task] | Awaitable[Iterable[Task]]]
KeyFn = Callable[[dict[str, Any]], Any]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\- ]{0,99}$")
MAX_WORKERS = 1000


@dataclass(frozen=True)
class Phase:
    """A stage with its own task queue, served by ``workers`` concurrent workers.

    ``overlap``: start together with the phase before instead of after it, taking tasks
    as the phases before queue them; it ends once they have all ended and its own queue
    is drained with nothing in progress.
    """

    name: str
    handler: Handler
    workers: int = 5
    overlap: bool = False


@dataclass
class Collection:
    """What to collect and how. Phases run one after another, in declaration order
    (a phase declared with ``overlap=True`` runs alongside the one before it).

    Example::

        shop = Collection("shop", dataset="sellers", key="seller_id")

        @shop.seed
        def seed(params):
            return [Task("home", payload={"url": params["base_url"]})]

        @shop.phase("catalog", workers=8)
        async def catalog(ctx, task):
            page = await ctx.http.get(task.payload["url"])
            ...

    Attributes:
        name: how the collection is registered and shown.
        dataset / key: where items go and the field (or function) that deduplicates them.
        item_schema: what an item should look like: a ``msgspec.Struct`` type, a pydantic
            model class or a JSON Schema dict (Draft 2020-12 unless it says otherwise).
            Each written batch reports its validation errors and field coverage (live
            data quality, docs/collections.md); invalid items are still stored.
        quality_fields: the fields whose coverage is counted, in display order (default:
            every field ``item_schema`` declares; without a schema, coverage only).
        site_policy / sites: the default per-host policy and per-host overrides.
        max_consecutive_failures: failed tasks in a row that pause the run (0 disables).
        task_attempts: tries per task when the handler raises ``ParseError`` (request
            retries are per request, in the site policy).
        task_retry_delay: seconds before the second try of a task (doubled each time).
        retry_handler_errors: also retry a task whose handler raised anything else (a
            ``KeyError`` in collector code: ``handler_error``). Off by default: a bug
            fails the same way every time, and retrying it only repeats its requests.
        outcome: when a run that reached its end is ``completed``,
            ``completed_with_errors`` or ``failed`` (``OutcomeRules``).
        progress_levels: progress levels in display order (others appear as first used).
        params: a ``msgspec.Struct`` type describing run parameters, validated at start.
    """

    name: str
    dataset: str | None = None
    key: str | KeyFn | None = None
    site_policy: SitePolicy = field(default_factory=SitePolicy)
    sites: Mapping[str, SitePolicy] = field(default_factory=dict)
    max_consecutive_failures: int = 5
    task_attempts: int = 3
    task_retry_delay: float = 0.5
    retry_handler_errors: bool = False
    outcome: OutcomeRules = field(default_factory=OutcomeRules)
    progress_levels: tuple[str, ...] = ()
    params: type[msgspec.Struct] | None = None
    item_schema: Any = None
    quality_fields: Sequence[str] | None = None
    phases: list[Phase] = field(default_factory=list)
    seed_fn: SeedFn | None = None
    quality: ItemQuality | None = field(init=False, default=None, repr=False, compare=False)
    """``item_schema`` and ``quality_fields`` compiled (None: no data quality)."""

    def __post_init__(self) -> None:
        # Compiled once, here, so a bad schema fails where the collection is declared and
        # the pipeline's hot path only calls ready validators.
        self.quality = compile_quality(self.item_schema, self.quality_fields)

    # -- declaring ------------------------------------------------------------------------

    def phase(
        self, name: str, *, workers: int = 5, overlap: bool = False
    ) -> Callable[[Handler], Handler]:
        """Decorator: register ``handler`` as the next phase.

        With ``overlap=True`` the phase starts together with the phase before it and
        works on tasks as soon as they are queued (a detail page is fetched while the
        listing that found it is still being crawled); see ``Phase``.
        """

        def register(handler: Handler) -> Handler:
            self.add_phase(name, handler, workers=workers, overlap=overlap)
            return handler

        return register

    def add_phase(
        self, name: str, handler: Handler, *, workers: int = 5, overlap: bool = False
    ) -> None:
        """Register a phase (see ``phase``)."""
        self.phases.append(Phase(name, handler, workers, overlap))

    def seed(self, fn: SeedFn) -> SeedFn:
        """Decorator: ``fn(params)`` returns the first tasks (sync or async)."""
        self.seed_fn = fn
        return fn

    def with_workers(self, workers: int, phase: str | None = None) -> Collection:
        """A copy with ``workers`` per phase (one phase if named); validates the value."""
        _check_workers(f"workers{f' of phase {phase!r}' if phase else ''}", workers)
        if phase is not None and phase not in self.phase_names:
            raise ConfigError(f"unknown phase {phase!r}; phases are {self.phase_names}")
        phases = [
            replace(p, workers=workers) if phase in (None, p.name) else p for p in self.phases
        ]
        return replace(self, phases=phases)

    # -- reading --------------------------------------------------------------------------

    @property
    def phase_names(self) -> list[str]:
        """Phase names in order."""
        return [p.name for p in self.phases]

    def validate(self) -> None:
        """Raise ``ConfigError`` naming the first bad setting."""
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            raise ConfigError(
                f"collection name {self.name!r} must be 1-100 letters, digits, "
                "spaces, '.', '_' or '-'"
            )
        if not self.phases:
            raise ConfigError(
                f"collection {self.name!r} has no phases; add one with @collection.phase(name)"
            )
        seen: set[str] = set()
        for phase in self.phases:
            if not isinstance(phase.name, str) or not _NAME.match(phase.name):
                raise ConfigError(f"phase name {phase.name!r} is not a valid name")
            if phase.name in seen:
                raise ConfigError(f"phase {phase.name!r} is declared twice")
            seen.add(phase.name)
            _check_workers(f"workers of phase {phase.name!r}", phase.workers)
            if not inspect.iscoroutinefunction(phase.handler):
                raise ConfigError(f"handler of phase {phase.name!r} must be an async function")
            if not isinstance(phase.overlap, bool):
                raise ConfigError(
                    f"overlap of phase {phase.name!r} must be True or False, got {phase.overlap!r}"
                )
            if phase.overlap and phase is self.phases[0]:
                raise ConfigError(
                    f"phase {phase.name!r} is the first phase: overlap=True needs a phase "
                    "before it to overlap with"
                )
        if self.seed_fn is None:
            raise ConfigError(
                f"collection {self.name!r} has no seed; add one with @collection.seed"
            )
        if (self.dataset is None) != (self.key is None):
            raise ConfigError("dataset and key must be given together")
        if self.quality is not None and self.dataset is None:
            raise ConfigError("item_schema and quality_fields need a dataset")
        if not isinstance(self.site_policy, SitePolicy):
            raise ConfigError("site_policy must be a SitePolicy")
        for host, policy in self.sites.items():
            if not isinstance(policy, SitePolicy):
                raise ConfigError(f"sites[{host!r}] must be a SitePolicy")
        _check_int("max_consecutive_failures", self.max_consecutive_failures, 0)
        _check_int("task_attempts", self.task_attempts, 1)
        if not isinstance(self.task_retry_delay, int | float) or self.task_retry_delay < 0:
            raise ConfigError(f"task_retry_delay must be >= 0, got {self.task_retry_delay!r}")
        if not isinstance(self.retry_handler_errors, bool):
            raise ConfigError(
                f"retry_handler_errors must be True or False, got {self.retry_handler_errors!r}"
            )
        if not isinstance(self.outcome, OutcomeRules):
            raise ConfigError(f"outcome must be an OutcomeRules, got {self.outcome!r}")

    def check_params(self, params: Mapping[str, Any] | None) -> dict[str, Any]:
        """Validate run parameters against ``params``; the error names the field."""
        given = dict(params or {})
        if self.params is None:
            return given
        try:
            value = msgspec.convert(given, self.params, strict=False)
        except msgspec.ValidationError as exc:
            raise ConfigError(f"invalid parameters for {self.name!r}: {exc}") from exc
        result: dict[str, Any] = msgspec.to_builtins(value)
        return result

    def key_of(self, item: dict[str, Any]) -> str:
        """The dedupe key of an item, as text."""
        if callable(self.key):
            value = self.key(item)
        elif self.key is not None:
            value = item.get(self.key)
        else:
            raise ConfigError(f"collection {self.name!r} has no dataset key")
        if value is None or value == "":
            raise KeyError(f"item has no {self.key if isinstance(self.key, str) else 'key'}")
        return str(value)


def _check_int(name: str, value: object, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}, got {value!r}")


def _check_workers(name: str, value: object) -> None:
    _check_int(name, value, 1)
    assert isinstance(value, int)
    if value > MAX_WORKERS:
        raise ConfigError(f"{name} must be at most {MAX_WORKERS}, got {value}")
