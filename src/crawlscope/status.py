"""The values a run's lifecycle is made of: its status, control commands and their outcomes.

Shared by the runner, the aggregator, the store, the server and the command line, so a
status is spelled once. The enums are ``StrEnum``: they compare and encode as their
value, which is also what the database, the API and the event stream carry.
"""

from __future__ import annotations

import enum
from typing import Final

import msgspec

__all__ = [
    "ACTIVE_STATUSES",
    "TERMINAL_STATUSES",
    "ControlCommand",
    "ControlOutcome",
    "RunStatus",
]


class RunStatus(enum.StrEnum):
    """Where a run is in its life (docs/events.md, "Run status")."""

    # Hash like the plain string, so members and strings find the same dict entries.
    __hash__ = str.__hash__

    PENDING = "pending"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    """Every task ran to its end, and failures stayed within the collection's tolerance."""
    COMPLETED_WITH_ERRORS = "completed_with_errors"
    """The run reached its end, but more tasks failed than the collection tolerates."""
    FAILED = "failed"
    """An exception ended the run, or its outcome rules call the result a failure."""
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"
    """The runner went away without ending the run (a crash, a killed process)."""

    @property
    def active(self) -> bool:
        """The run has a runner that may still report (pending, running, paused)."""
        return self in ACTIVE_STATUSES

    @property
    def terminal(self) -> bool:
        """Nothing more will happen unless the run is revived or resumed."""
        return self in TERMINAL_STATUSES


ACTIVE_STATUSES: Final = frozenset({RunStatus.PENDING, RunStatus.RUNNING, RunStatus.PAUSED})
TERMINAL_STATUSES: Final = frozenset(RunStatus) - ACTIVE_STATUSES


class ControlCommand(enum.StrEnum):
    """What an operator can ask of a running run."""

    __hash__ = str.__hash__

    PAUSE = "pause"
    RESUME = "resume"
    CANCEL = "cancel"

    @property
    def done(self) -> str:
        """The outcome word when it was applied: paused, resumed, cancelled."""
        return _DONE[self]

    @property
    def status_after(self) -> RunStatus:
        """The run's status once the command took effect."""
        return _STATUS_AFTER[self]


_DONE: Final = {
    ControlCommand.PAUSE: "paused",
    ControlCommand.RESUME: "resumed",
    ControlCommand.CANCEL: "cancelled",
}
_STATUS_AFTER: Final = {
    ControlCommand.PAUSE: RunStatus.PAUSED,
    ControlCommand.RESUME: RunStatus.RUNNING,
    ControlCommand.CANCEL: RunStatus.CANCELLED,
}
_BY_DONE: Final = {word: command for command, word in _DONE.items()}
_REFUSED: Final = "refused: "


class ControlOutcome(msgspec.Struct, frozen=True, kw_only=True):
    """What a runner did with a command: applied it, or refused it and why.

    Between processes (the ``run_commands`` table, ingest acknowledgements) an outcome
    travels as one short text, ``paused`` or ``refused: run is completed``; ``text`` and
    ``parse`` are the only places that know that form.
    """

    command: ControlCommand
    applied: bool
    reason: str | None = None
    """Why it was refused (``run is completed``); None when applied."""

    @classmethod
    def accepted(cls, command: ControlCommand) -> ControlOutcome:
        """The command took effect."""
        return cls(command=command, applied=True)

    @classmethod
    def refused(cls, command: ControlCommand, reason: str) -> ControlOutcome:
        """The command does not apply (``reason`` says why, e.g. ``run is completed``)."""
        return cls(command=command, applied=False, reason=reason)

    @property
    def word(self) -> str:
        """``paused``, ``resumed``, ``cancelled`` or ``refused``."""
        return self.command.done if self.applied else "refused"

    def text(self) -> str:
        """The form stored and sent between processes."""
        return self.command.done if self.applied else f"{_REFUSED}{self.reason or 'refused'}"

    @classmethod
    def parse(cls, command: ControlCommand | str, text: str) -> ControlOutcome:
        """Read the text form back (``command`` is what was asked).

        Text from an older or foreign runner that is neither form is kept as a refusal
        with the text as its reason, so nothing a runner said is lost.
        """
        command = ControlCommand(command)
        if text.startswith(_REFUSED):
            return cls.refused(command, text.removeprefix(_REFUSED))
        if _BY_DONE.get(text) is command:
            return cls.accepted(command)
        return cls.refused(command, text)
