"""The ``ControlSource`` of a remote run: commands arrive in ingest responses."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from crawlscope.ingest import PendingCommand
from crawlscope.status import ControlCommand, ControlOutcome

__all__ = ["ServerControl"]


class ServerControl:
    """The ``ControlSource`` of a remote run: commands arrive in ingest responses."""

    def __init__(self, wake: asyncio.Event | None = None) -> None:
        self._pending: dict[str, dict[int, ControlCommand]] = {}
        self._seen: set[int] = set()
        self._acks: list[tuple[int, str]] = []
        self._wake = wake

    async def pending(self, run_id: str) -> Sequence[tuple[int, ControlCommand]]:
        """Commands for ``run_id`` not handed out yet (each is handed out once)."""
        waiting = self._pending.pop(run_id, None)
        return sorted(waiting.items()) if waiting else []

    async def acknowledge(self, command_id: int, outcome: ControlOutcome) -> None:
        """Send the runner's answer with the next request (which is made at once)."""
        self._acks.append((command_id, outcome.text()))
        if self._wake is not None:
            self._wake.set()

    def offer(self, commands: Sequence[PendingCommand]) -> None:
        """Take commands from a response; the server repeats them until acknowledged."""
        for command in commands:
            if command.id not in self._seen:
                self._seen.add(command.id)
                self._pending.setdefault(command.run_id, {})[command.id] = command.command

    def take_acks(self) -> list[tuple[int, str]]:
        """Acknowledgements to send now."""
        acks, self._acks = self._acks, []
        return acks

    def return_acks(self, acks: list[tuple[int, str]]) -> None:
        """Acknowledgements whose request failed for good: try them again later."""
        self._acks[:0] = acks

    @property
    def has_acks(self) -> bool:
        """Whether acknowledgements wait to be sent."""
        return bool(self._acks)
