"""The worker state machine: every transition of aggregate/worker_state.py."""

from __future__ import annotations

import pytest

from crawlscope.aggregate import RunAggregate
from crawlscope.aggregate.worker_state import WorkerState, next_state
from crawlscope.events import Action, ActivityEvent, ErrorType

S = WorkerState
ALL_STATES = list(WorkerState)


@pytest.mark.parametrize("state", ALL_STATES)
@pytest.mark.parametrize(
    ("action", "expected"),
    [
        (Action.WAITING, S.WAITING),
        (Action.FETCHING, S.REQUESTING),
        (Action.FOUND, S.PROCESSING),
        (Action.ERROR, S.ERROR),
        (Action.RATE_LIMITED, S.RATE_LIMITED),
        (Action.PHASE_COMPLETED, S.COMPLETE),
        (Action.RUN_COMPLETED, S.COMPLETE),
        (Action.RUN_CANCELLED, S.COMPLETE),
        (Action.RUN_FAILED, S.COMPLETE),
    ],
)
def test_actions_that_set_the_state_from_anywhere(
    state: WorkerState, action: Action, expected: WorkerState
) -> None:
    assert next_state(state, action) is expected


@pytest.mark.parametrize("state", ALL_STATES)
def test_retrying_backs_off_unless_it_waits_out_a_429(state: WorkerState) -> None:
    assert next_state(state, Action.RETRYING, error_type=ErrorType.HTTP_5XX) is S.BACKING_OFF
    assert next_state(state, Action.RETRYING, error_type=ErrorType.TIMEOUT) is S.BACKING_OFF
    assert next_state(state, Action.RETRYING) is S.BACKING_OFF
    assert next_state(state, Action.RETRYING, error_type=ErrorType.RATE_LIMIT) is S.RATE_LIMITED


@pytest.mark.parametrize("state", ALL_STATES)
def test_complete_goes_idle_or_paused_when_the_run_is_paused(state: WorkerState) -> None:
    assert next_state(state, Action.COMPLETE) is S.IDLE
    assert next_state(state, Action.COMPLETE, run_paused=True) is S.PAUSED


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (S.IDLE, S.PAUSED),
        (S.ERROR, S.PAUSED),
        # waiting to retry: nothing more is sent until resume
        (S.BACKING_OFF, S.PAUSED),
        (S.RATE_LIMITED, S.PAUSED),
        # waiting at a site gate: its request has not been sent, and waits for resume
        (S.WAITING, S.PAUSED),
        # busy workers finish the request they are in
        (S.REQUESTING, S.REQUESTING),
        (S.PROCESSING, S.PROCESSING),
        (S.PAUSED, S.PAUSED),
        (S.COMPLETE, S.COMPLETE),
    ],
)
def test_run_paused(state: WorkerState, expected: WorkerState) -> None:
    assert next_state(state, Action.RUN_PAUSED, run_paused=True) is expected


@pytest.mark.parametrize("state", ALL_STATES)
def test_run_resumed_wakes_only_paused_workers(state: WorkerState) -> None:
    expected = S.IDLE if state is S.PAUSED else state
    assert next_state(state, Action.RUN_RESUMED) is expected


@pytest.mark.parametrize("state", ALL_STATES)
def test_phase_started_revives_only_complete_workers(state: WorkerState) -> None:
    expected = S.IDLE if state is S.COMPLETE else state
    assert next_state(state, Action.PHASE_STARTED) is expected


@pytest.mark.parametrize("state", ALL_STATES)
@pytest.mark.parametrize(
    "action",
    [
        Action.RUN_STARTED,
        Action.RUN_PROGRESS,
        Action.UPLOADING,
        Action.INSERTED,
        Action.UPDATED,
        Action.DEDUPED,
        Action.BREAKER_OPENED,
        Action.BREAKER_HALF_OPEN,
        Action.BREAKER_CLOSED,
        Action.ALERT_ACTION,
        # A request robots.txt forbids is not sent: the worker goes on with its task.
        Action.SKIPPED,
    ],
)
def test_other_actions_leave_the_state_alone(state: WorkerState, action: Action) -> None:
    assert next_state(state, action) is state


