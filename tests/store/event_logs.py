"""Event logs to test, and events to store in them.

A store's event log depends on the backend: a SQLite file's events are inserted by a
writer process unless turned off (``inline``); PostgreSQL always inserts in-process. The
event log and recorder tests run on all three (``EVENT_LOGS``, applied with
``pytest.mark.parametrize(..., indirect=True)`` to the ``database_url`` and
``event_writer`` fixtures that make the ``store``).
"""

from __future__ import annotations

import pytest

from crawlscope.events import Action, ActivityEvent

__all__ = ["EVENT_LOGS", "sample_events"]

EVENT_LOGS = pytest.mark.parametrize(
    ("database_url", "event_writer"),
    [
        pytest.param("sqlite", "process", id="sqlite-process"),
        pytest.param("sqlite", "inline", id="sqlite-inline"),
        pytest.param("postgresql", "inline", id="postgresql"),
    ],
    indirect=True,
)


def sample_events(run_id: str, n: int, start: int = 1) -> list[ActivityEvent]:
    """``n`` events of a run from seq ``start``: every fifth an error, three workers (worker
    0's events are the pipeline's, on behalf of worker 2), JSON params and extra."""
    out = []
    for seq in range(start, start + n):
        worker = seq % 3
        out.append(
            ActivityEvent(
                run_id=run_id,
                action=Action.ERROR if seq % 5 == 0 else Action.FOUND,
                worker_id=worker,
                source_worker_id=2 if worker == 0 else None,
                seq=seq,
                error_type="timeout" if seq % 5 == 0 else None,
                params={"page": seq},
                extra={"k": [1, 2]},
            )
        )
    return out
