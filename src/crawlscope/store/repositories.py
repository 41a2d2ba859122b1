"""What the rest of crawlscope may ask of storage, as Protocols.

The SQL implementations (``RunStore``, ``EventLog``/``ProcessEventLog``, ``CommandQueue``,
``DatasetStore``, ``TokenStore``, ``SeriesStore``, ``ScheduleStore``, ``AlertStore``)
serve SQLite and PostgreSQL with the same code, and one test suite runs against both
(tests/store/, one file per repository, through the ``store`` fixture). The server,
ingest, health and the command line depend on these Protocols and on ``Store``, never on
the SQL classes, so another backend can stand in.
"""

from __future__ import annotations

import builtins
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from crawlscope.aggregate.frames import RunFrame, RunTotals
from crawlscope.aggregate.series import RunSeries
from crawlscope.alerts.model import AlertRecord, AlertState, DeliveryAttempt, Rule, Silence
from crawlscope.events import ActivityEvent
from crawlscope.runner.frontier import FrontierUpdate, SavedFrontier
from crawlscope.runner.task import Task
from crawlscope.schedules.model import ScheduleSource, ScheduleSpec, SlotOutcome
from crawlscope.status import ControlCommand, ControlOutcome, RunStatus
from crawlscope.store.alerts import AlertTransition, RuleChange, StoredRule
from crawlscope.store.analytics import Range
from crawlscope.store.analytics_types import (
    CostReport,
    ErrorReport,
    Heatmap,
    Prices,
    RunComparison,
    RunInsights,
    SiteTable,
    Summary,
    Trends,
)
from crawlscope.store.commands import RunCommand
from crawlscope.store.datasets import BatchOutcome, DatasetInfo, FieldNames, WriteOutcome
from crawlscope.store.event_log import EventQuery
from crawlscope.store.field_insights import FieldInsights
from crawlscope.store.retention import PruneReport
from crawlscope.store.run_store import DayTotals, RunRecord, StatusChange
from crawlscope.store.schedules import ScheduleRecord, SlotRecord
from crawlscope.store.system_samples import SampleHistory, SystemSample
from crawlscope.store.tokens import SessionRecord, TokenRecord

__all__ = [
    "AlertRepository",
    "AnalyticsRepository",
    "CommandRepository",
    "DatasetRepository",
    "EventRepository",
    "FrontierRepository",
    "RetentionRepository",
    "RunRepository",
    "ScheduleRepository",
    "SeriesRepository",
    "Store",
    "TokenRepository",
]


class RunRepository(Protocol):
    """One row per run: its status, totals, progress and last frame."""

    async def create(
        self,
        run_id: str,
        collection: str,
        params: dict[str, Any] | None = None,
        *,
        origin: str = "local",
        dataset: str | None = None,
        status: RunStatus = RunStatus.PENDING,
    ) -> bool:
        """Insert a run unless it exists; whether it was created."""

    async def save_frame(self, frame: RunFrame, *, heartbeat: bool = True) -> None:
        """Write a run's current frame onto its row (creating the row if needed)."""

    async def set_status(self, run_id: str, change: StatusChange) -> bool:
        """Change status (and end) outside the event flow, frame included."""

    async def get(self, run_id: str) -> RunRecord | None:
        """One run with its last frame."""

    async def list(
        self,
        *,
        status: str | Collection[str] | None = None,
        exclude_status: Collection[str] = (),
        limit: int = 50,
        offset: int = 0,
    ) -> builtins.list[RunRecord]:
        """Runs, newest first, without frames."""

    async def count(self, *, status: str | Collection[str] | None = None) -> int:
        """How many runs ``list`` pages through."""

    async def totals_since(
        self, since: datetime, *, overrides: Mapping[str, RunTotals] | None = None
    ) -> DayTotals:
        """Runs created since ``since`` and the sums of their totals."""

    async def active_ids(self) -> builtins.list[str]:
        """Runs stored as pending, running or paused."""