def test_every_action_is_covered_by_the_tables_above() -> None:
    # A new action must get a deliberate rule (and a test), not fall through by accident.
    covered = {
        Action.WAITING,
        Action.FETCHING,
        Action.FOUND,
        Action.ERROR,
        Action.RATE_LIMITED,
        Action.RETRYING,
        Action.COMPLETE,
        Action.RUN_PAUSED,
        Action.RUN_RESUMED,
        Action.PHASE_STARTED,
        Action.PHASE_COMPLETED,
        Action.RUN_COMPLETED,
        Action.RUN_CANCELLED,
        Action.RUN_FAILED,
        Action.RUN_STARTED,
        Action.RUN_PROGRESS,
        Action.UPLOADING,
        Action.INSERTED,
        Action.UPDATED,
        Action.DEDUPED,
        Action.BREAKER_OPENED,
        Action.BREAKER_HALF_OPEN,
        Action.BREAKER_CLOSED,
        Action.SKIPPED,
        Action.ALERT_ACTION,
    }
    assert covered == set(Action)


# -- the same rules applied by the aggregator, event by event -------------------------------


def _ev(action: Action, worker_id: int = 0, **fields: object) -> ActivityEvent:
    return ActivityEvent(run_id="r", action=action, worker_id=worker_id, **fields)  # type: ignore[arg-type]


def _states(run: RunAggregate) -> dict[int, str]:
    return {card.worker_id: card.state for card in run.frame().workers}


def test_aggregator_derives_worker_states_from_events_only() -> None:
    run = RunAggregate("r")
    run.apply(_ev(Action.RUN_STARTED))
    run.apply(_ev(Action.PHASE_STARTED, phase="p", extra={"workers": 2}))
    assert _states(run) == {1: "idle", 2: "idle"}

    run.apply(_ev(Action.FETCHING, 1, phase="p", task="t1", url="http://x/1"))
    assert _states(run) == {1: "requesting", 2: "idle"}
    card = run.frame().workers[0]
    assert (card.task, card.url) == ("t1", "http://x/1")

    # Pausing stops the idle worker at once; the busy one finishes its request first.
    run.apply(_ev(Action.RUN_PAUSED, extra={"reason": "operator", "auto": False}))
    assert _states(run) == {1: "requesting", 2: "paused"}
    run.apply(_ev(Action.FOUND, 1, phase="p", status_code=200, duration_ms=5.0))
    assert _states(run)[1] == "processing"
    run.apply(_ev(Action.COMPLETE, 1, phase="p", task="t1", items_count=0))
    assert _states(run) == {1: "paused", 2: "paused"}
    assert run.frame().workers[0].task is None  # the finished task is cleared

    run.apply(_ev(Action.RUN_RESUMED))
    assert _states(run) == {1: "idle", 2: "idle"}

    run.apply(_ev(Action.FETCHING, 2, phase="p", task="t2"))
    run.apply(_ev(Action.RATE_LIMITED, 2, phase="p", error_type="rate_limit", status_code=429))
    assert _states(run)[2] == "rate_limited"
    run.apply(_ev(Action.RETRYING, 2, phase="p", error_type="rate_limit"))
    assert _states(run)[2] == "rate_limited"
    run.apply(_ev(Action.FETCHING, 2, phase="p", task="t2", attempt=2))
    run.apply(_ev(Action.ERROR, 2, phase="p", error_type="http_5xx", error_stage="request"))
    assert _states(run)[2] == "error"
    run.apply(_ev(Action.RETRYING, 2, phase="p", error_type="http_5xx"))
    assert _states(run)[2] == "backing_off"

    run.apply(_ev(Action.PHASE_COMPLETED, phase="p"))
    assert _states(run) == {1: "complete", 2: "complete"}
    run.apply(_ev(Action.PHASE_STARTED, phase="q", extra={"workers": 1}))
    assert _states(run) == {1: "idle", 2: "idle"}
    run.apply(_ev(Action.RUN_COMPLETED, extra={"dataset_size": 0}))
    assert _states(run) == {1: "complete", 2: "complete"}


