"""Run status, control commands and the text form of control outcomes."""

from __future__ import annotations

import msgspec
import pytest

from crawlscope.status import (
    ACTIVE_STATUSES,
    TERMINAL_STATUSES,
    ControlCommand,
    ControlOutcome,
    RunStatus,
)


def test_every_status_is_either_active_or_terminal() -> None:
    assert set(RunStatus) == ACTIVE_STATUSES | TERMINAL_STATUSES
    assert not ACTIVE_STATUSES & TERMINAL_STATUSES


@pytest.mark.parametrize("status", ["pending", "running", "paused"])
def test_active_statuses(status: str) -> None:
    assert RunStatus(status).active
    assert not RunStatus(status).terminal


@pytest.mark.parametrize(
    "status", ["completed", "completed_with_errors", "failed", "cancelled", "interrupted"]
)
def test_terminal_statuses(status: str) -> None:
    assert RunStatus(status).terminal


def test_status_compares_hashes_and_encodes_as_its_value() -> None:
    assert RunStatus.RUNNING == "running"
    assert {"running": 1}[RunStatus.RUNNING] == 1
    assert msgspec.json.encode(RunStatus.PAUSED) == b'"paused"'
    assert msgspec.json.decode(b'"interrupted"', type=RunStatus) is RunStatus.INTERRUPTED


def test_unknown_status_is_refused_when_decoded() -> None:
    with pytest.raises(msgspec.ValidationError):
        msgspec.json.decode(b'"bogus"', type=RunStatus)


@pytest.mark.parametrize(
    ("command", "word", "after"),
    [
        ("pause", "paused", "paused"),
        ("resume", "resumed", "running"),
        ("cancel", "cancelled", "cancelled"),
    ],
)
def test_command_words(command: str, word: str, after: str) -> None:
    assert ControlCommand(command).done == word
    assert ControlCommand(command).status_after == after


@pytest.mark.parametrize("command", list(ControlCommand))
def test_applied_outcome_round_trips_through_text(command: ControlCommand) -> None:
    outcome = ControlOutcome.accepted(command)
    assert outcome.text() == command.done
    assert ControlOutcome.parse(command, outcome.text()) == outcome


def test_refusal_round_trips_with_its_reason() -> None:
    outcome = ControlOutcome.refused(ControlCommand.PAUSE, "run is completed")
    assert outcome.text() == "refused: run is completed"
    assert outcome.word == "refused"
    parsed = ControlOutcome.parse("pause", outcome.text())
    assert parsed == outcome
    assert not parsed.applied


def test_a_word_of_another_command_is_not_taken_as_applied() -> None:
    parsed = ControlOutcome.parse("pause", "resumed")
    assert not parsed.applied
    assert parsed.reason == "resumed"
