"""Events from runners in other processes: validate a batch, drop known ids, publish the rest.

``POST /api/ingest`` (``crawlscope.api.routers.ingest``) only reads the body and maps
errors to HTTP; everything else lives here, usable and testable without HTTP:

* ``decode_batch`` decodes and validates a whole body with msgspec before anything is
  published, so a rejected batch stores nothing. Beyond the event's own constraints it
  enforces what the store and the aggregator rely on (column sizes, 32-bit integers,
  ISO-8601 times, the ``extra`` fields the aggregator reads), because a value the database
  refuses would otherwise stall the recorder and a value the aggregator cannot fold would
  break the run's numbers.
* ``Ingestor`` makes delivery idempotent by event id (against the store, within the batch
  and against events published but not yet written), publishes through
  ``Monitor.ingest`` and answers with the pending control commands of the batch's runs.

The wire types are what a remote runner (``crawlscope.client``) shares with the server;
``Ingestor`` needs the store (SQLAlchemy) and is loaded on first use (PEP 562), so the
client imports this package without the server's storage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crawlscope.ingest.validate import decode_batch
from crawlscope.ingest.wire import (
    MAX_ID_LENGTH,
    MAX_NESTING,
    MAX_RUNS_PER_BATCH,
    Ack,
    IngestBatch,
    IngestEvent,
    IngestRejected,
    IngestResult,
    IngestUnavailable,
    PendingCommand,
    event_index,
    ingest_components,
    ingest_schemas,
)

if TYPE_CHECKING:
    from crawlscope.ingest.ingestor import Ingestor

__all__ = [
    "MAX_ID_LENGTH",
    "MAX_NESTING",
    "MAX_RUNS_PER_BATCH",
    "Ack",
    "IngestBatch",
    "IngestEvent",
    "IngestRejected",
    "IngestResult",
    "IngestUnavailable",
    "Ingestor",
    "PendingCommand",
    "decode_batch",
    "event_index",
    "ingest_components",
    "ingest_schemas",
]


def __getattr__(name: str) -> Any:
    if name == "Ingestor":
        from crawlscope.ingest.ingestor import Ingestor

        globals()[name] = Ingestor
        return Ingestor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