def test_phase_completed_only_completes_that_phases_workers() -> None:
    run = RunAggregate("r")
    run.apply(_ev(Action.PHASE_STARTED, phase="a", extra={"workers": 1}))
    run.apply(_ev(Action.FETCHING, 1, phase="a"))
    # Worker 2 is known only from phase "b" (a remote runner's worker, say).
    run.apply(_ev(Action.FETCHING, 2, phase="b"))
    run.apply(_ev(Action.PHASE_COMPLETED, phase="a"))
    assert _states(run) == {1: "complete", 2: "requesting"}


def test_a_worker_waiting_at_a_site_gate_says_for_what_until_it_sends() -> None:
    run = RunAggregate("r")
    run.apply(_ev(Action.RUN_STARTED))
    run.apply(_ev(Action.PHASE_STARTED, phase="p", extra={"workers": 1}))
    run.apply(
        _ev(
            Action.WAITING,
            1,
            phase="p",
            task="t1",
            site="127.0.0.1:9",
            url="http://127.0.0.1:9/a",
            method="GET",
            ts="2026-12-06T10:00:00.000Z",
            extra={"waiting_for": "rate_limit"},
        )
    )
    card = run.frame().workers[0]
    assert (card.state, card.waiting_for, card.task) == ("waiting", "rate_limit", "t1")
    assert (card.site, card.url, card.state_since) == (
        "127.0.0.1:9",
        "http://127.0.0.1:9/a",
        "2026-12-06T10:00:00.000Z",
    )
    # The reason changes while it waits (a Retry-After hold ends, then the slots are full).
    run.apply(_ev(Action.WAITING, 1, phase="p", task="t1", extra={"waiting_for": "concurrency"}))
    assert run.frame().workers[0].waiting_for == "concurrency"
    # Let through: requesting, and the reason is gone.
    run.apply(_ev(Action.FETCHING, 1, phase="p", task="t1", url="http://127.0.0.1:9/a"))
    card = run.frame().workers[0]
    assert (card.state, card.waiting_for) == ("requesting", None)
    run.apply(_ev(Action.FOUND, 1, phase="p", status_code=200, duration_ms=2.0))
    run.apply(
        _ev(
            Action.COMPLETE,
            1,
            phase="p",
            task="t1",
            duration_ms=502.5,
            items_count=0,
            extra={"wait_ms": 480.25},
        )
    )
    card = run.frame().workers[0]
    # The task's time, the part of it spent waiting, and the request's own time.
    assert (card.last_task_ms, card.last_wait_ms, card.last_duration_ms) == (502.5, 480.25, 2.0)
    assert card.wait_ms == 480.25
    # A task that did not wait clears the last wait; the total stays.
    run.apply(_ev(Action.FETCHING, 1, phase="p", task="t2"))
    run.apply(_ev(Action.COMPLETE, 1, phase="p", task="t2", duration_ms=3.0, items_count=0))
    card = run.frame().workers[0]
    assert (card.last_task_ms, card.last_wait_ms, card.wait_ms) == (3.0, None, 480.25)


def test_a_pause_stops_a_waiting_worker_and_clears_its_reason() -> None:
    run = RunAggregate("r")
    run.apply(_ev(Action.PHASE_STARTED, phase="p", extra={"workers": 1}))
    run.apply(_ev(Action.WAITING, 1, phase="p", task="t1", extra={"waiting_for": "breaker"}))
    run.apply(_ev(Action.RUN_PAUSED, extra={"reason": "operator", "auto": False}))
    card = run.frame().workers[0]
    assert (card.state, card.waiting_for) == ("paused", None)


def test_a_remote_runners_free_form_extra_cannot_break_the_card() -> None:
    # Ingest checks only run-level extras: a complete or waiting event's may be anything.
    run = RunAggregate("r")
    run.apply(_ev(Action.WAITING, 1, phase="p", extra={"waiting_for": 7}))
    run.apply(_ev(Action.WAITING, 2, phase="p"))
    assert [c.waiting_for for c in run.frame().workers] == ["unknown", "unknown"]
    for bad in ("12", -5.0, None, [1]):
        run.apply(_ev(Action.COMPLETE, 1, phase="p", duration_ms=1.0, extra={"wait_ms": bad}))
    card = run.frame().workers[0]
    assert (card.last_wait_ms, card.wait_ms) == (None, 0.0)