class EventRepository(Protocol):
    """The event log: batched appends, paged reads by run and seq."""

    async def start(self) -> None:
        """Prepare for appends (a writer process, say)."""

    async def close(self) -> None:
        """Release what ``start`` and ``append_events`` acquired."""

    async def append_events(self, events: Sequence[ActivityEvent]) -> None:
        """Store events in one transaction, all or nothing (``EventConflict`` on a taken
        ``(run_id, seq)`` or ``id``; any other error: nothing stored, retry)."""

    async def read(self, query: EventQuery) -> list[ActivityEvent]:
        """Events of one run after a seq, oldest first, filtered."""

    async def read_all(self, run_id: str, batch: int = 5000) -> list[ActivityEvent]:
        """Every stored event of a run."""

    async def max_seq(self, run_id: str) -> int:
        """The highest stored seq of a run (0 if none)."""

    async def count(self, run_id: str) -> int:
        """How many events of a run are stored."""

    async def known_ids(self, ids: Iterable[str]) -> set[str]:
        """Which of ``ids`` are stored."""


class CommandRepository(Protocol):
    """Pause/resume/cancel requests for runners in other processes, and their answers."""

    async def enqueue(self, run_id: str, command: ControlCommand) -> int:
        """Leave a command for a run's runner; its id."""

    async def unhandled(self, run_id: str) -> list[RunCommand]:
        """A run's commands its runner has not answered yet, oldest first."""

    async def pending(self, run_id: str) -> Sequence[tuple[int, ControlCommand]]:
        """``(id, command)`` of ``unhandled``: the runner's ``ControlSource``."""

    async def acknowledge(self, command_id: int, outcome: ControlOutcome) -> None:
        """Record a runner's answer."""

    async def acknowledge_text(self, command_id: int, outcome: str) -> None:
        """Record a runner's answer in its text form (received from another process)."""

    async def outcome(self, command_id: int) -> ControlOutcome | None:
        """The answer to a command, None while unanswered."""


class DatasetRepository(Protocol):
    """Collected items, deduplicated by key per dataset."""

    async def write(
        self, dataset: str, run_id: str, items: Sequence[tuple[str, Any]]
    ) -> WriteOutcome:
        """Insert or update ``(key, item)`` pairs with distinct keys, in one transaction."""

    async def count(self, dataset: str) -> int:
        """How many items the dataset holds."""

    async def keys(self, dataset: str) -> list[str]:
        """Every key, sorted."""

    async def items(self, dataset: str, limit: int = 100, offset: int = 0) -> list[Any]:
        """A page of items, ordered by key."""

    async def run_items(
        self, dataset: str, run_id: str, *, limit: int = 100, offset: int = 0
    ) -> tuple[int, list[Any]]:
        """``(total, page)`` of the items a run inserted or saw last."""

    async def write_batch(
        self, dataset: str, run_id: str, batch_id: str, items: Sequence[tuple[str, Any]]
    ) -> BatchOutcome:
        """``write`` a batch that may come again: the same ``(run_id, batch_id)`` is
        answered with its first outcome (``replayed``), not written twice;
        ``BatchMismatch`` if that id was stored with another dataset or other items."""

    async def forget_batches(self, before: datetime) -> int:
        """Drop the remembered outcomes of batches stored before ``before``."""

    async def rows_after(
        self, dataset: str, after: str | None, *, limit: int = 1000, run_id: str | None = None
    ) -> list[tuple[str, str]]:
        """``(key, item JSON text)`` of the next items after key ``after``, by key (keyset
        paging); with ``run_id`` only the items ``run_items`` counts for the run."""

    async def field_names(self, dataset: str, *, run_id: str | None = None) -> FieldNames:
        """Every top-level field name of the items (of a run), sorted (``TooManyFields``
        beyond ``MAX_FIELDS``)."""

    async def datasets(self) -> list[DatasetInfo]:
        """Every dataset with its item count and latest change."""


