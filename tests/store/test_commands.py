"""The control-command queue (``CommandRepository``) on every backend (the ``store`` fixture)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crawlscope.status import ControlCommand, ControlOutcome
from crawlscope.store import SqlStore
from crawlscope.timestamps import utc_now
from tests.store.moments import assert_utc


async def test_commands_round_trip(store: SqlStore) -> None:
    queue = store.commands
    first = await queue.enqueue("r", "pause")
    second = await queue.enqueue("r", "cancel")
    await queue.enqueue("other", "resume")
    assert await queue.pending("r") == [(first, "pause"), (second, "cancel")]
    assert await queue.outcome(first) is None
    await queue.acknowledge(first, ControlOutcome.accepted(ControlCommand.PAUSE))
    assert await queue.outcome(first) == ControlOutcome.accepted(ControlCommand.PAUSE)
    await queue.acknowledge_text(second, "refused: run is completed")
    refused = await queue.outcome(second)
    assert refused == ControlOutcome.refused(ControlCommand.CANCEL, "run is completed")
    assert await queue.pending("r") == []
    with pytest.raises(ValueError, match="'stop' is not a valid ControlCommand"):
        await queue.enqueue("r", "stop")  # type: ignore[arg-type]


async def test_unhandled_commands_in_order_with_their_moment(store: SqlStore) -> None:
    before = utc_now()
    ids = [
        await store.commands.enqueue("r", command)
        for command in (ControlCommand.PAUSE, ControlCommand.RESUME, ControlCommand.CANCEL)
    ]
    assert ids == sorted(ids)
    assert len(set(ids)) == 3
    await store.commands.enqueue("other", ControlCommand.CANCEL)
    unhandled = await store.commands.unhandled("r")
    assert [(c.id, c.run_id, c.command) for c in unhandled] == [
        (ids[0], "r", ControlCommand.PAUSE),
        (ids[1], "r", ControlCommand.RESUME),
        (ids[2], "r", ControlCommand.CANCEL),
    ]
    for command in unhandled:
        assert command.command is ControlCommand(command.command)
        assert_utc(command.created_at)
        assert before - timedelta(milliseconds=1) <= command.created_at <= utc_now()
    await store.commands.acknowledge(ids[1], ControlOutcome.accepted(ControlCommand.RESUME))
    assert [c.id for c in await store.commands.unhandled("r")] == [ids[0], ids[2]]
    assert await store.commands.pending("r") == [
        (ids[0], ControlCommand.PAUSE),
        (ids[2], ControlCommand.CANCEL),
    ]
    assert await store.commands.unhandled("nobody") == []


@pytest.mark.parametrize(
    ("command", "text", "outcome"),
    [
        (ControlCommand.PAUSE, "paused", ControlOutcome.accepted(ControlCommand.PAUSE)),
        (ControlCommand.RESUME, "resumed", ControlOutcome.accepted(ControlCommand.RESUME)),
        (ControlCommand.CANCEL, "cancelled", ControlOutcome.accepted(ControlCommand.CANCEL)),
        (
            ControlCommand.PAUSE,
            "refused: run is not running",
            ControlOutcome.refused(ControlCommand.PAUSE, "run is not running"),
        ),
        # what an older or foreign runner answered: kept as the reason of a refusal
        (
            ControlCommand.CANCEL,
            "paused",
            ControlOutcome.refused(ControlCommand.CANCEL, "paused"),
        ),
        (
            ControlCommand.RESUME,
            "no runner «ü» here",
            ControlOutcome.refused(ControlCommand.RESUME, "no runner «ü» here"),
        ),
    ],
    ids=["paused", "resumed", "cancelled", "refused", "wrong-word", "foreign"],
)
async def test_outcomes_read_back_as_they_were_given(
    store: SqlStore, command: ControlCommand, text: str, outcome: ControlOutcome
) -> None:
    command_id = await store.commands.enqueue("r", command)
    await store.commands.acknowledge_text(command_id, text)
    assert await store.commands.outcome(command_id) == outcome
    # acknowledging with the struct stores the same text
    again = await store.commands.enqueue("r", command)
    await store.commands.acknowledge(again, outcome)
    assert await store.commands.outcome(again) == ControlOutcome.parse(command, outcome.text())


async def test_the_outcome_of_an_unknown_command_is_none(store: SqlStore) -> None:
    assert await store.commands.outcome(12345) is None
    await store.commands.acknowledge_text(12345, "paused")  # nothing to answer: no error
    assert await store.commands.outcome(12345) is None
