"""Storage: the repository Protocols, their SQL implementation, migrations, the recorder."""

from crawlscope.store.alerts import (
    AlertStore,
    AlertTransition,
    RuleChange,
    RuleChangeKind,
    SilenceExists,
    StoredRule,
)
from crawlscope.store.commands import CommandQueue, RunCommand
from crawlscope.store.database import Database, StoreError, normalize_url
from crawlscope.store.datasets import DatasetSink, DatasetStore, WriteOutcome
from crawlscope.store.event_log import EventConflict, EventLog, EventQuery
from crawlscope.store.process_event_log import EventWriterError, ProcessEventLog, event_log_for
from crawlscope.store.recorder import Recorder, RecorderStats
from crawlscope.store.repositories import (
    AlertRepository,
    CommandRepository,
    DatasetRepository,
    EventRepository,
    RunRepository,
    ScheduleRepository,
    SeriesRepository,
    Store,
    TokenRepository,
)
from crawlscope.store.run_store import RunRecord, RunStore, RunSummary, StatusChange
from crawlscope.store.schedules import ScheduleExists, ScheduleRecord, ScheduleStore, SlotRecord
from crawlscope.store.sql_store import SqlStore

__all__ = [
    "AlertRepository",
    "AlertStore",
    "AlertTransition",
    "CommandQueue",
    "CommandRepository",
    "Database",
    "DatasetRepository",
    "DatasetSink",
    "DatasetStore",
    "EventConflict",
    "EventLog",
    "EventQuery",
    "EventRepository",
    "EventWriterError",
    "ProcessEventLog",
    "Recorder",
    "RecorderStats",
    "RuleChange",
    "RuleChangeKind",
    "RunCommand",
    "RunRecord",
    "RunRepository",
    "RunStore",
    "RunSummary",
    "ScheduleExists",
    "ScheduleRecord",
    "ScheduleRepository",
    "ScheduleStore",
    "SeriesRepository",
    "SilenceExists",
    "SlotRecord",
    "SqlStore",
    "StatusChange",
    "Store",
    "StoreError",
    "StoredRule",
    "TokenRepository",
    "WriteOutcome",
    "event_log_for",
    "normalize_url",
]