class TokenRepository(Protocol):
    """API tokens and browser sessions (hashes only)."""

    async def create_token(
        self, *, name: str, role: str, token_hash: str, prefix: str, now: datetime
    ) -> TokenRecord:
        """Insert a token (``TokenExists`` if an active one has the name)."""

    async def list_tokens(self, *, include_revoked: bool = True) -> list[TokenRecord]:
        """Tokens in creation order."""

    async def get_token(self, token_id: int) -> TokenRecord | None:
        """A token by id."""

    async def find_token(self, id_or_name: str) -> TokenRecord | None:
        """A token by id or name."""

    async def active_token_by_hash(self, token_hash: str) -> TokenRecord | None:
        """The unrevoked token with this hash."""

    async def touch_token(self, token_id: int, now: datetime) -> None:
        """Record a use of a token."""

    async def revoke_token(self, token_id: int, now: datetime) -> tuple[TokenRecord, int] | None:
        """Revoke a token and end its sessions."""

    async def create_session(
        self, *, session_hash: str, token_id: int, now: datetime, expires_at: datetime
    ) -> SessionRecord:
        """Store a session."""

    async def live_session(
        self, session_hash: str, *, now: datetime
    ) -> tuple[SessionRecord, TokenRecord] | None:
        """The unexpired session with this hash and its unrevoked token."""

    async def delete_session(self, session_hash: str) -> bool:
        """End a session."""

    async def session_count(self, token_id: int | None = None) -> int:
        """Stored sessions (of one token)."""


class FrontierRepository(Protocol):
    """Runs' frontiers: the tasks they queued and where each stands (crash resume)."""

    async def save(self, run_id: str, update: FrontierUpdate) -> None:
        """Apply one batch of changes in one transaction (the runner's ``FrontierSink``)."""

    async def load(self, run_id: str) -> SavedFrontier | None:
        """What a resumed run starts from; None if the run saved no frontier."""

    async def failed(self, run_id: str) -> list[tuple[str, Task]]:
        """``(phase, task)`` of the tasks that failed for good, in queue order."""

    async def counts(self, run_id: str) -> dict[str, int]:
        """Tasks by state (pending, done, failed)."""


class SeriesRepository(Protocol):
    """Chart series computed from a run's stored events."""

    async def series(self, run_id: str, points: int) -> RunSeries | None:
        """The run's series in at most ``points`` buckets; None if no such run."""


class ScheduleRepository(Protocol):
    """Schedules, and the slots servers claimed for them (one server per slot)."""

    async def create(
        self, spec: ScheduleSpec, *, now: datetime, source: ScheduleSource = ScheduleSource.API
    ) -> ScheduleRecord:
        """Store a checked schedule (``ScheduleExists`` if its name is taken)."""

    async def get(self, schedule_id: int) -> ScheduleRecord | None:
        """One schedule by id, with its newest claimed slot."""

    async def find(self, id_or_name: str) -> ScheduleRecord | None:
        """One schedule by id or name."""

    async def list(self) -> builtins.list[ScheduleRecord]:
        """Every schedule, by name."""

    async def update(
        self,
        schedule_id: int,
        spec: ScheduleSpec,
        *,
        now: datetime,
        source: ScheduleSource | None = None,
    ) -> ScheduleRecord | None:
        """Replace a definition; a new timing (or enabling) counts from ``now``."""

    async def set_enabled(
        self, schedule_id: int, enabled: bool, *, now: datetime
    ) -> ScheduleRecord | None:
        """Pause or resume (resuming counts from ``now``)."""

    async def delete(self, schedule_id: int) -> bool:
        """Remove a schedule and its slot records; whether it existed."""

    async def claim(
        self,
        schedule_id: int,
        slot_at: datetime,
        *,
        outcome: SlotOutcome,
        claimed_by: str,
        now: datetime,
        reason: str | None = None,
        missed: int = 0,
    ) -> int | None:
        """Take a slot: its id for exactly one caller per ``(schedule_id, slot_at)``, on
        any number of connections and processes; None for the others, or when the
        schedule is gone or paused."""

    async def settle(
        self,
        slot_id: int,
        outcome: SlotOutcome,
        *,
        run_id: str | None = None,
        reason: str | None = None,
    ) -> None:
        """Record what became of a claimed slot."""

    async def take_queued(self, slot_id: int, *, claimed_by: str, now: datetime) -> bool:
        """Take a queued slot to start it; True for exactly one caller."""

    async def fail_unstarted(self, claimed_before: datetime) -> int:
        """Slots still ``starting`` that were claimed before ``claimed_before`` (their
        server died between claim and start) become ``failed``; returns how many."""

    async def slots(
        self, schedule_id: int, *, limit: int = 20, offset: int = 0
    ) -> builtins.list[SlotRecord]:
        """A schedule's slots, newest first, with their runs' status."""

    async def slot_count(self, schedule_id: int) -> int:
        """How many slots of a schedule are recorded."""

    async def queued(self) -> builtins.list[SlotRecord]:
        """Queued slots of every schedule, oldest first."""

    async def active_runs(self, schedule_id: int) -> builtins.list[str]:
        """Runs the schedule started that are still active."""

    async def schedule_of_run(self, run_id: str) -> int | None:
        """The schedule that started a run, if any."""


