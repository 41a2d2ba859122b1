"""Storage: schema, migrations, repositories and the event recorder."""

from crawlscope.store.commands import COMMANDS, CommandQueue, RunCommand
from crawlscope.store.database import Database, StoreError, normalize_url
from crawlscope.store.datasets import DatasetSink, DatasetStore, WriteOutcome
from crawlscope.store.event_log import EventLog, EventQuery
from crawlscope.store.recorder import Recorder
from crawlscope.store.run_store import RunRecord, RunStore

__all__ = [
    "COMMANDS",
    "CommandQueue",
    "Database",
    "DatasetSink",
    "DatasetStore",
    "EventLog",
    "EventQuery",
    "Recorder",
    "RunCommand",
    "RunRecord",
    "RunStore",
    "StoreError",
    "WriteOutcome",
    "normalize_url",
]
