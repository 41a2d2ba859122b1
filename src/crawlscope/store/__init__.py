"""Storage: schema, migrations, repositories and the event recorder."""

from crawlscope.store.commands import COMMANDS, CommandQueue, RunCommand
from crawlscope.store.database import Database, StoreError, normalize_url
from crawlscope.store.datasets import DatasetSink, DatasetStore, WriteOutcome
from crawlscope.store.event_log import EventConflict, EventLog, EventQuery
from crawlscope.store.process_event_log import EventWriterError, ProcessEventLog, event_log_for
from crawlscope.store.recorder import Recorder
from crawlscope.store.run_store import RunRecord, RunStore

__all__ = [
    "COMMANDS",
    "CommandQueue",
    "Database",
    "DatasetSink",
    "DatasetStore",
    "EventConflict",
    "EventLog",
    "EventQuery",
    "EventWriterError",
    "ProcessEventLog",
    "Recorder",
    "RunCommand",
    "RunRecord",
    "RunStore",
    "StoreError",
    "WriteOutcome",
    "event_log_for",
    "normalize_url",
]