class AlertRepository(Protocol):
    """Alert rules defined through the API (with their history), alerts and their
    timeline, notification delivery attempts and silences. Each call is one transaction."""

    # API rules

    async def list_rules(self) -> builtins.list[StoredRule]:
        """Every API rule, by name."""

    async def get_rule(self, name: str) -> StoredRule | None:
        """One API rule by name."""

    async def save_rule(self, rule: Rule, *, by: str | None) -> StoredRule:
        """Create (history ``created``) or replace (next version, history ``updated``)
        atomically; saving the stored definition again changes nothing."""

    async def set_rule_enabled(
        self, name: str, enabled: bool, *, by: str | None
    ) -> StoredRule | None:
        """Switch on or off (next version, history ``enabled``/``disabled``); None if
        there is no such rule."""

    async def delete_rule(self, name: str, *, by: str | None) -> bool:
        """Remove (history ``deleted``); whether it existed."""

    async def rule_history(self, name: str, limit: int = 100) -> builtins.list[RuleChange]:
        """A rule's changes, newest first (also after it was deleted)."""

    # alerts

    async def save_alert(self, alert: AlertRecord, *, transition: bool) -> None:
        """Upsert by id; with ``transition``, add its state to the timeline."""

    async def save_alerts(self, changes: Sequence[tuple[AlertRecord, bool]]) -> None:
        """``save_alert`` for many, in one transaction."""

    async def open_alerts(self) -> builtins.list[AlertRecord]:
        """Pending and firing alerts."""

    async def list_alerts(
        self,
        *,
        states: Collection[AlertState] | None = None,
        run_id: str | None = None,
        rule: str | None = None,
        since: datetime | None = None,
        limit: int = 200,
    ) -> builtins.list[AlertRecord]:
        """Alerts by the filters given, most recently changed first."""

    async def get_alert(self, alert_id: str) -> AlertRecord | None:
        """One alert by id."""

    async def transitions(
        self,
        *,
        alert_id: str | None = None,
        run_id: str | None = None,
        since: datetime | None = None,
        limit: int = 500,
    ) -> builtins.list[AlertTransition]:
        """The timeline by the filters given, newest first."""

    async def count_open(self) -> dict[str, int]:
        """``{"firing": n, "pending": m}``."""

    # deliveries

    async def record_delivery(self, attempt: DeliveryAttempt) -> None:
        """Keep one attempt to send a notification."""

    async def deliveries(
        self, *, limit: int = 100, notification_key: str | None = None
    ) -> builtins.list[DeliveryAttempt]:
        """Delivery attempts, newest first."""

    # silences

    async def add_silence(self, silence: Silence) -> None:
        """Store a new silence (``SilenceExists`` if its id is taken)."""

    async def expire_silence(self, silence_id: str, at: datetime) -> Silence | None:
        """End a silence at ``at``; None if unknown."""

    async def list_silences(
        self,
        *,
        active_at: datetime | None = None,
        include_expired: bool = True,
        limit: int = 200,
    ) -> builtins.list[Silence]:
        """Silences, newest first: in force at ``active_at``, or not ended yet."""

    async def prune(self, *, before: datetime) -> int:
        """Delete resolved alerts, deliveries and silences that ended before ``before``;
        how many rows."""


class RetentionRepository(Protocol):
    """Pruning raw events and minute rollups past their age (``crawlscope.store.retention``)."""

    async def plan(self, now: datetime | None = None) -> PruneReport:
        """What ``prune`` would delete at ``now``, counted; nothing is deleted."""

    async def prune(self, now: datetime | None = None) -> PruneReport:
        """Delete what is past its age, in short transactions; what was deleted."""


class SystemSampleRepository(Protocol):
    """System samples of the server and of remote runners' hosts, kept a week."""

    async def add(self, source: str, sample: SystemSample) -> None:
        """Store one sample (one per source and second)."""

    async def history(
        self, source: str, *, since: int, until: int, points: int = 720, interval_s: int = 10
    ) -> SampleHistory:
        """A source's samples in ``[since, until)`` (Unix seconds), at most ``points``."""

    async def sources(self) -> builtins.list[str]:
        """Every source with samples."""

    async def prune(self, *, before: int) -> int:
        """Delete samples older than ``before``; how many."""


class AnalyticsRepository(Protocol):
    """Analytics over history, read from rollups and run summaries only."""

    async def summary(self, span: Range, prices: Mapping[str, Prices]) -> Summary:
        """Totals over a range."""

    async def trends(self, span: Range, resolution: str) -> Trends:
        """Buckets of one resolution over a range."""

    async def sites(self, span: Range) -> SiteTable:
        """Each target site's figures."""

    async def heatmap(self, span: Range, zone: ZoneInfo = ...) -> Heatmap:
        """Hour of day x weekday in ``zone`` (default UTC)."""

    async def errors(self, span: Range, limit: int = 50) -> ErrorReport:
        """Error groups with counts over time."""

    async def insights(self, span: Range, limit: int = 500) -> RunInsights:
        """Items per run over time."""

    async def costs(
        self, span: Range, prices: Mapping[str, Prices], limit: int = 500
    ) -> CostReport:
        """Cost per run and in total."""

    async def fields(
        self, span: Range, fields: Sequence[str] | None = None, sample: int = 5000
    ) -> FieldInsights:
        """Value counts and distributions of a collection's fields over its items."""

    async def compare(self, a: str, b: str, prices: Mapping[str, Prices]) -> RunComparison:
        """Two runs of one collection side by side."""


class Store(Protocol):
    """Every repository over one database, and the database's own health."""

    def retention(
        self, *, raw_event_days: float, minute_rollup_days: float, batch_rows: int = 5000
    ) -> RetentionRepository:
        """Pruning with these ages (days) and at most ``batch_rows`` events a transaction."""

    @property
    def runs(self) -> RunRepository:
        """The runs table."""

    @property
    def events(self) -> EventRepository:
        """The event log."""

    @property
    def commands(self) -> CommandRepository:
        """Control commands."""

    @property
    def datasets(self) -> DatasetRepository:
        """Dataset items."""

    @property
    def tokens(self) -> TokenRepository:
        """Tokens and sessions."""

    @property
    def series(self) -> SeriesRepository:
        """Chart series."""

    @property
    def frontiers(self) -> FrontierRepository:
        """Runs' frontiers."""

    @property
    def schedules(self) -> ScheduleRepository:
        """Schedules and their slots."""

    @property
    def alerts(self) -> AlertRepository:
        """API alert rules, alerts, deliveries and silences."""

    @property
    def system_samples(self) -> SystemSampleRepository:
        """System samples."""

    @property
    def analytics(self) -> AnalyticsRepository:
        """Analytics over rollups and run summaries."""

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""

    @property
    def display_url(self) -> str:
        """Where the data lives, password masked."""

    @property
    def data_path(self) -> str:
        """A local file the data lives in ("" when on a server): for disk figures."""

    @property
    def created(self) -> bool:
        """``open`` found no schema and created it: a new, empty database."""

    async def open(self) -> None:
        """Connect and bring the schema up to date."""

    async def close(self) -> None:
        """Close the event writer and every connection."""

    async def ping(self) -> bool:
        """Whether the database answers."""

    async def check(self) -> None:
        """Run a trivial query; raises what the driver raised when the database does not
        answer (``crawlscope.reachability.Probe`` keeps it as the outage's reason)."""

    async def schema_current(self) -> bool:
        """Whether the schema is at the newest migration."""

    def file_problem(self) -> str | None:
        """What happened to a database file since it was opened (deleted, replaced); None
        when fine or when the database is not a file. Cheap enough to ask often."""
